package httpapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/caisse/caisse/internal/merchant"
)

// Principal returns the principal Auth put in the request; only call it behind Auth.
func Principal(r *http.Request) merchant.Principal {
	if p := stateFrom(r.Context()).principal; p != nil {
		return *p
	}
	return merchant.Principal{}
}

// secretKey extracts the key from "Bearer KEY" or "Basic base64(KEY:)".
func secretKey(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, rest, _ := strings.Cut(h, " ")
	switch strings.ToLower(scheme) {
	case "bearer":
		return strings.TrimSpace(rest), true
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
		if err != nil {
			return "", false
		}
		user, _, _ := strings.Cut(string(raw), ":")
		return user, true
	}
	return "", false
}

// Auth authenticates requests by secret key and applies the per-key rate
// limit, and, per client address, a limit on requests that fail to
// authenticate. It runs before the body is read: a request without a valid key
// costs one key look-up and no more.
type Auth struct {
	Merchants *merchant.Service
	Limiter   *Limiter // per API key
	Failures  *Limiter // per client address, taken by each request that fails to authenticate
	Proxies   []netip.Prefix
	Log       *slog.Logger
}

// Wrap refuses requests without a valid key (401), over the key's rate, or
// from an address whose failures exhausted its allowance (429), and puts the
// principal in the request context.
func (a *Auth) Wrap(render Renderer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="caisse"`)
		client := ClientAddr(r, a.Proxies).String()
		if !a.Failures.Has(client) {
			w.Header().Set("Retry-After", "1")
			render(w, r, ErrRateLimited)
			return
		}
		key, ok := secretKey(r)
		if !ok || key == "" {
			a.Failures.Allow(client)
			render(w, r, &Problem{Status: http.StatusUnauthorized, Type: TypeInvalidRequest, Code: "unauthorized",
				Message: "You did not provide an API key. Send it as 'Authorization: Bearer sk_…' (or as the Basic auth user name)."})
			return
		}
		p, err := a.Merchants.Authenticate(r.Context(), key)
		if errors.Is(err, merchant.ErrUnauthorized) {
			a.Failures.Allow(client)
			render(w, r, &Problem{Status: http.StatusUnauthorized, Type: TypeInvalidRequest, Code: "unauthorized",
				Message: fmt.Sprintf("Invalid API Key provided: ****%s", merchant.Last4(key))})
			return
		}
		if err != nil {
			a.Log.Error("authenticate", "request_id", RequestID(r.Context()), "error", err)
			render(w, r, Internal(err))
			return
		}
		if !a.Limiter.Allow(p.KeyID) {
			w.Header().Set("Retry-After", "1")
			render(w, r, ErrRateLimited)
			return
		}
		st := stateFrom(r.Context())
		st.principal = &p
		w.Header().Del("WWW-Authenticate")
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), stateKey, st)))
	})
}

// ClientAddr is the address of the client that made r: the connection's
// peer, or, when the peer is a trusted proxy, the last address in
// X-Forwarded-For that is not a trusted proxy itself.
func ClientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	addr := ap.Addr().Unmap()
	isTrusted := func(a netip.Addr) bool {
		return slices.ContainsFunc(trusted, func(p netip.Prefix) bool { return p.Contains(a) })
	}
	if !isTrusted(addr) {
		return addr
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return addr // a malformed chain: trust no more of it
		}
		if addr = hop.Unmap(); !isTrusted(addr) {
			return addr
		}
	}
	return addr
}

// Limiter is a token bucket per key (an API key, a client address). Its
// memory is bounded: a bucket that has refilled holds no state, so buckets
// idle for long enough are forgotten, and at most MaxBuckets are kept.
type Limiter struct {
	rate  rate.Limit
	burst int
	mu    sync.Mutex
	keys  map[string]*rate.Limiter
	swept time.Time
	now   func() time.Time
}

// MaxBuckets bounds the buckets a Limiter keeps; past it, a new key waits for
// the next sweep (it is refused: better than growing without bound).
const MaxBuckets = 100_000

// sweepEvery is how often a Limiter forgets its full buckets.
const sweepEvery = 10 * time.Second

// NewLimiter allows perSecond requests per key with bursts of twice that; 0 disables limiting.
func NewLimiter(perSecond float64) *Limiter {
	return &Limiter{rate: rate.Limit(perSecond), burst: max(1, int(2*perSecond)), keys: map[string]*rate.Limiter{}, now: time.Now}
}

// Allow takes one token from the key's bucket.
func (l *Limiter) Allow(key string) bool {
	if l == nil || l.rate <= 0 {
		return true
	}
	b := l.bucket(key)
	return b != nil && b.AllowN(l.now(), 1)
}

// Has reports whether the key's bucket holds a token, without taking it.
func (l *Limiter) Has(key string) bool {
	if l == nil || l.rate <= 0 {
		return true
	}
	b := l.bucket(key)
	return b != nil && b.TokensAt(l.now()) >= 1
}

// bucket returns the key's bucket, making it if there is room, after
// forgetting the full ones if a sweep is due.
func (l *Limiter) bucket(key string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.swept) >= sweepEvery || len(l.keys) >= MaxBuckets {
		l.swept = now
		for k, b := range l.keys {
			if b.TokensAt(now) >= float64(l.burst) {
				delete(l.keys, k) // full again: a new bucket would be the same
			}
		}
	}
	b, ok := l.keys[key]
	if !ok && len(l.keys) < MaxBuckets {
		b = rate.NewLimiter(l.rate, l.burst)
		l.keys[key] = b
	}
	return b
}
