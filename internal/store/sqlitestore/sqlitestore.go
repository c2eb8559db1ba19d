// Package sqlitestore is the embedded SQLite engine of the store seam (modernc,
// pure Go): WAL, one writer connection, synchronous=FULL so a commit survives a
// power cut, and a separate read-only pool. Import it only from server, cli and tests.
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/store/sqldb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is a SQLite-backed store.Store.
type Store struct {
	*sqldb.Store
}

var _ store.Store = (*Store)(nil)

// BusyTimeout is how long a write waits for another process's lock on the
// file before it fails with store.ErrUnavailable (writes of this process queue
// on its one writer connection instead, within their request's deadline).
const BusyTimeout = 2 * time.Second

// Open opens (creating if needed) the SQLite database file at path.
func Open(path string) (*Store, error) {
	pragmas := url.Values{"_pragma": {
		"journal_mode(WAL)", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()), "foreign_keys(1)", "synchronous(FULL)", "temp_store(MEMORY)",
	}, "_txlock": {"immediate"}}
	writer, err := sql.Open("sqlite", "file:"+path+"?"+pragmas.Encode())
	if err != nil {
		return nil, err
	}
	writer.SetMaxOpenConns(1) // SQLite has one writer; queueing here avoids SQLITE_BUSY.
	writer.SetConnMaxIdleTime(0)
	pragmas["_pragma"] = append(pragmas["_pragma"], "query_only(1)")
	delete(pragmas, "_txlock")
	reader, err := sql.Open("sqlite", "file:"+path+"?"+pragmas.Encode())
	if err != nil {
		writer.Close()
		return nil, err
	}
	reader.SetMaxOpenConns(max(4, runtime.NumCPU()))
	// modernc's driver parses each statement it runs: keep them prepared.
	writes := sqldb.NewStatements(writer)
	s := &Store{&sqldb.Store{Reader: reader, Writer: writer, Q: &queries, Engine: &engine{newGroup(writes)},
		ReadStatements: sqldb.NewStatements(reader), WriteStatements: writes}}
	if err := s.Ping(context.Background()); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	return s, nil
}

// Migrate applies caisse's migrations (in one transaction), then River's.
func (s *Store) Migrate(ctx context.Context) error {
	files, _ := fs.Sub(migrationFiles, "migrations")
	err := sqldb.Migrate(ctx, s.Writer, files,
		`CREATE TABLE IF NOT EXISTS caisse_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL DEFAULT (unixepoch()))`)
	if err != nil {
		return err
	}
	s.ReadStatements.Warm(ctx, s.Q)
	s.WriteStatements.Warm(ctx, s.Q)
	return sqldb.MigrateJobs(ctx, s.JobDriver())
}

// JobDriver is River's SQLite driver on the writer pool.
func (s *Store) JobDriver() riverdriver.Driver[*sql.Tx] { return riversqlite.New(s.Writer) }

// engine is SQLite's conventions, and its group commit of write-only
// transactions (sqldb.Pipeliner).
type engine struct{ *group }

func (*engine) TimeArg(t time.Time) any { return t.UnixMicro() }

// Fresh changes nothing: SQLite plans a statement when it is prepared, and
// again when a bound value could change the plan (statistics permitting).
func (*engine) Fresh(args []any) []any { return args }

func (*engine) Translate(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %v", store.ErrConflict, err)
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT:
			return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
		}
	}
	return err
}
