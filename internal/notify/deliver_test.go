package notify

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/seal"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/store/sqlitestore"
)

// errorClasses is every error an attempt may record besides "HTTP <status>":
// classes, never what came back nor the dial error's text.
var errorClasses = []string{
	"address not allowed", "host does not resolve", fmt.Sprintf("no answer within %s", Timeout),
	"connection refused", "host unreachable", "TLS certificate not valid", "TLS handshake failed",
	"connection closed", "malformed HTTP response", "connection failed",
}

// deliveryEnv is a Service over a SQLite store, with one merchant and one
// event in each mode, resolving names with dns.
type deliveryEnv struct {
	svc    *Service
	live   merchant.Principal
	test   merchant.Principal
	events map[bool]store.Event
}

func newDeliveryEnv(t *testing.T, dns *fakeDNS, noPrivateTestTargets bool) *deliveryEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlitestore.Open(filepath.Join(t.TempDir(), "caisse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	m := store.Merchant{ID: randid.New("mer_"), Name: "Boutique", Currencies: []string{"XOF"}, CreatedAt: now}
	if err := st.MerchantCreate(ctx, m); err != nil {
		t.Fatal(err)
	}
	box, err := seal.New(seal.NewKey()) // live endpoints need one
	if err != nil {
		t.Fatal(err)
	}
	env := &deliveryEnv{
		svc: &Service{Store: st, Now: time.Now, Log: slog.New(slog.DiscardHandler), Sender: NewSender(dns.resolver()), Box: box,
			NoPrivateTestTargets: noPrivateTestTargets,
			Payload:              func(string, store.Event, string) ([]byte, error) { return []byte(`{"object":"event"}`), nil }},
		live: merchant.Principal{Merchant: m, Livemode: true}, test: merchant.Principal{Merchant: m},
		events: map[bool]store.Event{},
	}
	for _, live := range []bool{false, true} {
		scope := store.Scope{MerchantID: m.ID, Livemode: live}
		e, err := st.EventCreate(ctx, store.Event{ID: randid.New("evt_"), Scope: scope, Type: "checkout.session.completed",
			Session:   store.Session{ID: randid.New("cs_"), Scope: scope, Status: "completed", Amount: 5000, Currency: "XOF", CreatedAt: now},
			CreatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		env.events[live] = e
	}
	return env
}

// deliver saves an endpoint with rawURL (which must be accepted), makes one
// delivery attempt to it and returns the attempt as recorded.
func (env *deliveryEnv) deliver(t *testing.T, p merchant.Principal, rawURL string, beforeSend func()) store.Attempt {
	t.Helper()
	ctx := context.Background()
	ep, err := env.svc.EndpointCreate(ctx, p, EndpointParams{URL: &rawURL, EnabledEvents: []string{"*"}}, "")
	if err != nil {
		t.Fatalf("saving %s: %v", rawURL, err)
	}
	if beforeSend != nil {
		beforeSend()
	}
	e := env.events[p.Livemode]
	jobID := time.Now().UnixNano()
	_ = env.svc.Deliver(ctx, DeliverArgs{MerchantID: p.Merchant.ID, Livemode: p.Livemode, EventID: e.ID, EndpointID: ep.ID}, jobID, 1)
	attempts, err := env.svc.Attempts(ctx, p, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(attempts, func(a store.Attempt) bool { return a.JobID == jobID })
	if i < 0 {
		t.Fatalf("no attempt recorded for %s: %+v", rawURL, attempts)
	}
	return attempts[i]
}

// TestDNSRebinding saves an endpoint whose name resolves to a public address,
// then has it resolve to the loopback address the receiver listens on: the
// connection is refused after DNS, nothing reaches the receiver and the
// attempt records only the class "address not allowed". With private test
// targets on, the same rebinding reaches it (the check, not the set-up, is
// what refuses).
func TestDNSRebinding(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})
	plain, tlsSrv := httptest.NewServer(handler), httptest.NewTLSServer(handler)
	t.Cleanup(plain.Close)
	t.Cleanup(tlsSrv.Close)
	port := func(s *httptest.Server) string { u, _ := url.Parse(s.URL); return u.Port() }

	for _, c := range []struct {
		name             string
		noPrivate, live  bool
		url, rebindTo    string
		wantError        string
		wantStatus, hits int32
	}{
		{"live, IPv4 loopback", false, true, "https://rebind.test:" + port(tlsSrv) + "/hook", "127.0.0.1", "address not allowed", 0, 0},
		{"live, IPv4-mapped loopback", false, true, "https://rebind.test:" + port(tlsSrv) + "/hook", "::ffff:127.0.0.1", "address not allowed", 0, 0},
		{"test, private targets off", true, false, "http://rebind.test:" + port(plain) + "/hook", "127.0.0.1", "address not allowed", 0, 0},
		{"test, private targets on", false, false, "http://rebind.test:" + port(plain) + "/hook", "127.0.0.1", "", http.StatusNoContent, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			dns := newFakeDNS(t, map[string]string{"rebind.test": "93.184.216.34"})
			env := newDeliveryEnv(t, dns, c.noPrivate)
			p := map[bool]merchant.Principal{true: env.live, false: env.test}[c.live]
			before := hits.Load()
			a := env.deliver(t, p, c.url, func() { dns.set("rebind.test", c.rebindTo) })
			if a.Error != c.wantError || a.StatusCode != int(c.wantStatus) || hits.Load()-before != c.hits {
				t.Fatalf("attempt %+v, %d requests received; want error %q, status %d, %d requests",
					a, hits.Load()-before, c.wantError, c.wantStatus, c.hits)
			}
		})
	}
	t.Run("refused at save when it already resolves privately", func(t *testing.T) {
		dns := newFakeDNS(t, map[string]string{"rebind.test": "127.0.0.1"})
		env := newDeliveryEnv(t, dns, false)
		raw := "https://rebind.test:" + port(tlsSrv) + "/hook"
		_, err := env.svc.EndpointCreate(context.Background(), env.live, EndpointParams{URL: &raw, EnabledEvents: []string{"*"}}, "")
		if err == nil || !strings.Contains(err.Error(), "host rebind.test resolves to an address that is not public") ||
			strings.Contains(err.Error(), "127.0.0.1") {
			t.Fatalf("got %v", err)
		}
	})
}

// TestAttemptErrorClasses delivers, in test mode with private targets on, to
// local listeners that answer in every way that could tell a port scanner
// something: each attempt records the status code or a class, never the
// banner, the body, the address or the port.
func TestAttemptErrorClasses(t *testing.T) {
	t.Parallel()
	const secret = "SSH-2.0-OpenSSH_9.6 internal-db-7"
	bannerAtOnce := listen(t, func(c net.Conn) { io.WriteString(c, secret+"\r\n") }) // as an SSH server does
	// The same, after reading the request: what comes back is never a race.
	banner := listen(t, func(c net.Conn) {
		if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
			io.WriteString(c, secret+"\r\n")
		}
	})
	hangUp := listen(t, func(c net.Conn) {})
	http500 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", secret)
		http.Error(w, secret, http.StatusInternalServerError)
	}))
	t.Cleanup(http500.Close)
	selfSigned := httptest.NewUnstartedServer(http.NotFoundHandler())
	selfSigned.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake caisse refuses
	selfSigned.StartTLS()
	t.Cleanup(selfSigned.Close)
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := dead.Addr().String()
	dead.Close()

	env := newDeliveryEnv(t, newFakeDNS(t, nil), false)
	for _, c := range []struct {
		name, url, want string
		status          int
	}{
		{"a banner instead of HTTP", "http://" + banner + "/", "malformed HTTP response", 0},
		{"a banner before the request", "http://" + bannerAtOnce + "/", "", 0}, // any class
		{"connection closed unanswered", "http://" + hangUp + "/", "connection closed", 0},
		{"closed port", "http://" + refused + "/", "connection refused", 0},
		{"an error page", http500.URL + "/", "HTTP 500", 500},
		{"an untrusted certificate", selfSigned.URL + "/", "TLS certificate not valid", 0},
		{"TLS to a port speaking something else", "https://" + bannerAtOnce + "/", "TLS handshake failed", 0},
		{"a name that does not resolve", "http://nowhere.test:80/", "host does not resolve", 0},
	} {
		a := env.deliver(t, env.test, c.url, nil)
		if (c.want != "" && a.Error != c.want) || a.StatusCode != c.status {
			t.Errorf("%s: attempt %+v, want error %q status %d", c.name, a, c.want, c.status)
		}
		if c.status == 0 && !slices.Contains(errorClasses, a.Error) {
			t.Errorf("%s: %q is not one of the error classes", c.name, a.Error)
		}
		u, _ := url.Parse(c.url)
		for _, leak := range []string{"SSH", "internal-db", u.Port(), "127.0.0.1", "dial", "tcp"} {
			if leak != "" && strings.Contains(a.Error, leak) {
				t.Errorf("%s: the attempt's error %q shows %q", c.name, a.Error, leak)
			}
		}
	}
}

// TestDescribeTimeout: a delivery that gets no answer in time is recorded as
// a timeout, whichever deadline ran out.
func TestDescribeTimeout(t *testing.T) {
	t.Parallel()
	silent := listen(t, func(c net.Conn) { io.Copy(io.Discard, c) }) // reads the request, never answers
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res := NewSender(nil).Send(ctx, store.Endpoint{URL: "http://" + silent + "/", Secret: "whsec_" + strings.Repeat("A", 32)},
		"evt_1", []byte("{}"), false)
	if res.Error != fmt.Sprintf("no answer within %s", Timeout) || res.StatusCode != 0 {
		t.Fatalf("got %+v", res)
	}
}

// listen serves each connection to a new loopback port with serve, closing
// it after, and returns the port's address.
func listen(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); serve(c) }()
		}
	}()
	return ln.Addr().String()
}

// TestDeliverRunAgain runs a delivery job a second time, as River does when
// the node that ran it died after its attempt was recorded but before the job
// was marked done: the second run sends nothing and records nothing, while
// another job of the same event and endpoint (a resend) is sent.
func TestDeliverRunAgain(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rcv.Close)
	env := newDeliveryEnv(t, newFakeDNS(t, nil), false)
	a := env.deliver(t, env.test, rcv.URL+"/hook", nil)
	if !a.Succeeded || hits.Load() != 1 {
		t.Fatalf("first run: attempt %+v, %d requests received; want a success and 1 request", a, hits.Load())
	}
	ctx := context.Background()
	args := DeliverArgs{MerchantID: env.test.Merchant.ID, EventID: a.EventID, EndpointID: a.EndpointID}
	if err := env.svc.Deliver(ctx, args, a.JobID, 2); err != nil {
		t.Fatal(err)
	}
	attempts, err := env.svc.Attempts(ctx, env.test, a.EventID)
	if err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 1 || len(attempts) != 1 {
		t.Fatalf("the same job run again: %d requests received, %d attempts recorded; want 1 and 1", hits.Load(), len(attempts))
	}
	if err := env.svc.Deliver(ctx, args, a.JobID+1, 1); err != nil || hits.Load() != 2 {
		t.Fatalf("another job of the same delivery: %v, %d requests received; want it sent (2)", err, hits.Load())
	}
}
