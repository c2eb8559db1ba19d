// Package wave is caisse's connector for Wave's Checkout API (a redirect
// flow: the customer pays in the Wave app or on Wave's page), and a simulator
// of that API for tests and local runs. docs/operators/wave.md tells a
// merchant how to set it up.
//
// Wave's last_payment_error codes map onto caisse's failure reasons so:
//
//	insufficient-funds               insufficient_funds
//	blocked-account                  payer_not_found
//	payer-mobile-mismatch            payer_not_found (paid from another wallet than the number given)
//	kyb-limits-exceeded              limit_exceeded
//	cross-border-payment-not-allowed generic_decline
//	customer-age-restricted          generic_decline
//	payment-failure                  generic_decline
//	any other code                   generic_decline
//
// and a session's statuses so (the first that applies):
//
//	payment_status succeeded               succeeded
//	checkout_status expired                failed, timeout
//	payment_status cancelled               failed, customer_rejected
//	a last_payment_error                   failed, by the table above
//	checkout_status complete, processing   processing
//	checkout_status open, processing       pending
package wave

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/caisse/caisse/internal/connector"
)

// Kind is Wave's Checkout API, as `caisse connectors set --kind wave` takes it; its New is New.
var Kind = connector.Kind{
	Name: "wave",
	Flow: connector.FlowRedirect,
	Doc: "Wave Business API v1: Checkout API (https://docs.wave.com/checkout) and Webhooks " +
		"(https://docs.wave.com/webhook), unversioned pages as read in November 2026",
	Credentials: []connector.Credential{
		{Name: "api_key", Secret: true,
			Doc: "the wallet's API key (wave_sn_prod_…) with the Checkout API, from the Wave Business Portal, Developers > API keys"},
		{Name: "webhook_secret", Secret: true,
			Doc: "the webhook's signing secret (wave_sn_WHS_…), shown once when the webhook is registered with the Signing secret strategy"},
		{Name: "signing_secret", Secret: true, Optional: true,
			Doc: "the API key's request-signing secret (wave_sn_AKS_…), shown once when the key is created with request signing"},
	},
}

// Kind.New is New; set here, as New checks credentials with Kind.
func init() { Kind.New = New }

// New builds a Wave connector from c, after checking its credentials and base URL.
func New(c connector.Config) (connector.Connector, error) {
	if err := Kind.Check(c.Credentials); err != nil {
		return nil, err
	}
	if _, ok := connector.ParseBaseURL(c.BaseURL); !ok {
		return nil, fmt.Errorf("connector kind wave: base URL %q is not an absolute http(s) URL such as https://api.wave.com", c.BaseURL)
	}
	c = c.WithDefaults()
	w := &Connector{
		id: c.ID, base: strings.TrimRight(c.BaseURL, "/"),
		apiKey: c.Credentials["api_key"], webhookSecret: c.Credentials["webhook_secret"], signingSecret: c.Credentials["signing_secret"],
		client: c.Client, timeout: c.Timeout, now: c.Now,
	}
	return w, nil
}

var (
	_ connector.Connector = (*Connector)(nil)
	_ connector.Expirer   = (*Connector)(nil)
)

// Connector speaks Wave's Checkout API for one merchant's wallet: a
// payment is a checkout session whose client_reference is caisse's session
// id, started with caisse's attempt as Idempotency-Key.
type Connector struct {
	id, base                             string
	apiKey, webhookSecret, signingSecret string
	client                               *http.Client
	timeout                              time.Duration
	now                                  func() time.Time
}

// Name is the connector's id.
func (w *Connector) Name() string { return w.id }

// Flow is FlowRedirect: the customer pays at Started.RedirectURL, Wave's wave_launch_url.
func (w *Connector) Flow() string { return connector.FlowRedirect }

// Initiate creates a checkout session for p: amount as Wave's string,
// client_reference p.SessionID, success_url and error_url p.ReturnURL,
// restrict_payer_mobile p.Phone, and p.Attempt as Idempotency-Key. A 4xx
// but 408, 409, 425 and 429 wraps ErrRefused, as does a payment caisse
// cannot send (nothing reached Wave); anything else is ambiguous.
func (w *Connector) Initiate(ctx context.Context, p connector.Payment) (connector.Started, error) {
	if p.SessionID == "" || len(p.SessionID) > 255 || p.Attempt == "" || p.Amount <= 0 || p.Currency == "" || p.ReturnURL == "" {
		return connector.Started{}, fmt.Errorf("%w: connector %s: a payment needs a session id (at most 255 bytes), an attempt, a positive amount, a currency and a return URL",
			connector.ErrRefused, w.id)
	}
	body, err := json.Marshal(createRequest{
		Amount: formatAmount(p.Amount, p.Currency), Currency: p.Currency, ClientReference: p.SessionID,
		SuccessURL: p.ReturnURL, ErrorURL: p.ReturnURL, RestrictPayerMobile: p.Phone,
	})
	if err != nil {
		return connector.Started{}, fmt.Errorf("connector %s: encode checkout session: %w", w.id, err)
	}
	code, answer, err := w.do(ctx, http.MethodPost, "/v1/checkout/sessions", body, p.Attempt)
	if err != nil {
		return connector.Started{}, err
	}
	if code < 200 || code > 299 {
		err := w.answerError("initiate", code, answer, p.Phone)
		if connector.Refused(code) {
			return connector.Started{}, fmt.Errorf("%w: %w", connector.ErrRefused, err)
		}
		return connector.Started{}, err
	}
	var s session
	if json.Unmarshal(answer, &s) != nil || s.ID == "" || s.WaveLaunchURL == "" || s.reference() != p.SessionID {
		return connector.Started{}, w.answerError("initiate: want the checkout session of this payment", code, answer, p.Phone)
	}
	return connector.Started{Ref: s.ID, RedirectURL: s.WaveLaunchURL}, nil
}

// Status asks Wave where p stands: GET /v1/checkout/sessions/{ref}, or, with
// ref empty, GET /v1/checkout/sessions/search?client_reference={p.SessionID},
// of whose sessions for p's amount and currency it takes a succeeded one
// (any attempt's: the money is this session's), else the newest not expired;
// none is ErrNoPayment (no session the customer could still pay). A 404 from
// Wave wraps ErrNoPayment.
func (w *Connector) Status(ctx context.Context, p connector.Payment, ref string) (connector.Result, error) {
	if p.SessionID == "" {
		return connector.Result{}, fmt.Errorf("connector %s: status: empty session id", w.id)
	}
	if ref == "" {
		s, err := w.find(ctx, p)
		if err != nil {
			return connector.Result{}, err
		}
		return w.result("status", s, true)
	}
	code, answer, err := w.do(ctx, http.MethodGet, "/v1/checkout/sessions/"+url.PathEscape(ref), nil, "")
	if err != nil {
		return connector.Result{}, err
	}
	if code != http.StatusOK {
		return connector.Result{}, w.statusError("status", code, answer)
	}
	var s session
	if err := json.Unmarshal(answer, &s); err != nil {
		return connector.Result{}, fmt.Errorf("connector %s: status: invalid JSON: %w", w.id, err)
	}
	switch {
	case s.ID != ref:
		return connector.Result{}, fmt.Errorf("connector %s: status: asked for checkout session %q, Wave answered about %q", w.id, ref, s.ID)
	case s.reference() != p.SessionID:
		return connector.Result{}, fmt.Errorf("connector %s: status: checkout session %q is session %q's, not %q's", w.id, ref, s.reference(), p.SessionID)
	}
	return w.result("status", s, true)
}

// find searches the checkout sessions of p's caisse session and picks one,
// as Status says.
func (w *Connector) find(ctx context.Context, p connector.Payment) (session, error) {
	all, err := w.search(ctx, p)
	if err != nil {
		return session{}, err
	}
	if i := slices.IndexFunc(all, func(s session) bool { return s.PaymentStatus == paymentSucceeded }); i >= 0 {
		return all[i], nil
	}
	all = slices.DeleteFunc(all, func(s session) bool { return s.CheckoutStatus == checkoutExpired })
	if len(all) == 0 {
		return session{}, fmt.Errorf("%w: connector %s: Wave has no checkout session of session %q that can be paid", connector.ErrNoPayment, w.id, p.SessionID)
	}
	// RFC 3339 UTC times of one format sort as text; the stable sort keeps
	// Wave's order among sessions of the same second.
	slices.SortStableFunc(all, func(a, b session) int { return cmp.Compare(a.WhenCreated, b.WhenCreated) })
	return all[len(all)-1], nil
}

// search returns Wave's checkout sessions of p's caisse session for p's
// amount and currency.
func (w *Connector) search(ctx context.Context, p connector.Payment) ([]session, error) {
	target := "/v1/checkout/sessions/search?" + url.Values{"client_reference": {p.SessionID}}.Encode()
	code, answer, err := w.do(ctx, http.MethodGet, target, nil, "")
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, w.statusError("search", code, answer)
	}
	var found searchAnswer
	if err := json.Unmarshal(answer, &found); err != nil {
		return nil, fmt.Errorf("connector %s: search: invalid JSON: %w", w.id, err)
	}
	amount := formatAmount(p.Amount, p.Currency)
	return slices.DeleteFunc(found.Result, func(s session) bool {
		return s.ID == "" || s.reference() != p.SessionID || s.Amount != amount || s.Currency != p.Currency
	}), nil
}

// Callback verifies a webhook's Wave-Signature with the webhook secret and
// reads its checkout session: checkout.session.completed and
// checkout.session.payment_failed are understood, any other event type is
// ErrMalformed.
func (w *Connector) Callback(r *http.Request, body []byte) (connector.Result, error) {
	if err := verify(w.webhookSecret, r.Header.Get(headerSignature), body, w.now()); err != nil {
		return connector.Result{}, fmt.Errorf("%w: connector %s: %w", connector.ErrSignature, w.id, err)
	}
	var e event
	switch err := json.Unmarshal(body, &e); {
	case err != nil:
		return connector.Result{}, fmt.Errorf("%w: invalid JSON: %w", connector.ErrMalformed, err)
	case e.Type != eventCompleted && e.Type != eventFailed:
		return connector.Result{}, fmt.Errorf("%w: event type %q is not a checkout session's outcome", connector.ErrMalformed, e.Type)
	case e.Data.reference() == "":
		return connector.Result{}, fmt.Errorf("%w: checkout session %q has no client_reference", connector.ErrMalformed, e.Data.ID)
	}
	res, err := w.result("callback", e.Data, false)
	if err != nil {
		return connector.Result{}, fmt.Errorf("%w: %w", connector.ErrMalformed, err)
	}
	return res, nil
}

// Expire ends the checkout session ref so that it cannot be paid any more:
// POST /v1/checkout/sessions/{ref}/expire. With ref empty it ends every
// session of p's that is still open. Wave's 409 (already complete or
// expired) is success: nothing is left to pay; its 404 wraps ErrNoPayment.
func (w *Connector) Expire(ctx context.Context, p connector.Payment, ref string) error {
	if ref != "" {
		return w.expire(ctx, ref)
	}
	all, err := w.search(ctx, p)
	if err != nil {
		return err
	}
	all = slices.DeleteFunc(all, func(s session) bool { return s.CheckoutStatus != checkoutOpen })
	if len(all) == 0 {
		return fmt.Errorf("%w: connector %s: no open checkout session of session %q", connector.ErrNoPayment, w.id, p.SessionID)
	}
	for _, s := range all {
		if err := w.expire(ctx, s.ID); err != nil && !errors.Is(err, connector.ErrNoPayment) {
			return err
		}
	}
	return nil
}

func (w *Connector) expire(ctx context.Context, ref string) error {
	code, answer, err := w.do(ctx, http.MethodPost, "/v1/checkout/sessions/"+url.PathEscape(ref)+"/expire", nil, "")
	switch {
	case err != nil:
		return err
	case code == http.StatusConflict || (code >= 200 && code <= 299):
		return nil
	}
	return w.statusError("expire", code, answer)
}

// result reads a checkout session as caisse's Result (the package comment has
// the tables); pending is allowed only where asked (a status query).
func (w *Connector) result(what string, s session, pendingOK bool) (connector.Result, error) {
	res := connector.Result{SessionID: s.reference(), Ref: s.ID}
	switch {
	case s.ID == "":
		return connector.Result{}, fmt.Errorf("connector %s: %s: checkout session without id", w.id, what)
	case strings.ContainsRune(s.ID+s.reference(), 0):
		return connector.Result{}, fmt.Errorf("connector %s: %s: a NUL character in id or client_reference", w.id, what)
	case s.PaymentStatus == paymentSucceeded:
		res.Status = connector.StatusSucceeded
	case s.CheckoutStatus == checkoutExpired:
		res.Status, res.FailureReason = connector.StatusFailed, connector.ReasonTimeout
	case s.PaymentStatus == paymentCancelled:
		res.Status, res.FailureReason = connector.StatusFailed, connector.ReasonCustomerRejected
	case s.LastPaymentError != nil:
		res.Status, res.FailureReason = connector.StatusFailed, Reason(s.LastPaymentError.Code)
	case s.CheckoutStatus == checkoutComplete && s.PaymentStatus == paymentProcessing:
		res.Status = connector.StatusProcessing
	case s.CheckoutStatus == checkoutOpen && s.PaymentStatus == paymentProcessing && pendingOK:
		res.Status = connector.StatusPending
	default:
		return connector.Result{}, fmt.Errorf("connector %s: %s: checkout session %q has checkout_status %q and payment_status %q",
			w.id, what, s.ID, s.CheckoutStatus, s.PaymentStatus)
	}
	return res, nil
}

// Reason maps a Wave last_payment_error code onto caisse's failure reasons.
func Reason(code string) string {
	switch code {
	case "insufficient-funds":
		return connector.ReasonInsufficientFunds
	case "blocked-account", "payer-mobile-mismatch":
		return connector.ReasonPayerNotFound
	case "kyb-limits-exceeded":
		return connector.ReasonLimitExceeded
	}
	return connector.ReasonGenericDecline
}

// statusError describes a query's unexpected answer; Wave's own 404 (with
// its {"code":…}, not a proxy's page) wraps ErrNoPayment.
func (w *Connector) statusError(what string, code int, answer []byte) error {
	err := w.answerError(what, code, answer, "")
	var e apiError
	if code == http.StatusNotFound && json.Unmarshal(answer, &e) == nil && e.Code != "" {
		return fmt.Errorf("%w: %w", connector.ErrNoPayment, err)
	}
	return err
}

// do sends a request for target (a path and query) with the API key, the
// request signature when the key has a signing secret, and idem as
// Idempotency-Key when not empty; it returns Wave's status code and at most
// connector.MaxBody of its answer, within the timeout.
func (w *Connector) do(ctx context.Context, method, target string, body []byte, idem string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, w.base+target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("connector %s: %w", w.id, err)
	}
	req.Header.Set("Authorization", "Bearer "+w.apiKey)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idem != "" {
		req.Header.Set(headerIdempotency, idem)
	}
	if w.signingSecret != "" {
		req.Header.Set(headerSignature, sign(w.signingSecret, body, w.now()))
	}
	code, answer, err := connector.Exchange(w.client, req)
	if err != nil {
		return 0, nil, fmt.Errorf("connector %s: %w", w.id, err)
	}
	return code, answer, nil
}

// answerError quotes Wave's status code and the start of its answer, with
// the credentials and the customer's phone number masked (connector.Quote).
func (w *Connector) answerError(what string, code int, answer []byte, phone string) error {
	return fmt.Errorf("connector %s: %s: Wave answered %d: %q", w.id, what, code, connector.Quote(answer, phone,
		connector.Redaction{Value: w.apiKey, Label: "[secret]"},
		connector.Redaction{Value: w.webhookSecret, Label: "[secret]"},
		connector.Redaction{Value: w.signingSecret, Label: "[secret]"}))
}
