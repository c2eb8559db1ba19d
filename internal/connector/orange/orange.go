// Package orange is caisse's connector for Orange Money Web Payment (the "M
// Payment" API of developer.orange.com), and a simulator of that API for
// tests and local runs.
//
// The flow is a redirect: Initiate asks Orange for a payment page
// (POST {base}/webpayment) and returns its payment_url, where the customer
// types their Orange Money number and a one-time code; Orange then posts a
// notification to the notif_url, and Status asks POST {base}/transactionstatus.
// Every call carries an OAuth 2.0 bearer token from POST /oauth/v3/token
// (client credentials), cached until it expires and fetched anew on a 401.
//
// Orange statuses map onto caisse's as follows; Orange gives no failure
// reason, so a failed payment is generic_decline unless it expired:
//
//	INITIATED  pending    the customer has not confirmed on the page yet
//	PENDING    pending    confirmed; Orange is processing it
//	SUCCESS    succeeded
//	FAILED     failed     generic_decline (a decline, a wrong code, a cancel)
//	EXPIRED    failed     timeout (the page's lifetime ran out)
//
// Answers to the start request: a 2xx with pay_token, payment_url and
// notif_token starts the payment; a 4xx but 408, 409, 425 and 429 (including
// Orange's 401 codes 40 to 42 after one token refresh, 403 code 50 "access
// denied", 400 for an invalid body) wraps connector.ErrRefused; anything else
// (5xx, 429 code 53 "too many requests", a timeout, an unreadable answer) is
// ambiguous.
package orange

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caisse/caisse/internal/connector"
)

const (
	// defaultTokenTTL is the token lifetime assumed when Orange's answer has
	// no expires_in: Orange documents 60 minutes by default.
	defaultTokenTTL = time.Hour
	// routeNotFound is Orange's gateway error code for a path it does not
	// serve (404): a wrong base URL, not an unknown payment.
	routeNotFound = 60
)

// zeroDecimal lists the currencies Orange Money Web Payment takes amounts of
// whole units in, as caisse's minor units are: OUV (the sandbox's play
// money), XOF, XAF and GNF.
var zeroDecimal = map[string]bool{"OUV": true, "XOF": true, "XAF": true, "GNF": true}

// Kind is the orange_money connector kind.
var Kind = connector.Kind{
	Name: "orange_money",
	Flow: connector.FlowRedirect,
	Doc: "Orange Money Web Payment / M Payment API v1 (developer.orange.com/apis/om-webpay, \"Getting started\", " +
		"OAuth v3 token, webpayment and transactionstatus) and Orange's \"Best practices for API error handling\" (2024-10-08)",
	Credentials: []connector.Credential{
		{Name: "client_id", Doc: "the client ID of the application on developer.orange.com (My apps > Credentials)"},
		{Name: "client_secret", Secret: true, Doc: "the client secret of that application"},
		{Name: "merchant_key", Secret: true, Doc: "the merchant key Orange gives for the merchant's Orange Money Web Payment subscription"},
	},
}

func init() { Kind.New = New }

var _ connector.Connector = (*Connector)(nil)

// Connector speaks Orange Money Web Payment for one merchant's credentials.
type Connector struct {
	id           string
	api          string // the base URL, without a trailing slash: https://api.orange.com/orange-money-webpay/dev/v1
	tokenURL     string // {scheme}://{host}/oauth/v3/token
	dev          bool   // the sandbox ("dev" country segment): amounts are in OUV
	clientID     string
	clientSecret string
	merchantKey  string
	callbackURL  string
	client       *http.Client
	timeout      time.Duration
	now          func() time.Time
	tok          *connector.TokenCache // shared by the connectors of the same credentials
}

// New builds an Orange Money connector from c. c.BaseURL is the API root with
// its country segment, e.g. https://api.orange.com/orange-money-webpay/dev/v1
// (the sandbox) or …/orange-money-webpay/ci/v1; the token endpoint is
// /oauth/v3/token on the same host.
func New(c connector.Config) (connector.Connector, error) {
	if err := Kind.Check(c.Credentials); err != nil {
		return nil, err
	}
	u, ok := connector.ParseBaseURL(c.BaseURL)
	if !ok {
		return nil, fmt.Errorf("connector kind orange_money: base URL must be an absolute http(s) URL without query, such as https://api.orange.com/orange-money-webpay/dev/v1; got %q", c.BaseURL)
	}
	c = c.WithDefaults()
	o := &Connector{
		id:           c.ID,
		api:          strings.TrimRight(u.String(), "/"),
		tokenURL:     u.Scheme + "://" + u.Host + "/oauth/v3/token",
		dev:          country(u.Path) == "dev",
		clientID:     c.Credentials["client_id"],
		clientSecret: c.Credentials["client_secret"],
		merchantKey:  c.Credentials["merchant_key"],
		callbackURL:  c.CallbackURL,
		client:       c.Client,
		timeout:      c.Timeout,
		now:          c.Now,
	}
	o.tok = cacheFor(o.tokenURL, o.clientID, o.clientSecret)
	return o, nil
}

// country is the path segment after orange-money-webpay: "dev", "ci", "sn"…
func country(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs[:len(segs)-1] {
		if s == "orange-money-webpay" {
			return segs[i+1]
		}
	}
	return ""
}

// Name is the connector's id.
func (o *Connector) Name() string { return o.id }

// Flow is connector.FlowRedirect.
func (o *Connector) Flow() string { return connector.FlowRedirect }

// webpaymentRequest is the body of POST {base}/webpayment.
type webpaymentRequest struct {
	MerchantKey string `json:"merchant_key"`
	Currency    string `json:"currency"`
	OrderID     string `json:"order_id"`
	Amount      int64  `json:"amount"`
	ReturnURL   string `json:"return_url"`
	CancelURL   string `json:"cancel_url"`
	NotifURL    string `json:"notif_url"`
	Lang        string `json:"lang"`
	Reference   string `json:"reference"`
}

// webpaymentAnswer is Orange's 201 answer to a webpayment request.
type webpaymentAnswer struct {
	Status     int    `json:"status"`
	Message    string `json:"message"`
	PayToken   string `json:"pay_token"`
	PaymentURL string `json:"payment_url"`
	NotifToken string `json:"notif_token"`
}

// statusRequest is the body of POST {base}/transactionstatus.
type statusRequest struct {
	OrderID  string `json:"order_id"`
	Amount   int64  `json:"amount"`
	PayToken string `json:"pay_token"`
}

// statusAnswer is Orange's answer to a transactionstatus request, and (with
// notif_token instead of order_id) the notification it posts to notif_url.
type statusAnswer struct {
	Status     string `json:"status"`
	OrderID    string `json:"order_id,omitempty"`
	TxnID      string `json:"txnid,omitempty"`
	NotifToken string `json:"notif_token,omitempty"`
}

// Initiate asks Orange for a payment page for p, with p.Attempt as the
// order_id (Orange takes each order_id once: a retry cannot make a second
// payment) and p.SessionID as the merchant reference. The notif_url is
// p.CallbackURL with ?session={p.SessionID}&attempt={p.Attempt} added, as
// Orange's notifications do not name the order. A payment caisse cannot
// express for Orange (a currency with decimals, a missing return URL) is
// refused before anything is sent.
func (o *Connector) Initiate(ctx context.Context, p connector.Payment) (connector.Started, error) {
	req, err := o.webpayment(p)
	if err != nil {
		return connector.Started{}, fmt.Errorf("%w: connector %s: %w", connector.ErrRefused, o.id, err)
	}
	code, answer, err := o.call(ctx, "/webpayment", req)
	if err != nil {
		return connector.Started{}, err
	}
	if code < 200 || code > 299 {
		err := o.answerError("initiate", code, answer)
		if connector.Refused(code) {
			return connector.Started{}, fmt.Errorf("%w: %w", connector.ErrRefused, err)
		}
		return connector.Started{}, err
	}
	var a webpaymentAnswer
	if err := json.Unmarshal(answer, &a); err != nil || a.PayToken == "" || a.NotifToken == "" || !connector.AbsoluteURL(a.PaymentURL) {
		return connector.Started{}, o.answerError("initiate: want JSON with pay_token, payment_url and notif_token", code, answer)
	}
	return connector.Started{Ref: a.PayToken, RedirectURL: a.PaymentURL, Check: a.NotifToken}, nil
}

// webpayment builds p's start request, or says why Orange cannot take it.
func (o *Connector) webpayment(p connector.Payment) (webpaymentRequest, error) {
	callback := p.CallbackURL
	if callback == "" {
		callback = o.callbackURL
	}
	notif, err := url.Parse(callback)
	switch {
	case p.SessionID == "" || p.Attempt == "":
		return webpaymentRequest{}, errors.New("empty session id or attempt")
	case p.Amount <= 0:
		return webpaymentRequest{}, errors.New("amount must be positive")
	case !zeroDecimal[p.Currency]:
		return webpaymentRequest{}, fmt.Errorf("currency %q: Orange Money takes XOF, XAF or GNF", p.Currency)
	case !connector.AbsoluteURL(p.ReturnURL):
		return webpaymentRequest{}, errors.New("the payment has no absolute return URL")
	case err != nil || !connector.AbsoluteURL(callback):
		return webpaymentRequest{}, errors.New("the connector has no absolute callback URL")
	}
	q := notif.Query()
	q.Set("session", p.SessionID)
	q.Set("attempt", p.Attempt)
	notif.RawQuery = q.Encode()
	currency, lang := p.Currency, "fr"
	if o.dev {
		currency = "OUV"
	}
	if p.Lang == "en" {
		lang = "en"
	}
	return webpaymentRequest{
		MerchantKey: o.merchantKey, Currency: currency, OrderID: p.Attempt, Amount: p.Amount,
		ReturnURL: p.ReturnURL, CancelURL: p.ReturnURL, NotifURL: notif.String(), Lang: lang, Reference: p.SessionID,
	}, nil
}

// Callback interprets Orange's notification {status, notif_token, txnid},
// posted to the notif_url Initiate gave. Orange does not sign it: its proof
// is the notif_token, returned as Result.Check for caisse to compare with the
// payment's Started.Check. A body without a notif_token wraps
// connector.ErrSignature; one without the session in its URL's query, or
// whose status is not a final one, wraps connector.ErrMalformed. Result.Ref is
// empty: the notification does not carry the pay_token.
func (o *Connector) Callback(r *http.Request, body []byte) (connector.Result, error) {
	var n statusAnswer
	if err := json.Unmarshal(body, &n); err != nil || n.NotifToken == "" {
		return connector.Result{}, fmt.Errorf("%w: connector %s: notification without notif_token", connector.ErrSignature, o.id)
	}
	session := r.URL.Query().Get("session")
	if session == "" {
		return connector.Result{}, fmt.Errorf("%w: connector %s: notification URL without session", connector.ErrMalformed, o.id)
	}
	res, ok := result(n.Status)
	if !ok || res.Status == connector.StatusPending {
		return connector.Result{}, fmt.Errorf("%w: connector %s: notification status %q", connector.ErrMalformed, o.id, n.Status)
	}
	res.SessionID, res.Check = session, n.NotifToken
	return res, nil
}

// Status asks Orange where payment p stands by its pay_token ref. With ref
// empty it returns an error wrapping connector.ErrNoPayment without asking:
// Orange looks payments up only by pay_token, and a start request whose
// answer was lost gave the customer no payment_url, so nothing can have been
// paid. A 404 (but the gateway's code 60 for an unknown path) also wraps
// connector.ErrNoPayment.
func (o *Connector) Status(ctx context.Context, p connector.Payment, ref string) (connector.Result, error) {
	switch {
	case ref == "":
		return connector.Result{}, fmt.Errorf("%w: connector %s: no pay_token: the customer never got a payment page", connector.ErrNoPayment, o.id)
	case p.SessionID == "" || p.Attempt == "":
		return connector.Result{}, fmt.Errorf("connector %s: status: empty session id or attempt", o.id)
	}
	code, answer, err := o.call(ctx, "/transactionstatus", statusRequest{OrderID: p.Attempt, Amount: p.Amount, PayToken: ref})
	if err != nil {
		return connector.Result{}, err
	}
	if code < 200 || code > 299 {
		err := o.answerError("status", code, answer)
		if code == http.StatusNotFound && errorCode(answer) != routeNotFound {
			return connector.Result{}, fmt.Errorf("%w: %w", connector.ErrNoPayment, err)
		}
		return connector.Result{}, err
	}
	var a statusAnswer
	if err := json.Unmarshal(answer, &a); err != nil {
		return connector.Result{}, o.answerError("status: want JSON", code, answer)
	}
	if a.OrderID != "" && a.OrderID != p.Attempt {
		return connector.Result{}, fmt.Errorf("connector %s: status: asked about order %q, Orange answered about %q", o.id, p.Attempt, a.OrderID)
	}
	res, ok := result(a.Status)
	if !ok {
		return connector.Result{}, o.answerError("status: unknown status", code, answer)
	}
	res.SessionID, res.Ref = p.SessionID, ref
	return res, nil
}

// result maps an Orange status onto caisse's.
func result(status string) (connector.Result, bool) {
	switch strings.ToUpper(strings.TrimSpace(status)) {
	case "INITIATED", "PENDING":
		return connector.Result{Status: connector.StatusPending}, true
	case "SUCCESS":
		return connector.Result{Status: connector.StatusSucceeded}, true
	case "FAILED":
		return connector.Result{Status: connector.StatusFailed, FailureReason: connector.ReasonGenericDecline}, true
	case "EXPIRED":
		return connector.Result{Status: connector.StatusFailed, FailureReason: connector.ReasonTimeout}, true
	}
	return connector.Result{}, false
}

// errorCode is the code of Orange's error answer {"code":…}, or 0.
func errorCode(answer []byte) int {
	var e struct {
		Code json.Number `json:"code"`
	}
	if json.Unmarshal(answer, &e) != nil {
		return 0
	}
	n, _ := strconv.Atoi(e.Code.String())
	return n
}

// call posts body as JSON to the API path with a bearer token. On a 401 it
// drops the token, fetches a new one and tries once more: Orange answers 401
// before processing anything, so the retry cannot make a second payment.
func (o *Connector) call(ctx context.Context, path string, body any) (int, []byte, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return 0, nil, fmt.Errorf("connector %s: encode request: %w", o.id, err)
	}
	fetch := func() (string, time.Time, error) { return o.fetchToken(ctx) }
	return o.tok.Call(o.now, fetch, func(token string) (int, []byte, error) {
		return o.send(ctx, o.api+path, "Bearer "+token, "application/json", data)
	})
}

// send posts body to target within the connector's timeout and returns the
// status code and at most connector.MaxBody of the answer.
func (o *Connector) send(ctx context.Context, target, auth, contentType string, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("connector %s: %w", o.id, err)
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json") // Orange answers 406 without it
	code, answer, err := connector.Exchange(o.client, req)
	if err != nil {
		return 0, nil, fmt.Errorf("connector %s: %w", o.id, err)
	}
	return code, answer, nil
}

// answerError describes Orange's unexpected answer: its status code and the
// start of its body, with the secrets masked (connector.Quote).
func (o *Connector) answerError(what string, code int, answer []byte) error {
	return fmt.Errorf("connector %s: %s: Orange answered %d: %q", o.id, what, code, connector.Quote(answer, "",
		connector.Redaction{Value: o.clientSecret, Label: "[secret]"}, connector.Redaction{Value: o.merchantKey, Label: "[secret]"}))
}

var (
	cachesMu sync.Mutex
	caches   = map[[32]byte]*connector.TokenCache{}
)

// cacheFor returns the token cache of a token endpoint and client
// credentials, shared by every connector built with them.
func cacheFor(tokenURL, id, secret string) *connector.TokenCache {
	key := sha256.Sum256([]byte(tokenURL + "\x00" + id + "\x00" + secret))
	cachesMu.Lock()
	defer cachesMu.Unlock()
	if caches[key] == nil {
		caches[key] = &connector.TokenCache{}
	}
	return caches[key]
}

// tokenAnswer is the token endpoint's answer. Orange's examples give
// expires_in as a number or as a string of digits.
type tokenAnswer struct {
	TokenType   string          `json:"token_type"`
	AccessToken string          `json:"access_token"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
}

// fetchToken gets an access token, and the time to stop using it: POST
// /oauth/v3/token with the client credentials as Basic auth and
// grant_type=client_credentials. A token is used until a tenth of its
// lifetime (at most a minute) before it expires.
func (o *Connector) fetchToken(ctx context.Context) (string, time.Time, error) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(o.clientID+":"+o.clientSecret))
	code, answer, err := o.send(ctx, o.tokenURL, basic, "application/x-www-form-urlencoded",
		[]byte(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		return "", time.Time{}, err
	}
	var a tokenAnswer
	if code != http.StatusOK || json.Unmarshal(answer, &a) != nil || a.AccessToken == "" {
		return "", time.Time{}, o.answerError("token", code, answer)
	}
	ttl := defaultTokenTTL
	if n, err := strconv.Atoi(strings.Trim(string(a.ExpiresIn), `"`)); err == nil && n > 0 {
		ttl = time.Duration(n) * time.Second
	}
	return a.AccessToken, o.now().Add(ttl - min(ttl/10, time.Minute)), nil
}
