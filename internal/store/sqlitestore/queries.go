package sqlitestore

import "github.com/caisse/caisse/internal/store/sqldb"

// queries are the statements caisse runs on SQLite: the portable ones, but
// for those SQLite's planner needs told.
var queries = func() sqldb.Queries {
	q := sqldb.PortableQueries()
	// The sweep: SQLite has one writer, so its write transaction locks
	// everything a FOR UPDATE SKIP LOCKED would (a clause it does not know).
	q.SessionsDue = `SELECT ` + sqldb.SessionColumns + ` FROM sessions
		WHERE status IN ('created', 'pending') AND (status = 'created' OR NOT livemode) AND expires_at <= $1
		ORDER BY expires_at LIMIT $2`
	// The sweep of one scope: left to itself, SQLite reads the scope's open
	// sessions through sessions_status and sorts them by deadline (a temporary
	// B-tree); sessions_due walks them in deadline order instead.
	q.SessionsDueInScope = `SELECT ` + sqldb.SessionColumns + ` FROM sessions INDEXED BY sessions_due
		WHERE status IN ('created', 'pending') AND (status = 'created' OR NOT livemode) AND expires_at <= $1
			AND merchant_id = $3 AND livemode = $4
		ORDER BY expires_at LIMIT $2`
	// The event stream: one writer, so transactions commit in seq order
	// (xid is seq): every event is of an ended transaction, and a new stream
	// starts after the newest event, of any scope.
	q.EventsEnded = `true`
	q.EventStreamStart = `SELECT coalesce(max(seq), 0), coalesce(max(seq), 0), '' FROM events`
	return q
}()
