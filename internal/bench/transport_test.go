package bench

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// The load generator's transport keeps at most its limit of connections,
// reuses them, gives back a connection whose body was not read to its end
// (closing it), and sends a request again on a new connection when the
// server closed the idle one it was written on.
func TestTransport(t *testing.T) {
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, r.Method+" "+r.URL.Path+" "+string(b)) //nolint:errcheck
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	client := newClient(3)
	get := func(path string, read bool) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader("body"))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if !read {
			return ""
		}
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}

	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for range 50 {
				if got := get("/a", true); got != "POST /a body" {
					t.Errorf("got %q", got)
				}
			}
		})
	}
	wg.Wait()
	if n := opened.Load(); n > 3 {
		t.Errorf("%d connections opened, want at most 3", n)
	}

	for range 5 { // each unread body closes its connection; none is held
		get("/unread", false)
	}
	get("/idle", true) // leaves one connection idle
	srv.CloseClientConnections()
	if got := get("/after-close", true); got != "POST /after-close body" {
		t.Errorf("after the server closed the idle connections: %q", got)
	}
}
