package sqlitestore

import "github.com/caisse/caisse/internal/store/sqldb"

// queries are the statements caisse runs on SQLite.
var queries = sqldb.Queries{
	MerchantInsert: `INSERT INTO merchants (id, name, currencies, fee_basis_points, fee_fixed, fee_minimum, fee_maximum, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
	MerchantGet: `SELECT id, name, currencies, fee_basis_points, fee_fixed, fee_minimum, fee_maximum, created_at
		FROM merchants WHERE id = $1`,

	KeyInsert: `INSERT INTO api_keys (id, merchant_id, livemode, hash, last4, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
	KeyGetByHash: `SELECT id, merchant_id, livemode, hash, last4, created_at, revoked_at
		FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`,
	KeyList: `SELECT id, merchant_id, livemode, hash, last4, created_at, revoked_at
		FROM api_keys WHERE merchant_id = $1 ORDER BY created_at, id`,
	KeyRevoke: `UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`,

	SessionInsert: `INSERT INTO sessions (id, merchant_id, livemode, status, amount, currency, user_phone, payment_id,
			customer_id, description, metadata, transaction_fee, failure_reason, created_at, updated_at,
			expires_at, completed_at, success_url, cancel_url, customer_email, locale, payment_method_types, line_items,
			channel, connector_ref)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
			$18, $19, $20, $21, $22, $23, $24, $25)
		RETURNING seq`,
	SessionGet: `SELECT ` + sqldb.SessionColumns + ` FROM sessions
		WHERE merchant_id = $1 AND livemode = $2 AND id = $3`,
	SessionChangeStatus: `UPDATE sessions
		SET status = $5, updated_at = $6, completed_at = $7, failure_reason = $8,
			user_phone = CASE WHEN $9 = '' THEN user_phone ELSE $9 END,
			channel = CASE WHEN $10 = '' THEN channel ELSE $10 END
		WHERE merchant_id = $1 AND livemode = $2 AND id = $3 AND status = $4
		RETURNING ` + sqldb.SessionColumns,
	SessionLookup: `SELECT ` + sqldb.SessionColumns + ` FROM sessions WHERE id = $1`,
	SessionSetRef: `UPDATE sessions SET connector_ref = $4 WHERE merchant_id = $1 AND livemode = $2 AND id = $3`,
	SessionsDue: `SELECT ` + sqldb.SessionColumns + ` FROM sessions
		WHERE status IN ('created', 'pending') AND (status = 'created' OR livemode = 0) AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
	SessionsDueInScope: `SELECT ` + sqldb.SessionColumns + ` FROM sessions INDEXED BY sessions_due
		WHERE status IN ('created', 'pending') AND (status = 'created' OR livemode = 0) AND expires_at <= $1 AND merchant_id = $3 AND livemode = $4
		ORDER BY expires_at LIMIT $2`,
	SessionSetMetadata: `UPDATE sessions SET metadata = $5, updated_at = $6
		WHERE merchant_id = $1 AND livemode = $2 AND id = $3 AND metadata = $4
		RETURNING ` + sqldb.SessionColumns,

	EventInsert: `INSERT INTO events (id, merchant_id, livemode, type, session_id, data, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq`,
	EventGet: `SELECT ` + sqldb.EventColumns + ` FROM events WHERE merchant_id = $1 AND livemode = $2 AND id = $3`,

	EndpointInsert: `INSERT INTO webhook_endpoints (id, merchant_id, livemode, url, description, enabled_events, status,
			secret, api_version, payload_format, metadata, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING seq`,
	EndpointGet: `SELECT ` + sqldb.EndpointColumns + ` FROM webhook_endpoints
		WHERE merchant_id = $1 AND livemode = $2 AND id = $3`,
	EndpointUpdate: `UPDATE webhook_endpoints
		SET url = $4, description = $5, enabled_events = $6, status = $7, metadata = $8, updated_at = $9
		WHERE merchant_id = $1 AND livemode = $2 AND id = $3
		RETURNING ` + sqldb.EndpointColumns,
	EndpointDelete: `DELETE FROM webhook_endpoints WHERE merchant_id = $1 AND livemode = $2 AND id = $3`,
	EndpointEnabled: `SELECT ` + sqldb.EndpointColumns + ` FROM webhook_endpoints
		WHERE merchant_id = $1 AND livemode = $2 AND status = 'enabled' ORDER BY seq`,

	AttemptInsert: `INSERT INTO webhook_attempts (id, merchant_id, livemode, event_id, endpoint_id, job_id, attempt,
			status_code, latency_us, error, succeeded, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
	AttemptList: `SELECT ` + sqldb.AttemptColumns + ` FROM webhook_attempts
		WHERE merchant_id = $1 AND livemode = $2 AND event_id = $3 ORDER BY seq`,
	AttemptSucceeded: `SELECT count(*) FROM webhook_attempts WHERE job_id = $1 AND succeeded`,

	IdempotencyInsert: `INSERT INTO idempotency_keys (merchant_id, livemode, key, request_hash, created_at, locked_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
	IdempotencyGet: `SELECT key, request_hash, done, status_code, body, created_at, locked_at
		FROM idempotency_keys WHERE merchant_id = $1 AND livemode = $2 AND key = $3`,
	IdempotencyTakeover: `UPDATE idempotency_keys SET locked_at = $5
		WHERE merchant_id = $1 AND livemode = $2 AND key = $3 AND request_hash = $4 AND done = 0 AND locked_at < $6`,
	IdempotencyFinish: `UPDATE idempotency_keys SET done = 1, status_code = $4, body = $5
		WHERE merchant_id = $1 AND livemode = $2 AND key = $3 AND done = 0 AND locked_at = $6`,
	IdempotencyRelease: `DELETE FROM idempotency_keys WHERE merchant_id = $1 AND livemode = $2 AND key = $3 AND done = 0 AND locked_at = $4`,
	IdempotencyPurge:   `DELETE FROM idempotency_keys WHERE created_at < $1`,
}
