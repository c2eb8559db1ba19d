// Package webhook owns how caisse signs the events it delivers to merchants'
// webhook endpoints: endpoint secrets, the Stripe-Signature header that
// stripe-go's webhook.ConstructEvent verifies, and the Standard Webhooks
// headers (webhook-id, webhook-timestamp, webhook-signature). It uses only the
// standard library; it must not import store, checkout, jobs or any HTTP API
// package, so every part of caisse can sign and verify without a cycle.
package webhook
