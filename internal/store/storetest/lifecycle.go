package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store"
)

// lifecycleCases are the cases of a session's life after its creation (the
// channel and operator reference, the expiry sweep) and of webhook endpoints
// and delivery attempts.
func lifecycleCases() map[string]func(*testing.T, store.Store) {
	return map[string]func(*testing.T, store.Store){
		"SessionLifecycleFields":   testSessionLifecycleFields,
		"SessionLookup":            testSessionLookup,
		"SessionsDue":              testSessionsDue,
		"StatusesAsReadNow":        testStatusesAsReadNow,
		"StatusChangePhoneChannel": testStatusChangePhoneChannel,
		"Endpoints":                testEndpoints,
		"EndpointList":             testEndpointList,
		"EndpointsEnabled":         testEndpointsEnabled,
		"Attempts":                 testAttempts,
		"AttemptSucceeded":         testAttemptSucceeded,
		"AttemptsTogether":         testAttemptsTogether,
		"DeliveryGet":              testDeliveryGet,
		"InTxLifecycle":            testInTxLifecycle,
	}
}

// wat is a zone other than UTC: stores must give times back in UTC.
var wat = time.FixedZone("WAT", 3600)

// otherScopes are the scopes that must not see scope's rows: another merchant
// (in the same mode) and the other mode of the same merchant.
func otherScopes(t *testing.T, s store.Store, scope store.Scope) []store.Scope {
	t.Helper()
	return []store.Scope{
		{MerchantID: newMerchant(t, s).ID, Livemode: scope.Livemode},
		{MerchantID: scope.MerchantID, Livemode: !scope.Livemode},
	}
}

// testSessionLifecycleFields stores a session's channel and operator reference
// as given at creation, like every other field.
func testSessionLifecycleFields(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	for _, c := range []struct{ channel, ref string }{{"", ""}, {"wave", "op_8f3a"}} {
		in := newSession(scope, now())
		in.Channel, in.ConnectorRef = c.channel, c.ref
		out, err := s.SessionCreate(ctx, in)
		must(t, err)
		got, err := s.SessionGet(ctx, scope, in.ID)
		must(t, err)
		if got.Channel != c.channel || got.ConnectorRef != c.ref {
			t.Errorf("created with channel %q, ref %q: read back %q, %q", c.channel, c.ref, got.Channel, got.ConnectorRef)
		}
		same(t, "SessionGet", got, out)
	}
}

// testSessionLookup reads a session by id whatever its scope.
func testSessionLookup(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := newMerchant(t, s), newMerchant(t, s)
	for _, scope := range []store.Scope{{MerchantID: a.ID}, {MerchantID: a.ID, Livemode: true}, {MerchantID: b.ID}} {
		in := newSession(scope, now())
		in.ID = randid.New("cs_live_")
		_, err := s.SessionCreate(ctx, in)
		must(t, err)
		in.Attempt = "a-" + in.ID
		_, err = s.SessionChangeStatus(ctx, scope, store.StatusChange{ID: in.ID, From: in.Status, To: "pending", At: now(), Attempt: in.Attempt})
		must(t, err)
		must(t, s.SessionSetStart(ctx, scope, in.ID, store.PaymentStart{Attempt: in.Attempt, Ref: "op_" + in.ID}))
		want, err := s.SessionGet(ctx, scope, in.ID)
		must(t, err)
		got, err := s.SessionLookup(ctx, in.ID)
		must(t, err)
		same(t, fmt.Sprintf("SessionLookup in %+v", scope), got, want)
	}
	_, err := s.SessionLookup(ctx, "cs_test_missing")
	wantErr(t, err, store.ErrNotFound)
}

// testStatusesAsReadNow filters sessions by status as they read at a given
// instant: a created session past its deadline, or a test-mode pending one,
// counts as expired (the sweep has not written it yet); a live pending one
// keeps its status, and so does every session without Now. Search (with its
// count) and keyset lists agree.
func testStatusesAsReadNow(t *testing.T, s store.Store) {
	ctx := context.Background()
	test := store.Scope{MerchantID: newMerchant(t, s).ID}
	live := store.Scope{MerchantID: test.MerchantID, Livemode: true}
	created := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	now := created.Add(time.Hour)
	ids := map[string]string{}
	for _, f := range []struct {
		name    string
		scope   store.Scope
		status  store.Status
		expires time.Duration // after now
	}{
		{"created due", test, "created", -time.Second}, {"created open", test, "created", time.Minute},
		{"created at its deadline", test, "created", 0},
		{"pending due", test, "pending", -time.Second}, {"pending open", test, "pending", time.Minute},
		{"expired", test, "expired", -time.Hour}, {"processing due", test, "processing", -time.Second},
		{"live pending due", live, "pending", -time.Second}, {"live created due", live, "created", -time.Second},
	} {
		sess := newSession(f.scope, created.Add(time.Duration(len(ids))*time.Second))
		sess.Status, sess.ExpiresAt = f.status, now.Add(f.expires)
		_, err := s.SessionCreate(ctx, sess)
		must(t, err)
		ids[f.name] = sess.ID
	}
	cases := []struct {
		scope    store.Scope
		statuses []store.Status
		now      time.Time
		want     []string // names, newest first
	}{
		{test, []store.Status{"created"}, now, []string{"created open"}},
		{test, []store.Status{"pending"}, now, []string{"pending open"}},
		{test, []store.Status{"expired"}, now, []string{"expired", "pending due", "created at its deadline", "created due"}},
		{test, []store.Status{"processing"}, now, []string{"processing due"}},
		{test, []store.Status{"created", "expired"}, now,
			[]string{"expired", "pending due", "created at its deadline", "created open", "created due"}},
		{test, []store.Status{"created"}, time.Time{}, []string{"created at its deadline", "created open", "created due"}},
		{live, []store.Status{"pending"}, now, []string{"live pending due"}},
		{live, []store.Status{"expired"}, now, []string{"live created due"}},
	}
	for _, c := range cases {
		var want []string
		for _, name := range c.want {
			want = append(want, ids[name])
		}
		f := store.SessionFilter{Statuses: c.statuses, Now: c.now, Limit: 20}
		found, total, err := s.SessionSearch(ctx, c.scope, f)
		must(t, err)
		listed, err := s.SessionList(ctx, c.scope, f, nil)
		must(t, err)
		for what, got := range map[string][]string{"search": page2ids(found), "list": page2ids(listed)} {
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s %v at %v in %+v: %v, want %v (%v)", what, c.statuses, c.now, c.scope, got, want, c.want)
			}
		}
		if total != (store.Total{Count: int64(len(want))}) {
			t.Errorf("search %v at %v: total %+v, want %d", c.statuses, c.now, total, len(want))
		}
	}
}

// testSessionsDue lists created and test-mode pending sessions past their
// deadline (never a live pending one: the operator decides those), earliest
// first, in one scope or all. Its deadlines are in 2001, long before
// any other case's, so that the all-scopes sweep sees only this case's sessions.
func testSessionsDue(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := store.Scope{MerchantID: newMerchant(t, s).ID}
	aLive := store.Scope{MerchantID: a.MerchantID, Livemode: true}
	b := store.Scope{MerchantID: newMerchant(t, s).ID}
	base := time.Date(2001, 2, 3, 4, 5, 6, 789012000, time.UTC)
	at := func(d time.Duration) time.Time { return base.Add(d) }
	type due struct {
		name    string
		scope   store.Scope
		status  store.Status
		expires time.Time
	}
	fixture := []due{
		{"a pending 1s", a, "pending", at(time.Second)},
		{"b created 1.5s", b, "created", at(1500 * time.Millisecond)},
		{"a created 2s", a, "created", at(2 * time.Second)},
		{"a live created 3s", aLive, "created", at(3 * time.Second)},
		{"a created 4s", a, "created", at(4 * time.Second)},
		{"b pending 5s", b, "pending", at(5 * time.Second)}, // the sweep's now: due at the very deadline
		{"a created 6s", a, "created", at(6 * time.Second)}, // not yet due
		{"a pending 7s", a, "pending", at(7 * time.Second)}, // not yet due
	}
	// Sessions the sweep must not expire, with the earliest deadlines of all.
	fixture = append(fixture, due{"a live pending", aLive, "pending", at(-2 * time.Hour)})
	for i, status := range []store.Status{"processing", "completed", "failed", "expired", "cancelled"} {
		for _, scope := range []store.Scope{a, aLive, b} {
			fixture = append(fixture, due{string(status), scope, status, at(-time.Hour + time.Duration(i)*time.Minute)})
		}
	}
	ids := map[string]string{} // fixture name → session id
	byID := map[string]store.Session{}
	for _, f := range fixture {
		sess := newSession(f.scope, at(-2*time.Hour))
		sess.Status, sess.ExpiresAt = f.status, f.expires
		out, err := s.SessionCreate(ctx, sess)
		must(t, err)
		ids[f.name+fmt.Sprint(f.scope)] = out.ID
		byID[out.ID] = out
	}
	id := func(name string, scope store.Scope) string { return ids[name+fmt.Sprint(scope)] }
	pa, pb, ca2, cl3, ca4, pb5 := id("a pending 1s", a), id("b created 1.5s", b), id("a created 2s", a),
		id("a live created 3s", aLive), id("a created 4s", a), id("b pending 5s", b)
	now := at(5 * time.Second)
	unknown := store.Scope{MerchantID: "mer_unknown"}
	cases := []struct {
		name  string
		scope *store.Scope
		now   time.Time
		limit int
		want  []string
	}{
		{"all scopes", nil, now, 100, []string{pa, pb, ca2, cl3, ca4, pb5}},
		{"all scopes, limit", nil, now, 4, []string{pa, pb, ca2, cl3}},
		{"all scopes, a microsecond before a deadline", nil, now.Add(-time.Microsecond), 100, []string{pa, pb, ca2, cl3, ca4}},
		{"all scopes, before the first deadline", nil, at(time.Second - time.Microsecond), 100, nil},
		{"all scopes, at the first deadline", nil, at(time.Second), 100, []string{pa}},
		{"test mode", &a, now, 100, []string{pa, ca2, ca4}},
		{"test mode, limit", &a, now, 2, []string{pa, ca2}},
		{"test mode, later", &a, at(time.Hour), 100, []string{pa, ca2, ca4, id("a created 6s", a), id("a pending 7s", a)}},
		{"live mode", &aLive, now, 100, []string{cl3}},
		{"other merchant", &b, now, 100, []string{pb, pb5}},
		{"unknown merchant", &unknown, now, 100, nil},
	}
	for _, c := range cases {
		list, err := s.SessionsDue(ctx, c.scope, c.now, c.limit)
		must(t, err)
		if got := page2ids(list); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: SessionsDue = %v, want %v", c.name, got, c.want)
			continue
		}
		for _, got := range list {
			same(t, c.name+": due session", got, byID[got.ID])
		}
	}
}

// testStatusChangePhoneChannel walks one session through status changes that
// set, keep and replace its phone and channel.
func testStatusChangePhoneChannel(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	sess, err := s.SessionCreate(ctx, newSession(scope, now())) // phone +2250707000001, no channel
	must(t, err)
	done := now().Add(time.Minute)
	steps := []struct {
		name           string
		from, to       store.Status
		phone, channel string     // the change
		completed      *time.Time // the change
		wantPhone      string
		wantChannel    string
	}{
		{"empty keeps the phone and no channel", "created", "pending", "", "", nil, "+2250707000001", ""},
		{"both set", "pending", "processing", "+2250505000002", "orange_money", nil, "+2250505000002", "orange_money"},
		{"both empty keep both", "processing", "pending", "", "", nil, "+2250505000002", "orange_money"},
		{"channel only", "pending", "processing", "", "wave", nil, "+2250505000002", "wave"},
		{"phone only", "processing", "completed", "+2250101000003", "", &done, "+2250101000003", "wave"},
	}
	want := sess
	for i, c := range steps {
		at := now().Add(time.Duration(i+1) * time.Second)
		got, err := s.SessionChangeStatus(ctx, scope, store.StatusChange{ID: sess.ID, From: c.from, To: c.to, At: at,
			CompletedAt: c.completed, UserPhone: c.phone, Channel: c.channel})
		must(t, err)
		want.Status, want.UpdatedAt, want.CompletedAt = c.to, at, c.completed
		want.UserPhone, want.Channel = c.wantPhone, c.wantChannel
		same(t, c.name+": returned", got, want)
		read, err := s.SessionGet(ctx, scope, sess.ID)
		must(t, err)
		same(t, c.name+": read back", read, want)
	}
	// A change that loses the compare-and-set writes neither.
	_, err = s.SessionChangeStatus(ctx, scope, store.StatusChange{ID: sess.ID, From: "processing", To: "failed", At: now(),
		UserPhone: "+2250909000004", Channel: "mtn_momo"})
	wantErr(t, err, store.ErrStale)
	read, err := s.SessionGet(ctx, scope, sess.ID)
	must(t, err)
	same(t, "after a stale change", read, want)
}

func newEndpoint(scope store.Scope, created time.Time) store.Endpoint {
	return store.Endpoint{
		ID: randid.New("we_"), Scope: scope, URL: "https://shop.example/hooks/caisse?tenant=ci",
		Description: "Boutique – reçus", EnabledEvents: []string{"checkout.session.expired", "checkout.session.completed"},
		Status: "enabled", Secret: "whsec_" + randid.String(32), APIVersion: "2025-03-31.basil", PayloadFormat: "stripe",
		Metadata: map[string]string{"team": "ops", "é": "ü"}, CreatedAt: created, UpdatedAt: created.Add(1500 * time.Microsecond),
	}
}

// utcEndpoint is e as a store gives it back: times in UTC.
func utcEndpoint(e store.Endpoint) store.Endpoint {
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return e
}

// testEndpoints round-trips every endpoint field, updates only what
// EndpointUpdate may change, deletes, and keeps all of it within the scope.
func testEndpoints(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID, Livemode: true}
	in := newEndpoint(scope, time.Date(2024, 4, 5, 6, 7, 8, 123456000, wat))
	in.EnabledEvents = []string{"checkout.session.expired", "*", "checkout.session.completed"} // kept in this order
	out, err := s.EndpointCreate(ctx, in)
	must(t, err)
	if out.Seq == 0 {
		t.Fatal("EndpointCreate did not set Seq")
	}
	want := utcEndpoint(out)
	got, err := s.EndpointGet(ctx, scope, in.ID)
	must(t, err)
	same(t, "EndpointGet", got, want)
	_, err = s.EndpointCreate(ctx, in)
	wantErr(t, err, store.ErrConflict)

	bare := newEndpoint(scope, now())
	bare.Description, bare.Metadata, bare.EnabledEvents = "", nil, []string{"*"}
	bare.Status, bare.PayloadFormat = "disabled", "momo"
	_, err = s.EndpointCreate(ctx, bare)
	must(t, err)
	got, err = s.EndpointGet(ctx, scope, bare.ID)
	must(t, err)
	if got.Description != "" || len(got.Metadata) != 0 || fmt.Sprint(got.EnabledEvents) != "[*]" ||
		got.Status != "disabled" || got.PayloadFormat != "momo" {
		t.Errorf("bare endpoint read back as %+v", got)
	}

	for _, other := range otherScopes(t, s, scope) {
		_, err := s.EndpointGet(ctx, other, in.ID)
		wantErr(t, err, store.ErrNotFound)
		upd := want
		upd.Scope, upd.URL = other, "https://evil.example/"
		_, err = s.EndpointUpdate(ctx, upd)
		wantErr(t, err, store.ErrNotFound)
		wantErr(t, s.EndpointDelete(ctx, other, in.ID), store.ErrNotFound)
	}
	got, err = s.EndpointGet(ctx, scope, in.ID)
	must(t, err)
	same(t, "after other scopes' update and delete", got, want)

	// Only url, description, events, status, metadata and updated_at change.
	upd := want
	upd.URL, upd.Description, upd.Status = "https://shop.example/v2/hooks", "", "disabled"
	upd.EnabledEvents = []string{"checkout.session.completed", "checkout.session.async_payment_failed"}
	upd.Metadata = map[string]string{"team": "finance"}
	upd.UpdatedAt = time.Date(2024, 4, 6, 0, 0, 0, 999999000, wat)
	upd.Secret, upd.APIVersion, upd.PayloadFormat, upd.CreatedAt = "whsec_other", "2020-08-27", "momo", upd.CreatedAt.Add(time.Hour)
	upd.Seq = 0
	want.URL, want.Description, want.Status, want.EnabledEvents, want.Metadata = upd.URL, upd.Description, upd.Status,
		upd.EnabledEvents, upd.Metadata
	want.UpdatedAt = upd.UpdatedAt.UTC()
	got, err = s.EndpointUpdate(ctx, upd)
	must(t, err)
	same(t, "EndpointUpdate", got, want)
	got, err = s.EndpointGet(ctx, scope, in.ID)
	must(t, err)
	same(t, "EndpointGet after update", got, want)
	missing := upd
	missing.ID = "we_missing"
	_, err = s.EndpointUpdate(ctx, missing)
	wantErr(t, err, store.ErrNotFound)

	must(t, s.EndpointDelete(ctx, scope, in.ID))
	_, err = s.EndpointGet(ctx, scope, in.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.EndpointDelete(ctx, scope, in.ID), store.ErrNotFound)
	_, err = s.EndpointUpdate(ctx, upd)
	wantErr(t, err, store.ErrNotFound)
	list, err := s.EndpointList(ctx, scope, 10, nil)
	must(t, err)
	if fmt.Sprint(endpointIDs(list)) != fmt.Sprint([]string{bare.ID}) {
		t.Errorf("EndpointList after delete = %v, want [%s]", endpointIDs(list), bare.ID)
	}
}

func endpointIDs(list []store.Endpoint) []string {
	var ids []string
	for _, e := range list {
		ids = append(ids, e.ID)
	}
	return ids
}

// testEndpointList walks a scope's endpoints in keyset pages, forwards from the
// newest and backwards from the oldest, past other scopes' endpoints made at the
// same instants.
func testEndpointList(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	others := otherScopes(t, s, scope)
	base := time.Date(2024, 5, 1, 8, 0, 0, 1000, time.UTC)
	var want []string // newest first
	for i := range 8 {
		created := base.Add(time.Duration(i/3) * time.Second) // three endpoints share each instant
		e, err := s.EndpointCreate(ctx, newEndpoint(scope, created))
		must(t, err)
		want = append([]string{e.ID}, want...)
		_, err = s.EndpointCreate(ctx, newEndpoint(others[i%2], created))
		must(t, err)
	}
	for _, limit := range []int{1, 3, 8, 20} {
		var forward []string
		var k *store.Keyset
		for {
			page, err := s.EndpointList(ctx, scope, limit, k)
			must(t, err)
			if len(page) > limit {
				t.Fatalf("limit %d: a page of %d", limit, len(page))
			}
			forward = append(forward, endpointIDs(page)...)
			if len(page) < limit {
				break
			}
			last := page[len(page)-1]
			k = &store.Keyset{CreatedAt: last.CreatedAt, Seq: last.Seq}
		}
		if fmt.Sprint(forward) != fmt.Sprint(want) {
			t.Errorf("limit %d forwards: got %v, want %v", limit, forward, want)
		}

		oldest, err := s.EndpointGet(ctx, scope, want[len(want)-1])
		must(t, err)
		var backward []string
		k = &store.Keyset{CreatedAt: oldest.CreatedAt, Seq: oldest.Seq, Newer: true}
		for {
			page, err := s.EndpointList(ctx, scope, limit, k)
			must(t, err)
			backward = append(endpointIDs(page), backward...)
			if len(page) < limit {
				break
			}
			k = &store.Keyset{CreatedAt: page[0].CreatedAt, Seq: page[0].Seq, Newer: true}
		}
		if fmt.Sprint(backward) != fmt.Sprint(want[:len(want)-1]) {
			t.Errorf("limit %d backwards: got %v, want %v", limit, backward, want[:len(want)-1])
		}
	}
	// The page just newer than the third newest is the two newest, newest first.
	third, err := s.EndpointGet(ctx, scope, want[2])
	must(t, err)
	page, err := s.EndpointList(ctx, scope, 10, &store.Keyset{CreatedAt: third.CreatedAt, Seq: third.Seq, Newer: true})
	must(t, err)
	if fmt.Sprint(endpointIDs(page)) != fmt.Sprint(want[:2]) {
		t.Errorf("page newer than the third: got %v, want %v", endpointIDs(page), want[:2])
	}
	for _, other := range others {
		list, err := s.EndpointList(ctx, other, 100, nil)
		must(t, err)
		if len(list) != 4 {
			t.Errorf("scope %+v lists %d endpoints, want its own 4", other, len(list))
		}
		for _, e := range list {
			if e.Scope != other {
				t.Errorf("scope %+v lists endpoint %s of %+v", other, e.ID, e.Scope)
			}
		}
	}
}

// testEndpointsEnabled lists the scope's enabled endpoints, oldest first, as
// their status changes.
func testEndpointsEnabled(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	base := now()
	var eps []store.Endpoint
	for i, status := range []string{"enabled", "disabled", "enabled", "enabled"} {
		e := newEndpoint(scope, base.Add(time.Duration(i)*time.Second))
		e.Status = status
		e, err := s.EndpointCreate(ctx, e)
		must(t, err)
		eps = append(eps, utcEndpoint(e))
	}
	for _, other := range otherScopes(t, s, scope) {
		_, err := s.EndpointCreate(ctx, newEndpoint(other, base))
		must(t, err)
	}
	check := func(what string, want ...store.Endpoint) {
		t.Helper()
		got, err := s.EndpointsEnabled(ctx, scope)
		must(t, err)
		same(t, what+": EndpointsEnabled", got, want)
	}
	check("created", eps[0], eps[2], eps[3])

	at := base.Add(time.Minute)
	for i, status := range []string{"disabled", "enabled"} { // the first disabled, the second enabled
		e := eps[i]
		e.Status, e.UpdatedAt = status, at
		got, err := s.EndpointUpdate(ctx, e)
		must(t, err)
		eps[i] = got
	}
	must(t, s.EndpointDelete(ctx, scope, eps[3].ID))
	check("after updates and a delete", eps[1], eps[2])

	for _, e := range eps[:3] {
		if e.Status == "enabled" {
			e.Status, e.UpdatedAt = "disabled", at
			_, err := s.EndpointUpdate(ctx, e)
			must(t, err)
		}
	}
	check("all disabled")
}

// uniqueJobID is a River job id no other case uses (job ids are not scoped).
func uniqueJobID() int64 { return rand.Int64N(1<<62) + 1 }

// testAttempts round-trips every attempt field and lists an event's attempts,
// oldest first, within the scope.
func testAttempts(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	others := otherScopes(t, s, scope)
	eventID, otherEvent := randid.New("evt_"), randid.New("evt_")
	job := uniqueJobID()
	base := time.Date(2024, 6, 7, 8, 9, 10, 654321000, wat)
	mk := func(scope store.Scope, event string, n int, code int, latency time.Duration, errText string, ok bool) store.Attempt {
		return store.Attempt{ID: randid.New("wa_"), Scope: scope, EventID: event, EndpointID: "we_" + scope.MerchantID,
			JobID: job, Attempt: n, StatusCode: code, Latency: latency, Error: errText, Succeeded: ok,
			CreatedAt: base.Add(time.Duration(n) * time.Minute)}
	}
	mine := []store.Attempt{
		mk(scope, eventID, 1, 0, 30*time.Second+time.Microsecond, "dial tcp 203.0.113.7:443: i/o timeout", false),
		mk(scope, eventID, 2, 503, 1234567*time.Microsecond, "HTTP 503: «maintenance»", false),
		mk(scope, eventID, 3, 200, 987*time.Microsecond, "", true),
	}
	mine[2].EndpointID = "we_second"
	insert := []store.Attempt{
		mine[0],
		mk(others[0], eventID, 1, 500, time.Millisecond, "other merchant", false),
		mine[1],
		mk(scope, otherEvent, 1, 200, time.Millisecond, "", true),
		mk(others[1], eventID, 1, 410, time.Millisecond, "other mode", false),
		mine[2],
	}
	for _, a := range insert {
		must(t, s.AttemptCreate(ctx, a))
	}
	got, err := s.AttemptList(ctx, scope, eventID)
	must(t, err)
	if len(got) != len(mine) {
		t.Fatalf("AttemptList = %+v, want %d attempts", got, len(mine))
	}
	for i, a := range got {
		if a.Seq == 0 || (i > 0 && a.Seq <= got[i-1].Seq) {
			t.Errorf("attempt %d has Seq %d after %d", i, a.Seq, got[max(i-1, 0)].Seq)
		}
		want := mine[i]
		want.Seq, want.CreatedAt = a.Seq, want.CreatedAt.UTC()
		same(t, fmt.Sprintf("attempt %d", i), a, want)
	}
	for i, other := range others {
		list, err := s.AttemptList(ctx, other, eventID)
		must(t, err)
		if len(list) != 1 || list[0].ID != insert[[]int{1, 4}[i]].ID {
			t.Errorf("scope %+v lists %+v, want only its own attempt", other, list)
		}
	}
	list, err := s.AttemptList(ctx, scope, "evt_missing")
	must(t, err)
	if len(list) != 0 {
		t.Errorf("attempts of a missing event: %+v", list)
	}
}

// testAttemptsTogether records several attempts in one call, each as if
// recorded alone, and none of them when the database refuses one.
func testAttemptsTogether(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID, Livemode: true}
	eventID := randid.New("evt_")
	mk := func(n int, ok bool, errText string) store.Attempt {
		return store.Attempt{ID: randid.New("wa_"), Scope: scope, EventID: eventID, EndpointID: randid.New("we_"),
			JobID: uniqueJobID(), Attempt: n, StatusCode: map[bool]int{true: 204, false: 0}[ok], Latency: time.Duration(n) * time.Millisecond,
			Error: errText, Succeeded: ok, CreatedAt: time.Date(2024, 6, 7, 8, 9, 10, n*1000, wat)}
	}
	together := []store.Attempt{mk(1, true, ""), mk(2, false, "connection refused"), mk(3, true, "")}
	must(t, s.AttemptCreate(ctx, together...))
	got, err := s.AttemptList(ctx, scope, eventID)
	must(t, err)
	if len(got) != len(together) {
		t.Fatalf("AttemptList = %+v, want the %d recorded together", got, len(together))
	}
	for i, a := range got {
		want := together[i]
		want.Seq, want.CreatedAt = a.Seq, want.CreatedAt.UTC()
		same(t, fmt.Sprintf("attempt %d", i), a, want)
	}
	refused := []store.Attempt{mk(4, true, ""), together[1], mk(5, true, "")} // an id already recorded
	if err := s.AttemptCreate(ctx, refused...); err == nil {
		t.Fatal("AttemptCreate recorded an attempt id twice")
	}
	got, err = s.AttemptList(ctx, scope, eventID)
	must(t, err)
	if len(got) != len(together) {
		t.Errorf("after a refused call, AttemptList has %d attempts, want still %d", len(got), len(together))
	}
	must(t, s.AttemptCreate(ctx)) // nothing to record
}

// testAttemptSucceeded is true for a job once one of its attempts succeeded.
func testAttemptSucceeded(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	job, other := uniqueJobID(), uniqueJobID()
	succeeded := func(job int64, want bool, what string) {
		t.Helper()
		got, err := s.AttemptSucceeded(ctx, job)
		must(t, err)
		if got != want {
			t.Errorf("%s: AttemptSucceeded = %v, want %v", what, got, want)
		}
	}
	attempt := func(job int64, n int, ok bool) {
		t.Helper()
		code := 500
		if ok {
			code = 204
		}
		must(t, s.AttemptCreate(ctx, store.Attempt{ID: randid.New("wa_"), Scope: scope, EventID: "evt_1",
			EndpointID: "we_1", JobID: job, Attempt: n, StatusCode: code, Latency: time.Millisecond, Succeeded: ok, CreatedAt: now()}))
	}
	succeeded(job, false, "no attempt")
	attempt(job, 1, false)
	attempt(other, 1, true)
	succeeded(job, false, "a failed attempt, and another job's success")
	attempt(job, 2, true)
	succeeded(job, true, "a successful attempt")
	attempt(job, 3, false)
	succeeded(job, true, "a failure after a success")
}

// testDeliveryGet reads a delivery's endpoint and event as EndpointGet and
// EventGet do, and whether its job has delivered as AttemptSucceeded does,
// all within the scope; ErrNotFound when either is missing.
func testDeliveryGet(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID, Livemode: true}
	sess, err := s.SessionCreate(ctx, newSession(scope, now()))
	must(t, err)
	event, err := s.EventCreate(ctx, store.Event{ID: randid.New("evt_"), Scope: scope, Type: "checkout.session.completed",
		Session: sess, CreatedAt: time.Date(2024, 6, 7, 8, 9, 10, 654321000, wat)})
	must(t, err)
	endpoint, err := s.EndpointCreate(ctx, newEndpoint(scope, time.Date(2024, 4, 5, 6, 7, 8, 123456000, wat)))
	must(t, err)
	wantEvent, err := s.EventGet(ctx, scope, event.ID)
	must(t, err)
	wantEndpoint, err := s.EndpointGet(ctx, scope, endpoint.ID)
	must(t, err)
	job := uniqueJobID()
	get := func(what string, done bool) {
		t.Helper()
		d, err := s.DeliveryGet(ctx, scope, endpoint.ID, event.ID, job)
		must(t, err)
		same(t, what+": DeliveryGet", d, store.Delivery{Endpoint: wantEndpoint, Event: wantEvent, Done: done})
	}
	attempt := func(job int64, ok bool) {
		t.Helper()
		must(t, s.AttemptCreate(ctx, store.Attempt{ID: randid.New("wa_"), Scope: scope, EventID: event.ID,
			EndpointID: endpoint.ID, JobID: job, Attempt: 1, StatusCode: map[bool]int{true: 200, false: 500}[ok],
			Succeeded: ok, CreatedAt: now()}))
	}
	get("no attempt", false)
	attempt(job, false)
	attempt(uniqueJobID(), true)
	get("a failed attempt, and another job's success", false)
	attempt(job, true)
	get("a successful attempt", true)

	for _, c := range []struct {
		what              string
		scope             store.Scope
		endpoint, eventID string
	}{
		{"another mode", store.Scope{MerchantID: scope.MerchantID}, endpoint.ID, event.ID},
		{"another merchant", otherScopes(t, s, scope)[0], endpoint.ID, event.ID},
		{"no such endpoint", scope, "we_missing", event.ID},
		{"no such event", scope, endpoint.ID, "evt_missing"},
	} {
		_, err := s.DeliveryGet(ctx, c.scope, c.endpoint, c.eventID, job)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: DeliveryGet: %v, want ErrNotFound", c.what, err)
		}
	}
}

// testInTxLifecycle creates a session inside a transaction (kept on commit,
// gone on roll-back) and lists from it the endpoints made before it began.
func testInTxLifecycle(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID}
	enabled, err := s.EndpointCreate(ctx, newEndpoint(scope, now()))
	must(t, err)
	disabled := newEndpoint(scope, now())
	disabled.Status = "disabled"
	_, err = s.EndpointCreate(ctx, disabled)
	must(t, err)
	for _, other := range otherScopes(t, s, scope) {
		_, err := s.EndpointCreate(ctx, newEndpoint(other, now()))
		must(t, err)
	}

	create := func(sess store.Session, fail bool) (store.Session, error) {
		var created store.Session
		err := s.InTx(ctx, func(tx store.Tx) error {
			eps, err := tx.EndpointsEnabled(ctx, scope)
			if err != nil {
				return err
			}
			same(t, "Tx.EndpointsEnabled", eps, []store.Endpoint{utcEndpoint(enabled)})
			if created, err = tx.SessionCreate(ctx, sess); err != nil {
				return err
			}
			if created.Seq == 0 {
				t.Error("Tx.SessionCreate did not set Seq")
			}
			seen, err := tx.SessionGet(ctx, scope, sess.ID)
			if err != nil {
				return err
			}
			same(t, "inside the transaction", seen, created)
			if fail {
				return errRollback
			}
			return nil
		})
		return created, err
	}
	kept, err := create(newSession(scope, now()), false)
	must(t, err)
	got, err := s.SessionGet(ctx, scope, kept.ID)
	must(t, err)
	same(t, "committed", got, kept)
	_, err = create(kept, false)
	wantErr(t, err, store.ErrConflict)

	dropped := newSession(scope, now())
	_, err = create(dropped, true)
	wantErr(t, err, errRollback)
	_, err = s.SessionGet(ctx, scope, dropped.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.SessionLookup(ctx, dropped.ID)
	wantErr(t, err, store.ErrNotFound)
}
