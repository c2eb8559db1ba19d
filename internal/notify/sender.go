package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/webhook"
)

// Timeout is how long an endpoint has to answer a delivery.
const Timeout = 10 * time.Second

// maxIdlePerHost is how many idle connections a Sender keeps to one endpoint host.
const maxIdlePerHost = 100

// Sender posts signed deliveries. An endpoint held to the public rule is
// reached only at public addresses, checked when connecting (see ssrf.go);
// others, test-mode endpoints while private test targets are allowed, may be
// local.
type Sender struct {
	resolver *net.Resolver // nil: the system's
	public   *http.Client  // refuses every address that is not public
	any      *http.Client
}

var defaultSender = NewSender(nil)

// NewSender returns a Sender with Timeout and no redirects followed that
// looks endpoint hosts up with resolver (nil: the system's), when an
// endpoint is saved and when it is connected to.
func NewSender(resolver *net.Resolver) *Sender {
	client := func(control func(network, address string, c syscall.RawConn) error) *http.Client {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil
		// Keep a connection to an endpoint for each delivery that may be
		// posting to it at once, not net/http's two: a backlog of
		// deliveries to one endpoint then reuses its connections instead
		// of opening (and checking) one for nearly every delivery.
		tr.MaxIdleConnsPerHost = maxIdlePerHost
		tr.DialContext = (&net.Dialer{Timeout: Timeout, Resolver: resolver, Control: control}).DialContext
		return &http.Client{Timeout: Timeout, Transport: tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &Sender{resolver: resolver, public: client(dialPublic), any: client(nil)}
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

// Send posts payload to the endpoint, signed with its secret under message
// id; publicOnly refuses to connect to any address that is not public.
func (s *Sender) Send(ctx context.Context, ep store.Endpoint, id string, payload []byte, publicOnly bool) Result {
	// Signatures carry the wall-clock time: receivers compare it with theirs.
	start := time.Now()
	headers, err := webhook.Headers(ep.Secret, id, payload, start)
	if err != nil {
		return Result{Error: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(payload))
	if err != nil {
		return Result{Error: "invalid URL"}
	}
	req.Header = headers
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "caisse-webhooks/1")
	client := s.any
	if publicOnly {
		client = s.public
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

// describe names the class of a transport error for the attempt log, and
// nothing more: a merchant reads that log, and an endpoint's URL may point
// into caisse's own network (test mode), so neither what came back (a
// banner, a body) nor the dial error's text (addresses) is ever shown.
func describe(err error) string {
	var (
		dnsErr  *net.DNSError
		netErr  net.Error
		certErr *tls.CertificateVerificationError
		recErr  tls.RecordHeaderError
		alert   tls.AlertError
	)
	switch {
	case errors.Is(err, errNotAllowed):
		return errNotAllowed.Error()
	case errors.As(err, &dnsErr):
		return "host does not resolve"
	case errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("no answer within %s", Timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "host unreachable"
	case errors.As(err, &certErr):
		return "TLS certificate not valid"
	case errors.As(err, &recErr), errors.As(err, &alert):
		return "TLS handshake failed"
	case strings.Contains(err.Error(), "malformed HTTP"):
		return "malformed HTTP response"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		// net/http's words for a peer that hung up, or spoke before being asked.
		strings.Contains(err.Error(), "server closed idle connection"), strings.Contains(err.Error(), "readLoopPeekFailLocked"):
		return "connection closed"
	}
	return "connection failed"
}
