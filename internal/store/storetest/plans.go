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
		{"by status", store.SessionFilter{Status: "completed", Limit: 50}},
		{"by payment_id", store.SessionFilter{PaymentID: "ORDER_77", Limit: 50}},
		{"by phone", store.SessionFilter{UserPhone: "+2250707000077", Limit: 50}},
		{"by customer", store.SessionFilter{CustomerID: "cus_77", Limit: 50}},
		{"by amount range", store.SessionFilter{AmountMin: p(5000), AmountMax: p(5100), Limit: 50}},
		{"by date range", store.SessionFilter{CreatedFrom: &from, CreatedBefore: &to, Limit: 50}},
	}
}

// CheckPlans explains the count and page query of every PlanCase on the engine's
// store (the scope's merchant is mer_big) and fails the test for each plan that
// fullScan says reads the whole sessions table.
func CheckPlans(t *testing.T, s *sqldb.Store, explain func(q string, args []any) string, fullScan func(plan string) bool) {
	t.Helper()
	scope := store.Scope{MerchantID: "mer_big"}
	for _, c := range PlanCases() {
		count, page, args := sqldb.SessionSearchSQL(s.Engine, scope, c.Filter)
		pageArgs := append(append([]any{}, args...), c.Filter.Limit, c.Filter.Offset)
		for _, q := range []struct {
			name, sql string
			args      []any
		}{{"count", count, args}, {"page", page, pageArgs}} {
			plan := explain(q.sql, q.args)
			if fullScan(plan) {
				t.Errorf("%s (%s) reads sessions sequentially:\n%s", c.Name, q.name, plan)
			}
			t.Logf("%s (%s):\n%s", c.Name, q.name, plan)
		}
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
