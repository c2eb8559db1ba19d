-- Operator connectors per merchant, mode and channel; each payment attempt's start.
ALTER TABLE sessions ADD COLUMN attempt TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN connector_url TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN connector_check TEXT NOT NULL DEFAULT '';
-- Reconciliation reads the open payments and those that changed lately.
CREATE INDEX sessions_reconcile ON sessions (updated_at) WHERE attempt <> '';

CREATE TABLE connectors (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	merchant_id TEXT NOT NULL REFERENCES merchants (id),
	livemode    INTEGER NOT NULL,
	channel     TEXT NOT NULL,
	kind        TEXT NOT NULL,
	base_url    TEXT NOT NULL,
	credentials TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	UNIQUE (merchant_id, livemode, channel)
);
