package hosted_test

// Fuzz targets for the hosted page against a real server on SQLite: its form
// posts (pay and cancel, with the CSRF token the page hands out, so that the
// guard lets them through to the decoder) and its GET routes. Every answer is
// a page, a redirect or a 4xx page; never a 5xx or a panic.

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// payer is a server and a browser's CSRF cookie for its hosted pages.
type payer struct {
	*testserver.Fuzz
	cookie *http.Cookie
}

func newPayer(t testing.TB, dbURL string) *payer {
	return &payer{Fuzz: testserver.StartFuzz(t, dbURL)}
}

// session creates a test session with no phone number (the form gives it)
// and opens its page, keeping the CSRF cookie the page sets.
func (z *payer) session(t *testing.T) string {
	t.Helper()
	form := url.Values{"mode": {"payment"}, "cancel_url": {"https://shop.example/cart"},
		"line_items[0][price_data][currency]": {"xof"}, "line_items[0][price_data][unit_amount]": {"2500"},
		"line_items[0][price_data][product_data][name]": {"Attiéké"}, "line_items[0][quantity]": {"2"}}
	req := httptest.NewRequest(http.MethodPost, "/v1/checkout/sessions", strings.NewReader(form.Encode()))
	req.SetBasicAuth(z.Key, "")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := z.Do(t, req)
	id := regexp.MustCompile(`"id":"(cs_test_\w+)"`).FindStringSubmatch(rec.Body.String())
	if rec.Code != http.StatusOK || id == nil {
		t.Fatalf("create: %d %s", rec.Code, rec.Body.Bytes())
	}
	page := z.get(t, "/pay/"+id[1])
	for _, c := range page.Result().Cookies() {
		if c.Name == "caisse_csrf" {
			z.cookie = c
		}
	}
	if page.Code != http.StatusOK || z.cookie == nil || z.cookie.Value != token(t, page.Body.String()) {
		t.Fatalf("GET /pay/%s: %d, its form's CSRF token is not its cookie", id[1], page.Code)
	}
	return id[1]
}

// get serves GET path (already unescaped) with the CSRF cookie, if any, and checks the answer's shape.
func (z *payer) get(t *testing.T, path string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.URL.Path = path
	return z.send(t, req)
}

// post serves a form post of body to path with the CSRF cookie and token.
func (z *payer) post(t *testing.T, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader("csrf="+z.cookie.Value+"&"+body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return z.send(t, req)
}

// send serves req with the CSRF cookie, if any. A redirect must say where
// to; any other answer below 500 with a body must say what it is (a page,
// JSON, an asset).
func (z *payer) send(t *testing.T, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	if z.cookie != nil {
		req.AddCookie(z.cookie)
	}
	rec := z.Do(t, req)
	redirect := rec.Code >= 300 && rec.Code < 400
	if (redirect && rec.Header().Get("Location") == "") ||
		(!redirect && rec.Body.Len() > 0 && rec.Header().Get("Content-Type") == "") {
		t.Fatalf("%s %q: %d with headers %v", req.Method, req.URL.Path, rec.Code, rec.Header())
	}
	return rec
}

// FuzzHostedForm posts body, after a valid CSRF token, to the pay form
// (/pay/{id}/confirm) or, with cancel, the cancel form of a created session.
func FuzzHostedForm(f *testing.F) {
	for _, body := range []string{
		"channel=orange_money&phone=%2B2250700000001", "channel=wave&phone=0700000001", "channel=mtn_momo&phone=+225+07+00+00+00+02",
		"channel=moov_money", "channel=orange_money&phone=", "channel=paypal&phone=%2B2250700000001", "",
		"channel=orange_money&phone=%00", "channel=%FF&phone=%2B2250700000001", "channel=orange_money&phone=%2B225%FF",
		"channel=orange_money&channel=wave&phone=%2B2250700000001&phone=x", "csrf=other&channel=orange_money", "%zz",
	} {
		f.Add(body, false)
	}
	f.Add("", true)
	f.Add("channel=orange_money&%00=1", true)
	z := newPayer(f, testdb.FuzzURL(f))
	var session string
	f.Fuzz(func(t *testing.T, body string, cancel bool) {
		if session == "" {
			session = z.session(t)
		}
		path := "/pay/" + session + "/confirm"
		if cancel {
			path = "/pay/" + session + "/cancel"
		}
		if rec := z.post(t, path, body); rec.Code == http.StatusSeeOther {
			session = "" // it was paid or cancelled: the next input gets a new one
		}
	})
}

// FuzzHostedGet gets path (unescaped, after the leading /): the hosted page,
// its status poll and its assets.
func FuzzHostedGet(f *testing.F) {
	for _, path := range []string{
		"assets/pay.css", "assets/pay.js", "assets/icon.svg", "assets/", "assets/../pay/x", "assets/nope.css",
		"pay/cs_test_unknown", "pay/cs_test_unknown/status", "pay/",
		"assets/\xff", "assets/\x00", "assets/a\\b", "pay/\x00", "pay/\xff/status", "pay/" + strings.Repeat("€", 500),
	} {
		f.Add(path)
	}
	z := newPayer(f, testdb.FuzzURL(f))
	f.Fuzz(func(t *testing.T, path string) {
		z.get(t, "/"+path)
	})
}

// TestHostedEdgeInputs sends, on both engines, paths and form fields no
// engine stores: each is a 4xx page.
func TestHostedEdgeInputs(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		z := newPayer(t, dbURL)
		id := z.session(t)
		for _, c := range []struct {
			method, path, body string
			want               int
		}{
			{"GET", "/assets/\xff", "", http.StatusNotFound},
			{"GET", "/assets/pay\xc0.css", "", http.StatusNotFound},
			{"GET", "/assets/\x00", "", http.StatusNotFound},
			{"GET", "/pay/\x00", "", http.StatusNotFound},
			{"GET", "/pay/cs_test_\xff/status", "", http.StatusNotFound},
			{"POST", "/pay/\x00/confirm", "channel=orange_money&phone=%2B2250700000001", http.StatusNotFound},
			{"POST", "/pay/" + id + "/confirm", "channel=orange_money&phone=%00", http.StatusBadRequest},
			{"POST", "/pay/" + id + "/confirm", "channel=orange_money&phone=%2B225070000000%FF", http.StatusBadRequest},
			{"POST", "/pay/" + id + "/confirm", "channel=%00&phone=%2B2250700000001", http.StatusBadRequest},
		} {
			var rec *httptest.ResponseRecorder
			if c.method == "GET" {
				rec = z.get(t, c.path)
			} else {
				req := httptest.NewRequest(c.method, "/", strings.NewReader("csrf="+z.cookie.Value+"&"+c.body))
				req.URL.Path = c.path
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				rec = z.send(t, req)
			}
			if rec.Code != c.want {
				t.Errorf("%s %q %s: %d, want %d", c.method, c.path, c.body, rec.Code, c.want)
			}
		}
	})
}
