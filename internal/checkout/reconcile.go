package checkout

import (
	"context"
	"errors"
	"time"

	"github.com/caisse/caisse/internal/connector"
)

// ReconcileArgs is the periodic job that reconciles every merchant's
// payments of the last ReconcileWindow.
type ReconcileArgs struct{}

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
// events. It returns every session it looked at; report, when set, sees each
// as it goes.
func (s *Service) Reconcile(ctx context.Context, merchantID string, since time.Time, report func(Finding)) ([]Finding, error) {
	var out []Finding
	var after int64
	for {
		page, err := s.Store.SessionsToReconcile(ctx, merchantID, since, after, reconcileBatch)
		if err != nil {
			return out, err
		}
		for _, cur := range page {
			after = cur.Seq
			f, ok := s.reconcileOne(ctx, cur)
			if !ok {
				continue
			}
			if report != nil {
				report(f)
			}
			out = append(out, f)
		}
		if len(page) < reconcileBatch {
			return out, nil
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
