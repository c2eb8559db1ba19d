-- The event stream (GET /v1/events/stream) follows events in the order of the
-- transactions that wrote them: two transactions of a merchant can commit out
-- of seq order, and a stream that followed seq would skip an event of the one
-- that commits last. Events written before this migration take its own
-- transaction's id, and keep their seq order within it.
ALTER TABLE events ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX events_stream ON events (merchant_id, livemode, xid, seq);
