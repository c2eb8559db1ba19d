-- Events: one per session status change, with the session as it became (jsonb).
CREATE TABLE events (
	seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	merchant_id TEXT NOT NULL REFERENCES merchants (id),
	livemode    BOOLEAN NOT NULL,
	type        TEXT NOT NULL,
	session_id  TEXT NOT NULL,
	data        JSONB NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX events_newest ON events (merchant_id, livemode, created_at DESC, seq DESC);
CREATE INDEX events_type   ON events (merchant_id, livemode, type, created_at DESC, seq DESC);
