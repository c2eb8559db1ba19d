package pgstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/store/pgstore"
	"github.com/caisse/caisse/internal/store/storetest"
	"github.com/caisse/caisse/internal/testdb"
)

func TestConformance(t *testing.T) {
	s, err := pgstore.Open(testdb.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	storetest.Conformance(t, s)
}

// TestMigrateConcurrently starts four nodes' migrations at once on an empty database.
func TestMigrateConcurrently(t *testing.T) {
	url := testdb.PostgresURL(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := pgstore.Open(url)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			errs <- s.Migrate(context.Background())
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent migrate: %v", err)
		}
	}
}

// TestSearchPlannedEachTime checks that a search's page and count are not
// kept as prepared statements on the connection, where PostgreSQL would
// come to run them by a generic plan that guesses how many sessions match
// (for a wide amount range, a sort of them all): each is planned for its values.
func TestSearchPlannedEachTime(t *testing.T) {
	ctx := context.Background()
	s, err := pgstore.Open(testdb.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s.Reader.SetMaxOpenConns(1) // one session: the one pg_prepared_statements shows
	m := store.Merchant{ID: "mer_plans", Name: "plans", Currencies: []string{"XOF"}, CreatedAt: time.Now()}
	if err := s.MerchantCreate(ctx, m); err != nil {
		t.Fatal(err)
	}
	scope := store.Scope{MerchantID: m.ID}
	for i := range 3 {
		sess := store.Session{ID: fmt.Sprintf("cs_test_plans%d", i), Scope: scope, Status: "created", Amount: 5000,
			Currency: "XOF", TransactionFee: 25, CreatedAt: time.Now(), UpdatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
		if _, err := s.SessionCreate(ctx, sess); err != nil {
			t.Fatal(err)
		}
	}
	low, high := int64(1000), int64(9000)
	for range 7 { // past the five runs after which PostgreSQL may settle on a generic plan
		list, total, err := s.SessionSearch(ctx, scope, store.SessionFilter{AmountMin: &low, AmountMax: &high, Limit: 2, CountBound: 10})
		if err != nil || len(list) != 2 || total != (store.Total{Count: 3}) {
			t.Fatalf("search: %d sessions of %+v, %v", len(list), total, err)
		}
	}
	var kept int
	if err := s.Reader.QueryRowContext(ctx, `SELECT count(*) FROM pg_prepared_statements
		WHERE statement LIKE '%FROM sessions%' AND statement NOT LIKE '%pg_prepared_statements%'`).
		Scan(&kept); err != nil {
		t.Fatal(err)
	}
	if kept != 0 {
		t.Errorf("%d search statements kept prepared on the connection", kept)
	}
}

// TestEventStreamWaits: a stream does not pass an event whose transaction is
// still open when a later transaction's event has committed (storetest.EventStreamWaits).
func TestEventStreamWaits(t *testing.T) {
	s, err := pgstore.Open(testdb.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	storetest.EventStreamWaits(t, s)
}
