package momoapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/httpapi"
	"github.com/caisse/caisse/internal/httpapi/momoapi"
	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/testdb"
)

const (
	okPhone     = "+2250707000001"
	legacyPhone = "+22507987654"   // the mobile-money API's 8-digit Ivorian number
	legacyNorm  = "+2250707987654" // … after the 2021 renumbering
)

// sub returns a copy of e that reports to t: a parallel subtest must never
// fail its parent's T from its own goroutine.
func (e *env) sub(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// post creates a session with a fresh idempotency key, whatever the outcome.
func (e *env) post(key, body string) response {
	e.t.Helper()
	return e.do("POST", "/v1/checkouts", key, body, "Idempotency-Key", randid.String(16))
}

// scope is the tenant a key acts for.
func (e *env) scope(key string) store.Scope {
	e.t.Helper()
	p, err := e.Server.Merchants.Authenticate(context.Background(), key)
	if err != nil {
		e.t.Fatalf("authenticate: %v", err)
	}
	return p.Scope()
}

// raw is a JSON literal put as is in a body built by body.
type raw string

func (r raw) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// omitted removes a field from a body built by body.
type omitted struct{}

// body is a valid create body with fields overridden by name, value pairs.
func body(kv ...any) string {
	m := map[string]any{"amount": 5000, "currency": "XOF", "user_phone": okPhone}
	for i := 0; i+1 < len(kv); i += 2 {
		name := kv[i].(string)
		if _, ok := kv[i+1].(omitted); ok {
			delete(m, name)
			continue
		}
		m[name] = kv[i+1]
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// metadata returns n distinct keys of width characters, each with value.
func metadata(n, width int, value string) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		k := fmt.Sprintf("k%d", i)
		m[k+strings.Repeat("x", width-len(k))] = value
	}
	return m
}

// wantProblem is wantError plus the exact wire shape: a JSON content type, a
// single "error" member holding exactly code, message and param (null when no
// parameter is at fault).
func wantProblem(t *testing.T, r response, status int, code, param string) {
	t.Helper()
	wantError(t, r, status, code, param)
	wantShape(t, r)
	var b struct {
		Error map[string]json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(r.raw, &b); err != nil {
		t.Fatal(err)
	}
	if param == "" && string(b.Error["param"]) != "null" {
		t.Fatalf("param = %s, want null: %s", b.Error["param"], r.raw)
	}
}

// wantShape asserts an error body is {"error": {"code", "message", "param"}} and nothing else.
func wantShape(t *testing.T, r response) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json: %s", ct, r.raw)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(r.raw, &top); err != nil || len(top) != 1 || top["error"] == nil {
		t.Fatalf("error body is not {\"error\": …}: %s", r.raw)
	}
	var inner map[string]json.RawMessage
	if err := json.Unmarshal(top["error"], &inner); err != nil {
		t.Fatalf("error member is not an object: %s", r.raw)
	}
	keys := make([]string, 0, len(inner))
	for k := range inner {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"code", "message", "param"}) {
		t.Fatalf("error members %v, want [code message param]: %s", keys, r.raw)
	}
	var code, msg string
	if json.Unmarshal(inner["code"], &code) != nil || code == "" || json.Unmarshal(inner["message"], &msg) != nil || msg == "" {
		t.Fatalf("error code and message must be non-empty strings: %s", r.raw)
	}
	if p := string(inner["param"]); p != "null" {
		var s string
		if json.Unmarshal(inner["param"], &s) != nil || s == "" {
			t.Fatalf("param must be null or a non-empty string: %s", r.raw)
		}
	}
}

// wantField asserts a decoded member equals want, compared as JSON.
func wantField(t *testing.T, got map[string]any, name string, want any) {
	t.Helper()
	g, _ := json.Marshal(got[name])
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Fatalf("%s = %s, want %s (in %v)", name, g, w, got)
	}
}

// lifetime is expires_at - created_at of a wire session.
func lifetime(t *testing.T, got map[string]any) time.Duration {
	t.Helper()
	created, err1 := time.Parse(time.RFC3339, fmt.Sprint(got["created_at"]))
	expires, err2 := time.Parse(time.RFC3339, fmt.Sprint(got["expires_at"]))
	if err1 != nil || err2 != nil {
		t.Fatalf("bad times in %v: %v %v", got, err1, err2)
	}
	return expires.Sub(created)
}

func TestValidationCreateRefused(t *testing.T) {
	t.Parallel()
	long := func(n int, s string) string { return strings.Repeat(s, n) }
	cases := []struct {
		name   string
		xaf    bool // use the merchant that accepts XOF and XAF
		body   string
		status int
		code   string
		param  string
	}{
		// amount
		{"amount below minimum", false, body("amount", 99), 400, "parameter_invalid", "amount"},
		{"amount zero", false, body("amount", 0), 400, "parameter_invalid", "amount"},
		{"amount negative", false, body("amount", -5000), 400, "parameter_invalid", "amount"},
		{"amount negative zero", false, body("amount", raw("-0")), 400, "parameter_invalid", "amount"},
		{"amount above MaxAmount", false, body("amount", int64(checkout.MaxAmount+1)), 400, "parameter_invalid", "amount"},
		{"amount MaxInt64", false, body("amount", int64(math.MaxInt64)), 400, "parameter_invalid", "amount"},
		{"amount float", false, body("amount", raw("100.5")), 400, "parameter_invalid_integer", "amount"},
		{"amount integral float", false, body("amount", raw("5000.0")), 400, "parameter_invalid_integer", "amount"},
		{"amount exponent", false, body("amount", raw("5e3")), 400, "parameter_invalid_integer", "amount"},
		{"amount string", false, body("amount", "5000"), 400, "parameter_invalid_integer", "amount"},
		{"amount bool", false, body("amount", true), 400, "parameter_invalid_integer", "amount"},
		{"amount object", false, body("amount", map[string]int{"value": 5000}), 400, "parameter_invalid_integer", "amount"},
		{"amount array", false, body("amount", []int{5000}), 400, "parameter_invalid_integer", "amount"},
		{"amount beyond int64", false, body("amount", raw("9223372036854775808")), 400, "parameter_invalid_integer", "amount"},
		{"amount below int64", false, body("amount", raw("-9223372036854775809")), 400, "parameter_invalid_integer", "amount"},
		{"amount huge exponent", false, body("amount", raw("1e400")), 400, "parameter_invalid_integer", "amount"},
		{"amount null", false, body("amount", nil), 400, "parameter_missing", "amount"},
		// currency
		{"currency not enabled", false, body("currency", "XAF"), 400, "parameter_invalid", "currency"},
		{"currency not enabled for xaf merchant", true, body("currency", "EUR"), 400, "parameter_invalid", "currency"},
		{"currency unknown", false, body("currency", "ZZZ"), 400, "parameter_invalid", "currency"},
		{"currency unknown lower", true, body("currency", "zzz"), 400, "parameter_invalid", "currency"},
		{"currency empty", false, body("currency", ""), 400, "parameter_invalid", "currency"},
		{"currency too short", false, body("currency", "XO"), 400, "parameter_invalid", "currency"},
		{"currency too long", false, body("currency", "XOFF"), 400, "parameter_invalid", "currency"},
		{"currency number", false, body("currency", 952), 400, "parameter_invalid_string", "currency"},
		{"currency null", false, body("currency", nil), 400, "parameter_missing", "currency"},
		// user_phone
		{"phone national", false, body("user_phone", "0707000001"), 400, "parameter_invalid", "user_phone"},
		{"phone country code only", false, body("user_phone", "+225"), 400, "parameter_invalid", "user_phone"},
		{"phone letters", false, body("user_phone", "+225O7O7OOOOO1"), 400, "parameter_invalid", "user_phone"},
		{"phone words", false, body("user_phone", "call me"), 400, "parameter_invalid", "user_phone"},
		{"phone too long", false, body("user_phone", "+22507070000012345"), 400, "parameter_invalid", "user_phone"},
		{"phone spaces", false, body("user_phone", "+225 07 07 00 00 01"), 400, "parameter_invalid", "user_phone"},
		{"phone not a number plan", false, body("user_phone", "+2259999999999"), 400, "parameter_invalid", "user_phone"},
		{"phone empty", false, body("user_phone", ""), 400, "parameter_invalid", "user_phone"},
		{"phone number type", false, body("user_phone", 2250707000001), 400, "parameter_invalid_string", "user_phone"},
		{"phone null", false, body("user_phone", nil), 400, "parameter_missing", "user_phone"},
		// description
		{"description 201 characters", false, body("description", long(201, "a")), 400, "parameter_invalid", "description"},
		{"description 201 accented characters", false, body("description", long(201, "é")), 400, "parameter_invalid", "description"},
		{"description number", false, body("description", 12), 400, "parameter_invalid_string", "description"},
		{"description NUL", false, body("description", "a\x00b"), 400, "parameter_invalid", "description"},
		// expires_in
		{"expires_in 299", false, body("expires_in", 299), 400, "parameter_invalid", "expires_in"},
		{"expires_in 86401", false, body("expires_in", 86401), 400, "parameter_invalid", "expires_in"},
		{"expires_in 0", false, body("expires_in", 0), 400, "parameter_invalid", "expires_in"},
		{"expires_in negative", false, body("expires_in", -1800), 400, "parameter_invalid", "expires_in"},
		{"expires_in float", false, body("expires_in", raw("1800.5")), 400, "parameter_invalid_integer", "expires_in"},
		{"expires_in string", false, body("expires_in", "1800"), 400, "parameter_invalid_integer", "expires_in"},
		{"expires_in string zero", false, body("expires_in", "0"), 400, "parameter_invalid_integer", "expires_in"},
		{"expires_in beyond int64", false, body("expires_in", raw("18446744073709551616")), 400, "parameter_invalid_integer", "expires_in"},
		// payment_id, customer_id
		{"payment_id number", false, body("payment_id", 42), 400, "parameter_invalid_string", "payment_id"},
		{"payment_id too long", false, body("payment_id", long(checkout.MaxReference+1, "p")), 400, "parameter_invalid", "payment_id"},
		{"customer_id object", false, body("customer_id", map[string]string{}), 400, "parameter_invalid_string", "customer_id"},
		{"customer_id too long", false, body("customer_id", long(checkout.MaxReference+1, "c")), 400, "parameter_invalid", "customer_id"},
		{"payment_id NUL", false, body("payment_id", "\x00"), 400, "parameter_invalid", "payment_id"},
		{"customer_id NUL", false, body("customer_id", "cus\x00"), 400, "parameter_invalid", "customer_id"},
		// metadata
		{"metadata 51 keys", false, body("metadata", metadata(51, 3, "v")), 400, "parameter_invalid", "metadata"},
		{"metadata key 41 characters", false, body("metadata", map[string]string{long(41, "k"): "v"}), 400, "parameter_invalid", "metadata[" + long(41, "k") + "]"},
		{"metadata key 41 accented characters", false, body("metadata", map[string]string{long(41, "é"): "v"}), 400, "parameter_invalid", "metadata[" + long(41, "é") + "]"},
		{"metadata empty key", false, body("metadata", map[string]string{"": "v"}), 400, "parameter_invalid", "metadata[]"},
		{"metadata value 501 characters", false, body("metadata", map[string]string{"order": long(501, "v")}), 400, "parameter_invalid", "metadata[order]"},
		{"metadata value number", false, body("metadata", map[string]any{"order": 42}), 400, "parameter_invalid_string", "metadata[order]"},
		{"metadata value bool", false, body("metadata", map[string]any{"paid": true}), 400, "parameter_invalid_string", "metadata[paid]"},
		{"metadata value object", false, body("metadata", map[string]any{"nested": map[string]string{"a": "b"}}), 400, "parameter_invalid_string", "metadata[nested]"},
		{"metadata value array", false, body("metadata", map[string]any{"list": []string{"a"}}), 400, "parameter_invalid_string", "metadata[list]"},
		{"metadata value NUL", false, body("metadata", map[string]string{"order": "\x00"}), 400, "parameter_invalid", "metadata[order]"},
		{"metadata key NUL", false, body("metadata", map[string]string{"k\x00": "v"}), 400, "parameter_invalid", "metadata[k\x00]"},
		{"metadata array", false, body("metadata", []string{"a", "b"}), 400, "parameter_invalid", "metadata"},
		{"metadata string", false, body("metadata", "order=1"), 400, "parameter_invalid", "metadata"},
		// unknown fields
		{"unknown field", false, body("foo", 1), 400, "parameter_unknown", "foo"},
		{"unknown field case", false, body("Amount", 5000), 400, "parameter_unknown", "Amount"},
		{"unknown status field", false, body("status", "completed"), 400, "parameter_unknown", "status"},
		{"unknown transaction_fee", false, body("transaction_fee", 0), 400, "parameter_unknown", "transaction_fee"},
		{"unknown fields first in order", false, body("zeta", 1, "alpha", 2), 400, "parameter_unknown", "alpha"},
		{"unknown field wins over missing", false, `{"foo":1}`, 400, "parameter_unknown", "foo"},
		// missing fields
		{"missing amount", false, body("amount", omitted{}), 400, "parameter_missing", "amount"},
		{"missing currency", false, body("currency", omitted{}), 400, "parameter_missing", "currency"},
		{"missing user_phone", false, body("user_phone", omitted{}), 400, "parameter_missing", "user_phone"},
		{"empty object", false, `{}`, 400, "parameter_missing", "amount"},
		{"empty body", false, ``, 400, "parameter_missing", "amount"},
		// not a JSON object
		{"malformed JSON", false, `{"amount": 5000,`, 400, "invalid_json", ""},
		{"single quotes", false, `{'amount': 5000}`, 400, "invalid_json", ""},
		{"trailing garbage", false, body() + `}`, 400, "invalid_json", ""},
		{"two objects", false, body() + body(), 400, "invalid_json", ""},
		{"JSON array", false, `[` + body() + `]`, 400, "invalid_json", ""},
		{"empty array", false, `[]`, 400, "invalid_json", ""},
		{"null body", false, `null`, 400, "invalid_json", ""},
		{"string body", false, `"amount=5000"`, 400, "invalid_json", ""},
		{"number body", false, `5000`, 400, "invalid_json", ""},
		{"form body", false, `amount=5000&currency=XOF`, 400, "invalid_json", ""},
	}
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		key, _ := e.merchant()
		xafKey, _ := e.merchant("XOF", "XAF")
		t.Run("rows", func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					k := key
					if c.xaf {
						k = xafKey
					}
					wantProblem(t, e.sub(t).post(k, c.body), c.status, c.code, c.param)
				})
			}
		})
		// "rows" returns once its parallel rows are done: nothing refused was stored.
		for _, k := range []string{key, xafKey} {
			r := e.do("GET", "/v1/checkouts", k, "")
			if r.status != 200 {
				t.Fatalf("list: %d %s", r.status, r.raw)
			}
			wantField(t, r.json(t), "total_count", 0)
		}
	})
}

// TestValidationIntegerMessage tells a value that is not an integer (a
// string, a bool, an array, an object, a fraction, an exponent) from an
// integer beyond int64.
func TestValidationIntegerMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testdb.SQLiteURL(t))
	key, _ := e.merchant()
	notInteger := "amount must be an integer."
	outOfRange := fmt.Sprintf("amount must be an integer between %d and %d.", math.MinInt64, math.MaxInt64)
	for _, c := range []struct {
		amount any
		want   string
	}{
		{"5000", notInteger}, {true, notInteger}, {[]int{5000}, notInteger}, {map[string]int{"v": 5000}, notInteger},
		{raw("5000.5"), notInteger}, {raw("5e3"), notInteger}, {raw("-0.0"), notInteger},
		{raw("9223372036854775808"), outOfRange}, {raw("-9223372036854775809"), outOfRange},
	} {
		r := e.post(key, body("amount", c.amount))
		var b struct {
			Error struct{ Message string } `json:"error"`
		}
		if err := json.Unmarshal(r.raw, &b); err != nil || r.status != 400 || b.Error.Message != c.want {
			t.Errorf("amount %v: %d %s, want 400 %q", c.amount, r.status, r.raw, c.want)
		}
	}
}

func TestValidationCreateAccepted(t *testing.T) {
	t.Parallel()
	amount := func(want int64) func(*testing.T, map[string]any) {
		return func(t *testing.T, got map[string]any) { wantField(t, got, "amount", want) }
	}
	field := func(name string, want any) func(*testing.T, map[string]any) {
		return func(t *testing.T, got map[string]any) { wantField(t, got, name, want) }
	}
	expires := func(want time.Duration) func(*testing.T, map[string]any) {
		return func(t *testing.T, got map[string]any) {
			if d := lifetime(t, got); d != want {
				t.Fatalf("expires_at - created_at = %v, want %v", d, want)
			}
		}
	}
	cases := []struct {
		name  string
		xaf   bool
		body  string
		check func(*testing.T, map[string]any)
	}{
		{"amount minimum", false, body("amount", 100), amount(100)},
		{"amount maximum", false, body("amount", int64(checkout.MaxAmount)), amount(checkout.MaxAmount)},
		{"currency XOF", false, body(), field("currency", "XOF")},
		{"currency lowercase", false, body("currency", "xof"), field("currency", "XOF")},
		{"currency mixed case", false, body("currency", "XoF"), field("currency", "XOF")},
		{"currency enabled XAF", true, body("currency", "XAF"), field("currency", "XAF")},
		{"currency enabled xaf lowercase", true, body("currency", "xaf"), field("currency", "XAF")},
		{"currency XOF for xaf merchant", true, body("currency", "XOF"), field("currency", "XOF")},
		{"phone E.164", false, body("user_phone", okPhone), field("user_phone", okPhone)},
		{"phone legacy, the provider's example", false, body("user_phone", legacyPhone), field("user_phone", legacyNorm)},
		{"phone other country", false, body("user_phone", "+221771234567"), field("user_phone", "+221771234567")},
		{"description 200 characters", false, body("description", strings.Repeat("a", 200)), field("description", strings.Repeat("a", 200))},
		{"description 200 accented characters", false, body("description", strings.Repeat("é", 200)), field("description", strings.Repeat("é", 200))},
		{"description absent", false, body(), field("description", "")},
		{"expires_in absent", false, body(), expires(1800 * time.Second)},
		{"expires_in null", false, body("expires_in", nil), expires(1800 * time.Second)},
		{"expires_in 300", false, body("expires_in", 300), expires(300 * time.Second)},
		{"expires_in 3600", false, body("expires_in", 3600), expires(time.Hour)},
		{"expires_in 86400", false, body("expires_in", 86400), expires(86400 * time.Second)},
		{"payment_id", false, body("payment_id", "order-42"), field("payment_id", "order-42")},
		{"payment_id 255 characters", false, body("payment_id", strings.Repeat("é", checkout.MaxReference)), field("payment_id", strings.Repeat("é", checkout.MaxReference))},
		{"customer_id", false, body("customer_id", "cus_42"), field("status", "created")},
		{"customer_id 255 characters", false, body("customer_id", strings.Repeat("c", checkout.MaxReference)), field("status", "created")},
		{"metadata 50 keys", false, body("metadata", metadata(50, 3, "v")), field("status", "created")},
		{"metadata key 40 characters", false, body("metadata", map[string]string{strings.Repeat("é", 40): "v"}), field("status", "created")},
		{"metadata value 500 characters", false, body("metadata", map[string]string{"k": strings.Repeat("é", 500)}), field("status", "created")},
		{"metadata empty", false, body("metadata", map[string]string{}), field("status", "created")},
		{"metadata null", false, body("metadata", nil), field("status", "created")},
		{"optional nulls", false, body("description", nil, "payment_id", nil, "customer_id", nil), field("payment_id", "")},
		{"whitespace around body", false, "\n\t " + body() + " \r\n", field("amount", 5000)},
	}
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		key, _ := e.merchant()
		xafKey, _ := e.merchant("XOF", "XAF")
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				k := key
				if c.xaf {
					k = xafKey
				}
				r := e.sub(t).post(k, c.body)
				if r.status != http.StatusCreated {
					t.Fatalf("status %d, want 201: %s", r.status, r.raw)
				}
				got := r.json(t)
				if id, _ := got["id"].(string); !strings.HasPrefix(id, "cs_test_") {
					t.Fatalf("id %q, want cs_test_…", id)
				}
				wantField(t, got, "status", "created")
				c.check(t, got)
				// What was answered is what was stored.
				g := e.sub(t).do("GET", "/v1/checkouts/"+got["id"].(string), k, "")
				if g.status != 200 || string(g.raw) != string(r.raw) {
					t.Fatalf("GET after create: %d %s, want 200 %s", g.status, g.raw, r.raw)
				}
			})
		}
	})
}

func TestValidationIdempotencyKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		headers []string
		status  int
		code    string
	}{
		{"missing", nil, 400, "parameter_missing"},
		{"empty", []string{"Idempotency-Key", ""}, 400, "parameter_missing"},
		{"1001 characters", []string{"Idempotency-Key", strings.Repeat("k", momoapi.MaxIdempotencyKey+1)}, 400, "parameter_invalid"},
		{"1001 accented characters", []string{"Idempotency-Key", strings.Repeat("é", momoapi.MaxIdempotencyKey+1)}, 400, "parameter_invalid"},
		{"1000 characters", []string{"Idempotency-Key", strings.Repeat("k", momoapi.MaxIdempotencyKey)}, 201, ""},
		{"lower-case header name", []string{"idempotency-key", randid.String(16)}, 201, ""},
	}
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		key, _ := e.merchant()
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				r := e.sub(t).do("POST", "/v1/checkouts", key, body(), c.headers...)
				if c.code == "" {
					if r.status != c.status {
						t.Fatalf("status %d, want %d: %s", r.status, c.status, r.raw)
					}
					return
				}
				wantProblem(t, r, c.status, c.code, "idempotency-key")
				if !strings.Contains(string(r.raw), "idempotency-key") {
					t.Fatalf("message does not name the header: %s", r.raw)
				}
			})
		}
	})
}

func TestValidationBodyLimit(t *testing.T) {
	t.Parallel()
	valid := body()
	pad := func(n int) string { return valid + strings.Repeat(" ", n-len(valid)) }
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		key, _ := e.merchant()
		t.Run("exactly 1 MiB accepted", func(t *testing.T) {
			t.Parallel()
			b := pad(httpapi.MaxBody)
			if len(b) != 1<<20 {
				t.Fatalf("body is %d bytes", len(b))
			}
			if r := e.sub(t).post(key, b); r.status != http.StatusCreated {
				t.Fatalf("status %d, want 201: %s", r.status, r.raw)
			}
		})
		for _, n := range []int{httpapi.MaxBody + 1, httpapi.MaxBody + 4096} {
			t.Run(fmt.Sprintf("%d bytes refused", n), func(t *testing.T) {
				t.Parallel()
				wantProblem(t, e.sub(t).post(key, pad(n)), http.StatusRequestEntityTooLarge, "body_too_large", "")
			})
		}
		t.Run("large description within 1 MiB", func(t *testing.T) {
			t.Parallel()
			b := body("description", strings.Repeat("d", httpapi.MaxBody-200))
			wantProblem(t, e.sub(t).post(key, b), 400, "parameter_invalid", "description")
		})
		t.Run("over 1 MiB on cancel", func(t *testing.T) {
			t.Parallel()
			e := e.sub(t)
			s := e.create(key, body())
			r := e.do("POST", "/v1/checkouts/"+s["id"].(string)+"/cancel", key, `{}`+strings.Repeat(" ", httpapi.MaxBody))
			wantProblem(t, r, http.StatusRequestEntityTooLarge, "body_too_large", "")
		})
	})
}

// searchFixture is three sessions of one merchant, all created at the env's clock time.
type searchFixture struct {
	key string
	now time.Time
}

func newSearchFixture(e *env) searchFixture {
	key, _ := e.merchant()
	e.create(key, body("amount", 1000, "user_phone", legacyPhone, "payment_id", "ord-1", "customer_id", "cus_1"))
	e.create(key, body("amount", 5000, "payment_id", "ord-2", "customer_id", "cus_2"))
	c := e.create(key, body("amount", 9000, "payment_id", "ord-3"))
	if r := e.do("POST", "/v1/checkouts/"+c["id"].(string)+"/cancel", key, ""); r.status != 200 {
		e.t.Fatalf("cancel: %d %s", r.status, r.raw)
	}
	return searchFixture{key: key, now: e.Clock.Now().UTC()}
}

func TestValidationSearchRefused(t *testing.T) {
	t.Parallel()
	const s, l = "/v1/checkout/search?", "/v1/checkouts?"
	cases := []struct {
		path  string
		code  string
		param string
	}{
		{s + "limit=0", "parameter_invalid_integer", "limit"},
		{s + "limit=101", "parameter_invalid_integer", "limit"},
		{s + "limit=-1", "parameter_invalid_integer", "limit"},
		{s + "limit=ten", "parameter_invalid_integer", "limit"},
		{s + "limit=1.5", "parameter_invalid_integer", "limit"},
		{s + "limit=", "parameter_invalid_integer", "limit"},
		{s + "limit=99999999999999999999", "parameter_invalid_integer", "limit"},
		{s + "offset=-1", "parameter_invalid_integer", "offset"},
		{s + "offset=x", "parameter_invalid_integer", "offset"},
		{s + "offset=1e3", "parameter_invalid_integer", "offset"},
		{s + "amount_min=-1", "parameter_invalid_integer", "amount_min"},
		{s + "amount_max=-1", "parameter_invalid_integer", "amount_max"},
		{s + "amount_min=1.5", "parameter_invalid_integer", "amount_min"},
		{s + "amount_max=lots", "parameter_invalid_integer", "amount_max"},
		{s + "amount_min=9223372036854775808", "parameter_invalid_integer", "amount_min"},
		{s + "amount_min=500&amount_max=100", "parameter_invalid", "amount_min"},
		{s + "amount_min=101&amount_max=100", "parameter_invalid", "amount_min"},
		{s + "start_date=2024-13-01", "parameter_invalid", "start_date"},
		{s + "start_date=31%2F01%2F2024", "parameter_invalid", "start_date"},
		{s + "start_date=yesterday", "parameter_invalid", "start_date"},
		{s + "start_date=2024-01-31T10:00:00", "parameter_invalid", "start_date"},
		{s + "start_date=1706695200", "parameter_invalid", "start_date"},
		{s + "start_date=", "parameter_invalid", "start_date"},
		{s + "end_date=2024-02-30", "parameter_invalid", "end_date"},
		{s + "end_date=2024-01-31T25:00:00Z", "parameter_invalid", "end_date"},
		{s + "end_date=2024-1-31", "parameter_invalid", "end_date"},
		{s + "start_date=2024-02-01&end_date=2024-01-01", "parameter_invalid", "start_date"},
		{s + "status=paid", "parameter_invalid", "status"},
		{s + "status=CREATED", "parameter_invalid", "status"},
		{s + "foo=bar", "parameter_unknown", "foo"},
		{s + "Limit=10", "parameter_unknown", "Limit"},
		{s + "page=2", "parameter_unknown", "page"},
		{s + "zeta=1&alpha=2", "parameter_unknown", "alpha"},
		{s + "limit=1&limit=2", "parameter_invalid", "limit"},
		{s + "status=created&status=created", "parameter_invalid", "status"},
		{s + "user_phone=abc", "parameter_invalid", "user_phone"},
		{s + "user_phone=0707000001", "parameter_invalid", "user_phone"},
		{s + "user_phone=%2B225", "parameter_invalid", "user_phone"},
		{s + "reference=%00", "parameter_invalid", "reference"},
		{s + "reference=ord%FF", "parameter_invalid", "reference"},
		{s + "customer_id=%00", "parameter_invalid", "customer_id"},
		{s + "customer_id=%C3%28", "parameter_invalid", "customer_id"},
		{l + "amount_min=100", "parameter_unknown", "amount_min"},
		{l + "user_phone=%2B2250707000001", "parameter_unknown", "user_phone"},
		{l + "start_date=2024-01-01", "parameter_unknown", "start_date"},
		{l + "reference=ord-1", "parameter_unknown", "reference"},
		{l + "customer_id=cus_1", "parameter_unknown", "customer_id"},
		{l + "limit=0", "parameter_invalid_integer", "limit"},
		{l + "limit=101", "parameter_invalid_integer", "limit"},
		{l + "offset=-1", "parameter_invalid_integer", "offset"},
		{l + "status=paid", "parameter_invalid", "status"},
		{l + "status=created&status=pending", "parameter_invalid", "status"},
	}
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		f := newSearchFixture(e)
		for _, c := range cases {
			t.Run(c.path, func(t *testing.T) {
				t.Parallel()
				wantProblem(t, e.sub(t).do("GET", c.path, f.key, ""), 400, c.code, c.param)
			})
		}
	})
}

func TestValidationSearchAccepted(t *testing.T) {
	t.Parallel()
	const s, l = "/v1/checkout/search?", "/v1/checkouts?"
	type want struct {
		n, total int
		next     any // next_offset: nil or a number
	}
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		f := newSearchFixture(e)
		day := f.now.Format(time.DateOnly)
		yesterday := f.now.AddDate(0, 0, -1).Format(time.DateOnly)
		tomorrow := f.now.AddDate(0, 0, 1).Format(time.DateOnly)
		at := func(t time.Time, zone *time.Location) string {
			return url.QueryEscape(t.In(zone).Format(time.RFC3339Nano))
		}
		plus1 := time.FixedZone("+01:00", 3600)
		cases := []struct {
			path string
			want want
		}{
			{s, want{3, 3, nil}},
			{s + "limit=1", want{1, 3, 1}},
			{s + "limit=100", want{3, 3, nil}},
			{s + "limit=2&offset=1", want{2, 3, nil}},
			{s + "offset=2", want{1, 3, nil}},
			{s + "offset=3", want{0, 3, nil}},
			{s + "offset=0", want{3, 3, nil}},
			{s + "amount_min=0", want{3, 3, nil}},
			{s + "amount_min=5000&amount_max=5000", want{1, 1, nil}},
			{s + "amount_min=1000&amount_max=5000", want{2, 2, nil}},
			{s + "amount_max=999", want{0, 0, nil}},
			{s + "amount_max=" + strconv.Itoa(checkout.MaxAmount), want{3, 3, nil}},
			{s + "status=cancelled", want{1, 1, nil}},
			{s + "status=created", want{2, 2, nil}},
			{s + "status=", want{3, 3, nil}},
			{s + "user_phone=" + url.QueryEscape(legacyPhone), want{1, 1, nil}},
			{s + "user_phone=" + url.QueryEscape(legacyNorm), want{1, 1, nil}},
			{s + "user_phone=" + url.QueryEscape(okPhone), want{2, 2, nil}},
			{s + "reference=ord-2", want{1, 1, nil}},
			{s + "reference=ord-9", want{0, 0, nil}},
			{s + "customer_id=cus_1", want{1, 1, nil}},
			{s + "start_date=" + day, want{3, 3, nil}},
			{s + "start_date=" + tomorrow, want{0, 0, nil}},
			{s + "end_date=" + day, want{3, 3, nil}},
			{s + "end_date=" + yesterday, want{0, 0, nil}},
			{s + "start_date=" + day + "&end_date=" + day, want{3, 3, nil}},
			{s + "start_date=" + at(f.now.Add(-time.Hour), time.UTC), want{3, 3, nil}},
			{s + "start_date=" + at(f.now.Add(time.Second), plus1), want{0, 0, nil}},
			{s + "end_date=" + at(f.now.Add(-time.Hour), plus1), want{0, 0, nil}},
			{s + "end_date=" + at(f.now.Truncate(time.Microsecond), plus1), want{3, 3, nil}}, // the end is inclusive
			// An unescaped "+" arrives as a space; the offset is still understood.
			{s + "end_date=" + f.now.Add(-time.Hour).In(plus1).Format(time.RFC3339), want{0, 0, nil}},
			{l, want{3, 3, nil}},
			{l + "status=created&limit=1&offset=1", want{1, 2, nil}},
			{l + "limit=1", want{1, 3, 1}},
		}
		for _, c := range cases {
			t.Run(c.path, func(t *testing.T) {
				t.Parallel()
				r := e.sub(t).do("GET", c.path, f.key, "")
				if r.status != 200 {
					t.Fatalf("status %d: %s", r.status, r.raw)
				}
				got := r.json(t)
				if n := len(got["sessions"].([]any)); n != c.want.n {
					t.Fatalf("%d sessions, want %d: %s", n, c.want.n, r.raw)
				}
				wantField(t, got, "total_count", c.want.total)
				wantField(t, got, "has_more", c.want.next != nil)
				wantField(t, got, "next_offset", c.want.next)
			})
		}
	})
}

func TestValidationSearchDefaultLimit(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		key, _ := e.merchant()
		for range momoapi.DefaultLimit + 1 {
			e.create(key, body())
		}
		for _, c := range []struct {
			path string
			n    int
			next any
		}{
			{"/v1/checkouts", 50, 50},
			{"/v1/checkout/search", 50, 50},
			{"/v1/checkouts?limit=100", 51, nil},
			{"/v1/checkout/search?offset=50", 1, nil},
		} {
			r := e.do("GET", c.path, key, "")
			if r.status != 200 {
				t.Fatalf("%s: %d %s", c.path, r.status, r.raw)
			}
			got := r.json(t)
			if n := len(got["sessions"].([]any)); n != c.n {
				t.Fatalf("%s: %d sessions, want %d", c.path, n, c.n)
			}
			wantField(t, got, "total_count", 51)
			wantField(t, got, "next_offset", c.next)
		}
	})
}

func TestValidationCancel(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		key, live := e.merchant()
		otherKey, _ := e.merchant()
		scope := e.scope(key)
		cancel := func(e *env, k, id, body string) response {
			return e.do("POST", "/v1/checkouts/"+id+"/cancel", k, body)
		}
		// move walks a session through the status machine, on its route to
		// status, behind the API's back.
		move := func(e *env, id string, status checkout.Status) {
			from := checkout.StatusCreated
			for _, tr := range checkout.Route(from, status) {
				c := store.StatusChange{ID: id, From: from, To: tr.To, At: e.Clock.Now()}
				if _, err := e.Server.Store.SessionChangeStatus(context.Background(), scope, c); err != nil {
					e.t.Fatalf("%s → %s: %v", from, tr.To, err)
				}
				from = tr.To
			}
			if from != status {
				e.t.Fatalf("no route to status %s", status)
			}
		}

		t.Run("created then twice", func(t *testing.T) {
			t.Parallel()
			e := e.sub(t)
			id := e.create(key, body())["id"].(string)
			r := cancel(e, key, id, "")
			if r.status != 200 {
				t.Fatalf("first cancel: %d %s", r.status, r.raw)
			}
			wantField(t, r.json(t), "status", "cancelled")
			wantProblem(t, cancel(e, key, id, ""), http.StatusConflict, "session_state", "")
			got := e.do("GET", "/v1/checkouts/"+id, key, "").json(t)
			wantField(t, got, "status", "cancelled")
		})
		t.Run("with an empty object body", func(t *testing.T) {
			t.Parallel()
			e := e.sub(t)
			id := e.create(key, body())["id"].(string)
			if r := cancel(e, key, id, `{}`); r.status != 200 {
				t.Fatalf("cancel {}: %d %s", r.status, r.raw)
			}
		})
		t.Run("from pending", func(t *testing.T) {
			t.Parallel()
			e := e.sub(t)
			id := e.create(key, body())["id"].(string)
			move(e, id, checkout.StatusPending)
			r := cancel(e, key, id, "")
			if r.status != 200 {
				t.Fatalf("cancel pending: %d %s", r.status, r.raw)
			}
			wantField(t, r.json(t), "status", "cancelled")
		})
		for _, status := range []checkout.Status{
			checkout.StatusProcessing, checkout.StatusCompleted, checkout.StatusFailed, checkout.StatusExpired,
		} {
			t.Run("from "+string(status), func(t *testing.T) {
				t.Parallel()
				e := e.sub(t)
				id := e.create(key, body())["id"].(string)
				move(e, id, status)
				r := cancel(e, key, id, "")
				wantProblem(t, r, http.StatusConflict, "session_state", "")
				if !strings.Contains(string(r.raw), string(status)) {
					t.Fatalf("message does not name the status %s: %s", status, r.raw)
				}
				wantField(t, e.do("GET", "/v1/checkouts/"+id, key, "").json(t), "status", status)
			})
		}
		t.Run("unknown id", func(t *testing.T) {
			t.Parallel()
			e := e.sub(t)
			wantProblem(t, cancel(e, key, "cs_test_doesnotexist", ""), http.StatusNotFound, "resource_missing", "id")
			wantProblem(t, e.do("GET", "/v1/checkouts/cs_test_doesnotexist", key, ""), http.StatusNotFound, "resource_missing", "id")
			for _, id := range []string{"%00", "cs_test_%FF", "cs_test_%C0%AF"} {
				wantProblem(t, cancel(e, key, id, ""), http.StatusNotFound, "resource_missing", "id")
				wantProblem(t, e.do("GET", "/v1/checkouts/"+id, key, ""), http.StatusNotFound, "resource_missing", "id")
			}
		})
		t.Run("other tenant", func(t *testing.T) {
			t.Parallel()
			e := e.sub(t)
			id := e.create(key, body())["id"].(string)
			wantProblem(t, cancel(e, otherKey, id, ""), http.StatusNotFound, "resource_missing", "id")
			wantProblem(t, cancel(e, live, id, ""), http.StatusNotFound, "resource_missing", "id")
			wantField(t, e.do("GET", "/v1/checkouts/"+id, key, "").json(t), "status", "created")
		})
		t.Run("bad bodies", func(t *testing.T) {
			t.Parallel()
			e := e.sub(t)
			id := e.create(key, body())["id"].(string)
			wantProblem(t, cancel(e, key, id, `{"reason":"changed my mind"}`), 400, "parameter_unknown", "reason")
			wantProblem(t, cancel(e, key, id, `{`), 400, "invalid_json", "")
			wantProblem(t, cancel(e, key, id, `[]`), 400, "invalid_json", "")
			wantProblem(t, cancel(e, key, id, `null`), 400, "invalid_json", "")
			// None of them cancelled it.
			wantField(t, e.do("GET", "/v1/checkouts/"+id, key, "").json(t), "status", "created")
		})
	})
}

func TestAuth(t *testing.T) {
	t.Parallel()
	basic := func(user string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":")) }
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		key, _ := e.merchant()
		get := func(e *env, auth string) response {
			return e.do("GET", "/v1/checkouts", "", "", "Authorization", auth)
		}

		t.Run("no authorization header", func(t *testing.T) {
			t.Parallel()
			e := e.sub(t)
			r := e.do("GET", "/v1/checkouts", "", "")
			wantProblem(t, r, http.StatusUnauthorized, "unauthorized", "")
			if r.header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
			// Authentication comes before validation.
			wantProblem(t, e.do("POST", "/v1/checkouts", "", `{"amount":1}`), http.StatusUnauthorized, "unauthorized", "")
			wantProblem(t, e.do("POST", "/v1/checkouts/cs_test_x/cancel", "", ""), http.StatusUnauthorized, "unauthorized", "")
			wantProblem(t, e.do("GET", "/v1/checkout/search?foo=1", "", ""), http.StatusUnauthorized, "unauthorized", "")
		})
		for _, auth := range []string{
			"Bearer", "Bearer ", "Token " + key, key, "Basic", "Basic !!!notbase64", basic(""),
			"Bearer " + strings.ToUpper(key), "Bearer " + key + "x", "Bearer pk_test_" + key[len("sk_test_"):],
			"Bearer sk_test_", "Bearer sk_test_" + strings.Repeat("a", 200),
		} {
			t.Run("refused "+auth, func(t *testing.T) {
				t.Parallel()
				wantProblem(t, get(e.sub(t), auth), http.StatusUnauthorized, "unauthorized", "")
			})
		}
		for _, k := range []string{
			"sk_test_NoSuchKeyForCaisseTests00000WXYZ",
			"sk_test_" + randid.String(32),
			"sk_live_" + randid.String(32),
		} {
			t.Run("unknown key "+k[:8], func(t *testing.T) {
				t.Parallel()
				e := e.sub(t)
				for _, r := range []response{get(e, "Bearer "+k), get(e, basic(k))} {
					wantProblem(t, r, http.StatusUnauthorized, "unauthorized", "")
					text := string(r.raw)
					if !strings.Contains(text, "****"+k[len(k)-4:]) {
						t.Fatalf("message does not show the last 4 characters: %s", text)
					}
					secret := k[len("sk_test_"):]
					for i := 0; i+5 <= len(secret); i++ {
						if strings.Contains(text, secret[i:i+5]) {
							t.Fatalf("body shows %q of the key %s: %s", secret[i:i+5], k, text)
						}
					}
				}
				if strings.Contains(e.Logs.String(), k[len("sk_test_"):]) {
					t.Fatalf("the server logged the key %s", k)
				}
			})
		}
		t.Run("bearer and basic", func(t *testing.T) {
			t.Parallel()
			e := e.sub(t)
			for _, auth := range []string{"Bearer " + key, "bearer " + key, basic(key), "Basic " + base64.StdEncoding.EncodeToString([]byte(key))} {
				if r := get(e, auth); r.status != 200 {
					t.Fatalf("%s…: %d %s", auth[:12], r.status, r.raw)
				}
			}
			// Basic works on writes too.
			r := e.do("POST", "/v1/checkouts", "", body(), "Authorization", basic(key), "Idempotency-Key", randid.String(16))
			if r.status != http.StatusCreated {
				t.Fatalf("create with Basic: %d %s", r.status, r.raw)
			}
		})
		t.Run("revoked key", func(t *testing.T) {
			t.Parallel()
			e := e.sub(t)
			k, l := e.merchant()
			if r := get(e, "Bearer "+k); r.status != 200 {
				t.Fatalf("before revocation: %d %s", r.status, r.raw)
			}
			p, err := e.Server.Merchants.Authenticate(context.Background(), k)
			if err != nil {
				t.Fatal(err)
			}
			keys, err := e.Server.Store.KeyList(context.Background(), p.Merchant.ID)
			if err != nil || len(keys) != 2 {
				t.Fatalf("KeyList: %v %v", keys, err)
			}
			if err := e.Server.Store.KeyRevoke(context.Background(), p.KeyID, e.Clock.Now()); err != nil {
				t.Fatal(err)
			}
			// A revocation reaches every node within merchant.PrincipalTTL.
			e.Clock.Set(e.Clock.Now().Add(merchant.PrincipalTTL))
			wantProblem(t, get(e, "Bearer "+k), http.StatusUnauthorized, "unauthorized", "")
			wantProblem(t, get(e, basic(k)), http.StatusUnauthorized, "unauthorized", "")
			wantProblem(t, e.post(k, body()), http.StatusUnauthorized, "unauthorized", "")
			// Only that key: the merchant's live key still works.
			if r := get(e, "Bearer "+l); r.status != 200 {
				t.Fatalf("live key after revoking the test key: %d %s", r.status, r.raw)
			}
		})
		t.Run("live key sees no test session", func(t *testing.T) {
			t.Parallel()
			e := e.sub(t)
			k, l := e.merchant()
			id := e.create(k, body())["id"].(string)
			for _, path := range []string{"/v1/checkouts", "/v1/checkout/search", "/v1/checkout/search?status=created"} {
				got := e.do("GET", path, l, "").json(t)
				wantField(t, got, "total_count", 0)
				wantField(t, got, "sessions", []any{})
				got = e.do("GET", path, k, "").json(t)
				wantField(t, got, "total_count", 1)
			}
			wantProblem(t, e.do("GET", "/v1/checkouts/"+id, l, ""), http.StatusNotFound, "resource_missing", "id")
			// … and the other way round.
			liveID := e.create(l, body())["id"].(string)
			if !strings.HasPrefix(liveID, "cs_live_") {
				t.Fatalf("live session id %q", liveID)
			}
			wantProblem(t, e.do("GET", "/v1/checkouts/"+liveID, k, ""), http.StatusNotFound, "resource_missing", "id")
			wantField(t, e.do("GET", "/v1/checkouts", k, "").json(t), "total_count", 1)
			// Another merchant's keys see neither.
			other, otherLive := e.merchant()
			wantField(t, e.do("GET", "/v1/checkouts", other, "").json(t), "total_count", 0)
			wantField(t, e.do("GET", "/v1/checkouts", otherLive, "").json(t), "total_count", 0)
			wantProblem(t, e.do("GET", "/v1/checkouts/"+id, other, ""), http.StatusNotFound, "resource_missing", "id")
		})
	})
}

// TestValidationNo500 throws nasty input at every route: each must be refused
// with a 4xx in the error shape, never a 500.
func TestValidationNo500(t *testing.T) {
	t.Parallel()
	nested := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	type req struct {
		name, method, path, body string
		headers                  []string
	}
	post := func(name, b string) req { return req{name, "POST", "/v1/checkouts", b, nil} }
	get := func(path string) req { return req{path, "GET", path, "", nil} }
	reqs := []req{
		post("nested arrays", nested),
		post("nested objects", strings.Repeat(`{"a":`, 20_000)+"1"+strings.Repeat("}", 20_000)),
		post("invalid UTF-8", "\xff\xfe{\"amount\":5000}"),
		post("byte order mark", "\xef\xbb\xbf"+body()),
		post("NUL byte body", "\x00"),
		post("NUL in description", body("description", "a\x00b")),
		post("NUL in payment_id", body("payment_id", "\x00")),
		post("NUL in customer_id", body("customer_id", "cus\x00")),
		post("NUL in metadata value", body("metadata", map[string]string{"k": "\x00"})),
		post("NUL in metadata key", body("metadata", map[string]string{"k\x00": "v"})),
		post("NUL in phone", body("user_phone", "+2250707000001\x00")),
		post("NUL in currency", body("currency", "XO\x00")),
		post("NUL in field name", `{"amount\u0000":5000}`),
		post("lone surrogate in field name", `{"\ud800":1}`),
		post("unicode digits amount", body("amount", "５０００")),
		post("amount 1e400", body("amount", raw("1e400"))),
		post("amount -1e400", body("amount", raw("-1e400"))),
		post("amount 0.0000001", body("amount", raw("0.0000001"))),
		post("amount 100 digits", body("amount", raw(strings.Repeat("9", 100)))),
		post("expires_in MaxInt64", body("expires_in", int64(math.MaxInt64))),
		post("expires_in MinInt64", body("expires_in", int64(math.MinInt64))),
		post("metadata 10000 keys", body("metadata", metadata(10_000, 8, "v"))),
		post("description 100000 characters", body("description", strings.Repeat("é", 100_000))),
		post("phone 1000 digits", body("user_phone", "+"+strings.Repeat("7", 1000))),
		post("phone plus signs", body("user_phone", "++++++++++")),
		post("currency emoji", body("currency", "💶")),
		{"idempotency-key 100000 characters", "POST", "/v1/checkouts", body(), []string{"Idempotency-Key", strings.Repeat("k", 100_000)}},
		{"idempotency-key invalid UTF-8", "POST", "/v1/checkouts", `{"amount":1}`, []string{"Idempotency-Key", "k\xff\xfe"}},
		{"cancel idempotency-key invalid UTF-8", "POST", "/v1/checkouts/cs_test_x/cancel", "", []string{"Idempotency-Key", "k\xff"}},
		{"cancel NUL id", "POST", "/v1/checkouts/%00/cancel", "", nil},
		{"cancel invalid UTF-8 id", "POST", "/v1/checkouts/%FF%FE/cancel", "", nil},
		{"cancel long id", "POST", "/v1/checkouts/" + strings.Repeat("a", 10_000) + "/cancel", "", nil},
		{"cancel nested body", "POST", "/v1/checkouts/cs_test_x/cancel", nested, nil},
		get("/v1/checkouts/%00"),
		get("/v1/checkouts/%FF"),
		get("/v1/checkouts/cs_test_%C0%AF"),
		get("/v1/checkouts/" + strings.Repeat("%E2%82%AC", 2000)),
		get("/v1/checkouts/..%2F..%2Fetc%2Fpasswd"),
		get("/v1/checkout/search?reference=%00"),
		get("/v1/checkout/search?reference=%FF"),
		get("/v1/checkout/search?customer_id=%00"),
		get("/v1/checkout/search?customer_id=%C3%28"),
		get("/v1/checkout/search?status=%00"),
		get("/v1/checkout/search?status=%FF"),
		get("/v1/checkout/search?user_phone=%00"),
		get("/v1/checkout/search?user_phone=%2B225%FF"),
		get("/v1/checkout/search?start_date=%00"),
		get("/v1/checkout/search?start_date=9999-99-99"),
		get("/v1/checkout/search?end_date=10000-01-01"),
		get("/v1/checkout/search?start_date=2024-01-01T00:00:00%2B99:00"),
		get("/v1/checkout/search?limit=%00"),
		get("/v1/checkout/search?offset=99999999999999999999"),
		get("/v1/checkout/search?offset=1000000001"),
		get("/v1/checkout/search?amount_min=%2B-1"),
		get("/v1/checkout/search?amount_max=" + strconv.Itoa(checkout.MaxAmount+1)),
		get("/v1/checkout/search?%00=1"),
		get("/v1/checkout/search?%FF=1"),
		get("/v1/checkouts?status=%00"),
		get("/v1/checkouts?limit=1&limit=1&limit=1"),
	}
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		key, _ := e.merchant()
		for _, rq := range reqs {
			t.Run(rq.name, func(t *testing.T) {
				t.Parallel()
				headers := rq.headers
				if rq.method == "POST" && headers == nil {
					headers = []string{"Idempotency-Key", randid.String(16)}
				}
				r := e.sub(t).do(rq.method, rq.path, key, rq.body, headers...)
				if r.status < 400 || r.status > 499 {
					t.Fatalf("status %d, want 4xx: %.300s", r.status, r.raw)
				}
				wantShape(t, r)
			})
		}
	})
}

// TestUnrecognizedURL checks that a /v1/… URL no endpoint serves answers
// what a mobile-money client reads (code, message, param null); the answer
// also has Stripe's type, since the URL belongs to no dialect (api-momo.md).
func TestUnrecognizedURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testdb.SQLiteURL(t))
	key, _ := e.merchant()
	for _, method := range []string{"GET", "POST", "DELETE"} {
		r := e.do(method, "/v1/nope", key, "")
		wantError(t, r, http.StatusNotFound, "resource_missing", "")
		if msg := r.json(t)["error"].(map[string]any)["message"]; !strings.HasPrefix(msg.(string), "Unrecognized request URL ("+method+": /v1/nope).") {
			t.Errorf("%s /v1/nope: message %q", method, msg)
		}
	}
}

func TestValidationMalformedQuery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testdb.SQLiteURL(t))
	key, _ := e.merchant()
	for _, q := range []string{"/v1/checkout/search?limit=%zz", "/v1/checkouts?status=%"} {
		wantError(t, e.do("GET", q, key, ""), http.StatusBadRequest, "parameter_invalid", "")
	}
}

func TestValidationSearchAsShown(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		key, _ := e.merchant()
		e.Clock.Set(time.Date(2024, 5, 1, 10, 0, 0, 500_000_000, time.UTC)) // shown as 10:00:00Z
		s := e.create(key, seedCreate)
		// The end bound is the time as caisse shows it; an unescaped '+' in a phone number is still a '+'.
		for _, q := range []string{
			"end_date=" + s["created_at"].(string),
			"start_date=" + s["created_at"].(string),
			"user_phone=+2250707987654",
			"end_date=2024-05-01T11:00:00+01:00",
		} {
			if got := e.search(key, q); got.total != 1 {
				t.Errorf("%s: %d sessions, want 1", q, got.total)
			}
		}
		if got := e.search(key, "end_date=2024-05-01T09:59:59Z"); got.total != 0 {
			t.Errorf("end before creation: %d sessions", got.total)
		}
	})
}
