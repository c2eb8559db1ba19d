package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/caisse/caisse/internal/webhook"
)

// The operator protocol's signature headers; docs/connectors.md describes them.
const (
	headerCaisseSignature   = "Caisse-Signature"   // on caisse's requests to the operator
	headerOperatorSignature = "Operator-Signature" // on the operator's callbacks to caisse
)

const (
	defaultTolerance = 5 * time.Minute // signature timestamp tolerance, both directions
)

// DefaultTimeout bounds a request to the operator, or a callback attempt of
// the fake operator, unless set otherwise.
const DefaultTimeout = 10 * time.Second

// defaultClient is used when a fake operator has no Client.
var defaultClient = &http.Client{Timeout: DefaultTimeout}

// paymentRequest is the body of POST /v1/payments.
type paymentRequest struct {
	Reference   string `json:"reference"`
	Attempt     string `json:"attempt"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	Phone       string `json:"phone"`
	Channel     string `json:"channel"`
	CallbackURL string `json:"callback_url"`
}

// paymentState is what an operator says about a payment: the body of its
// callbacks, of its status answers and of its answer to POST /v1/payments.
type paymentState struct {
	ID            string `json:"id"`
	Reference     string `json:"reference"`
	Status        string `json:"status"`
	FailureReason string `json:"failure_reason,omitempty"`
}

var _ Connector = (*HTTP)(nil)

// HTTP is the live connector: it speaks caisse's operator protocol (docs/connectors.md) to one operator.
type HTTP struct {
	ConnectorName string           // as in /v1/connectors/{name}/callback
	BaseURL       string           // the operator's API, e.g. https://api.operator.example
	Secret        string           // shared HMAC secret, both directions
	CallbackURL   string           // where the operator posts results: {CAISSE_PUBLIC_URL}/v1/connectors/{name}/callback
	Client        *http.Client     // nil means http.DefaultClient; Timeout applies to either
	Timeout       time.Duration    // of each request to the operator, answer included; 0 means 10 s
	Now           func() time.Time // nil means time.Now
	Tolerance     time.Duration    // callback timestamp tolerance; 0 means 5 minutes
}

// HTTPKind is the generic connector: an operator or aggregator that speaks
// caisse's own operator protocol (docs/connectors.md).
var HTTPKind = Kind{
	Name: "http", Flow: FlowPush, Doc: "caisse operator protocol v2 (docs/connectors.md)",
	Credentials: []Credential{{Name: "secret", Secret: true, Doc: "the HMAC secret shared with the operator, both directions"}},
	New: func(c Config) (Connector, error) {
		return &HTTP{ConnectorName: c.ID, BaseURL: c.BaseURL, Secret: c.Credentials["secret"], CallbackURL: c.CallbackURL,
			Client: c.Client, Timeout: c.Timeout, Now: c.Now}, nil
	},
}

// Name is ConnectorName.
func (h *HTTP) Name() string { return h.ConnectorName }

// Flow is FlowPush.
func (h *HTTP) Flow() string { return FlowPush }

// Initiate posts p to the operator's /v1/payments and returns the id it answers.
// Its errors quote the operator's status code and the start of its answer, with
// the secret and the customer's phone number masked. Only a 4xx other than 408,
// 409, 425 and 429 wraps ErrRefused; every other error is ambiguous.
func (h *HTTP) Initiate(ctx context.Context, p Payment) (Started, error) {
	body, err := json.Marshal(paymentRequest{
		Reference: p.SessionID, Attempt: p.Attempt, Amount: p.Amount, Currency: p.Currency,
		Phone: p.Phone, Channel: p.Channel, CallbackURL: h.CallbackURL,
	})
	if err != nil {
		return Started{}, fmt.Errorf("connector %s: encode payment: %w", h.ConnectorName, err)
	}
	code, answer, err := h.do(ctx, http.MethodPost, "/v1/payments", body)
	if err != nil {
		return Started{}, err
	}
	if code < 200 || code > 299 {
		err := h.answerError("initiate", code, answer, p.Phone)
		if Refused(code) {
			return Started{}, fmt.Errorf("%w: %w", ErrRefused, err)
		}
		return Started{}, err
	}
	var s paymentState
	if err := json.Unmarshal(answer, &s); err != nil || s.ID == "" || !known(s.Status, true) {
		return Started{}, h.answerError("initiate: want JSON with id and status", code, answer, p.Phone)
	}
	return Started{Ref: s.ID}, nil
}

// Callback verifies the Operator-Signature header of an operator's callback
// against body and returns what the callback says. Any signature problem wraps
// ErrSignature; a well-signed body that is not a valid callback wraps
// ErrMalformed, with a message that may be shown to the operator.
func (h *HTTP) Callback(r *http.Request, body []byte) (Result, error) {
	if h.Secret == "" {
		return Result{}, fmt.Errorf("%w: connector %s has no secret", ErrSignature, h.ConnectorName)
	}
	if err := webhook.Verify(body, r.Header.Get(headerOperatorSignature), h.Secret, h.tolerance(), h.now()); err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrSignature, err)
	}
	res, err := decodeState(body, false)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return res, nil
}

// Status asks the operator where payment p stands: GET /v1/payments/{ref},
// or GET /v1/payments?attempt={p.Attempt} when ref is empty. A 404 with the
// protocol's {"error":…} wraps ErrNoPayment. An answer about another payment
// (id or reference) is an error.
func (h *HTTP) Status(ctx context.Context, p Payment, ref string) (Result, error) {
	sessionID := p.SessionID
	if sessionID == "" || (ref == "" && p.Attempt == "") {
		return Result{}, fmt.Errorf("connector %s: status: empty session id, or neither ref nor attempt", h.ConnectorName)
	}
	target := "/v1/payments?" + url.Values{"attempt": {p.Attempt}}.Encode()
	if ref != "" {
		target = "/v1/payments/" + url.PathEscape(ref)
	}
	code, answer, err := h.do(ctx, http.MethodGet, target, nil)
	if err != nil {
		return Result{}, err
	}
	if code != http.StatusOK {
		err := h.answerError("status", code, answer, "")
		if code == http.StatusNotFound && isErrorAnswer(answer) {
			return Result{}, fmt.Errorf("%w: %w", ErrNoPayment, err)
		}
		return Result{}, err
	}
	res, err := decodeState(answer, true)
	switch {
	case err != nil:
		return Result{}, fmt.Errorf("connector %s: status: %w", h.ConnectorName, err)
	case ref != "" && res.Ref != ref:
		return Result{}, fmt.Errorf("connector %s: status: asked for payment %q, operator answered about %q", h.ConnectorName, ref, res.Ref)
	case res.SessionID != sessionID:
		return Result{}, fmt.Errorf("connector %s: status: asked about session %q, operator answered about %q", h.ConnectorName, sessionID, res.SessionID)
	}
	return res, nil
}

// isErrorAnswer says whether body is the protocol's {"error":"<message>"}, so
// that a 404 page of a proxy in front of the operator is not taken for its word.
func isErrorAnswer(body []byte) bool {
	var e struct {
		Error string `json:"error"`
	}
	return json.Unmarshal(body, &e) == nil && e.Error != ""
}

// SignRequest is the Caisse-Signature of a request to the operator. It signs
// the method, a space, the request target, a newline, then the body, so that
// a captured signature is good for that one request only. The target is the
// escaped path, then, if the query is not empty, ? and the raw query as sent:
// "GET /v1/payments/op_1\n", "GET /v1/payments?attempt=at_1\n".
func SignRequest(secret, method, target string, body []byte, t time.Time) string {
	return webhook.Sign(secret, requestContent(method, target, body), t)
}

func requestContent(method, target string, body []byte) []byte {
	return append([]byte(method+" "+target+"\n"), body...)
}

// signedTarget is the request target of u that SignRequest takes.
func signedTarget(u *url.URL) string {
	if u.RawQuery == "" {
		return u.EscapedPath()
	}
	return u.EscapedPath() + "?" + u.RawQuery
}

// do sends a signed request for target (a path and query) to the operator and
// returns its status code and (at most MaxBody of) its body, within Timeout.
func (h *HTTP) do(ctx context.Context, method, target string, body []byte) (int, []byte, error) {
	if h.Secret == "" || h.BaseURL == "" {
		return 0, nil, fmt.Errorf("connector %s: base URL and secret are required", h.ConnectorName)
	}
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	ctx, cancel := context.WithTimeout(ctx, h.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(h.BaseURL, "/")+target, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("connector %s: %w", h.ConnectorName, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set(headerCaisseSignature, SignRequest(h.Secret, req.Method, signedTarget(req.URL), body, h.now()))
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	code, answer, err := Exchange(client, req)
	if err != nil {
		return 0, nil, fmt.Errorf("connector %s: %w", h.ConnectorName, err)
	}
	return code, answer, nil
}

// answerError describes an operator's unexpected answer: its status code and
// the start of its body, with the secret and phone (which an operator may
// echo) masked (Quote).
func (h *HTTP) answerError(what string, code int, answer []byte, phone string) error {
	return fmt.Errorf("connector %s: %s: operator answered %d: %q", h.ConnectorName, what, code,
		Quote(answer, phone, Redaction{h.Secret, "[secret]"}))
}

func (h *HTTP) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *HTTP) timeout() time.Duration {
	if h.Timeout > 0 {
		return h.Timeout
	}
	return DefaultTimeout
}

func (h *HTTP) tolerance() time.Duration {
	if h.Tolerance > 0 {
		return h.Tolerance
	}
	return defaultTolerance
}

// decodeState parses and checks an operator's paymentState, whose texts
// must hold no NUL character (no database stores one); pending is allowed
// only where asked (a status query, not a callback).
func decodeState(body []byte, pendingOK bool) (Result, error) {
	var s paymentState
	if err := json.Unmarshal(body, &s); err != nil {
		return Result{}, fmt.Errorf("invalid JSON: %w", err)
	}
	switch {
	case s.ID == "":
		return Result{}, errors.New("no id")
	case s.Reference == "":
		return Result{}, errors.New("no reference")
	case strings.ContainsRune(s.ID+s.Reference+s.FailureReason, 0): // JSON decoding leaves no invalid UTF-8
		return Result{}, errors.New("a NUL character in id, reference or failure_reason")
	case !known(s.Status, pendingOK):
		return Result{}, fmt.Errorf("unknown status %q", s.Status)
	}
	if s.Status != StatusFailed {
		s.FailureReason = ""
	}
	return Result{SessionID: s.Reference, Ref: s.ID, Status: s.Status, FailureReason: s.FailureReason}, nil
}

// known says whether status is one an operator may report.
func known(status string, pendingOK bool) bool {
	switch status {
	case StatusProcessing, StatusSucceeded, StatusFailed:
		return true
	case StatusPending:
		return pendingOK
	}
	return false
}
