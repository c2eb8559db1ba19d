package httpapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

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

// Auth authenticates requests by secret key and applies the per-key rate limit.
type Auth struct {
	Merchants *merchant.Service
	Limiter   *Limiter
	Log       *slog.Logger
}

// Wrap refuses requests without a valid key (401) or over the key's rate (429),
// and puts the principal in the request context.
func (a *Auth) Wrap(render Renderer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="caisse"`)
		key, ok := secretKey(r)
		if !ok || key == "" {
			render(w, r, &Problem{Status: http.StatusUnauthorized, Type: TypeInvalidRequest, Code: "unauthorized",
				Message: "You did not provide an API key. Send it as 'Authorization: Bearer sk_…' (or as the Basic auth user name)."})
			return
		}
		p, err := a.Merchants.Authenticate(r.Context(), key)
		if errors.Is(err, merchant.ErrUnauthorized) {
			render(w, r, &Problem{Status: http.StatusUnauthorized, Type: TypeInvalidRequest, Code: "unauthorized",
				Message: fmt.Sprintf("Invalid API Key provided: ****%s", merchant.Last4(key))})
			return
		}
		if err != nil {
			a.Log.Error("authenticate", "request_id", RequestID(r.Context()), "error", err)
			render(w, r, ErrInternal)
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

// Limiter is a token bucket per API key.
type Limiter struct {
	rate  rate.Limit
	burst int
	mu    sync.Mutex
	keys  map[string]*rate.Limiter
}

// NewLimiter allows perSecond requests per key with bursts of twice that; 0 disables limiting.
func NewLimiter(perSecond float64) *Limiter {
	return &Limiter{rate: rate.Limit(perSecond), burst: max(1, int(2*perSecond)), keys: map[string]*rate.Limiter{}}
}

// Allow takes one token from the key's bucket.
func (l *Limiter) Allow(key string) bool {
	if l == nil || l.rate <= 0 {
		return true
	}
	l.mu.Lock()
	b, ok := l.keys[key]
	if !ok {
		b = rate.NewLimiter(l.rate, l.burst)
		l.keys[key] = b
	}
	l.mu.Unlock()
	return b.Allow()
}
