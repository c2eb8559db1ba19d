package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"unicode/utf8"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/idempotency"
)

// Idempotency makes POST handlers idempotent under the Idempotency-Key header.
type Idempotency struct {
	Keeper *idempotency.Keeper
	Log    *slog.Logger
}

// KeyRules are a dialect's rules for its Idempotency-Key header.
type KeyRules struct {
	Required       bool // a request without the header is refused
	MaxLen         int  // in characters
	MismatchStatus int  // the status of a different request reusing a key
}

// Wrap stores the first response for a key and replays it (with header
// Idempotent-Replayed: true) for the same request; a different request with
// the key gets rules.MismatchStatus and a concurrent one 409. As at Stripe, a
// request refused by validation (400) or by a server error (5xx) stores
// nothing: the key stays free for a corrected retry. It must run behind
// ReadBody and Auth.
func (m *Idempotency) Wrap(render Renderer, rules KeyRules, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		switch {
		case key == "" && rules.Required:
			render(w, r, Invalid("idempotency-key", "parameter_missing", "The idempotency-key header is required."))
			return
		case key == "":
			next.ServeHTTP(w, r)
			return
		case !checkout.Storable(key):
			render(w, r, Invalid("idempotency-key", "parameter_invalid", "The idempotency-key header must be UTF-8 text."))
			return
		case utf8.RuneCountInString(key) > rules.MaxLen:
			render(w, r, Invalid("idempotency-key", "parameter_invalid",
				"The idempotency-key header must be at most %d characters.", rules.MaxLen))
			return
		}
		ctx, scope := r.Context(), Principal(r).Scope()
		outcome, rec, err := m.Keeper.Begin(ctx, scope, key, idempotency.Hash(r.Method, r.URL.Path, Body(r)))
		switch {
		case err != nil:
			m.Log.Error("idempotency begin", "request_id", RequestID(ctx), "error", err)
			render(w, r, ErrInternal)
		case outcome == idempotency.Replay:
			w.Header().Set("Idempotent-Replayed", "true")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rec.StatusCode)
			w.Write(rec.Body) //nolint:errcheck // the client went away
		case outcome == idempotency.Mismatch:
			render(w, r, &Problem{Status: rules.MismatchStatus, Type: TypeIdempotency, Code: "idempotency_key_reused",
				Message: fmt.Sprintf("Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '%s' if you meant to execute a different request.", key)})
		case outcome == idempotency.InFlight:
			render(w, r, &Problem{Status: http.StatusConflict, Type: TypeIdempotency, Code: "idempotency_key_in_use",
				Message: "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through). Please try again later."})
		default:
			m.serveOwned(w, r, key, next)
		}
	})
}

func (m *Idempotency) serveOwned(w http.ResponseWriter, r *http.Request, key string, next http.Handler) {
	scope := Principal(r).Scope()
	sw := &statusWriter{ResponseWriter: w, capture: &bytes.Buffer{}}
	finished := false
	defer func() {
		// Stored without the request's context: the response was sent even if the client left.
		ctx := context.WithoutCancel(r.Context())
		var err error
		if finished && sw.status != http.StatusBadRequest && sw.status < 500 {
			err = m.Keeper.Finish(ctx, scope, key, sw.status, sw.capture.Bytes())
		} else {
			err = m.Keeper.Release(ctx, scope, key)
		}
		if err != nil {
			m.Log.Error("idempotency store", "request_id", RequestID(ctx), "error", err)
		}
	}()
	next.ServeHTTP(sw, r)
	finished = true
}
