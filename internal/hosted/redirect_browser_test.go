package hosted_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/connector/orange"
	"github.com/caisse/caisse/internal/connector/wave"
	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/operator"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// The redirect flows in a real browser: a live merchant whose Orange Money
// and Wave connectors talk to the operators' simulators, in this process.
// The customer picks the channel on caisse's page, is taken to the
// operator's page by itself, pays there with a number whose last 4 digits
// choose the outcome (0001 approve, 0002 decline, 0004 no answer), and comes
// back through /pay/{id}/return, which asks the operator before showing
// anything.

// simDelay is how long the simulators take before each outcome.
const simDelay = 100 * time.Millisecond

// redirectShop is a live merchant on a real caisse server, paid through the
// Orange Money and Wave simulators, with its own site to send customers back to.
type redirectShop struct {
	env       *testserver.Env
	p         merchant.Principal
	site      *chromeShop // for its merchant site and waitLanded
	orange    *orange.Simulator
	orangeURL string
	wave      *wave.Simulator
	waveURL   string
}

// newRedirectShop starts a caisse server on dbURL with its jobs, a live
// merchant, and a simulator and a live connector for each of channels
// (orange_money, wave).
func newRedirectShop(t *testing.T, dbURL string, channels ...string) *redirectShop {
	t.Helper()
	ctx := context.Background()
	env := testserver.Start(t, dbURL, testserver.WithJobs(), testserver.WithSelfURL())
	env.Clock.Follow(0)
	m, err := env.Server.Merchants.Create(ctx, "Boutique Adjoua", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := env.Server.Merchants.Authenticate(ctx, m.LiveSecretKey)
	if err != nil {
		t.Fatal(err)
	}
	site := httptest.NewServer(http.HandlerFunc(merchantPage))
	t.Cleanup(site.Close)
	s := &redirectShop{env: env, p: p, site: &chromeShop{env: env, site: site.URL, public: env.URL}}
	for _, ch := range channels {
		// Each simulator's address is known before it serves: its pages'
		// URLs are built on it, and Wave's webhook needs the connector first.
		srv := httptest.NewUnstartedServer(nil)
		public := "http://" + srv.Listener.Addr().String()
		switch ch {
		case "orange_money":
			id, secret, key := "orange-client-"+t.Name(), "ocs_0123456789abcdef", "omk_0123456789abcdef"
			s.orange = &orange.Simulator{Clients: []orange.Client{{ID: id, Secret: secret, MerchantKey: key}},
				PublicURL: public, Delay: simDelay}
			s.orangeURL, srv.Config.Handler = public, s.orange
			if _, err := env.Server.Connectors.Set(ctx, operator.Setting{MerchantID: p.Merchant.ID, Livemode: true,
				Channel: ch, Kind: ch, BaseURL: public + "/orange-money-webpay/dev/v1",
				Credentials: map[string]string{"client_id": id, "client_secret": secret, "merchant_key": key}}); err != nil {
				t.Fatal(err)
			}
		case "wave":
			apiKey, webhook := "wave_ci_prod_0123456789abcdef", "wave_ci_WHS_0123456789abcdef"
			conn, err := env.Server.Connectors.Set(ctx, operator.Setting{MerchantID: p.Merchant.ID, Livemode: true,
				Channel: ch, Kind: ch, BaseURL: public,
				Credentials: map[string]string{"api_key": apiKey, "webhook_secret": webhook}})
			if err != nil {
				t.Fatal(err)
			}
			s.wave = &wave.Simulator{Merchants: []wave.Merchant{{APIKey: apiKey, BusinessName: "Boutique Adjoua",
				WebhookURL: env.Server.Connectors.CallbackURL(conn.ID), WebhookSecret: webhook}},
				PublicURL: public, Delay: simDelay}
			s.waveURL, srv.Config.Handler = public, s.wave
		default:
			t.Fatalf("no simulator for channel %q", ch)
		}
		srv.Start()
		t.Cleanup(srv.Close)
		switch ch { // runs before srv.Close: it ends the outcomes being played
		case "orange_money":
			t.Cleanup(s.orange.Close)
		case "wave":
			t.Cleanup(s.wave.Close)
		}
	}
	return s
}

// create creates a live session of 5 000 XOF in English, whose success_url
// is the merchant's /ok?session_id={CHECKOUT_SESSION_ID}, and returns its id
// and its page's URL.
func (s *redirectShop) create(t *testing.T) (id, payURL string) {
	t.Helper()
	cs, err := s.env.Server.Checkout.Create(context.Background(), s.p, checkout.CreateParams{
		Amount: 5000, Currency: "XOF", Locale: "en", Description: "Pagne wax",
		SuccessURL: s.site.site + "/ok?session_id={CHECKOUT_SESSION_ID}", CancelURL: s.site.site + "/cart"})
	if err != nil {
		t.Fatal(err)
	}
	return cs.ID, s.env.URL + "/pay/" + cs.ID
}

// stored is the session as the store holds it.
func (s *redirectShop) stored(t *testing.T, id string) store.Session {
	t.Helper()
	cur, err := s.env.Server.Store.SessionGet(context.Background(), s.p.Scope(), id)
	if err != nil {
		t.Fatal(err)
	}
	return cur
}

// orangeStatusQueries counts the transactionstatus requests Orange received.
func (s *redirectShop) orangeStatusQueries() int {
	n := 0
	for _, r := range s.orange.Requests() {
		if strings.HasSuffix(r.Path, "/transactionstatus") {
			n++
		}
	}
	return n
}

// waitOperatorPage waits until the tab shows the operator's page (its field
// sel visible) at a URL under prefix, and returns that URL.
func waitOperatorPage(t *testing.T, tab context.Context, sel, prefix string) string {
	t.Helper()
	act(t, tab, "wait for the operator's page", waitVisible(sel))
	loc := read(t, tab, "read the location", chromedp.Location())
	if !strings.HasPrefix(loc, prefix) {
		t.Fatalf("the operator's page is at %s, want under %s", loc, prefix)
	}
	return loc
}

// payOnOrange pays on Orange's simulated page: number, payment code, Pay.
func payOnOrange(t *testing.T, tab context.Context, phone string) {
	t.Helper()
	act(t, tab, "pay on Orange's page with "+phone,
		chromedp.SendKeys(chromedp.CSS("#orange-phone"), phone),
		chromedp.SendKeys(chromedp.CSS("#orange-otp"), "1234"),
		chromedp.Click(chromedp.CSS("#orange-pay")))
}

// fitsPhone fails the test if the tab's page is wider than the phone: the
// customer would have to scroll sideways.
func fitsPhone(t *testing.T, tab context.Context, what string) {
	t.Helper()
	if w := read(t, tab, "measure "+what, chromedp.Evaluate[int]("document.documentElement.scrollWidth")); w > phoneWidth {
		t.Errorf("%s is %d px wide, more than the phone's %d", what, w, phoneWidth)
	}
}

// wantTexts reads the text of each selector and compares it with its want.
func wantTexts(t *testing.T, tab context.Context, want map[string]string) {
	t.Helper()
	for sel, w := range want {
		if got := read(t, tab, "read "+sel, chromedp.Text(chromedp.CSS(sel))); got != w {
			t.Errorf("%s = %q, want %q", sel, got, w)
		}
	}
}

// TestBrowserOrangeApprove: the customer picks Orange Money and types a
// local number with spaces; the page takes them to Orange's page by itself;
// they pay there and come back through caisse to the merchant's success_url.
// The store holds the Orange pay_token as the operator's reference.
func TestBrowserOrangeApprove(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		tab := newTab(t, tabOptions{})
		s := newRedirectShop(t, dbURL, "orange_money", "wave")
		id, payURL := s.create(t)

		act(t, tab, "open the page", chromedp.Navigate(payURL), waitVisible("#pay"))
		payInTab(t, tab, "07 07 00 00 01", "orange_money")
		page := waitOperatorPage(t, tab, "#orange-phone", s.orangeURL+"/payment/pay_token/")
		token := strings.TrimPrefix(page, s.orangeURL+"/payment/pay_token/")
		if got := read(t, tab, "read Orange's amount", chromedp.Text(chromedp.CSS("#orange-amount"))); got != "5000 OUV" {
			t.Errorf("Orange's page asks for %q, want 5000 OUV (the sandbox's currency)", got)
		}
		cur := s.stored(t, id)
		if cur.Status != checkout.StatusPending || cur.Channel != "orange_money" || cur.UserPhone != "+2250707000001" || cur.ConnectorURL != page {
			t.Errorf("on Orange's page, the session is %s with %s, %s, operator page %s; want pending with orange_money, +2250707000001, %s",
				cur.Status, cur.Channel, cur.UserPhone, cur.ConnectorURL, page)
		}
		saveScreenshot(t, tab, "orange-page")

		payOnOrange(t, tab, "07 07 00 00 01")
		s.site.waitLanded(t, tab, "/ok?session_id="+id)

		cur = s.stored(t, id)
		if cur.Status != checkout.StatusCompleted || cur.ConnectorRef != token || cur.CompletedAt == nil {
			t.Errorf("after landing on success_url, the session is %s, ref %q, completed at %v; want completed with Orange's pay_token %q",
				cur.Status, cur.ConnectorRef, cur.CompletedAt, token)
		}
	})
}

// TestBrowserWaveDeclineThenRetry: paid with Wave from a number that
// declines, the customer comes back to caisse's page showing the failure and
// the form again, and pays with Orange Money instead.
func TestBrowserWaveDeclineThenRetry(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		tab := newTab(t, tabOptions{})
		s := newRedirectShop(t, dbURL, "orange_money", "wave")
		id, payURL := s.create(t)

		act(t, tab, "open the page", chromedp.Navigate(payURL), waitVisible("#pay"))
		payInTab(t, tab, "07 07 00 00 02", "wave")
		wavePage := waitOperatorPage(t, tab, "#wave-phone", s.waveURL+"/c/")
		act(t, tab, "pay on Wave's page", // the field holds the number caisse sent: typed again
			chromedp.Clear(chromedp.CSS("#wave-phone")),
			chromedp.SendKeys(chromedp.CSS("#wave-phone"), "+225 07 07 00 00 02"),
			chromedp.Click(chromedp.CSS("#wave-pay")))

		act(t, tab, "wait for the failure on caisse's page", waitVisible("#failure"))
		if loc := read(t, tab, "read the location", chromedp.Location()); !strings.HasPrefix(loc, payURL) {
			t.Errorf("the failure is shown at %s, want caisse's page %s", loc, payURL)
		}
		wantTexts(t, tab, map[string]string{
			"#session h1": "The payment did not go through",
			"#failure":    "Your mobile money balance is too low.",
			"h2.retry":    "Try again with another number or another way to pay",
		})
		act(t, tab, "wait for the form again", waitVisible("#pay"))
		cur := s.stored(t, id)
		if cur.Status != checkout.StatusFailed || cur.FailureReason != "insufficient_funds" || cur.ConnectorURL != wavePage {
			t.Errorf("after Wave's decline the session is %s (%q), operator page %s; want failed (insufficient_funds) at %s",
				cur.Status, cur.FailureReason, cur.ConnectorURL, wavePage)
		}
		fitsPhone(t, tab, "the failure with the form again")
		saveScreenshot(t, tab, "wave-declined")

		typePhone(t, tab, "07 07 00 00 01")
		act(t, tab, "retry with Orange Money",
			chromedp.Click(chromedp.CSS(`input[name=channel][value="orange_money"]`)),
			chromedp.Click(chromedp.CSS("#pay")))
		page := waitOperatorPage(t, tab, "#orange-phone", s.orangeURL+"/payment/pay_token/")
		payOnOrange(t, tab, "0707000001")
		s.site.waitLanded(t, tab, "/ok?session_id="+id)

		cur = s.stored(t, id)
		if token := strings.TrimPrefix(page, s.orangeURL+"/payment/pay_token/"); cur.Status != checkout.StatusCompleted ||
			cur.Channel != "orange_money" || cur.ConnectorRef != token {
			t.Errorf("after the retry the session is %s with %s, ref %q; want completed with orange_money and Orange's pay_token %q",
				cur.Status, cur.Channel, cur.ConnectorRef, token)
		}
	})
}

// TestBrowserReturnAsksOperator: the return page believes the operator, not
// the URL. The customer opened Orange's page and did not pay; reopening the
// payment link takes them back there; coming to /pay/{id}/return (with a
// query that claims success) asks Orange, shows the session still pending
// with the link to Orange's page offered but not followed; following it and
// paying completes the session.
func TestBrowserReturnAsksOperator(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		tab := newTab(t, tabOptions{})
		s := newRedirectShop(t, dbURL, "orange_money")
		id, payURL := s.create(t)

		act(t, tab, "open the page", chromedp.Navigate(payURL), waitVisible("#pay"))
		payInTab(t, tab, "+225 07 07 00 00 01", "orange_money")
		page := waitOperatorPage(t, tab, "#orange-phone", s.orangeURL+"/payment/pay_token/")

		// The payment link again, once the operator's page is known: the page
		// sends the customer there by itself.
		act(t, tab, "open the payment link again", chromedp.Navigate(payURL))
		if got := waitOperatorPage(t, tab, "#orange-phone", s.orangeURL); got != page {
			t.Errorf("the payment link led to %s, want Orange's page %s", got, page)
		}

		asked := s.orangeStatusQueries()
		act(t, tab, "come back unpaid", chromedp.Navigate(payURL+"/return?status=SUCCESS"))
		waitLocation(t, tab, payURL+"?back")
		act(t, tab, "wait for the pending page", waitVisible("#redirect"))
		if s.orangeStatusQueries() <= asked {
			t.Error("the return page did not ask Orange where the payment stands")
		}
		wantTexts(t, tab, map[string]string{
			"#session h1": "Pay on the Orange Money page",
			"#redirect":   "Pay with Orange Money",
		})
		if got := read(t, tab, "read #redirect's href", chromedp.AttributeValue(chromedp.CSS("#redirect"), "href")); got.Value != page {
			t.Errorf("#redirect href = %q, want Orange's page %q", got.Value, page)
		}
		if got := read(t, tab, "read #redirect's data-auto", chromedp.AttributeValue(chromedp.CSS("#redirect"), "data-auto")); got.Exists {
			t.Errorf("back from Orange, #redirect has data-auto=%q: the page would send the customer there again by itself", got.Value)
		}
		fitsPhone(t, tab, "the page back from Orange")
		saveScreenshot(t, tab, "orange-back-unpaid")
		time.Sleep(2500 * time.Millisecond) // two polls of the status: the page must stay
		if loc := read(t, tab, "read the location", chromedp.Location()); loc != payURL+"?back" {
			t.Errorf("back from Orange unpaid, the page went on to %s by itself", loc)
		}
		if got := read(t, tab, "read the status", chromedp.AttributeValue(chromedp.CSS("#session"), "data-status")); got.Value != "pending" {
			t.Errorf("the page shows %q, want pending", got.Value)
		}
		if cur := s.stored(t, id); cur.Status != checkout.StatusPending || cur.CompletedAt != nil {
			t.Errorf("back from Orange unpaid, the session is %s (completed at %v), want pending", cur.Status, cur.CompletedAt)
		}

		act(t, tab, "go back to Orange's page", chromedp.Click(chromedp.CSS("#redirect")))
		waitOperatorPage(t, tab, "#orange-phone", page)
		payOnOrange(t, tab, "0707000001")
		s.site.waitLanded(t, tab, "/ok?session_id="+id)
		if cur := s.stored(t, id); cur.Status != checkout.StatusCompleted {
			t.Errorf("paid on Orange's page at last, the session is %s, want completed", cur.Status)
		}
	})
}

// TestBrowserOnlyConfiguredChannels: a live merchant with only a Wave
// connector is offered Wave alone.
func TestBrowserOnlyConfiguredChannels(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		tab := newTab(t, tabOptions{})
		s := newRedirectShop(t, dbURL, "wave")
		_, payURL := s.create(t)

		act(t, tab, "open the page", chromedp.Navigate(payURL), waitVisible("#pay"))
		radios := read(t, tab, "list the channels", chromedp.Nodes(chromedp.CSSAll(`input[name=channel]`), chromedp.AtLeast(0)))
		var offered []string
		for _, n := range radios {
			offered = append(offered, n.AttributeValue("value"))
		}
		if !slices.Equal(offered, []string{"wave"}) {
			t.Errorf("the page offers %q, want only wave", offered)
		}
		if got := read(t, tab, "read the channel's label", chromedp.Text(chromedp.CSS("label.channel"))); strings.TrimSpace(got) != "Wave" {
			t.Errorf("the channel's label is %q, want Wave", got)
		}
		if n := read(t, tab, "is Wave picked", chromedp.Nodes(chromedp.CSSAll(`input[name=channel][value=wave]:checked`), chromedp.AtLeast(0))); len(n) != 1 {
			t.Error("Wave, the only channel, is not picked")
		}
		fitsPhone(t, tab, "the form")
		saveScreenshot(t, tab, "wave-only")
	})
}
