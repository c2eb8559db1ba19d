package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caisse/caisse/internal/webhook"
)

// Callback delivery retries of the fake operator.
const (
	fakeAttempts = 5                      // tries per callback
	fakeBackoff  = 200 * time.Millisecond // wait after the first failed try, doubling
)

// FakeOperator plays a mobile-money operator on localhost for caisse's live path: it accepts
// payment requests, and after Delay calls the callback_url back with the outcome that the
// phone number's test scenario chooses, signed with Secret.
type FakeOperator struct {
	Secret string
	Delay  time.Duration
	Client *http.Client // nil: 10 s timeout client
	Log    *slog.Logger // nil: discard
	Now    func() time.Time

	once     sync.Once
	log      *slog.Logger    // Log or a discarding logger
	client   *http.Client    // Client or defaultClient
	ctx      context.Context // cancelled by Close; ends pending callbacks
	cancel   context.CancelFunc
	wg       sync.WaitGroup // the callback goroutines
	mu       sync.Mutex     // guards closed, payments and byRef
	closed   bool
	payments map[string]*fakePayment // by id
	byRef    map[string]*fakePayment // by caisse's reference
}

// fakePayment is one payment the fake operator holds.
type fakePayment struct {
	req   paymentRequest
	state paymentState
}

func (f *FakeOperator) init() {
	f.once.Do(func() {
		f.ctx, f.cancel = context.WithCancel(context.Background())
		f.payments = map[string]*fakePayment{}
		f.byRef = map[string]*fakePayment{}
		f.log, f.client = f.Log, f.Client
		if f.log == nil {
			f.log = slog.New(slog.DiscardHandler)
		}
		if f.client == nil {
			f.client = defaultClient
		}
	})
}

// ServeHTTP serves POST /v1/payments and GET /v1/payments/{id}.
func (f *FakeOperator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.init()
	id, isItem := strings.CutPrefix(r.URL.Path, "/v1/payments/")
	switch {
	case r.URL.Path == "/v1/payments" && r.Method == http.MethodPost:
		f.create(w, r)
	case isItem && id != "" && !strings.Contains(id, "/") && r.Method == http.MethodGet:
		f.get(w, r, id)
	case r.URL.Path == "/v1/payments" || isItem:
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
	default:
		writeError(w, http.StatusNotFound, "no such route")
	}
}

// Close cancels the callbacks not yet delivered and waits for their
// goroutines; afterwards new payments are refused with 503.
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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "unreadable body")
		return nil, false
	}
	if f.Secret == "" {
		writeError(w, http.StatusUnauthorized, "operator has no secret")
		return nil, false
	}
	signed := requestContent(r.Method, r.URL.EscapedPath(), body)
	if err := webhook.Verify(signed, r.Header.Get(headerCaisseSignature), f.Secret, defaultTolerance, f.now()); err != nil {
		f.log.Warn("fake operator: refused request", "method", r.Method, "path", r.URL.Path, "error", err)
		writeError(w, http.StatusUnauthorized, "bad "+headerCaisseSignature+": "+err.Error())
		return nil, false
	}
	return body, true
}

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

	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		writeError(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	if p, ok := f.byRef[req.Reference]; ok { // a retry: idempotent by reference
		if p.req != req {
			writeError(w, http.StatusConflict, "reference already used for a different payment")
			return
		}
		writeJSON(w, http.StatusOK, p.state)
		return
	}
	p := &fakePayment{req: req, state: paymentState{ID: randomID("op_"), Reference: req.Reference, Status: StatusPending}}
	f.payments[p.state.ID], f.byRef[req.Reference] = p, p
	sc := TestScenario(req.Phone)
	f.log.Info("fake operator: payment requested", "id", p.state.ID, "reference", req.Reference,
		"amount", req.Amount, "currency", req.Currency, "phone", maskPhone(req.Phone), "scenario", sc.Name)
	f.wg.Go(func() { f.play(p, sc) })
	writeJSON(w, http.StatusCreated, p.state)
}

// validRequest checks a payment request's fields.
func validRequest(req paymentRequest) error {
	switch {
	case req.Reference == "" || len(req.Reference) > 255:
		return errors.New("reference must be 1 to 255 bytes")
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
	u, err := url.Parse(req.CallbackURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("callback_url must be an absolute http(s) URL")
	}
	return nil
}

// e164 says whether s looks like an E.164 number: + and 8 to 15 digits.
func e164(s string) bool {
	d, ok := strings.CutPrefix(s, "+")
	return ok && len(d) >= 8 && len(d) <= 15 && !strings.ContainsFunc(d, func(c rune) bool { return c < '0' || c > '9' })
}

func (f *FakeOperator) get(w http.ResponseWriter, r *http.Request, id string) {
	if _, ok := f.verified(w, r); !ok {
		return
	}
	f.mu.Lock()
	p, ok := f.payments[id]
	var s paymentState
	if ok {
		s = p.state
	}
	f.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "no such payment")
		return
	}
	writeJSON(w, http.StatusOK, s)
}

// play waits Delay, then moves the payment through the scenario's statuses,
// calling caisse back after each change.
func (f *FakeOperator) play(p *fakePayment, sc Scenario) {
	t := time.NewTimer(f.Delay)
	defer t.Stop()
	select {
	case <-f.ctx.Done():
		return
	case <-t.C:
	}
	for _, status := range sc.Statuses {
		f.mu.Lock()
		p.state.Status = status
		if status == StatusFailed {
			p.state.FailureReason = sc.FailureReason
		}
		s := p.state
		f.mu.Unlock()
		if !f.deliver(p.req.CallbackURL, s) && f.ctx.Err() != nil {
			return
		}
	}
}

// deliver posts one signed callback, retrying a failure with a doubling
// backoff, and says whether caisse took it.
func (f *FakeOperator) deliver(callbackURL string, s paymentState) bool {
	body, _ := json.Marshal(s) // strings only: cannot fail
	log := f.log.With("id", s.ID, "reference", s.Reference, "status", s.Status)
	wait := fakeBackoff
	for attempt := 1; ; attempt++ {
		err := f.post(callbackURL, body)
		if err == nil {
			log.Info("fake operator: callback delivered", "attempt", attempt)
			return true
		}
		if attempt == fakeAttempts || f.ctx.Err() != nil {
			log.Warn("fake operator: callback given up", "attempt", attempt, "error", err)
			return false
		}
		log.Warn("fake operator: callback failed, will retry", "attempt", attempt, "error", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-f.ctx.Done():
			t.Stop()
			log.Warn("fake operator: callback cancelled", "attempt", attempt)
			return false
		case <-t.C:
		}
		wait *= 2
	}
}

// post makes one callback attempt; any answer but 2xx is an error.
func (f *FakeOperator) post(callbackURL string, body []byte) error {
	req, err := http.NewRequestWithContext(f.ctx, http.MethodPost, callbackURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(headerOperatorSignature, webhook.Sign(f.Secret, body, f.now()))
	resp, err := f.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("caisse answered %d", resp.StatusCode)
	}
	return nil
}

func (f *FakeOperator) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// writeJSON answers code with v as JSON.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers code with {"error": msg}.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
