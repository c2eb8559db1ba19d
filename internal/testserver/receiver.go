package testserver

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Delivery is one request a Receiver got.
type Delivery struct {
	Path   string
	Header http.Header
	Body   []byte
	At     time.Time
}

// Receiver is a real HTTP server that records what is posted to it, as a
// merchant's webhook endpoint would, answering with scripted status codes.
type Receiver struct {
	URL     string
	mu      sync.Mutex
	got     []Delivery
	answers map[string][]int
}

// NewReceiver starts a receiver, closed at cleanup.
func NewReceiver(t testing.TB) *Receiver {
	r := &Receiver{answers: map[string][]int{}}
	ts := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(ts.Close)
	r.URL = ts.URL
	return r
}

// Answer makes the next requests to path get codes, in order; then 200.
func (r *Receiver) Answer(path string, codes ...int) {
	r.mu.Lock()
	r.answers[path] = append(r.answers[path], codes...)
	r.mu.Unlock()
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, Delivery{Path: req.URL.Path, Header: req.Header.Clone(), Body: body, At: time.Now()})
	code := http.StatusOK
	if a := r.answers[req.URL.Path]; len(a) > 0 {
		code, r.answers[req.URL.Path] = a[0], a[1:]
	}
	r.mu.Unlock()
	w.WriteHeader(code)
}

// Deliveries returns what has been received so far.
func (r *Receiver) Deliveries() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.got...)
}

// Wait returns the deliveries once at least n have arrived, failing the test
// if they have not within the given time.
func (r *Receiver) Wait(t testing.TB, n int, within time.Duration) []Delivery {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := r.Deliveries()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("received %d deliveries within %s, want %d", len(got), within, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
