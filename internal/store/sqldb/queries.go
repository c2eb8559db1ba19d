package sqldb

// Queries are an engine's statements: PortableQueries, with the engine's own
// in place of those its database needs written otherwise. Parameters are $1,
// $2, … in every engine.
type Queries struct {
	MerchantInsert string // id, name, currencies, fee bps, fixed, min, max, created_at
	MerchantGet    string // id
	MerchantUpdate string // id, name, currencies, fee bps, fixed, min, max

	KeyInsert    string // id, merchant_id, livemode, hash, last4, created_at
	KeyGetByHash string // hash; the key's columns, then the merchant's
	KeyList      string // merchant_id
	KeyRevoke    string // id, revoked_at

	SessionInsert       string // sessionTable.args; RETURNING seq
	SessionInsertLater  string // SessionInsert without RETURNING, for a lazy transaction's queue
	SessionGet          string // merchant_id, livemode, id
	SessionChangeStatus string // merchant_id, livemode, id, from, to, updated_at, completed_at, failure_reason, phone or '', channel or '', attempt or '', customer_id or ''
	SessionLookup       string // id
	SessionSetStart     string // merchant_id, livemode, id, attempt, connector_ref, connector_url, connector_check
	SessionsToReconcile string // merchant_id or '', since, after seq, limit
	SessionsDue         string // now, limit; locks the rows it returns, skipping locked ones, where the engine can
	SessionsDueInScope  string // now, limit, merchant_id, livemode
	SessionSetMetadata  string // merchant_id, livemode, id, old metadata, new metadata, updated_at; RETURNING SessionColumns

	EventInsert string // eventTable.args; RETURNING seq, xid
	EventGet    string // merchant_id, livemode, id; EventColumns
	// EventsEnded is the event stream's condition on an events row: its
	// transaction, and every transaction with a smaller xid, has ended
	// (EventsStreamedSQL). Each engine has its own.
	EventsEnded string
	// EventStreamStart, without parameters, is the xid and seq a stream
	// opened now begins after, and its StreamPos.Opened ('' for none)
	// (store.Store.EventStreamStart). Each engine has its own.
	EventStreamStart string
	// EventsNotOpened is the condition that an events row's transaction had
	// not ended when a stream opened, a format with one %d: the parameter
	// number of StreamPos.Opened. Only an engine whose EventStreamStart gives
	// an Opened needs it.
	EventsNotOpened string

	EndpointInsert  string // endpointTable.args; RETURNING seq
	EndpointGet     string // merchant_id, livemode, id
	EndpointUpdate  string // merchant_id, livemode, id, url, description, enabled_events, status, metadata, updated_at; RETURNING EndpointColumns
	EndpointDelete  string // merchant_id, livemode, id
	EndpointEnabled string // merchant_id, livemode

	ProductInsert  string // productTable.args; RETURNING seq
	ProductGet     string // merchant_id, livemode, id
	ProductUpdate  string // merchant_id, livemode, id, then productUpdated's columns; RETURNING ProductColumns
	PriceInsert    string // priceTable.args; RETURNING seq
	PriceGet       string // merchant_id, livemode, id
	PriceUpdate    string // merchant_id, livemode, id, then priceUpdated's columns; RETURNING PriceColumns
	CustomerInsert string // customerTable.args; RETURNING seq
	CustomerGet    string // merchant_id, livemode, id
	CustomerUpdate string // merchant_id, livemode, id, then customerUpdated's columns; RETURNING CustomerColumns
	CustomerDelete string // merchant_id, livemode, id

	ConnectorPut    string // connectorTable.args; upsert on merchant_id, livemode, channel; RETURNING ConnectorColumns
	ConnectorGet    string // id
	ConnectorFor    string // merchant_id, livemode, channel
	ConnectorList   string // merchant_id
	ConnectorDelete string // merchant_id, livemode, channel

	AttemptInsert    string // attemptTable.args (of one attempt; several go in attemptTable.insertRows)
	AttemptList      string // merchant_id, livemode, event_id
	AttemptSucceeded string // job_id; a count
	DeliveryGet      string // merchant_id, livemode, endpoint id, event id, job_id; EndpointColumns, EventColumns, done

	IdempotencyInsert   string // merchant_id, livemode, key, request_hash, created_at, locked_at; DO NOTHING on conflict
	IdempotencyGet      string // merchant_id, livemode, key
	IdempotencyTakeover string // merchant_id, livemode, key, request_hash, new locked_at, lockedBefore
	IdempotencyFinish   string // merchant_id, livemode, key, status_code, body, locked_at of the owner's claim
	IdempotencyPut      string // merchant_id, livemode, key, request_hash, created_at, status_code, body; a unique violation if the key is taken
	IdempotencyPurge    string // created_before
}

// PortableQueries are the statements both engines run as written: $n
// parameters; booleans tested with NOT and set with true (SQLite reads true
// as 1 and NOT on its 0/1 columns); JSON bound as text, which PostgreSQL
// types jsonb from the column it is stored in or compared with, as a ::jsonb
// cast would; RETURNING and ON CONFLICT DO NOTHING (SQLite 3.35 and later).
// SessionsDue and SessionsDueInScope are PostgreSQL's (FOR UPDATE SKIP
// LOCKED): SQLite replaces them. EventsEnded, EventStreamStart and EventsNotOpened are left
// to each engine. An engine replaces only the statements its database needs
// written otherwise; each call returns a fresh copy for it to change.
func PortableQueries() Queries {
	return Queries{
		MerchantInsert: `INSERT INTO merchants (id, name, currencies, fee_basis_points, fee_fixed, fee_minimum, fee_maximum, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		MerchantUpdate: `UPDATE merchants SET name = $2, currencies = $3, fee_basis_points = $4, fee_fixed = $5,
			fee_minimum = $6, fee_maximum = $7 WHERE id = $1`,
		MerchantGet: `SELECT id, name, currencies, fee_basis_points, fee_fixed, fee_minimum, fee_maximum, created_at
			FROM merchants WHERE id = $1`,

		KeyInsert: `INSERT INTO api_keys (id, merchant_id, livemode, hash, last4, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		KeyGetByHash: `SELECT k.id, k.merchant_id, k.livemode, k.hash, k.last4, k.created_at, k.revoked_at,
				m.id, m.name, m.currencies, m.fee_basis_points, m.fee_fixed, m.fee_minimum, m.fee_maximum, m.created_at
			FROM api_keys k JOIN merchants m ON m.id = k.merchant_id WHERE k.hash = $1 AND k.revoked_at IS NULL`,
		KeyList: `SELECT id, merchant_id, livemode, hash, last4, created_at, revoked_at
			FROM api_keys WHERE merchant_id = $1 ORDER BY created_at, id`,
		KeyRevoke: `UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`,

		SessionInsert:      sessionTable.insert() + ` RETURNING seq`,
		SessionInsertLater: sessionTable.insert(),
		SessionGet: `SELECT ` + SessionColumns + ` FROM sessions
			WHERE merchant_id = $1 AND livemode = $2 AND id = $3`,
		SessionChangeStatus: `UPDATE sessions
			SET status = $5, updated_at = $6, completed_at = $7, failure_reason = $8,
				user_phone = CASE WHEN $9 = '' THEN user_phone ELSE $9 END,
				channel = CASE WHEN $10 = '' THEN channel ELSE $10 END,
				attempt = CASE WHEN $11 = '' THEN attempt ELSE $11 END,
				connector_ref = CASE WHEN $11 = '' THEN connector_ref ELSE '' END,
				connector_url = CASE WHEN $11 = '' THEN connector_url ELSE '' END,
				connector_check = CASE WHEN $11 = '' THEN connector_check ELSE '' END,
				customer_id = CASE WHEN $12 = '' THEN customer_id ELSE $12 END
			WHERE merchant_id = $1 AND livemode = $2 AND id = $3 AND status = $4
			RETURNING ` + SessionColumns,
		SessionLookup: `SELECT ` + SessionColumns + ` FROM sessions WHERE id = $1`,
		SessionSetStart: `UPDATE sessions SET connector_ref = $5, connector_url = $6, connector_check = $7
			WHERE merchant_id = $1 AND livemode = $2 AND id = $3 AND attempt = $4 AND connector_ref = ''`,
		SessionsToReconcile: `SELECT ` + SessionColumns + ` FROM sessions
			WHERE ($1 = '' OR merchant_id = $1) AND attempt <> '' AND seq > $3
				AND (status IN ('pending', 'processing') OR updated_at >= $2)
			ORDER BY seq LIMIT $4`,
		// The sweep's batch, locked for its transaction; rows another
		// sweeper holds are skipped, so that two nodes take disjoint batches.
		// SQLite, which has neither clause nor a second writer, runs its own.
		SessionsDue: `SELECT ` + SessionColumns + ` FROM sessions
			WHERE status IN ('created', 'pending') AND (status = 'created' OR NOT livemode) AND expires_at <= $1
			ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
		SessionsDueInScope: `SELECT ` + SessionColumns + ` FROM sessions
			WHERE status IN ('created', 'pending') AND (status = 'created' OR NOT livemode) AND expires_at <= $1
				AND merchant_id = $3 AND livemode = $4
			ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
		SessionSetMetadata: `UPDATE sessions SET metadata = $5, updated_at = $6
			WHERE merchant_id = $1 AND livemode = $2 AND id = $3 AND metadata = $4
			RETURNING ` + SessionColumns,

		EventInsert: eventTable.insert() + ` RETURNING seq, xid`,
		EventGet:    `SELECT ` + EventColumns + ` FROM events WHERE merchant_id = $1 AND livemode = $2 AND id = $3`,

		EndpointInsert: endpointTable.insert() + ` RETURNING seq`,
		EndpointGet: `SELECT ` + EndpointColumns + ` FROM webhook_endpoints
			WHERE merchant_id = $1 AND livemode = $2 AND id = $3`,
		EndpointUpdate: `UPDATE webhook_endpoints
			SET url = $4, description = $5, enabled_events = $6, status = $7, metadata = $8, updated_at = $9
			WHERE merchant_id = $1 AND livemode = $2 AND id = $3
			RETURNING ` + EndpointColumns,
		EndpointDelete: `DELETE FROM webhook_endpoints WHERE merchant_id = $1 AND livemode = $2 AND id = $3`,
		EndpointEnabled: `SELECT ` + EndpointColumns + ` FROM webhook_endpoints
			WHERE merchant_id = $1 AND livemode = $2 AND status = 'enabled' ORDER BY seq`,

		ProductInsert:  productTable.insert() + ` RETURNING seq`,
		ProductGet:     `SELECT ` + ProductColumns + ` FROM products WHERE merchant_id = $1 AND livemode = $2 AND id = $3`,
		ProductUpdate:  productTable.update(productUpdated...),
		PriceInsert:    priceTable.insert() + ` RETURNING seq`,
		PriceGet:       `SELECT ` + PriceColumns + ` FROM prices WHERE merchant_id = $1 AND livemode = $2 AND id = $3`,
		PriceUpdate:    priceTable.update(priceUpdated...),
		CustomerInsert: customerTable.insert() + ` RETURNING seq`,
		CustomerGet:    `SELECT ` + CustomerColumns + ` FROM customers WHERE merchant_id = $1 AND livemode = $2 AND id = $3`,
		CustomerUpdate: customerTable.update(customerUpdated...),
		CustomerDelete: `DELETE FROM customers WHERE merchant_id = $1 AND livemode = $2 AND id = $3`,

		ConnectorPut: connectorTable.insert() + ` ON CONFLICT (merchant_id, livemode, channel) DO UPDATE
			SET kind = excluded.kind, base_url = excluded.base_url, credentials = excluded.credentials, updated_at = excluded.updated_at
			RETURNING ` + ConnectorColumns,
		ConnectorGet:    `SELECT ` + ConnectorColumns + ` FROM connectors WHERE id = $1`,
		ConnectorFor:    `SELECT ` + ConnectorColumns + ` FROM connectors WHERE merchant_id = $1 AND livemode = $2 AND channel = $3`,
		ConnectorList:   `SELECT ` + ConnectorColumns + ` FROM connectors WHERE merchant_id = $1 ORDER BY livemode, channel`,
		ConnectorDelete: `DELETE FROM connectors WHERE merchant_id = $1 AND livemode = $2 AND channel = $3`,

		AttemptInsert: attemptTable.insert(),
		AttemptList: `SELECT ` + AttemptColumns + ` FROM webhook_attempts
			WHERE merchant_id = $1 AND livemode = $2 AND event_id = $3 ORDER BY seq`,
		AttemptSucceeded: `SELECT count(*) FROM webhook_attempts WHERE job_id = $1 AND succeeded`,
		DeliveryGet: `SELECT ` + endpointTable.listOf("w") + `, ` + eventTable.listOf("e") + `,
				EXISTS (SELECT 1 FROM webhook_attempts a WHERE a.job_id = $5 AND a.succeeded)
			FROM webhook_endpoints w JOIN events e ON e.merchant_id = w.merchant_id AND e.livemode = w.livemode AND e.id = $4
			WHERE w.merchant_id = $1 AND w.livemode = $2 AND w.id = $3`,

		IdempotencyInsert: `INSERT INTO idempotency_keys (merchant_id, livemode, key, request_hash, created_at, locked_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		IdempotencyGet: `SELECT key, request_hash, done, status_code, body, created_at, locked_at
			FROM idempotency_keys WHERE merchant_id = $1 AND livemode = $2 AND key = $3`,
		IdempotencyTakeover: `UPDATE idempotency_keys SET locked_at = $5
			WHERE merchant_id = $1 AND livemode = $2 AND key = $3 AND request_hash = $4 AND NOT done AND locked_at < $6`,
		IdempotencyFinish: `UPDATE idempotency_keys SET done = true, status_code = $4, body = $5
			WHERE merchant_id = $1 AND livemode = $2 AND key = $3 AND NOT done AND locked_at = $6`,
		IdempotencyPut: `INSERT INTO idempotency_keys (merchant_id, livemode, key, request_hash, created_at, locked_at, done, status_code, body)
			VALUES ($1, $2, $3, $4, $5, $5, true, $6, $7)`,
		IdempotencyPurge: `DELETE FROM idempotency_keys WHERE created_at < $1`,
	}
}
