-- What the Stripe dialect adds to a session. line_items is a JSON array;
-- payment_method_types a comma-separated list.
ALTER TABLE sessions ADD COLUMN success_url TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN cancel_url TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN customer_email TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN locale TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN payment_method_types TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN line_items TEXT NOT NULL DEFAULT '[]';
CREATE INDEX sessions_customer_email ON sessions (merchant_id, livemode, customer_email, created_at DESC, seq DESC);
