// Package testdb gives tests throw-away databases: a SQLite file in the test's
// temporary directory, or a PostgreSQL database created on the server at
// CAISSE_TEST_DATABASE_URL and dropped when the test ends. When CI is set, an
// unreachable PostgreSQL fails the test instead of skipping it.
//
// A migrated database is a copy of a template, not migrated again for each
// test: for SQLite, a file migrated once per test binary (checkpointed and
// closed, then copied); for PostgreSQL, a template database named after a hash
// of the migrations (caisse_tpl_…), built once by the first test binary that
// needs it under an advisory lock and shared by every binary after it, each
// test's database being CREATE DATABASE … TEMPLATE caisse_tpl_…. An empty
// database is for tests of migrating itself or of a first start.
package testdb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store/pgstore"
	"github.com/caisse/caisse/internal/store/sqlitestore"
)

// DefaultPostgresURL is used when CAISSE_TEST_DATABASE_URL is not set.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// SQLiteURL returns a caisse database URL for a new SQLite file holding
// caisse's and River's tables: a copy of a file migrated once per test binary.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	sqliteTemplate.once.Do(func() { sqliteTemplate.image, sqliteTemplate.err = migratedSQLite() })
	if sqliteTemplate.err != nil {
		t.Fatalf("testdb: SQLite template: %v", sqliteTemplate.err)
	}
	path := filepath.Join(t.TempDir(), "caisse.db")
	if err := os.WriteFile(path, sqliteTemplate.image, 0o644); err != nil {
		t.Fatalf("testdb: %v", err)
	}
	return "sqlite:" + path
}

// EmptySQLiteURL returns a caisse database URL for a SQLite file that does not
// exist yet, as on a first start.
func EmptySQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "caisse.db")
}

// sqliteTemplate is the migrated SQLite file's bytes, made once per test binary.
var sqliteTemplate struct {
	once  sync.Once
	image []byte
	err   error
}

// migratedSQLite migrates a new SQLite file and returns its content, with
// everything checkpointed from the WAL into the file and every connection closed.
func migratedSQLite() ([]byte, error) {
	dir, err := os.MkdirTemp("", "caisse-testdb-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "caisse.db")
	s, err := sqlitestore.Open(path)
	if err != nil {
		return nil, err
	}
	err = s.Migrate(context.Background())
	if err == nil {
		_, err = s.Writer.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		return nil, fmt.Errorf("%s-wal still holds %d bytes after a checkpoint and close", path, fi.Size())
	}
	return os.ReadFile(path)
}

// PostgresURL creates an empty database and returns its URL; it is dropped at cleanup.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return createPostgres(t, "")
}

// MigratedPostgresURL creates a database holding caisse's and River's tables,
// from the template database, and returns its URL; it is dropped at cleanup.
func MigratedPostgresURL(t testing.TB) string {
	t.Helper()
	admin := adminDB(t)
	pgTemplate.once.Do(func() { pgTemplate.name, pgTemplate.err = migratedTemplate(admin) })
	switch {
	case errors.Is(pgTemplate.err, errNoSource):
		// Without the migrations' source (-trimpath), no name can tell an old template: migrate this one database.
		dbURL := PostgresURL(t)
		s, err := pgstore.Open(dbURL)
		if err == nil {
			err = s.Migrate(context.Background())
			s.Close()
		}
		if err != nil {
			t.Fatalf("testdb: migrate: %v", err)
		}
		return dbURL
	case pgTemplate.err != nil:
		t.Fatalf("testdb: PostgreSQL template: %v", pgTemplate.err)
	}
	return createPostgres(t, pgTemplate.name)
}

// EachEngine runs fn as a subtest on SQLite and on PostgreSQL, each with a new
// migrated database's URL.
func EachEngine(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, SQLiteURL(t)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, MigratedPostgresURL(t)) })
}

// EachEngineEmpty runs fn as a subtest on SQLite and on PostgreSQL, each with
// an empty database's URL: the code under test migrates it, as on a first start.
func EachEngineEmpty(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, EmptySQLiteURL(t)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, PostgresURL(t)) })
}

// postgres is the connection to the server's administrative database, shared
// by the test binary's tests.
var postgres struct {
	once sync.Once
	url  *url.URL
	db   *sql.DB
	err  error
}

// adminDB returns the connection pool that creates and drops databases,
// skipping the test (failing it when CI is set) if PostgreSQL is unreachable.
func adminDB(t testing.TB) *sql.DB {
	t.Helper()
	raw := os.Getenv("CAISSE_TEST_DATABASE_URL")
	if raw == "" {
		raw = DefaultPostgresURL
	}
	postgres.once.Do(func() {
		if postgres.url, postgres.err = url.Parse(raw); postgres.err != nil {
			return
		}
		postgres.db, postgres.err = sql.Open("pgx", raw)
		if postgres.err != nil {
			return
		}
		// Creating databases is disk-bound: a few at a time is as fast as many.
		postgres.db.SetMaxOpenConns(4)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		postgres.err = postgres.db.PingContext(ctx)
	})
	if postgres.err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("testdb: PostgreSQL at %s unreachable (CI is set): %v", redact(raw), postgres.err)
		}
		t.Skipf("testdb: PostgreSQL unreachable, skipping (set CI to make this a failure): %v", postgres.err)
	}
	return postgres.db
}

// createPostgres creates a database, a copy of template or (when template is
// "") an empty one, drops it at cleanup and returns its URL.
func createPostgres(t testing.TB, template string) string {
	t.Helper()
	admin := adminDB(t)
	name := "caisse_test_" + strings.ToLower(randid.String(12))
	create := "CREATE DATABASE " + name
	if template != "" {
		create += " TEMPLATE " + template
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := admin.ExecContext(ctx, create); err != nil {
		t.Fatalf("testdb: %s: %v", create, err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("testdb: drop database %s: %v", name, err)
		}
	})
	return databaseURL(name)
}

// databaseURL is the URL of the database name on the administrative database's server.
func databaseURL(name string) string {
	u := *postgres.url
	u.Path = "/" + name
	return u.String()
}

// pgTemplate is the name of the migrated template database, found or built once per test binary.
var pgTemplate struct {
	once sync.Once
	name string
	err  error
}

// templateLock is the advisory lock key (on the administrative database) under
// which one test binary at a time looks for the template and builds it.
const templateLock = 7267361421

// migratedTemplate returns the name of the template database for the current
// migrations, building it if no test binary has yet. A template is complete
// once it is marked as one (datistemplate), which is its build's last step: a
// build cut short is dropped and made again. It accepts no connections, so
// that nothing stops CREATE DATABASE from copying it.
func migratedTemplate(admin *sql.DB) (string, error) {
	sum, err := schemaHash()
	if err != nil {
		return "", err
	}
	name := "caisse_tpl_" + sum[:16]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", templateLock); err != nil {
		return "", fmt.Errorf("lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", templateLock) //nolint:errcheck // released with the session anyway
	var complete bool
	err = conn.QueryRowContext(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", name).Scan(&complete)
	switch {
	case err == nil && complete:
		return name, nil
	case err == nil:
		if _, err := conn.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			return "", err
		}
	case !errors.Is(err, sql.ErrNoRows):
		return "", err
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	s, err := pgstore.Open(databaseURL(name))
	if err != nil {
		return "", err
	}
	err = s.Migrate(ctx)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("migrate %s: %w", name, err)
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+name+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"); err != nil {
		return "", err
	}
	return name, nil
}

// errNoSource means the source tree with the migrations is not where the test binary was built from.
var errNoSource = errors.New("the PostgreSQL migrations' source files are not there")

// schemaHash is a hash of what makes the PostgreSQL schema: caisse's migrations
// and the engine's code that applies them (read from the source tree), and River's
// migrations.
func schemaHash() (string, error) {
	_, self, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(self), "..", "store", "pgstore")
	files, _ := filepath.Glob(filepath.Join(dir, "migrations", "*.sql"))
	if len(files) == 0 {
		return "", fmt.Errorf("%w: no migrations in %s", errNoSource, dir)
	}
	h := sha256.New()
	for _, f := range append(files, filepath.Join(dir, "pgstore.go")) {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("%w: %v", errNoSource, err)
		}
		fmt.Fprintf(h, "%s %d\n%s\n", filepath.Base(f), len(b), b)
	}
	river, err := rivermigrate.New(riverdatabasesql.New(nil), nil)
	if err != nil {
		return "", err
	}
	for _, m := range river.AllVersions() {
		fmt.Fprintf(h, "river %d %d\n%s\n", m.Version, len(m.SQLUp), m.SQLUp)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}
