package stripeapi

import (
	"fmt"
	"net/http"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/httpapi"
)

// forceOutcome serves POST /v1/test_helpers/checkout/sessions/{id}/<outcome>:
// it walks a test-mode session to completed, failed (with an optional
// failure_reason) or expired, writing each step's events, and answers with
// the session. For a live key the route does not exist: the answer is
// Stripe's unrecognized-URL error.
func (a *API) forceOutcome(outcome string) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		principal := httpapi.Principal(r)
		if principal.Livemode { // before reading parameters: for a live key the route does not exist
			return checkout.ErrLiveMode
		}
		var reason string
		var expand expansion
		if err := decode(r, false, func(p *params) {
			if outcome == checkout.OutcomeFail {
				reason, _ = p.String("failure_reason")
			}
			expand = expansions(p, "")
		}); err != nil {
			return err
		}
		s, err := a.Checkout.ForceOutcome(r.Context(), principal, r.PathValue("id"), outcome, reason)
		return a.reply(r, w, s, expand, err)
	}
}

// unrecognizedURL is Stripe's answer to a route it does not have.
func unrecognizedURL(r *http.Request) *httpapi.Problem {
	return &httpapi.Problem{Status: http.StatusNotFound, Type: httpapi.TypeInvalidRequest,
		Message: fmt.Sprintf("Unrecognized request URL (%s: %s). Test helpers exist only for test-mode keys.",
			r.Method, r.URL.Path)}
}
