package notify

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/caisse/caisse/internal/store"
)

// TestSenderKeepsConnections: many deliveries posting to one endpoint at once
// keep their connections, and the next as many reuse them instead of
// opening new ones (net/http keeps two per host by default).
func TestSenderKeepsConnections(t *testing.T) {
	t.Parallel()
	const n = 40
	var opened atomic.Int32
	var arrived sync.WaitGroup // every request of a round waits for the others: n connections at once
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Done()
		arrived.Wait()
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	sender := NewSender(nil)
	ep := store.Endpoint{URL: srv.URL + "/hook", Secret: "whsec_" + strings.Repeat("A", 32)}
	round := func() int32 {
		before := opened.Load()
		arrived.Add(n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if res := sender.Send(context.Background(), ep, "evt_1", []byte("{}"), false); !res.OK() {
					t.Errorf("delivery failed: %+v", res)
				}
			})
		}
		wg.Wait()
		return opened.Load() - before
	}
	if got := round(); got != n {
		t.Fatalf("the first round opened %d connections, want %d", got, n)
	}
	if got := round(); got != 0 {
		t.Errorf("the second round opened %d connections, want none: the first round's were not kept", got)
	}
}
