package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/webhook"
)

// Timeout is how long an endpoint has to answer a delivery.
const Timeout = 10 * time.Second

// Sender posts signed deliveries. Live-mode endpoints are reached only at
// public addresses, checked when connecting (so a name that resolves
// elsewhere later is still refused); test-mode endpoints may be local.
type Sender struct {
	test, live *http.Client
}

var defaultSender = NewSender()

// NewSender returns a Sender with Timeout and no redirects followed.
func NewSender() *Sender {
	client := func(control func(network, address string, c syscall.RawConn) error) *http.Client {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil
		tr.DialContext = (&net.Dialer{Timeout: Timeout, Control: control}).DialContext
		return &http.Client{Timeout: Timeout, Transport: tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &Sender{test: client(nil), live: client(func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return err
		}
		return checkAddr(ap.Addr())
	})}
}

// Result is the outcome of one delivery attempt.
type Result struct {
	StatusCode int // 0 when no response came back
	Latency    time.Duration
	Error      string // why it failed, when it did
}

// OK reports a 2xx answer.
func (r Result) OK() bool { return r.StatusCode >= 200 && r.StatusCode < 300 }

// Summary describes the outcome in a few words.
func (r Result) Summary() string {
	if r.Error != "" {
		return r.Error
	}
	return fmt.Sprintf("HTTP %d", r.StatusCode)
}

// Send posts payload to the endpoint, signed with its secret under message id.
func (s *Sender) Send(ctx context.Context, ep store.Endpoint, id string, payload []byte) Result {
	// Signatures carry the wall-clock time: receivers compare it with theirs.
	start := time.Now()
	headers, err := webhook.Headers(ep.Secret, id, payload, start)
	if err != nil {
		return Result{Error: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(payload))
	if err != nil {
		return Result{Error: err.Error()}
	}
	req.Header = headers
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "caisse-webhooks/1")
	client := s.test
	if ep.Livemode {
		client = s.live
	}
	resp, err := client.Do(req)
	res := Result{Latency: time.Since(start)}
	if err != nil {
		res.Error = describe(err)
		return res
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // only drained for connection reuse
	res.StatusCode = resp.StatusCode
	if !res.OK() {
		res.Error = fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return res
}

// describe shortens a transport error for the attempt log.
func describe(err error) string {
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return fmt.Sprintf("no answer within %s", Timeout)
	}
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return msg
}

// checkHost resolves host and refuses it unless every address is public.
func checkHost(ctx context.Context, host string) error {
	if a, err := netip.ParseAddr(host); err == nil {
		return checkAddr(a)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("host %s does not resolve", host)
	}
	for _, a := range addrs {
		if err := checkAddr(a); err != nil {
			return fmt.Errorf("host %s: %w", host, err)
		}
	}
	return nil
}

// checkAddr refuses loopback, private, link-local, unspecified, multicast
// and shared (carrier-grade NAT) addresses.
func checkAddr(a netip.Addr) error {
	a = a.Unmap()
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() || sharedNAT.Contains(a) {
		return fmt.Errorf("address %s is not public", a)
	}
	return nil
}

var sharedNAT = netip.MustParsePrefix("100.64.0.0/10")
