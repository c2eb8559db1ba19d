package pgstore

import "github.com/caisse/caisse/internal/store/sqldb"

// queries are the statements caisse runs on PostgreSQL: the portable ones as
// written, and the event stream's own. PostgreSQL types each JSON parameter
// jsonb from the column it is stored in or compared with, as a ::jsonb cast
// would, and plans every statement from the same indexes (plan_test.go).
var queries = func() sqldb.Queries {
	q := sqldb.PortableQueries()
	// Two transactions can commit out of xid order, but every transaction
	// below the snapshot's xmin has ended, and every one that begins later
	// gets an xid at least as large: the stream reads no event at or past
	// xmin, and a new stream starts there, keeping the snapshot: the events
	// of the transactions it shows ended (below xmin, or below xmax and not
	// running) had committed before the stream opened, and are not its.
	// pgx reads and binds xid8 as an integer.
	q.EventsEnded = `xid < pg_snapshot_xmin(pg_current_snapshot())`
	q.EventStreamStart = `SELECT pg_snapshot_xmin(s), 0, s::text FROM pg_current_snapshot() AS s`
	q.EventsNotOpened = `NOT pg_visible_in_snapshot(xid, $%d::text::pg_snapshot)`
	return q
}()
