// Package storetest is the conformance suite every store engine must pass:
// the same cases, run by each engine's own test against a real database.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store"
)

// Run runs every case against s, which must be migrated and otherwise empty or
// shared only with other Run calls (cases make their own merchants).
func Run(t *testing.T, s store.Store) {
	t.Helper()
	cases := map[string]func(*testing.T, store.Store){
		"Merchant":              testMerchant,
		"Keys":                  testKeys,
		"SessionRoundTrip":      testSessionRoundTrip,
		"SessionEveryField":     testSessionEveryField,
		"SessionScope":          testSessionScope,
		"SessionSearch":         testSessionSearch,
		"SessionSearchCount":    testSessionSearchCount,
		"SessionList":           testSessionList,
		"SessionSetMetadata":    testSessionSetMetadata,
		"SessionChangeStatus":   testSessionChangeStatus,
		"InTx":                  testInTx,
		"AmbientTx":             testAmbientTx,
		"Events":                testEvents,
		"EventsStreamed":        testEventsStreamed,
		"Idempotency":           testIdempotency,
		"IdempotencyConcurrent": testIdempotencyConcurrent,
		"Ping":                  func(t *testing.T, s store.Store) { must(t, s.Ping(context.Background())) },
	}
	maps.Copy(cases, lifecycleCases())
	maps.Copy(cases, connectorCases())
	maps.Copy(cases, txnCases())
	maps.Copy(cases, catalogCases())
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, s)
		})
	}
}

// same fails the test, showing the differences, when got is not want: every
// field compared (cmp.Diff), times as the same instant in the same zone (a
// store gives times back in UTC).
func same[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if d := cmp.Diff(want, got, sameZone); d != "" {
		t.Errorf("%s: -want +got:\n%s", what, d)
	}
}

var sameZone = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) && a.Location() == b.Location() })

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

// now is truncated to microseconds, the precision every engine keeps.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func newMerchant(t *testing.T, s store.Store) store.Merchant {
	t.Helper()
	m := store.Merchant{
		ID: randid.New("mer_"), Name: "Boutique Abidjan", Currencies: []string{"XOF", "XAF"},
		Fee: store.FeeSchedule{BasisPoints: 50, Fixed: 10, Minimum: 5, Maximum: 1000}, CreatedAt: now(),
	}
	must(t, s.MerchantCreate(context.Background(), m))
	return m
}

func newSession(scope store.Scope, created time.Time) store.Session {
	return store.Session{
		ID: randid.New("cs_test_"), Scope: scope, Status: "created", Amount: 5000, Currency: "XOF",
		UserPhone: "+2250707000001", PaymentID: "ORDER_1", CustomerID: "cus_1", Description: "Panier",
		Metadata: map[string]string{"order": "42", "é": "ü"}, TransactionFee: 25,
		CreatedAt: created, UpdatedAt: created, ExpiresAt: created.Add(30 * time.Minute),
		SuccessURL: "https://shop.example/ok?s={CHECKOUT_SESSION_ID}", CancelURL: "https://shop.example/back",
		CustomerEmail: "awa@example.com", Locale: "fr", PaymentMethodTypes: []string{"mobile_money", "card"},
		LineItems: []store.LineItem{
			{ID: "li_1", PriceID: "price_1", ProductID: "prod_1", Name: "Attiéké", Description: "poisson", UnitAmount: 1500, Quantity: 2},
			{ID: "li_2", PriceID: "price_2", ProductID: "prod_2", Name: "Bissap", UnitAmount: 2000, Quantity: 1},
		},
	}
}

func testMerchant(t *testing.T, s store.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	got, err := s.MerchantGet(ctx, m.ID)
	must(t, err)
	same(t, "MerchantGet", got, m)
	_, err = s.MerchantGet(ctx, "mer_missing")
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.MerchantCreate(ctx, m), store.ErrConflict)
	m.Name, m.Currencies = "Boutique Dakar", []string{"XOF", "USD"}
	m.Fee = store.FeeSchedule{BasisPoints: 120, Fixed: 10, Minimum: 25, Maximum: 5000}
	must(t, s.MerchantUpdate(ctx, m))
	got, err = s.MerchantGet(ctx, m.ID)
	must(t, err)
	same(t, "MerchantGet after MerchantUpdate", got, m)
	missing := m
	missing.ID = "mer_missing"
	wantErr(t, s.MerchantUpdate(ctx, missing), store.ErrNotFound)
}

func testKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	k := store.APIKey{ID: randid.New("key_"), MerchantID: m.ID, Livemode: true,
		Hash: []byte(randid.String(32)), Last4: "abcd", CreatedAt: now()}
	must(t, s.KeyCreate(ctx, k))
	got, gotM, err := s.KeyGetByHash(ctx, k.Hash)
	must(t, err)
	same(t, "KeyGetByHash's merchant", gotM, m)
	if got.ID != k.ID || !got.Livemode || got.MerchantID != m.ID || !bytes.Equal(got.Hash, k.Hash) ||
		!got.CreatedAt.Equal(k.CreatedAt) || got.RevokedAt != nil || got.Last4 != "abcd" {
		t.Fatalf("KeyGetByHash = %+v, want %+v", got, k)
	}
	dup := k
	dup.ID = randid.New("key_")
	wantErr(t, s.KeyCreate(ctx, dup), store.ErrConflict)

	second := store.APIKey{ID: randid.New("key_"), MerchantID: m.ID, Hash: []byte(randid.String(32)),
		Last4: "efgh", CreatedAt: k.CreatedAt.Add(time.Second)}
	must(t, s.KeyCreate(ctx, second))
	must(t, s.KeyRevoke(ctx, k.ID, now()))
	wantErr(t, s.KeyRevoke(ctx, k.ID, now()), store.ErrNotFound)
	_, _, err = s.KeyGetByHash(ctx, k.Hash)
	wantErr(t, err, store.ErrNotFound)

	list, err := s.KeyList(ctx, m.ID)
	must(t, err)
	if len(list) != 2 || list[0].ID != k.ID || list[0].RevokedAt == nil || list[1].ID != second.ID || list[1].RevokedAt != nil {
		t.Fatalf("KeyList = %+v", list)
	}
}

func testSessionRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	in := newSession(store.Scope{MerchantID: m.ID}, now())
	out, err := s.SessionCreate(ctx, in)
	must(t, err)
	if out.Seq == 0 {
		t.Fatal("SessionCreate did not set Seq")
	}
	got, err := s.SessionGet(ctx, in.Scope, in.ID)
	must(t, err)
	same(t, "SessionGet", got, out)
	_, err = s.SessionCreate(ctx, in)
	wantErr(t, err, store.ErrConflict)

	bare := newSession(in.Scope, now())
	bare.Metadata, bare.PaymentID, bare.UserPhone, bare.LineItems, bare.PaymentMethodTypes = nil, "", "", nil, nil
	_, err = s.SessionCreate(ctx, bare)
	must(t, err)
	got, err = s.SessionGet(ctx, in.Scope, bare.ID)
	must(t, err)
	if len(got.Metadata) != 0 || got.PaymentID != "" || got.CompletedAt != nil || len(got.LineItems) != 0 ||
		len(got.PaymentMethodTypes) != 0 {
		t.Fatalf("bare session read back as %+v", got)
	}
}

// testSessionEveryField stores a session whose every field is set, then
// reads it back whole, directly and as an event's session. A field added to
// store.Session fails here until this case sets it and the store keeps it: a
// column in sqldb's sessionTable (and a migration per engine), a key in its
// event snapshot.
func testSessionEveryField(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := newSession(store.Scope{MerchantID: newMerchant(t, s).ID, Livemode: true}, now())
	completed := in.CreatedAt.Add(90 * time.Second)
	in.Status, in.CompletedAt, in.FailureReason = "completed", &completed, "paid_late"
	in.Channel, in.ConnectorRef = "wave", "op_"+in.ID
	in.Attempt, in.ConnectorURL, in.ConnectorCheck = "6f1c2b7e-3d4a-4f5b-9c8d-0e1f2a3b4c5d", "https://pay.wave.example/c/cos_1", "9f86d081"
	in.CustomerCreation = "always"
	out, err := s.SessionCreate(ctx, in)
	must(t, err)
	for _, name := range zeroFields(reflect.ValueOf(out)) {
		t.Errorf("store.Session.%s is not set by this case: set it, and store it", name)
	}
	got, err := s.SessionGet(ctx, out.Scope, out.ID)
	must(t, err)
	same(t, "SessionGet", got, out)

	e, err := s.EventCreate(ctx, store.Event{ID: randid.New("evt_"), Scope: out.Scope, Type: "checkout.session.completed",
		Session: out, CreatedAt: now()})
	must(t, err)
	ev, err := s.EventGet(ctx, out.Scope, e.ID)
	must(t, err)
	same(t, "EventGet", ev, e)
}

// zeroFields names the fields of struct v, and of the structs embedded in it,
// that hold their zero value.
func zeroFields(v reflect.Value) []string {
	var names []string
	for i := range v.NumField() {
		f, field := v.Field(i), v.Type().Field(i)
		switch {
		case field.Anonymous && f.Kind() == reflect.Struct:
			names = append(names, zeroFields(f)...)
		case f.IsZero():
			names = append(names, field.Name)
		}
	}
	return names
}

func testSessionScope(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := newMerchant(t, s), newMerchant(t, s)
	sess, err := s.SessionCreate(ctx, newSession(store.Scope{MerchantID: a.ID}, now()))
	must(t, err)
	for _, scope := range []store.Scope{{MerchantID: b.ID}, {MerchantID: a.ID, Livemode: true}} {
		_, err := s.SessionGet(ctx, scope, sess.ID)
		wantErr(t, err, store.ErrNotFound)
		list, total, err := s.SessionSearch(ctx, scope, store.SessionFilter{Limit: 10})
		must(t, err)
		if len(list) != 0 || total != (store.Total{}) {
			t.Fatalf("scope %+v sees %+v sessions", scope, total)
		}
		_, err = s.SessionChangeStatus(ctx, scope, store.StatusChange{ID: sess.ID, From: "created", To: "cancelled", At: now()})
		wantErr(t, err, store.ErrNotFound)
	}
}

// listFixture stores 12 sessions for a new merchant, three per instant an hour
// apart, and returns their scope and ids in creation order.
func listFixture(t *testing.T, s store.Store) (store.Scope, []string, time.Time) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	base := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 12 {
		sess := newSession(scope, base.Add(time.Duration(i/3)*time.Hour)) // three sessions share each instant
		sess.Amount = int64(1000 * (i + 1))
		sess.PaymentID = fmt.Sprintf("ORDER_%d", i%4)
		sess.UserPhone = fmt.Sprintf("+22507070000%02d", i%2)
		sess.CustomerID = fmt.Sprintf("cus_%d", i%3)
		sess.CustomerEmail = fmt.Sprintf("c%d@example.com", i%2)
		switch {
		case i%5 == 0:
			sess.Status = "pending"
		case i%4 == 3:
			sess.Status = "completed"
		}
		_, err := s.SessionCreate(ctx, sess)
		must(t, err)
		ids = append(ids, sess.ID)
	}
	return scope, ids, base
}

func testSessionSearch(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope, ids, base := listFixture(t, s)
	p := func(v int64) *int64 { return &v }
	tp := func(v time.Time) *time.Time { return &v }
	cases := []struct {
		name string
		f    store.SessionFilter
		want []int // indexes into ids, newest first
	}{
		{"all", store.SessionFilter{}, []int{11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"status", store.SessionFilter{Statuses: []store.Status{"pending"}}, []int{10, 5, 0}},
		{"statuses", store.SessionFilter{Statuses: []store.Status{"pending", "completed"}}, []int{11, 10, 7, 5, 3, 0}},
		{"customer email", store.SessionFilter{CustomerEmail: "c1@example.com"}, []int{11, 9, 7, 5, 3, 1}},
		{"payment_id", store.SessionFilter{PaymentID: "ORDER_1"}, []int{9, 5, 1}},
		{"phone", store.SessionFilter{UserPhone: "+2250707000001"}, []int{11, 9, 7, 5, 3, 1}},
		{"customer", store.SessionFilter{CustomerID: "cus_2"}, []int{11, 8, 5, 2}},
		{"amount range", store.SessionFilter{AmountMin: p(3000), AmountMax: p(5000)}, []int{4, 3, 2}},
		{"one amount", store.SessionFilter{AmountMin: p(3000), AmountMax: p(3000)}, []int{2}},
		{"created range", store.SessionFilter{CreatedFrom: tp(base.Add(time.Hour)), CreatedBefore: tp(base.Add(3 * time.Hour))},
			[]int{8, 7, 6, 5, 4, 3}},
		{"combined", store.SessionFilter{UserPhone: "+2250707000001", AmountMin: p(4000), Statuses: []store.Status{"created"}, CustomerID: "cus_2"},
			nil},
		{"combined match", store.SessionFilter{UserPhone: "+2250707000001", AmountMin: p(4000), Statuses: []store.Status{"created"}},
			[]int{9}},
		{"none", store.SessionFilter{PaymentID: "ORDER_404"}, nil},
	}
	for _, c := range cases {
		c.f.Limit = 100
		list, total, err := s.SessionSearch(ctx, scope, c.f)
		must(t, err)
		var got []string
		for _, sess := range list {
			got = append(got, sess.ID)
		}
		var want []string
		for _, i := range c.want {
			want = append(want, ids[i])
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || total != (store.Total{Count: int64(len(want))}) {
			t.Errorf("%s: got %v (total %+v), want %v", c.name, got, total, want)
		}
	}
	page, total, err := s.SessionSearch(ctx, scope, store.SessionFilter{Limit: 5, Offset: 10})
	must(t, err)
	if total != (store.Total{Count: 12}) || len(page) != 2 || page[0].ID != ids[1] || page[1].ID != ids[0] {
		t.Fatalf("last page: %d sessions of %+v", len(page), total)
	}
}

// testSessionSearchCount checks a search's total against its bound: exact
// while at most CountBound sessions match after the page, else the page's end
// plus the bound and Capped; the page itself whatever the bound; and a full
// page has more after it exactly when the total says so — at a page ending
// among sessions created in the same instant, at the end, past it, filtered,
// and with statuses as read at an instant.
func testSessionSearchCount(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope, ids, base := listFixture(t, s)
	// At Now, the sessions created up to base+2h are past their deadline:
	// created and pending ones read expired (pending: 0, 5, 10).
	now := base.Add(2*time.Hour + 30*time.Minute)
	pending := []store.Status{"pending"}
	expired := []store.Status{"expired"}
	cases := []struct {
		name  string
		f     store.SessionFilter
		page  []int // indexes into ids, newest first
		total store.Total
	}{
		{"more than the bound after the page", store.SessionFilter{Limit: 5, CountBound: 3}, []int{11, 10, 9, 8, 7}, store.Total{Count: 8, Capped: true}},
		{"one more than the bound after the page", store.SessionFilter{Limit: 5, CountBound: 6}, []int{11, 10, 9, 8, 7}, store.Total{Count: 11, Capped: true}},
		{"the bound after the page", store.SessionFilter{Limit: 5, CountBound: 7}, []int{11, 10, 9, 8, 7}, store.Total{Count: 12}},
		{"no bound", store.SessionFilter{Limit: 5}, []int{11, 10, 9, 8, 7}, store.Total{Count: 12}},
		{"middle page within the bound", store.SessionFilter{Limit: 5, Offset: 5, CountBound: 3}, []int{6, 5, 4, 3, 2}, store.Total{Count: 12}},
		{"middle page past the bound", store.SessionFilter{Limit: 5, Offset: 5, CountBound: 1}, []int{6, 5, 4, 3, 2}, store.Total{Count: 11, Capped: true}},
		// 7 shares its instant with 6 and 8: what follows it is 6 on.
		{"page ending within an instant", store.SessionFilter{Limit: 4, Offset: 1, CountBound: 7}, []int{10, 9, 8, 7}, store.Total{Count: 12}},
		{"page ending within an instant, capped", store.SessionFilter{Limit: 4, Offset: 1, CountBound: 6}, []int{10, 9, 8, 7}, store.Total{Count: 11, Capped: true}},
		{"short last page", store.SessionFilter{Limit: 5, Offset: 10, CountBound: 1}, []int{1, 0}, store.Total{Count: 12}},
		{"full last page", store.SessionFilter{Limit: 4, Offset: 8, CountBound: 1}, []int{3, 2, 1, 0}, store.Total{Count: 12}},
		{"offset at the end", store.SessionFilter{Limit: 5, Offset: 12, CountBound: 1}, nil, store.Total{Count: 12}},
		{"offset past the end", store.SessionFilter{Limit: 5, Offset: 20, CountBound: 1}, nil, store.Total{Count: 12}},
		{"nothing matches", store.SessionFilter{PaymentID: "ORDER_404", Limit: 5, CountBound: 1}, nil, store.Total{}},
		{"filtered, capped", store.SessionFilter{Statuses: pending, Limit: 1, CountBound: 1}, []int{10}, store.Total{Count: 2, Capped: true}},
		{"filtered", store.SessionFilter{Statuses: pending, Limit: 1, CountBound: 2}, []int{10}, store.Total{Count: 3}},
		{"as read now, capped", store.SessionFilter{Statuses: expired, Now: now, Limit: 2, CountBound: 2}, []int{8, 6}, store.Total{Count: 4, Capped: true}},
		{"as read now", store.SessionFilter{Statuses: expired, Now: now, Limit: 2, Offset: 2, CountBound: 3}, []int{5, 4}, store.Total{Count: 7}},
		{"as read now, past the end", store.SessionFilter{Statuses: expired, Now: now, Limit: 2, Offset: 9, CountBound: 1}, nil, store.Total{Count: 7}},
	}
	for _, c := range cases {
		page, total, err := s.SessionSearch(ctx, scope, c.f)
		must(t, err)
		var want []string
		for _, i := range c.page {
			want = append(want, ids[i])
		}
		if got := page2ids(page); fmt.Sprint(got) != fmt.Sprint(want) || total != c.total {
			t.Errorf("%s: %v of %+v, want %v of %+v", c.name, got, total, want, c.total)
		}
		all := c.f
		all.Limit, all.Offset, all.CountBound = 100, 0, 0
		every, _, err := s.SessionSearch(ctx, scope, all)
		must(t, err)
		next := c.f.Offset + int64(len(page))
		if more := len(page) > 0 && next < total.Count; more != (len(page) > 0 && next < int64(len(every))) {
			t.Errorf("%s: total %+v says more after %d is %v, of %d matching", c.name, total, next, more, len(every))
		}
	}
}

// testSessionList walks the fixture in keyset pages of 5, forwards from the
// newest and backwards from the oldest, unfiltered and filtered.
func testSessionList(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope, ids, _ := listFixture(t, s)
	cases := []struct {
		name string
		f    store.SessionFilter
		want []int // newest first
	}{
		{"all", store.SessionFilter{}, []int{11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"email", store.SessionFilter{CustomerEmail: "c0@example.com"}, []int{10, 8, 6, 4, 2, 0}},
		{"statuses", store.SessionFilter{Statuses: []store.Status{"created", "pending"}}, []int{10, 9, 8, 6, 5, 4, 2, 1, 0}},
	}
	for _, c := range cases {
		c.f.Limit = 5
		var forward []string
		var k *store.Keyset
		for {
			page, err := s.SessionList(ctx, scope, c.f, k)
			must(t, err)
			for _, sess := range page {
				forward = append(forward, sess.ID)
			}
			if len(page) < c.f.Limit {
				break
			}
			last := page[len(page)-1]
			k = &store.Keyset{CreatedAt: last.CreatedAt, Seq: last.Seq}
		}
		var want []string
		for _, i := range c.want {
			want = append(want, ids[i])
		}
		if fmt.Sprint(forward) != fmt.Sprint(want) {
			t.Errorf("%s forwards: got %v, want %v", c.name, forward, want)
		}
		oldest, err := s.SessionGet(ctx, scope, want[len(want)-1])
		must(t, err)
		var backward []string
		k = &store.Keyset{CreatedAt: oldest.CreatedAt, Seq: oldest.Seq, Newer: true}
		for {
			page, err := s.SessionList(ctx, scope, c.f, k)
			must(t, err)
			backward = append(page2ids(page), backward...)
			if len(page) < c.f.Limit {
				break
			}
			k = &store.Keyset{CreatedAt: page[0].CreatedAt, Seq: page[0].Seq, Newer: true}
		}
		if fmt.Sprint(backward) != fmt.Sprint(want[:len(want)-1]) {
			t.Errorf("%s backwards: got %v, want %v", c.name, backward, want[:len(want)-1])
		}
	}
}

func page2ids(page []store.Session) []string {
	ids := make([]string, len(page))
	for i, s := range page {
		ids[i] = s.ID
	}
	return ids
}

func testSessionSetMetadata(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	sess, err := s.SessionCreate(ctx, newSession(scope, now()))
	must(t, err)
	at := now().Add(time.Second)
	next := map[string]string{"order": "43", "note": "l'été"}
	got, err := s.SessionSetMetadata(ctx, scope, sess.ID, sess.Metadata, next, at)
	must(t, err)
	same(t, "metadata after set", got.Metadata, next)
	same(t, "updated_at after set", got.UpdatedAt, at)
	_, err = s.SessionSetMetadata(ctx, scope, sess.ID, sess.Metadata, map[string]string{}, at)
	wantErr(t, err, store.ErrStale) // the metadata is no longer sess.Metadata
	got, err = s.SessionSetMetadata(ctx, scope, sess.ID, next, nil, at)
	must(t, err)
	if len(got.Metadata) != 0 {
		t.Fatalf("metadata not cleared: %v", got.Metadata)
	}
	_, err = s.SessionSetMetadata(ctx, store.Scope{MerchantID: "mer_other"}, sess.ID, nil, next, at)
	wantErr(t, err, store.ErrNotFound)
}

func testSessionChangeStatus(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	sess, err := s.SessionCreate(ctx, newSession(scope, now()))
	must(t, err)
	at := now()
	got, err := s.SessionChangeStatus(ctx, scope, store.StatusChange{ID: sess.ID, From: "created", To: "failed",
		At: at, CompletedAt: &at, FailureReason: "insufficient_funds"})
	must(t, err)
	if got.Status != "failed" || got.FailureReason != "insufficient_funds" || got.CompletedAt == nil ||
		!got.CompletedAt.Equal(at) || !got.UpdatedAt.Equal(at) || got.Seq != sess.Seq {
		t.Fatalf("after change: %+v", got)
	}
	_, err = s.SessionChangeStatus(ctx, scope, store.StatusChange{ID: sess.ID, From: "created", To: "cancelled", At: now()})
	wantErr(t, err, store.ErrStale)
	_, err = s.SessionChangeStatus(ctx, scope, store.StatusChange{ID: "cs_test_missing", From: "created", To: "cancelled", At: now()})
	wantErr(t, err, store.ErrNotFound)
}

func testIdempotency(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	t0 := now()
	rec := store.IdempotencyRecord{Scope: scope, Key: "key-1", RequestHash: []byte("hash-a"), CreatedAt: t0, LockedAt: t0}
	_, owned, err := s.IdempotencyBegin(ctx, rec, t0.Add(-time.Minute))
	must(t, err)
	if !owned {
		t.Fatal("a fresh key was not owned")
	}
	got, owned, err := s.IdempotencyBegin(ctx, rec, t0.Add(-time.Minute))
	must(t, err)
	if owned || got.Done || string(got.RequestHash) != "hash-a" {
		t.Fatalf("second Begin: owned=%v rec=%+v", owned, got)
	}
	other := rec
	other.Livemode = true
	if _, owned, _ := s.IdempotencyBegin(ctx, other, t0); !owned {
		t.Fatal("the same key in live mode is another key")
	}

	// An owner that stopped before lockedBefore is replaced, for the same request only.
	later := rec
	later.LockedAt = t0.Add(2 * time.Minute)
	diff := later
	diff.RequestHash = []byte("hash-b")
	if _, owned, _ := s.IdempotencyBegin(ctx, diff, t0.Add(time.Minute)); owned {
		t.Fatal("a different request took over a stale key")
	}
	if _, owned, _ := s.IdempotencyBegin(ctx, later, t0.Add(time.Minute)); !owned {
		t.Fatal("the same request did not take over a stale key")
	}

	// Only the current owner finishes the key.
	rec.StatusCode, rec.Body = 201, []byte(`{"id":"cs_1"}`)
	if err := s.IdempotencyFinish(ctx, rec); !errors.Is(err, store.ErrStale) {
		t.Fatalf("the owner that was taken over finished the key: %v", err)
	}
	later.StatusCode, later.Body = rec.StatusCode, rec.Body
	must(t, s.IdempotencyFinish(ctx, later))
	if err := s.IdempotencyFinish(ctx, later); !errors.Is(err, store.ErrStale) {
		t.Fatalf("a finished key was finished again: %v", err)
	}
	got, owned, err = s.IdempotencyBegin(ctx, rec, t0.Add(time.Hour))
	must(t, err)
	if owned || !got.Done || got.StatusCode != 201 || string(got.Body) != `{"id":"cs_1"}` || !got.CreatedAt.Equal(t0) {
		t.Fatalf("finished record: owned=%v %+v", owned, got)
	}

	free := rec
	free.Key = "key-2"
	rollback := errors.New("rolled back")
	err = s.InTx(ctx, func(tx store.Tx) error { // a claim in a transaction that rolls back leaves nothing
		if _, owned, err := s.IdempotencyBegin(store.WithTx(ctx, tx), free, t0); err != nil || !owned {
			t.Errorf("claim in a transaction: owned=%v, %v", owned, err)
		}
		return rollback
	})
	wantErr(t, err, rollback)
	if _, owned, _ := s.IdempotencyBegin(ctx, free, t0); !owned {
		t.Fatal("the key of a rolled-back claim was not free")
	}

	// A finished record put on a free key, in a transaction: then held.
	put := store.IdempotencyRecord{Scope: scope, Key: "key-put", RequestHash: []byte("hash-p"), Done: true,
		StatusCode: 201, Body: []byte(`{"id":"cs_p"}`), CreatedAt: t0, LockedAt: t0}
	must(t, s.InTx(ctx, func(tx store.Tx) error { return tx.IdempotencyPut(ctx, put) }))
	wantErr(t, s.InTx(ctx, func(tx store.Tx) error { return tx.IdempotencyPut(ctx, put) }), store.ErrConflict)
	got, owned, err = s.IdempotencyBegin(ctx, put, t0.Add(time.Hour))
	must(t, err)
	if owned || !got.Done || got.StatusCode != 201 || string(got.Body) != `{"id":"cs_p"}` || string(got.RequestHash) != "hash-p" {
		t.Fatalf("a put record reads back as owned=%v %+v", owned, got)
	}
	claimed := free
	claimed.Key = "key-3"
	_, _, err = s.IdempotencyBegin(ctx, claimed, t0) // a claim, not finished
	must(t, err)
	held := put
	held.Key = claimed.Key
	wantErr(t, s.InTx(ctx, func(tx store.Tx) error { return tx.IdempotencyPut(ctx, held) }), store.ErrConflict)

	old := store.IdempotencyRecord{Scope: scope, Key: "old", RequestHash: []byte("h"),
		CreatedAt: t0.Add(-48 * time.Hour), LockedAt: t0.Add(-48 * time.Hour)}
	_, _, err = s.IdempotencyBegin(ctx, old, t0)
	must(t, err)
	n, err := s.IdempotencyPurge(ctx, t0.Add(-24*time.Hour))
	must(t, err)
	if n < 1 {
		t.Fatalf("purge removed %d keys", n)
	}
	if _, owned, _ := s.IdempotencyBegin(ctx, old, t0.Add(-72*time.Hour)); !owned {
		t.Fatal("a purged key was still held")
	}
}

func testIdempotencyConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	var wg sync.WaitGroup
	var mu sync.Mutex
	owners := 0
	for range 20 {
		wg.Go(func() {
			t0 := now()
			_, owned, err := s.IdempotencyBegin(ctx, store.IdempotencyRecord{Scope: scope, Key: "race",
				RequestHash: []byte("h"), CreatedAt: t0, LockedAt: t0}, t0.Add(-time.Minute))
			if err != nil {
				t.Error(err)
			}
			if owned {
				mu.Lock()
				owners++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if owners != 1 {
		t.Fatalf("%d concurrent requests owned the key, want 1", owners)
	}
}

var errRollback = errors.New("storetest: roll back")

// testInTx changes a status and records its event in one transaction: both
// land on commit, neither when fn fails.
func testInTx(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	change := func(sess store.Session, fail bool) error {
		return s.InTx(ctx, func(tx store.Tx) error {
			if sqlTx, err := tx.SQL(ctx); sqlTx == nil || err != nil {
				t.Errorf("Tx.SQL inside InTx: %v, %v", sqlTx, err)
			}
			got, err := tx.SessionChangeStatus(ctx, scope, store.StatusChange{ID: sess.ID, From: "created", To: "pending", At: now()})
			if err != nil {
				return err
			}
			if _, err := tx.EventCreate(ctx, store.Event{ID: "evt_" + sess.ID, Scope: scope, Type: "checkout.session.pending",
				Session: got, CreatedAt: now()}); err != nil {
				return err
			}
			if seen, err := tx.SessionGet(ctx, scope, sess.ID); err != nil || seen.Status != "pending" {
				t.Errorf("inside the transaction: %v, %v", seen.Status, err)
			}
			if fail {
				return errRollback
			}
			return nil
		})
	}
	kept, err := s.SessionCreate(ctx, newSession(scope, now()))
	must(t, err)
	must(t, change(kept, false))
	dropped, err := s.SessionCreate(ctx, newSession(scope, now()))
	must(t, err)
	wantErr(t, change(dropped, true), errRollback)

	got, err := s.SessionGet(ctx, scope, kept.ID)
	must(t, err)
	ev, err := s.EventGet(ctx, scope, "evt_"+kept.ID)
	must(t, err)
	if got.Status != "pending" || ev.Session.Status != "pending" || ev.Session.ID != kept.ID {
		t.Fatalf("committed: session %s, event of %s in %s", got.Status, ev.Session.ID, ev.Session.Status)
	}
	got, err = s.SessionGet(ctx, scope, dropped.ID)
	must(t, err)
	if got.Status != "created" {
		t.Fatalf("rolled back session is %s", got.Status)
	}
	_, err = s.EventGet(ctx, scope, "evt_"+dropped.ID)
	wantErr(t, err, store.ErrNotFound)
}

// testAmbientTx runs store calls with a context that carries a transaction
// (store.WithTx): they read and write in it, a nested InTx is a savepoint that
// a failure rolls back alone, and nothing lands unless the transaction
// commits — the idempotency record with it.
func testAmbientTx(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	t0 := now()
	claim := func(key string) store.IdempotencyRecord {
		rec := store.IdempotencyRecord{Scope: scope, Key: key, RequestHash: []byte("h"), CreatedAt: t0, LockedAt: t0}
		_, owned, err := s.IdempotencyBegin(ctx, rec, t0.Add(-time.Minute))
		must(t, err)
		if !owned {
			t.Fatalf("key %s not owned", key)
		}
		rec.StatusCode, rec.Body = 201, []byte(`{}`)
		return rec
	}
	request := func(rec store.IdempotencyRecord, kept, nested store.Session, fail bool) error {
		return s.InTx(ctx, func(tx store.Tx) error {
			ctx := store.WithTx(ctx, tx)
			if _, err := s.SessionCreate(ctx, kept); err != nil { // a method of the store, not of tx
				return err
			}
			if _, err := s.SessionGet(ctx, scope, kept.ID); err != nil {
				t.Errorf("a read with the transaction's context does not see its write: %v", err)
			}
			err := s.InTx(ctx, func(tx store.Tx) error {
				if _, err := tx.SessionCreate(ctx, nested); err != nil {
					return err
				}
				return errRollback
			})
			wantErr(t, err, errRollback)
			if err := s.IdempotencyFinish(ctx, rec); err != nil {
				return err
			}
			if fail {
				return errRollback
			}
			return nil
		})
	}
	key := func(rec store.IdempotencyRecord) store.IdempotencyRecord {
		got, owned, err := s.IdempotencyBegin(ctx, rec, t0.Add(-time.Minute))
		must(t, err)
		if owned {
			t.Fatalf("key %s is free", rec.Key)
		}
		return got
	}

	rolled := claim("rolled-back")
	a, b := newSession(scope, now()), newSession(scope, now())
	wantErr(t, request(rolled, a, b, true), errRollback)
	for _, id := range []string{a.ID, b.ID} {
		_, err := s.SessionGet(ctx, scope, id)
		wantErr(t, err, store.ErrNotFound)
	}
	if got := key(rolled); got.Done {
		t.Fatal("a rolled-back request finished its key")
	}

	committed := claim("committed")
	a, b = newSession(scope, now()), newSession(scope, now())
	must(t, request(committed, a, b, false))
	_, err := s.SessionGet(ctx, scope, a.ID)
	must(t, err)
	_, err = s.SessionGet(ctx, scope, b.ID)
	wantErr(t, err, store.ErrNotFound) // its savepoint was rolled back
	if got := key(committed); !got.Done || got.StatusCode != 201 {
		t.Fatalf("the committed request's key: %+v", got)
	}
}

// testEvents lists events newest first by keyset, filtered by type, and keeps
// them within their scope.
func testEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	sess, err := s.SessionCreate(ctx, newSession(scope, now()))
	must(t, err)
	base := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	types := []store.EventType{"checkout.session.completed", "checkout.session.expired"}
	var ids []string // creation order
	var first store.Event
	for i := range 9 {
		e := store.Event{ID: randid.New("evt_"), Scope: scope, Type: types[i%2], Session: sess,
			CreatedAt: base.Add(time.Duration(i/3) * time.Second)} // three per second
		e, err := s.EventCreate(ctx, e)
		must(t, err)
		if i == 0 {
			first = e
		}
		ids = append(ids, e.ID)
	}
	walk := func(f store.EventFilter) []string {
		var got []string
		var k *store.Keyset
		for {
			page, err := s.EventList(ctx, scope, f, k)
			must(t, err)
			for _, e := range page {
				got = append(got, e.ID)
			}
			if len(page) < f.Limit {
				return got
			}
			last := page[len(page)-1]
			k = &store.Keyset{CreatedAt: last.CreatedAt, Seq: last.Seq}
		}
	}
	from := base.Add(time.Second)
	for _, c := range []struct {
		name string
		f    store.EventFilter
		want []int
	}{
		{"all", store.EventFilter{Limit: 4}, []int{8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"by type", store.EventFilter{Types: types[1:], Limit: 2}, []int{7, 5, 3, 1}},
		{"from a second", store.EventFilter{CreatedFrom: &from, Limit: 10}, []int{8, 7, 6, 5, 4, 3}},
	} {
		var want []string
		for _, i := range c.want {
			want = append(want, ids[i])
		}
		if got := walk(c.f); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", c.name, got, want)
		}
	}
	got, err := s.EventGet(ctx, scope, ids[0])
	must(t, err)
	same(t, "EventGet", got, first)
	_, err = s.EventGet(ctx, store.Scope{MerchantID: scope.MerchantID, Livemode: true}, ids[0])
	wantErr(t, err, store.ErrNotFound)
}
