package mtn

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caisse/caisse/internal/connector"
	"github.com/caisse/caisse/internal/money"
)

// The simulator's defaults.
const (
	DefaultLate     = 30 * time.Second // Simulator.Late
	DefaultTokenTTL = time.Hour        // Simulator.TokenTTL: MTN's tokens last 3600 s
)

// Scenario is what the simulator does with a request to pay, chosen by the
// payer's number: MTN's own sandbox numbers first, then caisse's magic last
// 4 digits. Any other number is approved.
type Scenario struct {
	Name   string
	MSISDN string // a number of MTN's sandbox table (Sandbox Use Cases), matched whole
	Suffix string // caisse's magic last 4 digits
	Status string // what the payment reports Delay after it was requested: SUCCESSFUL, FAILED or PENDING
	Reason string // MTN's reason, with FAILED
	Later  string // what it reports Late after that, if anything
	Stall  bool   // the 202 answer is held for Stall (past caisse's timeout); the payment proceeds
	Silent bool   // no callback is sent: only a status query shows the outcome
}

// Scenarios is the simulator's table. The callback, when there is one, is
// sent once, at the payment's first final status (SUCCESSFUL or FAILED).
var Scenarios = []Scenario{
	{Name: "approve", Suffix: "0001", Status: "SUCCESSFUL"},
	{Name: "decline", Suffix: "0002", Status: "FAILED", Reason: "NOT_ENOUGH_FUNDS"},
	{Name: "reject", Suffix: "0003", Status: "FAILED", Reason: "APPROVAL_REJECTED"},
	{Name: "no_answer", Suffix: "0004", Status: "PENDING"},
	{Name: "start_timeout", Suffix: "0006", Status: "SUCCESSFUL", Stall: true},
	{Name: "silent_success", Suffix: "0008", Status: "SUCCESSFUL", Silent: true},
	{Name: "late_success", Suffix: "0010", Status: "FAILED", Reason: "EXPIRED", Later: "SUCCESSFUL"},
	{Name: "payer_failed", MSISDN: "46733123450", Status: "FAILED", Reason: "INTERNAL_PROCESSING_ERROR"},
	{Name: "payer_rejected", MSISDN: "46733123451", Status: "FAILED", Reason: "APPROVAL_REJECTED"},
	{Name: "payer_expired", MSISDN: "46733123452", Status: "FAILED", Reason: "EXPIRED"},
	{Name: "payer_ongoing", MSISDN: "46733123453", Status: "PENDING", Later: "SUCCESSFUL"},
	{Name: "payer_delayed", MSISDN: "46733123454", Status: "PENDING"},
	{Name: "payer_not_found", MSISDN: "46733123455", Status: "FAILED", Reason: "PAYER_NOT_FOUND"},
	{Name: "payee_not_allowed_to_receive", MSISDN: "46733123456", Status: "FAILED", Reason: "PAYEE_NOT_ALLOWED_TO_RECEIVE"},
	{Name: "not_allowed", MSISDN: "46733123457", Status: "FAILED", Reason: "NOT_ALLOWED"},
	{Name: "not_allowed_target_environment", MSISDN: "46733123458", Status: "FAILED", Reason: "NOT_ALLOWED_TARGET_ENVIRONMENT"},
	{Name: "invalid_callback_url_host", MSISDN: "46733123459", Status: "FAILED", Reason: "INVALID_CALLBACK_URL_HOST"},
	{Name: "invalid_currency", MSISDN: "46733123460", Status: "FAILED", Reason: "INVALID_CURRENCY"},
	{Name: "internal_processing_error", MSISDN: "46733123461", Status: "FAILED", Reason: "INTERNAL_PROCESSING_ERROR"},
	{Name: "service_unavailable", MSISDN: "46733123462", Status: "FAILED", Reason: "SERVICE_UNAVAILABLE"},
	{Name: "could_not_perform_transaction", MSISDN: "46733123463", Status: "FAILED", Reason: "COULD_NOT_PERFORM_TRANSACTION"},
}

// ScenarioFor returns the scenario of a payer's MSISDN (digits, no +):
// approve unless the number is one of MTN's or ends in a magic suffix.
func ScenarioFor(msisdn string) Scenario {
	for _, sc := range Scenarios {
		if sc.MSISDN == msisdn {
			return sc
		}
	}
	for _, sc := range Scenarios {
		if sc.Suffix != "" && strings.HasSuffix(msisdn, sc.Suffix) {
			return sc
		}
	}
	return Scenarios[0]
}

// Request is one request the simulator received, with the credentials it
// carried: the API user of its Basic authorisation or of its bearer token,
// and its subscription key masked to the last 4 characters.
type Request struct {
	Method, Path      string
	APIUser           string
	SubscriptionKey   string
	TargetEnvironment string
	ReferenceID       string // X-Reference-Id
}

// Simulator plays MTN's MoMo Collection API (v1_0) on its documented wire
// protocol: the sandbox provisioning API (POST /v1_0/apiuser, GET
// /v1_0/apiuser/{id}, POST /v1_0/apiuser/{id}/apikey), POST
// /collection/token/ (Basic API user and key), POST
// /collection/v1_0/requesttopay (bearer token, X-Reference-Id,
// X-Target-Environment, optional X-Callback-Url; 202, 409 for a reference
// used before) and GET /collection/v1_0/requesttopay/{referenceId}, each with
// an Ocp-Apim-Subscription-Key. A payment plays ScenarioFor(payer): Delay
// after it is requested it takes the scenario's status, and its callback (a
// PUT of the status body to X-Callback-Url, unsigned, never retried) is sent
// once. Set its fields before serving; the zero values work.
type Simulator struct {
	TargetEnvironment string            // accepted X-Target-Environment; "" means sandbox
	Currency          string            // the only currency accepted (MTN's sandbox takes EUR); "" accepts any
	SubscriptionKeys  []string          // accepted Ocp-Apim-Subscription-Key values; none: any non-empty one
	APIUsers          map[string]string // API user → API key; none: any UUID user with a non-empty key, besides provisioned ones
	Delay             time.Duration     // from a request to pay to its outcome
	Late              time.Duration     // from the outcome to a scenario's Later status; 0 means DefaultLate
	Stall             time.Duration     // how long a stalling scenario holds its 202; 0 means connector.FakeStall
	TokenTTL          time.Duration     // the life of an access token; 0 means DefaultTokenTTL
	Client            *http.Client      // for callbacks; nil means a client with connector.DefaultTimeout
	Log               *slog.Logger      // nil discards
	Now               func() time.Time  // for token expiry; nil means time.Now

	once     sync.Once
	log      *slog.Logger // Log, or a discarding one
	client   *http.Client // Client, or one of its own
	mux      *http.ServeMux
	ctx      context.Context // cancelled by Close
	cancel   context.CancelFunc
	wg       sync.WaitGroup // payments being played, start answers being held
	mu       sync.Mutex     // guards the fields below
	closed   bool
	users    map[string]*apiUser    // configured and provisioned, by id
	tokens   map[string]issued      // by token
	payments map[string]*simPayment // by reference id
	requests []Request
}

// apiUser is an API user the simulator knows.
type apiUser struct {
	key, callbackHost string
}

// issued is an access token the simulator issued.
type issued struct {
	user    string
	expires time.Time
}

// simPayment is one request to pay.
type simPayment struct {
	user        string // the API user who asked for it
	callbackURL string
	sc          Scenario
	res         result
	called      bool // its callback was sent (or was due and withheld)
}

func (s *Simulator) init() {
	s.once.Do(func() {
		s.ctx, s.cancel = context.WithCancel(context.Background())
		s.users, s.tokens, s.payments = map[string]*apiUser{}, map[string]issued{}, map[string]*simPayment{}
		for u, k := range s.APIUsers {
			s.users[u] = &apiUser{key: k}
		}
		s.log, s.client = s.Log, s.Client
		if s.log == nil {
			s.log = slog.New(slog.DiscardHandler)
		}
		if s.client == nil {
			s.client = &http.Client{Timeout: connector.DefaultTimeout}
		}
		s.mux = http.NewServeMux()
		s.mux.HandleFunc("POST /v1_0/apiuser", s.createUser)
		s.mux.HandleFunc("GET /v1_0/apiuser/{id}", s.showUser)
		s.mux.HandleFunc("POST /v1_0/apiuser/{id}/apikey", s.createKey)
		s.mux.HandleFunc("POST "+pathToken+"{$}", s.createToken)
		s.mux.HandleFunc("POST "+pathRequestToPay, s.requestToPay)
		s.mux.HandleFunc("GET "+pathRequestToPay+"/{id}", s.status)
		s.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
			connector.WriteJSON(w, http.StatusNotFound, map[string]any{"statusCode": 404, "message": "Resource not found"})
		})
	})
}

// ServeHTTP records the request, checks its subscription key (401 as MTN's
// API manager answers) and serves it.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.init()
	key := r.Header.Get("Ocp-Apim-Subscription-Key")
	s.mu.Lock()
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: r.URL.Path, APIUser: s.userOf(r), SubscriptionKey: connector.MaskPhone(key),
		TargetEnvironment: r.Header.Get("X-Target-Environment"), ReferenceID: r.Header.Get("X-Reference-Id"),
	})
	s.mu.Unlock()
	if key == "" || (len(s.SubscriptionKeys) > 0 && !slices.Contains(s.SubscriptionKeys, key)) {
		connector.WriteJSON(w, http.StatusUnauthorized, map[string]any{"statusCode": 401,
			"message": "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."})
		return
	}
	s.mux.ServeHTTP(w, r)
}

// userOf is the API user r names, by Basic authorisation or bearer token
// (expired or not); s.mu is held.
func (s *Simulator) userOf(r *http.Request) string {
	return connector.Caller(r, func(t string) string { return s.tokens[t].user })
}

// Requests returns a copy of the requests received so far, oldest first.
func (s *Simulator) Requests() []Request {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Close ends the payments being played and the start answers being held,
// and waits for them; afterwards requests to pay are answered 503.
func (s *Simulator) Close() {
	s.init()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// createUser serves the sandbox provisioning POST /v1_0/apiuser.
func (s *Simulator) createUser(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Reference-Id")
	var body struct {
		ProviderCallbackHost string `json:"providerCallbackHost"`
	}
	if !isUUIDv4(id) || readJSON(w, r, &body) != nil || body.ProviderCallbackHost == "" {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "X-Reference-Id must be a UUID v4 and the body {\"providerCallbackHost\": …}")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[id]; ok {
		writeError(w, http.StatusConflict, "RESOURCE_ALREADY_EXIST", "Duplicated reference id. Creation of resource failed.")
		return
	}
	s.users[id] = &apiUser{callbackHost: body.ProviderCallbackHost}
	w.WriteHeader(http.StatusCreated)
}

// showUser serves GET /v1_0/apiuser/{id}.
func (s *Simulator) showUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	u, ok := s.users[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "Requested resource was not found.")
		return
	}
	connector.WriteJSON(w, http.StatusOK, map[string]string{"providerCallbackHost": u.callbackHost, "targetEnvironment": s.environment()})
}

// createKey serves POST /v1_0/apiuser/{id}/apikey: a new key replaces the old.
func (s *Simulator) createKey(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "Requested resource was not found.")
		return
	}
	u.key = connector.RandomHex(16)
	connector.WriteJSON(w, http.StatusCreated, map[string]string{"apiKey": u.key})
}

// createToken serves POST /collection/token/: Basic API user and key, no body.
func (s *Simulator) createToken(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > 0 {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "the token request takes no body")
		return
	}
	user, key, ok := r.BasicAuth()
	s.mu.Lock()
	defer s.mu.Unlock()
	known, isKnown := s.users[user]
	switch {
	case !ok || key == "",
		isKnown && known.key != key,
		!isKnown && (len(s.APIUsers) > 0 || !isUUID(user)):
		connector.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "login_failed"})
		return
	}
	ttl := s.TokenTTL
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	t := connector.RandomHex(24)
	s.tokens[t] = issued{user: user, expires: s.now().Add(ttl)}
	connector.WriteJSON(w, http.StatusOK, map[string]any{"access_token": t, "token_type": "access_token", "expires_in": int64(ttl / time.Second)})
}

// bearer checks r's token and target environment, answering itself when it
// returns false; user is the token's API user.
func (s *Simulator) bearer(w http.ResponseWriter, r *http.Request) (user string, ok bool) {
	t, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	tok, found := s.tokens[t]
	s.mu.Unlock()
	env := r.Header.Get("X-Target-Environment")
	switch {
	case !found || !s.now().Before(tok.expires):
		connector.WriteJSON(w, http.StatusUnauthorized, map[string]any{"statusCode": 401, "message": "Access denied due to invalid or expired access token."})
	case env == "":
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "X-Target-Environment is required")
	case env != s.environment():
		writeError(w, http.StatusInternalServerError, "NOT_ALLOWED_TARGET_ENVIRONMENT", "Access to target environment is forbidden.")
	default:
		return tok.user, true
	}
	return "", false
}

// requestToPay serves POST /collection/v1_0/requesttopay.
func (s *Simulator) requestToPay(w http.ResponseWriter, r *http.Request) {
	user, ok := s.bearer(w, r)
	if !ok {
		return
	}
	ref, cb := r.Header.Get("X-Reference-Id"), r.Header.Get("X-Callback-Url")
	var req requestToPay
	if err := readJSON(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", err.Error())
		return
	}
	if err := s.validRequest(ref, cb, req); err != nil {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", err.Error())
		return
	}
	if s.Currency != "" && req.Currency != s.Currency {
		writeError(w, http.StatusInternalServerError, "INVALID_CURRENCY", "Currency not supported.")
		return
	}
	code, stall := s.start(user, ref, cb, req)
	if stall {
		s.wait(r.Context(), s.stall())
		s.wg.Done()
	}
	switch code {
	case http.StatusAccepted:
		w.WriteHeader(code)
	case http.StatusConflict:
		writeError(w, code, "RESOURCE_ALREADY_EXIST", "Duplicated reference id. Creation of resource failed.")
	default:
		writeError(w, code, "SERVICE_UNAVAILABLE", "Service temporarily unavailable.")
	}
}

// validRequest checks a request to pay's headers and body as MTN documents them.
func (s *Simulator) validRequest(ref, cb string, req requestToPay) error {
	cur, err := money.ParseCurrency(req.Currency)
	switch {
	case err != nil || string(cur) != req.Currency:
		return fmt.Errorf("currency %q is not an ISO 4217 code", req.Currency)
	case !isUUIDv4(ref):
		return fmt.Errorf("X-Reference-Id %q is not a UUID v4", ref)
	case cb != "" && !connector.AbsoluteURL(cb):
		return fmt.Errorf("X-Callback-Url %q is not an absolute http(s) URL", cb)
	case req.Payer.PartyIDType != "MSISDN" && req.Payer.PartyIDType != "EMAIL" && req.Payer.PartyIDType != "PARTY_CODE":
		return fmt.Errorf("payer.partyIdType %q is not MSISDN, EMAIL or PARTY_CODE", req.Payer.PartyIDType)
	case req.Payer.PartyIDType == "MSISDN" && (len(req.Payer.PartyID) < 8 || len(req.Payer.PartyID) > 15 || strings.ContainsFunc(req.Payer.PartyID, notDigit)):
		return fmt.Errorf("payer.partyId %q is not an MSISDN (digits only, no +)", connector.MaskPhone(req.Payer.PartyID))
	case len(req.PayerMessage) > maxNote || len(req.PayeeNote) > maxNote:
		return fmt.Errorf("payerMessage and payeeNote are limited to %d characters", maxNote)
	}
	if _, ok := parseAmount(req.Amount, cur.Digits()); !ok {
		return fmt.Errorf("amount %q is not a positive amount of %s", req.Amount, req.Currency)
	}
	return nil
}

// start makes a new payment and plays it, and returns the code to answer:
// 202, 409 for a reference id used before, 503 once closed. stall says the
// answer is to be held: start then counts it in s.wg, and the caller calls
// s.wg.Done after it.
func (s *Simulator) start(user, ref, cb string, req requestToPay) (code int, stall bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch _, dup := s.payments[ref]; {
	case s.closed:
		return http.StatusServiceUnavailable, false
	case dup:
		return http.StatusConflict, false
	}
	p := &simPayment{user: user, callbackURL: cb, sc: ScenarioFor(req.Payer.PartyID), res: result{
		Amount: req.Amount, Currency: req.Currency, ExternalID: req.ExternalID, Payer: req.Payer,
		PayerMessage: req.PayerMessage, PayeeNote: req.PayeeNote, Status: "PENDING",
	}}
	s.payments[ref] = p
	s.log.Info("mtn simulator: request to pay", "reference_id", ref, "external_id", req.ExternalID,
		"amount", req.Amount, "currency", req.Currency, "payer", connector.MaskPhone(req.Payer.PartyID), "scenario", p.sc.Name)
	s.wg.Go(func() { s.play(ref, p) })
	if p.sc.Stall {
		s.wg.Add(1) // under s.mu and not closed: happens before Close's Wait
	}
	return http.StatusAccepted, p.sc.Stall
}

// play moves a payment through its scenario.
func (s *Simulator) play(ref string, p *simPayment) {
	if !s.wait(s.ctx, s.Delay) {
		return
	}
	s.settle(ref, p, p.sc.Status, p.sc.Reason)
	if p.sc.Later == "" {
		return
	}
	late := s.Late
	if late <= 0 {
		late = DefaultLate
	}
	if s.wait(s.ctx, late) {
		s.settle(ref, p, p.sc.Later, "")
	}
}

// settle gives a payment a status, and sends its callback if this is its
// first final status.
func (s *Simulator) settle(ref string, p *simPayment, status, reason string) {
	s.mu.Lock()
	p.res.Status, p.res.Reason, p.res.FinancialTransactionID = status, nil, ""
	switch status {
	case "FAILED":
		p.res.Reason, _ = json.Marshal(reason)
	case "SUCCESSFUL":
		p.res.FinancialTransactionID = randomDigits(10)
	}
	send := status != "PENDING" && !p.called
	if send {
		p.called = true
	}
	res := p.res
	s.mu.Unlock()
	log := s.log.With("reference_id", ref, "status", status, "reason", reason)
	switch {
	case !send:
		log.Info("mtn simulator: status changed")
	case p.sc.Silent || p.callbackURL == "":
		log.Info("mtn simulator: callback withheld")
	default:
		s.callback(log, p.callbackURL, res)
	}
}

// callback PUTs res to the callback URL, once, unsigned: MTN does not retry.
func (s *Simulator) callback(log *slog.Logger, callbackURL string, res result) {
	body, _ := json.Marshal(res) // strings only: cannot fail
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPut, callbackURL, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		var resp *http.Response
		if resp, err = s.client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, connector.MaxBody))
			resp.Body.Close()
			log.Info("mtn simulator: callback sent", "answer", resp.StatusCode)
			return
		}
	}
	log.Warn("mtn simulator: callback lost (MTN does not retry)", "error", err)
}

// status serves GET /collection/v1_0/requesttopay/{referenceId}: an API user
// sees only its own payments.
func (s *Simulator) status(w http.ResponseWriter, r *http.Request) {
	user, ok := s.bearer(w, r)
	if !ok {
		return
	}
	ref := r.PathValue("id")
	if !isUUID(ref) {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "the reference id must be a UUID")
		return
	}
	s.mu.Lock()
	p, found := s.payments[ref]
	var res result
	if found {
		res = p.res
	}
	s.mu.Unlock()
	if !found || p.user != user {
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "Requested resource was not found.")
		return
	}
	connector.WriteJSON(w, http.StatusOK, res)
}

// wait sleeps d and says whether it did: ctx ending or Close cut it short.
func (s *Simulator) wait(ctx context.Context, d time.Duration) bool {
	return connector.Sleep(ctx, s.ctx, d)
}

func (s *Simulator) environment() string {
	if s.TargetEnvironment != "" {
		return s.TargetEnvironment
	}
	return "sandbox"
}

func (s *Simulator) stall() time.Duration {
	if s.Stall > 0 {
		return s.Stall
	}
	return connector.FakeStall
}

func (s *Simulator) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// readJSON decodes r's body (at most connector.MaxBody) into v.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, connector.MaxBody))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	return nil
}

// writeError answers code with MTN's ErrorReason, {"code":…,"message":…}.
func writeError(w http.ResponseWriter, code int, reason, msg string) {
	connector.WriteJSON(w, code, map[string]string{"code": reason, "message": msg})
}

// isUUIDv4 says whether s is a version 4 UUID, as MTN wants reference ids.
func isUUIDv4(s string) bool { return isUUID(s) && s[14] == '4' }

// randomDigits returns n random decimal digits.
func randomDigits(n int) string {
	b := []byte(connector.RandomHex(n))
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b[:n])
}
