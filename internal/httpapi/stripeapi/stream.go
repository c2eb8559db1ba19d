package stripeapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/caisse/caisse/internal/httpapi"
	"github.com/caisse/caisse/internal/notify"
	"github.com/caisse/caisse/internal/store"
)

// Event streams (GET /v1/events/stream, docs/webhooks.md): what bounds them.
const (
	// StreamHeartbeat is how often an idle stream sends a comment line, so
	// that proxies and the client see it alive.
	StreamHeartbeat = 15 * time.Second
	// StreamPoll is how often a stream looks for events besides being woken
	// by this node's changes: events written by another node arrive within it.
	StreamPoll = 2 * time.Second
	// StreamLifetime is how long a stream stays open; the client then
	// reconnects with Last-Event-ID and loses nothing.
	StreamLifetime = 30 * time.Minute
	// streamBatch is how many events a stream reads at once.
	streamBatch = 100
)

// streamEvents sends the principal's events as server-sent events, in the
// order of the transactions that wrote them (store.Store.EventsStreamed),
// each as a webhook endpoint in Stripe's format receives it: "id:" is the
// event id (a reconnecting client sends the last one back as Last-Event-ID
// and the stream resumes after it), "event:" its type, "data:" its JSON.
// Without Last-Event-ID the stream starts where one opened now begins
// (store.Store.EventStreamStart). type or types[] filter the types, as for
// GET /v1/events.
func (a *API) streamEvents(w http.ResponseWriter, r *http.Request) error {
	var f store.EventFilter
	if err := decode(r, false, func(p *params) { _, f = decodeEventList(p) }); err != nil {
		return err
	}
	p := httpapi.Principal(r)
	done, err := a.Notify.OpenStream(p.KeyID)
	if errors.Is(err, notify.ErrTooManyStreams) {
		return &httpapi.Problem{Status: http.StatusTooManyRequests, Type: httpapi.TypeRateLimit, Code: "rate_limit",
			Message: fmt.Sprintf("This key already has %d event streams open; close one first.", notify.MaxStreamsPerKey)}
	}
	defer done()
	ctx, cancel := context.WithTimeout(httpapi.NoDeadline(r), StreamLifetime)
	defer cancel()
	last := r.Header.Get("Last-Event-ID")
	pos, err := a.Notify.StreamStart(ctx, p, last)
	if errors.Is(err, notify.ErrNotFound) {
		return httpapi.Invalid("Last-Event-ID", "resource_missing", "No such event: '%s'", last)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	// The server's read and write timeouts (30 s) would cut the stream: a
	// stream has no read deadline (the request is read) and a write deadline
	// that each write extends.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{}) //nolint:errcheck // not every writer has deadlines
	send := func(text string) error {
		rc.SetWriteDeadline(time.Now().Add(2 * StreamHeartbeat)) //nolint:errcheck // not every writer has deadlines
		if _, err := fmt.Fprint(w, text); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := send(": caisse event stream\n\n"); err != nil {
		return nil // the client went away
	}
	heartbeat := time.NewTicker(StreamHeartbeat)
	defer heartbeat.Stop()
	for {
		wake := a.Notify.Wait(p.Scope())
		events, next, err := a.Notify.EventsAfter(ctx, p, f, pos, streamBatch)
		for _, e := range events {
			var body []byte
			if body, err = a.Notify.Payload(notify.FormatStripe, e, notify.DefaultAPIVersion); err != nil {
				break
			}
			if err := send(fmt.Sprintf("id: %s\nevent: %s\ndata: %s\n\n", e.ID, e.Type, body)); err != nil {
				return nil // the client went away
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				a.Log.Warn("event stream", "request_id", httpapi.RequestID(r.Context()), "error", err)
			}
			return nil // the answer has begun: the client reconnects and resumes
		}
		pos = next
		if len(events) == streamBatch {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-time.After(StreamPoll):
		case <-heartbeat.C:
			if err := send(": ping\n\n"); err != nil {
				return nil
			}
		}
	}
}
