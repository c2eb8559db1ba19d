package client

import (
	"context"
)

// TestSession is what a test helper answers: the session's id and its
// status in the Stripe dialect (open, complete or expired).
type TestSession struct {
	// ID is the session's id, cs_test_….
	ID string `json:"id"`
	// Status is the Stripe session status after the helper ran.
	Status string `json:"status"`
}

// Outcomes a test helper forces (docs/testing.md, Test helpers).
const (
	OutcomeComplete = "complete" // created → pending → processing → completed
	OutcomeFail     = "fail"     // → failed (failure_reason generic_decline)
	OutcomeExpire   = "expire"   // → expired
)

// ForceOutcome walks a test-mode session to an outcome through the test
// helpers (POST /v1/test_helpers/checkout/sessions/{id}/{outcome}), writing
// every event on the way. Test keys only.
func (c *Client) ForceOutcome(ctx context.Context, id, outcome string) (*TestSession, error) {
	path, err := idPath("/v1/test_helpers/checkout/sessions", id)
	if err != nil {
		return nil, err
	}
	var out TestSession
	if err := c.call(ctx, "POST", path+"/"+outcome, nil, struct{}{}, newIdempotencyKey(), &out); err != nil {
		return nil, err
	}
	return &out, nil
}
