-- Lifecycle: how a session is being paid, the sweep of overdue sessions, and webhooks.
ALTER TABLE sessions ADD COLUMN channel TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN connector_ref TEXT NOT NULL DEFAULT '';
-- Only sessions that can still expire; the expiry sweep reads it several times a second.
CREATE INDEX sessions_due ON sessions (expires_at) WHERE status IN ('created', 'pending');

CREATE TABLE webhook_endpoints (
	seq            INTEGER PRIMARY KEY AUTOINCREMENT,
	id             TEXT NOT NULL UNIQUE,
	merchant_id    TEXT NOT NULL REFERENCES merchants (id),
	livemode       INTEGER NOT NULL,
	url            TEXT NOT NULL,
	description    TEXT NOT NULL DEFAULT '',
	enabled_events TEXT NOT NULL,
	status         TEXT NOT NULL,
	secret         TEXT NOT NULL,
	api_version    TEXT NOT NULL,
	payload_format TEXT NOT NULL,
	metadata       TEXT NOT NULL DEFAULT '{}',
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_newest ON webhook_endpoints (merchant_id, livemode, created_at DESC, seq DESC);

-- One row per delivery attempt; endpoint_id is not a foreign key so that
-- attempts outlive a deleted endpoint.
CREATE TABLE webhook_attempts (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	merchant_id TEXT NOT NULL REFERENCES merchants (id),
	livemode    INTEGER NOT NULL,
	event_id    TEXT NOT NULL,
	endpoint_id TEXT NOT NULL,
	job_id      INTEGER NOT NULL,
	attempt     INTEGER NOT NULL,
	status_code INTEGER NOT NULL,
	latency_us  INTEGER NOT NULL,
	error       TEXT NOT NULL DEFAULT '',
	succeeded   INTEGER NOT NULL,
	created_at  INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_event ON webhook_attempts (merchant_id, livemode, event_id, seq);
CREATE INDEX webhook_attempts_job ON webhook_attempts (job_id) WHERE succeeded;
