package notify

import (
	"context"
	"sync"

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
	mu      sync.Mutex
	queue   []queuedAttempt
	writing bool // a writer goroutine is committing the queue
}

type queuedAttempt struct {
	a    store.Attempt
	done chan error
}

// maxAttemptBatch bounds how many attempts one statement records.
const maxAttemptBatch = 200

// record writes a and returns once it is committed, or once ctx ends (the
// attempt may then still be recorded).
func (l *attemptLog) record(ctx context.Context, st store.Store, a store.Attempt) error {
	done := make(chan error, 1)
	l.mu.Lock()
	l.queue = append(l.queue, queuedAttempt{a, done})
	start := !l.writing
	l.writing = true
	l.mu.Unlock()
	if start {
		go l.write(st)
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// write commits the queue, a batch at a time, until it is empty.
func (l *attemptLog) write(st store.Store) {
	ctx := context.Background() // the attempts' own deliveries may give up waiting; their records are still written
	for {
		l.mu.Lock()
		n := min(len(l.queue), maxAttemptBatch)
		if n == 0 {
			l.queue, l.writing = nil, false
			l.mu.Unlock()
			return
		}
		batch := l.queue[:n:n]
		l.queue = l.queue[n:]
		l.mu.Unlock()
		commit(ctx, st, batch)
	}
}

// commit records a batch of attempts in one statement and tells each its
// outcome. If the statement fails, each is written alone, so that one
// attempt the database refuses does not fail the others.
func commit(ctx context.Context, st store.Store, batch []queuedAttempt) {
	attempts := make([]store.Attempt, len(batch))
	for i, q := range batch {
		attempts[i] = q.a
	}
	err := st.AttemptCreate(ctx, attempts...)
	if err == nil || len(batch) == 1 {
		for _, q := range batch {
			q.done <- err
		}
		return
	}
	for _, q := range batch {
		q.done <- st.AttemptCreate(ctx, q.a)
	}
}
