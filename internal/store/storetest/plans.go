package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/store/sqldb"
)

// PlanCase is a query shape the schema must serve from an index.
type PlanCase struct {
	Name   string
	Filter store.SessionFilter
	// Covered: an index holds every column the filter and the order read,
	// so the page skips its offset, and the count walks, index entries
	// only, reading no table row but the page's own, by primary key.
	Covered bool
}

// PlanCases are the listing and search shapes of every dialect, on one scope:
// newest first, and each filter caisse offers, at page 1 and deep.
func PlanCases() []PlanCase {
	p := func(v int64) *int64 { return &v }
	from := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 1)
	return []PlanCase{
		{"newest first", store.SessionFilter{Limit: 50}, true},
		{"deep offset", store.SessionFilter{Limit: 50, Offset: 10000}, true},
		{"by status", store.SessionFilter{Statuses: []store.Status{"completed"}, Limit: 50}, true},
		{"by status, deep offset", store.SessionFilter{Statuses: []store.Status{"completed"}, Limit: 50, Offset: 10000}, true},
		// As the API asks: statuses as they read now (a due session reads
		// expired), which reads expires_at from the table.
		{"created, as read now", store.SessionFilter{Statuses: []store.Status{"created"}, Now: to, Limit: 50}, false},
		{"expired, as read now", store.SessionFilter{Statuses: []store.Status{"expired"}, Now: to, Limit: 50}, false},
		{"by payment_id", store.SessionFilter{PaymentID: "ORDER_77", Limit: 50}, true},
		{"by phone", store.SessionFilter{UserPhone: "+2250707000077", Limit: 50}, true},
		{"by customer", store.SessionFilter{CustomerID: "cus_77", Limit: 50}, true},
		// Few amounts: sessions_amount finds them, and their rows give the
		// order (the sort and the count read at most the matches).
		{"by amount range", store.SessionFilter{AmountMin: p(5000), AmountMax: p(5100), Limit: 50}, false},
		// Most amounts: walked newest first, with the amount in the index.
		{"by wide amount range, deep offset", store.SessionFilter{AmountMin: p(1000), AmountMax: p(90000), Limit: 50, Offset: 10000}, true},
		{"by date range", store.SessionFilter{CreatedFrom: &from, CreatedBefore: &to, Limit: 50}, true},
	}
}

// PlanCountBound is the bound of the counts CheckPlans explains (the API's).
const PlanCountBound = 10_000

// ListCase is a keyset page shape (the Stripe dialect's lists) that must walk
// an index in order: no full scan and no sort, so a page deep in the list costs
// what the first page costs.
type ListCase struct {
	Name   string
	Filter store.SessionFilter
	Keyset *store.Keyset
}

// ListCases are the keyset shapes, the deep ones placed at a session created at deep.
func ListCases(deep time.Time) []ListCase {
	after := &store.Keyset{CreatedAt: deep, Seq: 1 << 40}
	before := &store.Keyset{CreatedAt: deep, Seq: 1 << 40, Newer: true}
	return []ListCase{
		{"first page", store.SessionFilter{Limit: 11}, nil},
		{"deep page", store.SessionFilter{Limit: 11}, after},
		{"deep page backwards", store.SessionFilter{Limit: 11}, before},
		{"deep page by email", store.SessionFilter{CustomerEmail: "c77@example.com", Limit: 11}, after},
		{"deep page by customer", store.SessionFilter{CustomerID: "cus_77", Limit: 11}, after},
		{"deep page of open sessions, as read now", store.SessionFilter{Limit: 11, Now: deep,
			Statuses: []store.Status{"created", "pending", "processing"}}, after},
		{"deep page of expired sessions, as read now", store.SessionFilter{Limit: 11, Now: deep,
			Statuses: []store.Status{"failed", "expired", "cancelled"}}, after},
	}
}

// Planner is how an engine's test explains a query and reads the plan.
type Planner struct {
	Explain  func(q string, args []any) string
	FullScan func(plan string) bool // the plan reads the whole sessions table
	Sorts    func(plan string) bool // the plan sorts rows instead of reading an index in order
	// ReadsRows: the plan reads sessions rows other than by primary key
	// (an offset skipped, or a count walked, through table rows rather
	// than index entries).
	ReadsRows func(plan string) bool
	// Generic: Explain shows generic plans (made without the parameters'
	// values, as PostgreSQL may reuse for a prepared statement). Searches
	// are then skipped: they run planned for their values (Engine.Fresh).
	Generic bool
}

// CheckPlans explains the page and the two counts (from the newest, and after
// a page ending at deep) of every PlanCase, the page of every ListCase, every
// DueCase, the two attempt queries, a delivery's and the event stream's on the engine's store (the
// scope's merchant is mer_big; deep is the creation time of a session about
// 10 000 deep in its newest-first list) and fails the test for each plan that
// reads the whole table, for a covered PlanCase reads table rows (but the
// page's own, by primary key), for a keyset page or a sweep sorts, and for a
// sweep, an attempts query or a delivery's does not read its index (sessions_due,
// webhook_attempts_event, webhook_attempts_job).
func CheckPlans(t *testing.T, s *sqldb.Store, deep time.Time, p Planner) {
	t.Helper()
	scope := store.Scope{MerchantID: "mer_big"}
	// index, when set, is the index the plan must name (both engines print
	// the names of the indexes they read).
	check := func(name, query string, args []any, keyset, covered bool, index string) {
		t.Helper()
		plan := p.Explain(query, args)
		if p.FullScan(plan) {
			t.Errorf("%s reads a table sequentially:\n%s", name, plan)
		}
		if keyset && p.Sorts(plan) {
			t.Errorf("%s sorts instead of walking an index:\n%s", name, plan)
		}
		if covered && p.ReadsRows(plan) {
			t.Errorf("%s reads table rows instead of index entries only:\n%s", name, plan)
		}
		if index != "" && !strings.Contains(plan, index) {
			t.Errorf("%s does not read index %s:\n%s", name, index, plan)
		}
		t.Logf("%s:\n%s", name, plan)
	}
	for _, c := range PlanCases() {
		if p.Generic {
			break
		}
		page, args := sqldb.SessionSearchSQL(s.Engine, scope, c.Filter)
		check(c.Name+" (page)", page, args, false, c.Covered, "")
		count, args := sqldb.SessionCountSQL(s.Engine, scope, c.Filter, nil, c.Filter.Offset+PlanCountBound)
		check(c.Name+" (count)", count, args, false, c.Covered, "")
		count, args = sqldb.SessionCountSQL(s.Engine, scope, c.Filter, &store.Keyset{CreatedAt: deep, Seq: 1 << 40}, PlanCountBound)
		check(c.Name+" (count after a page)", count, args, false, c.Covered, "")
	}
	for _, c := range ListCases(deep) {
		query, args := sqldb.SessionListSQL(s.Engine, scope, c.Filter, c.Keyset)
		check(c.Name+" (keyset)", query, args, true, false, "")
	}
	for _, c := range DueCases(scope, time.Now()) {
		query, args := s.Q.SessionsDue, []any{s.Engine.TimeArg(c.Now), c.Limit}
		if c.Scope != nil {
			query, args = s.Q.SessionsDueInScope, append(args, c.Scope.MerchantID, c.Scope.Livemode)
		}
		check(c.Name+" (due)", query, args, true, false, "sessions_due")
	}
	// SQLite's FullScan looks at sessions only: the index name is what proves
	// webhook_attempts is not read whole there.
	check("attempts of an event", s.Q.AttemptList, []any{scope.MerchantID, scope.Livemode, "evt_77"}, false, false,
		"webhook_attempts_event")
	check("success of a job", s.Q.AttemptSucceeded, []any{int64(77)}, false, false, "webhook_attempts_job")
	check("a delivery's endpoint, event and success", s.Q.DeliveryGet, []any{scope.MerchantID, scope.Livemode, "we_77", "evt_77", int64(77)},
		false, false, "webhook_attempts_job")
	for _, k := range []*store.Keyset{nil, {CreatedAt: deep, Seq: 77}, {CreatedAt: deep, Seq: 77, Newer: true}} {
		query, args := sqldb.EndpointListSQL(s.Engine, scope, 10, k)
		check(fmt.Sprintf("endpoints page after %v", k), query, args, true, false, "webhook_endpoints_newest")
	}
	for _, f := range []store.EventFilter{{Limit: 100}, {Types: []store.EventType{"checkout.session.completed"}, Limit: 100}} {
		query, args := sqldb.EventsStreamedSQL(s.Engine, s.Q, scope, f, store.StreamPos{Txn: 77, Seq: 77})
		check(fmt.Sprintf("event stream of types %v", f.Types), query, args, true, false, "events_stream")
	}
}

// DueCase is a shape of the expiry sweep's query (SessionsDue): it must walk
// the sessions_due index in deadline order, neither reading the whole table
// nor sorting, however many sessions are overdue.
type DueCase struct {
	Name  string
	Scope *store.Scope // nil: every scope
	Now   time.Time
	Limit int
}

// DueCases are the sweep's shapes at now (few sessions due) and a day later
// (a backlog: every open session due), over every scope and over scope.
func DueCases(scope store.Scope, now time.Time) []DueCase {
	later := now.Add(24 * time.Hour)
	return []DueCase{
		{"sweep", nil, now, 100},
		{"sweep backlog", nil, later, 100},
		{"sweep in scope", &scope, now, 100},
		{"sweep backlog in scope", &scope, later, 100},
	}
}

// Conformance migrates s twice (the second run must find nothing to do) and runs the suite.
func Conformance(t *testing.T, s store.Store) {
	t.Helper()
	for range 2 {
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	Run(t, s)
}
