package notify

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/store/sqlitestore"
)

// statements is a store that notes how many attempts each AttemptCreate
// call records.
type statements struct {
	store.Store
	mu    sync.Mutex
	sizes []int
}

func (s *statements) AttemptCreate(ctx context.Context, attempts ...store.Attempt) error {
	s.mu.Lock()
	s.sizes = append(s.sizes, len(attempts))
	s.mu.Unlock()
	return s.Store.AttemptCreate(ctx, attempts...)
}

// waitFor waits until cond holds of the log.
func (l *attemptLog) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("never: %s", what)
}

// recordWhileHeld holds SQLite's one writer connection while attempts are
// recorded, one first and the rest once it waits for the writer, then lets
// the writer go and returns each record's outcome. It returns the store
// (noting its statements) and the attempts as recorded.
func recordWhileHeld(t *testing.T, attempts func(scope store.Scope) []store.Attempt) (*statements, []store.Attempt, []error) {
	t.Helper()
	env := newDeliveryEnv(t, newFakeDNS(t, nil), false)
	st := &statements{Store: env.svc.Store}
	scope := env.test.Scope()
	list := attempts(scope)
	ctx := context.Background()
	held, err := st.Store.(*sqlitestore.Store).Writer.Conn(ctx) // the only one: every write waits
	if err != nil {
		t.Fatal(err)
	}
	var l attemptLog
	errs := make([]error, len(list))
	var wg sync.WaitGroup
	for i, a := range list {
		wg.Go(func() {
			errs[i] = l.record(ctx, st, a)
			if errs[i] == nil { // committed when record returns
				if done, err := st.AttemptSucceeded(ctx, a.JobID); err != nil || !done {
					t.Errorf("attempt %d: recorded, yet AttemptSucceeded = %v, %v", i, done, err)
				}
			}
		})
		if i == 0 {
			l.waitFor(t, "the writer takes the first attempt", func() bool { waiting, busy := l.g.State(); return busy && waiting == 0 })
		}
	}
	l.waitFor(t, "the others wait", func() bool { waiting, _ := l.g.State(); return waiting == len(list)-1 })
	held.Close()
	wg.Wait()
	return st, list, errs
}

// newAttempt is a successful attempt of a job of its own.
func newAttempt(scope store.Scope) store.Attempt {
	return store.Attempt{ID: randid.New("wha_"), Scope: scope, EventID: "evt_1", EndpointID: "we_1",
		JobID: time.Now().UnixNano() + jobSeq.Add(1), Attempt: 1, StatusCode: 200, Succeeded: true, CreatedAt: time.Now().UTC()}
}

// jobSeq keeps the job ids of attempts made in the same nanosecond apart.
var jobSeq atomic.Int64

// TestAttemptLogGroupCommit: the attempts that come while one commits are
// committed together, in one statement, and each record returns once its
// attempt is committed.
func TestAttemptLogGroupCommit(t *testing.T) {
	t.Parallel()
	const n = 50
	st, list, errs := recordWhileHeld(t, func(scope store.Scope) []store.Attempt {
		var list []store.Attempt
		for range n {
			list = append(list, newAttempt(scope))
		}
		return list
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("attempt %d: %v", i, err)
		}
	}
	attempts, err := st.AttemptList(context.Background(), list[0].Scope, "evt_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(attempts) != n {
		t.Errorf("%d attempts stored, want %d", len(attempts), n)
	}
	// The first alone, the other 49 together.
	if got, want := fmt.Sprint(st.sizes), fmt.Sprint([]int{1, n - 1}); got != want {
		t.Errorf("statements recorded %s attempts, want %s", got, want)
	}
}

// TestAttemptLogRefusedAlone: an attempt the database refuses fails alone;
// the others of its batch are recorded.
func TestAttemptLogRefusedAlone(t *testing.T) {
	t.Parallel()
	const bad = 3
	st, list, errs := recordWhileHeld(t, func(scope store.Scope) []store.Attempt {
		var list []store.Attempt
		for range 6 {
			list = append(list, newAttempt(scope))
		}
		list[bad].ID = list[0].ID // refused: attempt ids are unique
		return list
	})
	for i, err := range errs {
		if (err != nil) != (i == bad) {
			t.Errorf("attempt %d: error %v", i, err)
		}
	}
	attempts, err := st.AttemptList(context.Background(), list[0].Scope, "evt_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(attempts) != len(list)-1 {
		t.Errorf("%d attempts stored, want %d", len(attempts), len(list)-1)
	}
	// The first alone, the other 5 together (refused), then each alone.
	if got, want := fmt.Sprint(st.sizes), fmt.Sprint([]int{1, 5, 1, 1, 1, 1, 1}); got != want {
		t.Errorf("statements recorded %s attempts, want %s", got, want)
	}
}

// TestDeliverOncePerJob: a job that has delivered does not send again (River
// runs it again after a crash between the record and the job's completion),
// even once its endpoint is gone; a job that has not is dropped when its
// endpoint is gone or disabled.
func TestDeliverOncePerJob(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(rcv.Close)
	env := newDeliveryEnv(t, newFakeDNS(t, nil), false)
	ctx := context.Background()
	mk := func() DeliverArgs {
		t.Helper()
		u := rcv.URL + "/hook"
		ep, err := env.svc.EndpointCreate(ctx, env.test, EndpointParams{URL: &u, EnabledEvents: []string{"*"}}, "")
		if err != nil {
			t.Fatal(err)
		}
		return DeliverArgs{MerchantID: env.test.Merchant.ID, EventID: env.events[false].ID, EndpointID: ep.ID}
	}
	deliver := func(what string, a DeliverArgs, job int64, attempt int, wantErr error, wantHits int32) {
		t.Helper()
		before := hits.Load()
		if err := env.svc.Deliver(ctx, a, job, attempt); err != wantErr {
			t.Errorf("%s: Deliver = %v, want %v", what, err, wantErr)
		}
		if got := hits.Load() - before; got != wantHits {
			t.Errorf("%s: %d requests received, want %d", what, got, wantHits)
		}
	}
	a := mk()
	deliver("first attempt", a, 1, 1, nil, 1)
	deliver("the same job again", a, 1, 2, nil, 0)
	deliver("another job", a, 2, 1, nil, 1)
	if err := env.svc.EndpointDelete(ctx, env.test, a.EndpointID); err != nil {
		t.Fatal(err)
	}
	deliver("a delivered job, endpoint deleted", a, 1, 3, nil, 0)
	deliver("a new job, endpoint deleted", a, 3, 1, ErrDropped, 0)

	b := mk()
	off := true
	if _, err := env.svc.EndpointUpdate(ctx, env.test, b.EndpointID, EndpointParams{Disabled: &off}); err != nil {
		t.Fatal(err)
	}
	deliver("endpoint disabled", b, 4, 1, ErrDropped, 0)
	c := mk()
	c.EventID = "evt_missing"
	deliver("no such event", c, 5, 1, ErrDropped, 0)
}
