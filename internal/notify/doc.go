// Package notify tells merchants about events: webhook endpoints, one
// delivery job per (event, endpoint) queued in the transaction that wrote the
// event, signed delivery attempts with retries, the attempt log and resends.
// Signing itself is package webhook's. It imports domain packages and store,
// never an HTTP API package or an engine.
package notify
