package bench_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/bench"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/server"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/testdb"
)

// Seeded sessions read back through the store on both engines: the total,
// the count of each status, a page newest first, a get, a phone search.
func TestSeed(t *testing.T) {
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st, err := server.OpenStore(dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		m := store.Merchant{ID: randid.New("mer_"), Name: "Seeded", Currencies: []string{"XOF", "XAF"},
			Fee: store.FeeSchedule{BasisPoints: 50}, CreatedAt: time.Now().UTC()}
		if err := st.MerchantCreate(ctx, m); err != nil {
			t.Fatal(err)
		}
		o := bench.SeedOptions{Merchant: m, Sessions: 2000, Progress: io.Discard, Seed: 7}
		if strings.HasPrefix(dbURL, "postgres") {
			o.PostgresURL = dbURL
		}
		res, err := bench.Seed(ctx, st, o)
		if err != nil {
			t.Fatal(err)
		}
		if res.Sessions != 2000 || res.ByStatus["completed"] < 1000 || res.ByStatus["expired"] < 300 {
			t.Fatalf("seeded %+v", res)
		}
		scope := store.Scope{MerchantID: m.ID}
		page, total, err := st.SessionSearch(ctx, scope, store.SessionFilter{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if total != (store.Total{Count: 2000}) || len(page) != 50 {
			t.Fatalf("search: total %+v, page %d", total, len(page))
		}
		for i := 1; i < len(page); i++ {
			if page[i].CreatedAt.After(page[i-1].CreatedAt) {
				t.Fatalf("page not newest first at %d: %s after %s", i, page[i].CreatedAt, page[i-1].CreatedAt)
			}
		}
		for status, n := range res.ByStatus {
			_, got, err := st.SessionSearch(ctx, scope, store.SessionFilter{Statuses: []store.Status{status}, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if got != (store.Total{Count: int64(n)}) {
				t.Errorf("status %s: %+v found, %d seeded", status, got, n)
			}
		}
		listed, err := st.SessionList(ctx, scope, store.SessionFilter{Limit: 10}, nil)
		if err != nil || len(listed) != 10 {
			t.Fatalf("list: %d sessions, %v", len(listed), err)
		}
		var phone string
		for _, s := range append(page, listed...) {
			got, err := st.SessionGet(ctx, scope, s.ID)
			if err != nil {
				t.Fatalf("get %s: %v", s.ID, err)
			}
			if got.Amount <= 0 || got.TransactionFee <= 0 || got.ExpiresAt.Sub(got.CreatedAt) != 30*time.Minute ||
				(got.Currency != "XOF" && got.Currency != "XAF") || (got.UserPhone == "" && len(got.LineItems) == 0) {
				t.Errorf("implausible session %+v", got)
			}
			if got.Status == "completed" && got.CompletedAt == nil {
				t.Errorf("completed session %s with no completed_at", got.ID)
			}
			if phone == "" && got.UserPhone != "" {
				phone = got.UserPhone
			}
		}
		found, n, err := st.SessionSearch(ctx, scope, store.SessionFilter{UserPhone: phone, Limit: 100})
		if err != nil || n.Count < 1 || len(found) == 0 || found[0].UserPhone != phone {
			t.Errorf("search by phone %s: %+v found, %v", phone, n, err)
		}
	})
}
