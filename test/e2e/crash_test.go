package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/caisse/caisse/internal/testdb"
)

// TestCrashRecovery kills `caisse serve` with SIGKILL under load, a few times
// on one database, restarting it each time on the same database and port, and
// checks what clients and a webhook receiver see across the crashes:
//
//  1. every session acknowledged with a 201 is still there, unchanged;
//  2. every create, acknowledged or not, retried with its Idempotency-Key
//     after the restart (past the takeover window) yields a session, and in
//     the end each key has exactly one session; an acknowledged key replays
//     its 201 (same id, Idempotent-Replayed: true);
//  3. after the last restart every event of the merchant is answered by the
//     receiver within 60 s; each event's attempt log records exactly one
//     successful delivery, and a delivery arrives again only across a
//     restart (a kill cut it before its success was recorded).
func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	testdb.EachEngineEmpty(t, func(t *testing.T, dbURL string) {
		newCrashRun(t, dbURL).run()
	})
}

const (
	crashCycles        = 4
	crashTakeover      = 2 * time.Second // CAISSE_IDEMPOTENCY_TAKEOVER
	crashRetryFor      = 6 * time.Second // after a kill, retries of a key may get 409 this long
	crashCreatesMax    = 60              // creates per worker and cycle
	crashConfirmOneIn  = 4               // confirm about one acknowledged session in this many
	crashConfirmsMax   = 40              // confirmations per cycle
	crashDeliverWithin = 60 * time.Second
	crashPagesMax      = 100 // pages of 100 sessions or events
)

// crashSession is what the test compares of a mobile-money session.
type crashSession struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
	CreatedAt string `json:"created_at"`
}

func (s crashSession) String() string {
	return fmt.Sprintf("%s (%s, created_at %s)", s.ID, s.Status, s.CreatedAt)
}

// crashKey is one logical create: an Idempotency-Key with its own amount, so
// that sessions can be matched to keys.
type crashKey struct {
	key    string
	amount int64
	cycle  int           // the cycle whose kill it was sent before
	first  crashAnswer   // the answer under load
	acked  *crashSession // the 201 body, nil when the create was not acknowledged
	final  *crashSession // the session the retries after the restart ended with
	replay bool          // the final answer had Idempotent-Replayed: true
	in409  int           // 409 idempotency_key_in_use answers to the retries
}

func (k *crashKey) body() string {
	return fmt.Sprintf(`{"amount": %d, "currency": "XOF", "user_phone": "+2250700000001"}`, k.amount)
}

func (k *crashKey) String() string {
	state := "answered " + k.first.String()
	switch {
	case k.acked != nil:
		state = "acknowledged as " + k.acked.ID
	case k.first.err != nil:
		state = "unanswered"
	}
	return fmt.Sprintf("key %s (amount %d, %s before kill %d)", k.key, k.amount, state, k.cycle+1)
}

// tookOver reports whether the retries got the key after it had been refused as in use.
func (k *crashKey) tookOver() bool { return k.final != nil && !k.replay && k.in409 > 0 }

// crashAnswer is the outcome of one request: a status and body, or no answer.
type crashAnswer struct {
	status   int
	replayed bool
	body     []byte
	err      error
}

func (a crashAnswer) String() string {
	if a.err != nil {
		return "no response: " + a.err.Error()
	}
	return fmt.Sprintf("%d %s", a.status, strings.TrimSpace(string(a.body)))
}

// session decodes a 200 or 201 answer; ok is false for any other.
func (a crashAnswer) session() (s crashSession, ok bool) {
	if a.err != nil || (a.status != http.StatusCreated && a.status != http.StatusOK) {
		return s, false
	}
	return s, json.Unmarshal(a.body, &s) == nil && s.ID != ""
}

func (a crashAnswer) inUse() bool {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	return a.status == http.StatusConflict && json.Unmarshal(a.body, &e) == nil && e.Error.Code == "idempotency_key_in_use"
}

// crashRun is one engine's run: a database, the serve process of the moment,
// the keys sent so far and what the kills cut.
type crashRun struct {
	t      *testing.T
	env    []string
	base   string
	apiKey string
	rcv    *slowReceiver
	srv    *exec.Cmd
	logs   <-chan string
	client *http.Client

	amounts  atomic.Int64
	keys     []*crashKey
	lastKill time.Time
	ready    []time.Time // when each server after the first answered /readyz
}

func newCrashRun(t *testing.T, dbURL string) *crashRun {
	addr := freeAddr(t)
	r := &crashRun{t: t, base: "http://" + addr, rcv: newSlowReceiver(t),
		env: []string{"CAISSE_DATABASE_URL=" + dbURL, "CAISSE_ADDR=" + addr, "CAISSE_LOG_LEVEL=error",
			"CAISSE_IDEMPOTENCY_TAKEOVER=" + crashTakeover.String(),
			"CAISSE_RATE_LIMIT=0"}} // 16 workers exceed the default 100 requests per second
	r.amounts.Store(999)
	var m struct {
		TestSecretKey string `json:"test_secret_key"`
	}
	if err := json.Unmarshal(caisse(t, r.env, "merchants", "create", "--name", "Crash", "--json"), &m); err != nil {
		t.Fatal(err)
	}
	r.apiKey = m.TestSecretKey
	t.Cleanup(func() {
		if r.srv != nil {
			r.srv.Process.Kill()
			r.srv.Wait()
		}
	})
	return r
}

func (r *crashRun) run() {
	t := r.t
	began := time.Now()
	r.start()
	if call(t, r.base, r.apiKey, "POST", "/v1/webhook_endpoints",
		url.Values{"url": {r.rcv.URL + "/hook"}, "enabled_events[]": {"*"}}.Encode()) == nil {
		t.FailNow()
	}
	var restarted time.Time
	for cycle := range crashCycles {
		r.rcv.setHold(time.Second, 2*time.Second)
		keys := r.loadAndKill(cycle)
		r.keys = append(r.keys, keys...)
		if cycle == crashCycles-1 {
			r.rcv.setHold(0, 0) // from the last restart on, deliveries are answered at once
		}
		r.start()
		restarted = time.Now()
		r.retryAll(keys)
		r.checkAcknowledged(keys)
	}
	sessions := r.checkOneSessionPerKey()
	lastDelivery, dupDeliveries := r.checkWebhooks(restarted)
	stopServe(t, r.srv)
	r.srv = nil
	r.printLogs()

	var acked, unanswered, refused, takeovers, replays int
	for _, k := range r.keys {
		switch {
		case k.acked != nil:
			acked++
		case k.first.err != nil:
			unanswered++
		default:
			refused++
		}
		if k.acked == nil && k.tookOver() {
			takeovers++
		}
		if k.acked == nil && k.replay {
			replays++
		}
	}
	t.Logf("%d cycles in %s: %d creates acknowledged, %d unanswered, %d answered otherwise; "+
		"after the restarts %d of those not acknowledged were replayed and %d taken over; "+
		"%d keys with more than one session (%d extra sessions), %d keys left claimed with their session, %d without; "+
		"%d deliveries cut by kills, %d duplicate deliveries; last delivery %s after the last restart",
		crashCycles, time.Since(began).Round(time.Millisecond), acked, unanswered, refused,
		replays, takeovers, sessions.duplicated, sessions.extra, sessions.lockedOne, sessions.lockedNone,
		r.rcv.unanswered(), dupDeliveries, lastDelivery.Round(time.Millisecond))
}

// start starts `caisse serve` on the run's database and port and waits until it is ready.
func (r *crashRun) start() {
	r.t.Helper()
	r.srv, r.logs = startServe(r.t, r.env)
	waitReady(r.t, r.base+"/readyz")
	if !r.lastKill.IsZero() {
		r.ready = append(r.ready, time.Now())
	}
	r.client = &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 32, DisableCompression: true}}
}

// kill sends SIGKILL to the server and waits for it.
func (r *crashRun) kill() {
	r.t.Helper()
	r.lastKill = time.Now()
	if err := r.srv.Process.Kill(); err != nil {
		r.t.Fatalf("kill: %v", err)
	}
	r.srv.Wait() // "signal: killed"
	r.srv = nil
	r.client.CloseIdleConnections()
	r.printLogs()
}

// printLogs logs what the stopped server wrote (errors only, at CAISSE_LOG_LEVEL=error).
func (r *crashRun) printLogs() {
	var lines []string
	for l := range r.logs {
		lines = append(lines, l)
	}
	if len(lines) > 0 {
		r.t.Logf("the server logged %d lines, the first ones:\n%s", len(lines), strings.Join(lines[:min(len(lines), 5)], "\n"))
	}
}

// do sends one API request; idemKey may be empty.
func (r *crashRun) do(method, path, idemKey, body string) crashAnswer {
	req, err := http.NewRequest(method, r.base+path, strings.NewReader(body))
	if err != nil {
		return crashAnswer{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+r.apiKey)
	req.Header.Set("Content-Type", "application/json")
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	res, err := r.client.Do(req)
	if err != nil {
		return crashAnswer{err: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return crashAnswer{err: err}
	}
	return crashAnswer{status: res.StatusCode, replayed: res.Header.Get("Idempotent-Replayed") == "true", body: raw}
}

// get reads a JSON answer into out, failing the test on anything but a 200.
func (r *crashRun) get(path string, out any) {
	r.t.Helper()
	a := r.do("GET", path, "", "")
	if a.status != http.StatusOK {
		r.t.Fatalf("GET %s: %s", path, a)
	}
	if err := json.Unmarshal(a.body, out); err != nil {
		r.t.Fatalf("GET %s: %v in %s", path, err, a.body)
	}
}

// loadAndKill runs 8–16 workers creating sessions (each with a new key and
// amount) and confirming some, kills the server 100–600 ms in, and returns
// every create sent with its first answer.
func (r *crashRun) loadAndKill(cycle int) []*crashKey {
	workers := 8 + rand.IntN(9)
	killAfter := time.Duration(100+rand.IntN(501)) * time.Millisecond
	var (
		stopped  atomic.Bool
		confirms atomic.Int32
		mu       sync.Mutex
		keys     []*crashKey
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for i := 0; i < crashCreatesMax && !stopped.Load(); i++ {
				k := &crashKey{amount: r.amounts.Add(1), cycle: cycle}
				k.key = fmt.Sprintf("crash-%d", k.amount)
				k.first = r.do("POST", "/v1/checkouts", k.key, k.body())
				if s, ok := k.first.session(); ok && k.first.status == http.StatusCreated {
					k.acked = &s
				}
				mu.Lock()
				keys = append(keys, k)
				mu.Unlock()
				if k.acked != nil && rand.IntN(crashConfirmOneIn) == 0 && confirms.Add(1) <= crashConfirmsMax {
					r.do("POST", "/v1/checkouts/"+k.acked.ID+"/confirm", "", `{"channel": "orange_money"}`)
				}
			}
		})
	}
	time.Sleep(killAfter)
	stopped.Store(true)
	r.kill()
	wg.Wait()
	return keys
}

// retryAll resends every create of a cycle, with its key and body, until it
// yields a session. A 409 idempotency_key_in_use is expected until the key's
// claim is older than the takeover window, and tolerated until crashRetryFor
// after the kill.
func (r *crashRun) retryAll(keys []*crashKey) {
	deadline := r.lastKill.Add(crashRetryFor)
	pending := keys
	for pass := 0; len(pending) > 0; pass++ {
		switch {
		case pass == 1:
			time.Sleep(time.Until(r.lastKill.Add(crashTakeover + 500*time.Millisecond)))
		case pass > 1:
			time.Sleep(200 * time.Millisecond)
		}
		if pass > 0 && time.Now().After(deadline) {
			break
		}
		var inUse []*crashKey
		for _, k := range pending {
			if !r.retry(k) {
				inUse = append(inUse, k)
			}
		}
		pending = inUse
	}
	// Keys still refused are reported by checkOneSessionPerKey, which knows whether their session exists.
}

// retry resends k's create once; it reports false on a 409 idempotency_key_in_use.
func (r *crashRun) retry(k *crashKey) bool {
	a := r.do("POST", "/v1/checkouts", k.key, k.body())
	if a.inUse() {
		k.in409++
		return false
	}
	s, ok := a.session()
	switch {
	case !ok:
		r.t.Errorf("%s: retry after the restart answered %s", k, a)
	case s.Amount != k.amount:
		r.t.Errorf("%s: retry after the restart answered a session of amount %d: %s", k, s.Amount, a)
	default:
		k.final, k.replay = &s, a.replayed
	}
	return true
}

// checkAcknowledged checks that every acknowledged session of a cycle is
// there, unchanged, and that retrying its key replayed it.
func (r *crashRun) checkAcknowledged(keys []*crashKey) {
	for _, k := range keys {
		if k.acked == nil {
			continue
		}
		var got crashSession
		r.get("/v1/checkouts/"+k.acked.ID, &got)
		// Its status may have moved on: some sessions were confirmed.
		if diff := cmp.Diff(*k.acked, got, cmpopts.IgnoreFields(crashSession{}, "Status")); diff != "" {
			r.t.Errorf("%s: after the restart GET answers otherwise than the 201 (-201 +GET):\n%s", k, diff)
		}
		if k.final != nil && (k.final.ID != k.acked.ID || !k.replay) {
			r.t.Errorf("%s: the retry after the restart answered %s with Idempotent-Replayed %t (after %d 409s), want a replay of %s",
				k, k.final, k.replay, k.in409, k.acked.ID)
		}
	}
}

// sessionCounts sums up what checkOneSessionPerKey found wrong.
type sessionCounts struct {
	duplicated int // keys with more than one session
	extra      int // sessions beyond the first of those keys
	lockedOne  int // keys left claimed (retries got only 409) whose session exists
	lockedNone int // keys left claimed that have no session
}

// checkOneSessionPerKey lists every session of the merchant and checks that
// each key's amount appears exactly once (and no other amount does), as the
// session its retries ended with.
func (r *crashRun) checkOneSessionPerKey() sessionCounts {
	byAmount := map[int64][]crashSession{}
	for offset, n := 0, 0; ; n++ {
		if n == crashPagesMax {
			r.t.Fatalf("more than %d pages of sessions", n)
		}
		var page struct {
			Sessions   []crashSession `json:"sessions"`
			HasMore    bool           `json:"has_more"`
			NextOffset int            `json:"next_offset"`
		}
		r.get(fmt.Sprintf("/v1/checkouts?limit=100&offset=%d", offset), &page)
		for _, s := range page.Sessions {
			byAmount[s.Amount] = append(byAmount[s.Amount], s)
		}
		if !page.HasMore {
			break
		}
		offset = page.NextOffset
	}
	var c sessionCounts
	locked := fmt.Sprintf("retries with the key got only 409 idempotency_key_in_use until %s after the kill (takeover window %s)",
		crashRetryFor, crashTakeover)
	for _, k := range r.keys {
		got := byAmount[k.amount]
		delete(byAmount, k.amount)
		switch {
		case len(got) > 1:
			c.duplicated++
			c.extra += len(got) - 1
			r.t.Errorf("%s: %d sessions of amount %d, want 1: %v; its retries after the restart got %d× 409 idempotency_key_in_use, then %v with Idempotent-Replayed %t",
				k, len(got), k.amount, got, k.in409, k.final, k.replay)
		case k.final == nil && len(got) == 1:
			c.lockedOne++
			r.t.Errorf("%s: its session %s exists, but %d %s", k, got[0], k.in409, locked)
		case k.final == nil:
			c.lockedNone++
			r.t.Errorf("%s: no session, and %d %s", k, k.in409, locked)
		case len(got) == 0 || got[0].ID != k.final.ID:
			r.t.Errorf("%s: its retry answered %s but the sessions of amount %d are %v", k, k.final, k.amount, got)
		}
	}
	for amount, got := range byAmount {
		r.t.Errorf("sessions of amount %d, which no key asked for: %v", amount, got)
	}
	return c
}

// crashEvent is what the test reads of an event.
type crashEvent struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		Object struct {
			ID string `json:"id"`
		} `json:"object"`
	} `json:"data"`
}

// events lists every event of the merchant, newest first.
func (r *crashRun) events() []crashEvent {
	r.t.Helper()
	var all []crashEvent
	for after, n := "", 0; ; n++ {
		if n == crashPagesMax {
			r.t.Fatalf("more than %d pages of events", n)
		}
		var page struct {
			Data    []crashEvent `json:"data"`
			HasMore bool         `json:"has_more"`
		}
		path := "/v1/events?limit=100"
		if after != "" {
			path += "&starting_after=" + after
		}
		r.get(path, &page)
		all = append(all, page.Data...)
		if !page.HasMore || len(page.Data) == 0 {
			return all
		}
		after = page.Data[len(page.Data)-1].ID
	}
}

// succeededAttempts counts the successful deliveries of an event that its
// attempt log records.
func (r *crashRun) succeededAttempts(eventID string) int {
	r.t.Helper()
	var page struct {
		Data []struct {
			Succeeded bool `json:"succeeded"`
		} `json:"data"`
	}
	r.get("/v1/events/"+eventID+"/webhook_attempts", &page)
	n := 0
	for _, a := range page.Data {
		if a.Succeeded {
			n++
		}
	}
	return n
}

// unsettled counts the sessions still pending or processing, with a few of
// their ids: paid through the test connector, they all complete about a second
// after their confirmation.
func (r *crashRun) unsettled() (n int, some []string) {
	r.t.Helper()
	for _, status := range []string{"pending", "processing"} {
		var page struct {
			Sessions   []crashSession `json:"sessions"`
			TotalCount int            `json:"total_count"`
		}
		r.get("/v1/checkouts?limit=5&status="+status, &page)
		n += page.TotalCount
		for _, s := range page.Sessions {
			some = append(some, s.ID+" "+status)
		}
	}
	return n, some
}

// checkWebhooks waits, at most crashDeliverWithin after the last restart, for
// every session to settle and every event's attempt log to record a
// successful delivery to the receiver; then checks that it records exactly
// one, and that an event arrived again only from a later server process: a
// rerun of a job whose process was killed before it recorded the delivery.
// It returns the time from the restart to the last delivery and the number of
// duplicate deliveries.
func (r *crashRun) checkWebhooks(restarted time.Time) (lastDelivery time.Duration, duplicates int) {
	t := r.t
	var (
		events, missing []crashEvent
		open            int
		someOpen        []string
		recorded        = map[string]bool{} // attempts are never removed: one seen recorded stays so
	)
	for {
		events = r.events()
		open, someOpen = r.unsettled()
		missing = slices.DeleteFunc(slices.Clone(events), func(e crashEvent) bool {
			recorded[e.ID] = recorded[e.ID] || r.succeededAttempts(e.ID) > 0
			return recorded[e.ID]
		})
		if len(missing) == 0 && open == 0 || time.Since(restarted) > crashDeliverWithin {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(time.Second) // a duplicate would have arrived by now
	arrivals := r.rcv.arrivals()
	if open > 0 {
		t.Errorf("%d confirmed sessions are still pending or processing %s after the last restart (a test connector job cut by a kill and never run again?), e.g. %v",
			open, time.Since(restarted).Round(time.Second), someOpen)
	}
	if len(missing) > 0 {
		var some []string
		for _, e := range missing[:min(len(missing), 10)] {
			some = append(some, fmt.Sprintf("%s %s of %s (arrived %d times)", e.ID, e.Type, e.Data.Object.ID, len(arrivals[e.ID])))
		}
		t.Errorf("%d of %d events were not recorded as delivered within %s of the last restart, e.g.:\n%s",
			len(missing), len(events), crashDeliverWithin, strings.Join(some, "\n"))
	}
	for _, e := range events {
		if n := r.succeededAttempts(e.ID); n > 1 {
			t.Errorf("event %s %s (arrived %d times): its attempt log records %d successful deliveries, want 1",
				e.ID, e.Type, len(arrivals[e.ID]), n)
		}
	}
	for id, starts := range arrivals {
		duplicates += len(starts) - 1
		for i := 1; i < len(starts); i++ {
			prev, next := starts[i-1], starts[i]
			if !slices.ContainsFunc(r.ready, func(ready time.Time) bool { return prev.Before(ready) && !next.Before(ready) }) {
				t.Errorf("event %s arrived again %s after its previous delivery, with no restart in between: one server process sent it twice",
					id, next.Sub(prev).Round(time.Millisecond))
			}
		}
	}
	if last := r.rcv.last(); last.After(restarted) {
		lastDelivery = last.Sub(restarted)
	}
	return lastDelivery, duplicates
}

// slowReceiver is a webhook endpoint that holds each delivery for a while, so
// that deliveries are in flight when the server is killed, and records, per
// delivery, the event id, when it arrived and whether it was answered.
type slowReceiver struct {
	URL      string
	mu       sync.Mutex
	min, max time.Duration // how long to hold a delivery; 0 answers at once
	got      []*hookDelivery
}

type hookDelivery struct {
	event      string // webhook-id
	start, end time.Time
	answered   bool // held to the end; false when the server went away first
}

func newSlowReceiver(t *testing.T) *slowReceiver {
	h := &slowReceiver{}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	h.URL = ts.URL
	return h
}

func (h *slowReceiver) setHold(lo, hi time.Duration) {
	h.mu.Lock()
	h.min, h.max = lo, hi
	h.mu.Unlock()
}

func (h *slowReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	io.Copy(io.Discard, req.Body) // once the body is read, a closed connection cancels the context
	d := &hookDelivery{event: req.Header.Get("webhook-id"), start: time.Now()}
	h.mu.Lock()
	h.got = append(h.got, d)
	hold := h.min
	if h.max > h.min {
		hold += rand.N(h.max - h.min)
	}
	h.mu.Unlock()
	select {
	case <-time.After(hold):
	case <-req.Context().Done():
	}
	h.mu.Lock()
	d.end, d.answered = time.Now(), req.Context().Err() == nil
	h.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// arrivals returns, for each event, when each of its deliveries arrived,
// answered or not, in order.
func (h *slowReceiver) arrivals() map[string][]time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	at := map[string][]time.Time{}
	for _, d := range h.got {
		at[d.event] = append(at[d.event], d.start)
	}
	for _, starts := range at {
		slices.SortFunc(starts, time.Time.Compare)
	}
	return at
}

// unanswered counts the deliveries whose connection closed before they were
// answered: those a kill cut.
func (h *slowReceiver) unanswered() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, d := range h.got {
		if !d.answered {
			n++
		}
	}
	return n
}

// last returns when the last delivery arrived.
func (h *slowReceiver) last() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	var last time.Time
	for _, d := range h.got {
		if d.start.After(last) {
			last = d.start
		}
	}
	return last
}
