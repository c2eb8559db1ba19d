package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store"
)

// connectorCases are the cases of payment attempts and merchants' connectors.
func connectorCases() map[string]func(*testing.T, store.Store) {
	return map[string]func(*testing.T, store.Store){
		"PaymentAttempts":     testPaymentAttempts,
		"Connectors":          testConnectors,
		"SessionsToReconcile": testSessionsToReconcile,
	}
}

// testPaymentAttempts: a move with an attempt starts it afresh (clearing the
// previous attempt's start); SessionSetStart records the current attempt's
// start once, in the session's scope only, and ignores another attempt's.
func testPaymentAttempts(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID, Livemode: true}
	sess, err := s.SessionCreate(ctx, newSession(scope, now()))
	must(t, err)
	moved, err := s.SessionChangeStatus(ctx, scope, store.StatusChange{ID: sess.ID, From: "created", To: "pending", At: now(), Attempt: "a1"})
	must(t, err)
	if moved.Attempt != "a1" {
		t.Fatalf("attempt = %q after the move, want a1", moved.Attempt)
	}
	first := store.PaymentStart{Attempt: "a1", Ref: "op_1", URL: "https://op.example/pay/1", Check: "c1"}
	for _, p := range []struct {
		scope store.Scope
		start store.PaymentStart
	}{
		{scope, store.PaymentStart{Attempt: "a0", Ref: "op_0"}}, // an older attempt's late answer
		{store.Scope{MerchantID: scope.MerchantID}, first},      // the other mode
		{scope, first},
		{scope, store.PaymentStart{Attempt: "a1", Ref: "op_again", URL: "x"}}, // a second answer to the same attempt
	} {
		must(t, s.SessionSetStart(ctx, p.scope, sess.ID, p.start))
	}
	got, err := s.SessionGet(ctx, scope, sess.ID)
	must(t, err)
	want := moved
	want.ConnectorRef, want.ConnectorURL, want.ConnectorCheck = "op_1", "https://op.example/pay/1", "c1"
	same(t, "after SessionSetStart", got, want)

	failed, err := s.SessionChangeStatus(ctx, scope, store.StatusChange{ID: sess.ID, From: "pending", To: "failed", At: now(), FailureReason: "insufficient_funds"})
	must(t, err)
	if failed.ConnectorRef != "op_1" || failed.Attempt != "a1" {
		t.Errorf("a move without an attempt changed it: %+v", failed)
	}
	retried, err := s.SessionChangeStatus(ctx, scope, store.StatusChange{ID: sess.ID, From: "failed", To: "pending", At: now(), Attempt: "a2", UserPhone: "+2250707000002"})
	must(t, err)
	if retried.Attempt != "a2" || retried.ConnectorRef != "" || retried.ConnectorURL != "" || retried.ConnectorCheck != "" || retried.FailureReason != "" {
		t.Errorf("a new attempt kept the previous one's start: %+v", retried)
	}
}

// testConnectors stores one connector per merchant, mode and channel: put
// replaces it keeping its id, and no merchant sees another's.
func testConnectors(t *testing.T, s store.Store) {
	ctx := context.Background()
	m, other := newMerchant(t, s), newMerchant(t, s)
	live := store.Scope{MerchantID: m.ID, Livemode: true}
	t0 := now().In(wat)
	in := store.Connector{ID: randid.New("conn_"), Scope: live, Channel: "mtn_momo", Kind: "mtn_momo",
		BaseURL: "https://sandbox.momodeveloper.mtn.com", Credentials: "sealed:1", CreatedAt: t0, UpdatedAt: t0}
	first, err := s.ConnectorPut(ctx, in)
	must(t, err)
	want := in
	want.Seq, want.CreatedAt, want.UpdatedAt = first.Seq, t0.UTC(), t0.UTC()
	same(t, "ConnectorPut", first, want)

	t1 := t0.Add(time.Minute)
	again := in
	again.ID, again.Kind, again.BaseURL, again.Credentials, again.CreatedAt, again.UpdatedAt = randid.New("conn_"), "http", "https://op.example", "sealed:2", t1, t1
	second, err := s.ConnectorPut(ctx, again)
	must(t, err)
	want.Kind, want.BaseURL, want.Credentials, want.UpdatedAt = "http", "https://op.example", "sealed:2", t1.UTC()
	same(t, "ConnectorPut over it", second, want)

	got, err := s.ConnectorGet(ctx, first.ID)
	must(t, err)
	same(t, "ConnectorGet", got, want)
	got, err = s.ConnectorFor(ctx, live, "mtn_momo")
	must(t, err)
	same(t, "ConnectorFor", got, want)
	for _, sc := range []store.Scope{{MerchantID: m.ID}, {MerchantID: other.ID, Livemode: true}} {
		_, err = s.ConnectorFor(ctx, sc, "mtn_momo")
		wantErr(t, err, store.ErrNotFound)
	}
	_, err = s.ConnectorFor(ctx, live, "wave")
	wantErr(t, err, store.ErrNotFound)

	test := in
	test.ID, test.Scope, test.Channel = randid.New("conn_"), store.Scope{MerchantID: m.ID}, "wave"
	_, err = s.ConnectorPut(ctx, test)
	must(t, err)
	list, err := s.ConnectorList(ctx, m.ID)
	must(t, err)
	if len(list) != 2 || list[0].Livemode || list[1].ID != first.ID {
		t.Errorf("ConnectorList = %+v, want the test-mode wave connector, then the live one", list)
	}
	if list, err := s.ConnectorList(ctx, other.ID); err != nil || len(list) != 0 {
		t.Errorf("another merchant's ConnectorList = %v, %v", list, err)
	}

	wantErr(t, s.ConnectorDelete(ctx, store.Scope{MerchantID: other.ID, Livemode: true}, "mtn_momo"), store.ErrNotFound)
	must(t, s.ConnectorDelete(ctx, live, "mtn_momo"))
	wantErr(t, s.ConnectorDelete(ctx, live, "mtn_momo"), store.ErrNotFound)
	_, err = s.ConnectorGet(ctx, first.ID)
	wantErr(t, err, store.ErrNotFound)
}

// testSessionsToReconcile lists the sessions with an attempt that are still
// open, or that changed since the window's start, by merchant, in seq order.
func testSessionsToReconcile(t *testing.T, s store.Store) {
	ctx := context.Background()
	m, other := newMerchant(t, s), newMerchant(t, s)
	old := now().Add(-48 * time.Hour)
	since := now().Add(-time.Hour)
	mk := func(scope store.Scope, status store.Status, attempt string, updated time.Time) store.Session {
		in := newSession(scope, updated)
		in.Status, in.Attempt = status, attempt
		out, err := s.SessionCreate(ctx, in)
		must(t, err)
		return out
	}
	live := store.Scope{MerchantID: m.ID, Livemode: true}
	want := []store.Session{
		mk(live, "pending", "a1", old),                            // open, however old
		mk(live, "processing", "a2", old),                         // open
		mk(live, "failed", "a3", now()),                           // ended in the window
		mk(store.Scope{MerchantID: m.ID}, "expired", "a4", now()), // test mode too
	}
	mk(live, "completed", "a5", old) // ended before the window
	mk(live, "created", "", now())   // never sent to an operator
	mk(live, "expired", "", now())   // expired before paying
	mk(store.Scope{MerchantID: other.ID, Livemode: true}, "pending", "a6", old)

	got, err := s.SessionsToReconcile(ctx, m.ID, since, 0, 100)
	must(t, err)
	same(t, "SessionsToReconcile", got, want)
	page, err := s.SessionsToReconcile(ctx, m.ID, since, want[0].Seq, 2)
	must(t, err)
	same(t, "SessionsToReconcile after the first, 2", page, want[1:3])
	all, err := s.SessionsToReconcile(ctx, "", since, want[0].Seq-1, 1000)
	must(t, err)
	if len(all) < len(want)+1 {
		t.Errorf("across merchants: %d sessions, want at least %d", len(all), len(want)+1)
	}
}
