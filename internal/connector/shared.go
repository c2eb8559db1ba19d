package connector

// Helpers shared by the connectors and simulators of this package and of the
// operator packages (mtn, orange, wave), so that each is written once.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// MaxBody is the most of a body a connector or a simulator reads: an
// operator's answer, a request to a simulator, a callback's answer.
const MaxBody = 1 << 20

// maxQuote is the most of an operator's answer Quote keeps, in bytes.
const maxQuote = 200

// MaskPhone hides all but the last 4 characters of a phone number (all of a
// number of 4 or fewer), keeping a leading +: +2250707000001 becomes
// +*********0001, +1234 becomes +****.
func MaskPhone(phone string) string {
	rest, plus := strings.CutPrefix(phone, "+")
	keep := 4
	if len(rest) <= keep {
		keep = 0 // too short to show anything
	}
	masked := strings.Repeat("*", len(rest)-keep) + rest[len(rest)-keep:]
	if plus {
		return "+" + masked
	}
	return masked
}

// Refused says whether an operator's answer to a start request definitively
// refuses the payment: a 4xx but 408 (timeout), 409 (the attempt is taken),
// 425 (too early) and 429 (too many requests), which say nothing about it.
func Refused(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly, http.StatusTooManyRequests:
		return false
	}
	return code >= 400 && code <= 499
}

// Redaction is a value Quote hides, and what it shows instead.
type Redaction struct {
	Value string // an empty Value hides nothing
	Label string // such as "[secret]"
}

// Quote is the start of an operator's answer for an error message: made
// valid UTF-8, with every Redaction's Value replaced by its Label (in the
// order given) and the customer's phone number masked (MaskPhone), with or
// without its +, then cut to 200 bytes at a rune boundary, "…" marking the
// cut. Masking comes before cutting, so that no part of a secret can show.
func Quote(answer []byte, phone string, hide ...Redaction) string {
	s := strings.ToValidUTF8(string(answer), "?")
	for _, r := range hide {
		s = redact(s, r.Value, r.Label)
	}
	if phone != "" {
		bare := strings.TrimPrefix(phone, "+")
		s = redact(s, phone, MaskPhone(phone))
		s = redact(s, bare, MaskPhone(bare))
	}
	if len(s) > maxQuote {
		cut := maxQuote
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// redact replaces every s in text by with; an empty s changes nothing.
func redact(text, s, with string) string {
	if s == "" {
		return text
	}
	return strings.ReplaceAll(text, s, with)
}

// AbsoluteURL says whether s is an absolute http or https URL (with a host).
func AbsoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// ParseBaseURL parses an operator API's base URL and says whether it is one:
// an absolute http(s) URL without a query or a fragment, to which a
// connector appends its paths.
func ParseBaseURL(s string) (*url.URL, bool) {
	u, err := url.Parse(s)
	if err != nil || !AbsoluteURL(s) || u.RawQuery != "" || u.Fragment != "" {
		return nil, false
	}
	return u, true
}

// WithDefaults returns c with its zero Client, Timeout and Now set to
// http.DefaultClient, DefaultTimeout and time.Now.
func (c Config) WithDefaults() Config {
	if c.Client == nil {
		c.Client = http.DefaultClient
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// RandomHex returns n random bytes from crypto/rand as 2n lower-case hex
// characters.
func RandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails: crypto/rand crashes the program instead
	return hex.EncodeToString(b)
}

// WriteJSON answers code with v as JSON: a simulator's (or the fake
// operator's) answer.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// Delivery retries of the fake operator's callbacks and the simulators'
// notifications (Deliver).
const (
	deliveryAttempts = 5                      // tries per notification
	deliveryBackoff  = 200 * time.Millisecond // wait after the first failed try, doubling
)

// Caller is who r's Authorization names, for a simulator's record of it:
// the user of its Basic credentials, or what byToken says of its bearer
// token; "" without either.
func Caller(r *http.Request, byToken func(token string) string) string {
	if u, _, ok := r.BasicAuth(); ok {
		return u
	}
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return byToken(t)
	}
	return ""
}

// Deliver makes send deliver a notification (what, such as "fake operator:
// callback", names it in log), retrying a failure up to 5 tries in all after
// a wait of 200 ms, doubling at each try, and says whether it was taken. It
// gives up early when stop (a simulator's Close) ends.
func Deliver(stop context.Context, log *slog.Logger, what string, send func() error) bool {
	wait := deliveryBackoff
	for attempt := 1; ; attempt++ {
		err := send()
		if err == nil {
			log.Info(what+" delivered", "attempt", attempt)
			return true
		}
		if attempt == deliveryAttempts || stop.Err() != nil {
			log.Warn(what+" given up", "attempt", attempt, "error", err)
			return false
		}
		log.Warn(what+" failed, will retry", "attempt", attempt, "error", err, "retry_in", wait)
		if !Sleep(stop, stop, wait) {
			log.Warn(what+" cancelled", "attempt", attempt)
			return false
		}
		wait *= 2
	}
}

// Exchange sends req with client and returns the answer's status code and
// (at most MaxBody of) its body. An error reading the answer names the
// request's method and target.
func Exchange(client *http.Client, req *http.Request) (int, []byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: read answer: %w", req.Method, req.URL.RequestURI(), err)
	}
	return resp.StatusCode, answer, nil
}

// PostJSON posts body as JSON to target with client, within ctx, adding
// header (which may be nil), and discards (at most MaxBody of) the answer.
// An answer but a 2xx is an error saying "{who} answered {code}".
func PostJSON(ctx context.Context, client *http.Client, target string, header http.Header, body []byte, who string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxBody))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %d", who, resp.StatusCode)
	}
	return nil
}

// Sleep waits d and says whether it did: ctx or stop (a simulator's Close)
// ending cuts it short.
func Sleep(ctx, stop context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-stop.Done():
	}
	return false
}

// TokenCache holds an access token (an OAuth-style bearer token) until the
// time its fetcher says to stop using it, shortly before it expires, and
// renews it when the operator refuses it. Its zero value is empty and ready;
// it must not be copied once used.
type TokenCache struct {
	current  atomic.Pointer[cachedToken] // nil: none
	fetching sync.Mutex                  // held while a token is fetched, so that one fetch serves all
}

// cachedToken is an access token and when its cache stops using it.
type cachedToken struct {
	value   string
	expires time.Time
}

// Current is the cached token, expired or not, or "": a value to hide in
// error messages. It does not wait for a fetch.
func (c *TokenCache) Current() string {
	if t := c.current.Load(); t != nil {
		return t.value
	}
	return ""
}

// Token returns the cached token while now() is before its expiry time;
// otherwise it calls fetch for a token and the time to stop using it, caches
// them and returns the token. Callers that need a token while one is being
// fetched wait for that fetch and take its token.
func (c *TokenCache) Token(now func() time.Time, fetch func() (string, time.Time, error)) (string, error) {
	valid := func() (string, bool) {
		t := c.current.Load()
		if t == nil || !now().Before(t.expires) {
			return "", false
		}
		return t.value, true
	}
	if v, ok := valid(); ok {
		return v, nil
	}
	c.fetching.Lock()
	defer c.fetching.Unlock()
	if v, ok := valid(); ok {
		return v, nil
	}
	value, expires, err := fetch()
	if err != nil {
		return "", err
	}
	c.current.Store(&cachedToken{value: value, expires: expires})
	return value, nil
}

// Drop forgets token, which the operator refused, unless another token has
// replaced it meanwhile.
func (c *TokenCache) Drop(token string) {
	if t := c.current.Load(); t != nil && t.value == token {
		c.current.CompareAndSwap(t, nil)
	}
}

// Call sends a request with a token (Token's) and returns the status code and
// answer send returns. Answered 401, it drops the token and sends once more
// with a new one: an operator answers 401 before doing anything, so the
// second request cannot do anything twice.
func (c *TokenCache) Call(now func() time.Time, fetch func() (string, time.Time, error), send func(token string) (int, []byte, error)) (int, []byte, error) {
	for try := 0; ; try++ {
		token, err := c.Token(now, fetch)
		if err != nil {
			return 0, nil, err
		}
		code, answer, err := send(token)
		if err != nil || code != http.StatusUnauthorized || try > 0 {
			return code, answer, err
		}
		c.Drop(token)
	}
}
