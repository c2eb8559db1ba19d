// Package sqldb is what the SQL engines share: each table described once
// (tables.go: its columns, INSERT, arguments and scan), the statements both
// engines run as written (PortableQueries), the versioned JSON shape of the
// session an event keeps (snapshot.go), the migration runner, and a Store that
// runs an engine's statements (Queries) with its conventions (Engine). An
// engine package holds the statements its database needs written its own way,
// and its migrations; this package holds no engine-specific SQL.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/caisse/caisse/internal/store"
)

// MigrateJobs brings River's schema up to date (one transaction per River version:
// some of its PostgreSQL migrations cannot share one).
func MigrateJobs(ctx context.Context, driver riverdriver.Driver[*sql.Tx]) error {
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// Engine is what differs between databases beyond their SQL text.
type Engine interface {
	// TimeArg encodes a time as the engine stores it.
	TimeArg(t time.Time) any
	// Translate turns a driver error into a store sentinel when it is one.
	Translate(err error) error
	// Fresh returns the arguments of a query that must be planned for their
	// values each time it runs, not by a plan cached for any values: a
	// search's best index depends on how many sessions its filter matches,
	// which a generic plan can only guess (one that takes an amount range
	// matching most sessions for a narrow one sorts them all).
	Fresh(args []any) []any
}

// Store implements store.Store's data methods over a reader and a writer pool
// (the same pool on engines that allow concurrent writers), or, in InTx, over
// one transaction.
type Store struct {
	Reader, Writer *sql.DB
	Q              *Queries
	Engine         Engine
	// ReadStatements and WriteStatements, when set, keep the statements run
	// on the reader and writer pools prepared (see Statements).
	ReadStatements, WriteStatements *Statements
	tx                              *txn // set on the copy of the store that InTx hands out
}

// querier is what pools and transactions share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// bound is the store a call runs on: s itself inside InTx, else the
// transaction that ctx carries (store.WithTx) when it is one of this
// database's, else s.
func (s *Store) bound(ctx context.Context) *Store {
	if s.tx != nil {
		return s
	}
	if b, ok := store.TxFrom(ctx).(*Store); ok && b.Writer == s.Writer {
		return b
	}
	return s
}

// read is where reads go: the transaction, else the reader pool.
func (s *Store) read(ctx context.Context) querier {
	if b := s.bound(ctx); b.tx != nil {
		return b.in(ctx)
	}
	return on(s.ReadStatements, nil, s.Reader)
}

// write is where writes go: the transaction, else the writer pool.
func (s *Store) write(ctx context.Context) querier {
	if b := s.bound(ctx); b.tx != nil {
		return b.in(ctx)
	}
	return on(s.WriteStatements, nil, s.Writer)
}

// in is the transaction (begun if it was lazy), through the writer's
// statement cache if there is one.
func (s *Store) in(ctx context.Context) querier {
	q := s.tx.sql(ctx)
	tx, _ := q.(*sql.Tx)
	if tx == nil {
		return q // failed: see txn.sql
	}
	return on(s.WriteStatements, tx, tx)
}

// on is q, through the statement cache c if there is one.
func on(c *Statements, tx *sql.Tx, q querier) querier {
	if c == nil {
		return q
	}
	return prepared{c: c, tx: tx, q: q}
}

// savepoints numbers the savepoints of nested InTx calls.
var savepoints atomic.Int64

// InTx runs fn with the data methods bound to one write transaction, committed
// when fn returns nil and rolled back otherwise. Within a transaction (InTx's
// own, or one ctx carries) it runs fn in a savepoint of that transaction
// instead: released when fn returns nil, rolled back to otherwise, and
// committed only with the enclosing transaction. On an engine that pipelines
// (Pipeliner), writes whose results nobody reads wait for the transaction's
// first read or for its commit (see txn).
func (s *Store) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	if b := s.bound(ctx); b.tx != nil {
		return b.savepoint(ctx, fn)
	}
	t, err := s.begin(ctx)
	if err != nil {
		return s.Engine.Translate(err)
	}
	bound := *s
	bound.tx = t
	if err := fn(&bound); err != nil {
		t.close()
		if t.err != nil && !errors.Is(err, t.err) {
			err = errors.Join(err, s.Engine.Translate(t.err))
		}
		return err
	}
	return s.Engine.Translate(t.commit(ctx))
}

func (s *Store) savepoint(ctx context.Context, fn func(tx store.Tx) error) error {
	name := fmt.Sprintf("caisse_%d", savepoints.Add(1))
	if _, err := s.in(ctx).ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return s.Engine.Translate(err)
	}
	if err := fn(s); err != nil {
		if _, rerr := s.in(ctx).ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return errors.Join(err, s.Engine.Translate(rerr))
		}
		return err
	}
	_, err := s.in(ctx).ExecContext(ctx, "RELEASE SAVEPOINT "+name)
	return s.Engine.Translate(err)
}

// SQL is the transaction InTx runs on, begun if it was lazy, for River's
// InsertTx.
func (s *Store) SQL(ctx context.Context) (*sql.Tx, error) {
	if s.tx == nil {
		return nil, errNoTx
	}
	s.tx.sql(ctx)
	if s.tx.err != nil {
		return nil, s.Engine.Translate(s.tx.err)
	}
	return s.tx.tx, nil
}

type scanner interface{ Scan(dest ...any) error }

// Ping checks both pools answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.Writer.PingContext(ctx); err != nil {
		return err
	}
	return s.Reader.PingContext(ctx)
}

// Close closes both pools.
func (s *Store) Close() error {
	for _, c := range []*Statements{s.ReadStatements, s.WriteStatements} {
		if c != nil {
			c.close()
		}
	}
	err := s.Writer.Close()
	if s.Reader != s.Writer {
		err = errors.Join(err, s.Reader.Close())
	}
	return err
}

func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.write(ctx).ExecContext(ctx, query, args...)
	if err != nil {
		return 0, s.Engine.Translate(err)
	}
	return res.RowsAffected()
}

func (s *Store) translate(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return s.Engine.Translate(err)
}

// MerchantCreate inserts a merchant.
func (s *Store) MerchantCreate(ctx context.Context, m store.Merchant) error {
	_, err := s.exec(ctx, s.Q.MerchantInsert, m.ID, m.Name, strings.Join(m.Currencies, ","),
		m.Fee.BasisPoints, m.Fee.Fixed, m.Fee.Minimum, m.Fee.Maximum, s.Engine.TimeArg(m.CreatedAt))
	return err
}

// MerchantUpdate stores m's name, currencies and fee schedule.
func (s *Store) MerchantUpdate(ctx context.Context, m store.Merchant) error {
	n, err := s.exec(ctx, s.Q.MerchantUpdate, m.ID, m.Name, strings.Join(m.Currencies, ","),
		m.Fee.BasisPoints, m.Fee.Fixed, m.Fee.Minimum, m.Fee.Maximum)
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return err
}

// MerchantGet reads a merchant by id.
func (s *Store) MerchantGet(ctx context.Context, id string) (store.Merchant, error) {
	var m merchantRow
	if err := s.read(ctx).QueryRowContext(ctx, s.Q.MerchantGet, id).Scan(m.dest()...); err != nil {
		return m.merchant(), s.translate(err)
	}
	return m.merchant(), nil
}

// merchantRow is a merchants row being scanned: its columns in the order
// MerchantGet selects them.
type merchantRow struct {
	m          store.Merchant
	currencies string
	created    Time
}

func (r *merchantRow) dest() []any {
	return []any{&r.m.ID, &r.m.Name, &r.currencies, &r.m.Fee.BasisPoints, &r.m.Fee.Fixed, &r.m.Fee.Minimum, &r.m.Fee.Maximum, &r.created}
}

func (r *merchantRow) merchant() store.Merchant {
	m := r.m
	m.Currencies = strings.Split(r.currencies, ",")
	m.CreatedAt = r.created.T
	return m
}

// KeyCreate inserts an API key.
func (s *Store) KeyCreate(ctx context.Context, k store.APIKey) error {
	_, err := s.exec(ctx, s.Q.KeyInsert, k.ID, k.MerchantID, k.Livemode, k.Hash, k.Last4, s.Engine.TimeArg(k.CreatedAt))
	return err
}

func scanKey(row scanner) (store.APIKey, error) {
	return scanKeyAnd(row)
}

// scanKeyAnd scans a key's columns, then more.
func scanKeyAnd(row scanner, more ...any) (store.APIKey, error) {
	var k store.APIKey
	var created Time
	var revoked NullTime
	err := row.Scan(append([]any{&k.ID, &k.MerchantID, &k.Livemode, &k.Hash, &k.Last4, &created, &revoked}, more...)...)
	k.CreatedAt, k.RevokedAt = created.T, revoked.Ptr()
	return k, err
}

// KeyGetByHash finds an unrevoked key by the hash of its secret, with its
// merchant, in one query.
func (s *Store) KeyGetByHash(ctx context.Context, hash []byte) (store.APIKey, store.Merchant, error) {
	var m merchantRow
	k, err := scanKeyAnd(s.read(ctx).QueryRowContext(ctx, s.Q.KeyGetByHash, hash), m.dest()...)
	if err != nil {
		return k, store.Merchant{}, s.translate(err)
	}
	return k, m.merchant(), nil
}

// KeyList lists a merchant's keys, oldest first.
func (s *Store) KeyList(ctx context.Context, merchantID string) ([]store.APIKey, error) {
	return queryAll(ctx, s, s.Q.KeyList, scanKey, merchantID)
}

// KeyRevoke marks a key revoked.
func (s *Store) KeyRevoke(ctx context.Context, id string, at time.Time) error {
	n, err := s.exec(ctx, s.Q.KeyRevoke, id, s.Engine.TimeArg(at))
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return err
}

func queryAll[T any](ctx context.Context, s *Store, query string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	rows, err := s.read(ctx).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.translate(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.translate(err)
		}
		out = append(out, v)
	}
	return out, s.translate(rows.Err())
}

// SessionCreate inserts a session and returns it with Seq set.
func (s *Store) SessionCreate(ctx context.Context, in store.Session) (store.Session, error) {
	args, err := sessionTable.args(s.Engine, &in)
	if err != nil {
		return in, err
	}
	if b := s.bound(ctx); b.tx != nil && b.tx.lazy() {
		return in, s.later(ctx, s.Q.SessionInsertLater, args...) // Seq stays 0: known at commit
	}
	if err := s.write(ctx).QueryRowContext(ctx, s.Q.SessionInsert, args...).Scan(&in.Seq); err != nil {
		return in, s.translate(err)
	}
	return in, nil
}

// SessionArgs are in's values for the columns SessionWritten names, as this
// engine stores them: for a bulk load (caisse seed) that writes sessions
// its own way.
func (s *Store) SessionArgs(in *store.Session) ([]any, error) { return sessionTable.args(s.Engine, in) }

// metadataArg encodes metadata as the JSON text both engines store; Go sorts
// map keys, so equal maps encode to equal text (SessionSetMetadata compares it).
func metadataArg(m map[string]string) (string, error) { return jsonArg(m, "{}") }

func scanSession(row scanner) (store.Session, error) { return sessionTable.scan(row) }

// SessionGet reads one session of the scope.
func (s *Store) SessionGet(ctx context.Context, scope store.Scope, id string) (store.Session, error) {
	out, err := scanSession(s.read(ctx).QueryRowContext(ctx, s.Q.SessionGet, scope.MerchantID, scope.Livemode, id))
	if err != nil {
		return out, s.translate(err)
	}
	return out, nil
}

// SessionChangeStatus applies a status compare-and-set.
func (s *Store) SessionChangeStatus(ctx context.Context, scope store.Scope, c store.StatusChange) (store.Session, error) {
	return s.compareAndSet(ctx, scope, c.ID, s.Q.SessionChangeStatus,
		c.From, c.To, s.Engine.TimeArg(c.At), nullTimeArg(s.Engine, c.CompletedAt), c.FailureReason, c.UserPhone, c.Channel, c.Attempt, c.CustomerID)
}

// SessionLookup reads a session by id whatever its scope.
func (s *Store) SessionLookup(ctx context.Context, id string) (store.Session, error) {
	out, err := scanSession(s.read(ctx).QueryRowContext(ctx, s.Q.SessionLookup, id))
	if err != nil {
		return out, s.translate(err)
	}
	return out, nil
}

// SessionSetStart records the operator's answer to the current attempt's start request, once.
func (s *Store) SessionSetStart(ctx context.Context, scope store.Scope, id string, p store.PaymentStart) error {
	_, err := s.exec(ctx, s.Q.SessionSetStart, scope.MerchantID, scope.Livemode, id, p.Attempt, p.Ref, p.URL, p.Check)
	return err
}

// SessionsToReconcile lists the sessions an operator may disagree about.
func (s *Store) SessionsToReconcile(ctx context.Context, merchantID string, since time.Time, afterSeq int64, limit int) ([]store.Session, error) {
	return queryAll(ctx, s, s.Q.SessionsToReconcile, scanSession, merchantID, s.Engine.TimeArg(since), afterSeq, limit)
}

func scanConnector(row scanner) (store.Connector, error) { return connectorTable.scan(row) }

// ConnectorPut stores a merchant's connector for its mode and channel.
func (s *Store) ConnectorPut(ctx context.Context, in store.Connector) (store.Connector, error) {
	args, err := connectorTable.args(s.Engine, &in)
	if err != nil {
		return in, err
	}
	out, err := scanConnector(s.write(ctx).QueryRowContext(ctx, s.Q.ConnectorPut, args...))
	if err != nil {
		return out, s.translate(err)
	}
	return out, nil
}

// ConnectorGet reads a connector by id.
func (s *Store) ConnectorGet(ctx context.Context, id string) (store.Connector, error) {
	out, err := scanConnector(s.read(ctx).QueryRowContext(ctx, s.Q.ConnectorGet, id))
	if err != nil {
		return out, s.translate(err)
	}
	return out, nil
}

// ConnectorFor reads the scope's connector for a channel.
func (s *Store) ConnectorFor(ctx context.Context, scope store.Scope, channel string) (store.Connector, error) {
	out, err := scanConnector(s.read(ctx).QueryRowContext(ctx, s.Q.ConnectorFor, scope.MerchantID, scope.Livemode, channel))
	if err != nil {
		return out, s.translate(err)
	}
	return out, nil
}

// ConnectorList lists a merchant's connectors.
func (s *Store) ConnectorList(ctx context.Context, merchantID string) ([]store.Connector, error) {
	return queryAll(ctx, s, s.Q.ConnectorList, scanConnector, merchantID)
}

// ConnectorDelete removes the scope's connector for a channel.
func (s *Store) ConnectorDelete(ctx context.Context, scope store.Scope, channel string) error {
	n, err := s.exec(ctx, s.Q.ConnectorDelete, scope.MerchantID, scope.Livemode, channel)
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return err
}

// SessionsDue lists sessions past their deadline that can still expire.
func (s *Store) SessionsDue(ctx context.Context, scope *store.Scope, now time.Time, limit int) ([]store.Session, error) {
	if scope == nil {
		return queryAll(ctx, s, s.Q.SessionsDue, scanSession, s.Engine.TimeArg(now), limit)
	}
	return queryAll(ctx, s, s.Q.SessionsDueInScope, scanSession, s.Engine.TimeArg(now), limit, scope.MerchantID, scope.Livemode)
}

// SessionSetMetadata replaces a session's metadata if it still equals old.
func (s *Store) SessionSetMetadata(ctx context.Context, scope store.Scope, id string, old, metadata map[string]string, at time.Time) (store.Session, error) {
	before, err := metadataArg(old)
	if err != nil {
		return store.Session{}, err
	}
	after, err := metadataArg(metadata)
	if err != nil {
		return store.Session{}, err
	}
	return s.compareAndSet(ctx, scope, id, s.Q.SessionSetMetadata, before, after, s.Engine.TimeArg(at))
}

// compareAndSet runs a conditional UPDATE … RETURNING on one session (arguments
// merchant_id, livemode, id, then args): no row back means the session is
// missing (ErrNotFound) or its condition failed (ErrStale).
func (s *Store) compareAndSet(ctx context.Context, scope store.Scope, id, query string, args ...any) (store.Session, error) {
	args = append([]any{scope.MerchantID, scope.Livemode, id}, args...)
	out, err := scanSession(s.write(ctx).QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.SessionGet(ctx, scope, id); err != nil {
			return out, err
		}
		return out, store.ErrStale
	}
	if err != nil {
		return out, s.translate(err)
	}
	return out, nil
}

// SessionSearch returns one page of matching sessions, newest first, and how
// many match: the page at f.Offset first, then, unless the page itself ends
// the list, a count of the matches after its last session (after f.Offset's
// position when the page is empty) that stops past f.CountBound. The count
// never depends on the offset: it walks the same index as the page, from
// where the page ended.
func (s *Store) SessionSearch(ctx context.Context, scope store.Scope, f store.SessionFilter) ([]store.Session, store.Total, error) {
	query, args := SessionSearchSQL(s.Engine, scope, f)
	list, err := queryAll(ctx, s, query, scanSession, s.Engine.Fresh(args)...)
	if err != nil {
		return nil, store.Total{}, err
	}
	n := int64(len(list))
	if n > 0 && n < int64(f.Limit) || n == 0 && f.Offset == 0 {
		return list, store.Total{Count: f.Offset + n}, nil // the page ends the list
	}
	// Count the matches after the page's last session, or from the start
	// when the page is empty, most of them at most (0: all).
	var k *store.Keyset
	from, most := int64(0), f.Offset+f.CountBound
	if n > 0 {
		last := list[n-1]
		k = &store.Keyset{CreatedAt: last.CreatedAt, Seq: last.Seq}
		from, most = f.Offset+n, f.CountBound
	}
	if f.CountBound <= 0 {
		most = 0
	}
	var count int64
	query, args = SessionCountSQL(s.Engine, scope, f, k, most)
	if err := s.read(ctx).QueryRowContext(ctx, query, s.Engine.Fresh(args)...).Scan(&count); err != nil {
		return nil, store.Total{}, s.translate(err)
	}
	if most > 0 && count > most {
		return list, store.Total{Count: from + most, Capped: true}, nil
	}
	return list, store.Total{Count: from + count}, nil
}

// SessionSearchSQL builds the page query of a search: the f.Limit matching
// sessions at f.Offset, newest first (the last two arguments are the limit
// and the offset). The offset is skipped by a subquery that selects only
// seq, so that an index holding every column of the filter and the order
// skips it without reading a row (a deferred join); the outer query reads
// the page's rows by primary key. The filter is portable SQL, so it is built
// here once for every engine (engine tests explain its plans).
func SessionSearchSQL(e Engine, scope store.Scope, f store.SessionFilter) (string, []any) {
	where, args := sessionWhere(e, scope, f)
	args = append(args, f.Limit, f.Offset)
	n := len(args)
	return fmt.Sprintf("SELECT %s FROM sessions WHERE seq IN (SELECT seq FROM sessions WHERE %s "+
		"ORDER BY created_at DESC, seq DESC LIMIT $%d OFFSET $%d) ORDER BY created_at DESC, seq DESC",
		SessionColumns, where, n-1, n), args
}

// SessionCountSQL builds the count of the sessions matching f after k in
// newest-first order (from the newest when k is nil), counting one more than
// most at most, so that the caller sees whether more than most match — a walk
// of at most most+1 index entries; when most is 0, it counts them all.
func SessionCountSQL(e Engine, scope store.Scope, f store.SessionFilter, k *store.Keyset, most int64) (string, []any) {
	where, args := sessionWhere(e, scope, f)
	where, args, _ = keysetWhere(e, where, args, k)
	if most <= 0 {
		return "SELECT count(*) FROM sessions WHERE " + where, args
	}
	args = append(args, most+1)
	return fmt.Sprintf("SELECT count(*) FROM (SELECT 1 FROM sessions WHERE %s ORDER BY created_at DESC, seq DESC LIMIT $%d) AS matches",
		where, len(args)), args
}

// SessionList returns a keyset page of matching sessions, newest first.
func (s *Store) SessionList(ctx context.Context, scope store.Scope, f store.SessionFilter, k *store.Keyset) ([]store.Session, error) {
	query, args := SessionListSQL(s.Engine, scope, f, k)
	list, err := queryAll(ctx, s, query, scanSession, args...)
	if k != nil && k.Newer {
		slices.Reverse(list)
	}
	return list, err
}

// SessionListSQL builds a keyset page query over sessions, limit included in args.
func SessionListSQL(e Engine, scope store.Scope, f store.SessionFilter, k *store.Keyset) (string, []any) {
	where, args := sessionWhere(e, scope, f)
	return keysetSQL(e, "sessions", SessionColumns, where, args, k, f.Limit)
}

// keysetSQL builds a page query on a table ordered newest first by (created_at,
// seq). Pages after a row continue down that index from it; pages before it
// walk the same index upwards (the caller reverses those rows), so a page costs
// the same at any depth.
func keysetSQL(e Engine, table, columns, where string, args []any, k *store.Keyset, limit int) (string, []any) {
	where, args, order := keysetWhere(e, where, args, k)
	args = append(args, limit)
	return fmt.Sprintf("SELECT %s FROM %s WHERE %s ORDER BY created_at %s, seq %s LIMIT $%d",
		columns, table, where, order, order, len(args)), args
}

// keysetWhere adds to where the rows after k in newest-first order (before
// it with k.Newer), and returns the order to walk them in: DESC, or ASC
// before k. A nil k adds nothing.
func keysetWhere(e Engine, where string, args []any, k *store.Keyset) (string, []any, string) {
	if k == nil {
		return where, args, "DESC"
	}
	cmp, order := "<", "DESC"
	if k.Newer {
		cmp, order = ">", "ASC"
	}
	// created_at cmp= t is the index range; the rest breaks ties on seq.
	args = append(args, e.TimeArg(k.CreatedAt), k.Seq)
	n := len(args)
	where += fmt.Sprintf(" AND created_at %[1]s= $%[2]d AND (created_at %[1]s $%[2]d OR seq %[1]s $%[3]d)", cmp, n-1, n)
	return where, args, order
}

func sessionWhere(e Engine, scope store.Scope, f store.SessionFilter) (string, []any) {
	conds := []string{"merchant_id = $1", "livemode = $2"}
	args := []any{scope.MerchantID, scope.Livemode}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	for _, eq := range []struct{ col, v string }{
		{"payment_id", f.PaymentID}, {"user_phone", f.UserPhone}, {"customer_id", f.CustomerID},
		{"customer_email", f.CustomerEmail},
	} {
		if eq.v != "" { // "<> ''" names the partial index's condition (0006_partial_indexes.sql)
			add(eq.col+" = $%d AND "+eq.col+" <> ''", eq.v)
		}
	}
	if f.PaymentStarted {
		conds = append(conds, "(attempt <> '' OR status IN ('pending', 'processing', 'completed', 'failed'))")
	}
	if len(f.Statuses) > 0 {
		conds = append(conds, statusCond(e, scope, f, &args))
	}
	if f.AmountMin != nil {
		add("amount >= $%d", *f.AmountMin)
	}
	if f.AmountMax != nil {
		add("amount <= $%d", *f.AmountMax)
	}
	if f.CreatedFrom != nil {
		add("created_at >= $%d", e.TimeArg(*f.CreatedFrom))
	}
	if f.CreatedBefore != nil {
		add("created_at < $%d", e.TimeArg(*f.CreatedBefore))
	}
	return strings.Join(conds, " AND "), args
}

// statusCond matches f.Statuses: as stored, or, with f.Now, as they read
// then — a session the sweep has yet to expire (created, or pending in test
// mode, past expires_at) counts as expired, not as its stored status.
func statusCond(e Engine, scope store.Scope, f store.SessionFilter, args *[]any) string {
	if f.Now.IsZero() {
		return "status IN (" + marks(args, f.Statuses) + ")"
	}
	due := []store.Status{"created"}
	if !scope.Livemode {
		due = append(due, "pending")
	}
	now := "" // its placeholder, added once a status needs it: PostgreSQL refuses an unused one
	at := func() string {
		if now == "" {
			*args = append(*args, e.TimeArg(f.Now))
			now = fmt.Sprintf("$%d", len(*args))
		}
		return now
	}
	var or []string
	for _, st := range f.Statuses {
		switch {
		case st == "expired":
			or = append(or, "status = 'expired' OR (status IN ("+marks(args, due)+") AND expires_at <= "+at()+")")
		case slices.Contains(due, st):
			or = append(or, "(status = "+marks(args, []store.Status{st})+" AND expires_at > "+at()+")")
		default:
			or = append(or, "status = "+marks(args, []store.Status{st}))
		}
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

// EventCreate inserts an event and returns it with Seq and Txn set; its session is
// stored as a versioned snapshot (snapshot.go).
func (s *Store) EventCreate(ctx context.Context, e store.Event) (store.Event, error) {
	args, err := eventTable.args(s.Engine, &e)
	if err != nil {
		return e, err
	}
	if err := s.write(ctx).QueryRowContext(ctx, s.Q.EventInsert, args...).Scan(&e.Seq, &e.Txn); err != nil {
		return e, s.translate(err)
	}
	return e, nil
}

func scanEvent(row scanner) (store.Event, error) { return eventTable.scan(row) }

// EventGet reads one event of the scope.
func (s *Store) EventGet(ctx context.Context, scope store.Scope, id string) (store.Event, error) {
	e, err := scanEvent(s.read(ctx).QueryRowContext(ctx, s.Q.EventGet, scope.MerchantID, scope.Livemode, id))
	if err != nil {
		return e, s.translate(err)
	}
	return e, nil
}

// EventList returns a keyset page of matching events, newest first.
func (s *Store) EventList(ctx context.Context, scope store.Scope, f store.EventFilter, k *store.Keyset) ([]store.Event, error) {
	query, args := EventListSQL(s.Engine, scope, f, k)
	list, err := queryAll(ctx, s, query, scanEvent, args...)
	if k != nil && k.Newer {
		slices.Reverse(list)
	}
	return list, err
}

// EventListSQL builds a keyset page query over events, limit included in args.
func EventListSQL(e Engine, scope store.Scope, f store.EventFilter, k *store.Keyset) (string, []any) {
	where, args := eventWhere(e, scope, f)
	return keysetSQL(e, "events", EventColumns, where, args, k, f.Limit)
}

// EventsStreamed returns up to f.Limit of the scope's matching events after
// pos in stream order, up to the first transaction still open.
func (s *Store) EventsStreamed(ctx context.Context, scope store.Scope, f store.EventFilter, pos store.StreamPos) ([]store.Event, error) {
	query, args := EventsStreamedSQL(s.Engine, s.Q, scope, f, pos)
	return queryAll(ctx, s, query, scanEvent, args...)
}

// EventsStreamedSQL builds the event stream's query: the events after pos in
// (xid, seq) order, of transactions that have ended with every one before
// them (q.EventsEnded) and, with pos.Opened, had not ended when the stream
// opened (q.EventsNotOpened), limit included in args.
func EventsStreamedSQL(e Engine, q *Queries, scope store.Scope, f store.EventFilter, pos store.StreamPos) (string, []any) {
	where, args := eventWhere(e, scope, f)
	if pos.Opened != "" {
		args = append(args, pos.Opened)
		where += " AND " + fmt.Sprintf(q.EventsNotOpened, len(args))
	}
	args = append(args, pos.Txn, pos.Seq, f.Limit)
	n := len(args)
	return fmt.Sprintf("SELECT %s FROM events WHERE %s AND (xid, seq) > ($%d, $%d) AND %s ORDER BY xid, seq LIMIT $%d",
		EventColumns, where, n-2, n-1, q.EventsEnded, n), args
}

// EventStreamStart is where a stream opened now begins (q.EventStreamStart).
func (s *Store) EventStreamStart(ctx context.Context) (store.StreamPos, error) {
	var pos store.StreamPos
	if err := s.read(ctx).QueryRowContext(ctx, s.Q.EventStreamStart).Scan(&pos.Txn, &pos.Seq, &pos.Opened); err != nil {
		return pos, s.translate(err)
	}
	return pos, nil
}

// eventWhere is the condition on events of the scope that f selects, and its arguments.
func eventWhere(e Engine, scope store.Scope, f store.EventFilter) (string, []any) {
	conds := []string{"merchant_id = $1", "livemode = $2"}
	args := []any{scope.MerchantID, scope.Livemode}
	if len(f.Types) > 0 {
		conds = append(conds, "type IN ("+marks(&args, f.Types)+")")
	}
	if f.CreatedFrom != nil {
		args = append(args, e.TimeArg(*f.CreatedFrom))
		conds = append(conds, fmt.Sprintf("created_at >= $%d", len(args)))
	}
	if f.CreatedBefore != nil {
		args = append(args, e.TimeArg(*f.CreatedBefore))
		conds = append(conds, fmt.Sprintf("created_at < $%d", len(args)))
	}
	return strings.Join(conds, " AND "), args
}

// EndpointCreate inserts a webhook endpoint and returns it with Seq set.
func (s *Store) EndpointCreate(ctx context.Context, in store.Endpoint) (store.Endpoint, error) {
	args, err := endpointTable.args(s.Engine, &in)
	if err != nil {
		return in, err
	}
	if err := s.write(ctx).QueryRowContext(ctx, s.Q.EndpointInsert, args...).Scan(&in.Seq); err != nil {
		return in, s.translate(err)
	}
	return in, nil
}

func scanEndpoint(row scanner) (store.Endpoint, error) { return endpointTable.scan(row) }

// EndpointGet reads one webhook endpoint of the scope.
func (s *Store) EndpointGet(ctx context.Context, scope store.Scope, id string) (store.Endpoint, error) {
	e, err := scanEndpoint(s.read(ctx).QueryRowContext(ctx, s.Q.EndpointGet, scope.MerchantID, scope.Livemode, id))
	if err != nil {
		return e, s.translate(err)
	}
	return e, nil
}

// EndpointList returns a keyset page of the scope's endpoints, newest first.
func (s *Store) EndpointList(ctx context.Context, scope store.Scope, limit int, k *store.Keyset) ([]store.Endpoint, error) {
	query, args := EndpointListSQL(s.Engine, scope, limit, k)
	list, err := queryAll(ctx, s, query, scanEndpoint, args...)
	if k != nil && k.Newer {
		slices.Reverse(list)
	}
	return list, err
}

// EndpointListSQL builds a keyset page query over webhook endpoints, limit included in args.
func EndpointListSQL(e Engine, scope store.Scope, limit int, k *store.Keyset) (string, []any) {
	return keysetSQL(e, "webhook_endpoints", EndpointColumns, "merchant_id = $1 AND livemode = $2",
		[]any{scope.MerchantID, scope.Livemode}, k, limit)
}

// EndpointUpdate stores e's url, description, events, status and metadata.
func (s *Store) EndpointUpdate(ctx context.Context, in store.Endpoint) (store.Endpoint, error) {
	events, err := jsonArg(in.EnabledEvents, "")
	if err != nil {
		return in, err
	}
	meta, err := metadataArg(in.Metadata)
	if err != nil {
		return in, err
	}
	out, err := scanEndpoint(s.write(ctx).QueryRowContext(ctx, s.Q.EndpointUpdate, in.MerchantID, in.Livemode, in.ID,
		in.URL, in.Description, events, in.Status, meta, s.Engine.TimeArg(in.UpdatedAt)))
	if err != nil {
		return out, s.translate(err)
	}
	return out, nil
}

// EndpointDelete removes an endpoint.
func (s *Store) EndpointDelete(ctx context.Context, scope store.Scope, id string) error {
	n, err := s.exec(ctx, s.Q.EndpointDelete, scope.MerchantID, scope.Livemode, id)
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return err
}

// EndpointsEnabled lists the scope's enabled endpoints, oldest first.
func (s *Store) EndpointsEnabled(ctx context.Context, scope store.Scope) ([]store.Endpoint, error) {
	return queryAll(ctx, s, s.Q.EndpointEnabled, scanEndpoint, scope.MerchantID, scope.Livemode)
}

// AttemptCreate records delivery attempts in one statement: all or none.
func (s *Store) AttemptCreate(ctx context.Context, attempts ...store.Attempt) error {
	if len(attempts) == 0 {
		return nil
	}
	query := s.Q.AttemptInsert
	if len(attempts) > 1 {
		query = attemptTable.insertRows(len(attempts))
	}
	var args []any
	for i := range attempts {
		row, err := attemptTable.args(s.Engine, &attempts[i])
		if err != nil {
			return err
		}
		args = append(args, row...)
	}
	_, err := s.exec(ctx, query, args...)
	return err
}

func scanAttempt(row scanner) (store.Attempt, error) { return attemptTable.scan(row) }

// AttemptList lists the attempts to deliver one event, oldest first.
func (s *Store) AttemptList(ctx context.Context, scope store.Scope, eventID string) ([]store.Attempt, error) {
	return queryAll(ctx, s, s.Q.AttemptList, scanAttempt, scope.MerchantID, scope.Livemode, eventID)
}

// AttemptSucceeded reports whether the River job has already delivered.
func (s *Store) AttemptSucceeded(ctx context.Context, jobID int64) (bool, error) {
	var n int
	if err := s.read(ctx).QueryRowContext(ctx, s.Q.AttemptSucceeded, jobID).Scan(&n); err != nil {
		return false, s.translate(err)
	}
	return n > 0, nil
}

// DeliveryGet reads a delivery's endpoint and event, and whether its job has
// already delivered, in one query.
func (s *Store) DeliveryGet(ctx context.Context, scope store.Scope, endpointID, eventID string, jobID int64) (store.Delivery, error) {
	var d store.Delivery
	dests := append(endpointTable.dests(&d.Endpoint), eventTable.dests(&d.Event)...)
	err := s.read(ctx).QueryRowContext(ctx, s.Q.DeliveryGet, scope.MerchantID, scope.Livemode, endpointID, eventID, jobID).
		Scan(append(dests, &d.Done)...)
	if err != nil {
		return store.Delivery{}, s.translate(err)
	}
	return d, nil
}

// marks appends values to args and returns their placeholders: "$3, $4".
func marks[S ~string](args *[]any, values []S) string {
	out := make([]string, len(values))
	for i, v := range values {
		*args = append(*args, string(v))
		out[i] = fmt.Sprintf("$%d", len(*args))
	}
	return strings.Join(out, ", ")
}

// IdempotencyBegin claims a key, or returns the record that holds it.
func (s *Store) IdempotencyBegin(ctx context.Context, rec store.IdempotencyRecord, lockedBefore time.Time) (store.IdempotencyRecord, bool, error) {
	e := s.Engine
	n, err := s.exec(ctx, s.Q.IdempotencyInsert, rec.MerchantID, rec.Livemode, rec.Key, rec.RequestHash,
		e.TimeArg(rec.CreatedAt), e.TimeArg(rec.LockedAt))
	if err != nil || n == 1 {
		return rec, err == nil, err
	}
	n, err = s.exec(ctx, s.Q.IdempotencyTakeover, rec.MerchantID, rec.Livemode, rec.Key, rec.RequestHash,
		e.TimeArg(rec.LockedAt), e.TimeArg(lockedBefore))
	if err != nil || n == 1 {
		return rec, err == nil, err
	}
	got := store.IdempotencyRecord{Scope: rec.Scope}
	var created, locked Time
	err = s.write(ctx).QueryRowContext(ctx, s.Q.IdempotencyGet, rec.MerchantID, rec.Livemode, rec.Key).
		Scan(&got.Key, &got.RequestHash, &got.Done, &got.StatusCode, &got.Body, &created, &locked)
	got.CreatedAt, got.LockedAt = created.T, locked.T
	if err != nil {
		return got, false, s.translate(err)
	}
	return got, false, nil
}

// IdempotencyFinish stores the response of the request that owns the key;
// ErrStale when the key is done or claimed anew since rec.LockedAt.
func (s *Store) IdempotencyFinish(ctx context.Context, rec store.IdempotencyRecord) error {
	n, err := s.exec(ctx, s.Q.IdempotencyFinish, rec.MerchantID, rec.Livemode, rec.Key, rec.StatusCode, rec.Body,
		s.Engine.TimeArg(rec.LockedAt))
	if err == nil && n == 0 {
		err = store.ErrStale
	}
	return err
}

// IdempotencyPut stores a finished record for a free key.
func (s *Store) IdempotencyPut(ctx context.Context, rec store.IdempotencyRecord) error {
	return s.later(ctx, s.Q.IdempotencyPut, rec.MerchantID, rec.Livemode, rec.Key, rec.RequestHash,
		s.Engine.TimeArg(rec.CreatedAt), rec.StatusCode, rec.Body)
}

// IdempotencyPurge deletes keys created before the given time.
func (s *Store) IdempotencyPurge(ctx context.Context, before time.Time) (int64, error) {
	return s.exec(ctx, s.Q.IdempotencyPurge, s.Engine.TimeArg(before))
}

// Migrate applies, in one transaction, every file of migrations (named
// NNNN_name.sql) not yet recorded in caisse_migrations.
func Migrate(ctx context.Context, db *sql.DB, migrations fs.FS, createTable string) error {
	names, err := fs.Glob(migrations, "*.sql")
	if err != nil {
		return err
	}
	slices.Sort(names)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, createTable); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, name := range names {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM caisse_migrations WHERE version = $1", name).Scan(&n); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if n > 0 {
			continue
		}
		body, err := fs.ReadFile(migrations, name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO caisse_migrations (version) VALUES ($1)", name); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return tx.Commit()
}
