package storetest

import (
	"time"

	"github.com/caisse/caisse/internal/store"
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
