package bench

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"time"
)

// transport is the load generator's HTTP/1.1 transport: keep-alive
// connections, at most a fixed number, each request written and its response
// read by the goroutine that sends it, as a pgbench client or wrk does.
// net/http's Transport runs two goroutines per connection and hands every
// request and response between them over channels; on the two cores the
// client shares with caisse and PostgreSQL, that cost counted against caisse
// (docs/benchmarks.md has the figures). Requests and responses are still
// written and parsed by net/http (Request.Write, ReadResponse).
type transport struct {
	dialer *net.Dialer
	idle   chan *conn    // connections kept alive, ready for a request
	open   chan struct{} // a token per open connection: at most cap(open)
}

// conn is one keep-alive connection of a transport.
type conn struct {
	net.Conn
	r *bufio.Reader
	w *bufio.Writer
}

// requestTimeout bounds one request, from its write to its response's headers.
const requestTimeout = 30 * time.Second

func newTransport(conns int) *transport {
	return &transport{
		dialer: &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second},
		idle:   make(chan *conn, conns),
		open:   make(chan struct{}, conns),
	}
}

// RoundTrip sends req on an idle connection, or a new one while fewer than
// the limit are open, or waits for one to come back. A request that fails on
// a connection that had served others before (the server closed it while it
// was idle) is sent once more on a new connection, as net/http does.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c, reused, err := t.get(req)
	if err != nil {
		return nil, err
	}
	resp, err := t.send(c, req)
	if err == nil || !reused || req.Body != nil && req.GetBody == nil {
		return resp, err
	}
	if req.GetBody != nil {
		if req.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	select { // the token send gave back with the failed connection
	case t.open <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	if c, err = t.dial(req); err != nil {
		return nil, err
	}
	return t.send(c, req)
}

// get takes an idle connection, or dials one while the limit allows.
func (t *transport) get(req *http.Request) (*conn, bool, error) {
	select {
	case c := <-t.idle:
		return c, true, nil
	default:
	}
	select {
	case c := <-t.idle:
		return c, true, nil
	case t.open <- struct{}{}:
		c, err := t.dial(req)
		return c, false, err
	case <-req.Context().Done():
		return nil, false, req.Context().Err()
	}
}

// dial opens a connection to req's host; its token is already taken, and is
// given back when the dial fails.
func (t *transport) dial(req *http.Request) (*conn, error) {
	nc, err := t.dialer.DialContext(req.Context(), "tcp", req.URL.Host)
	if err != nil {
		<-t.open
		return nil, err
	}
	return &conn{Conn: nc, r: bufio.NewReader(nc), w: bufio.NewWriter(nc)}, nil
}

// send writes req on c and reads its response's head; the connection goes
// back to the idle ones when the body has been read to its end and closed.
func (t *transport) send(c *conn, req *http.Request) (*http.Response, error) {
	deadline := time.Now().Add(requestTimeout)
	if d, ok := req.Context().Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	c.SetDeadline(deadline) //nolint:errcheck // a closed connection fails the write below
	err := req.Write(c.w)
	if err == nil {
		err = c.w.Flush()
	}
	var resp *http.Response
	if err == nil {
		resp, err = http.ReadResponse(c.r, req)
	}
	if err != nil {
		t.discard(c)
		return nil, err
	}
	resp.Body = &body{ReadCloser: resp.Body, t: t, c: c, keep: !resp.Close}
	return resp, nil
}

// discard closes c and gives its token back.
func (t *transport) discard(c *conn) {
	c.Close()
	<-t.open
}

// CloseIdleConnections closes the connections kept alive.
func (t *transport) CloseIdleConnections() {
	for {
		select {
		case c := <-t.idle:
			t.discard(c)
		default:
			return
		}
	}
}

// body is a response's body: read to its end and closed, it gives its
// connection back for the next request; closed before its end, it closes it.
type body struct {
	io.ReadCloser
	t      *transport
	c      *conn
	keep   bool
	ended  bool
	closed bool
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) {
		b.ended = true
	}
	return n, err
}

func (b *body) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	err := b.ReadCloser.Close()
	if b.ended && b.keep && err == nil {
		b.t.idle <- b.c
		return nil
	}
	b.t.discard(b.c)
	return err
}
