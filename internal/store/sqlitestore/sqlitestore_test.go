package sqlitestore_test

import (
	"path/filepath"
	"testing"

	"github.com/caisse/caisse/internal/store/sqlitestore"
	"github.com/caisse/caisse/internal/store/storetest"
)

func open(t *testing.T) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(filepath.Join(t.TempDir(), "caisse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) { storetest.Conformance(t, open(t)) }
