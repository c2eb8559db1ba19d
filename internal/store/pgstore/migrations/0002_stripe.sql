-- What the Stripe dialect adds to a session. line_items is a jsonb array;
-- payment_method_types a comma-separated list.
ALTER TABLE sessions
	ADD COLUMN success_url TEXT NOT NULL DEFAULT '',
	ADD COLUMN cancel_url TEXT NOT NULL DEFAULT '',
	ADD COLUMN customer_email TEXT NOT NULL DEFAULT '',
	ADD COLUMN locale TEXT NOT NULL DEFAULT '',
	ADD COLUMN payment_method_types TEXT NOT NULL DEFAULT '',
	ADD COLUMN line_items JSONB NOT NULL DEFAULT '[]';
CREATE INDEX sessions_customer_email ON sessions (merchant_id, livemode, customer_email, created_at DESC, seq DESC);
