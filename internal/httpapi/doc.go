// Package httpapi is the HTTP plumbing every API dialect shares: request ids,
// access logs without secrets, panic recovery, body limits, API-key
// authentication, rate limits and idempotent replays. Dialects (momoapi,
// stripeapi) render its Problems in their own wire shape. It imports the
// domain packages, never a dialect or an engine.
package httpapi
