package storetest

import (
	"testing"
	"time"

	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/store/sqldb"
)

// PlanCase is a query shape the schema must serve from an index.
type PlanCase struct {
	Name   string
	Filter store.SessionFilter
}

// PlanCases are the listing and search shapes of every dialect, on one scope:
// newest first, and each filter caisse offers.
func PlanCases() []PlanCase {
	p := func(v int64) *int64 { return &v }
	from := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 1)
	return []PlanCase{
		{"newest first", store.SessionFilter{Limit: 50}},
		{"deep offset", store.SessionFilter{Limit: 50, Offset: 10000}},
		{"by status", store.SessionFilter{Statuses: []string{"completed"}, Limit: 50}},
		{"by payment_id", store.SessionFilter{PaymentID: "ORDER_77", Limit: 50}},
		{"by phone", store.SessionFilter{UserPhone: "+2250707000077", Limit: 50}},
		{"by customer", store.SessionFilter{CustomerID: "cus_77", Limit: 50}},
		{"by amount range", store.SessionFilter{AmountMin: p(5000), AmountMax: p(5100), Limit: 50}},
		{"by date range", store.SessionFilter{CreatedFrom: &from, CreatedBefore: &to, Limit: 50}},
	}
}

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
	}
}

// Planner is how an engine's test explains a query and reads the plan.
type Planner struct {
	Explain  func(q string, args []any) string
	FullScan func(plan string) bool // the plan reads the whole sessions table
	Sorts    func(plan string) bool // the plan sorts rows instead of reading an index in order
}

// CheckPlans explains the count and page query of every PlanCase and the page
// of every ListCase on the engine's store (the scope's merchant is mer_big; deep
// is the creation time of a session about 10 000 deep in its newest-first list)
// and fails the test for each plan that reads the whole table, or for a keyset
// page, sorts.
func CheckPlans(t *testing.T, s *sqldb.Store, deep time.Time, p Planner) {
	t.Helper()
	scope := store.Scope{MerchantID: "mer_big"}
	check := func(name, query string, args []any, keyset bool) {
		plan := p.Explain(query, args)
		if p.FullScan(plan) {
			t.Errorf("%s reads sessions sequentially:\n%s", name, plan)
		}
		if keyset && p.Sorts(plan) {
			t.Errorf("%s sorts instead of walking an index:\n%s", name, plan)
		}
		t.Logf("%s:\n%s", name, plan)
	}
	for _, c := range PlanCases() {
		count, page, args := sqldb.SessionSearchSQL(s.Engine, scope, c.Filter)
		check(c.Name+" (count)", count, args, false)
		check(c.Name+" (page)", page, append(append([]any{}, args...), c.Filter.Limit, c.Filter.Offset), false)
	}
	for _, c := range ListCases(deep) {
		query, args := sqldb.SessionListSQL(s.Engine, scope, c.Filter, c.Keyset)
		check(c.Name+" (keyset)", query, args, true)
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
