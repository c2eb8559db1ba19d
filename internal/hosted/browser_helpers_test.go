package hosted_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/caisse/caisse/client"
	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/testserver"
)

// The browser tests drive Debian's Chromium, headless, through chromedp. Each
// test runs a real caisse server (with its background jobs, so the test
// connector answers) and a small merchant site to be sent back to.

const (
	// width and height are the window of a small phone.
	phoneWidth, phoneHeight = 360, 740
	// browserPatience bounds every wait on the browser; the test connector answers
	// within about a second, and the no-JS page reloads every 3 s.
	browserPatience = 20 * time.Second
	// lookEvery is how often a wait looks at the tab again. chromedp's own
	// queries retry every 5 ms: a call to the browser 200 times a second for
	// each tab waiting on a payment's outcome, and many tabs wait at once.
	lookEvery = 50 * time.Millisecond
)

// chromium returns the path of a Chromium or Chrome binary. Without one the
// test is skipped, or fails when CI is set.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium, chromium-browser or google-chrome in PATH (CI is set): install Debian's chromium")
	}
	t.Skip("no chromium, chromium-browser or google-chrome in PATH; skipping the browser test (set CI to make this a failure)")
	return ""
}

// TestMain runs the package's tests, the browser tests all at once (each mostly
// waits, on the test connector's answer or the page's reloads), then stops the
// Chromiums they share.
func TestMain(m *testing.M) {
	testserver.Parallel(16)
	code := m.Run()
	for _, stop := range chrome.stops {
		stop()
	}
	os.Exit(code)
}

// chrome is the package's headless Chromiums, started by the first test that
// opens a tab: one for each core, up to 4, since a browser serves the DevTools
// connections of all its tabs on one thread. Tests take them in turn, and each
// test has its tabs in a browser context of its own.
var chrome struct {
	once     sync.Once
	browsers []context.Context // each holds a running browser; tabs are made from them
	stops    []func()          // each stops a browser and removes its profile
	next     atomic.Uint32     // counts the tabs opened, to take the browsers in turn
	err      error
}

// startChromiums starts chrome's browsers, at once.
func startChromiums(path string) {
	n := min(runtime.NumCPU(), 4)
	chrome.browsers, chrome.stops = make([]context.Context, n), make([]func(), n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { chrome.browsers[i], chrome.stops[i], errs[i] = startChromium(path) })
	}
	wg.Wait()
	if chrome.err = errors.Join(errs...); chrome.err != nil {
		for _, stop := range chrome.stops {
			if stop != nil {
				stop()
			}
		}
		chrome.stops = nil
	}
}

// startChromium starts a headless Chromium at path with a fresh profile and
// returns a context holding it, and what stops it.
func startChromium(path string) (context.Context, func(), error) {
	profile, err := os.MkdirTemp("", "caisse-chromium-")
	if err != nil {
		return nil, nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// chromedp's own list, and the omnibox popups that Chromium makes for
		// every window (every browser context, so every test) as two WebUI
		// pages, each in a renderer of its own: without them the browser tests
		// take half the CPU time.
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(phoneWidth, phoneHeight),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	stop := func() {
		cancelBrowser()
		cancelAlloc() // waits for the browser to exit
		os.RemoveAll(profile)
	}
	if err := chromedp.Do(browser); err != nil { // starts the browser, with no deadline
		stop()
		return nil, nil, fmt.Errorf("start %s: %w", path, err)
	}
	return browser, stop, nil
}

// tabOptions set up a tab before its first page.
type tabOptions struct {
	noScript       bool   // scripts disabled, as for a customer without JavaScript
	acceptLanguage string // the browser's Accept-Language; "" leaves Chromium's own
}

// newTab opens a tab of one of the shared Chromiums in a browser context of
// its own (its own cookies and cache), with the phone-sized viewport, closed
// with its browser context at cleanup.
func newTab(t *testing.T, o tabOptions) context.Context {
	t.Helper()
	path := chromium(t)
	chrome.once.Do(func() { startChromiums(path) })
	if chrome.err != nil {
		t.Fatal(chrome.err)
	}
	browser := chrome.browsers[int(chrome.next.Add(1))%len(chrome.browsers)]
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(func() { cancel() })
	steps := []chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(phoneWidth, phoneHeight)}
	if o.noScript {
		steps = append(steps, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}))
	}
	if o.acceptLanguage != "" {
		steps = append(steps, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders,
				network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": o.acceptLanguage}})
			return err
		}))
	}
	if err := chromedp.Do(tab, steps...); err != nil { // opens the tab, with no deadline
		t.Fatalf("open a tab: %v", err)
	}
	return tab
}

// waitVisible waits until an element matching the CSS selector sel is visible,
// looking every lookEvery.
func waitVisible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel), chromedp.RetryInterval(lookEvery))
}

// act runs steps in tab within browserPatience, failing the test with what the page shows.
func act(t *testing.T, tab context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserPatience)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v (%s)", what, err, whereIs(tab))
	}
}

// read runs one action in tab within browserPatience and returns its value.
func read[T any](t *testing.T, tab context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserPatience)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v (%s)", what, err, whereIs(tab))
	}
	return v
}

// tabLocation is the URL of the tab's current page, read from its history so
// that it works with scripts disabled too.
func tabLocation(ctx context.Context) (string, error) {
	h, err := chromedp.Run(ctx, chromedp.NavigationEntries())
	if err != nil {
		return "", err
	}
	if h.CurrentIndex < 0 || int(h.CurrentIndex) >= len(h.Entries) {
		return "", fmt.Errorf("no current history entry (%d of %d)", h.CurrentIndex, len(h.Entries))
	}
	return h.Entries[h.CurrentIndex].URL, nil
}

// whereIs describes the tab's page for a failure message.
func whereIs(tab context.Context) string {
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	loc, err := tabLocation(ctx)
	if err != nil {
		return "location unknown: " + err.Error()
	}
	short, cancelShort := context.WithTimeout(ctx, time.Second)
	defer cancelShort()
	if st, err := chromedp.Run(short, chromedp.AttributeValue(chromedp.CSS("#session"), "data-status")); err == nil {
		return fmt.Sprintf("the tab is at %s, showing status %q", loc, st.Value)
	}
	return "the tab is at " + loc
}

// waitLocation waits until the tab's page is at want. It polls the tab's
// history: a redirect, a script's location.replace and a meta refresh all end
// there.
func waitLocation(t *testing.T, tab context.Context, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserPatience)
	defer cancel()
	tick := time.NewTicker(lookEvery)
	defer tick.Stop()
	last := ""
	for {
		if loc, err := tabLocation(ctx); err == nil {
			if loc == want {
				return
			}
			last = loc
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the tab did not reach %s within %s; it is at %s", want, browserPatience, last)
		case <-tick.C:
		}
	}
}

// saveScreenshot saves a full-page PNG of the tab as name.png into
// $CAISSE_SCREENSHOTS, or the test's temporary directory. The docs' copies
// are committed, so the image is cut down to its 256 commonest colours (a
// page of flat colours and text looks the same) and compressed at the best
// level: less than half of Chromium's PNG.
func saveScreenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	dir := os.Getenv("CAISSE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	// A page just navigated to may have no layout yet: wait for its body.
	act(t, tab, "wait for the page to show", waitVisible("body"))
	raw := read(t, tab, "screenshot "+name, chromedp.FullScreenshot(100))
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, paletted(img)); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d×%d, %d bytes)", path, img.Bounds().Dx(), img.Bounds().Dy(), buf.Len())
}

// paletted is img in its 256 commonest colours, every other colour drawn as
// the nearest of them.
func paletted(img image.Image) *image.Paletted {
	b := img.Bounds()
	counts := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			counts[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	colors := slices.Collect(maps.Keys(counts))
	slices.SortFunc(colors, func(a, b color.RGBA) int { // commonest first; ties in a fixed order
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return cmp.Compare(uint32(a.R)<<24|uint32(a.G)<<16|uint32(a.B)<<8|uint32(a.A),
			uint32(b.R)<<24|uint32(b.G)<<16|uint32(b.B)<<8|uint32(b.A))
	})
	palette := make(color.Palette, 0, 256)
	for _, c := range colors[:min(256, len(colors))] {
		palette = append(palette, c)
	}
	out := image.NewPaletted(b, palette)
	draw.Draw(out, b, img, b.Min, draw.Src)
	return out
}

// chromeShop is a merchant on a real caisse server, with its own site to send
// customers back to.
type chromeShop struct {
	env    *testserver.Env
	key    string // test-mode secret key
	site   string // the merchant site's URL
	public string // CAISSE_PUBLIC_URL, where customers reach the page: the server's own URL, or its proxy's
}

// newChromeShop starts a caisse server on dbURL with its background jobs (the test
// connector answers through them) and a clock following the wall clock (the
// page shows the time left), creates a merchant and starts its site.
func newChromeShop(t *testing.T, dbURL string) *chromeShop {
	t.Helper()
	env := testserver.Start(t, dbURL, testserver.WithJobs(), testserver.WithSelfURL())
	env.Clock.Follow(0)
	m, err := env.Server.Merchants.Create(context.Background(), "Boutique Adjoua", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	site := httptest.NewServer(http.HandlerFunc(merchantPage))
	t.Cleanup(site.Close)
	return &chromeShop{env: env, key: m.TestSecretKey, site: site.URL, public: env.URL}
}

// frontProxy is a reverse proxy in front of a caisse server, as in
// production: CAISSE_PUBLIC_URL is its URL, and it rewrites Host to the
// server's own address. It records what it passes on.
type frontProxy struct {
	URL  string
	mu   sync.Mutex
	seen []proxied
}

// proxied is one request the proxy passed on, and the answer's headers.
type proxied struct {
	Method, Path                  string
	SecFetchSite, Origin          string // as the server received them
	Status                        int
	ContentEncoding, CacheControl string
}

// requests lists what the proxy passed on so far.
func (p *frontProxy) requests() []proxied {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.seen)
}

// newChromeShopBehindProxy is newChromeShop behind a frontProxy. With
// oldBrowser the proxy drops the Sec-Fetch-* headers, so the server sees
// what KaiOS and old Android and iOS WebViews send: Origin alone.
func newChromeShopBehindProxy(t *testing.T, dbURL string, oldBrowser bool) (*chromeShop, *frontProxy) {
	t.Helper()
	front := httptest.NewUnstartedServer(nil)
	fp := &frontProxy{URL: "http://" + front.Listener.Addr().String()}
	env := testserver.Start(t, dbURL, testserver.WithJobs(), testserver.WithConfig(func(c *config.Config) { c.PublicURL = fp.URL }))
	env.Clock.Follow(0)
	target, err := url.Parse(env.URL)
	if err != nil {
		t.Fatal(err)
	}
	front.Config.Handler = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target) // and Host becomes the server's address
			if oldBrowser {
				for name := range r.Out.Header {
					if strings.HasPrefix(name, "Sec-Fetch-") {
						r.Out.Header.Del(name)
					}
				}
			}
		},
		ModifyResponse: func(res *http.Response) error {
			fp.mu.Lock()
			defer fp.mu.Unlock()
			fp.seen = append(fp.seen, proxied{Method: res.Request.Method, Path: res.Request.URL.Path,
				SecFetchSite: res.Request.Header.Get("Sec-Fetch-Site"), Origin: res.Request.Header.Get("Origin"),
				Status: res.StatusCode, ContentEncoding: res.Header.Get("Content-Encoding"), CacheControl: res.Header.Get("Cache-Control")})
			return nil
		},
	}
	front.Start()
	t.Cleanup(front.Close)
	m, err := env.Server.Merchants.Create(context.Background(), "Boutique Adjoua", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	site := httptest.NewServer(http.HandlerFunc(merchantPage))
	t.Cleanup(site.Close)
	return &chromeShop{env: env, key: m.TestSecretKey, site: site.URL, public: fp.URL}, fp
}

// waitLanded waits until the tab is on the merchant's site at uri (path and
// query), and the site has answered that request.
func (s *chromeShop) waitLanded(t *testing.T, tab context.Context, uri string) {
	t.Helper()
	waitLocation(t, tab, s.site+uri)
	if got := read(t, tab, "read the merchant's page", chromedp.Text(chromedp.CSS("#merchant-request"))); got != uri {
		t.Errorf("the merchant's site answered %q, want %q", got, uri)
	}
	if got := read(t, tab, "read the merchant's page", chromedp.TextContent(chromedp.CSS("#merchant-referer"))); got != "" {
		t.Errorf("the merchant's site was sent the Referer %q, want none", got)
	}
}

// merchantPage is the merchant's own page a customer is sent back to.
func merchantPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><meta name="viewport" content="width=device-width"><title>Boutique Adjoua</title>
<h1>Boutique Adjoua</h1><p id="merchant-request" style="overflow-wrap:anywhere">%s</p><p id="merchant-referer">%s</p>`,
		html.EscapeString(r.URL.RequestURI()), html.EscapeString(r.Referer()))
}

// chromeOrder describes a session to create through the Stripe dialect.
type chromeOrder struct {
	locale     string // "" sends none
	successURL string
	cancelURL  string
	reference  string // client_reference_id
}

// create creates a session of 5 000 XOF (two items of 2 500) and returns its
// id and its url, the hosted page.
func (s *chromeShop) create(t *testing.T, c chromeOrder) (id, payURL string) {
	t.Helper()
	form := url.Values{
		"mode":                                          {"payment"},
		"line_items[0][price_data][currency]":           {"xof"},
		"line_items[0][price_data][unit_amount]":        {"2500"},
		"line_items[0][price_data][product_data][name]": {"Pagne wax"},
		"line_items[0][quantity]":                       {"2"},
	}
	for k, v := range map[string]string{"locale": c.locale, "success_url": c.successURL,
		"cancel_url": c.cancelURL, "client_reference_id": c.reference} {
		if v != "" {
			form.Set(k, v)
		}
	}
	var out struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	}
	s.call(t, http.MethodPost, "/v1/checkout/sessions", "application/x-www-form-urlencoded", form.Encode(), &out)
	if want := s.public + "/pay/" + out.ID; out.ID == "" || out.URL != want {
		t.Fatalf("created session %q with url %q, want the url %q", out.ID, out.URL, want)
	}
	return out.ID, out.URL
}

// status is the session's canonical status, read through the mobile-money API.
func (s *chromeShop) status(t *testing.T, id string) string {
	t.Helper()
	got, err := s.momo().Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return got.Status
}

// momo is the mobile-money API's client with the test key.
func (s *chromeShop) momo() *client.Client { return client.New(s.key, client.WithBaseURL(s.env.URL)) }

// call sends an API request with the test key (and the headers given as
// name, value pairs) and decodes the 200 or 201 answer into out.
func (s *chromeShop) call(t *testing.T, method, path, contentType, body string, out any, header ...string) {
	t.Helper()
	req, err := http.NewRequest(method, s.env.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(s.key, "")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusCreated {
		t.Fatalf("%s %s: %s: %s", method, path, res.Status, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s %s: %v: %s", method, path, err, raw)
	}
}

// payInTab fills the form as a customer: the phone number, a channel, then Pay.
func payInTab(t *testing.T, tab context.Context, phone, channel string) {
	t.Helper()
	act(t, tab, "pay with "+phone,
		chromedp.SendKeys(chromedp.CSS("#phone"), phone),
		chromedp.Click(chromedp.CSS(`input[name=channel][value="`+channel+`"]`)),
		chromedp.Click(chromedp.CSS("#pay")),
	)
}

// typePhone replaces what the phone field of a page just loaded holds
// (its value attribute) with phone, typed.
func typePhone(t *testing.T, tab context.Context, phone string) {
	t.Helper()
	act(t, tab, "type "+phone,
		chromedp.Clear(chromedp.CSS("#phone")),
		chromedp.SendKeys(chromedp.CSS("#phone"), phone))
}

// recordRequests records the URLs the tab requests from now on; the returned func
// lists them.
func recordRequests(t *testing.T, tab context.Context) func() []string {
	t.Helper()
	var mu sync.Mutex
	var urls []string
	err := chromedp.Listen(tab, func(ev any) {
		if ev, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			urls = append(urls, ev.Request.URL)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(urls)
	}
}
