// Package testdb gives tests throw-away databases: a SQLite file in the test's
// temporary directory, or a fresh PostgreSQL database created on the server at
// CAISSE_TEST_DATABASE_URL and dropped when the test ends. When CI is set, an
// unreachable PostgreSQL fails the test instead of skipping it.
package testdb

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"github.com/caisse/caisse/internal/randid"
)

// DefaultPostgresURL is used when CAISSE_TEST_DATABASE_URL is not set.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// SQLiteURL returns a caisse database URL for a new SQLite file.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "caisse.db")
}

// PostgresURL creates an empty database and returns its URL; it is dropped at cleanup.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("CAISSE_TEST_DATABASE_URL")
	if admin == "" {
		admin = DefaultPostgresURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", admin)
	if err == nil {
		err = db.PingContext(ctx)
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("testdb: PostgreSQL at %s unreachable (CI is set): %v", redact(admin), err)
		}
		t.Skipf("testdb: PostgreSQL unreachable, skipping (set CI to make this a failure): %v", err)
	}
	name := "caisse_test_" + strings.ToLower(randid.String(12))
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testdb: create database: %v", err)
	}
	t.Cleanup(func() {
		defer db.Close()
		if _, err := db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("testdb: drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// EachEngine runs fn as a subtest on SQLite and on PostgreSQL, each with a fresh database URL.
func EachEngine(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, SQLiteURL(t)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, PostgresURL(t)) })
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}
