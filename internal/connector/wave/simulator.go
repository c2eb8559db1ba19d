package wave

import (
	"cmp"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caisse/caisse/internal/connector"
)

// Simulator defaults.
const (
	// SimStall is how long a stalling scenario holds the answer to a new
	// checkout session unless told otherwise: longer than caisse's 10 s timeout.
	SimStall = 15 * time.Second
	// SimExpiry is how long a simulated checkout session stays open unless
	// told otherwise.
	SimExpiry = 30 * time.Minute
)

// Scenario is what the simulated customer does, chosen by the last 4 digits
// of a Wave number: the one typed on the payment page, or, for Stall, the
// session's restrict_payer_mobile.
type Scenario struct {
	Name   string
	Suffix string
	Error  string // the payment fails with this last_payment_error code (the session stays open)
	Cancel bool   // the customer cancels: payment_status cancelled
	Wait   bool   // the customer never approves in the app: the session stays open until it expires
	Stall  bool   // at creation: the answer is held for Stall, and the customer pays all the same
	Silent bool   // the payment succeeds but no webhook is sent
	Late   bool   // fails with insufficient-funds, then, after Delay, succeeds
}

// Scenarios lists the simulator's magic numbers; any other number approves.
// The suffixes 0001 to 0004 choose what caisse's test mode chooses.
var Scenarios = []Scenario{
	{Name: "approve", Suffix: "0001"},
	{Name: "decline", Suffix: "0002", Error: "insufficient-funds"},
	{Name: "reject", Suffix: "0003", Cancel: true},
	{Name: "no_answer", Suffix: "0004", Wait: true},
	{Name: "start_timeout", Suffix: "0006", Stall: true},
	{Name: "silent_success", Suffix: "0008", Silent: true},
	{Name: "late_success", Suffix: "0010", Late: true},
	{Name: "blocked_account", Suffix: "0011", Error: "blocked-account"},
	{Name: "kyb_limits", Suffix: "0012", Error: "kyb-limits-exceeded"},
}

// ScenarioFor returns the scenario phone chooses: approve unless its last 4
// digits are another scenario's.
func ScenarioFor(phone string) Scenario {
	for _, sc := range Scenarios[1:] {
		if strings.HasSuffix(phone, sc.Suffix) {
			return sc
		}
	}
	return Scenarios[0]
}

// Merchant is one Wave business wallet the simulator knows.
type Merchant struct {
	APIKey        string // Authorization: Bearer APIKey
	SigningSecret string // when set, every API request must carry a valid Wave-Signature
	WebhookURL    string // where its webhooks go, as registered in Wave's portal; "" sends none
	WebhookSecret string // signs its webhooks (the Signing secret strategy); "" sends them unsigned
	BusinessName  string // shown on the payment page; "" means "Simulated business"
}

// Request is one request the simulator received.
type Request struct {
	Method, Path   string
	APIKey         string // the bearer key, masked but for its "wave_" prefix and last 4 characters; "" without one
	Signed         bool   // it carried a Wave-Signature valid for its merchant's signing secret
	IdempotencyKey string
}

// Simulator plays Wave's Checkout API (docs.wave.com/checkout) and its
// webhooks, and, at each session's wave_launch_url, the page standing for
// the Wave app where the customer types a Wave number and pays or cancels.
// Scenarios says what each number does. It is an http.Handler; Close it.
type Simulator struct {
	// Merchants are the wallets whose API keys are accepted. When empty, any
	// well-formed key ("wave_" and at least 11 more printable characters) is
	// accepted, unsigned, with WebhookURL and WebhookSecret below.
	Merchants     []Merchant
	WebhookURL    string
	WebhookSecret string
	PublicURL     string        // the root of wave_launch_url; "" means http://{the request's Host}
	Delay         time.Duration // before each outcome
	Stall         time.Duration // how long a Stall scenario holds its answer; 0 means SimStall
	Expiry        time.Duration // a session's lifetime; 0 means SimExpiry
	Client        *http.Client  // for webhooks; nil means a client with connector.DefaultTimeout
	Log           *slog.Logger  // nil discards
	Now           func() time.Time

	once     sync.Once
	mux      *http.ServeMux
	ctx      context.Context // cancelled by Close
	cancel   context.CancelFunc
	wg       sync.WaitGroup // outcomes being played and answers being held
	mu       sync.Mutex     // guards what follows
	closed   bool
	sessions []*simSession          // in creation order
	byID     map[string]*simSession // by checkout session id
	byIdem   map[string]*simSession // by API key, NUL, Idempotency-Key
	requests []Request
}

// simSession is one checkout session the simulator holds.
type simSession struct {
	s        session
	merchant Merchant
	req      createRequest // as created, for idempotent retries
}

func (sim *Simulator) init() {
	sim.once.Do(func() {
		sim.ctx, sim.cancel = context.WithCancel(context.Background())
		sim.byID, sim.byIdem = map[string]*simSession{}, map[string]*simSession{}
		if sim.Log == nil {
			sim.Log = slog.New(slog.DiscardHandler)
		}
		if sim.Client == nil {
			sim.Client = &http.Client{Timeout: connector.DefaultTimeout}
		}
		m := http.NewServeMux()
		m.HandleFunc("POST /v1/checkout/sessions", sim.api(sim.create))
		m.HandleFunc("GET /v1/checkout/sessions/search", sim.api(sim.search))
		m.HandleFunc("GET /v1/checkout/sessions/{id}", sim.api(sim.get))
		m.HandleFunc("POST /v1/checkout/sessions/{id}/expire", sim.api(sim.expire))
		m.HandleFunc("GET /c/{id}", sim.page)
		m.HandleFunc("POST /c/{id}", sim.pay)
		sim.mux = m
	})
}

// ServeHTTP serves Wave's checkout endpoints and the payment pages.
func (sim *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sim.init()
	sim.mux.ServeHTTP(w, r)
}

// Close cancels the outcomes not yet played and the answers being held,
// and waits for them; afterwards new sessions are refused with 503.
func (sim *Simulator) Close() {
	sim.init()
	sim.mu.Lock()
	sim.closed = true
	sim.mu.Unlock()
	sim.cancel()
	sim.wg.Wait()
}

// Requests returns every request received so far, in order.
func (sim *Simulator) Requests() []Request {
	sim.init()
	sim.mu.Lock()
	defer sim.mu.Unlock()
	return slices.Clone(sim.requests)
}

// apiHandler serves an authenticated API request whose body has been read.
type apiHandler func(w http.ResponseWriter, r *http.Request, m Merchant, body []byte)

// api authenticates a request as Wave does (bearer API key, and the request
// signature when the key has a signing secret), records it, and hands it on.
func (sim *Simulator) api(next apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, connector.MaxBody))
		auth := r.Header.Get("Authorization")
		key, bearer := strings.CutPrefix(auth, "Bearer ")
		m, known := sim.merchant(key)
		signed := known && m.SigningSecret != "" && verify(m.SigningSecret, r.Header.Get(headerSignature), body, sim.now()) == nil
		sim.mu.Lock()
		sim.requests = append(sim.requests, Request{Method: r.Method, Path: r.URL.Path, APIKey: maskKey(key),
			Signed: signed, IdempotencyKey: r.Header.Get(headerIdempotency)})
		sim.mu.Unlock()
		switch {
		case err != nil:
			writeError(w, http.StatusBadRequest, "request-validation-error", "unreadable body")
		case auth == "":
			writeError(w, http.StatusUnauthorized, "missing-auth-header", "the Authorization header is missing")
		case !bearer || key == "":
			writeError(w, http.StatusUnauthorized, "invalid-auth", "the Authorization header must be Bearer and an API key")
		case !known:
			writeError(w, http.StatusUnauthorized, "no-matching-api-key", "no API key matches")
		case m.SigningSecret != "" && !signed:
			writeError(w, http.StatusUnauthorized, "invalid-signature", "this API key requires a valid "+headerSignature)
		default:
			next(w, r, m, body)
		}
	}
}

var wellFormedKey = regexp.MustCompile(`^wave_[\x21-\x7e]{11,}$`)

// merchant returns the wallet of an API key, and whether it is accepted.
func (sim *Simulator) merchant(key string) (Merchant, bool) {
	if len(sim.Merchants) == 0 {
		return Merchant{APIKey: key, WebhookURL: sim.WebhookURL, WebhookSecret: sim.WebhookSecret}, wellFormedKey.MatchString(key)
	}
	i := slices.IndexFunc(sim.Merchants, func(m Merchant) bool { return m.APIKey == key })
	if i < 0 {
		return Merchant{}, false
	}
	return sim.Merchants[i], true
}

var (
	xofAmount = regexp.MustCompile(`^[1-9][0-9]{0,14}$`)
	e164      = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)
)

// create serves POST /v1/checkout/sessions.
func (sim *Simulator) create(w http.ResponseWriter, r *http.Request, m Merchant, body []byte) {
	var req createRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "request-validation-error", "the body is not a JSON object")
		return
	}
	if problem := validCreate(req); problem != "" {
		writeError(w, http.StatusBadRequest, "request-validation-error", problem)
		return
	}
	idem := r.Header.Get(headerIdempotency)
	sim.mu.Lock()
	if sim.closed {
		sim.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "service-unavailable", "shutting down")
		return
	}
	if ss, ok := sim.byIdem[m.APIKey+"\x00"+idem]; ok && idem != "" { // a retry
		same, s := ss.req == req, sim.view(ss)
		sim.mu.Unlock()
		if !same {
			writeError(w, http.StatusConflict, "idempotency-mismatch", "this Idempotency-Key was used for another request")
			return
		}
		connector.WriteJSON(w, http.StatusOK, s)
		return
	}
	now := sim.now().UTC()
	ss := &simSession{merchant: m, req: req, s: session{
		ID: "cos-" + connector.RandomHex(7), Amount: req.Amount, Currency: req.Currency, BusinessName: cmp.Or(m.BusinessName, "Simulated business"),
		CheckoutStatus: checkoutOpen, PaymentStatus: paymentProcessing, ClientReference: optional(req.ClientReference),
		RestrictPayerMobile: optional(req.RestrictPayerMobile), SuccessURL: req.SuccessURL, ErrorURL: req.ErrorURL,
		WhenCreated: stamp(now), WhenExpires: stamp(now.Add(cmp.Or(sim.Expiry, SimExpiry))),
	}}
	ss.s.WaveLaunchURL = sim.publicURL(r) + "/c/" + ss.s.ID
	sim.sessions = append(sim.sessions, ss)
	sim.byID[ss.s.ID] = ss
	if idem != "" {
		sim.byIdem[m.APIKey+"\x00"+idem] = ss
	}
	s, sc := ss.s, ScenarioFor(req.RestrictPayerMobile)
	if sc.Stall {
		sim.wg.Add(1) // the held answer; under mu and not closed: happens before Close's Wait
		sim.wg.Go(func() { sim.play(ss, false, paid) })
	}
	sim.mu.Unlock()
	sim.Log.Info("wave simulator: checkout session created", "id", s.ID, "client_reference", req.ClientReference,
		"amount", req.Amount, "currency", req.Currency, "payer", connector.MaskPhone(req.RestrictPayerMobile), "api_key", maskKey(m.APIKey))
	if sc.Stall {
		sim.wait(r.Context(), cmp.Or(sim.Stall, SimStall))
		sim.wg.Done()
	}
	connector.WriteJSON(w, http.StatusOK, s)
}

// validCreate says what is wrong with a create request, or "".
func validCreate(req createRequest) string {
	switch {
	case req.Currency != "XOF":
		return "currency: the simulator's wallet takes XOF"
	case !xofAmount.MatchString(req.Amount):
		return "amount: a string of whole XOF without leading zeros, such as \"1000\""
	case len(req.ClientReference) > 255:
		return "client_reference: at most 255 characters"
	case req.RestrictPayerMobile != "" && !e164.MatchString(req.RestrictPayerMobile):
		return "restrict_payer_mobile: an E.164 number such as +221761110000"
	case !connector.AbsoluteURL(req.SuccessURL) || !connector.AbsoluteURL(req.ErrorURL):
		return "success_url and error_url: absolute http(s) URLs"
	}
	return ""
}

// search serves GET /v1/checkout/sessions/search?client_reference=….
func (sim *Simulator) search(w http.ResponseWriter, r *http.Request, m Merchant, _ []byte) {
	ref := r.URL.Query().Get("client_reference")
	if ref == "" {
		writeError(w, http.StatusBadRequest, "request-validation-error", "client_reference: required")
		return
	}
	found := searchAnswer{Result: []session{}}
	sim.mu.Lock()
	for _, ss := range sim.sessions {
		if ss.merchant.APIKey == m.APIKey && ss.req.ClientReference == ref {
			found.Result = append(found.Result, sim.view(ss))
		}
	}
	sim.mu.Unlock()
	connector.WriteJSON(w, http.StatusOK, found)
}

// get serves GET /v1/checkout/sessions/{id}.
func (sim *Simulator) get(w http.ResponseWriter, r *http.Request, m Merchant, _ []byte) {
	sim.mu.Lock()
	ss, ok := sim.byID[r.PathValue("id")]
	var s session
	if ok = ok && ss.merchant.APIKey == m.APIKey; ok {
		s = sim.view(ss)
	}
	sim.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "checkout-session-not-found", "no such checkout session")
		return
	}
	connector.WriteJSON(w, http.StatusOK, s)
}

// expire serves POST /v1/checkout/sessions/{id}/expire: 200 without a body,
// 409 when the session is no longer open.
func (sim *Simulator) expire(w http.ResponseWriter, r *http.Request, m Merchant, _ []byte) {
	sim.mu.Lock()
	ss, ok := sim.byID[r.PathValue("id")]
	ok = ok && ss.merchant.APIKey == m.APIKey
	open := ok && sim.view(ss).CheckoutStatus == checkoutOpen
	if open {
		ss.s.CheckoutStatus, ss.s.WhenCompleted = checkoutExpired, optional(stamp(sim.now().UTC()))
	}
	sim.mu.Unlock()
	switch {
	case !ok:
		writeError(w, http.StatusNotFound, "checkout-session-not-found", "no such checkout session")
	case !open:
		writeError(w, http.StatusConflict, "checkout-session-not-open", "the checkout session is already complete or expired")
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// view returns a session as it stands, expiring it first if its time has
// come. sim.mu must be held.
func (sim *Simulator) view(ss *simSession) session {
	if ss.s.CheckoutStatus == checkoutOpen && ss.s.WhenExpires <= stamp(sim.now().UTC()) {
		ss.s.CheckoutStatus, ss.s.WhenCompleted = checkoutExpired, optional(ss.s.WhenExpires)
	}
	return ss.s
}

// An outcome changes an open session and names the event Wave sends about it.
type outcome func(s *session, now time.Time) (eventType string)

func paid(s *session, now time.Time) string {
	s.CheckoutStatus, s.PaymentStatus, s.LastPaymentError = checkoutComplete, paymentSucceeded, nil
	s.TransactionID, s.WhenCompleted = optional("T_"+strings.ToUpper(connector.RandomHex(6))), optional(stamp(now))
	return eventCompleted
}

func cancelled(s *session, now time.Time) string {
	s.CheckoutStatus, s.PaymentStatus, s.WhenCompleted = checkoutComplete, paymentCancelled, optional(stamp(now))
	return eventFailed
}

func failed(code string) outcome {
	return func(s *session, _ time.Time) string {
		s.LastPaymentError = &paymentError{Code: code, Message: "simulated payment failure: " + code}
		return eventFailed
	}
}

// play applies outcomes to a session one after the other, each after Delay
// and only while the session is open, sending a webhook after each unless
// silent. The caller has counted it in sim.wg.
func (sim *Simulator) play(ss *simSession, silent bool, outcomes ...outcome) {
	for _, o := range outcomes {
		if !sim.wait(sim.ctx, sim.Delay) {
			return
		}
		sim.mu.Lock()
		if sim.view(ss).CheckoutStatus != checkoutOpen {
			sim.mu.Unlock()
			return
		}
		e := event{ID: "EV_" + connector.RandomHex(6), Type: o(&ss.s, sim.now().UTC()), Data: ss.s}
		sim.mu.Unlock()
		log := sim.Log.With("id", e.Data.ID, "client_reference", e.Data.reference(), "event", e.Type)
		if silent {
			log.Info("wave simulator: webhook withheld")
			continue
		}
		sim.deliver(ss.merchant, e, log)
	}
}

// deliver posts one signed webhook, retrying a failure (connector.Deliver).
func (sim *Simulator) deliver(m Merchant, e event, log *slog.Logger) {
	if m.WebhookURL == "" {
		log.Info("wave simulator: no webhook URL registered; webhook not sent")
		return
	}
	body, _ := json.Marshal(e) // strings and pointers to strings: cannot fail
	connector.Deliver(sim.ctx, log, "wave simulator: webhook", func() error {
		var h http.Header
		if m.WebhookSecret != "" {
			h = http.Header{headerSignature: {sign(m.WebhookSecret, body, sim.now())}}
		}
		return connector.PostJSON(sim.ctx, sim.Client, m.WebhookURL, h, body, "the receiver")
	})
}

// wait sleeps d and says whether it did: ctx ending or Close cut it short.
func (sim *Simulator) wait(ctx context.Context, d time.Duration) bool {
	return connector.Sleep(ctx, sim.ctx, d)
}

func (sim *Simulator) publicURL(r *http.Request) string {
	if sim.PublicURL != "" {
		return strings.TrimRight(sim.PublicURL, "/")
	}
	return "http://" + r.Host
}

func (sim *Simulator) now() time.Time {
	if sim.Now != nil {
		return sim.Now()
	}
	return time.Now()
}

// stamp is Wave's time format: RFC 3339 in UTC, to the second.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// optional is nil for "", else a pointer to s: JSON null or the string.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// maskKey hides an API key but for its "wave_" prefix and last 4 characters.
func maskKey(key string) string {
	if len(key) <= 9 {
		return strings.Repeat("*", len(key))
	}
	rest, _ := strings.CutPrefix(key, "wave_")
	return key[:len(key)-len(rest)] + strings.Repeat("*", len(rest)-4) + rest[len(rest)-4:]
}

// writeError answers Wave's error body.
func writeError(w http.ResponseWriter, code int, errCode, msg string) {
	connector.WriteJSON(w, code, apiError{Code: errCode, Message: msg})
}
