package hosted_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// shop is a server with its background work, a merchant's test key, and a
// receiver standing for the merchant's own pages.
type shop struct {
	t    *testing.T
	env  *testserver.Env
	key  string
	site *testserver.Receiver
}

func newShop(t *testing.T, dbURL string) *shop {
	t.Helper()
	env := testserver.Start(t, dbURL, testserver.WithJobs(), testserver.WithSelfURL())
	env.Clock.Follow(0)
	key, _ := env.Merchant()
	return &shop{t: t, env: env, key: key, site: testserver.NewReceiver(t)}
}

// session creates a Stripe-dialect session with form fields extra (nil
// leaves a default field out) and returns its id.
func (s *shop) session(extra url.Values) string {
	s.t.Helper()
	form := url.Values{"mode": {"payment"}, "success_url": {s.site.URL + "/ok?session_id={CHECKOUT_SESSION_ID}"},
		"cancel_url": {s.site.URL + "/cancelled"}, "line_items[0][price_data][currency]": {"xof"},
		"line_items[0][price_data][unit_amount]": {"2500"}, "line_items[0][price_data][product_data][name]": {"Attiéké"},
		"line_items[0][quantity]": {"2"}}
	for k, v := range extra {
		if v == nil {
			delete(form, k) // the default left out
			continue
		}
		form[k] = v
	}
	req, _ := http.NewRequest("POST", s.env.URL+"/v1/checkout/sessions", strings.NewReader(form.Encode()))
	req.SetBasicAuth(s.key, "")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ ID, URL string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
		s.t.Fatalf("create session: %d (%v)", res.StatusCode, err)
	}
	if out.URL != s.env.URL+"/pay/"+out.ID {
		s.t.Fatalf("session url %q, want the hosted page", out.URL)
	}
	return out.ID
}

// browser is a plain HTTP client with cookies: a browser without JavaScript.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

// get fetches a page and returns its final URL, status and body.
func get(t *testing.T, c *http.Client, url string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]{32})"`)

func token(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in the page:\n%s", page)
	}
	return m[1]
}

func TestPaidWithoutJavaScript(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		s := newShop(t, dbURL)
		id := s.session(nil)
		c := browser(t)
		_, page := get(t, c, s.env.URL+"/pay/"+id)
		res, err := c.PostForm(s.env.URL+"/pay/"+id+"/confirm", url.Values{"csrf": {token(t, page)},
			"phone": {"+2250700000001"}, "channel": {"wave"}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.Request.URL.Path != "/pay/"+id || !strings.Contains(string(body), `data-status="pending"`) ||
			!strings.Contains(string(body), `<meta http-equiv="refresh" content="3">`) {
			t.Fatalf("after paying: %s, want the pending page that refreshes itself:\n%s", res.Request.URL, body)
		}
		want := s.site.URL + "/ok?session_id=" + id
		deadline := time.Now().Add(20 * time.Second)
		for { // what the refresh does
			res, _ := get(t, c, s.env.URL+"/pay/"+id)
			if res.Request.URL.String() == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("still at %s, want %s", res.Request.URL, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

func TestSecurityHeadersAndForgery(t *testing.T) {
	t.Parallel()
	s := newShop(t, testdb.SQLiteURL(t))
	id := s.session(nil)
	c := browser(t)
	res, page := get(t, c, s.env.URL+"/pay/"+id)
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
		"form-action 'self' " + s.site.URL} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	for h, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "same-origin", "Cache-Control": "no-store"} {
		if got := res.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if cookie := res.Header.Get("Set-Cookie"); !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Strict") {
		t.Errorf("CSRF cookie %q is not HttpOnly and SameSite=Strict", cookie)
	}
	csrf := token(t, page)

	stranger := browser(t) // no cookie: a forged form on another site
	for _, c := range []struct {
		name   string
		client *http.Client
		form   url.Values
		header []string
	}{
		{"no token", c, url.Values{"phone": {"+2250700000001"}, "channel": {"wave"}}, nil},
		{"wrong token", c, url.Values{"csrf": {strings.Repeat("0", 32)}, "phone": {"+2250700000001"}, "channel": {"wave"}}, nil},
		{"token without its cookie", stranger, url.Values{"csrf": {csrf}, "phone": {"+2250700000001"}, "channel": {"wave"}}, nil},
		{"cross-site post", c, url.Values{"csrf": {csrf}, "phone": {"+2250700000001"}, "channel": {"wave"}},
			[]string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}},
	} {
		for _, action := range []string{"confirm", "cancel"} {
			req, _ := http.NewRequest("POST", s.env.URL+"/pay/"+id+"/"+action, strings.NewReader(c.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for i := 0; i+1 < len(c.header); i += 2 {
				req.Header.Set(c.header[i], c.header[i+1])
			}
			res, err := c.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s: %d, want 403", c.name, action, res.StatusCode)
			}
		}
	}
	if _, page := get(t, c, s.env.URL+"/pay/"+id); !strings.Contains(page, `data-status="created"`) {
		t.Fatal("a refused post changed the session")
	}
}

func TestPageContentAndWeight(t *testing.T) {
	t.Parallel()
	s := newShop(t, testdb.SQLiteURL(t))
	fr := s.session(url.Values{"customer_email": {"awa@example.com"}})
	en := s.session(url.Values{"locale": {"en"}})
	c := browser(t)
	_, page := get(t, c, s.env.URL+"/pay/"+fr)
	for _, want := range []string{`<html lang="fr">`, "5\u202f000 FCFA", "Attiéké × 2", "Boutique TestPageContentAndWeight",
		"Mode test", "…0002", "Orange Money", "MTN MoMo", "Moov Money", "Wave", `<label for="phone">`, "Expire dans"} {
		if !strings.Contains(page, want) {
			t.Errorf("French page lacks %q", want)
		}
	}
	_, english := get(t, c, s.env.URL+"/pay/"+en, "Accept-Language", "fr-FR")
	for _, want := range []string{`<html lang="en">`, "XOF 5,000", "Test mode", "Pay with"} {
		if !strings.Contains(english, want) {
			t.Errorf("English page (locale en) lacks %q", want)
		}
	}
	// Without a locale the browser's language decides.
	if _, byBrowser := get(t, c, s.env.URL+"/pay/"+fr, "Accept-Language", "en-GB,en;q=0.9"); !strings.Contains(byBrowser, `<html lang="en">`) {
		t.Error("a session without locale ignored Accept-Language: en-GB")
	}

	total := len(page)
	for _, asset := range regexp.MustCompile(`(?:href|src)="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if strings.HasPrefix(asset[1], "http") {
			t.Errorf("the page loads %s from outside the server", asset[1])
			continue
		}
		res, body := get(t, c, s.env.URL+asset[1])
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", asset[1], res.StatusCode)
		}
		total += len(body)
	}
	if total > 60<<10 {
		t.Errorf("first load is %d bytes, over 60 KB", total)
	}
	t.Logf("first load: %d bytes", total)

	if res, page := get(t, c, s.env.URL+"/pay/cs_test_doesnotexist"); res.StatusCode != http.StatusNotFound ||
		!strings.Contains(page, "Lien de paiement introuvable") {
		t.Errorf("unknown session: %d", res.StatusCode)
	}
}
