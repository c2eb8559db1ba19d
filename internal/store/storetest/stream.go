package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store"
)

// testEventsStreamed follows a scope's events in stream order from where a
// stream opened before them begins: all of them once, in the order their
// transactions wrote them, a page at a time, filtered by type, and none of
// another merchant's or of the other mode.
func testEventsStreamed(t *testing.T, s store.Store) {
	ctx := context.Background()
	m, other := newMerchant(t, s), newMerchant(t, s)
	scope := store.Scope{MerchantID: m.ID}
	live := store.Scope{MerchantID: m.ID, Livemode: true}
	elsewhere := store.Scope{MerchantID: other.ID}
	start, err := s.EventStreamStart(ctx)
	must(t, err)
	types := []store.EventType{"checkout.session.completed", "checkout.session.expired"}
	var created []store.Event // this scope's, in creation order (one transaction each)
	for i := range 7 {
		for _, sc := range []store.Scope{scope, live, elsewhere} {
			if sc != scope && i%3 != 0 {
				continue
			}
			sess, err := s.SessionCreate(ctx, newSession(sc, now()))
			must(t, err)
			// created_at runs backwards: the stream follows transactions, not the clock.
			e, err := s.EventCreate(ctx, store.Event{ID: randid.New("evt_"), Scope: sc, Type: types[i%2],
				Session: sess, CreatedAt: now().Add(-time.Duration(i) * time.Second)})
			must(t, err)
			if sc == scope {
				created = append(created, e)
			}
		}
	}
	// follow reads the scope's stream a page of limit at a time from start.
	follow := func(sc store.Scope, f store.EventFilter) []string {
		var ids []string
		pos := start
		for {
			page, err := s.EventsStreamed(ctx, sc, f, pos)
			must(t, err)
			if len(page) > f.Limit {
				t.Fatalf("a page of %d events, limit %d", len(page), f.Limit)
			}
			for _, e := range page {
				if !before(pos, e.Pos()) {
					t.Fatalf("event %s at %+v does not come after %+v", e.ID, e.Pos(), pos)
				}
				ids, pos = append(ids, e.ID), pos.Past(e)
			}
			if len(page) < f.Limit {
				return ids
			}
		}
	}
	all := start
	if got, want := fmt.Sprint(streamed(t, s, scope, &all, created[len(created)-1].ID)), fmt.Sprint(eventIDs(created)); got != want {
		t.Fatalf("the stream: got %v, want %v", got, want)
	}
	want := func(keep func(i int) bool) []string {
		var ids []string
		for i, e := range created {
			if keep(i) {
				ids = append(ids, e.ID)
			}
		}
		return ids
	}
	for _, c := range []struct {
		name string
		f    store.EventFilter
		want []string
	}{
		{"all, a page at a time", store.EventFilter{Limit: 3}, want(func(int) bool { return true })},
		{"by type", store.EventFilter{Types: types[1:], Limit: 2}, want(func(i int) bool { return i%2 == 1 })},
	} {
		if got := follow(scope, c.f); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	for _, sc := range []store.Scope{live, elsewhere} {
		for _, id := range follow(sc, store.EventFilter{Limit: 100}) {
			for _, e := range created {
				if e.ID == id {
					t.Errorf("scope %+v streams %s, an event of %+v", sc, id, scope)
				}
			}
		}
	}
	// A resumed stream finds an event's position by reading it.
	got, err := s.EventGet(ctx, scope, created[2].ID)
	must(t, err)
	if got.Pos() != created[2].Pos() {
		t.Errorf("EventGet's position %+v, EventCreate's %+v", got.Pos(), created[2].Pos())
	}
	rest, err := s.EventsStreamed(ctx, scope, store.EventFilter{Limit: 100}, got.Pos())
	must(t, err)
	if ids, want := fmt.Sprint(eventIDs(rest)), fmt.Sprint(want(func(i int) bool { return i > 2 })); ids != want {
		t.Errorf("after the third event: got %v, want %v", ids, want)
	}
	// A stream opened now sends the next event, and none committed before.
	opened, err := s.EventStreamStart(ctx)
	must(t, err)
	sess, err := s.SessionCreate(ctx, newSession(scope, now()))
	must(t, err)
	next, err := s.EventCreate(ctx, store.Event{ID: randid.New("evt_"), Scope: scope, Type: types[0], Session: sess, CreatedAt: now()})
	must(t, err)
	if got := streamed(t, s, scope, &opened, next.ID); fmt.Sprint(got) != fmt.Sprint([]string{next.ID}) {
		t.Errorf("a stream opened before event %s and after the others sends %v", next.ID, got)
	}
}

// EventStreamWaits is the case of an engine whose transactions commit
// concurrently (PostgreSQL), run by that engine's own test: a transaction
// writes event A and stays open while a later one writes B and commits. A
// stream following the scope must not pass A while its transaction is open,
// and sends A and B once each after it commits; a stream opened after B
// committed, while A's transaction is open, sends A and not B.
func EventStreamWaits(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	write := func(tx store.Tx) store.Event {
		sess, err := tx.SessionCreate(ctx, newSession(scope, now()))
		must(t, err)
		e, err := tx.EventCreate(ctx, store.Event{ID: randid.New("evt_"), Scope: scope, Type: "checkout.session.completed",
			Session: sess, CreatedAt: now()})
		must(t, err)
		return e
	}
	follower, err := s.EventStreamStart(ctx)
	must(t, err)
	var a, b store.Event
	var opened store.StreamPos // where a stream opened while A's transaction is open begins
	must(t, s.InTx(ctx, func(tx store.Tx) error {
		a = write(tx)
		must(t, s.InTx(ctx, func(tx store.Tx) error { b = write(tx); return nil }))
		if a.Txn >= b.Txn {
			t.Fatalf("A's transaction %d is not before B's %d", a.Txn, b.Txn)
		}
		var err error
		opened, err = s.EventStreamStart(ctx)
		must(t, err)
		page, err := s.EventsStreamed(ctx, scope, store.EventFilter{Limit: 100}, follower)
		must(t, err)
		if len(page) != 0 {
			t.Errorf("while A's transaction is open the stream sends %v (B is %s): it passes A", eventIDs(page), b.ID)
			follower = follower.Past(page[len(page)-1]) // as a stream moves on
		}
		return nil
	}))
	if got, want := fmt.Sprint(streamed(t, s, scope, &follower, b.ID)), fmt.Sprint([]string{a.ID, b.ID}); got != want {
		t.Errorf("following, once A's transaction committed: got %v, want %v (A, B)", got, want)
	}
	if got, err := s.EventsStreamed(ctx, scope, store.EventFilter{Limit: 100}, follower); err != nil || len(got) != 0 {
		t.Errorf("following, read again: %v, %v; want nothing new", eventIDs(got), err)
	}
	if opened.Opened == "" {
		t.Fatalf("a stream opened while A's transaction was open keeps no record of what had ended: %+v", opened)
	}
	if got := streamed(t, s, scope, &opened, a.ID); fmt.Sprint(got) != fmt.Sprint([]string{a.ID}) {
		t.Errorf("a stream opened after B committed, while A's transaction was open, sends %v, want A (%s) alone", got, a.ID)
	}
	if got, err := s.EventsStreamed(ctx, scope, store.EventFilter{Limit: 100}, opened); err != nil || len(got) != 0 {
		t.Errorf("that stream, read again: %v, %v; want nothing (B committed before it opened)", eventIDs(got), err)
	}
}

// streamed reads the scope's stream from *pos, moving *pos on, until it has
// sent the event last or a few seconds have passed: on PostgreSQL a
// transaction of another test, still open, holds every stream back a while.
func streamed(t *testing.T, s store.Store, scope store.Scope, pos *store.StreamPos, last string) []string {
	t.Helper()
	var ids []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		page, err := s.EventsStreamed(context.Background(), scope, store.EventFilter{Limit: 100}, *pos)
		must(t, err)
		for _, e := range page {
			ids, *pos = append(ids, e.ID), pos.Past(e)
		}
		if slices.Contains(ids, last) || time.Now().After(deadline) {
			return ids
		}
	}
}

// before reports whether p comes before q in stream order.
func before(p, q store.StreamPos) bool { return p.Txn < q.Txn || p.Txn == q.Txn && p.Seq < q.Seq }

func eventIDs(list []store.Event) []string {
	ids := make([]string, len(list))
	for i, e := range list {
		ids[i] = e.ID
	}
	return ids
}
