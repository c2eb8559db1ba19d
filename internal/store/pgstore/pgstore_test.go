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
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	storetest.Run(t, s)
}
