package hosted_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/testdb"
)

// What a customer on a cheap phone hit on the hosted page, over plain HTTP
// (a browser without JavaScript): numbers typed as people write them, a
// wrong number kept in its field, a retry after a decline, a cancel that
// asks first, a receipt in local time, refusals as pages, cached assets.

// post sends a form post from c (with its cookies) to path on the server,
// with headers as name, value pairs, and returns the final answer and body.
func post(t *testing.T, c *http.Client, rawURL string, form url.Values, headers ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", rawURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" { // the jar would look its cookies up by this host: send them by hand
			req.Host = headers[i+1]
			for _, ck := range c.Jar.Cookies(req.URL) {
				req.AddCookie(ck)
			}
			continue
		}
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

// waitStatus reloads the session's page with c until it shows status, and returns it.
func waitStatus(t *testing.T, c *http.Client, pageURL, status string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, page := get(t, c, pageURL)
		if strings.Contains(page, `data-status="`+status+`"`) {
			return page
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never showed %s:\n%s", pageURL, status, page)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// phoneInput is the page's phone field, or "".
func phoneInput(page string) string {
	return regexp.MustCompile(`<input id="phone"[^>]*>`).FindString(page)
}

// storedPhone is the session's phone number as the API shows it.
func (s *shop) storedPhone(id string) string {
	s.t.Helper()
	got, err := s.env.Server.Store.SessionLookup(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	return got.UserPhone
}

// TestTypedNumbers pays with numbers as customers type them: the
// placeholder's own format, local numbers, dots, dashes, parentheses.
func TestTypedNumbers(t *testing.T) {
	t.Parallel()
	s := newShop(t, testdb.SQLiteURL(t))
	for _, typed := range []string{"+225 07 07 00 00 01", "0707000001", "07 07 00 00 01", "07.07.00.00.01",
		"(+225) 07-07-00-00-01", "+2250707000001", " 07 07 00 00 01 ", "07 00 00 01"} {
		id := s.session(nil)
		c := browser(t)
		_, page := get(t, c, s.env.URL+"/pay/"+id)
		res, body := post(t, c, s.env.URL+"/pay/"+id+"/confirm", url.Values{"csrf": {token(t, page)}, "phone": {typed}, "channel": {"wave"}})
		if res.Request.URL.Path != "/pay/"+id || !strings.Contains(body, `data-status="pending"`) {
			t.Errorf("typed %q: %d at %s, want the pending page:\n%s", typed, res.StatusCode, res.Request.URL, body)
			continue
		}
		if got := s.storedPhone(id); got != "+2250707000001" {
			t.Errorf("typed %q: stored %q, want +2250707000001", typed, got)
		}
	}
}

// TestWrongNumberKeptAndMarked: a number the page refuses stays in the field,
// which is marked invalid and described by the error message.
func TestWrongNumberKeptAndMarked(t *testing.T) {
	t.Parallel()
	s := newShop(t, testdb.SQLiteURL(t))
	id := s.session(url.Values{"locale": {"en"}})
	c := browser(t)
	_, page := get(t, c, s.env.URL+"/pay/"+id)
	if in := phoneInput(page); strings.Contains(in, "aria-invalid") || strings.Contains(in, "value=") {
		t.Errorf("the fresh field is %s, want neither aria-invalid nor a value", in)
	}
	const typed = `07 07 "00" <b>`
	res, body := post(t, c, s.env.URL+"/pay/"+id+"/confirm", url.Values{"csrf": {token(t, page)}, "phone": {typed}, "channel": {"mtn_momo"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a bad number: %d, want 400", res.StatusCode)
	}
	in := phoneInput(body)
	for _, want := range []string{`value="` + html.EscapeString(typed) + `"`, `aria-invalid="true"`, `aria-describedby="form-error"`} {
		if !strings.Contains(in, want) {
			t.Errorf("the phone field after a bad number is %s, want %s", in, want)
		}
	}
	if !regexp.MustCompile(`<p class="error" id="form-error" role="alert">[^<]+</p>`).MatchString(body) {
		t.Errorf("no error message #form-error in:\n%s", body)
	}
	if !strings.Contains(body, `value="mtn_momo" checked`) {
		t.Error("the channel picked was not kept")
	}
}

// TestRetryAfterDecline: a declined payment shows its reason and the form
// again, and a second number pays; past the deadline the form is gone.
func TestRetryAfterDecline(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		s := newShop(t, dbURL)
		id := s.session(url.Values{"success_url": nil}) // the receipt, not the merchant
		c := browser(t)
		pageURL := s.env.URL + "/pay/" + id
		_, page := get(t, c, pageURL)
		post(t, c, pageURL+"/confirm", url.Values{"csrf": {token(t, page)}, "phone": {"07 00 00 00 02"}, "channel": {"orange_money"}})
		page = waitStatus(t, c, pageURL, "failed")
		for _, want := range []string{`id="failure"`, "Le solde de votre compte mobile money est insuffisant.",
			`action="/pay/` + id + `/confirm"`, `<input id="phone"`, `name="channel"`, `id="pay"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the failed page lacks %s:\n%s", want, page)
			}
		}
		post(t, c, pageURL+"/confirm", url.Values{"csrf": {token(t, page)}, "phone": {"07 00 00 00 01"}, "channel": {"mtn_momo"}})
		page = waitStatus(t, c, pageURL, "completed")
		got, err := s.env.Server.Store.SessionLookup(context.Background(), id)
		if err != nil || got.UserPhone != "+2250700000001" || got.Channel != "mtn_momo" || got.FailureReason != "" {
			t.Errorf("after the retry: %v, phone %s, channel %s, reason %q", err, got.UserPhone, got.Channel, got.FailureReason)
		}

		late := s.session(nil)
		lateURL := s.env.URL + "/pay/" + late
		_, page = get(t, c, lateURL)
		csrf := token(t, page)
		post(t, c, lateURL+"/confirm", url.Values{"csrf": {csrf}, "phone": {"+2250700000002"}, "channel": {"wave"}})
		waitStatus(t, c, lateURL, "failed")
		s.env.Clock.Follow(25 * time.Hour) // past the deadline (the Stripe dialect gives a day)
		page = waitStatus(t, c, lateURL, "failed")
		if strings.Contains(page, `id="pay"`) || strings.Contains(page, `/confirm"`) || !strings.Contains(page, `id="failure"`) {
			t.Errorf("a failed session past its deadline offers to pay again, or lost its reason:\n%s", page)
		}
		res, _ := post(t, c, lateURL+"/confirm", url.Values{"csrf": {csrf}, "phone": {"+2250700000001"}, "channel": {"wave"}})
		if got, _ := s.env.Server.Store.SessionLookup(context.Background(), late); got.Status != "failed" || res.Request.URL.Path != "/pay/"+late {
			t.Errorf("a late retry: status %s, landed at %s", got.Status, res.Request.URL)
		}
	})
}

// TestCancelAsksFirst: the page's cancel is a link to a confirmation view,
// which cancels only on its own button, and works without JavaScript.
func TestCancelAsksFirst(t *testing.T) {
	t.Parallel()
	s := newShop(t, testdb.SQLiteURL(t))
	id := s.session(url.Values{"locale": {"en"}})
	c := browser(t)
	pageURL := s.env.URL + "/pay/" + id
	_, page := get(t, c, pageURL)
	if strings.Contains(page, `action="/pay/`+id+`/cancel"`) {
		t.Error("the form page cancels in one tap: it holds the cancel form")
	}
	if !strings.Contains(page, `<a href="/pay/`+id+`/cancel" id="cancel"`) {
		t.Errorf("the form page has no cancel link:\n%s", page)
	}
	if pay, cancel := strings.Index(page, `id="pay"`), strings.Index(page, `id="cancel"`); pay < 0 || cancel < pay ||
		!strings.Contains(page[pay:cancel], "</form>") {
		t.Error("the cancel link is not after the pay form")
	}

	res, confirmPage := get(t, c, pageURL+"/cancel")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET the cancel view: %d", res.StatusCode)
	}
	for _, want := range []string{"Cancel this payment?", `action="/pay/` + id + `/cancel"`, `id="cancel-yes"`, "Yes, cancel",
		`<a href="/pay/` + id + `" id="cancel-no"`, "No, go back", `data-status="created"`} {
		if !strings.Contains(confirmPage, want) {
			t.Errorf("the cancel view lacks %s:\n%s", want, confirmPage)
		}
	}
	if strings.Contains(confirmPage, `id="pay"`) {
		t.Error("the cancel view shows the pay button")
	}
	if got, _ := s.env.Server.Store.SessionLookup(context.Background(), id); got.Status != "created" {
		t.Fatalf("opening the cancel view made the session %s", got.Status)
	}
	res, _ = post(t, c, pageURL+"/cancel", url.Values{"csrf": {token(t, confirmPage)}})
	if res.Request.URL.String() != s.site.URL+"/cancelled" {
		t.Errorf("Yes, cancel: landed at %s, want the cancel_url", res.Request.URL)
	}
	if got, _ := s.env.Server.Store.SessionLookup(context.Background(), id); got.Status != "cancelled" {
		t.Errorf("after Yes, cancel: %s", got.Status)
	}
	// A cancelled (or otherwise ended) session's cancel view is its page.
	if res, _ := get(t, c, pageURL+"/cancel"); res.Request.URL.Path != "/pay/"+id {
		t.Errorf("the cancel view of a cancelled session: at %s, want the page", res.Request.URL)
	}
}

// TestReceipt shows the operator's reference, the channel, the masked number
// and the time paid in the customer's time zone.
func TestReceipt(t *testing.T) {
	t.Parallel()
	s := newShop(t, testdb.SQLiteURL(t))
	xafKey, _ := s.env.Merchant("XAF")
	for _, tc := range []struct {
		name, key, currency, locale, phone, channel string
		zone                                        string
		offset                                      time.Duration
	}{
		{"XOF-fr", s.key, "xof", "fr", "+2250700000001", "wave", "GMT", 0},
		{"XAF-en", xafKey, "xaf", "en", "6 70 00 00 01", "mtn_momo", "WAT (UTC+1)", time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := *s
			m.t, m.key = t, tc.key
			id := m.session(url.Values{"success_url": nil, "locale": {tc.locale}, "line_items[0][price_data][currency]": {tc.currency}})
			c := browser(t)
			pageURL := s.env.URL + "/pay/" + id
			_, page := get(t, c, pageURL)
			post(t, c, pageURL+"/confirm", url.Values{"csrf": {token(t, page)}, "phone": {tc.phone}, "channel": {tc.channel}})
			page = html.UnescapeString(waitStatus(t, c, pageURL, "completed"))
			got, err := s.env.Server.Store.SessionLookup(context.Background(), id)
			if err != nil || got.ConnectorRef == "" || got.CompletedAt == nil {
				t.Fatalf("the paid session: %v, ref %q, completed at %v", err, got.ConnectorRef, got.CompletedAt)
			}
			local := got.CompletedAt.Add(tc.offset).Format("15:04")
			masked := got.UserPhone[:4] + strings.Repeat("•", len(got.UserPhone)-6) + got.UserPhone[len(got.UserPhone)-2:]
			channel := map[string]string{"wave": "Wave", "mtn_momo": "MTN MoMo"}[tc.channel]
			for _, want := range []string{`<dd id="operator-ref">` + got.ConnectorRef + `</dd>`, `<dd id="paid-with">` + channel + `</dd>`,
				`<dd id="paid-from">` + masked + `</dd>`, local + " " + tc.zone + `</dd>`} {
				if !strings.Contains(page, want) {
					t.Errorf("the receipt lacks %s:\n%s", want, page)
				}
			}
			if strings.Contains(page, got.UserPhone) || strings.Contains(page, " UTC</dd>") {
				t.Error("the receipt shows the full number, or UTC")
			}
		})
	}
}

// TestRefusalsArePages: every refusal of the page's routes is a page in the
// customer's language, and a browser that sends Origin without
// Sec-Fetch-Site, behind a proxy that rewrites Host, may pay and cancel.
func TestRefusalsArePages(t *testing.T) {
	t.Parallel()
	s := newShop(t, testdb.SQLiteURL(t))
	id := s.session(url.Values{"locale": {"en"}})
	c := browser(t)
	pageURL := s.env.URL + "/pay/" + id
	_, page := get(t, c, pageURL)
	csrf := token(t, page)
	pay := url.Values{"csrf": {csrf}, "phone": {"+2250700000004"}, "channel": {"wave"}}
	pageOf := func(name string, res *http.Response, body string, code int, lang, text string) {
		t.Helper()
		if res.StatusCode != code || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(body, `<html lang="`+lang+`">`) || !strings.Contains(body, text) {
			t.Errorf("%s: %d %s, want %d and a %s page saying %q:\n%s", name, res.StatusCode, res.Header.Get("Content-Type"), code, lang, text, body)
		}
		if res.Header.Get("Content-Security-Policy") == "" || res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: the page lacks the security headers", name)
		}
	}

	res, body := post(t, c, pageURL+"/confirm", pay, "Origin", "https://evil.example")
	pageOf("cross-origin (Origin only)", res, body, http.StatusForbidden, "en", "This form could not be checked")
	res, body = post(t, c, pageURL+"/cancel", url.Values{"csrf": {csrf}}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	pageOf("cross-site (Sec-Fetch-Site)", res, body, http.StatusForbidden, "en", "This form could not be checked")
	res, body = post(t, c, pageURL+"/confirm", url.Values{"csrf": {strings.Repeat("0", 32)}, "phone": {"+2250700000004"}, "channel": {"wave"}})
	pageOf("bad token", res, body, http.StatusForbidden, "en", "This form has expired")
	res, body = post(t, c, pageURL+"/confirm", url.Values{"csrf": {csrf}, "phone": {strings.Repeat("7", 9<<10)}, "channel": {"wave"}})
	pageOf("body too large", res, body, http.StatusRequestEntityTooLarge, "en", "too long")
	res, body = post(t, c, s.env.URL+"/pay/cs_test_doesnotexist/confirm", pay, "Accept-Language", "en")
	pageOf("unknown session", res, body, http.StatusNotFound, "en", "Payment link not found")
	res, body = get(t, c, pageURL+"/confirm")
	pageOf("GET confirm", res, body, http.StatusMethodNotAllowed, "en", "This page cannot be opened that way")
	if res.Header.Get("Allow") != "POST" {
		t.Errorf("GET confirm: Allow %q, want POST", res.Header.Get("Allow"))
	}
	res, body = post(t, c, pageURL, url.Values{"csrf": {csrf}})
	pageOf("POST the page", res, body, http.StatusMethodNotAllowed, "en", "This page cannot be opened that way")
	res, body = get(t, c, s.env.URL+"/pay/"+id+"/nothing/here", "Accept-Language", "fr")
	pageOf("no such page", res, body, http.StatusNotFound, "fr", "Lien de paiement introuvable")
	if got, _ := s.env.Server.Store.SessionLookup(context.Background(), id); got.Status != "created" {
		t.Fatalf("a refused post made the session %s", got.Status)
	}

	// A proxy passes the public URL's origin on and rewrites Host to the
	// server's own address; an old WebView sends no Sec-Fetch-Site.
	public := s.env.Server.Config.PublicURL
	res, body = post(t, c, pageURL+"/confirm", pay, "Origin", public, "Host", "caisse.internal:8080")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-status="pending"`) {
		t.Errorf("Origin %s behind a Host rewrite: %d, want the pending page:\n%s", public, res.StatusCode, body)
	}
}

// TestAssetsCachedAndCompressed: the page names its assets by their content,
// which are cached for a year, compressed for a client that takes gzip, and
// revalidated by ETag; the page itself is never cached.
func TestAssetsCachedAndCompressed(t *testing.T) {
	t.Parallel()
	s := newShop(t, testdb.SQLiteURL(t))
	id := s.session(nil)
	c := browser(t)
	res, page := get(t, c, s.env.URL+"/pay/"+id)
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the page: Cache-Control %q, want no-store", res.Header.Get("Cache-Control"))
	}
	refs := regexp.MustCompile(`(?:href|src)="/assets/([a-z]+)\.([0-9a-f]{10,})\.(css|js|svg)"`).FindAllStringSubmatch(page, -1)
	if len(refs) != 3 {
		t.Fatalf("the page names %d assets by content (pay.css, icon.svg, pay.js), want 3:\n%s", len(refs), page)
	}
	raw := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, ref := range refs {
		path := "/assets/" + ref[1] + "." + ref[2] + "." + ref[3]
		plainRes, plain := get(t, raw, s.env.URL+path)
		if sum := sha256.Sum256([]byte(plain)); plainRes.StatusCode != http.StatusOK || !strings.HasPrefix(hex.EncodeToString(sum[:]), ref[2]) {
			t.Errorf("%s: %d, content hash %x, want 200 and the hash its name says", path, plainRes.StatusCode, sum[:6])
		}
		if cc := plainRes.Header.Get("Cache-Control"); !strings.Contains(cc, "public") || !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q, want public, a year, immutable", path, cc)
		}
		if plainRes.Header.Get("Content-Encoding") != "" || !strings.Contains(plainRes.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s without Accept-Encoding: Content-Encoding %q, Vary %q", path, plainRes.Header.Get("Content-Encoding"), plainRes.Header.Get("Vary"))
		}
		etag := plainRes.Header.Get("ETag")
		if etag == "" {
			t.Errorf("%s: no ETag", path)
		}
		if res, _ := get(t, raw, s.env.URL+path, "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
			t.Errorf("%s with If-None-Match: %d, want 304", path, res.StatusCode)
		}

		zres, zbody := get(t, raw, s.env.URL+path, "Accept-Encoding", "gzip, deflate, br")
		if ref[3] == "svg" && zres.Header.Get("Content-Encoding") == "" {
			continue // too small to gain by it
		}
		if zres.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s with Accept-Encoding gzip: Content-Encoding %q", path, zres.Header.Get("Content-Encoding"))
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader([]byte(zbody)))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		unzipped, err := io.ReadAll(zr)
		if err != nil || string(unzipped) != plain || len(zbody) >= len(plain) {
			t.Errorf("%s: gzip of %d bytes unpacks to %d bytes (%v), want the %d bytes, smaller", path, len(zbody), len(unzipped), err, len(plain))
		}
		if zres.Header.Get("ETag") == etag || zres.Header.Get("ETag") == "" {
			t.Errorf("%s: the gzip ETag %q is the plain one's", path, zres.Header.Get("ETag"))
		}
		if res, _ := get(t, raw, s.env.URL+path, "Accept-Encoding", "gzip;q=0"); res.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s with gzip;q=0: Content-Encoding %q", path, res.Header.Get("Content-Encoding"))
		}
	}
	// An asset by its plain name (a page cached before a deploy) still loads, revalidated.
	res, _ = get(t, raw, s.env.URL+"/assets/pay.css")
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("ETag") == "" {
		t.Errorf("/assets/pay.css: %d, Cache-Control %q, ETag %q; want 200, no-cache and an ETag", res.StatusCode, res.Header.Get("Cache-Control"), res.Header.Get("ETag"))
	}
	for _, path := range []string{"/assets/", "/assets/pay.0000000000.css", "/assets/nothing"} {
		if res, _ := get(t, raw, s.env.URL+path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, res.StatusCode)
		}
	}
}
