package connector

import (
	"context"
	"net/http"
	"slices"
	"time"
)

var _ Connector = Test{}

// TestDelay is how long the test connector's operator "thinks" before answering.
const TestDelay = time.Second

// Scenario is what the test connector's operator does with a phone number.
type Scenario struct {
	Name          string   // approve, decline, reject, no_answer, stuck
	Suffix        string   // the last 4 digits that select it ("0001" for approve, the default)
	Statuses      []string // what the operator reports after TestDelay, in order (StatusProcessing, StatusSucceeded, StatusFailed)
	FailureReason string   // with a final StatusFailed
}

// TestScenarios lists every scenario, approve first.
var TestScenarios = []Scenario{
	{
		Name: "approve", Suffix: "0001",
		Statuses: []string{StatusProcessing, StatusSucceeded},
	},
	{
		Name: "decline", Suffix: "0002",
		Statuses: []string{StatusFailed}, FailureReason: "insufficient_funds",
	},
	{
		Name: "reject", Suffix: "0003",
		Statuses: []string{StatusFailed}, FailureReason: "customer_rejected",
	},
	{
		Name: "no_answer", Suffix: "0004",
	},
	{
		Name: "stuck", Suffix: "0005",
		Statuses: []string{StatusProcessing},
	},
}

// TestScenario returns the scenario a phone number selects: the one whose
// Suffix ends the number, approve for any other number (short or garbage too).
// The Statuses slice is the caller's own copy.
func TestScenario(phone string) Scenario {
	s := TestScenarios[0]
	for _, c := range TestScenarios[1:] {
		if len(phone) >= len(c.Suffix) && phone[len(phone)-len(c.Suffix):] == c.Suffix {
			s = c
			break
		}
	}
	s.Statuses = slices.Clone(s.Statuses)
	return s
}

// Test is the connector of test-mode sessions: it reaches no operator.
// Caisse schedules the outcome TestScenario(phone) chooses itself; Test only
// hands out operator refs.
type Test struct{}

// Name is "test".
func (Test) Name() string { return "test" }

// Flow is FlowPush.
func (Test) Flow() string { return FlowPush }

// Initiate returns a new operator ref, "tpay_" and 24 random hex characters.
func (Test) Initiate(ctx context.Context, _ Payment) (Started, error) {
	if err := ctx.Err(); err != nil {
		return Started{}, err
	}
	return Started{Ref: randomID("tpay_")}, nil
}

// randomID returns prefix and 24 hex characters from crypto/rand (96 bits).
func randomID(prefix string) string {
	return prefix + RandomHex(12)
}

// Callback is ErrUnsupported: no operator calls the test connector back.
func (Test) Callback(*http.Request, []byte) (Result, error) { return Result{}, ErrUnsupported }

// Status is ErrUnsupported: caisse drives test outcomes itself and knows them.
func (Test) Status(context.Context, Payment, string) (Result, error) { return Result{}, ErrUnsupported }
