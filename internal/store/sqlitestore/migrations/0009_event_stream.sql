-- The event stream (GET /v1/events/stream) follows events in the order of the
-- transactions that wrote them. SQLite has one writer, so its transactions
-- commit in seq order: an event's seq stands for its transaction.
ALTER TABLE events ADD COLUMN xid INTEGER GENERATED ALWAYS AS (seq) VIRTUAL;
CREATE INDEX events_stream ON events (merchant_id, livemode, xid, seq);
