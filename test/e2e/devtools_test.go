package e2e

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v85"
	stripewebhook "github.com/stripe/stripe-go/v85/webhook"

	"github.com/caisse/caisse/internal/testserver"
)

// TestDevListenTrigger is issue 16's acceptance: with `caisse dev` running,
// code written for Stripe that hard-codes sk_test_123 works against it
// unchanged but for the backend URL; `caisse listen --forward-to` delivers
// the events `caisse trigger` makes to a local receiver, where stripe-go
// verifies them with the secret listen printed; and when listen's
// connection breaks, it resumes after the last event it forwarded: the
// events written meanwhile arrive, none twice.
func TestDevListenTrigger(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	base := "http://" + addr
	dev := exec.Command(binary, "dev", "--addr", addr, "--log-level", "warn")
	dev.Env = os.Environ()
	banner, err := dev.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopServe(t, dev) })
	checkBanner(t, banner, base)

	stripeSuite(t, base)

	// listen reaches caisse through a proxy the test can cut.
	proxy := newCutProxy(t, addr)
	receiver := testserver.NewReceiver(t)
	listen := exec.Command(binary, "listen", "--forward-to", receiver.URL+"/hook", "--api-key", "sk_test_123")
	listen.Env = append(os.Environ(), "CAISSE_API_URL=http://"+proxy.addr())
	out, err := listen.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := listen.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { listen.Process.Kill(); listen.Wait() }) //nolint:errcheck // the test is over
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var secret string
	for secret == "" {
		select {
		case l := <-lines:
			_, secret, _ = strings.Cut(l, "webhook signing secret: ")
		case <-time.After(20 * time.Second):
			t.Fatal("caisse listen printed no signing secret")
		}
	}
	proxy.waitStreams(t, 1) // listen is connected: what is triggered now reaches it

	triggerEnv := []string{"CAISSE_API_URL=" + base, "CAISSE_API_KEY=sk_test_123"}
	first, firstEvents := trigger(t, triggerEnv, "checkout.session.completed")
	got := waitDeliveries(t, receiver, secret, len(firstEvents))
	if !slices.ContainsFunc(got, func(e stripe.Event) bool {
		return e.Type == "checkout.session.completed" && e.Data.Object["id"] == first
	}) {
		t.Fatalf("no checkout.session.completed of %s among %v", first, eventIDs(got))
	}

	// Cut listen's connection; events written while it is away must arrive
	// once it is back, after those it already forwarded.
	proxy.cut(t)
	_, missed := trigger(t, triggerEnv, "checkout.session.async_payment_failed")
	proxy.restore()
	_, last := trigger(t, triggerEnv, "checkout.session.cancelled")
	want := slices.Concat(firstEvents, missed, last)
	got = waitDeliveries(t, receiver, secret, len(want))
	if ids := eventIDs(got); !slices.Equal(ids, want) {
		t.Fatalf("forwarded %v\nwant      %v (in order, each once)", ids, want)
	}
	for range len(want) {
		select {
		case l := <-lines:
			if !strings.Contains(l, "evt_") || !strings.Contains(l, "HTTP 200") {
				t.Errorf("listen printed %q, want an event line with the receiver's 200", l)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("listen printed fewer lines than it forwarded events")
		}
	}
}

// checkBanner reads caisse dev's banner: it names the URL, a key that
// works, the hosted page and the commands to run next.
func checkBanner(t *testing.T, banner io.Reader, base string) {
	t.Helper()
	sc := bufio.NewScanner(banner)
	var text strings.Builder
	for sc.Scan() {
		text.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "caisse trigger") {
			break
		}
	}
	go io.Copy(io.Discard, banner) //nolint:errcheck // nothing more is expected
	b := text.String()
	key := regexp.MustCompile(`API key +(sk_test_\w+)`).FindStringSubmatch(b)
	for _, want := range []string{"API  ", base, base + "/pay/", "caisse listen --forward-to", "caisse trigger checkout.session.completed"} {
		if !strings.Contains(b, want) || key == nil {
			t.Fatalf("caisse dev's banner lacks %q or a key:\n%s", want, b)
		}
	}
	waitReady(t, base+"/readyz")
	req, _ := http.NewRequest("GET", base+"/v1/checkouts", nil)
	req.Header.Set("Authorization", "Bearer "+key[1])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the banner's key %s: %d", key[1], res.StatusCode)
	}
}

// stripeSuite is code written for Stripe, unchanged but for the backend
// URL: it hard-codes a test key caisse was never told of.
func stripeSuite(t *testing.T, base string) {
	t.Helper()
	b := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{URL: stripe.String(base),
		MaxNetworkRetries: stripe.Int64(0), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}})
	sc := stripe.NewClient("sk_test_123", stripe.WithBackends(&stripe.Backends{API: b, Connect: b, Uploads: b, MeterEvents: b}))
	ctx := t.Context()
	s, err := sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{
		Mode:       stripe.String(string(stripe.CheckoutSessionModePayment)),
		SuccessURL: stripe.String("https://shop.example/ok"),
		LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{Quantity: stripe.Int64(2),
			PriceData: &stripe.CheckoutSessionCreateLineItemPriceDataParams{Currency: stripe.String("usd"),
				UnitAmount: stripe.Int64(1250), ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String("Mug")}}}},
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if s.AmountTotal != 2500 || s.Currency != "usd" || s.Status != stripe.CheckoutSessionStatusOpen || s.URL == "" {
		t.Fatalf("created %+v", s)
	}
	got, err := sc.V1CheckoutSessions.Retrieve(ctx, s.ID, nil)
	if err != nil || got.ID != s.ID {
		t.Fatalf("retrieve: %v %v", got, err)
	}
	found := false
	for l, err := range sc.V1CheckoutSessions.List(ctx, &stripe.CheckoutSessionListParams{}).All(ctx) {
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		found = found || l.ID == s.ID
	}
	if !found {
		t.Fatalf("list has no %s", s.ID)
	}
	expired, err := sc.V1CheckoutSessions.Expire(ctx, s.ID, nil)
	if err != nil || expired.Status != stripe.CheckoutSessionStatusExpired {
		t.Fatalf("expire: %v %v", expired, err)
	}
}

var (
	triggerSession = regexp.MustCompile(`(?m)^session (cs_test_\w+)$`)
	triggerEvent   = regexp.MustCompile(`(?m)^event +(evt_\w+) `)
)

// trigger runs caisse trigger and returns the session and event ids it printed.
func trigger(t *testing.T, env []string, event string) (string, []string) {
	t.Helper()
	out := string(caisse(t, env, "trigger", event))
	m := triggerSession.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("caisse trigger %s printed no session:\n%s", event, out)
	}
	var ids []string
	for _, e := range triggerEvent.FindAllStringSubmatch(out, -1) {
		ids = append(ids, e[1])
	}
	if len(ids) == 0 {
		t.Fatalf("caisse trigger %s printed no events:\n%s", event, out)
	}
	return m[1], ids
}

// waitDeliveries waits for n deliveries and verifies each with stripe-go.
func waitDeliveries(t *testing.T, r *testserver.Receiver, secret string, n int) []stripe.Event {
	t.Helper()
	var out []stripe.Event
	for _, d := range r.Wait(t, n, 30*time.Second) {
		e, err := stripewebhook.ConstructEvent(d.Body, d.Header.Get("Stripe-Signature"), secret)
		if err != nil {
			t.Fatalf("stripe-go refuses a delivery of caisse listen: %v", err)
		}
		out = append(out, e)
	}
	return out
}

func eventIDs(events []stripe.Event) []string {
	var ids []string
	for _, e := range events {
		ids = append(ids, e.ID)
	}
	return ids
}

// cutProxy forwards TCP connections to a server until cut: then it closes
// those open and refuses new ones until restored.
type cutProxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	down    bool
	open    map[net.Conn]bool
	streams int // connections that carried a request for the event stream
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, open: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.cut(t) })
	go p.accept()
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.open[c], p.open[up] = true, true
		p.mu.Unlock()
		go func() {
			buf := make([]byte, 4096)
			n, _ := c.Read(buf)
			if strings.Contains(string(buf[:n]), "/v1/events/stream") {
				p.mu.Lock()
				p.streams++
				p.mu.Unlock()
			}
			up.Write(buf[:n]) //nolint:errcheck // a failed write ends the copy below
			io.Copy(up, c)    //nolint:errcheck // ends when either side closes
			up.Close()
		}()
		go func() { io.Copy(c, up); c.Close() }() //nolint:errcheck // ends when either side closes
	}
}

// cut closes every connection and refuses new ones.
func (p *cutProxy) cut(t *testing.T) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.open {
		c.Close()
	}
	clear(p.open)
}

// restore lets connections through again.
func (p *cutProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// waitStreams waits until n event-stream requests have gone through.
func (p *cutProxy) waitStreams(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		p.mu.Lock()
		got := p.streams
		p.mu.Unlock()
		if got >= n {
			time.Sleep(200 * time.Millisecond) // the request is on its way to the server: let it read its start
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d event streams went through the proxy, want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
