package momoapi_test

// Fuzz targets for the mobile-money dialect's decoders (the JSON create body,
// the search and list query strings), each against a real server on SQLite:
// every answer is {"error": {code, message, param}} with a 4xx, or a success;
// never a 5xx or a panic. Seeds are real requests (f.Add) and the regressions
// under testdata/fuzz/; docs/testing.md says how to run them for longer.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// momoSend serves one request authenticated with the test key and checks the
// answer: a 4xx is this dialect's error object, a success a JSON object with the field want.
func momoSend(t *testing.T, z *testserver.Fuzz, req *http.Request, want string) {
	t.Helper()
	req.Header.Set("Authorization", "Bearer "+z.Key)
	rec := z.Do(t, req)
	var body map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("%d %.300s: not a JSON object", rec.Code, rec.Body.Bytes())
	}
	if rec.Code < 400 {
		if body[want] == nil {
			t.Fatalf("%d %.300s: no %s", rec.Code, rec.Body.Bytes(), want)
		}
		return
	}
	var e struct {
		Error map[string]*string `json:"error"`
	}
	err := json.Unmarshal(rec.Body.Bytes(), &e)
	code, msg, param := e.Error["code"], e.Error["message"], e.Error["param"]
	_, hasParam := e.Error["param"]
	if err != nil || len(body) != 1 || len(e.Error) != 3 || code == nil || *code == "" || msg == nil || *msg == "" ||
		!hasParam || (param != nil && *param == "") {
		t.Fatalf("%d %.300s: want {\"error\": {code, message, param}}", rec.Code, rec.Body.Bytes())
	}
}

// FuzzMomoCreate posts body to POST /v1/checkouts, each time under a new idempotency key.
func FuzzMomoCreate(f *testing.F) {
	for _, body := range []string{
		seedCreate,
		`{"amount":5000,"currency":"XOF","user_phone":"+2250707000001"}`,
		`{"amount":100,"currency":"xof","user_phone":"2250707000001","customer_id":"cus_1","metadata":{"order":"42","note":""}}`,
		`{"amount":999999999999,"currency":"XOF","user_phone":"+2250707000001","expires_in":86400,"description":"Attiéké"}`,
		`{"amount":5000.0,"currency":"XOF","user_phone":"+2250707000001","expires_in":null,"metadata":null}`,
		`{"amount":"5000","currency":["XOF"],"user_phone":{}}`,
		`{"amount":5000,"currency":"XOF","user_phone":"+2250707000001","description":"a\u0000b"}`,
		`{"amount":9223372036854775807,"currency":"XOF","user_phone":"+2250707000001","expires_in":-9223372036854775808}`,
		`[]`, ``, `null`,
	} {
		f.Add([]byte(body))
	}
	z := testserver.StartFuzz(f, testdb.FuzzURL(f))
	n := 0
	f.Fuzz(func(t *testing.T, body []byte) {
		n++
		req := httptest.NewRequest(http.MethodPost, "/v1/checkouts", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "fuzz-"+strconv.Itoa(n))
		momoSend(t, z, req, "id")
	})
}

// FuzzMomoSearch sends query as the query string of GET /v1/checkout/search
// (or, with list, of GET /v1/checkouts, which takes fewer filters).
func FuzzMomoSearch(f *testing.F) {
	for _, query := range []string{
		"", "status=created&start_date=2024-01-01", "reference=ORDER_123&customer_id=cus_1",
		"amount_min=100&amount_max=5000&limit=10&offset=0", "end_date=2024-01-31T23:59:59Z",
		"start_date=2024-01-31T10:00:00.5%2B01:00&end_date=2024-02-01", "user_phone=%2B2250707987654",
		"user_phone=+2250707987654&status=failed", "start_date=1970-01-01&end_date=9999-12-31",
		"reference=%00", "customer_id=%FF", "start_date=0001-01-01", "end_date=9999-12-31T23:59:59-23:59",
		"offset=1000000001", "amount_max=9223372036854775808",
	} {
		f.Add(query, false)
	}
	f.Add("status=pending&limit=100&offset=50", true)
	z := testserver.StartFuzz(f, testdb.FuzzURL(f))
	f.Fuzz(func(t *testing.T, query string, list bool) {
		path := "/v1/checkout/search"
		if list {
			path = "/v1/checkouts"
		}
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.URL.RawQuery = query
		momoSend(t, z, req, "sessions")
	})
}

// TestEdgeInputs sends, on both engines, text no engine stores and times
// outside 1970 to 9999: each is a 400 naming the parameter; the extreme
// dates inside the range are accepted.
func TestEdgeInputs(t *testing.T) {
	t.Parallel()
	const s = "/v1/checkout/search?"
	const invalid, integer = "parameter_invalid", "parameter_invalid_integer"
	refused := []struct{ query, code, param string }{
		{"reference=%00", invalid, "reference"},
		{"reference=a%00b", invalid, "reference"},
		{"customer_id=%FF", invalid, "customer_id"},
		{"start_date=1969-12-31", invalid, "start_date"},
		{"start_date=0001-01-01", invalid, "start_date"},
		{"start_date=1969-12-31T23:59:59.999Z", invalid, "start_date"},
		{"end_date=1970-01-01T00:30:00%2B01:00", invalid, "end_date"},
		{"end_date=9999-12-31T23:59:59-00:01", invalid, "end_date"},
		{"start_date=9999-12-31T23:00:00-23:59", invalid, "start_date"},
		{"offset=9223372036854775807", integer, "offset"},
		{"amount_min=9223372036854775807", integer, "amount_min"},
	}
	accepted := []string{
		"start_date=1970-01-01&end_date=9999-12-31",
		"start_date=1970-01-01T00:00:00Z&end_date=9999-12-31T23:59:59.999999999Z",
		"end_date=9999-12-31T23:59:59Z",
	}
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		key, _ := e.merchant()
		e.create(key, seedCreate)
		for _, c := range refused {
			t.Run(c.query, func(t *testing.T) {
				t.Parallel()
				wantError(t, e.sub(t).do("GET", s+c.query, key, ""), http.StatusBadRequest, c.code, c.param)
			})
		}
		for _, q := range accepted {
			t.Run(q, func(t *testing.T) {
				t.Parallel()
				if got := e.sub(t).search(key, q); got.total != 1 {
					t.Fatalf("%d sessions, want 1", got.total)
				}
			})
		}
	})
}
