package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/caisse/caisse/internal/store/sqlitestore"
	"github.com/caisse/caisse/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	s, err := sqlitestore.Open(filepath.Join(t.TempDir(), "caisse.db"))
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
