package bench

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// baselineColumn is a column of the baseline's sessions table: caisse's
// sessions columns (a test holds them to sqldb.SessionColumns), typed per engine.
type baselineColumn struct {
	name, pg, sqlite string
}

var baselineColumns = []baselineColumn{
	{"seq", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT"},
	{"id", "TEXT NOT NULL UNIQUE", "TEXT NOT NULL UNIQUE"},
	{"merchant_id", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"livemode", "BOOLEAN NOT NULL", "INTEGER NOT NULL"},
	{"status", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"amount", "BIGINT NOT NULL", "INTEGER NOT NULL"},
	{"currency", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"user_phone", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"payment_id", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"customer_id", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"description", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"metadata", "JSONB NOT NULL", "TEXT NOT NULL"},
	{"transaction_fee", "BIGINT NOT NULL", "INTEGER NOT NULL"},
	{"failure_reason", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"created_at", "TIMESTAMPTZ NOT NULL", "INTEGER NOT NULL"},
	{"updated_at", "TIMESTAMPTZ NOT NULL", "INTEGER NOT NULL"},
	{"expires_at", "TIMESTAMPTZ NOT NULL", "INTEGER NOT NULL"},
	{"completed_at", "TIMESTAMPTZ", "INTEGER"},
	{"success_url", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"cancel_url", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"customer_email", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"locale", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"payment_method_types", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"line_items", "JSONB NOT NULL", "TEXT NOT NULL"},
	{"channel", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"connector_ref", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"attempt", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"connector_url", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"connector_check", "TEXT NOT NULL", "TEXT NOT NULL"},
	{"customer_creation", "TEXT NOT NULL", "TEXT NOT NULL"},
}

// baselineIndexes are the secondary indexes of the baseline's sessions table:
// the four a searchable mobile-money store needs (newest first, by status, by
// the merchant's payment id, by the customer's phone), as caisse defines them.
var baselineIndexes = []string{
	"CREATE INDEX sessions_newest ON sessions (merchant_id, livemode, created_at DESC, seq DESC)",
	"CREATE INDEX sessions_status ON sessions (merchant_id, livemode, status, created_at DESC, seq DESC)",
	"CREATE INDEX sessions_payment_id ON sessions (merchant_id, livemode, payment_id, created_at DESC, seq DESC)",
	"CREATE INDEX sessions_user_phone ON sessions (merchant_id, livemode, user_phone, created_at DESC, seq DESC)",
}

// baselineSchema is the DDL of the baseline store: the sessions table and an
// idempotency table keyed as caisse's, for "pg" or "sqlite".
func baselineSchema(engine string) []string {
	cols := make([]string, 0, len(baselineColumns))
	for _, c := range baselineColumns {
		typ := c.pg
		if engine == "sqlite" {
			typ = c.sqlite
		}
		cols = append(cols, c.name+" "+typ)
	}
	blob, boolean := "BYTEA", "BOOLEAN"
	if engine == "sqlite" {
		blob, boolean = "BLOB", "INTEGER"
	}
	stmts := []string{"CREATE TABLE sessions (\n\t" + strings.Join(cols, ",\n\t") + "\n)"}
	stmts = append(stmts, baselineIndexes...)
	stmts = append(stmts, fmt.Sprintf(`CREATE TABLE idempotency_keys (
	merchant_id  TEXT NOT NULL,
	livemode     %[2]s NOT NULL,
	key          TEXT NOT NULL,
	request_hash %[1]s NOT NULL,
	done         %[2]s NOT NULL,
	status_code  INTEGER NOT NULL,
	body         %[1]s NOT NULL,
	created_at   %[3]s NOT NULL,
	locked_at    %[3]s NOT NULL,
	PRIMARY KEY (merchant_id, livemode, key)
)`, blob, boolean, map[bool]string{true: "INTEGER", false: "TIMESTAMPTZ"}[engine == "sqlite"]))
	return stmts
}

// insertColumns are the sessions columns an INSERT names (all but seq).
func insertColumns() string {
	names := make([]string, 0, len(baselineColumns))
	for _, c := range baselineColumns[1:] {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
}

// responseBody is what the idempotency row keeps of a create: a response of
// the size caisse answers.
const responseBody = `{"id":"cs_test_IekzpqKwej3VZmC2fo0vppiG","status":"created","amount":5000,"currency":"XOF","user_phone":"+2250707987654","payment_id":"ORDER_123","description":"Commande 123","created_at":"2026-11-29T13:14:25Z","expires_at":"2026-11-29T13:44:25Z","completed_at":null,"failure_reason":null,"transaction_fee":25}`

// requestHash stands for the SHA-256 of a request an idempotency row keeps.
const requestHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// requestHashBytes and responseBytes are requestHash and responseBody as the
// Go baselines bind them (read only, shared by every insert).
var (
	requestHashBytes, _ = hex.DecodeString(requestHash)
	responseBytes       = []byte(responseBody)
)

// pgbenchCreate is the pgbench script of the minimal durable create: one
// transaction that inserts a session row and the idempotency row that holds
// its response. (Constants are hex: pgbench reads any ":name" outside a
// variable as one, even in a string or a cast.)
func pgbenchCreate() string {
	return `\set a random(1, 1000000000000)
\set b random(1, 1000000000000)
\set amount random(100, 500000)
BEGIN;
INSERT INTO sessions (` + insertColumns() + `)
	VALUES ('cs_test_' || :client_id || '_' || :a || '_' || :b, 'mer_bench', false, 'created', :amount, 'XOF',
		'+2250707987654', 'ORDER_' || :a, '', 'Commande ' || :a, '{}', 25, '', now(), now(), now() + interval '30 minutes', NULL,
		'', '', '', '', '', '[]', '', '', '', '', '', '');
INSERT INTO idempotency_keys (merchant_id, livemode, key, request_hash, done, status_code, body, created_at, locked_at)
	VALUES ('mer_bench', false, 'key_' || :client_id || '_' || :a || '_' || :b, decode('` + requestHash + `', 'hex'), true, 201,
		decode('` + hex.EncodeToString([]byte(responseBody)) + `', 'hex'), now(), now());
END;
`
}

// pgbenchRetrieve is the pgbench script of a primary-key read of a whole session row.
func pgbenchRetrieve() string {
	cols := make([]string, 0, len(baselineColumns))
	for _, c := range baselineColumns {
		cols = append(cols, c.name)
	}
	return `\set s random(1, :maxseq)
SELECT ` + strings.Join(cols, ", ") + ` FROM sessions WHERE seq = :s;
`
}

// baselineCreate is one minimal durable create of the Go baselines (the bare
// SQLite loop and the create floors): a session row and its idempotency row,
// the values pgbench's script writes.
type baselineCreate struct {
	id, key, currency, phone, paymentID, description string
	amount                                           int64
}

// placeholders are n bind parameters of engine ("pg" or "sqlite").
func placeholders(engine string, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = "?"
		if engine == "pg" {
			ps[i] = "$" + strconv.Itoa(i+1)
		}
	}
	return strings.Join(ps, ", ")
}

// insertSessionSQL is the INSERT of a baseline session row.
func insertSessionSQL(engine string) string {
	return "INSERT INTO sessions (" + insertColumns() + ") VALUES (" + placeholders(engine, len(baselineColumns)-1) + ")"
}

// insertKeySQL is the INSERT of a baseline idempotency row.
func insertKeySQL(engine string) string {
	return "INSERT INTO idempotency_keys (merchant_id, livemode, key, request_hash, done, status_code, body, created_at, locked_at) VALUES (" +
		placeholders(engine, 9) + ")"
}

// sessionArgs are insertSessionSQL's arguments, times as engine stores them.
func (c baselineCreate) sessionArgs(engine string, now time.Time) []any {
	at, live := engineValues(engine)
	return []any{c.id, "mer_bench", live, "created", c.amount, c.currency, c.phone, c.paymentID, "", c.description,
		"{}", int64(25), "", at(now), at(now), at(now.Add(30 * time.Minute)), nil,
		"", "", "", "", "", "[]", "", "", "", "", "", ""}
}

// keyArgs are insertKeySQL's arguments: the create's response, done.
func (c baselineCreate) keyArgs(engine string, now time.Time) []any {
	at, live := engineValues(engine)
	done := any(true)
	if engine == "sqlite" {
		done = 1
	}
	return []any{"mer_bench", live, c.key, requestHashBytes, done, 201, responseBytes, at(now), at(now)}
}

// engineValues are how engine stores a time and livemode false.
func engineValues(engine string) (at func(time.Time) any, live any) {
	if engine == "sqlite" {
		return func(t time.Time) any { return t.UnixMicro() }, 0
	}
	return func(t time.Time) any { return t }, false
}
