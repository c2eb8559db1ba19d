-- Lists and searches at a million sessions of a merchant (docs/query-plans.md):
-- a page skips its offset, and a count walks, index entries only. The
-- newest-first index now holds the amount too, so that an amount range
-- matching most sessions is walked newest first and checked in the index (8
-- more bytes an entry). The new index is built before the old one is dropped
-- (the migration is one transaction, and DROP INDEX locks the table until it
-- commits): reads go on during the build, writes wait for it (1.5–2.5 s per
-- million sessions on the development machine).
CREATE INDEX sessions_newest_next ON sessions (merchant_id, livemode, created_at DESC, seq DESC) INCLUDE (amount);
DROP INDEX sessions_newest;
ALTER INDEX sessions_newest_next RENAME TO sessions_newest;
