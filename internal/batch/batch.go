// Package batch gathers the work of concurrent callers into batches that
// one goroutine does one after the other: while a batch is being done, the
// next gathers. It is group commit — one commit for the writes of many
// requests — for callers that each need their own outcome. It imports
// nothing of caisse's.
package batch

import "sync"

// Group hands the items submitted to it to Do, at most Max at a time, one
// batch after the other. Do returns one error per item, in order.
type Group[T any] struct {
	Max int
	Do  func(items []T) []error

	mu      sync.Mutex
	pending []entry[T]
	running bool // a goroutine is doing batches
}

type entry[T any] struct {
	item T
	done chan error
}

// Submit queues item for the next batch and returns the channel its error
// (nil when it was done) arrives on, once its batch is done.
func (g *Group[T]) Submit(item T) <-chan error {
	e := entry[T]{item, make(chan error, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, e)
	start := !g.running
	g.running = true
	g.mu.Unlock()
	if start {
		go g.drain()
	}
	return e.done
}

// State reports how many items wait for a batch, and whether a batch is
// being done (or about to be: an item was just submitted).
func (g *Group[T]) State() (waiting int, busy bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.pending), g.running
}

// drain does batches until none is waiting.
func (g *Group[T]) drain() {
	for {
		g.mu.Lock()
		n := min(len(g.pending), max(g.Max, 1))
		if n == 0 {
			g.pending, g.running = nil, false
			g.mu.Unlock()
			return
		}
		batch := g.pending[:n:n]
		g.pending = g.pending[n:]
		g.mu.Unlock()
		items := make([]T, n)
		for i, e := range batch {
			items[i] = e.item
		}
		errs := g.Do(items)
		for i, e := range batch {
			e.done <- errs[i]
		}
	}
}
