package checkout

import (
	"context"
	"errors"
	"time"

	"github.com/caisse/caisse/internal/connector"
)

// ReconcileArgs is the periodic job that reconciles every merchant's
// payments of the last ReconcileWindow. A run that has more to do than one
// job's time queues the rest as another job, from After with the same Since.
type ReconcileArgs struct {
	Since time.Time `json:"since,omitzero"` // zero: ReconcileWindow before the job runs
	After int64     `json:"after,omitempty"`
}

// Kind names the job in River's tables.
func (ReconcileArgs) Kind() string { return "reconcile_payments" }

// ReconcileWindow is how far back the periodic reconciliation looks for
// payments that ended: a day, and an hour more to overlap the previous run.
const ReconcileWindow = 25 * time.Hour

// Finding is what reconciliation learned of one session.
type Finding struct {
	SessionID string
	Livemode  bool
	Was       Status // the session's status before
	Operator  string // what the operator says: a connector status, "none" (no such payment) or "" (no answer)
	Now       Status // the session's status after
	Fixed     bool   // the session was moved to agree with the operator (with its events)
	Err       error  // the operator could not be asked, or the fix failed
}

// Disagrees reports whether the session and the operator disagreed.
func (f Finding) Disagrees() bool { return f.Fixed || f.Was != f.Now }

// Reconcile asks the operators where the payments of a merchant (every
// merchant when merchantID is empty) stand: every session sent to an
// operator that is pending or processing, or that changed since since. A
// session the operator contradicts is fixed as Drive would fix it (a success
// completes it, whatever its status; a failure fails an open one), with its
// events. Report sees each session looked at. Sessions are taken in the order
// they were created, after the one of seq after; more is asked before each,
// and a false stops the run early. Reconcile returns the seq to continue
// after and whether every session was seen.
func (s *Service) Reconcile(ctx context.Context, merchantID string, since time.Time, after int64, more func() bool, report func(Finding)) (int64, bool, error) {
	for {
		page, err := s.Store.SessionsToReconcile(ctx, merchantID, since, after, reconcileBatch)
		if err != nil {
			return after, false, err
		}
		for _, cur := range page {
			if !more() {
				return after, false, nil
			}
			after = cur.Seq
			if f, ok := s.reconcileOne(ctx, cur); ok {
				report(f)
			}
		}
		if len(page) < reconcileBatch {
			return after, true, nil
		}
	}
}

const reconcileBatch = 200

// reconcileOne asks the operator about one session; ok is false for a
// session paid by the built-in test connector, which has no operator.
func (s *Service) reconcileOne(ctx context.Context, cur Session) (Finding, bool) {
	f := Finding{SessionID: cur.ID, Livemode: cur.Livemode, Was: cur.Status, Now: cur.Status}
	conn, err := s.connectorFor(ctx, cur.Scope, cur.Channel)
	if err != nil {
		f.Err = err
		return f, true
	}
	if _, builtin := conn.(connector.Test); builtin {
		return f, false
	}
	res, err := conn.Status(ctx, s.paymentOf(cur, conn), cur.ConnectorRef)
	switch {
	case errors.Is(err, connector.ErrNoPayment):
		f.Operator = "none"
		return f, true
	case err != nil:
		f.Err = err
		return f, true
	}
	f.Operator = res.Status
	after, err := s.apply(ctx, cur, res)
	if err != nil {
		f.Err = err
		return f, true
	}
	if after.ID != "" && after.Status != cur.Status {
		f.Now, f.Fixed = after.Status, true
		s.Log.Warn("reconciliation fixed a session the operator contradicted", "session", cur.ID,
			"was", cur.Status, "operator", res.Status, "now", after.Status)
	}
	return f, true
}
