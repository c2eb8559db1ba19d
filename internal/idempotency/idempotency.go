// Package idempotency holds the rules of idempotent requests (Stripe's
// semantics): a key is bound to the hash of its first request; the first
// response is stored and replayed; a different request under the same key is a
// mismatch; a second request while the first runs is refused. It imports store only.
package idempotency

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"mime"
	"net/url"
	"time"

	"github.com/caisse/caisse/internal/seal"
	"github.com/caisse/caisse/internal/store"
)

// Outcome is what a request carrying a key must do.
type Outcome int

// The outcomes of Begin.
const (
	Proceed  Outcome = iota // the request owns the key: run it, then Finish or Release
	Replay                  // an identical request finished: send its stored response
	Mismatch                // the key was used for a different request
	InFlight                // the first request with this key is still running
)

// Retention is how long keys are kept at least; DefaultTakeover is how long
// a request may hold a key before another identical request may take it over
// (its owner is presumed dead).
const (
	Retention       = 24 * time.Hour
	DefaultTakeover = 5 * time.Minute
)

// Keeper applies the rules over a store.
type Keeper struct {
	Store store.Store
	Now   func() time.Time
	// Takeover is how long a claimed key that was never finished stays
	// locked; 0 means DefaultTakeover.
	Takeover time.Duration
	// Box seals stored responses (an endpoint's creation holds its secret);
	// nil stores them clear.
	Box *seal.Box
}

// Hash identifies a request: its method, path and decoded parameters. A JSON
// body is hashed in canonical form and a form body with its fields sorted, so
// spacing, key order and field order do not make it another request.
func Hash(method, path, contentType string, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(method + " " + path + "\n"))
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "application/x-www-form-urlencoded" {
		h.Write(canonicalForm(body))
	} else {
		h.Write(canonicalJSON(body))
	}
	return h.Sum(nil)
}

// canonicalForm re-encodes a form body with its keys sorted (the values of a
// repeated key keep their order); a body that does not parse is returned as
// it is.
func canonicalForm(body []byte) []byte {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return body
	}
	return []byte(v.Encode())
}

// canonicalJSON re-encodes a JSON body with sorted keys and no spacing, numbers
// kept as written; anything else is returned as it is.
func canonicalJSON(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return body
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}

// Begin claims key for the request with hash, or says why it cannot run.
func (k *Keeper) Begin(ctx context.Context, scope store.Scope, key string, hash []byte) (Outcome, store.IdempotencyRecord, error) {
	now := k.Now().UTC().Truncate(time.Microsecond)
	rec := store.IdempotencyRecord{Scope: scope, Key: key, RequestHash: hash, CreatedAt: now, LockedAt: now}
	got, owned, err := k.Store.IdempotencyBegin(ctx, rec, now.Add(-cmp.Or(k.Takeover, DefaultTakeover)))
	switch {
	case err != nil:
		return 0, got, err
	case owned:
		return Proceed, got, nil
	case string(got.RequestHash) != string(hash):
		return Mismatch, got, nil
	case !got.Done:
		return InFlight, got, nil
	}
	if k.Box != nil {
		if got.Body, err = k.Box.Open(string(got.Body)); err != nil {
			return 0, got, err
		}
	}
	return Replay, got, nil
}

// Put stores, in tx, the finished record of a request that ran without
// claiming its key first; store.ErrConflict, writing nothing, when the key is
// held (a finished request, a concurrent one, another request): then the
// request's effect must be rolled back and the key looked at (Begin).
func (k *Keeper) Put(ctx context.Context, tx store.Tx, scope store.Scope, key string, hash []byte, status int, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	if k.Box != nil {
		body = []byte(k.Box.Seal(body))
	}
	now := k.Now().UTC().Truncate(time.Microsecond)
	return tx.IdempotencyPut(ctx, store.IdempotencyRecord{Scope: scope, Key: key, RequestHash: hash, Done: true,
		StatusCode: status, Body: body, CreatedAt: now, LockedAt: now})
}

// Finish stores the response of the request that owns the key, as rec (the
// record Begin returned) claimed it, in tx: the record commits with the
// request's effect or not at all. It is store.ErrStale when another request
// took the key over meanwhile.
func (k *Keeper) Finish(ctx context.Context, tx store.Tx, rec store.IdempotencyRecord, status int, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	if k.Box != nil {
		body = []byte(k.Box.Seal(body))
	}
	rec.StatusCode, rec.Body = status, body
	return tx.IdempotencyFinish(ctx, rec)
}

// Purge deletes keys older than Retention plus an hour of margin.
func (k *Keeper) Purge(ctx context.Context) (int64, error) {
	return k.Store.IdempotencyPurge(ctx, k.Now().Add(-Retention-time.Hour))
}
