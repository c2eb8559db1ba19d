package testdb

import (
	"os"
	"testing"
)

// FuzzURL returns the migrated database of a fuzz target's server: a SQLite
// file, for speed, or a PostgreSQL database (see MigratedPostgresURL) when
// CAISSE_FUZZ_ENGINE is postgres.
func FuzzURL(t testing.TB) string {
	t.Helper()
	if os.Getenv("CAISSE_FUZZ_ENGINE") == "postgres" {
		return MigratedPostgresURL(t)
	}
	return SQLiteURL(t)
}
