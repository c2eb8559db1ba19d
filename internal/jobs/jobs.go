// Package jobs holds caisse's River workers and periodic jobs. Workers are
// idempotent: River delivers a job at least once. It imports domain packages,
// never an HTTP or engine package.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/connector"
	"github.com/caisse/caisse/internal/idempotency"
	"github.com/caisse/caisse/internal/notify"
	"github.com/caisse/caisse/internal/store"
)

// PurgeIdempotencyArgs asks for expired idempotency keys to be deleted.
type PurgeIdempotencyArgs struct{}

// Kind names the job in River's tables.
func (PurgeIdempotencyArgs) Kind() string { return "purge_idempotency_keys" }

// PurgeIdempotencyWorker deletes idempotency keys past their retention.
type PurgeIdempotencyWorker struct {
	river.WorkerDefaults[PurgeIdempotencyArgs]
	Keeper *idempotency.Keeper
	Log    *slog.Logger
}

// Work deletes the keys; running it twice is harmless.
func (w *PurgeIdempotencyWorker) Work(ctx context.Context, _ *river.Job[PurgeIdempotencyArgs]) error {
	n, err := w.Keeper.Purge(ctx)
	if err == nil && n > 0 {
		w.Log.Info("purged idempotency keys", "count", n)
	}
	return err
}

// ExpireWorker expires a session at its deadline. The node sweeps usually get
// there first; then it finds nothing to do.
type ExpireWorker struct {
	river.WorkerDefaults[checkout.ExpireArgs]
	Checkout *checkout.Service
}

// Work expires the session if it is still open and overdue.
func (w *ExpireWorker) Work(ctx context.Context, job *river.Job[checkout.ExpireArgs]) error {
	a := job.Args
	_, err := w.Checkout.ExpireDue(ctx, store.Scope{MerchantID: a.MerchantID, Livemode: a.Livemode}, a.SessionID)
	var se *checkout.StateError
	if errors.Is(err, checkout.ErrNotFound) || errors.As(err, &se) {
		return nil
	}
	return err
}

// TestOutcomeWorker plays the test connector's operator.
type TestOutcomeWorker struct {
	river.WorkerDefaults[checkout.TestOutcomeArgs]
	Checkout *checkout.Service
}

// Work answers the pending payment as its phone number's scenario says.
func (w *TestOutcomeWorker) Work(ctx context.Context, job *river.Job[checkout.TestOutcomeArgs]) error {
	return w.Checkout.PlayTestOutcome(ctx, job.Args)
}

// PaymentWorker carries a live payment to the operator's definitive answer,
// snoozing between steps.
type PaymentWorker struct {
	river.WorkerDefaults[checkout.PaymentArgs]
	Checkout *checkout.Service
	// OperatorTimeout bounds each operator call; 0 means connector.DefaultTimeout.
	OperatorTimeout time.Duration
}

// Work takes one step (checkout.Service.Drive) and snoozes until the next.
func (w *PaymentWorker) Work(ctx context.Context, job *river.Job[checkout.PaymentArgs]) error {
	wait, err := w.Checkout.Drive(ctx, job.Args, job.CreatedAt)
	if err != nil || wait == 0 {
		return err
	}
	return river.JobSnooze(wait)
}

// Timeout leaves a step time for two operator calls (a start, then a status query).
func (w *PaymentWorker) Timeout(*river.Job[checkout.PaymentArgs]) time.Duration {
	return 2*cmp.Or(w.OperatorTimeout, connector.DefaultTimeout) + 5*time.Second
}

// ReconcileWorker runs the periodic reconciliation for a few seconds at a
// time (a job that ran longer would be rescued while still running), queuing
// the rest as another job.
type ReconcileWorker struct {
	river.WorkerDefaults[checkout.ReconcileArgs]
	Checkout *checkout.Service
	Log      *slog.Logger
}

// reconcileSlice is how long one reconciliation job starts new status queries.
const reconcileSlice = 5 * time.Second

// Work reconciles from where the run stands, and logs what disagreed.
func (w *ReconcileWorker) Work(ctx context.Context, job *river.Job[checkout.ReconcileArgs]) error {
	a := job.Args
	if a.Since.IsZero() {
		a.Since = time.Now().Add(-checkout.ReconcileWindow)
	}
	start := time.Now()
	var seen, fixed, unanswered int
	last, done, err := w.Checkout.Reconcile(ctx, "", a.Since, a.After, func() bool { return time.Since(start) < reconcileSlice },
		func(f checkout.Finding) {
			seen++
			switch {
			case f.Err != nil:
				unanswered++
			case f.Fixed:
				fixed++
			}
		})
	if seen > 0 {
		w.Log.Info("reconciled payments with their operators", "sessions", seen, "fixed", fixed, "unanswered", unanswered)
	}
	if err != nil || done {
		return err
	}
	_, err = river.ClientFromContext[*sql.Tx](ctx).Insert(ctx, checkout.ReconcileArgs{Since: a.Since, After: last}, nil)
	return err
}

// DeliverWorker sends one event to one webhook endpoint, retried on the
// notify schedule.
type DeliverWorker struct {
	river.WorkerDefaults[notify.DeliverArgs]
	Notify *notify.Service
}

// Work makes one delivery attempt; a dropped delivery or a 410 is not retried.
func (w *DeliverWorker) Work(ctx context.Context, job *river.Job[notify.DeliverArgs]) error {
	err := w.Notify.Deliver(ctx, job.Args, job.ID, job.Attempt)
	if errors.Is(err, notify.ErrGone) || errors.Is(err, notify.ErrDropped) {
		return river.JobCancel(err)
	}
	return err
}

// NextRetry follows the notify retry schedule, except for a delivery rescued
// from a node that died while making it (its attempt outlived its timeout):
// no endpoint asked for that wait, so it is retried at once.
func (w *DeliverWorker) NextRetry(job *river.Job[notify.DeliverArgs]) time.Time {
	if job.AttemptedAt != nil && time.Since(*job.AttemptedAt) > w.Timeout(job) {
		return time.Now()
	}
	return time.Now().Add(w.Notify.RetryDelay(job.Attempt))
}

// Timeout leaves the endpoint its full time to answer.
func (w *DeliverWorker) Timeout(*river.Job[notify.DeliverArgs]) time.Duration {
	return notify.Timeout + 2*time.Second
}

// Deps is what the workers need.
type Deps struct {
	Keeper          *idempotency.Keeper
	Checkout        *checkout.Service
	Notify          *notify.Service
	Log             *slog.Logger
	OperatorTimeout time.Duration // of each operator call; 0 means connector.DefaultTimeout
}

// Workers registers every worker.
func Workers(d Deps) *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, &PurgeIdempotencyWorker{Keeper: d.Keeper, Log: d.Log})
	river.AddWorker(w, &ExpireWorker{Checkout: d.Checkout})
	river.AddWorker(w, &TestOutcomeWorker{Checkout: d.Checkout})
	river.AddWorker(w, &PaymentWorker{Checkout: d.Checkout, OperatorTimeout: d.OperatorTimeout})
	river.AddWorker(w, &DeliverWorker{Notify: d.Notify})
	river.AddWorker(w, &ReconcileWorker{Checkout: d.Checkout, Log: d.Log})
	return w
}

// Periodic lists the periodic jobs the elected leader schedules.
func Periodic() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return PurgeIdempotencyArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return checkout.ReconcileArgs{}, nil },
			nil),
	}
}
