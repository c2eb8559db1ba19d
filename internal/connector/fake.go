package connector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caisse/caisse/internal/webhook"
)

// FakeStall is how long the fake operator holds a stalling fault's start
// answer unless told otherwise: longer than caisse's 10 s request timeout.
const FakeStall = 15 * time.Second

// Fault is a way the fake operator mishandles the start request of a new
// payment, so that tests see how caisse copes with an answer it cannot
// trust. A payment it makes plays TestScenario(phone): approve, for every
// fault's number.
type Fault struct {
	Name   string // start_timeout, start_502, silent_success, down
	Suffix string // the phone number's last 4 digits that select it
	Stall  bool   // the start answer is held for FakeOperator.Stall first
	Code   int    // the start answer's status code, with {"error":…}; 0 means 201 with the payment
	Silent bool   // no callback is sent: only a status query shows where the payment stands
	Drop   bool   // no payment is made; Code says what is answered
}

// FakeFaults lists the fake operator's faults, chosen like test scenarios by
// the phone number's last 4 digits. Only the start request of a new payment
// is mishandled: a retry of it (same attempt, same fields) is answered 200
// with the payment at once, as always. Test mode knows nothing of them.
var FakeFaults = []Fault{
	{Name: "start_timeout", Suffix: "0006", Stall: true},
	{Name: "start_502", Suffix: "0007", Code: http.StatusBadGateway},
	{Name: "silent_success", Suffix: "0008", Stall: true, Silent: true},
	{Name: "down", Suffix: "0009", Code: http.StatusServiceUnavailable, Drop: true},
}

// fakeFault returns the fault a phone number selects, or the zero Fault.
func fakeFault(phone string) Fault {
	for _, f := range FakeFaults {
		if strings.HasSuffix(phone, f.Suffix) {
			return f
		}
	}
	return Fault{}
}

// FakeOperator plays a mobile-money operator on localhost for caisse's live path: it accepts
// payment requests, and after Delay calls the callback_url back with the outcome that the
// phone number's test scenario chooses, signed with Secret. The numbers of FakeFaults
// make it misbehave.
type FakeOperator struct {
	Secret string
	Delay  time.Duration
	Stall  time.Duration // how long a stalling fault holds the start answer; 0 means FakeStall
	Client *http.Client  // nil: 10 s timeout client
	Log    *slog.Logger  // nil: discard
	Now    func() time.Time

	once      sync.Once
	log       *slog.Logger    // Log or a discarding logger
	client    *http.Client    // Client or defaultClient
	ctx       context.Context // cancelled by Close; ends pending callbacks
	cancel    context.CancelFunc
	wg        sync.WaitGroup // the callback goroutines and held start answers
	mu        sync.Mutex     // guards closed, payments and byAttempt
	closed    bool
	payments  map[string]*fakePayment // by id
	byAttempt map[string]*fakePayment // by caisse's attempt
}

// fakePayment is one payment the fake operator holds.
type fakePayment struct {
	req    paymentRequest
	state  paymentState
	silent bool // no callbacks
}

func (f *FakeOperator) init() {
	f.once.Do(func() {
		f.ctx, f.cancel = context.WithCancel(context.Background())
		f.payments = map[string]*fakePayment{}
		f.byAttempt = map[string]*fakePayment{}
		f.log, f.client = f.Log, f.Client
		if f.log == nil {
			f.log = slog.New(slog.DiscardHandler)
		}
		if f.client == nil {
			f.client = defaultClient
		}
	})
}

// ServeHTTP serves POST /v1/payments, GET /v1/payments?attempt=… and
// GET /v1/payments/{id}.
func (f *FakeOperator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.init()
	id, isItem := strings.CutPrefix(r.URL.Path, "/v1/payments/")
	switch {
	case r.URL.Path == "/v1/payments" && r.Method == http.MethodPost:
		f.create(w, r)
	case r.URL.Path == "/v1/payments" && r.Method == http.MethodGet:
		f.show(w, r, f.byAttempt, r.URL.Query().Get("attempt"))
	case isItem && id != "" && !strings.Contains(id, "/") && r.Method == http.MethodGet:
		f.show(w, r, f.payments, id)
	case r.URL.Path == "/v1/payments" || isItem:
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
	default:
		writeError(w, http.StatusNotFound, "no such route")
	}
}

// Close cancels the callbacks not yet delivered, ends the start answers being
// held and waits for both; afterwards new payments are refused with 503.
func (f *FakeOperator) Close() {
	f.init()
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.cancel()
	f.wg.Wait()
}

// verified reads r's body and checks its Caisse-Signature, answering 401 or
// 400 itself when it returns false.
func (f *FakeOperator) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "unreadable body")
		return nil, false
	}
	if f.Secret == "" {
		writeError(w, http.StatusUnauthorized, "operator has no secret")
		return nil, false
	}
	signed := requestContent(r.Method, signedTarget(r.URL), body)
	if err := webhook.Verify(signed, r.Header.Get(headerCaisseSignature), f.Secret, defaultTolerance, f.now()); err != nil {
		f.log.Warn("fake operator: refused request", "method", r.Method, "path", r.URL.Path, "error", err)
		writeError(w, http.StatusUnauthorized, "bad "+headerCaisseSignature+": "+err.Error())
		return nil, false
	}
	return body, true
}

// create serves POST /v1/payments.
func (f *FakeOperator) create(w http.ResponseWriter, r *http.Request) {
	body, ok := f.verified(w, r)
	if !ok {
		return
	}
	var req paymentRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON")
		return
	}
	if err := validRequest(req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	code, answer, stall := f.start(req)
	if stall {
		f.wait(r.Context(), f.stall())
		f.wg.Done()
	}
	WriteJSON(w, code, answer)
}

// start takes a valid payment request and returns the code and body to
// answer. A retry (same attempt, same fields) gets its payment; a new
// attempt gets a new payment, played in the background, unless the phone
// number's fault drops it. stall says the answer is to be held first: start
// then counts the hold in f.wg, and the caller calls f.wg.Done after it.
func (f *FakeOperator) start(req paymentRequest) (code int, answer any, stall bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return http.StatusServiceUnavailable, errorBody("shutting down"), false
	}
	if p, ok := f.byAttempt[req.Attempt]; ok { // a retry: idempotent by attempt
		if p.req != req {
			return http.StatusConflict, errorBody("attempt already used for a different payment"), false
		}
		return http.StatusOK, p.state, false
	}
	fault, sc := fakeFault(req.Phone), TestScenario(req.Phone)
	log := f.log.With("reference", req.Reference, "amount", req.Amount, "currency", req.Currency,
		"phone", MaskPhone(req.Phone), "scenario", sc.Name)
	if fault.Name != "" {
		log = log.With("fault", fault.Name)
	}
	if fault.Drop {
		log.Info("fake operator: payment dropped", "answer", fault.Code)
		return fault.Code, fault.errorBody(), false
	}
	p := &fakePayment{req: req, state: paymentState{ID: randomID("op_"), Reference: req.Reference, Status: StatusPending}, silent: fault.Silent}
	f.payments[p.state.ID], f.byAttempt[req.Attempt] = p, p
	log.Info("fake operator: payment requested", "id", p.state.ID)
	f.wg.Go(func() { f.play(p, sc) })
	if fault.Stall {
		f.wg.Add(1) // under f.mu and not closed: happens before Close's Wait
	}
	if fault.Code != 0 {
		return fault.Code, fault.errorBody(), fault.Stall
	}
	return http.StatusCreated, p.state, fault.Stall
}

// errorBody is the answer of a fault with a Code: {"error":"bad gateway"}.
func (ft Fault) errorBody() map[string]string {
	return errorBody(strings.ToLower(http.StatusText(ft.Code)))
}

// validRequest checks a payment request's fields.
func validRequest(req paymentRequest) error {
	switch {
	case req.Reference == "" || len(req.Reference) > 255:
		return errors.New("reference must be 1 to 255 bytes")
	case req.Attempt == "" || len(req.Attempt) > 255:
		return errors.New("attempt must be 1 to 255 bytes")
	case req.Amount <= 0:
		return errors.New("amount must be a positive integer of minor units")
	case len(req.Currency) != 3 || strings.ToUpper(req.Currency) != req.Currency ||
		strings.ContainsFunc(req.Currency, func(c rune) bool { return c < 'A' || c > 'Z' }):
		return errors.New("currency must be an ISO 4217 code such as XOF")
	case !e164(req.Phone):
		return errors.New("phone must be E.164, such as +2250707000001")
	case req.Channel != "" && !slices.Contains(Channels, req.Channel):
		return fmt.Errorf("channel must be one of %s", strings.Join(Channels, ", "))
	}
	if !AbsoluteURL(req.CallbackURL) {
		return errors.New("callback_url must be an absolute http(s) URL")
	}
	return nil
}

// e164 says whether s looks like an E.164 number: + and 8 to 15 digits.
func e164(s string) bool {
	d, ok := strings.CutPrefix(s, "+")
	return ok && len(d) >= 8 && len(d) <= 15 && !strings.ContainsFunc(d, func(c rune) bool { return c < '0' || c > '9' })
}

// show answers a signed status query with the payment that m (payments or
// byAttempt) holds under key, or 404.
func (f *FakeOperator) show(w http.ResponseWriter, r *http.Request, m map[string]*fakePayment, key string) {
	if _, ok := f.verified(w, r); !ok {
		return
	}
	if key == "" {
		writeError(w, http.StatusBadRequest, "attempt query parameter is required")
		return
	}
	f.mu.Lock()
	p, ok := m[key]
	var s paymentState
	if ok {
		s = p.state
	}
	f.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "no such payment")
		return
	}
	WriteJSON(w, http.StatusOK, s)
}

// play waits Delay, then moves the payment through the scenario's statuses,
// calling caisse back after each change unless the payment is silent.
func (f *FakeOperator) play(p *fakePayment, sc Scenario) {
	if !f.wait(f.ctx, f.Delay) {
		return
	}
	for _, status := range sc.Statuses {
		f.mu.Lock()
		p.state.Status = status
		if status == StatusFailed {
			p.state.FailureReason = sc.FailureReason
		}
		s := p.state
		f.mu.Unlock()
		if p.silent {
			f.log.Info("fake operator: callback withheld", "id", s.ID, "reference", s.Reference, "status", s.Status)
			continue
		}
		if !f.deliver(p.req.CallbackURL, s) && f.ctx.Err() != nil {
			return
		}
	}
}

// deliver posts one signed callback, retrying a failure (Deliver), and says
// whether caisse took it.
func (f *FakeOperator) deliver(callbackURL string, s paymentState) bool {
	body, _ := json.Marshal(s) // strings only: cannot fail
	log := f.log.With("id", s.ID, "reference", s.Reference, "status", s.Status)
	return Deliver(f.ctx, log, "fake operator: callback", func() error {
		h := http.Header{headerOperatorSignature: {webhook.Sign(f.Secret, body, f.now())}}
		return PostJSON(f.ctx, f.client, callbackURL, h, body, "caisse")
	})
}

// wait sleeps d and says whether it did: ctx ending or Close cut it short.
func (f *FakeOperator) wait(ctx context.Context, d time.Duration) bool {
	return Sleep(ctx, f.ctx, d)
}

func (f *FakeOperator) stall() time.Duration {
	if f.Stall > 0 {
		return f.Stall
	}
	return FakeStall
}

func (f *FakeOperator) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// writeError answers code with {"error": msg}.
func writeError(w http.ResponseWriter, code int, msg string) {
	WriteJSON(w, code, errorBody(msg))
}

// errorBody is the protocol's error answer, {"error": msg}.
func errorBody(msg string) map[string]string {
	return map[string]string{"error": msg}
}
