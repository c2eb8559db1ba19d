package hosted_test

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/caisse/caisse/client"
	"github.com/caisse/caisse/internal/testdb"
)

// The hosted page in a real browser: Chromium, headless, at the size of a
// small phone, against a real server whose test connector answers by the
// phone number's last 4 digits (0001 approve, 0002 decline, 0003 reject,
// 0004 no answer, 0005 stuck in processing).

// TestBrowserApprove pays with the approve number and lands on the merchant's
// success_url, with the session id filled in, carried there by the page's
// status poll.
func TestBrowserApprove(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		tab := newTab(t, tabOptions{})
		s := newChromeShop(t, dbURL)
		id, payURL := s.create(t, chromeOrder{locale: "fr",
			successURL: s.site + "/ok?session_id={CHECKOUT_SESSION_ID}", cancelURL: s.site + "/cart"})
		seen := recordRequests(t, tab)

		act(t, tab, "open the page", chromedp.Navigate(payURL))
		payInTab(t, tab, "+2250700000001", "mtn_momo")
		s.waitLanded(t, tab, "/ok?session_id="+id)

		if got := s.status(t, id); got != "completed" {
			t.Errorf("status = %q after landing on success_url, want completed", got)
		}
		if !slices.Contains(seen(), s.env.URL+"/pay/"+id+"/status") {
			t.Errorf("the page never polled /pay/%s/status; requests: %q", id, seen())
		}
		saveScreenshot(t, tab, "approve-"+path.Base(t.Name()))
	})
}

// TestBrowserDeclined shows the failure in plain words, in the session's
// language, with a way back to the merchant.
func TestBrowserDeclined(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, locale, phone string
		wantH1, wantReason  string
		wantBack            string
	}{
		{"decline-fr", "fr", "+2250700000002", "Le paiement n’a pas abouti",
			"Le solde de votre compte mobile money est insuffisant.", "Retourner au marchand"},
		{"decline-en", "en", "+2250700000002", "The payment did not go through",
			"Your mobile money balance is too low.", "Return to the merchant"},
		{"reject-fr", "fr", "+2250700000003", "Le paiement n’a pas abouti",
			"Le paiement a été refusé sur votre téléphone.", "Retourner au marchand"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tab := newTab(t, tabOptions{})
			s := newChromeShop(t, testdb.SQLiteURL(t))
			id, payURL := s.create(t, chromeOrder{locale: tc.locale, successURL: s.site + "/ok", cancelURL: s.site + "/cart"})

			act(t, tab, "open the page", chromedp.Navigate(payURL))
			payInTab(t, tab, tc.phone, "orange_money")
			act(t, tab, "wait for the failure", waitVisible("#failure"))

			for _, c := range []struct{ sel, want string }{
				{"#session h1", tc.wantH1},
				{"#failure", tc.wantReason},
				{"#back", tc.wantBack},
			} {
				if got := read(t, tab, "read "+c.sel, chromedp.Text(chromedp.CSS(c.sel))); got != c.want {
					t.Errorf("%s = %q, want %q", c.sel, got, c.want)
				}
			}
			if got := read(t, tab, "read #back's href", chromedp.AttributeValue(chromedp.CSS("#back"), "href")); got.Value != s.site+"/cart" {
				t.Errorf("#back href = %q, want the cancel_url %q", got.Value, s.site+"/cart")
			}
			if got := s.status(t, id); got != "failed" {
				t.Errorf("status = %q, want failed", got)
			}
			saveScreenshot(t, tab, tc.name)
		})
	}
}

// TestBrowserCancel cancels in two steps: the cancel link, well away from
// the pay button, asks first; "No, go back" leaves the session as it was,
// "Yes, cancel" cancels it and lands on the merchant's cancel_url. With
// scripts disabled too.
func TestBrowserCancel(t *testing.T) {
	t.Parallel()
	for _, noScript := range []bool{false, true} {
		t.Run(map[bool]string{false: "js", true: "nojs"}[noScript], func(t *testing.T) {
			t.Parallel()
			tab := newTab(t, tabOptions{noScript: noScript})
			s := newChromeShop(t, testdb.SQLiteURL(t))
			id, payURL := s.create(t, chromeOrder{locale: "en", successURL: s.site + "/ok", cancelURL: s.site + "/cart?from=caisse"})

			act(t, tab, "open the page", chromedp.Navigate(payURL), waitVisible("#cancel"))
			pay := read(t, tab, "measure #pay", chromedp.Dimensions(chromedp.CSS("#pay")))
			cancel := read(t, tab, "measure #cancel", chromedp.Dimensions(chromedp.CSS("#cancel")))
			if gap := cancel.Border[1] - pay.Border[5]; gap < 48 { // top of the link, bottom of the button
				t.Errorf("the cancel link is %.0f px under the pay button, want at least 48", gap)
			}
			act(t, tab, "ask to cancel", chromedp.Click(chromedp.CSS("#cancel")), waitVisible("#cancel-yes"))
			if got := read(t, tab, "read the question", chromedp.Text(chromedp.CSS("#session h1"))); got != "Cancel this payment?" {
				t.Errorf("h1 = %q, want the question", got)
			}
			for _, c := range []struct{ sel, want string }{{"#cancel-yes", "Yes, cancel"}, {"#cancel-no", "No, go back"}} {
				if got := read(t, tab, "read "+c.sel, chromedp.Text(chromedp.CSS(c.sel))); got != c.want {
					t.Errorf("%s = %q, want %q", c.sel, got, c.want)
				}
			}
			if n := read(t, tab, "look for #pay", chromedp.Nodes(chromedp.CSSAll("#pay"), chromedp.AtLeast(0))); len(n) != 0 {
				t.Error("the question shows the pay button")
			}
			saveScreenshot(t, tab, "cancel-question-"+path.Base(t.Name()))
			if got := s.status(t, id); got != "created" {
				t.Fatalf("status = %q after asking to cancel, want created", got)
			}

			act(t, tab, "go back", chromedp.Click(chromedp.CSS("#cancel-no")), waitVisible("#pay"))
			if got := s.status(t, id); got != "created" {
				t.Fatalf("status = %q after No, want created", got)
			}
			act(t, tab, "cancel", chromedp.Click(chromedp.CSS("#cancel")), waitVisible("#cancel-yes"), chromedp.Click(chromedp.CSS("#cancel-yes")))
			s.waitLanded(t, tab, "/cart?from=caisse")
			if got := s.status(t, id); got != "cancelled" {
				t.Errorf("status = %q after cancelling, want cancelled", got)
			}
		})
	}
}

// TestBrowserTypedNumbers pays with the number typed as the placeholder
// shows it, and as a local number; a wrong number stays in the field,
// marked invalid and described by the error.
func TestBrowserTypedNumbers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, typed, want string }{
		{"placeholder", "+225 07 07 00 00 01", "+2250707000001"},
		{"local", "0707000001", "+2250707000001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tab := newTab(t, tabOptions{})
			s := newChromeShop(t, testdb.SQLiteURL(t))
			id, payURL := s.create(t, chromeOrder{locale: "fr", successURL: s.site + "/ok?session_id={CHECKOUT_SESSION_ID}"})

			act(t, tab, "open the page", chromedp.Navigate(payURL))
			if got := read(t, tab, "read the placeholder", chromedp.AttributeValue(chromedp.CSS("#phone"), "placeholder")); got.Value != "+225 07 07 00 00 01" {
				t.Errorf("placeholder %q", got.Value)
			}
			payInTab(t, tab, "07 07 00", "wave")
			act(t, tab, "wait for the error", waitVisible("#form-error"))
			if got := read(t, tab, "read the field", chromedp.Value(chromedp.CSS("#phone"))); got != "07 07 00" {
				t.Errorf("after an error the field holds %q, want what was typed", got)
			}
			for attr, want := range map[string]string{"aria-invalid": "true", "aria-describedby": "form-error"} {
				if got := read(t, tab, "read "+attr, chromedp.AttributeValue(chromedp.CSS("#phone"), attr)); got.Value != want {
					t.Errorf("#phone %s = %q, want %q", attr, got.Value, want)
				}
			}
			saveScreenshot(t, tab, "phone-error")

			typePhone(t, tab, tc.typed)
			act(t, tab, "pay", chromedp.Click(chromedp.CSS("#pay")))
			s.waitLanded(t, tab, "/ok?session_id="+id)
			got, err := s.env.Server.Store.SessionLookup(context.Background(), id)
			if err != nil || got.UserPhone != tc.want || got.Status != "completed" {
				t.Errorf("paid with %q: %v, phone %s, status %s; want %s, completed", tc.typed, err, got.UserPhone, got.Status, tc.want)
			}
		})
	}
}

// TestBrowserRetry is declined (…0002), then pays from the same page with
// another number and channel.
func TestBrowserRetry(t *testing.T) {
	t.Parallel()
	tab := newTab(t, tabOptions{})
	s := newChromeShop(t, testdb.SQLiteURL(t))
	id, payURL := s.create(t, chromeOrder{locale: "en", successURL: s.site + "/ok?session_id={CHECKOUT_SESSION_ID}", cancelURL: s.site + "/cart"})

	act(t, tab, "open the page", chromedp.Navigate(payURL))
	payInTab(t, tab, "07 00 00 00 02", "orange_money")
	act(t, tab, "wait for the failure", waitVisible("#failure"), waitVisible("#pay"))
	if got := read(t, tab, "read #failure", chromedp.Text(chromedp.CSS("#failure"))); got != "Your mobile money balance is too low." {
		t.Errorf("#failure = %q", got)
	}
	saveScreenshot(t, tab, "retry-form")
	typePhone(t, tab, "07 00 00 00 01")
	act(t, tab, "pay again", chromedp.Click(chromedp.CSS(`input[name=channel][value="mtn_momo"]`)), chromedp.Click(chromedp.CSS("#pay")))
	s.waitLanded(t, tab, "/ok?session_id="+id)
	got, err := s.env.Server.Store.SessionLookup(context.Background(), id)
	if err != nil || got.Status != "completed" || got.UserPhone != "+2250700000001" || got.Channel != "mtn_momo" {
		t.Errorf("after the retry: %v, status %s, phone %s, channel %s", err, got.Status, got.UserPhone, got.Channel)
	}
}

// TestBrowserBehindProxy pays and cancels through a reverse proxy that
// rewrites Host, from a browser that sends Origin without Sec-Fetch-Site
// (the proxy drops it, as KaiOS and old WebViews never send it).
func TestBrowserBehindProxy(t *testing.T) {
	t.Parallel()
	tab := newTab(t, tabOptions{})
	s, proxy := newChromeShopBehindProxy(t, testdb.SQLiteURL(t), true)
	id, payURL := s.create(t, chromeOrder{locale: "fr", successURL: s.site + "/ok?session_id={CHECKOUT_SESSION_ID}", cancelURL: s.site + "/cart"})

	act(t, tab, "open the page", chromedp.Navigate(payURL))
	payInTab(t, tab, "+225 07 00 00 00 01", "wave")
	s.waitLanded(t, tab, "/ok?session_id="+id)

	other, otherURL := s.create(t, chromeOrder{locale: "fr", cancelURL: s.site + "/cart"})
	act(t, tab, "cancel", chromedp.Navigate(otherURL), chromedp.Click(chromedp.CSS("#cancel")),
		waitVisible("#cancel-yes"), chromedp.Click(chromedp.CSS("#cancel-yes")))
	s.waitLanded(t, tab, "/cart")
	if got := s.status(t, other); got != "cancelled" {
		t.Errorf("status = %q after cancelling behind the proxy, want cancelled", got)
	}
	var posts int
	for _, r := range proxy.requests() {
		if r.Method == http.MethodPost {
			posts++
			if r.Origin != proxy.URL || r.SecFetchSite != "" || r.Status != http.StatusSeeOther {
				t.Errorf("POST %s: Origin %q, Sec-Fetch-Site %q, answered %d; want the proxy's origin alone, and 303", r.Path, r.Origin, r.SecFetchSite, r.Status)
			}
		}
	}
	if posts != 2 {
		t.Errorf("the proxy passed %d posts on, want 2 (pay, cancel)", posts)
	}
}

// TestBrowserAssetsCached loads the page's assets once, gzipped and cached
// for a year, through a proxy that counts them; the next page uses them
// from the cache, while pages are fetched every time.
func TestBrowserAssetsCached(t *testing.T) {
	t.Parallel()
	tab := newTab(t, tabOptions{})
	s, proxy := newChromeShopBehindProxy(t, testdb.SQLiteURL(t), false)
	first, firstURL := s.create(t, chromeOrder{locale: "fr"})
	_, secondURL := s.create(t, chromeOrder{locale: "en"})

	act(t, tab, "open the first page", chromedp.Navigate(firstURL), waitVisible("#pay"))
	act(t, tab, "open the second page", chromedp.Navigate(secondURL), waitVisible("#pay"))
	act(t, tab, "open the first page again", chromedp.Navigate(firstURL), waitVisible("#pay"))

	assets := map[string]int{}
	var pages int
	for _, r := range proxy.requests() {
		switch {
		case strings.HasPrefix(r.Path, "/assets/pay."):
			assets[path.Ext(r.Path)]++
			if r.ContentEncoding != "gzip" || r.CacheControl != "public, max-age=31536000, immutable" {
				t.Errorf("%s: Content-Encoding %q, Cache-Control %q; want gzip, a year", r.Path, r.ContentEncoding, r.CacheControl)
			}
		case r.Path == "/pay/"+first:
			pages++
			if r.CacheControl != "no-store" {
				t.Errorf("%s: Cache-Control %q, want no-store", r.Path, r.CacheControl)
			}
		}
	}
	if assets[".css"] != 1 || assets[".js"] != 1 {
		t.Errorf("the browser fetched pay.css %d times and pay.js %d times over three pages, want once each: %+v", assets[".css"], assets[".js"], proxy.requests())
	}
	if pages != 2 {
		t.Errorf("the first page was fetched %d times, want 2 (never from the cache)", pages)
	}
}

// TestBrowserExpired shows an expired session's own view, with no form.
func TestBrowserExpired(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ locale, wantH1 string }{
		{"fr", "Ce lien de paiement a expiré"},
		{"en", "This payment link has expired"},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			t.Parallel()
			tab := newTab(t, tabOptions{})
			s := newChromeShop(t, testdb.SQLiteURL(t))
			id, payURL := s.create(t, chromeOrder{locale: tc.locale, cancelURL: s.site + "/cart"})
			var expired struct{ Status string }
			s.call(t, http.MethodPost, "/v1/checkout/sessions/"+id+"/expire", "", "", &expired)

			act(t, tab, "open the page", chromedp.Navigate(payURL))
			if got := read(t, tab, "read the status", chromedp.AttributeValue(chromedp.CSS("#session"), "data-status")); got.Value != "expired" {
				t.Errorf("data-status = %q, want expired", got.Value)
			}
			if got := read(t, tab, "read the heading", chromedp.Text(chromedp.CSS("#session h1"))); got != tc.wantH1 {
				t.Errorf("h1 = %q, want %q", got, tc.wantH1)
			}
			for _, sel := range []string{"#pay", "#phone", "#cancel", "form"} {
				if n := read(t, tab, "look for "+sel, chromedp.Nodes(chromedp.CSSAll(sel), chromedp.AtLeast(0))); len(n) != 0 {
					t.Errorf("the expired page has %d %s, want none", len(n), sel)
				}
			}
			saveScreenshot(t, tab, "expired-"+tc.locale)
		})
	}
}

// TestBrowserWithoutJavaScript pays with scripts disabled: plain form posts,
// and the pending page's <noscript> refresh carries the customer on.
func TestBrowserWithoutJavaScript(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, phone string
		wantPath    string // where the customer lands on the merchant's site; "" stays on the page
		wantFailure string
	}{
		{name: "approve", phone: "+2250700000001", wantPath: "/ok?session_id="},
		{name: "decline", phone: "+2250700000002", wantFailure: "Le solde de votre compte mobile money est insuffisant."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tab := newTab(t, tabOptions{noScript: true})
			s := newChromeShop(t, testdb.SQLiteURL(t))
			id, payURL := s.create(t, chromeOrder{locale: "fr",
				successURL: s.site + "/ok?session_id={CHECKOUT_SESSION_ID}", cancelURL: s.site + "/cart"})
			seen := recordRequests(t, tab)

			act(t, tab, "open the page", chromedp.Navigate(payURL))
			payInTab(t, tab, tc.phone, "wave")
			if tc.wantPath != "" {
				s.waitLanded(t, tab, tc.wantPath+id)
			} else {
				act(t, tab, "wait for the failure", waitVisible("#failure"))
				if got := read(t, tab, "read #failure", chromedp.Text(chromedp.CSS("#failure"))); got != tc.wantFailure {
					t.Errorf("#failure = %q, want %q", got, tc.wantFailure)
				}
			}

			var polls, reloads int
			for _, u := range seen() {
				switch u {
				case s.env.URL + "/pay/" + id + "/status":
					polls++
				case s.env.URL + "/pay/" + id:
					reloads++
				}
			}
			if polls != 0 {
				t.Errorf("the page polled its status %d times with scripts disabled, want 0", polls)
			}
			// The first load, the redirect after the form post, and at least one refresh.
			if reloads < 3 {
				t.Errorf("the page was loaded %d times, want the first load, the post's redirect and at least one refresh: %q", reloads, seen())
			}
			saveScreenshot(t, tab, "nojs-"+tc.name)
		})
	}
}

// TestBrowserLanguage picks the session's locale, else the browser's
// Accept-Language, else French, and writes amounts that language's way.
func TestBrowserLanguage(t *testing.T) {
	t.Parallel()
	const (
		fr = "5\u202f000 FCFA" // a narrow no-break space groups the thousands
		en = "XOF 5,000"
	)
	for _, tc := range []struct {
		name, locale, acceptLanguage string
		wantLang, wantAmount         string
		wantLabel, wantBanner        string
	}{
		{"locale-fr", "fr", "en-US,en;q=0.9", "fr", fr,
			"Numéro de téléphone mobile money", "Mode test : aucun argent réel n’est débité."},
		{"locale-en", "en", "fr-CI,fr;q=0.9", "en", en,
			"Mobile money phone number", "Test mode: no real money moves."},
		{"auto-browser-en", "auto", "en-GB,en;q=0.9", "en", en,
			"Mobile money phone number", "Test mode: no real money moves."},
		{"none-browser-en", "", "en-US,en;q=0.9", "en", en,
			"Mobile money phone number", "Test mode: no real money moves."},
		{"none-browser-de", "", "de-DE,de;q=0.9", "fr", fr,
			"Numéro de téléphone mobile money", "Mode test : aucun argent réel n’est débité."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tab := newTab(t, tabOptions{acceptLanguage: tc.acceptLanguage})
			s := newChromeShop(t, testdb.SQLiteURL(t))
			_, payURL := s.create(t, chromeOrder{locale: tc.locale, successURL: s.site + "/ok", cancelURL: s.site + "/cart"})

			act(t, tab, "open the page", chromedp.Navigate(payURL))
			if got := read(t, tab, "read html lang", chromedp.AttributeValue(chromedp.CSS("html"), "lang")); got.Value != tc.wantLang {
				t.Errorf("html lang = %q, want %q", got.Value, tc.wantLang)
			}
			// textContent: the bytes the page holds, not a rendering of them.
			if got := read(t, tab, "read #amount", chromedp.TextContent(chromedp.CSS("#amount"))); got != tc.wantAmount {
				t.Errorf("#amount = %q (% x), want %q (% x)", got, got, tc.wantAmount, tc.wantAmount)
			}
			wantPay := map[string]string{"fr": "Payer ", "en": "Pay "}[tc.wantLang] + tc.wantAmount
			for _, c := range []struct{ sel, want string }{
				{"#pay", wantPay},
				{"label[for=phone]", tc.wantLabel},
				{".banner", tc.wantBanner},
			} {
				if got := read(t, tab, "read "+c.sel, chromedp.TextContent(chromedp.CSS(c.sel))); got != c.want {
					t.Errorf("%s = %q, want %q", c.sel, got, c.want)
				}
			}
			saveScreenshot(t, tab, "language-"+tc.name)
		})
	}
}

// TestBrowserSavedPhone pays a session created with the customer's number
// (mobile-money dialect) without typing it: the page shows it masked only.
func TestBrowserSavedPhone(t *testing.T) {
	t.Parallel()
	const (
		phone  = "+2250700000004" // never answers: the session stays pending
		masked = "+225••••••••04"
	)
	tab := newTab(t, tabOptions{acceptLanguage: "fr-CI,fr;q=0.9"})
	s := newChromeShop(t, testdb.SQLiteURL(t))
	created, err := s.momo().Create(context.Background(), client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: phone,
		Description: "Commande 1042", IdempotencyKey: "saved-phone-" + t.Name()})
	if err != nil {
		t.Fatal(err)
	}

	act(t, tab, "open the page", chromedp.Navigate(s.env.URL+"/pay/"+created.ID))
	if got := read(t, tab, "read the placeholder", chromedp.AttributeValue(chromedp.CSS("#phone"), "placeholder")); got.Value != masked {
		t.Errorf("#phone placeholder = %q, want %q", got.Value, masked)
	}
	if got, want := read(t, tab, "read the hint", chromedp.Text(chromedp.CSS("#phone-hint"))), "Laissez vide pour utiliser le numéro "+masked+"."; got != want {
		t.Errorf("#phone-hint = %q, want %q", got, want)
	}
	act(t, tab, "pay without typing the number",
		chromedp.Click(chromedp.CSS("#pay")),
		waitVisible(`#session[data-status="pending"]`))
	want := "Une demande de 5\u202f000 FCFA a été envoyée au " + masked + ". Composez votre code secret pour confirmer."
	if got := read(t, tab, "read the request", chromedp.Text(chromedp.CSS("#session .state p"))); got != want {
		t.Errorf("pending text = %q, want %q", got, want)
	}
	for _, digits := range []string{phone, strings.TrimPrefix(phone, "+225")} {
		if html := read(t, tab, "read the page", chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(html, digits) {
			t.Errorf("the page holds the full number %s", digits)
		}
	}
	saveScreenshot(t, tab, "saved-phone-pending")
}

// TestBrowserScreenshots brings a session into each state the page has and
// photographs it in French and English, for docs/hosted-page.md:
//
//	CAISSE_SCREENSHOTS=$PWD/docs/hosted-page go test ./internal/hosted -run TestBrowserScreenshots
func TestBrowserScreenshots(t *testing.T) {
	t.Parallel()
	s := newChromeShop(t, testdb.SQLiteURL(t))
	payWith := func(phone string, wait string) func(t *testing.T, tab context.Context, id string) {
		return func(t *testing.T, tab context.Context, id string) {
			payInTab(t, tab, phone, "orange_money")
			act(t, tab, "wait for "+wait, waitVisible(wait))
		}
	}
	byAPI := func(path string) func(t *testing.T, tab context.Context, id string) {
		return func(t *testing.T, tab context.Context, id string) {
			var out struct{ Status string }
			s.call(t, http.MethodPost, fmt.Sprintf(path, id), "", "", &out)
			act(t, tab, "reload", chromedp.Reload())
		}
	}
	for _, state := range []struct {
		name   string
		status string
		reach  func(t *testing.T, tab context.Context, id string) // from the form; nil stays there
	}{
		{"form", "created", nil},
		{"pending", "pending", payWith("+2250700000004", `#session[data-status="pending"]`)},
		{"processing", "processing", payWith("+2250700000005", `#session[data-status="processing"]`)},
		{"receipt", "completed", payWith("+2250700000001", "#receipt")},
		{"failed", "failed", payWith("+2250700000002", "#failure")},
		{"expired", "expired", byAPI("/v1/checkout/sessions/%s/expire")},
		{"cancelled", "cancelled", byAPI("/v1/checkouts/%s/cancel")},
	} {
		for _, lang := range []string{"fr", "en"} {
			t.Run(state.name+"-"+lang, func(t *testing.T) {
				t.Parallel()
				// No success_url: a paid session shows its receipt.
				id, payURL := s.create(t, chromeOrder{locale: lang, cancelURL: s.site + "/cart", reference: "CMD-1042"})
				tab := newTab(t, tabOptions{})
				act(t, tab, "open the page", chromedp.Navigate(payURL), waitVisible("#pay"))
				if state.reach != nil {
					state.reach(t, tab, id)
				}
				if got := read(t, tab, "read the status", chromedp.AttributeValue(chromedp.CSS("#session"), "data-status")); got.Value != state.status {
					t.Fatalf("data-status = %q, want %q", got.Value, state.status)
				}
				saveScreenshot(t, tab, state.name+"-"+lang)
			})
		}
	}
}
