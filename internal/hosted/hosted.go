// Package hosted serves the hosted payment page a session's url opens:
// /pay/{id}, server-rendered with html/template from embedded templates and
// assets, usable without JavaScript (plain form posts, a refresh while the
// payment is pending) and live with it (status polling). It pays through the
// same checkout methods as the API. It imports checkout, connector and money,
// never an API dialect or an engine.
package hosted

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/connector"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pageTemplate is parsed once at start-up; a broken template stops the binary.
var pageTemplate = template.Must(template.New("page.html").Funcs(template.FuncMap{
	"printf": fmt.Sprintf,
}).ParseFS(templateFiles, "templates/*.html"))

// csrfCookie holds the browser's anti-forgery token; each form repeats it.
const csrfCookie = "caisse_csrf"

// Page is the hosted payment page.
type Page struct {
	Checkout *checkout.Service
	Log      *slog.Logger
	// Secure marks cookies Secure (the public URL is https).
	Secure bool
}

// Register adds the page's routes to mux.
func (p *Page) Register(mux *http.ServeMux) {
	static, _ := fs.Sub(staticFiles, "static")
	files := http.StripPrefix("/assets/", http.FileServerFS(static))
	mux.Handle("GET /assets/", headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !utf8.ValidString(r.URL.Path) { // names no asset; fs.Sub calls it invalid, which FileServer answers 500
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})))
	mux.Handle("GET /pay/{id}", headers(http.HandlerFunc(p.show)))
	mux.Handle("GET /pay/{id}/status", headers(http.HandlerFunc(p.status)))
	posts := http.NewCrossOriginProtection()
	mux.Handle("POST /pay/{id}/confirm", headers(posts.Handler(p.guard(p.confirm))))
	mux.Handle("POST /pay/{id}/cancel", headers(posts.Handler(p.guard(p.cancel))))
}

// headers sets the security headers every answer carries.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
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
	Error       string
	Failure     string
	BackURL     string
	Reference   string
	PaidAt      string
	Poll        bool
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
	p.render(w, r, s, principal.Merchant.Name, http.StatusOK, "", "")
}

// successURL is the session's success_url with {CHECKOUT_SESSION_ID} filled in, as Stripe does.
func successURL(s checkout.Session) string {
	return strings.ReplaceAll(s.SuccessURL, "{CHECKOUT_SESSION_ID}", url.QueryEscape(s.ID))
}

func (p *Page) render(w http.ResponseWriter, r *http.Request, s checkout.Session, merchantName string, code int, formError, channelPicked string) {
	lang := pickLanguage(s.Locale, r)
	t := languages[lang]
	v := view{T: t, Lang: lang, ID: s.ID, Status: string(s.Status), Merchant: merchantName, Description: s.Description,
		Amount: formatAmount(lang, s.Amount, s.Currency), ExpiresAt: s.ExpiresAt.Unix(),
		TimeLeft: timeLeft(time.Until(s.ExpiresAt)),
		TestMode: !s.Livemode, PhoneMasked: maskPhone(s.UserPhone), CSRF: p.token(w, r), Error: formError,
		BackURL: s.CancelURL, Reference: s.PaymentID,
		Poll: s.Status == checkout.StatusPending || s.Status == checkout.StatusProcessing}
	if v.TestMode {
		for _, sc := range connector.TestScenarios {
			v.Scenarios = append(v.Scenarios, scenario{Suffix: sc.Suffix, Summary: t["scenario_"+sc.Name]})
		}
	}
	for _, it := range s.LineItems {
		v.Items = append(v.Items, item{Name: it.Name, Quantity: it.Quantity, Amount: formatAmount(lang, it.UnitAmount*it.Quantity, s.Currency)})
	}
	for i, c := range connector.Channels {
		v.Channels = append(v.Channels, channel{Value: c, Label: channelNames[c],
			Checked: c == channelPicked || (channelPicked == "" && i == 0)})
	}
	if s.Status == checkout.StatusFailed {
		v.Failure = reasonText(t, s.FailureReason)
	}
	if s.CompletedAt != nil {
		v.PaidAt = s.CompletedAt.UTC().Format(map[string]string{"fr": "02/01/2006 à 15:04 UTC", "en": "2 Jan 2006, 15:04 UTC"}[lang])
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
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"status": string(s.Status), "next": next}) //nolint:errcheck // the customer went away
}

// confirm starts the payment through the same service method as the API.
func (p *Page) confirm(w http.ResponseWriter, r *http.Request) {
	s, principal, err := p.Checkout.Lookup(r.Context(), r.PathValue("id"))
	if err != nil {
		p.failPage(w, r, err)
		return
	}
	in := checkout.ConfirmParams{Channel: r.PostFormValue("channel"), UserPhone: strings.TrimSpace(r.PostFormValue("phone"))}
	_, err = p.Checkout.Confirm(r.Context(), principal, s.ID, in)
	var invalid *checkout.InvalidError
	var badState *checkout.StateError
	t := languages[pickLanguage(s.Locale, r)]
	switch {
	case err == nil, errors.As(err, &badState):
		http.Redirect(w, r, "/pay/"+s.ID, http.StatusSeeOther) // the page shows where the session now stands
	case errors.As(err, &invalid) && invalid.Field == "channel":
		p.render(w, r, s, principal.Merchant.Name, http.StatusBadRequest, t["error_channel"], "")
	case errors.As(err, &invalid):
		p.render(w, r, s, principal.Merchant.Name, http.StatusBadRequest, t["error_phone"], in.Channel)
	case errors.Is(err, checkout.ErrNoConnector):
		p.render(w, r, s, principal.Merchant.Name, http.StatusServiceUnavailable, t["error_operator"], in.Channel)
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
	if _, err := p.Checkout.Cancel(r.Context(), principal, s.ID); err != nil && !errors.As(err, new(*checkout.StateError)) {
		p.failPage(w, r, err)
		return
	}
	if s.CancelURL != "" {
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
	p.message(w, r, code, key)
}

// message renders a page with one message and no session.
func (p *Page) message(w http.ResponseWriter, r *http.Request, code int, key string) {
	lang := pickLanguage("", r)
	var buf bytes.Buffer
	if err := pageTemplate.ExecuteTemplate(&buf, "message.html", map[string]any{"T": languages[lang], "Lang": lang, "Key": key}); err != nil {
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

// guard refuses a form post whose token does not match the browser's cookie.
func (p *Page) guard(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
		c, err := r.Cookie(csrfCookie)
		form := r.PostFormValue("csrf")
		if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1 {
			p.message(w, r, http.StatusForbidden, "forbidden")
			return
		}
		next(w, r)
	})
}
