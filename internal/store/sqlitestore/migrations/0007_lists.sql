-- Lists and searches at a million sessions of a merchant (docs/query-plans.md):
-- a page skips its offset, and a count walks, index entries only (every SQLite
-- index holds seq, the rowid). The newest-first index now holds the amount
-- too, so that an amount range matching most sessions is walked newest first
-- and checked in the index.
DROP INDEX sessions_newest;
CREATE INDEX sessions_newest ON sessions (merchant_id, livemode, created_at DESC, seq DESC, amount);
