// Package client is a Go client for caisse's mobile-money JSON API
// (/v1/checkouts, /v1/checkout/search; docs/api-momo.md) and for reading
// caisse's events (/v1/events; docs/webhooks.md).
//
// Every call takes a context and returns either the decoded object or an
// error; an answer of the server that is not a success is a *Error, which
// callers can inspect with errors.As:
//
//	var apiErr *client.Error
//	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound { … }
//
// The package imports only the standard library.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// DefaultBaseURL is the address of a caisse server started with its defaults.
const DefaultBaseURL = "http://127.0.0.1:8080"

// maxResponse bounds what the client reads of one response: a page of 100
// sessions or events is well under it.
const maxResponse = 16 << 20

// Client calls one caisse server with one secret key. It is safe for
// concurrent use.
type Client struct {
	baseURL string
	key     string
	http    *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithBaseURL sets the server's address, such as "https://pay.example.com"
// (DefaultBaseURL when not given).
func WithBaseURL(u string) Option {
	return func(c *Client) { c.baseURL = strings.TrimRight(u, "/") }
}

// WithHTTPClient sets the HTTP client the calls go through
// (http.DefaultClient when not given).
func WithHTTPClient(h *http.Client) Option {
	return func(c *Client) { c.http = h }
}

// New returns a client that authenticates with key, a secret key
// (sk_test_… or sk_live_…).
func New(key string, opts ...Option) *Client {
	c := &Client{baseURL: DefaultBaseURL, key: key, http: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Error is the server's answer to a request it did not carry out: its HTTP
// status and the fields of the error object, {"error": {code, message, param}}
// (the Stripe-shaped errors of /v1/events add type).
type Error struct {
	// StatusCode is the HTTP status, such as 400, 401, 404, 409 or 422.
	StatusCode int
	// Code is machine-readable: parameter_missing, resource_missing, … (docs/api-momo.md, Errors).
	Code string
	// Message is for people.
	Message string
	// Param names the parameter or header at fault, or is empty.
	Param string
	// Type is the Stripe error type (invalid_request_error, …) of /v1/events errors; empty otherwise.
	Type string
	// RequestID is the response's Request-Id header, which the server's log lines carry too.
	RequestID string
}

// Error says the status, code, parameter, message and request id.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "caisse: %d", e.StatusCode)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Param != "" {
		fmt.Fprintf(&b, " (%s)", e.Param)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [%s]", e.RequestID)
	}
	return b.String()
}

// newIdempotencyKey is a random key for a create that was given none.
func newIdempotencyKey() string {
	b := make([]byte, 16)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// call sends one request and decodes a 2xx answer into out. body, when not
// nil, is sent as JSON; idemKey, when not empty, as the Idempotency-Key header.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, body any, idemKey string, out any) error {
	u := c.baseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, reader)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponse+1))
	if err != nil {
		return fmt.Errorf("caisse: reading the answer to %s %s: %w", method, path, err)
	}
	if len(raw) > maxResponse {
		return fmt.Errorf("caisse: the answer to %s %s is larger than %d bytes", method, path, maxResponse)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return decodeError(res, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("caisse: decoding the answer to %s %s: %w", method, path, err)
	}
	return nil
}

// decodeError reads an error answer; a body that is not the API's error
// object (a proxy's page, say) becomes the message, shortened.
func decodeError(res *http.Response, raw []byte) *Error {
	out := &Error{StatusCode: res.StatusCode, RequestID: res.Header.Get("Request-Id")}
	var body struct {
		Error *struct {
			Type    string  `json:"type"`
			Code    string  `json:"code"`
			Message string  `json:"message"`
			Param   *string `json:"param"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &body); err != nil || body.Error == nil {
		msg := strings.TrimSpace(string(raw))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		out.Message = msg
		return out
	}
	out.Type, out.Code, out.Message = body.Error.Type, body.Error.Code, body.Error.Message
	if body.Error.Param != nil {
		out.Param = *body.Error.Param
	}
	return out
}

// errEmptyID refuses a call on an empty id before it reaches the server,
// where the path would name the collection instead.
var errEmptyID = errors.New("caisse: empty id")

// idPath is base/id with id escaped, or errEmptyID.
func idPath(base, id string) (string, error) {
	if id == "" {
		return "", errEmptyID
	}
	return base + "/" + url.PathEscape(id), nil
}
