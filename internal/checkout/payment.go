package checkout

import (
	"context"
	"errors"
	"time"

	"github.com/caisse/caisse/internal/connector"
	"github.com/caisse/caisse/internal/store"
)

// PaymentArgs is the job that carries a live payment from its confirmation to
// the operator's definitive answer (Drive). It is inserted with the move to
// pending, so a crash before the operator was asked loses nothing.
type PaymentArgs struct {
	MerchantID string `json:"merchant_id"`
	SessionID  string `json:"session_id"`
	Test       bool   `json:"test,omitempty"` // a test-mode session paid through a configured connector (an operator's sandbox)
}

// Kind names the job in River's tables.
func (PaymentArgs) Kind() string { return "operator_payment" }

// How a live payment is followed: status queries wait as long as the payment
// has lasted (1 s, 2 s, 4 s …), at least MinPoll and at most MaxPoll, and
// stop PollHorizon after the session's deadline if the operator still has not
// said whether the money was taken.
const (
	MinPoll     = time.Second
	MaxPoll     = 5 * time.Minute
	PollHorizon = time.Hour
)

// Drive takes one step of a live payment that started at since, and says how
// long to wait before the next step; 0 means the payment needs no more steps.
// A step starts the payment with the operator if it has not been started and
// the session is still pending before its deadline, else asks the operator
// where the payment stands, then applies the answer:
//   - a definitive refusal to start fails the session (ReasonOperatorRefused);
//   - succeeded completes it, whatever happened to the session meanwhile
//     (settle: a success always wins); failed fails it;
//   - processing, pending or no answer (timeout, 5xx, a malformed answer)
//     decides nothing: the session stays as it is and Drive polls again,
//     except that a pending session past its deadline that the operator has
//     not started, or reports pending, expires — and is still followed until
//     the horizon, so that a late success completes it.
//
// Every step is safe to repeat: starting is idempotent at the operator (by
// the session id), and settling is a compare-and-set.
func (s *Service) Drive(ctx context.Context, a PaymentArgs, since time.Time) (time.Duration, error) {
	cur, err := s.Store.SessionGet(ctx, store.Scope{MerchantID: a.MerchantID, Livemode: !a.Test}, a.SessionID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, err
	case cur.Status == StatusCompleted || cur.Status == StatusFailed:
		return 0, nil // the operator's word is in
	}
	conn, err := s.connectorFor(ctx, cur.Scope, cur.Channel)
	if err != nil {
		return 0, err // retried by River: the configuration may come back
	}
	if _, builtin := conn.(connector.Test); builtin {
		return 0, nil // test outcomes are played by their own job
	}
	pay, now := s.paymentOf(cur, conn), s.now()
	if cur.Status == StatusPending && cur.ConnectorRef == "" && cur.ExpiresAt.After(now) {
		started, err := conn.Initiate(ctx, pay)
		switch {
		case err == nil:
			return s.poll(since, cur), s.learnStart(ctx, cur, started)
		case errors.Is(err, connector.ErrRefused):
			s.Log.Warn("operator refused a payment; failing the session", "session", cur.ID, "error", err)
			_, err = s.settle(ctx, cur.Scope, cur.ID, connector.Result{Status: connector.StatusFailed, FailureReason: ReasonOperatorRefused})
			return 0, ignoreState(err)
		}
		s.Log.Warn("operator's answer to a payment start is unknown; asking for its status", "session", cur.ID, "error", err)
	}
	res, err := conn.Status(ctx, pay, cur.ConnectorRef)
	switch {
	case errors.Is(err, connector.ErrNoPayment) && cur.ConnectorRef == "":
		if cur.Status == StatusPending && cur.ExpiresAt.After(now) {
			return s.poll(since, cur), nil // never reached the operator: start it again on the next step
		}
		return 0, ignoreState(s.expireUnpaid(ctx, cur))
	case err != nil:
		s.Log.Warn("operator status unknown", "session", cur.ID, "error", err)
		return s.pollOrGiveUp(since, cur), nil
	}
	if _, err := s.apply(ctx, cur, res); err != nil {
		return 0, err
	}
	switch res.Status {
	case connector.StatusSucceeded, connector.StatusFailed:
		return 0, nil
	case connector.StatusPending:
		ended := cur.Status == StatusExpired || cur.Status == StatusCancelled
		if ended || !cur.ExpiresAt.After(now) {
			s.endAtOperator(ctx, conn, pay, cur)
		}
		if !ended && !cur.ExpiresAt.After(now) {
			if err := s.expireUnpaid(ctx, cur); ignoreState(err) != nil {
				return 0, err
			}
		}
	}
	return s.pollOrGiveUp(since, cur), nil
}

// apply settles cur from an operator's status answer res, learning the
// payment id if the session lacked it. A session that moved on meanwhile is
// no error; the session is returned as settle left it (zero when unchanged).
func (s *Service) apply(ctx context.Context, cur Session, res connector.Result) (Session, error) {
	if err := s.learnStart(ctx, cur, connector.Started{Ref: res.Ref}); err != nil {
		return Session{}, err
	}
	res.SessionID = cur.ID
	out, err := s.settle(ctx, cur.Scope, cur.ID, res)
	return out, ignoreState(err)
}

// endAtOperator asks an operator that can (connector.Expirer) to end a
// payment the customer has not made, so that a session that expires or was
// cancelled cannot be paid afterwards. A failure is logged: the payment is
// still followed, and a late success still completes the session.
func (s *Service) endAtOperator(ctx context.Context, conn connector.Connector, pay connector.Payment, cur Session) {
	ex, ok := conn.(connector.Expirer)
	if !ok || cur.ConnectorRef == "" {
		return
	}
	if err := ex.Expire(ctx, pay, cur.ConnectorRef); err != nil && !errors.Is(err, connector.ErrNoPayment) {
		s.Log.Warn("operator did not end an unpaid payment", "session", cur.ID, "error", err)
	}
}

// expireUnpaid expires a pending session the operator has not been paid for.
func (s *Service) expireUnpaid(ctx context.Context, cur Session) error {
	_, err := s.walk(ctx, cur.Scope, cur.ID, take(Expire), change{}, nil)
	return err
}

// poll is the wait before the next status query of a payment that started at
// since: as long as it has lasted, within [MinPoll, MaxPoll], and no later than
// a pending session's deadline.
func (s *Service) poll(since time.Time, cur Session) time.Duration {
	now := s.now()
	wait := min(max(now.Sub(since), MinPoll), MaxPoll)
	if left := cur.ExpiresAt.Sub(now); cur.Status == StatusPending && left > 0 && left < wait {
		wait = left
	}
	return wait
}

// pollOrGiveUp is poll, or 0 once the horizon has passed: the payment is
// then left to reconciliation, and logged as such.
func (s *Service) pollOrGiveUp(since time.Time, cur Session) time.Duration {
	if s.now().After(cur.ExpiresAt.Add(PollHorizon)) {
		s.Log.Error("operator never gave a definitive answer; the payment needs reconciliation",
			"session", cur.ID, "status", cur.Status, "ref", cur.ConnectorRef)
		return 0
	}
	return s.poll(since, cur)
}

// ignoreState drops a StateError: the session moved on meanwhile.
func ignoreState(err error) error {
	var se *StateError
	if errors.As(err, &se) {
		return nil
	}
	return err
}

// Refresh asks the operator where a session's payment stands and applies
// the answer now, rather than at the payment job's next step: a customer
// back from a redirect flow's operator page sees the operator's word, never
// what the return URL says. A session with no payment at an operator, or
// whose payment has ended, is returned as it is.
func (s *Service) Refresh(ctx context.Context, cur Session) (Session, error) {
	if cur.Attempt == "" || (cur.Status != StatusPending && cur.Status != StatusProcessing) {
		return cur, nil
	}
	if _, err := s.Drive(ctx, PaymentArgs{MerchantID: cur.MerchantID, SessionID: cur.ID, Test: !cur.Livemode}, cur.UpdatedAt); err != nil {
		return cur, err
	}
	return s.current(s.Store.SessionGet(ctx, cur.Scope, cur.ID))
}
