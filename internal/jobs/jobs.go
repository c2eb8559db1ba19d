// Package jobs holds caisse's River workers and periodic jobs. Workers are
// idempotent: River delivers a job at least once. It imports domain packages,
// never an HTTP or engine package.
package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/caisse/caisse/internal/idempotency"
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

// Deps is what the workers need.
type Deps struct {
	Keeper *idempotency.Keeper
	Log    *slog.Logger
}

// Workers registers every worker.
func Workers(d Deps) *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, &PurgeIdempotencyWorker{Keeper: d.Keeper, Log: d.Log})
	return w
}

// Periodic lists the periodic jobs the elected leader schedules.
func Periodic() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return PurgeIdempotencyArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
	}
}
