package pgstore_test

import (
	"context"
	"testing"

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
