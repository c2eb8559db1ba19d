-- Times are timestamptz; metadata is a jsonb object.
CREATE TABLE merchants (
	id               TEXT PRIMARY KEY,
	name             TEXT NOT NULL,
	currencies       TEXT NOT NULL,
	fee_basis_points BIGINT NOT NULL,
	fee_fixed        BIGINT NOT NULL,
	fee_minimum      BIGINT NOT NULL,
	fee_maximum      BIGINT NOT NULL,
	created_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
	id          TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL REFERENCES merchants (id),
	livemode    BOOLEAN NOT NULL,
	hash        BYTEA NOT NULL UNIQUE,
	last4       TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	revoked_at  TIMESTAMPTZ
);
CREATE INDEX api_keys_merchant ON api_keys (merchant_id, created_at);

CREATE TABLE sessions (
	seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	merchant_id     TEXT NOT NULL REFERENCES merchants (id),
	livemode        BOOLEAN NOT NULL,
	status          TEXT NOT NULL,
	amount          BIGINT NOT NULL,
	currency        TEXT NOT NULL,
	user_phone      TEXT NOT NULL DEFAULT '',
	payment_id      TEXT NOT NULL DEFAULT '',
	customer_id     TEXT NOT NULL DEFAULT '',
	description     TEXT NOT NULL DEFAULT '',
	metadata        JSONB NOT NULL DEFAULT '{}',
	transaction_fee BIGINT NOT NULL,
	failure_reason  TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMPTZ NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL,
	expires_at      TIMESTAMPTZ NOT NULL,
	completed_at    TIMESTAMPTZ
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
	livemode     BOOLEAN NOT NULL,
	key          TEXT NOT NULL,
	request_hash BYTEA NOT NULL,
	done         BOOLEAN NOT NULL DEFAULT false,
	status_code  INTEGER NOT NULL DEFAULT 0,
	body         BYTEA NOT NULL DEFAULT '',
	created_at   TIMESTAMPTZ NOT NULL,
	locked_at    TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (merchant_id, livemode, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
