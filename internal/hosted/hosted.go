// Package hosted serves the hosted payment page a session's url opens:
// /pay/{id}, server-rendered with html/template from embedded templates and
// assets, usable without JavaScript (plain form posts, a refresh while the
// payment is pending) and live with it (status polling). It pays through the
// same checkout methods as the API. It imports checkout, connector and money,
// never an API dialect or an engine.
package hosted

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/connector"
	"github.com/caisse/caisse/internal/merchant"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pageTemplate is parsed once at start-up; a broken template stops the binary.
var pageTemplate = template.Must(template.New("page.html").Funcs(template.FuncMap{
	"printf": fmt.Sprintf,
	"asset":  assetURL,
}).ParseFS(templateFiles, "templates/*.html"))

// csrfCookie holds the browser's anti-forgery token; each form repeats it.
const csrfCookie = "caisse_csrf"

// Page is the hosted payment page.
type Page struct {
	Checkout *checkout.Service
	Log      *slog.Logger
	// Secure marks cookies Secure (the public URL is https).
	Secure bool
	// PublicURL is CAISSE_PUBLIC_URL, where customers reach the page. Its
	// origin is trusted for form posts even when a reverse proxy rewrote the
	// Host header and the browser sends Origin without Sec-Fetch-Site.
	PublicURL string
}

// Register adds the page's routes to mux.
func (p *Page) Register(mux *http.ServeMux) {
	mux.Handle("GET /assets/", headers(http.HandlerFunc(serveAsset)))
	mux.Handle("GET /pay/{id}", headers(http.HandlerFunc(p.show)))
	mux.Handle("GET /pay/{id}/status", headers(http.HandlerFunc(p.status)))
	mux.Handle("GET /pay/{id}/cancel", headers(http.HandlerFunc(p.askCancel)))
	mux.Handle("GET /pay/{id}/return", headers(http.HandlerFunc(p.back)))
	posts := http.NewCrossOriginProtection()
	if origin := publicOrigin(p.PublicURL); origin != "" {
		if err := posts.AddTrustedOrigin(origin); err != nil {
			p.Log.Warn("hosted page: the public URL's origin cannot be trusted for form posts", "origin", origin, "error", err)
		}
	}
	posts.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.refuse(w, r, http.StatusForbidden, "cross_origin")
	}))
	mux.Handle("POST /pay/{id}/confirm", headers(posts.Handler(p.guard(p.confirm))))
	mux.Handle("POST /pay/{id}/cancel", headers(posts.Handler(p.guard(p.cancel))))
	// Whatever else reaches /pay/ is answered with a page too: a method a
	// route does not take (405), or no such page (404).
	for pattern, allow := range map[string]string{"/pay/{id}": "GET, HEAD", "/pay/{id}/status": "GET, HEAD",
		"/pay/{id}/confirm": "POST", "/pay/{id}/cancel": "GET, HEAD, POST", "/pay/{id}/return": "GET, HEAD"} {
		mux.Handle(pattern, headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			p.refuse(w, r, http.StatusMethodNotAllowed, "method")
		})))
	}
	mux.Handle("/pay/", headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.refuse(w, r, http.StatusNotFound, "not_found")
	})))
}

// publicOrigin is the origin (scheme://host[:port]) of an http(s) URL, or "".
func publicOrigin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// headers sets the security headers every answer carries.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		// same-origin, not no-referrer: under no-referrer a browser sends
		// "Origin: null" with the page's own form posts, which an old one
		// (no Sec-Fetch-Site) then cannot be told apart from a forgery by.
		// Either way the merchant's site never learns the page's URL.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store") // the assets set their own
		h.Set("Content-Security-Policy", policy())
		next.ServeHTTP(w, r)
	})
}

// policy is the Content-Security-Policy: nothing inline, nothing from
// elsewhere; forms post here, and their redirects may reach the merchant's
// own pages (origins).
func policy(origins ...string) string {
	return "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; " +
		"form-action " + strings.Join(append([]string{"'self'"}, origins...), " ") + "; frame-ancestors 'none'; base-uri 'none'"
}

// merchantOrigins are the origins of a session's success and cancel URLs.
func merchantOrigins(s checkout.Session) []string {
	var out []string
	for _, raw := range []string{s.SuccessURL, s.CancelURL} {
		if u, err := url.Parse(raw); err == nil && u.Host != "" && !slices.Contains(out, u.Scheme+"://"+u.Host) {
			out = append(out, u.Scheme+"://"+u.Host)
		}
	}
	return out
}

// view is what the template renders.
type view struct {
	T           texts
	Lang        string
	ID          string
	Status      string
	Merchant    string
	Amount      string
	Description string
	Items       []item
	ExpiresAt   int64
	TimeLeft    string
	TestMode    bool
	Scenarios   []scenario
	PhoneMasked string
	Channels    []channel
	CSRF        string
	Form        form // what the customer sent, when the page answers it
	Failure     string
	Retry       bool // a failed session the customer may pay again: the form follows the failure
	AskCancel   bool // the cancel confirmation instead of the status's view
	BackURL     string
	Reference   string
	OperatorRef string
	ChannelName string
	PaidAt      string
	Poll        bool
	// Redirect flows (the channel's operator has a payment page): the
	// operator's page once known, and whether the customer is back from it
	// (then the page does not send them there again by itself).
	Redirect    bool
	RedirectURL string
	Back        bool
	NoChannel   bool // no channel can pay the session: the form is not shown
}

// form is a refused form post: its error, the field at fault ("phone" or
// "channel"), and what the customer had typed and picked, shown again.
type form struct {
	Error, Field, Phone, Channel string
}

// PhoneDescribedBy is the ids of what describes the phone field: the
// error about it, and the hint about the saved number.
func (v view) PhoneDescribedBy() string {
	var ids []string
	if v.Form.Field == "phone" {
		ids = append(ids, "form-error")
	}
	if v.PhoneMasked != "" {
		ids = append(ids, "phone-hint")
	}
	return strings.Join(ids, " ")
}

type scenario struct {
	Suffix, Summary string
}

type item struct {
	Name     string
	Quantity int64
	Amount   string
}

type channel struct {
	Value, Label string
	Checked      bool
}

// show renders the page for the session's status; a paid session with a
// success_url goes there instead.
func (p *Page) show(w http.ResponseWriter, r *http.Request) {
	s, principal, err := p.Checkout.Lookup(r.Context(), r.PathValue("id"))
	if err != nil {
		p.failPage(w, r, err)
		return
	}
	if s.Status == checkout.StatusCompleted && s.SuccessURL != "" {
		http.Redirect(w, r, successURL(s), http.StatusSeeOther)
		return
	}
	p.render(w, r, s, principal, http.StatusOK, form{}, false)
}

// askCancel is the cancel link's page: "Cancel this payment?", whose Yes
// posts the cancel and whose No goes back. A session that can no longer be
// cancelled shows its own page.
func (p *Page) askCancel(w http.ResponseWriter, r *http.Request) {
	s, principal, err := p.Checkout.Lookup(r.Context(), r.PathValue("id"))
	if err != nil {
		p.failPage(w, r, err)
		return
	}
	if !checkout.Cancel.Leaves(s.Status) {
		http.Redirect(w, r, "/pay/"+s.ID, http.StatusSeeOther)
		return
	}
	p.render(w, r, s, principal, http.StatusOK, form{}, true)
}

// successURL is the session's success_url with {CHECKOUT_SESSION_ID} filled in, as Stripe does.
func successURL(s checkout.Session) string {
	return strings.ReplaceAll(s.SuccessURL, "{CHECKOUT_SESSION_ID}", url.QueryEscape(s.ID))
}

func (p *Page) render(w http.ResponseWriter, r *http.Request, s checkout.Session, principal merchant.Principal, code int, sent form, askCancel bool) {
	lang := pickLanguage(s.Locale, r)
	t := languages[lang]
	offered, err := p.Checkout.Channels(r.Context(), principal)
	if err != nil {
		p.failPage(w, r, err)
		return
	}
	v := view{T: t, Lang: lang, ID: s.ID, Status: string(s.Status), Merchant: principal.Merchant.Name, Description: s.Description,
		Amount: formatAmount(lang, s.Amount, s.Currency), ExpiresAt: s.ExpiresAt.Unix(),
		TimeLeft: timeLeft(time.Until(s.ExpiresAt)),
		TestMode: !s.Livemode, PhoneMasked: maskPhone(s.UserPhone), CSRF: p.token(w, r), Form: sent,
		BackURL: s.CancelURL, Reference: s.PaymentID, AskCancel: askCancel,
		Poll: !askCancel && (s.Status == checkout.StatusPending || s.Status == checkout.StatusProcessing)}
	if v.TestMode {
		for _, sc := range connector.TestScenarios {
			v.Scenarios = append(v.Scenarios, scenario{Suffix: sc.Suffix, Summary: t["scenario_"+sc.Name]})
		}
	}
	for _, it := range s.LineItems {
		v.Items = append(v.Items, item{Name: it.Name, Quantity: it.Quantity, Amount: formatAmount(lang, it.UnitAmount*it.Quantity, s.Currency)})
	}
	picked := cmp.Or(sent.Channel, s.Channel)
	if !slices.Contains(offered, picked) && len(offered) > 0 {
		picked = offered[0]
	}
	for _, c := range offered {
		v.Channels = append(v.Channels, channel{Value: c, Label: channelNames[c], Checked: c == picked})
	}
	v.NoChannel = len(offered) == 0
	if s.Status == checkout.StatusPending {
		flow, err := p.Checkout.Flow(r.Context(), s)
		v.Redirect, v.RedirectURL, v.ChannelName = err == nil && flow == connector.FlowRedirect, s.ConnectorURL, channelNames[s.Channel]
		v.Back = r.URL.Query().Has("back")
		// Going to the operator's page, the page need not refresh itself.
		v.Poll = v.Poll && !(v.Redirect && v.RedirectURL != "" && !v.Back)
	}
	if s.Status == checkout.StatusFailed {
		v.Failure = reasonText(t, s.FailureReason)
		v.Retry = checkout.Retry.Leaves(s.Status) && s.ExpiresAt.After(p.Checkout.Now())
	}
	if s.CompletedAt != nil {
		v.PaidAt = paidAt(lang, *s.CompletedAt, checkout.Region(s))
		v.OperatorRef, v.ChannelName = s.ConnectorRef, channelNames[s.Channel]
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, v); err != nil {
		p.Log.Error("hosted page", "session", s.ID, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", policy(merchantOrigins(s)...))
	w.WriteHeader(code)
	w.Write(buf.Bytes()) //nolint:errcheck // the customer went away
}

// maskPhone shows a phone number's country code and last two digits only.
func maskPhone(phone string) string {
	if len(phone) < 8 {
		return ""
	}
	return phone[:4] + strings.Repeat("•", len(phone)-6) + phone[len(phone)-2:]
}

// status is the live view's poll: the session's status and where the page should go.
func (p *Page) status(w http.ResponseWriter, r *http.Request) {
	s, _, err := p.Checkout.Lookup(r.Context(), r.PathValue("id"))
	if err != nil {
		code := http.StatusNotFound
		if !errors.Is(err, checkout.ErrNotFound) {
			p.Log.Error("hosted status", "error", err)
			code = http.StatusInternalServerError
		}
		w.WriteHeader(code)
		return
	}
	next := "/pay/" + s.ID
	if s.Status == checkout.StatusCompleted && s.SuccessURL != "" {
		next = successURL(s)
	}
	answer := map[string]string{"status": string(s.Status), "next": next}
	if s.Status == checkout.StatusPending && s.ConnectorURL != "" {
		answer["redirect"] = s.ConnectorURL // the operator's page, for a redirect flow
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(answer) //nolint:errcheck // the customer went away
}

// back is where an operator's payment page sends the customer, paid or
// not: it asks the operator where the payment stands (the URL proves
// nothing), then shows the session's page, which goes on to the merchant's
// success_url when it is paid. An operator that does not answer in time
// leaves the session pending: the page then polls.
func (p *Page) back(w http.ResponseWriter, r *http.Request) {
	s, _, err := p.Checkout.Lookup(r.Context(), r.PathValue("id"))
	if err != nil {
		p.failPage(w, r, err)
		return
	}
	if _, err := p.Checkout.Refresh(r.Context(), s); err != nil {
		p.Log.Warn("hosted return: the operator's status is unknown for now", "session", s.ID, "error", err)
	}
	http.Redirect(w, r, "/pay/"+s.ID+"?back", http.StatusSeeOther)
}

// confirm starts the payment through the same service method as the API.
// The number is read as the customer typed it: with spaces, dots, dashes or
// parentheses, and without its country code in the session's region.
func (p *Page) confirm(w http.ResponseWriter, r *http.Request) {
	s, principal, err := p.Checkout.Lookup(r.Context(), r.PathValue("id"))
	if err != nil {
		p.failPage(w, r, err)
		return
	}
	t := languages[pickLanguage(s.Locale, r)]
	sent := form{Phone: r.PostFormValue("phone"), Channel: r.PostFormValue("channel")}
	in := checkout.ConfirmParams{Channel: sent.Channel}
	if !slices.Contains(connector.Channels, sent.Channel) {
		sent.Error, sent.Field, sent.Channel = t["error_channel"], "channel", ""
		p.render(w, r, s, principal, http.StatusBadRequest, sent, false)
		return
	}
	if strings.TrimSpace(sent.Phone) != "" {
		phone, ok := checkout.NormalizePhone(sent.Phone, cmp.Or(checkout.Region(s), checkout.UnknownRegion))
		if !ok {
			sent.Error, sent.Field = t["error_phone"], "phone"
			p.render(w, r, s, principal, http.StatusBadRequest, sent, false)
			return
		}
		in.UserPhone = phone
	}
	_, err = p.Checkout.Confirm(r.Context(), principal, s.ID, in)
	var invalid *checkout.InvalidError
	var badState *checkout.StateError
	switch {
	case err == nil, errors.As(err, &badState):
		http.Redirect(w, r, "/pay/"+s.ID, http.StatusSeeOther) // the page shows where the session now stands
	case errors.As(err, &invalid) && invalid.Field == "channel":
		sent.Error, sent.Field, sent.Channel = t["error_channel"], "channel", ""
		p.render(w, r, s, principal, http.StatusBadRequest, sent, false)
	case errors.As(err, &invalid):
		sent.Error, sent.Field = t["error_phone"], "phone"
		p.render(w, r, s, principal, http.StatusBadRequest, sent, false)
	case errors.Is(err, checkout.ErrNoConnector):
		sent.Error, sent.Field, sent.Channel = t["error_channel"], "channel", ""
		p.render(w, r, s, principal, http.StatusBadRequest, sent, false)
	default:
		p.failPage(w, r, err)
	}
}

// cancel cancels the session and takes the customer back to the merchant.
func (p *Page) cancel(w http.ResponseWriter, r *http.Request) {
	s, principal, err := p.Checkout.Lookup(r.Context(), r.PathValue("id"))
	if err != nil {
		p.failPage(w, r, err)
		return
	}
	_, err = p.Checkout.Cancel(r.Context(), principal, s.ID)
	if err != nil && !errors.As(err, new(*checkout.StateError)) {
		p.failPage(w, r, err)
		return
	}
	if err == nil && s.CancelURL != "" { // else the page shows where the session stands: it may have been paid meanwhile
		http.Redirect(w, r, s.CancelURL, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/pay/"+s.ID, http.StatusSeeOther)
}

// failPage answers an unknown session with the not-found page, anything else with a 500.
func (p *Page) failPage(w http.ResponseWriter, r *http.Request, err error) {
	code, key := http.StatusNotFound, "not_found"
	if !errors.Is(err, checkout.ErrNotFound) {
		p.Log.Error("hosted page", "path", r.URL.Path, "error", err)
		code, key = http.StatusInternalServerError, "error_operator"
	}
	p.message(w, r, code, key, "", "")
}

// refuse answers a request the page will not serve with a page saying why,
// in the language of the session the path names (when it names one), with
// a link back to that session's page.
func (p *Page) refuse(w http.ResponseWriter, r *http.Request, code int, key string) {
	var locale, back string
	if id := r.PathValue("id"); id != "" && key != "not_found" {
		if s, _, err := p.Checkout.Lookup(r.Context(), id); err == nil {
			locale, back = s.Locale, "/pay/"+s.ID
		}
	}
	p.message(w, r, code, key, locale, back)
}

// message renders a page with one message and no session: in the locale's
// language (else the browser's), with a link to back when it is not "".
func (p *Page) message(w http.ResponseWriter, r *http.Request, code int, key, locale, back string) {
	lang := pickLanguage(locale, r)
	var buf bytes.Buffer
	if err := pageTemplate.ExecuteTemplate(&buf, "message.html", map[string]any{"T": languages[lang], "Lang": lang, "Key": key, "Back": back}); err != nil {
		p.Log.Error("hosted message", "error", err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(buf.Bytes()) //nolint:errcheck // the customer went away
}

// token returns the browser's anti-forgery token, setting the cookie if it has none.
func (p *Page) token(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 32 {
		return c.Value
	}
	b := make([]byte, 16)
	rand.Read(b) //nolint:errcheck // crypto/rand does not fail
	v := hex.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/pay/", HttpOnly: true, Secure: p.Secure,
		SameSite: http.SameSiteStrictMode})
	return v
}

// maxForm bounds a form post's body.
const maxForm = 8 << 10

// guard refuses a form post that is too large (413), or whose token does not
// match the browser's cookie (403).
func (p *Page) guard(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); errors.As(err, new(*http.MaxBytesError)) {
			p.refuse(w, r, http.StatusRequestEntityTooLarge, "too_large")
			return
		}
		c, err := r.Cookie(csrfCookie)
		form := r.PostFormValue("csrf")
		if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1 {
			p.refuse(w, r, http.StatusForbidden, "forbidden")
			return
		}
		next(w, r)
	})
}
