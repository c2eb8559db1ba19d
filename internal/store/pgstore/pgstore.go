// Package pgstore is the PostgreSQL engine of the store seam, through pgx's
// database/sql adapter so that sessions and River jobs share one *sql.Tx type.
// Import it only from server, cli and tests.
package pgstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	neturl "net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"

	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/store/sqldb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is a PostgreSQL-backed store.Store.
type Store struct {
	*sqldb.Store
}

var _ store.Store = (*Store)(nil)

// MaxConns is how many connections a store keeps open to PostgreSQL at most
// (and idle, ready for the next request).
const MaxConns = 20

// Open connects to the database at url (postgres://…).
func Open(url string) (*Store, error) {
	url, err := withTimeouts(url)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(MaxConns)
	db.SetMaxIdleConns(MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{&sqldb.Store{Reader: db, Writer: db, Q: &queries, Engine: engine{}}}
	if err := s.Ping(context.Background()); err != nil {
		s.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}

// Timeouts set on every connection unless the URL sets them: a database that
// does not accept a connection, or a statement that runs too long (a frozen
// server, a lock held forever), fails instead of hanging its caller.
const (
	ConnectTimeout   = "5"     // connect_timeout, seconds
	StatementTimeout = "15000" // statement_timeout, milliseconds: above River's longest job step
)

// withTimeouts adds connect_timeout and statement_timeout to a postgres://
// URL that lacks them.
func withTimeouts(raw string) (string, error) {
	u, err := neturl.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("postgres: bad database URL: %w", err)
	}
	q := u.Query()
	for k, v := range map[string]string{"connect_timeout": ConnectTimeout, "statement_timeout": StatementTimeout} {
		if !q.Has(k) {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// migrationLock is the advisory lock key under which nodes migrate one at a time.
const migrationLock = 7267361420

// Migrate applies caisse's migrations (in one transaction), then River's, while
// holding an advisory lock, so that several nodes can start at once.
func (s *Store) Migrate(ctx context.Context) error {
	conn, err := s.Writer.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock) //nolint:errcheck // released with the session anyway
	files, _ := fs.Sub(migrationFiles, "migrations")
	err = sqldb.Migrate(ctx, s.Writer, files,
		`CREATE TABLE IF NOT EXISTS caisse_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`)
	if err != nil {
		return err
	}
	return sqldb.MigrateJobs(ctx, s.JobDriver())
}

// JobDriver is River's database/sql driver on the same pool.
func (s *Store) JobDriver() riverdriver.Driver[*sql.Tx] { return riverdatabasesql.New(s.Writer) }

type engine struct{}

func (engine) TimeArg(t time.Time) any { return t.UTC() }

// Fresh runs the query as an unnamed statement, which PostgreSQL plans for
// the values bound to it; pgx would otherwise prepare it once per
// connection, and PostgreSQL switch to a generic plan after five runs
// whenever that plan's estimate looks no worse.
func (engine) Fresh(args []any) []any { return append([]any{pgx.QueryExecModeExec}, args...) }

func (engine) Translate(err error) error {
	var pe *pgconn.PgError
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &pe) && pe.Code == "23505": // unique_violation
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	case errors.As(err, &pe) && (pe.Code == "57014" || pe.Code == "55P03"): // query_canceled (statement_timeout), lock_not_available
		return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	case errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.ErrUnexpectedEOF):
		// The server could not be reached, or went away mid-statement.
		return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	return err
}

// Pipeline sends stmts as one pgx batch: one round trip, and, with no BEGIN
// among them, one implicit transaction that commits all or none.
func (engine) Pipeline(ctx context.Context, db *sql.DB, stmts []sqldb.Deferred) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("pgstore: %T is not a pgx connection", dc)
		}
		var b pgx.Batch
		for _, d := range stmts {
			b.Queue(d.Query, d.Args...)
		}
		return c.Conn().SendBatch(ctx, &b).Close()
	})
}
