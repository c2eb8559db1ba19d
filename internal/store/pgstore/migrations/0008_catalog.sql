-- Stripe's catalog and customers (issue 15): products, their one-time or
-- recurring prices, and customers; each confined to a merchant and mode.
CREATE TABLE products (
	seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	merchant_id TEXT NOT NULL REFERENCES merchants (id),
	livemode    BOOLEAN NOT NULL,
	name        TEXT NOT NULL,
	description TEXT NOT NULL,
	active      BOOLEAN NOT NULL,
	metadata    JSONB NOT NULL DEFAULT '{}',
	created_at  TIMESTAMPTZ NOT NULL,
	updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX products_newest ON products (merchant_id, livemode, created_at DESC, seq DESC);

CREATE TABLE prices (
	seq                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id                       TEXT NOT NULL UNIQUE,
	merchant_id              TEXT NOT NULL REFERENCES merchants (id),
	livemode                 BOOLEAN NOT NULL,
	product_id               TEXT NOT NULL REFERENCES products (id),
	active                   BOOLEAN NOT NULL,
	currency                 TEXT NOT NULL,
	unit_amount              BIGINT NOT NULL,
	lookup_key               TEXT,
	nickname                 TEXT NOT NULL,
	recurring_interval       TEXT NOT NULL,
	recurring_interval_count BIGINT NOT NULL,
	metadata                 JSONB NOT NULL DEFAULT '{}',
	created_at               TIMESTAMPTZ NOT NULL,
	updated_at               TIMESTAMPTZ NOT NULL,
	UNIQUE (merchant_id, livemode, lookup_key)
);
CREATE INDEX prices_newest ON prices (merchant_id, livemode, created_at DESC, seq DESC);
CREATE INDEX prices_product ON prices (product_id, created_at DESC, seq DESC);

CREATE TABLE customers (
	seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	merchant_id TEXT NOT NULL REFERENCES merchants (id),
	livemode    BOOLEAN NOT NULL,
	email       TEXT NOT NULL,
	name        TEXT NOT NULL,
	phone       TEXT NOT NULL,
	description TEXT NOT NULL,
	metadata    JSONB NOT NULL DEFAULT '{}',
	created_at  TIMESTAMPTZ NOT NULL,
	updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX customers_newest ON customers (merchant_id, livemode, created_at DESC, seq DESC);
CREATE INDEX customers_email ON customers (merchant_id, livemode, email);
