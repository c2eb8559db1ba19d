// Package mtn is caisse's connector for MTN Mobile Money's Collection API
// (the MoMo Open API, v1_0) and a simulator of that API for local runs.
//
// A payment is a request to pay: caisse posts it with the attempt as its
// X-Reference-Id, MTN answers 202 and asks the customer's phone to approve it
// (a push flow, no redirect), then reports the outcome in one unsigned
// callback and in GET /collection/v1_0/requesttopay/{referenceId}.
//
// MTN's failure reasons map onto caisse's (anything else is generic_decline):
//
//	NOT_ENOUGH_FUNDS                                   insufficient_funds
//	APPROVAL_REJECTED, TRANSACTION_CANCELED,
//	PAYMENT_NOT_APPROVED                               customer_rejected
//	EXPIRED, COULD_NOT_PERFORM_TRANSACTION             timeout
//	PAYER_NOT_FOUND, SENDER_ACCOUNT_NOT_ACTIVE         payer_not_found
//	PAYER_LIMIT_REACHED, PAYEE_NOT_ALLOWED_TO_RECEIVE  limit_exceeded
package mtn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/caisse/caisse/internal/connector"
	"github.com/caisse/caisse/internal/money"
)

// The Collection API's paths, under the base URL.
const (
	pathToken        = "/collection/token/"
	pathRequestToPay = "/collection/v1_0/requesttopay"
)

const (
	maxNote     = 160              // MTN's limit on payerMessage and payeeNote
	tokenMargin = 60 * time.Second // a token is renewed this long before it expires
)

// Kind is the mtn_momo connector kind.
var Kind = connector.Kind{
	Name: "mtn_momo",
	Flow: connector.FlowPush,
	Doc: "MTN MoMo Open API, Collection v1_0 (https://momodeveloper.mtn.com/API-collections#api=collection): " +
		"CreateAccessToken, RequesttoPay, RequesttoPayTransactionStatus; callbacks per https://momodeveloper.mtn.com/api-documentation/callback",
	Credentials: []connector.Credential{
		{Name: "subscription_key", Secret: true, Doc: "the Collection product's Ocp-Apim-Subscription-Key (primary or secondary), from your MoMo developer portal profile"},
		{Name: "api_user", Doc: "the API user, a UUID: from MTN's partner portal in production, from the sandbox provisioning API in the sandbox"},
		{Name: "api_key", Secret: true, Doc: "the API user's API key, from the same place"},
		{Name: "target_environment", Doc: "X-Target-Environment: sandbox, or MTN's name for the country, such as mtnivorycoast"},
	},
}

func init() { Kind.New = New } // New refers to Kind: set here to break the initialisation cycle

// New makes a Collection connector of c, whose credentials Kind.Check accepts
// and whose base URL is an absolute http(s) URL such as
// https://proxy.momoapi.mtn.com.
func New(c connector.Config) (connector.Connector, error) {
	if err := Kind.Check(c.Credentials); err != nil {
		return nil, err
	}
	if _, ok := connector.ParseBaseURL(c.BaseURL); !ok {
		return nil, fmt.Errorf("connector kind %s: base URL %q is not an absolute http(s) URL without a query", Kind.Name, c.BaseURL)
	}
	if !isUUID(c.Credentials["api_user"]) {
		return nil, fmt.Errorf("connector kind %s: api_user must be a UUID", Kind.Name)
	}
	c = c.WithDefaults()
	m := &Collection{
		id: c.ID, baseURL: strings.TrimRight(c.BaseURL, "/"), callbackURL: c.CallbackURL,
		apiUser: c.Credentials["api_user"], apiKey: c.Credentials["api_key"],
		subscriptionKey: c.Credentials["subscription_key"], environment: c.Credentials["target_environment"],
		client: c.Client, timeout: c.Timeout, now: c.Now,
	}
	return m, nil
}

var _ connector.Connector = (*Collection)(nil)

// Collection is a connector to one merchant's MTN MoMo Collection account.
// Its access token is shared by its requests and renewed before it expires,
// or when MTN answers 401.
type Collection struct {
	id, baseURL, callbackURL     string
	apiUser, apiKey              string
	subscriptionKey, environment string
	client                       *http.Client
	timeout                      time.Duration
	now                          func() time.Time
	token                        connector.TokenCache
}

// Name is the connector's id.
func (m *Collection) Name() string { return m.id }

// Flow is FlowPush: the customer approves on the phone.
func (m *Collection) Flow() string { return connector.FlowPush }

// requestToPay is the body of POST /collection/v1_0/requesttopay.
type requestToPay struct {
	Amount       string `json:"amount"` // a decimal string: "500", "12.50"
	Currency     string `json:"currency"`
	ExternalID   string `json:"externalId"` // caisse's session id
	Payer        party  `json:"payer"`
	PayerMessage string `json:"payerMessage"`
	PayeeNote    string `json:"payeeNote"`
}

// party is an MTN account holder: an MSISDN is its number's digits, no +.
type party struct {
	PartyIDType string `json:"partyIdType"`
	PartyID     string `json:"partyId"`
}

// result is MTN's RequestToPayResult: the answer to a status query, and the
// body of its callbacks. Reason is a string or an object {code, message}.
type result struct {
	Amount                 string          `json:"amount"`
	Currency               string          `json:"currency"`
	FinancialTransactionID string          `json:"financialTransactionId,omitempty"`
	ExternalID             string          `json:"externalId"`
	Payer                  party           `json:"payer"`
	PayerMessage           string          `json:"payerMessage,omitempty"`
	PayeeNote              string          `json:"payeeNote,omitempty"`
	Status                 string          `json:"status"`
	Reason                 json.RawMessage `json:"reason,omitempty"`
	ReferenceID            string          `json:"referenceId,omitempty"` // not documented for requesttopay; read when present
}

// Initiate posts p as a request to pay, with p.Attempt as its X-Reference-Id,
// which is also the Ref it returns. MTN refuses a second request with the
// same reference (409), so a repeated Initiate starts nothing new: its 409 is
// taken as the payment having started. A 4xx other than 408, 409, 425 and 429,
// or MTN refusing the credentials, wraps ErrRefused; any other failure is
// ambiguous.
func (m *Collection) Initiate(ctx context.Context, p connector.Payment) (connector.Started, error) {
	body, err := requestBody(p)
	if err != nil {
		return connector.Started{}, fmt.Errorf("%w: connector %s: %w", connector.ErrRefused, m.id, err)
	}
	h := http.Header{"X-Reference-Id": {p.Attempt}}
	if m.callbackURL != "" {
		h.Set("X-Callback-Url", callbackURL(m.callbackURL, p.Attempt))
	}
	code, answer, err := m.call(ctx, http.MethodPost, pathRequestToPay, h, body, p.Phone)
	switch {
	case errors.Is(err, errCredentials):
		return connector.Started{}, fmt.Errorf("%w: %w", connector.ErrRefused, err)
	case err != nil:
		return connector.Started{}, err
	case code/100 == 2, code == http.StatusConflict: // 202, as documented; 409: this reference id already has its payment
		return connector.Started{Ref: p.Attempt}, nil
	}
	err = m.answerError("request to pay", code, answer, p.Phone)
	if connector.Refused(code) {
		return connector.Started{}, fmt.Errorf("%w: %w", connector.ErrRefused, err)
	}
	return connector.Started{}, err
}

// requestBody checks p and encodes it as MTN wants it.
func requestBody(p connector.Payment) ([]byte, error) {
	digits, ok := strings.CutPrefix(p.Phone, "+")
	switch {
	case !isUUID(p.Attempt):
		return nil, errors.New("the attempt must be a UUID (MTN's X-Reference-Id)")
	case p.SessionID == "":
		return nil, errors.New("no session id")
	case !ok || len(digits) < 8 || len(digits) > 15 || strings.ContainsFunc(digits, notDigit):
		return nil, fmt.Errorf("phone %s is not E.164", connector.MaskPhone(p.Phone))
	case p.Amount <= 0:
		return nil, errors.New("the amount must be positive")
	}
	cur, err := money.ParseCurrency(p.Currency)
	if err != nil {
		return nil, err
	}
	msg := note(p.Description)
	if msg == "" {
		msg = map[bool]string{true: "Paiement", false: "Payment"}[p.Lang != "en"]
	}
	return json.Marshal(requestToPay{
		Amount: formatAmount(p.Amount, cur.Digits()), Currency: string(cur), ExternalID: p.SessionID,
		Payer:        party{PartyIDType: "MSISDN", PartyID: digits},
		PayerMessage: msg, PayeeNote: note(p.SessionID),
	})
}

// callbackURL is base with the reference id in its query, since MTN's
// callbacks do not name the request to pay they are about.
func callbackURL(base, ref string) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + url.Values{"ref": {ref}}.Encode()
}

// Status asks MTN where p stands: GET /collection/v1_0/requesttopay/{ref},
// with p.Attempt for an empty ref (they are the same: the X-Reference-Id).
// MTN's 404 RESOURCE_NOT_FOUND wraps ErrNoPayment. An answer about another
// session, amount or currency is an error.
func (m *Collection) Status(ctx context.Context, p connector.Payment, ref string) (connector.Result, error) {
	if ref == "" {
		ref = p.Attempt
	}
	if p.SessionID == "" || !isUUID(ref) {
		return connector.Result{}, fmt.Errorf("connector %s: status: no session id, or a reference %q that is not a UUID", m.id, ref)
	}
	code, answer, err := m.call(ctx, http.MethodGet, pathRequestToPay+"/"+url.PathEscape(ref), nil, nil, p.Phone)
	if err != nil {
		return connector.Result{}, err
	}
	if code != http.StatusOK {
		err := m.answerError("status", code, answer, p.Phone)
		if code == http.StatusNotFound && errorCode(answer) == "RESOURCE_NOT_FOUND" {
			return connector.Result{}, fmt.Errorf("%w: %w", connector.ErrNoPayment, err)
		}
		return connector.Result{}, err
	}
	var r result
	if err := json.Unmarshal(answer, &r); err != nil {
		return connector.Result{}, m.answerError("status: want a RequestToPayResult", code, answer, p.Phone)
	}
	res, ok := interpret(r)
	switch {
	case !ok || res.Status == "":
		return connector.Result{}, m.answerError("status: unknown status", code, answer, p.Phone)
	case r.ExternalID != p.SessionID:
		return connector.Result{}, fmt.Errorf("connector %s: status: asked about session %q, MTN answered about %q", m.id, p.SessionID, r.ExternalID)
	case p.Currency != "" && !sameAmount(r, p):
		return connector.Result{}, fmt.Errorf("connector %s: status: the payment is of %s %s, not %d minor units of %s", m.id, r.Amount, r.Currency, p.Amount, p.Currency)
	}
	res.SessionID, res.Ref = p.SessionID, ref
	return res, nil
}

// Callback reads MTN's callback (a PUT or POST of a RequestToPayResult).
// MTN neither signs it nor retries it, so it is only a claim: the Result has
// Claim set and caisse settles from Status. Its Ref is the ref query parameter
// Initiate put in the callback URL, or the body's referenceId. A body that is
// not such a JSON object, or names no session, wraps ErrMalformed.
func (m *Collection) Callback(r *http.Request, body []byte) (connector.Result, error) {
	var cb result
	if err := json.Unmarshal(body, &cb); err != nil {
		return connector.Result{}, fmt.Errorf("%w: invalid JSON: %w", connector.ErrMalformed, err)
	}
	if cb.ExternalID == "" || strings.ContainsRune(cb.ExternalID+cb.ReferenceID, 0) {
		return connector.Result{}, fmt.Errorf("%w: no externalId", connector.ErrMalformed)
	}
	res, ok := interpret(cb)
	if !ok {
		res = connector.Result{} // says nothing caisse understands about the payment
	}
	res.Claim, res.SessionID, res.Ref = true, cb.ExternalID, cb.ReferenceID
	if r != nil {
		if ref := r.URL.Query().Get("ref"); isUUID(ref) {
			res.Ref = ref
		}
	}
	return res, nil
}

// interpret maps MTN's status and reason onto caisse's; ok is false for a
// status it does not know.
func interpret(r result) (connector.Result, bool) {
	switch r.Status {
	case "PENDING":
		return connector.Result{Status: connector.StatusPending}, true
	case "SUCCESSFUL":
		return connector.Result{Status: connector.StatusSucceeded}, true
	case "FAILED":
		return connector.Result{Status: connector.StatusFailed, FailureReason: FailureReason(reasonCode(r.Reason))}, true
	}
	return connector.Result{}, false
}

// FailureReason maps an MTN reason code onto caisse's failure reasons (the
// package comment has the table).
func FailureReason(code string) string {
	switch code {
	case "NOT_ENOUGH_FUNDS":
		return connector.ReasonInsufficientFunds
	case "APPROVAL_REJECTED", "TRANSACTION_CANCELED", "PAYMENT_NOT_APPROVED":
		return connector.ReasonCustomerRejected
	case "EXPIRED", "COULD_NOT_PERFORM_TRANSACTION":
		return connector.ReasonTimeout
	case "PAYER_NOT_FOUND", "SENDER_ACCOUNT_NOT_ACTIVE":
		return connector.ReasonPayerNotFound
	case "PAYER_LIMIT_REACHED", "PAYEE_NOT_ALLOWED_TO_RECEIVE":
		return connector.ReasonLimitExceeded
	}
	return connector.ReasonGenericDecline
}

// reasonCode reads a reason that is a string ("NOT_ENOUGH_FUNDS", as MTN's
// platform sends it) or an object ({"code":…,"message":…}, as its API
// reference describes it).
func reasonCode(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return errorCode(raw)
}

// errorCode is the code of MTN's {"code":…,"message":…}, or "".
func errorCode(body []byte) string {
	var e struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Code
}

// sameAmount says whether r is about p's amount and currency.
func sameAmount(r result, p connector.Payment) bool {
	cur, err := money.ParseCurrency(p.Currency)
	if err != nil || r.Currency != string(cur) {
		return false
	}
	n, ok := parseAmount(r.Amount, cur.Digits())
	return ok && n == p.Amount
}

// formatAmount writes minor units as MTN's decimal string: 500 with 0 digits
// is "500", 1250 with 2 digits is "12.50".
func formatAmount(minor int64, digits int) string {
	s := fmt.Sprintf("%0*d", digits+1, minor)
	if digits == 0 {
		return s
	}
	return s[:len(s)-digits] + "." + s[len(s)-digits:]
}

// parseAmount reads a positive decimal string as minor units of a currency
// with digits minor digits: "12.5" is 1250 with 2. ok is false for anything
// else, or more decimals than the currency has.
func parseAmount(s string, digits int) (int64, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > digits || strings.ContainsFunc(whole+frac, notDigit) {
		return 0, false
	}
	frac += strings.Repeat("0", digits-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	return n, err == nil && n > 0
}

// note makes s fit MTN's payerMessage and payeeNote: at most 160 bytes, and
// only letters, digits, spaces and a few punctuation marks (MTN refuses
// some characters, such as the apostrophe).
func note(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), strings.ContainsRune(".,-_:/#()", r):
			return r
		}
		return ' '
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	for len(s) > maxNote {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// errCredentials means MTN refused the API user and key (or subscription key)
// when asked for a token: no request of this connector can succeed.
var errCredentials = errors.New("MTN refused the credentials")

// call sends a request to MTN with a bearer token, the target environment and
// the subscription key, and returns the answer's status code and (at most
// MaxBody of) its body. Answered 401, it renews the token and tries once more.
// phone is masked in its errors.
func (m *Collection) call(ctx context.Context, method, path string, h http.Header, body []byte, phone string) (int, []byte, error) {
	fetch := func() (string, time.Time, error) { return m.fetchToken(ctx, phone) }
	return m.token.Call(m.now, fetch, func(tok string) (int, []byte, error) {
		req := http.Header{
			"Authorization":             {"Bearer " + tok},
			"X-Target-Environment":      {m.environment},
			"Ocp-Apim-Subscription-Key": {m.subscriptionKey},
		}
		for k, v := range h {
			req[k] = v
		}
		return m.do(ctx, method, path, req, body)
	})
}

// fetchToken gets a new access token from POST /collection/token/, and the
// time to stop using it, tokenMargin (at most half its life) before it
// expires.
func (m *Collection) fetchToken(ctx context.Context, phone string) (string, time.Time, error) {
	h := http.Header{"Ocp-Apim-Subscription-Key": {m.subscriptionKey}}
	code, answer, err := m.do(ctx, http.MethodPost, pathToken, h, nil)
	if err != nil {
		return "", time.Time{}, err
	}
	var t struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return "", time.Time{}, fmt.Errorf("%w: %w", errCredentials, m.answerError("access token", code, answer, phone))
	case code != http.StatusOK:
		return "", time.Time{}, m.answerError("access token", code, answer, phone)
	case json.Unmarshal(answer, &t) != nil || t.AccessToken == "" || t.ExpiresIn <= 0:
		return "", time.Time{}, m.answerError("access token: want access_token and expires_in", code, answer, phone,
			connector.Redaction{Value: t.AccessToken, Label: "[token]"})
	}
	life := time.Duration(t.ExpiresIn) * time.Second
	return t.AccessToken, m.now().Add(life - min(tokenMargin, life/2)), nil
}

// do sends one request within the timeout; the token request (no
// Authorization in h) carries Basic api_user:api_key.
func (m *Collection) do(ctx context.Context, method, path string, h http.Header, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, m.baseURL+path, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("connector %s: %w", m.id, err)
	}
	req.Header = h
	if h.Get("Authorization") == "" {
		req.SetBasicAuth(m.apiUser, m.apiKey)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	code, answer, err := connector.Exchange(m.client, req)
	if err != nil {
		return 0, nil, fmt.Errorf("connector %s: %w", m.id, err)
	}
	return code, answer, nil
}

// answerError describes MTN's unexpected answer: its status code and the
// start of its body, with the secrets, the token, the phone number and more
// masked (connector.Quote).
func (m *Collection) answerError(what string, code int, answer []byte, phone string, more ...connector.Redaction) error {
	hide := append([]connector.Redaction{
		{Value: m.apiKey, Label: "[api_key]"},
		{Value: m.subscriptionKey, Label: "[subscription_key]"},
		{Value: m.token.Current(), Label: "[token]"},
	}, more...)
	return fmt.Errorf("connector %s: %s: MTN answered %d: %q", m.id, what, code, connector.Quote(answer, phone, hide...))
}

func notDigit(r rune) bool { return r < '0' || r > '9' }

// isUUID says whether s is a UUID in its canonical text form, any case.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}
