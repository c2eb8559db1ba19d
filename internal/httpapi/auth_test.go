package httpapi

import (
	"fmt"
	"net/http"
	"net/netip"
	"testing"
	"time"
)

// TestLimiterForgets checks the limiter's memory bound: buckets that refilled
// are forgotten at the next sweep, and past MaxBuckets a new key is refused
// rather than remembered.
func TestLimiterForgets(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(1)
	l.now = func() time.Time { return now }
	for i := range 1000 {
		if !l.Allow(fmt.Sprint("client-", i)) {
			t.Fatal("a first request was refused")
		}
	}
	if len(l.keys) != 1000 {
		t.Fatalf("%d buckets, want 1000", len(l.keys))
	}
	now = now.Add(sweepEvery) // every bucket has refilled: each is like a new one
	l.Allow("late")
	if len(l.keys) != 1 {
		t.Fatalf("%d buckets after the sweep, want only the new one", len(l.keys))
	}

	for i := range MaxBuckets - 1 {
		l.Allow(fmt.Sprint("flood-", i))
	}
	if len(l.keys) != MaxBuckets || l.Allow("one too many") || len(l.keys) != MaxBuckets {
		t.Fatalf("%d buckets, want the cap of %d and a refusal past it", len(l.keys), MaxBuckets)
	}
}

// TestClientAddr trusts X-Forwarded-For only from trusted proxies, and then
// only up to the first hop that is not one.
func TestClientAddr(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		remote, forwarded, want string
	}{
		{"203.0.113.9:1234", "", "203.0.113.9"},
		{"203.0.113.9:1234", "198.51.100.1", "203.0.113.9"},         // not from a proxy: the header is ignored
		{"10.0.0.2:1234", "198.51.100.1", "198.51.100.1"},           // from a proxy: its client
		{"10.0.0.2:1234", "1.2.3.4, 198.51.100.1", "198.51.100.1"},  // the client may forge the left part
		{"10.0.0.2:1234", "198.51.100.1, 10.0.0.7", "198.51.100.1"}, // through two proxies
		{"10.0.0.2:1234", "garbage, 198.51.100.1", "198.51.100.1"},  // stops at the first untrusted hop
		{"10.0.0.2:1234", "198.51.100.1, garbage", "10.0.0.2"},      // a malformed hop ends the trust
		{"[::ffff:203.0.113.9]:1234", "", "203.0.113.9"},            // mapped addresses are one client
	}
	for _, c := range cases {
		r := &http.Request{RemoteAddr: c.remote, Header: http.Header{}}
		if c.forwarded != "" {
			r.Header.Set("X-Forwarded-For", c.forwarded)
		}
		if got := ClientAddr(r, trusted).String(); got != c.want {
			t.Errorf("%s with X-Forwarded-For %q: %s, want %s", c.remote, c.forwarded, got, c.want)
		}
	}
}
