package httpapi

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
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
// the key gets rules.MismatchStatus. The claim of the key, the request and
// the storing of its response are one transaction (see serve): a concurrent
// request with the key waits for it, then replays its response. A claim left
// by an earlier version's separate commit is still honoured: 409 while it is
// young, taken over once it is old.
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
		ctx := r.Context()
		outcome, rec, held, err := m.serve(r, key, next)
		switch {
		case errors.Is(err, store.ErrStale): // taken over by an identical request
			render(w, r, errInUse)
		case err != nil:
			m.Log.Error("idempotency", "request_id", RequestID(ctx), "error", err)
			render(w, r, Internal(err))
		case outcome == idempotency.Proceed:
			held.send(w)
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
		}
	})
}

// errDiscard rolls back a request whose response is not stored.
var errDiscard = errors.New("httpapi: response not stored")

// serve runs a request under its key in one transaction that also stores its
// response under the key: the effect and the record commit together (one
// commit), or neither does, and the response is held until then. A response
// that is not stored (400, 5xx) rolls everything back, which leaves the key
// free for a corrected retry.
//
// A key is usually new: the request first runs without looking at it, and
// its finished record is inserted last (Keeper.Put). Only when that insert
// finds the key held is the attempt rolled back and the key looked at first
// (claimed, Keeper.Begin): then the request runs only if it owns the key, and
// otherwise nothing is written and the outcome says why (a replay, a
// mismatch, a claim an earlier version left).
func (m *Idempotency) serve(r *http.Request, key string, next http.Handler) (idempotency.Outcome, store.IdempotencyRecord, *heldResponse, error) {
	ctx, scope := r.Context(), Principal(r).Scope()
	hash := idempotency.Hash(r.Method, r.URL.Path, r.Header.Get("Content-Type"), Body(r))
	held := &heldResponse{header: http.Header{}}
	err := m.Keeper.Store.InTx(ctx, func(tx store.Tx) error {
		ctx := store.WithTx(ctx, tx)
		next.ServeHTTP(held, r.WithContext(ctx))
		if held.status == http.StatusBadRequest || held.status >= 500 {
			return errDiscard
		}
		return m.Keeper.Put(ctx, tx, scope, key, hash, held.status, held.body.Bytes())
	})
	switch {
	case err == nil, errors.Is(err, errDiscard):
		return idempotency.Proceed, store.IdempotencyRecord{}, held, nil
	case !errors.Is(err, store.ErrConflict):
		return 0, store.IdempotencyRecord{}, held, err
	}
	held = &heldResponse{header: http.Header{}}
	var outcome idempotency.Outcome
	var rec store.IdempotencyRecord
	err = m.Keeper.Store.InTx(ctx, func(tx store.Tx) error {
		ctx := store.WithTx(ctx, tx)
		var err error
		if outcome, rec, err = m.Keeper.Begin(ctx, scope, key, hash); err != nil {
			return err
		}
		if outcome != idempotency.Proceed {
			return errDiscard // nothing was written: a replay, a mismatch, a claim held
		}
		next.ServeHTTP(held, r.WithContext(ctx))
		if held.status == http.StatusBadRequest || held.status >= 500 {
			return errDiscard
		}
		return m.Keeper.Finish(ctx, tx, rec, held.status, held.body.Bytes())
	})
	if errors.Is(err, errDiscard) {
		err = nil
	}
	return outcome, rec, held, err
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
