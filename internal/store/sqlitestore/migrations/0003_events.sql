-- Events: one per session status change, with the session as it became (JSON).
CREATE TABLE events (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	merchant_id TEXT NOT NULL REFERENCES merchants (id),
	livemode    INTEGER NOT NULL,
	type        TEXT NOT NULL,
	session_id  TEXT NOT NULL,
	data        TEXT NOT NULL,
	created_at  INTEGER NOT NULL
);
CREATE INDEX events_newest ON events (merchant_id, livemode, created_at DESC, seq DESC);
CREATE INDEX events_type   ON events (merchant_id, livemode, type, created_at DESC, seq DESC);
