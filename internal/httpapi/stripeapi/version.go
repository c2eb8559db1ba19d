package stripeapi

import (
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
