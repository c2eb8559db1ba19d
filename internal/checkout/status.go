package checkout

import (
	"slices"

	"github.com/caisse/caisse/internal/store"
)

// Status is a session's canonical status.
type Status = store.Status

// EventType names a kind of event.
type EventType = store.EventType

// The seven canonical statuses (the mobile-money API's).
const (
	StatusCreated    Status = "created"
	StatusPending    Status = "pending"
	StatusProcessing Status = "processing"
	StatusCompleted  Status = "completed"
	StatusFailed     Status = "failed"
	StatusExpired    Status = "expired"
	StatusCancelled  Status = "cancelled"
)

// Statuses lists every canonical status in lifecycle order.
var Statuses = []Status{StatusCreated, StatusPending, StatusProcessing, StatusCompleted, StatusFailed, StatusExpired, StatusCancelled}

// Event types. Stripe's four, then caisse's own for the statuses Stripe lacks
// and for a success that comes after the session ended unpaid.
const (
	EventCompleted      EventType = "checkout.session.completed"
	EventExpired        EventType = "checkout.session.expired"
	EventAsyncSucceeded EventType = "checkout.session.async_payment_succeeded"
	EventAsyncFailed    EventType = "checkout.session.async_payment_failed"
	EventPending        EventType = "checkout.session.pending"
	EventProcessing     EventType = "checkout.session.processing"
	EventCancelled      EventType = "checkout.session.cancelled"
	// EventLateSuccess follows the completed events of a session that had
	// failed, expired or been cancelled when the operator reported the money
	// taken: the merchant was told the session was unpaid, and now it is paid.
	EventLateSuccess EventType = "checkout.session.late_success"
)

// EventTypes lists every event type caisse sends.
var EventTypes = []EventType{EventCompleted, EventExpired, EventAsyncSucceeded, EventAsyncFailed,
	EventPending, EventProcessing, EventCancelled, EventLateSuccess}

// Transition is one named move of the status machine: from any status of
// From to To, writing Events in that order. Every status change goes through
// one (Service.walk), whoever asks for it: the API, the hosted page, an
// operator, the expiry sweep or a test helper.
type Transition struct {
	Name   string
	From   []Status
	To     Status
	Events []EventType
	// Explicit marks a transition only a caller that names it takes: an
	// operator's late success after the session ended unpaid (PayLate), the
	// customer's new attempt after a failed one (Retry). Route never plans
	// through it, and Terminal does not count it.
	Explicit bool
}

// The transitions, in lifecycle order.
var (
	Confirm = Transition{Name: "confirm", From: []Status{StatusCreated}, To: StatusPending,
		Events: []EventType{EventPending}}
	Approve = Transition{Name: "approve", From: []Status{StatusPending}, To: StatusProcessing,
		Events: []EventType{EventProcessing}}
	Pay = Transition{Name: "pay", From: []Status{StatusProcessing}, To: StatusCompleted,
		Events: []EventType{EventCompleted, EventAsyncSucceeded}}
	Decline = Transition{Name: "decline", From: []Status{StatusPending, StatusProcessing}, To: StatusFailed,
		Events: []EventType{EventAsyncFailed}}
	Expire = Transition{Name: "expire", From: []Status{StatusCreated, StatusPending}, To: StatusExpired,
		Events: []EventType{EventExpired}}
	Cancel = Transition{Name: "cancel", From: []Status{StatusCreated, StatusPending}, To: StatusCancelled,
		Events: []EventType{EventCancelled}}
	PayLate = Transition{Name: "pay_late", From: []Status{StatusFailed, StatusExpired, StatusCancelled}, To: StatusCompleted,
		Events: []EventType{EventCompleted, EventAsyncSucceeded, EventLateSuccess}, Explicit: true}
	// Retry is the customer paying again, with another number or channel,
	// after a failed attempt and before the session's deadline (Confirm).
	Retry = Transition{Name: "retry", From: []Status{StatusFailed}, To: StatusPending,
		Events: []EventType{EventPending}, Explicit: true}
)

// Transitions is the status machine.
var Transitions = []Transition{Confirm, Approve, Pay, Decline, Expire, Cancel, PayLate, Retry}

// Leaves reports whether t may start from status s.
func (t Transition) Leaves(s Status) bool { return slices.Contains(t.From, s) }

// ValidStatus reports whether s is one of the seven canonical statuses.
func ValidStatus(s Status) bool { return slices.Contains(Statuses, s) }

// Terminal reports whether only an Explicit transition leaves the status.
func Terminal(s Status) bool {
	return !slices.ContainsFunc(Transitions, func(t Transition) bool { return !t.Explicit && t.Leaves(s) })
}

// Route returns the shortest chain of transitions (never an Explicit one) from
// one status to another: Route(created, completed) is confirm, approve, pay.
// It is nil when to cannot be reached (or equals from).
func Route(from, to Status) []Transition {
	type step struct {
		prev Status
		t    Transition
	}
	came := map[Status]step{from: {}}
	queue := []Status{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, t := range Transitions {
			if _, seen := came[t.To]; seen || t.Explicit || !t.Leaves(cur) {
				continue
			}
			came[t.To] = step{cur, t}
			if t.To == to {
				var route []Transition
				for s := to; s != from; s = came[s].prev {
					route = append([]Transition{came[s].t}, route...)
				}
				return route
			}
			queue = append(queue, t.To)
		}
	}
	return nil
}

// PaymentStarted reports whether a payment of the session has started: a
// payment attempt was made, or its status is one only a payment reaches
// (the test helpers walk to completed or failed without an attempt). A
// session that expired or was cancelled before any attempt has none.
// store.SessionFilter.PaymentStarted selects the same sessions.
func PaymentStarted(s Session) bool {
	switch s.Status {
	case StatusPending, StatusProcessing, StatusCompleted, StatusFailed:
		return true
	}
	return s.Attempt != ""
}
