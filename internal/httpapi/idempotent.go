package httpapi

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/idempotency"
	"github.com/caisse/caisse/internal/store"
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
// the key gets rules.MismatchStatus and a concurrent one 409. The request
// runs in one transaction with the storing of its response (see serveOwned).
// As at Stripe, a request refused by validation (400) or by a server error
// (5xx) stores nothing: the key stays free for a corrected retry. It must run
// behind ReadBody and Auth.
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
		outcome, rec, err := m.Keeper.Begin(ctx, scope, key, idempotency.Hash(r.Method, r.URL.Path, r.Header.Get("Content-Type"), Body(r)))
		switch {
		case err != nil:
			m.Log.Error("idempotency begin", "request_id", RequestID(ctx), "error", err)
			render(w, r, Internal(err))
		case outcome == idempotency.Replay:
			w.Header().Set("Idempotent-Replayed", "true")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rec.StatusCode)
			w.Write(rec.Body) //nolint:errcheck // the client went away
		case outcome == idempotency.Mismatch:
			render(w, r, &Problem{Status: rules.MismatchStatus, Type: TypeIdempotency, Code: "idempotency_key_reused",
				Message: fmt.Sprintf("Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '%s' if you meant to execute a different request.", key)})
		case outcome == idempotency.InFlight:
			render(w, r, errInUse)
		default:
			m.serveOwned(w, r, render, rec, next)
		}
	})
}

// releaseTimeout bounds the freeing of a key after its request failed.
const releaseTimeout = 5 * time.Second

// errDiscard rolls back a request whose response is not stored.
var errDiscard = errors.New("httpapi: response not stored")

// serveOwned runs a request that owns its key in one transaction that also
// stores its response under the key: the effect and the record commit
// together, or neither does. The response is held until the commit; a
// response that is not stored (400, 5xx) rolls the effect back and frees the key.
func (m *Idempotency) serveOwned(w http.ResponseWriter, r *http.Request, render Renderer, rec store.IdempotencyRecord, next http.Handler) {
	ctx := r.Context()
	held := &heldResponse{header: http.Header{}}
	release := true
	defer func() { // also on a panic, which Observe turns into a 500
		if !release {
			return
		}
		// Without the request's cancellation (the client may have left, the
		// deadline passed), but bounded: the database may be what was slow.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if err := m.Keeper.Release(ctx, rec); err != nil {
			m.Log.Error("idempotency release", "request_id", RequestID(ctx), "error", err)
		}
	}()
	err := m.Keeper.Store.InTx(ctx, func(tx store.Tx) error {
		next.ServeHTTP(held, r.WithContext(store.WithTx(ctx, tx)))
		if held.status == http.StatusBadRequest || held.status >= 500 {
			return errDiscard
		}
		return m.Keeper.Finish(ctx, tx, rec, held.status, held.body.Bytes())
	})
	switch {
	case err == nil:
		release = false
		held.send(w)
	case errors.Is(err, errDiscard):
		held.send(w)
	case errors.Is(err, store.ErrStale): // taken over by an identical request
		release = false
		render(w, r, errInUse)
	default:
		m.Log.Error("idempotency commit", "request_id", RequestID(ctx), "error", err)
		render(w, r, Internal(err))
	}
}

// errInUse is a request whose key another identical request holds.
var errInUse = &Problem{Status: http.StatusConflict, Type: TypeIdempotency, Code: "idempotency_key_in_use",
	Message: "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through). Please try again later."}

// heldResponse is a response kept in memory until its transaction commits.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldResponse) Header() http.Header { return h.header }

func (h *heldResponse) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}

func (h *heldResponse) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return h.body.Write(b)
}

// send writes the held response to w.
func (h *heldResponse) send(w http.ResponseWriter) {
	maps.Copy(w.Header(), h.header)
	w.WriteHeader(cmp.Or(h.status, http.StatusOK))
	w.Write(h.body.Bytes()) //nolint:errcheck // the client went away
}
