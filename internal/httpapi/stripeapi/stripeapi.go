// Package stripeapi serves the Stripe dialect (Stripe's Checkout Sessions API) and
// WooshPay's list over caisse's sessions: /v1/checkout/sessions…, form-encoded or
// JSON parameters in Stripe's bracket notation, Stripe objects and Stripe error
// envelopes, cursor (keyset) pagination. It imports httpapi and the domain
// packages, never another dialect or an engine.
package stripeapi

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/httpapi"
	"github.com/caisse/caisse/internal/notify"
)

// MaxIdempotencyKey is the longest Idempotency-Key header accepted (Stripe's limit).
const MaxIdempotencyKey = 255

// Stripe's limits on a new session's expires_at, after its creation.
const (
	MinLifetime     = 30 * time.Minute
	MaxLifetime     = 24 * time.Hour
	DefaultLifetime = 24 * time.Hour
)

// API is the Stripe dialect's handlers.
type API struct {
	Checkout *checkout.Service
	Notify   *notify.Service
	Auth     *httpapi.Auth
	Idem     *httpapi.Idempotency
	Log      *slog.Logger
	// HostedURL is the base of a session's url: the session id is appended.
	HostedURL string
}

// Register adds the dialect's routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	api := func(h httpapi.HandlerFunc) http.Handler {
		return a.Auth.Wrap(Render, a.checkVersion(httpapi.ReadBody(Render, httpapi.Handle(a.fail, h))))
	}
	rules := httpapi.KeyRules{MaxLen: MaxIdempotencyKey, MismatchStatus: http.StatusBadRequest}
	post := func(h httpapi.HandlerFunc) http.Handler {
		return a.Auth.Wrap(Render, a.checkVersion(httpapi.ReadBody(Render, a.Idem.Wrap(Render, rules, httpapi.Handle(a.fail, h)))))
	}
	mux.Handle("POST /v1/checkout/sessions", post(a.create))
	mux.Handle("GET /v1/checkout/sessions", api(a.list("/v1/checkout/sessions", false)))
	mux.Handle("GET /v1/checkout/sessions/list", api(a.list("/v1/checkout/sessions/list", true)))
	mux.Handle("GET /v1/checkout/sessions/{id}", api(a.retrieve))
	mux.Handle("POST /v1/checkout/sessions/{id}", post(a.update))
	mux.Handle("POST /v1/checkout/sessions/{id}/expire", post(a.expire))
	mux.Handle("GET /v1/checkout/sessions/{id}/line_items", api(a.lineItems))
	mux.Handle("GET /v1/events", api(a.listEvents))
	mux.Handle("GET /v1/events/stream", api(a.streamEvents))
	mux.Handle("GET /v1/events/{id}", api(a.retrieveEvent))
	mux.Handle("GET /v1/events/{id}/webhook_attempts", api(a.eventAttempts))
	mux.Handle("POST /v1/events/{id}/resend", post(a.resendEvent))
	mux.Handle("POST /v1/webhook_endpoints", post(a.createEndpoint))
	mux.Handle("GET /v1/webhook_endpoints", api(a.listEndpoints))
	mux.Handle("GET /v1/webhook_endpoints/{id}", api(a.retrieveEndpoint))
	mux.Handle("POST /v1/webhook_endpoints/{id}", post(a.updateEndpoint))
	mux.Handle("DELETE /v1/webhook_endpoints/{id}", post(a.deleteEndpoint)) // a replay answers as the first delete did
	mux.Handle("POST /v1/products", post(a.createProduct))
	mux.Handle("GET /v1/products", api(a.listProducts))
	mux.Handle("GET /v1/products/{id}", api(a.retrieveProduct))
	mux.Handle("POST /v1/products/{id}", post(a.updateProduct))
	mux.Handle("POST /v1/prices", post(a.createPrice))
	mux.Handle("GET /v1/prices", api(a.listPrices))
	mux.Handle("GET /v1/prices/{id}", api(a.retrievePrice))
	mux.Handle("POST /v1/prices/{id}", post(a.updatePrice))
	mux.Handle("POST /v1/customers", post(a.createCustomer))
	mux.Handle("GET /v1/customers", api(a.listCustomers))
	mux.Handle("GET /v1/customers/{id}", api(a.retrieveCustomer))
	mux.Handle("POST /v1/customers/{id}", post(a.updateCustomer))
	mux.Handle("DELETE /v1/customers/{id}", post(a.deleteCustomer))
	mux.Handle("GET /v1/payment_intents", api(a.listPaymentIntents))
	mux.Handle("GET /v1/payment_intents/{id}", api(a.retrievePaymentIntent))
	for _, outcome := range []string{checkout.OutcomeComplete, checkout.OutcomeFail, checkout.OutcomeExpire} {
		mux.Handle("POST /v1/test_helpers/checkout/sessions/{id}/"+outcome, post(a.forceOutcome(outcome)))
	}
}

// requestParams decodes a request's parameters: the query string of a GET
// (merged, with allowBody, with a JSON body as WooshPay sends), else the body,
// form-encoded or JSON by its Content-Type.
func requestParams(r *http.Request, allowBody bool) (*params, error) {
	body := httpapi.Body(r)
	if r.Method == http.MethodGet {
		query, err := parseForm(r.URL.RawQuery)
		if err != nil || !allowBody || len(strings.TrimSpace(string(body))) == 0 {
			return newParams(query), err
		}
		fromBody, err := parseJSON(body)
		if err != nil {
			return nil, err
		}
		merged, err := mergeParams(query, fromBody)
		return newParams(merged), err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" && len(body) > 0 {
		root, err := parseJSON(body)
		return newParams(root), err
	}
	root, err := parseForm(string(body))
	return newParams(root), err
}

// expansion is what expand[] asks of a session.
type expansion struct {
	items         bool // line_items
	products      bool // line_items.data.price.product (implies items)
	paymentIntent bool // payment_intent
}

// expansions reads expand[]; prefix is "data." on lists. Any path but
// line_items, line_items.data.price.product and payment_intent is Stripe's error.
func expansions(p *params, prefix string) expansion {
	var out expansion
	paths, _ := p.Strings("expand")
	for _, path := range paths {
		switch strings.TrimPrefix(path, prefix) {
		case "line_items":
			out.items = true
		case "line_items.data.price.product":
			out.items, out.products = true, true
		case "payment_intent":
			out.paymentIntent = true
		default:
			p.Fail("expand", httpapi.Invalid(p.Path("expand"), "",
				"This property cannot be expanded (%s). caisse can expand %[2]sline_items, %[2]sline_items.data.price.product and %[2]spayment_intent.",
				path, prefix))
			return expansion{}
		}
	}
	return out
}

// decode reads the request's parameters through read and returns the first
// error they hold.
func decode(r *http.Request, allowBody bool, read func(p *params)) error {
	p, err := requestParams(r, allowBody)
	if err != nil {
		return err
	}
	read(p)
	return p.Err()
}

// ok writes v as a 200 answer.
func ok(w http.ResponseWriter, v any) error {
	return httpapi.WriteJSON(w, http.StatusOK, v)
}

func (a *API) create(w http.ResponseWriter, r *http.Request) error {
	var in checkout.CreateParams
	var expand expansion
	if err := decode(r, false, func(p *params) { in, expand = a.decodeCreate(p, requestVersion(r)) }); err != nil {
		return err
	}
	s, err := a.Checkout.Create(r.Context(), httpapi.Principal(r), in)
	return a.reply(r, w, s, expand, err)
}

func (a *API) retrieve(w http.ResponseWriter, r *http.Request) error {
	var expand expansion
	if err := decode(r, false, func(p *params) { expand = expansions(p, "") }); err != nil {
		return err
	}
	s, err := a.Checkout.Get(r.Context(), httpapi.Principal(r), r.PathValue("id"))
	return a.reply(r, w, s, expand, err)
}

func (a *API) update(w http.ResponseWriter, r *http.Request) error {
	var meta map[string]string
	var hasMeta bool
	var expand expansion
	if err := decode(r, false, func(p *params) { meta, hasMeta = p.Metadata("metadata"); expand = expansions(p, "") }); err != nil {
		return err
	}
	principal, id := httpapi.Principal(r), r.PathValue("id")
	if !hasMeta { // nothing to change: Stripe answers with the session
		s, err := a.Checkout.Get(r.Context(), principal, id)
		return a.reply(r, w, s, expand, err)
	}
	s, err := a.Checkout.UpdateMetadata(r.Context(), principal, id, meta, meta == nil)
	return a.reply(r, w, s, expand, err)
}

func (a *API) expire(w http.ResponseWriter, r *http.Request) error {
	var expand expansion
	if err := decode(r, false, func(p *params) { expand = expansions(p, "") }); err != nil {
		return err
	}
	s, err := a.Checkout.Expire(r.Context(), httpapi.Principal(r), r.PathValue("id"))
	return a.reply(r, w, s, expand, err)
}

// reply writes the session, expanded as asked, or returns err.
func (a *API) reply(r *http.Request, w http.ResponseWriter, s checkout.Session, expand expansion, err error) error {
	if err != nil {
		return err
	}
	out, err := a.renderSession(r, s, expand)
	if err != nil {
		return err
	}
	return ok(w, out)
}

// list serves a session list at url; wooshpay also reads filters from a JSON body.
func (a *API) list(url string, wooshpay bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in checkout.ListParams
		var none bool
		var expand expansion
		if err := decode(r, wooshpay, func(p *params) { in, none = decodeList(p); expand = expansions(p, "data.") }); err != nil {
			return err
		}
		var found []checkout.Session
		hasMore := false
		var err error
		if !none {
			found, hasMore, err = a.Checkout.List(r.Context(), httpapi.Principal(r), in)
			if err != nil {
				return err
			}
		}
		data := make([]session, len(found))
		for i, s := range found {
			if data[i], err = a.renderSession(r, s, expand); err != nil {
				return err
			}
		}
		return ok(w, newList(url, data, hasMore))
	}
}

func (a *API) lineItems(w http.ResponseWriter, r *http.Request) error {
	var page checkout.ListParams
	var products bool
	if err := decode(r, false, func(p *params) { page = decodePage(p); products = itemExpansions(p) }); err != nil {
		return err
	}
	s, err := a.Checkout.Get(r.Context(), httpapi.Principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	all, err := a.itemsOf(r, s, products)
	if err != nil {
		return err
	}
	items, hasMore, err := pageItems(all, page)
	if err != nil {
		return err
	}
	return ok(w, newList("/v1/checkout/sessions/"+s.ID+"/line_items", items, hasMore))
}

// pageItems cuts one cursor page out of a session's line items, in their order.
func pageItems(items []lineItem, pg checkout.ListParams) ([]lineItem, bool, error) {
	from, to := 0, len(items)
	for _, c := range []struct {
		param, id string
		after     bool
	}{{"starting_after", pg.StartingAfter, true}, {"ending_before", pg.EndingBefore, false}} {
		if c.id == "" {
			continue
		}
		i := slices.IndexFunc(items, func(li lineItem) bool { return li.ID == c.id })
		if i < 0 {
			return nil, false, httpapi.Invalid(c.param, "resource_missing", "No such line item: '%s'", c.id)
		}
		if c.after {
			from = i + 1
		} else {
			to, from = i, max(0, i-pg.Filter.Limit)
		}
	}
	if pg.EndingBefore != "" {
		return items[from:to], from > 0, nil
	}
	end := min(to, from+pg.Filter.Limit)
	return items[from:end], end < to, nil
}

// fail renders err: this is the one place errors become Stripe errors.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		p        *httpapi.Problem
		invalid  *checkout.InvalidError
		badState *checkout.StateError
		miss     *checkout.MissingError
	)
	switch {
	case errors.As(err, &p):
	case errors.As(err, &miss):
		p = &httpapi.Problem{Status: http.StatusNotFound, Type: httpapi.TypeInvalidRequest, Code: "resource_missing",
			Param: "id", Message: fmt.Sprintf("No such %s: '%s'", miss.Kind, miss.ID)}
	case errors.As(err, &invalid):
		p = invalidProblem(invalid)
	case errors.Is(err, checkout.ErrNotFound):
		p = &httpapi.Problem{Status: http.StatusNotFound, Type: httpapi.TypeInvalidRequest, Code: "resource_missing",
			Param: "id", Message: fmt.Sprintf("No such checkout.session: '%s'", r.PathValue("id"))}
	case errors.Is(err, notify.ErrNotFound):
		p = &httpapi.Problem{Status: http.StatusNotFound, Type: httpapi.TypeInvalidRequest, Code: "resource_missing",
			Param: "id", Message: fmt.Sprintf("No such %s: '%s'", routeObject(r), r.PathValue("id"))}
	case errors.As(err, &badState):
		p = stateProblem(badState)
	case errors.Is(err, checkout.ErrLiveMode):
		p = unrecognizedURL(r)
	case errors.Is(err, notify.ErrNoSecretKey):
		p = &httpapi.Problem{Status: http.StatusServiceUnavailable, Type: httpapi.TypeAPI,
			Message: "This server cannot keep live webhook signing secrets yet: its operator must set CAISSE_SECRET_KEY."}
	default:
		a.Log.Error("stripeapi", "request_id", httpapi.RequestID(r.Context()), "path", r.URL.Path, "error", err)
		p = httpapi.Internal(err)
	}
	Render(w, r, p)
}

// routeObject is the kind of object a route's {id} names, read from the
// collection in the route's pattern: /v1/events/{id}… names an event.
func routeObject(r *http.Request) string {
	_, path, _ := strings.Cut(r.Pattern, " ")
	switch {
	case strings.HasPrefix(path, "/v1/events/"):
		return "event"
	case strings.HasPrefix(path, "/v1/webhook_endpoints/"):
		return "webhook_endpoint"
	}
	return "object"
}

// stripeParam names a domain field as this dialect calls it.
var stripeParam = map[string]string{
	"amount": "line_items", "payment_id": "client_reference_id", "customer_id": "customer",
	"user_phone": "customer_details[phone]",
}

// stripeCode is Stripe's error code for why the domain refused a value; Stripe
// sends none for a plainly invalid value.
var stripeCode = map[checkout.Reason]string{
	checkout.ReasonTooSmall: "amount_too_small", checkout.ReasonTooLarge: "amount_too_large",
	checkout.ReasonEmail: "email_invalid", checkout.ReasonURL: "url_invalid", checkout.ReasonUnknown: "resource_missing",
}

// stripeObject is Stripe's name for a kind of domain object.
var stripeObject = map[string]string{checkout.KindSession: "checkout.session", checkout.KindEndpoint: "webhook endpoint"}

func invalidProblem(e *checkout.InvalidError) *httpapi.Problem {
	param := cmp.Or(stripeParam[e.Field], e.Field)
	if e.Reason == checkout.ReasonUnknown {
		return httpapi.Invalid(param, stripeCode[e.Reason], "No such %s: '%s'", cmp.Or(stripeObject[e.Kind], e.Kind), e.ID)
	}
	return httpapi.Invalid(param, stripeCode[e.Reason], "Invalid %s: %s", param, e.Message)
}

func stateProblem(e *checkout.StateError) *httpapi.Problem {
	status, _ := Status(e.Status)
	msg := fmt.Sprintf("Only Checkout Sessions with a status in [\"open\"] can be %s. This Checkout Session has a status of `%s`.",
		e.Action, status)
	if e.Status == checkout.StatusProcessing {
		msg = fmt.Sprintf("This Checkout Session's payment is being processed; it can no longer be %s.", e.Action)
	}
	return &httpapi.Problem{Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest,
		Code: "checkout_session_not_open", Message: msg}
}

// stripeCodes are the error codes this dialect sends; the shared problems' other
// codes (momo's vocabulary) are left out, as Stripe sends none for them.
var stripeCodes = map[string]bool{
	"parameter_missing": true, "parameter_unknown": true, "parameter_invalid_integer": true,
	"parameter_invalid_empty": true, "parameters_exclusive": true, "resource_missing": true,
	"amount_too_small": true, "amount_too_large": true, "email_invalid": true, "url_invalid": true,
	"rate_limit": true, "idempotency_key_in_use": true, "checkout_session_not_open": true,
}

// Render writes a problem as Stripe's {"error": {type, code, message, param}},
// leaving out code and param when there are none, as Stripe does.
func Render(w http.ResponseWriter, _ *http.Request, p *httpapi.Problem) {
	body := map[string]string{"type": p.Type, "message": p.Message}
	if stripeCodes[p.Code] {
		body["code"] = p.Code
	}
	if p.Param != "" {
		body["param"] = p.Param
	}
	if p.Status == http.StatusConflict || p.Status == http.StatusTooManyRequests {
		w.Header().Set("Stripe-Should-Retry", "true")
	}
	httpapi.WriteJSON(w, p.Status, map[string]any{"error": body}) //nolint:errcheck // strings always encode
}

// UnrecognizedURL answers a /v1/… URL (or method) no endpoint serves. An
// unknown URL belongs to no dialect, so the answer is Stripe's exact error
// (type invalid_request_error, its "Unrecognized request URL" message) that
// also has what the mobile-money error shape holds: code resource_missing and
// param null.
func UnrecognizedURL(w http.ResponseWriter, r *http.Request) {
	httpapi.WriteJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{ //nolint:errcheck // strings always encode
		"type": httpapi.TypeInvalidRequest, "code": "resource_missing", "param": nil,
		"message": fmt.Sprintf("Unrecognized request URL (%s: %s). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
			r.Method, r.URL.Path)}})
}
