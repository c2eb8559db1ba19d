package stripeapi

import (
	"cmp"
	"net/http"
	"strings"

	"github.com/caisse/caisse/internal/httpapi"
	"github.com/caisse/caisse/internal/notify"
)

// checkVersion refuses a request whose Stripe-Version header names no
// Stripe API version, as Stripe does; a request without one (older libraries
// send none) is served at caisse's version.
func (a *API) checkVersion(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v, sent := r.Header["Stripe-Version"]; sent && (len(v) != 1 || !notify.ValidAPIVersion(v[0], a.Checkout.Now())) {
			Render(w, r, httpapi.Invalid("", "", "Invalid Stripe API version: %s", strings.Join(v, ", ")))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// dahlia is the first version of the dahlia release train, which renamed the
// ui_mode hosted to hosted_page.
const dahlia = "2026-03-25.dahlia"

// laterCreateParams are the create parameters of versions after
// stripespec.json's schema: from 2026-09-30.endive, allowed_payment_method_types
// (stripe-node 23.0.0's changelog).
var laterCreateParams = []string{"allowed_payment_method_types"}

// requestVersion is the API version a request is answered at: its
// Stripe-Version without preview flags (checkVersion has checked it), else
// caisse's.
func requestVersion(r *http.Request) string {
	v, _, _ := strings.Cut(r.Header.Get("Stripe-Version"), ";")
	return cmp.Or(strings.TrimSpace(v), notify.DefaultAPIVersion)
}

// since reports whether the API version v is from, or after, the version from.
func since(v, from string) bool {
	date, _, _ := strings.Cut(v, ".")
	fromDate, _, _ := strings.Cut(from, ".")
	return date >= fromDate
}
