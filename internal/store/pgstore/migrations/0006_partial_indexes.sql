-- A session without a payment id, phone, customer or email (a Stripe session
-- has no phone, a mobile-money one no customer) no longer costs an entry in
-- that column's index: each search by one of them adds "col <> ''" so the
-- partial index serves it. Fewer index entries per create is less work and
-- less write-ahead log per commit.
DROP INDEX sessions_payment_id;
DROP INDEX sessions_user_phone;
DROP INDEX sessions_customer_id;
DROP INDEX sessions_customer_email;
CREATE INDEX sessions_payment_id     ON sessions (merchant_id, livemode, payment_id, created_at DESC, seq DESC) WHERE payment_id <> '';
CREATE INDEX sessions_user_phone     ON sessions (merchant_id, livemode, user_phone, created_at DESC, seq DESC) WHERE user_phone <> '';
CREATE INDEX sessions_customer_id    ON sessions (merchant_id, livemode, customer_id, created_at DESC, seq DESC) WHERE customer_id <> '';
CREATE INDEX sessions_customer_email ON sessions (merchant_id, livemode, customer_email, created_at DESC, seq DESC) WHERE customer_email <> '';
