package notify

import (
	"context"
	"sync"

	"github.com/caisse/caisse/internal/batch"
	"github.com/caisse/caisse/internal/store"
)

// attemptLog records delivery attempts, those of deliveries that finish
// together in one statement (a group commit): a delivery waits for the
// commit that holds its attempt, and the attempts that come while one
// commits go in the next. Each delivery still returns, and so has its job
// marked done, only once its attempt is committed. One commit for many
// attempts matters most on SQLite, whose one writer syncs each commit to
// disk; on PostgreSQL it saves a statement and a commit per delivery (a
// transaction of one INSERT per attempt, one after the other, was slower
// there than each delivery's own commit).
type attemptLog struct {
	once sync.Once
	g    batch.Group[store.Attempt]
}

// maxAttemptBatch bounds how many attempts one statement records.
const maxAttemptBatch = 200

// record writes a with st and returns once it is committed, or once ctx ends
// (the attempt may then still be recorded).
func (l *attemptLog) record(ctx context.Context, st store.Store, a store.Attempt) error {
	l.once.Do(func() {
		l.g.Max = maxAttemptBatch
		l.g.Do = func(attempts []store.Attempt) []error {
			// The attempts' own deliveries may give up waiting; their records are still written.
			return commit(context.Background(), st, attempts)
		}
	})
	select {
	case err := <-l.g.Submit(a):
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// commit records attempts in one statement and returns each one's outcome.
// If the statement fails, each is written alone, so that one attempt the
// database refuses does not fail the others.
func commit(ctx context.Context, st store.Store, attempts []store.Attempt) []error {
	errs := make([]error, len(attempts))
	err := st.AttemptCreate(ctx, attempts...)
	for i, a := range attempts {
		errs[i] = err
		if err != nil && len(attempts) > 1 {
			errs[i] = st.AttemptCreate(ctx, a)
		}
	}
	return errs
}
