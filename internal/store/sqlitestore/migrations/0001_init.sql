-- Times are Unix microseconds (UTC); booleans are 0/1; metadata is a JSON object.
CREATE TABLE merchants (
	id               TEXT PRIMARY KEY,
	name             TEXT NOT NULL,
	currencies       TEXT NOT NULL,
	fee_basis_points INTEGER NOT NULL,
	fee_fixed        INTEGER NOT NULL,
	fee_minimum      INTEGER NOT NULL,
	fee_maximum      INTEGER NOT NULL,
	created_at       INTEGER NOT NULL
);

CREATE TABLE api_keys (
	id          TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL REFERENCES merchants (id),
	livemode    INTEGER NOT NULL,
	hash        BLOB NOT NULL UNIQUE,
	last4       TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	revoked_at  INTEGER
);
CREATE INDEX api_keys_merchant ON api_keys (merchant_id, created_at);

CREATE TABLE sessions (
	seq             INTEGER PRIMARY KEY AUTOINCREMENT,
	id              TEXT NOT NULL UNIQUE,
	merchant_id     TEXT NOT NULL REFERENCES merchants (id),
	livemode        INTEGER NOT NULL,
	status          TEXT NOT NULL,
	amount          INTEGER NOT NULL,
	currency        TEXT NOT NULL,
	user_phone      TEXT NOT NULL DEFAULT '',
	payment_id      TEXT NOT NULL DEFAULT '',
	customer_id     TEXT NOT NULL DEFAULT '',
	description     TEXT NOT NULL DEFAULT '',
	metadata        TEXT NOT NULL DEFAULT '{}',
	transaction_fee INTEGER NOT NULL,
	failure_reason  TEXT NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	expires_at      INTEGER NOT NULL,
	completed_at    INTEGER
);
-- Every listing is scoped to (merchant_id, livemode) and ordered newest first.
CREATE INDEX sessions_newest      ON sessions (merchant_id, livemode, created_at DESC, seq DESC);
CREATE INDEX sessions_status      ON sessions (merchant_id, livemode, status, created_at DESC, seq DESC);
CREATE INDEX sessions_payment_id  ON sessions (merchant_id, livemode, payment_id, created_at DESC, seq DESC);
CREATE INDEX sessions_user_phone  ON sessions (merchant_id, livemode, user_phone, created_at DESC, seq DESC);
CREATE INDEX sessions_customer_id ON sessions (merchant_id, livemode, customer_id, created_at DESC, seq DESC);
CREATE INDEX sessions_amount      ON sessions (merchant_id, livemode, amount);

CREATE TABLE idempotency_keys (
	merchant_id  TEXT NOT NULL,
	livemode     INTEGER NOT NULL,
	key          TEXT NOT NULL,
	request_hash BLOB NOT NULL,
	done         INTEGER NOT NULL DEFAULT 0,
	status_code  INTEGER NOT NULL DEFAULT 0,
	body         BLOB NOT NULL DEFAULT x'',
	created_at   INTEGER NOT NULL,
	locked_at    INTEGER NOT NULL,
	PRIMARY KEY (merchant_id, livemode, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
