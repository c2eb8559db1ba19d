package stripeapi_test

// Fuzz targets for the Stripe dialect's decoders (form and bracket notation,
// JSON bodies, WooshPay's list body), each against a real server on SQLite:
// every answer is Stripe's error object with a 4xx, or a success; never a
// 5xx or a panic. Seeds are real requests (f.Add) and the regressions under
// testdata/fuzz/; docs/testing.md says how to run them for longer.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// stripeSend serves one request authenticated with the test key and checks
// the answer: a 4xx is Stripe's error object, a 2xx a JSON object of the type want.
func stripeSend(t *testing.T, z *testserver.Fuzz, req *http.Request, want string) {
	t.Helper()
	req.SetBasicAuth(z.Key, "")
	rec := z.Do(t, req)
	if rec.Code >= 400 {
		checkStripeError(t, rec)
		return
	}
	var body struct{ Object string }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Object != want {
		t.Fatalf("%d %.300s: want a %s object", rec.Code, rec.Body.Bytes(), want)
	}
}

// stripeErrorFields are the fields of Stripe's error object caisse sends.
var stripeErrorFields = map[string]bool{"type": true, "message": true, "code": true, "param": true}

// checkStripeError fails unless the answer is Stripe's
// {"error": {type, message[, code][, param]}}, every field a non-empty string.
func checkStripeError(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	var body map[string]map[string]any
	err := json.Unmarshal(rec.Body.Bytes(), &body)
	e := body["error"]
	ok := err == nil && len(body) == 1 && e["type"] != nil && e["message"] != nil
	for k, v := range e {
		s, isString := v.(string)
		ok = ok && isString && s != "" && stripeErrorFields[k]
	}
	if !ok {
		t.Fatalf("%d %.300s: want Stripe's error object", rec.Code, rec.Body.Bytes())
	}
}

// createForm is a valid create request in form encoding, as stripe-go sends it.
const createForm = "mode=payment&success_url=https%3A%2F%2Fshop.example%2Fok&cancel_url=https%3A%2F%2Fshop.example%2Fko" +
	"&line_items[0][price_data][currency]=xof&line_items[0][price_data][unit_amount]=2500" +
	"&line_items[0][price_data][product_data][name]=Atti%C3%A9k%C3%A9&line_items[0][quantity]=2"

// FuzzStripeCreate posts a form-encoded (or, with asJSON, JSON) body to POST /v1/checkout/sessions.
func FuzzStripeCreate(f *testing.F) {
	for _, body := range []string{
		createForm,
		createForm + "&metadata[order]=123&client_reference_id=ORDER_123&customer_email=awa%40example.com&locale=fr",
		createForm + "&expand[]=line_items&payment_method_types[]=mobile_money&payment_method_types[]=card",
		createForm + "&line_items[1][price_data][currency]=xof&line_items[1][price_data][unit_amount]=100" +
			"&line_items[1][price_data][product_data][name]=Eau&line_items[1][price_data][product_data][description]=1L" +
			"&line_items[1][quantity]=3&customer=cus_1&expires_at=4102444800",
		"mode=payment&line_items[0][price]=price_1&line_items[0][quantity]=1",
		createForm + "&line_items[0][price_data][product_data][name]=%00",
		createForm + "&expires_at=9223372036854775807",
		createForm + "&metadata[%FF]=1&customer=%FF",
	} {
		f.Add(body, false)
	}
	f.Add(`{"mode":"payment","success_url":"https://shop.example/ok","line_items":[{"price_data":{"currency":"xof",`+
		`"unit_amount":2500,"product_data":{"name":"Attiéké"}},"quantity":2}],"metadata":{"order":"123"}}`, true)
	f.Add(`{"mode":"payment","line_items":{"0":{"quantity":1e400}},"expand":["line_items"],"metadata":null}`, true)
	z := testserver.StartFuzz(f, testdb.FuzzURL(f))
	f.Fuzz(func(t *testing.T, body string, asJSON bool) {
		req := httptest.NewRequest(http.MethodPost, "/v1/checkout/sessions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if asJSON {
			req.Header.Set("Content-Type", "application/json")
		}
		stripeSend(t, z, req, "checkout.session")
	})
}

// stripeLists are the lists FuzzStripeList reads, by its route: sessions,
// events (created and the page read alike) and webhook endpoints (the page).
var stripeLists = []string{"/v1/checkout/sessions", "/v1/events", "/v1/webhook_endpoints"}

// FuzzStripeList sends query as the query string of one of stripeLists.
func FuzzStripeList(f *testing.F) {
	for _, query := range []string{
		"", "limit=3&status=open", "status=complete&expand[]=data.line_items", "created=1700000000",
		"created[gte]=1700000000&created[lt]=1800000000", "created[gt]=0&created[lte]=253402300799",
		"customer=cus_1&customer_details[email]=awa%40example.com", "starting_after=cs_test_x", "ending_before=cs_test_x",
		"payment_intent=pi_1&limit=100",
		"customer=%00", "customer_details[email]=a%00b", "customer=%FF",
		"created[lt]=9999999999999", "created[gt]=9223372036854775807", "created=-9223372036854775808",
	} {
		f.Add(query, uint8(0))
	}
	f.Add("type=checkout.session.*&created[gte]=1700000000&limit=5", uint8(1))
	f.Add("types[]=checkout.session.completed&types[]=checkout.session.expired", uint8(1))
	f.Add("created[lte]=9223372036854775807", uint8(1))
	f.Add("limit=2&starting_after=we_x", uint8(2))
	z := testserver.StartFuzz(f, testdb.FuzzURL(f))
	f.Fuzz(func(t *testing.T, query string, route uint8) {
		req := httptest.NewRequest(http.MethodGet, stripeLists[int(route)%len(stripeLists)], nil)
		req.URL.RawQuery = query
		stripeSend(t, z, req, "list")
	})
}

// FuzzWooshPayList sends WooshPay's list: GET /v1/checkout/sessions/list with
// filters in the query string and a JSON body.
func FuzzWooshPayList(f *testing.F) {
	f.Add("", []byte(`{"limit":3,"status":"open"}`))
	f.Add("limit=2", []byte(`{"customer":"cus_1","expand":["data.line_items"]}`))
	f.Add("", []byte(`{"created":{"gte":1700000000,"lt":1800000000},"customer_details":{"email":"awa@example.com"}}`))
	f.Add("status=expired", []byte(`{"starting_after":"cs_test_x"}`))
	f.Add("", []byte(`{"customer":"a\u0000b"}`))
	f.Add("", []byte(`{"created":{"gt":9223372036854775807}}`))
	f.Add("", []byte(`{"limit":1e400,"created":[]}`))
	z := testserver.StartFuzz(f, testdb.FuzzURL(f))
	f.Fuzz(func(t *testing.T, query string, body []byte) {
		req := httptest.NewRequest(http.MethodGet, "/v1/checkout/sessions/list", strings.NewReader(string(body)))
		req.URL.RawQuery = query
		req.Header.Set("Content-Type", "application/json")
		stripeSend(t, z, req, "list")
	})
}

// TestEdgeInputsRefused sends, on both engines, the inputs that once answered
// 500 on PostgreSQL or silently listed everything (created[gt] overflowing),
// and their neighbours: each is a 400 naming the parameter.
func TestEdgeInputsRefused(t *testing.T) {
	t.Parallel()
	const list, woosh = "/v1/checkout/sessions?", "/v1/checkout/sessions/list"
	cases := []struct {
		name, method, path, body, param string
	}{
		{"NUL customer", "GET", list + "customer=%00", "", "customer"},
		{"invalid UTF-8 customer", "GET", list + "customer=%FF", "", "customer"},
		{"NUL email", "GET", list + "customer_details[email]=a%00b", "", "customer_details[email]"},
		{"NUL cursor", "GET", list + "starting_after=cs_%00", "", "starting_after"},
		{"created[lt] year 318857", "GET", list + "created[lt]=9999999999999", "", "created[lt]"},
		{"created[gt] MaxInt64", "GET", list + "created[gt]=9223372036854775807", "", "created[gt]"},
		{"created[lte] MaxInt64", "GET", list + "created[lte]=9223372036854775807", "", "created[lte]"},
		{"created[gte] before 1970", "GET", list + "created[gte]=-1", "", "created[gte]"},
		{"created MinInt64", "GET", list + "created=-9223372036854775808", "", "created"},
		{"created year 10000", "GET", list + "created=253402300800", "", "created"},
		{"limit beyond int64", "GET", list + "limit=9223372036854775808", "", "limit"},
		{"events created[gt] MaxInt64", "GET", "/v1/events?created[gt]=9223372036854775807", "", "created[gt]"},
		{"WooshPay NUL customer", "GET", woosh, `{"customer":"a\u0000b"}`, "customer"},
		{"WooshPay NUL email", "GET", woosh, `{"customer_details":{"email":"\u0000"}}`, "customer_details[email]"},
		{"WooshPay created[lt] year 318857", "GET", woosh, `{"created":{"lt":9999999999999}}`, "created[lt]"},
		{"create NUL name", "POST", "/v1/checkout/sessions",
			strings.Replace(createForm, "Atti%C3%A9k%C3%A9", "a%00b", 1), "line_items[0][price_data][product_data][name]"},
		{"create invalid UTF-8 metadata", "POST", "/v1/checkout/sessions", createForm + "&metadata[k]=%FF", "metadata[k]"},
		{"create NUL expand", "POST", "/v1/checkout/sessions", createForm + "&expand[]=%00", "expand[0]"},
		{"create expires_at MaxInt64", "POST", "/v1/checkout/sessions", createForm + "&expires_at=9223372036854775807", "expires_at"},
		{"create expires_at MinInt64", "POST", "/v1/checkout/sessions", createForm + "&expires_at=-9223372036854775808", "expires_at"},
		{"create quantity MinInt64", "POST", "/v1/checkout/sessions",
			strings.Replace(createForm, "[quantity]=2", "[quantity]=-9223372036854775808", 1), "line_items[0][quantity]"},
	}
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				r := e.do(t, c.method, c.path, c.body, "Authorization", basic(a.key),
					"Content-Type", map[bool]string{true: "application/json", false: "application/x-www-form-urlencoded"}[strings.HasPrefix(c.body, "{")])
				if r.status != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %s", r.status, r.raw)
				}
				var body struct {
					Error struct{ Type, Param, Message string }
				}
				if err := json.Unmarshal(r.raw, &body); err != nil || body.Error.Type != "invalid_request_error" ||
					body.Error.Param != c.param || body.Error.Message == "" {
					t.Fatalf("%s: want an invalid_request_error about %s", r.raw, c.param)
				}
			})
		}
	})
}

// TestCreateDefaultExpiry creates a session without expires_at while the
// clock stands on a fraction of a microsecond, which the service's clock
// drops: it expires 24 hours after its creation, not a fraction over (refused).
func TestCreateDefaultExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testdb.SQLiteURL(t))
	a := e.account()
	e.Clock.Set(e.Clock.Now().Add(123_456_789 * time.Nanosecond))
	s := a.create(t, params())
	if s.ExpiresAt-s.Created != 24*60*60 {
		t.Fatalf("created %d, expires_at %d: want 24 hours apart", s.Created, s.ExpiresAt)
	}
}
