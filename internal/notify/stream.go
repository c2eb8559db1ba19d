package notify

import (
	"context"
	"errors"
	"sync"

	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/store"
)

// hub tells this node's event streams (GET /v1/events/stream) that a scope
// may have new events. The zero hub is ready to use.
type hub struct {
	mu    sync.Mutex
	waits map[store.Scope]chan struct{}
}

// Wait returns a channel closed at the scope's next Wake. Take it before
// reading the events, so that a Wake between the read and the wait is not lost.
func (s *Service) Wait(scope store.Scope) <-chan struct{} {
	h := &s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.waits[scope]
	if !ok {
		if h.waits == nil {
			h.waits = map[store.Scope]chan struct{}{}
		}
		c = make(chan struct{})
		h.waits[scope] = c
	}
	return c
}

// Wake wakes this node's streams waiting on the scope: checkout.Service.Changed
// calls it once a change's transaction has committed. Events written by
// another node reach a stream through its fall-back poll instead.
func (s *Service) Wake(scope store.Scope) {
	h := &s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if c, ok := h.waits[scope]; ok {
		close(c)
		delete(h.waits, scope)
	}
}

// StreamStart is where a stream begins: after the event lastEventID names
// (a resumed stream), else where a stream opened now begins
// (store.Store.EventStreamStart: it sends what is committed from now on).
// An id that is not one of the principal's events is ErrNotFound.
func (s *Service) StreamStart(ctx context.Context, p merchant.Principal, lastEventID string) (store.StreamPos, error) {
	if lastEventID != "" {
		e, err := s.EventGet(ctx, p, lastEventID)
		return e.Pos(), err
	}
	return s.Store.EventStreamStart(ctx)
}

// EventsAfter returns up to limit of the principal's events matching f that
// come after pos in stream order (store.Store.EventsStreamed), and the
// position after the last of them.
func (s *Service) EventsAfter(ctx context.Context, p merchant.Principal, f store.EventFilter, pos store.StreamPos, limit int) ([]store.Event, store.StreamPos, error) {
	f.Limit = limit
	list, err := s.Store.EventsStreamed(ctx, p.Scope(), f, pos)
	if err != nil {
		return nil, pos, err
	}
	if n := len(list); n > 0 {
		pos = pos.Past(list[n-1])
	}
	return list, pos, nil
}

// ErrTooManyStreams means a key already has MaxStreamsPerKey streams open.
var ErrTooManyStreams = errors.New("notify: too many event streams open for this key")

// MaxStreamsPerKey bounds the event streams one API key may hold open on a node.
const MaxStreamsPerKey = 5

// streams counts the event streams open per API key. The zero value is ready to use.
type streams struct {
	mu   sync.Mutex
	open map[string]int
}

// OpenStream takes one of the key's MaxStreamsPerKey slots on this node, or
// fails with ErrTooManyStreams; the function it returns gives the slot back.
func (s *Service) OpenStream(keyID string) (func(), error) {
	st := &s.streams
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.open[keyID] >= MaxStreamsPerKey {
		return nil, ErrTooManyStreams
	}
	if st.open == nil {
		st.open = map[string]int{}
	}
	st.open[keyID]++
	return func() {
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.open[keyID]--; st.open[keyID] == 0 {
			delete(st.open, keyID)
		}
	}, nil
}
