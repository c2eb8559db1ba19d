package orange

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/caisse/caisse/internal/connector"
)

// Defaults of the Simulator's durations.
const (
	SimStall    = 15 * time.Second // a stalled start answer: longer than caisse's 10 s request timeout
	SimExpiry   = 10 * time.Minute // a payment page's lifetime, after which it is EXPIRED
	SimTokenTTL = time.Hour        // an access token's lifetime (Orange's default: 60 minutes)
)

// Orange's transaction statuses.
const (
	statusInitiated = "INITIATED" // waiting for the customer on the payment page
	statusPending   = "PENDING"   // the customer confirmed; Orange is processing it
	statusSuccess   = "SUCCESS"
	statusFailed    = "FAILED"
	statusExpired   = "EXPIRED" // the page's lifetime ran out before the payment ended
)

// Outcome is what the simulated customer's payment does once they confirm on
// the payment page, chosen by the last 4 digits of the number they type.
type Outcome struct {
	Name     string   // approve, decline, reject, no_answer, late_success, silent_success
	Suffix   string   // the number's last 4 digits that select it ("0001" for approve, the default)
	Statuses []string // the Orange statuses the payment takes, each after Simulator.Delay
	Silent   bool     // no notification is posted: only transactionstatus shows the outcome
	Cancel   bool     // the customer gives up: sent to cancel_url (the cancel button does the same for any number)
}

// Outcomes lists the payment page's outcomes, approve first.
var Outcomes = []Outcome{
	{Name: "approve", Suffix: "0001", Statuses: []string{statusSuccess}},
	{Name: "decline", Suffix: "0002", Statuses: []string{statusFailed}}, // insufficient balance: Orange says only FAILED
	{Name: "reject", Suffix: "0003", Statuses: []string{statusFailed}, Cancel: true},
	{Name: "no_answer", Suffix: "0004"}, // stays PENDING until the page expires
	{Name: "late_success", Suffix: "0005", Statuses: []string{statusFailed, statusSuccess}},
	{Name: "silent_success", Suffix: "0008", Statuses: []string{statusSuccess}, Silent: true},
}

// outcomeFor returns the outcome a phone number selects: approve for any
// number no other Suffix ends.
func outcomeFor(phone string) Outcome {
	for _, o := range Outcomes[1:] {
		if strings.HasSuffix(phone, o.Suffix) {
			return o
		}
	}
	return Outcomes[0]
}

// StartFault is a way the simulator mishandles a new webpayment request,
// chosen by the amount (Orange's start request names no phone number).
type StartFault struct {
	Name   string // start_timeout, start_503
	Ending int64  // the amount modulo 1000 that selects it: 1906 and 25906 select start_timeout
	// Stall holds the answer for Simulator.Stall; the payment is made all
	// the same and proceeds as if the customer approved it on the page.
	Stall bool
	Code  int // answered instead of 201, and no payment is made
}

// StartFaults lists the simulator's start request faults. A retry of a
// request (same merchant_key, order_id and fields) is answered at once with
// the payment, as always.
var StartFaults = []StartFault{
	{Name: "start_timeout", Ending: 906, Stall: true},
	{Name: "start_503", Ending: 907, Code: http.StatusServiceUnavailable},
}

func startFault(amount int64) StartFault {
	for _, f := range StartFaults {
		if amount%1000 == f.Ending {
			return f
		}
	}
	return StartFault{}
}

// countryCurrency is the currency the webpayment of each country segment
// takes; "dev", the sandbox, takes Orange's play money OUV.
var countryCurrency = map[string]string{
	"dev": "OUV", "ci": "XOF", "sn": "XOF", "ml": "XOF", "bf": "XOF", "ne": "XOF", "gw": "XOF",
	"cm": "XAF", "cf": "XAF", "gn": "GNF",
}

// Client is one set of credentials the simulator accepts.
type Client struct {
	ID          string // client_id
	Secret      string // client_secret
	MerchantKey string // the merchant_key its webpayment requests must carry
}

// Request is one request the simulator received.
type Request struct {
	Method   string
	Path     string
	ClientID string // the client_id of its Basic auth or bearer token; "" for the payment page
}

// Simulator plays Orange Money Web Payment: the token endpoint
// (POST /oauth/v3/token), webpayment and transactionstatus
// (POST /orange-money-webpay/{country}/v1/…), the customer's payment page
// (GET and POST /payment/pay_token/{pay_token}) and the notifications to
// notif_url. Outcomes are chosen by the number typed on the page (Outcomes)
// and by the amount for the start request (StartFaults). It is an
// http.Handler; Close ends its background work.
type Simulator struct {
	Clients   []Client      // accepted credentials; none: any non-empty client_id, client_secret and merchant_key
	PublicURL string        // the root of payment_url, e.g. http://127.0.0.1:8089; "" means the API request's own host
	Delay     time.Duration // before each status an outcome moves to (and its notification)
	Stall     time.Duration // how long a stalling fault holds the start answer; 0 means SimStall
	Expiry    time.Duration // a payment's lifetime before EXPIRED; 0 means SimExpiry
	TokenTTL  time.Duration // an access token's lifetime; 0 means SimTokenTTL
	Client    *http.Client  // for notifications; nil means a client with a 10 s timeout
	Log       *slog.Logger  // nil: discard
	Now       func() time.Time

	once     sync.Once
	mux      *http.ServeMux
	log      *slog.Logger
	client   *http.Client
	ctx      context.Context // cancelled by Close
	cancel   context.CancelFunc
	wg       sync.WaitGroup // outcomes being played and start answers being held
	mu       sync.Mutex     // guards everything below
	closed   bool
	tokens   map[string]simToken
	payments map[string]*simPayment // by pay_token
	orders   map[string]*simPayment // by merchant_key and order_id
	requests []Request
}

type simToken struct {
	clientID string
	expires  time.Time
}

// simPayment is one web payment the simulator holds.
type simPayment struct {
	req        webpaymentRequest
	clientID   string
	answer     webpaymentAnswer
	status     string
	txnID      string // set when the customer confirms
	expires    time.Time
	paymentURL string
}

func (s *Simulator) init() {
	s.once.Do(func() {
		s.ctx, s.cancel = context.WithCancel(context.Background())
		s.tokens, s.payments, s.orders = map[string]simToken{}, map[string]*simPayment{}, map[string]*simPayment{}
		s.log, s.client = s.Log, s.Client
		if s.log == nil {
			s.log = slog.New(slog.DiscardHandler)
		}
		if s.client == nil {
			s.client = &http.Client{Timeout: 10 * time.Second}
		}
		m := http.NewServeMux()
		m.HandleFunc("POST /oauth/v3/token", s.token)
		m.HandleFunc("POST /orange-money-webpay/{country}/v1/webpayment", s.api(s.webpayment))
		m.HandleFunc("POST /orange-money-webpay/{country}/v1/transactionstatus", s.api(s.transactionStatus))
		m.HandleFunc("GET /payment/pay_token/{token}", s.page)
		m.HandleFunc("POST /payment/pay_token/{token}", s.confirm)
		m.HandleFunc("/", notFound)
		s.mux = m
	})
}

// ServeHTTP records the request and serves it.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.init()
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, ClientID: s.clientOf(r)})
	s.mu.Unlock()
	s.mux.ServeHTTP(w, r)
}

// clientOf is the client_id r's credentials name, under s.mu.
func (s *Simulator) clientOf(r *http.Request) string {
	return connector.Caller(r, func(t string) string { return s.tokens[t].clientID })
}

// Requests returns every request received so far, in order.
func (s *Simulator) Requests() []Request {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Close stops the outcomes being played and the start answers being held,
// and waits for them; afterwards new payments are answered 503.
func (s *Simulator) Close() {
	s.init()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// token serves POST /oauth/v3/token: Basic client credentials and
// grant_type=client_credentials give a bearer token.
func (s *Simulator) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id == "" || secret == "" {
		gatewayError(w, http.StatusUnauthorized, 40, "Missing credentials", "The requested service needs credentials, but none were provided.")
		return
	}
	if !s.known(func(c Client) bool { return c.ID == id && c.Secret == secret }) {
		gatewayError(w, http.StatusUnauthorized, 41, "Invalid credentials", "The requested service needs credentials, but the ones provided were invalid.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, connector.MaxBody)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		connector.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials"})
		return
	}
	ttl := s.TokenTTL
	if ttl <= 0 {
		ttl = SimTokenTTL
	}
	tok := rand.Text()
	s.mu.Lock()
	s.tokens[tok] = simToken{clientID: id, expires: s.now().Add(ttl)}
	s.mu.Unlock()
	connector.WriteJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "access_token": tok, "expires_in": int64(ttl / time.Second)})
}

// known says whether Clients has one that ok accepts, or Clients is empty.
func (s *Simulator) known(ok func(Client) bool) bool {
	if len(s.Clients) == 0 {
		return true
	}
	for _, c := range s.Clients {
		if ok(c) {
			return true
		}
	}
	return false
}

// api checks an API request's Accept header and bearer token, reads its
// body and hands it to h with the token's client_id.
func (s *Simulator) api(h func(w http.ResponseWriter, r *http.Request, clientID string, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		t, known := s.tokens[tok]
		s.mu.Unlock()
		switch {
		case countryCurrency[r.PathValue("country")] == "":
			notFound(w, r)
			return
		case r.Header.Get("Accept") == "":
			gatewayError(w, http.StatusNotAcceptable, 62, "Not acceptable", "The Accept header must be application/json.")
			return
		case !ok || tok == "":
			gatewayError(w, http.StatusUnauthorized, 40, "Missing credentials", "The requested service needs credentials, but none were provided.")
			return
		case !known:
			gatewayError(w, http.StatusUnauthorized, 41, "Invalid credentials", "The requested service needs credentials, but the ones provided were invalid.")
			return
		case !s.now().Before(t.expires):
			gatewayError(w, http.StatusUnauthorized, 42, "Expired credentials", "The requested service needs credentials, and the ones provided were out-of-date.")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, connector.MaxBody))
		if err != nil {
			apiError(w, http.StatusBadRequest, "unreadable body")
			return
		}
		h(w, r, t.clientID, body)
	}
}

// webpayment serves POST …/webpayment.
func (s *Simulator) webpayment(w http.ResponseWriter, r *http.Request, clientID string, body []byte) {
	var req webpaymentRequest
	if err := json.Unmarshal(body, &req); err != nil {
		apiError(w, http.StatusBadRequest, "invalid JSON body: amount must be an integer")
		return
	}
	if msg := s.invalid(req, countryCurrency[r.PathValue("country")], clientID); msg != "" {
		apiError(w, http.StatusBadRequest, msg)
		return
	}
	code, answer, stall := s.start(req, clientID, s.publicURL(r))
	if stall {
		s.wait(r.Context(), s.stall())
		s.wg.Done()
	}
	connector.WriteJSON(w, code, answer)
}

// invalid says what is wrong with a webpayment request, or "".
func (s *Simulator) invalid(req webpaymentRequest, currency, clientID string) string {
	switch {
	case req.MerchantKey == "" || !s.known(func(c Client) bool { return c.ID == clientID && c.MerchantKey == req.MerchantKey }):
		return "invalid merchant_key"
	case req.Currency != currency:
		return "currency must be " + currency
	case req.OrderID == "" || len(req.OrderID) > 255:
		return "order_id must be 1 to 255 characters"
	case req.Amount <= 0:
		return "amount must be a positive integer"
	case !connector.AbsoluteURL(req.ReturnURL) || !connector.AbsoluteURL(req.CancelURL) || !connector.AbsoluteURL(req.NotifURL):
		return "return_url, cancel_url and notif_url must be absolute http(s) URLs"
	case req.Lang != "fr" && req.Lang != "en":
		return "lang must be fr or en"
	}
	return ""
}

// start takes a valid webpayment request and returns the code and body to
// answer. stall says the answer is to be held first: start then counts the
// hold in s.wg, and the caller calls s.wg.Done after it.
func (s *Simulator) start(req webpaymentRequest, clientID, public string) (code int, answer any, stall bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return http.StatusServiceUnavailable, apiBody(http.StatusServiceUnavailable, "shutting down"), false
	}
	key := req.MerchantKey + "\x00" + req.OrderID
	if p, ok := s.orders[key]; ok {
		if p.req != req {
			return http.StatusBadRequest, apiBody(http.StatusBadRequest, "order_id already used"), false
		}
		return http.StatusCreated, p.answer, false
	}
	fault := startFault(req.Amount)
	log := s.log.With("order_id", req.OrderID, "amount", req.Amount, "currency", req.Currency, "client_id", clientID)
	if fault.Code != 0 {
		log.Info("orange simulator: payment dropped", "fault", fault.Name, "answer", fault.Code)
		return fault.Code, apiBody(fault.Code, strings.ToLower(http.StatusText(fault.Code))), false
	}
	tok := "v1" + strings.ToLower(rand.Text()+rand.Text())
	p := &simPayment{
		req: req, clientID: clientID, status: statusInitiated, expires: s.now().Add(s.expiry()),
		answer: webpaymentAnswer{
			Status: http.StatusCreated, Message: "OK", PayToken: tok,
			PaymentURL: strings.TrimRight(public, "/") + "/payment/pay_token/" + tok, NotifToken: strings.ToLower(rand.Text()),
		},
	}
	s.payments[tok], s.orders[key] = p, p
	log.Info("orange simulator: payment created", "fault", fault.Name)
	if fault.Stall {
		p.status, p.txnID = statusPending, txnID(s.now())
		s.wg.Go(func() { s.play(p, Outcomes[0]) })
		s.wg.Add(1) // under s.mu and not closed: happens before Close's Wait
	}
	return http.StatusCreated, p.answer, fault.Stall
}

// transactionStatus serves POST …/transactionstatus: the payment of that
// pay_token, order_id and amount, if the token's client made it.
func (s *Simulator) transactionStatus(w http.ResponseWriter, _ *http.Request, clientID string, body []byte) {
	var req statusRequest
	if err := json.Unmarshal(body, &req); err != nil || req.PayToken == "" || req.OrderID == "" {
		apiError(w, http.StatusBadRequest, "order_id, amount and pay_token are required")
		return
	}
	s.mu.Lock()
	p := s.payments[req.PayToken]
	if p == nil || p.clientID != clientID || p.req.OrderID != req.OrderID || p.req.Amount != req.Amount {
		s.mu.Unlock()
		apiError(w, http.StatusNotFound, "no transaction for this order_id, amount and pay_token")
		return
	}
	s.expire(p)
	a := statusAnswer{Status: p.status, OrderID: p.req.OrderID, TxnID: p.txnID}
	s.mu.Unlock()
	connector.WriteJSON(w, http.StatusOK, a)
}

// expire moves an unfinished payment past its lifetime to EXPIRED, under s.mu.
func (s *Simulator) expire(p *simPayment) {
	if (p.status == statusInitiated || p.status == statusPending) && !s.now().Before(p.expires) {
		p.status = statusExpired
	}
}

// page serves the payment page of a pay_token.
func (s *Simulator) page(w http.ResponseWriter, r *http.Request) {
	_, v, code := s.open(r)
	renderPage(w, code, v)
}

// open finds the payment of r's pay_token and the page to show for it; p
// is nil when it cannot be paid (unknown, done or expired).
func (s *Simulator) open(r *http.Request) (*simPayment, pageView, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.payments[r.PathValue("token")]
	if p == nil {
		return nil, pageView{Lang: "fr", Closed: true}, http.StatusNotFound
	}
	s.expire(p)
	v := pageView{Lang: p.req.Lang, Action: r.URL.Path, Amount: p.req.Amount, Currency: p.req.Currency, Reference: p.req.Reference}
	if p.status != statusInitiated {
		v.Closed = true
		return nil, v, http.StatusGone
	}
	return p, v, http.StatusOK
}

// confirm serves the payment page's form: action=cancel gives up; otherwise
// phone and otp confirm the payment, whose outcome the phone number picks.
// The browser is sent to return_url, or cancel_url when the customer gave up.
func (s *Simulator) confirm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	p, v, code := s.open(r)
	if p == nil {
		renderPage(w, code, v)
		return
	}
	phone := strings.Map(func(c rune) rune {
		if c == ' ' || c == '.' || c == '-' {
			return -1
		}
		return c
	}, r.PostForm.Get("phone"))
	outcome := Outcome{Name: "cancel", Statuses: []string{statusFailed}, Cancel: true}
	if r.PostForm.Get("action") != "cancel" {
		v.Phone = phone
		switch {
		case !digits(strings.TrimPrefix(phone, "+"), 8, 15):
			v.Error = text(v.Lang).BadPhone
		case !digits(r.PostForm.Get("otp"), 4, 6):
			v.Error = text(v.Lang).BadOTP
		}
		if v.Error != "" {
			renderPage(w, http.StatusUnprocessableEntity, v)
			return
		}
		outcome = outcomeFor(phone)
	}
	s.mu.Lock()
	if s.closed || p.status != statusInitiated { // closed, or confirmed meanwhile in another tab
		s.mu.Unlock()
		renderPage(w, http.StatusGone, pageView{Lang: v.Lang, Closed: true})
		return
	}
	p.status = statusPending
	if !outcome.Cancel {
		p.txnID = txnID(s.now())
	}
	s.wg.Go(func() { s.play(p, outcome) })
	s.mu.Unlock()
	s.log.Info("orange simulator: customer answered", "order_id", p.req.OrderID, "phone", connector.MaskPhone(phone), "outcome", outcome.Name)
	target := p.req.ReturnURL
	if outcome.Cancel {
		target = p.req.CancelURL
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// digits says whether s is lo to hi ASCII digits.
func digits(s string, lo, hi int) bool {
	return len(s) >= lo && len(s) <= hi && !strings.ContainsFunc(s, func(c rune) bool { return c < '0' || c > '9' })
}

// play moves the payment through the outcome's statuses, each after Delay,
// posting a notification after each change unless the outcome is silent.
func (s *Simulator) play(p *simPayment, o Outcome) {
	for _, status := range o.Statuses {
		if !s.wait(s.ctx, s.Delay) {
			return
		}
		s.mu.Lock()
		if s.expire(p); p.status == statusExpired {
			s.mu.Unlock()
			return
		}
		p.status = status
		n := statusAnswer{Status: status, NotifToken: p.answer.NotifToken, TxnID: p.txnID}
		s.mu.Unlock()
		log := s.log.With("order_id", p.req.OrderID, "status", status)
		if o.Silent {
			log.Info("orange simulator: notification withheld")
			continue
		}
		if !s.deliver(p.req.NotifURL, n, log) && s.ctx.Err() != nil {
			return
		}
	}
}

// deliver posts a notification, retrying a failure (connector.Deliver), and
// says whether it was taken (any 2xx).
func (s *Simulator) deliver(notifURL string, n statusAnswer, log *slog.Logger) bool {
	body, _ := json.Marshal(n) // strings only: cannot fail
	return connector.Deliver(s.ctx, log, "orange simulator: notification", func() error {
		return connector.PostJSON(s.ctx, s.client, notifURL, nil, body, "notif_url")
	})
}

// wait sleeps d and says whether it did: ctx ending or Close cut it short.
func (s *Simulator) wait(ctx context.Context, d time.Duration) bool {
	return connector.Sleep(ctx, s.ctx, d)
}

// publicURL is the root payment_url is built on.
func (s *Simulator) publicURL(r *http.Request) string {
	if s.PublicURL != "" {
		return s.PublicURL
	}
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

func (s *Simulator) stall() time.Duration {
	if s.Stall > 0 {
		return s.Stall
	}
	return SimStall
}

func (s *Simulator) expiry() time.Duration {
	if s.Expiry > 0 {
		return s.Expiry
	}
	return SimExpiry
}

func (s *Simulator) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// txnID is an Orange Money transaction id such as MP250314.1530.A1B2C3.
func txnID(t time.Time) string {
	return "MP" + t.Format("060102.1504") + "." + rand.Text()[:6]
}

// notFound is the gateway's answer to a path it does not serve.
func notFound(w http.ResponseWriter, _ *http.Request) {
	gatewayError(w, http.StatusNotFound, routeNotFound, "Resource not found", "The requested URI or the requested resource does not exist.")
}

// gatewayError answers one of Orange's API gateway errors: {"code","message","description"}.
func gatewayError(w http.ResponseWriter, status, code int, message, description string) {
	connector.WriteJSON(w, status, map[string]any{"code": code, "message": message, "description": description})
}

// apiError answers a web payment error: {"status","message","description"}.
func apiError(w http.ResponseWriter, status int, description string) {
	connector.WriteJSON(w, status, apiBody(status, description))
}

func apiBody(status int, description string) map[string]any {
	return map[string]any{"status": status, "message": http.StatusText(status), "description": description}
}
