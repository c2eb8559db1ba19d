// Package momoapi serves the mobile-money JSON dialect (a mobile-money provider's create and search API):
// /v1/checkouts and /v1/checkout/search, errors as {"error": {code, message, param}}.
// It imports httpapi and the domain packages, never another dialect or an engine.
package momoapi

import (
	_ "embed" // openapi.json
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/httpapi"
)

// MaxIdempotencyKey is the longest idempotency-key header accepted (the mobile-money API's).
const MaxIdempotencyKey = 1000

// API is the mobile-money dialect's handlers.
type API struct {
	Checkout *checkout.Service
	Auth     *httpapi.Auth
	Idem     *httpapi.Idempotency
	Log      *slog.Logger
	// HostedURL is the base of a session's url, its hosted payment page:
	// the session id is appended.
	HostedURL string
}

// Register adds the dialect's routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	for _, r := range a.routes() {
		mux.Handle(r.pattern, r.handler)
	}
}

// route is one of the dialect's patterns and its handler.
type route struct {
	pattern string
	handler http.Handler
}

// routes is every route of the dialect: what Register mounts, and what the
// OpenAPI document (openapi.json) must describe.
func (a *API) routes() []route {
	api := func(h httpapi.HandlerFunc) http.Handler {
		return a.Auth.Wrap(Render, httpapi.ReadBody(Render, httpapi.Handle(a.fail, h)))
	}
	idem := func(required bool, h httpapi.HandlerFunc) http.Handler {
		rules := httpapi.KeyRules{Required: required, MaxLen: MaxIdempotencyKey, MismatchStatus: http.StatusUnprocessableEntity}
		return a.Auth.Wrap(Render, httpapi.ReadBody(Render, a.Idem.Wrap(Render, rules, httpapi.Handle(a.fail, h))))
	}
	return []route{
		{"POST /v1/checkouts", idem(true, a.create)},
		{"GET /v1/checkouts", api(a.search(listParams))},
		{"GET /v1/checkouts/{id}", api(a.get)},
		{"POST /v1/checkouts/{id}/cancel", idem(false, a.cancel)},
		{"POST /v1/checkouts/{id}/confirm", idem(false, a.confirm)},
		{"GET /v1/checkout/search", api(a.search(searchParams))},
		{"GET /v1/openapi.json", http.HandlerFunc(serveOpenAPI)},
	}
}

// openAPI is the dialect's OpenAPI 3.1 document.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPIDocument is the dialect's OpenAPI 3.1 document, as GET /v1/openapi.json serves it.
func OpenAPIDocument() []byte { return slices.Clone(openAPI) }

// RoutePatterns is the pattern of every route Register mounts: what the
// OpenAPI document must describe (test/openapi checks it).
func RoutePatterns() []string {
	var out []string
	for _, r := range (&API{}).routes() {
		out = append(out, r.pattern)
	}
	return out
}

// serveOpenAPI answers the OpenAPI document, without authentication: it
// describes the API, and holds nothing of a merchant's.
func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI) //nolint:errcheck // the client went away
}

// session is the wire shape of the mobile-money API's response schema, field for field.
type session struct {
	ID             string  `json:"id"`
	Status         string  `json:"status"`
	Amount         int64   `json:"amount"`
	Currency       string  `json:"currency"`
	UserPhone      string  `json:"user_phone"`
	PaymentID      string  `json:"payment_id"`
	Description    string  `json:"description"`
	CreatedAt      string  `json:"created_at"`
	ExpiresAt      string  `json:"expires_at"`
	CompletedAt    *string `json:"completed_at"`
	FailureReason  *string `json:"failure_reason"`
	TransactionFee int64   `json:"transaction_fee"`
	// URL is the session's hosted payment page, which caisse adds to the
	// provider's fields: send the customer there to choose how to pay.
	URL string `json:"url"`
	// Channel and OperatorReference say how a confirmed session is paid;
	// RedirectURL is where a redirect channel's customer pays (Orange
	// Money, Wave), once the operator has answered. Absent until known.
	Channel           string `json:"channel,omitempty"`
	OperatorReference string `json:"operator_reference,omitempty"`
	RedirectURL       string `json:"redirect_url,omitempty"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (a *API) toWire(s checkout.Session) session {
	out := session{URL: a.HostedURL + s.ID,
		ID: s.ID, Status: string(s.Status), Amount: s.Amount, Currency: s.Currency, UserPhone: s.UserPhone,
		PaymentID: s.PaymentID, Description: s.Description, CreatedAt: rfc3339(s.CreatedAt),
		ExpiresAt: rfc3339(s.ExpiresAt), TransactionFee: s.TransactionFee,
		Channel: s.Channel, OperatorReference: s.ConnectorRef, RedirectURL: s.ConnectorURL,
	}
	if s.CompletedAt != nil {
		v := rfc3339(*s.CompletedAt)
		out.CompletedAt = &v
	}
	if s.FailureReason != "" {
		out.FailureReason = &s.FailureReason
	}
	return out
}

// SessionObject renders a session in the mobile-money shape, as events carry it.
func (a *API) SessionObject(s checkout.Session) any { return a.toWire(s) }

func (a *API) create(w http.ResponseWriter, r *http.Request) error {
	params, err := decodeCreate(httpapi.Body(r))
	if err != nil {
		return err
	}
	s, err := a.Checkout.Create(r.Context(), httpapi.Principal(r), params)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, a.toWire(s))
}

func (a *API) get(w http.ResponseWriter, r *http.Request) error {
	s, err := a.Checkout.Get(r.Context(), httpapi.Principal(r), r.PathValue("id"))
	return a.reply(w, s, err)
}

func (a *API) cancel(w http.ResponseWriter, r *http.Request) error {
	if len(httpapi.Body(r)) > 0 {
		if _, err := decodeObject(httpapi.Body(r), nil); err != nil {
			return err
		}
	}
	s, err := a.Checkout.Cancel(r.Context(), httpapi.Principal(r), r.PathValue("id"))
	return a.reply(w, s, err)
}

func (a *API) confirm(w http.ResponseWriter, r *http.Request) error {
	params, err := decodeConfirm(httpapi.Body(r))
	if err != nil {
		return err
	}
	s, err := a.Checkout.Confirm(r.Context(), httpapi.Principal(r), r.PathValue("id"), params)
	return a.reply(w, s, err)
}

// reply writes the session, or returns err.
func (a *API) reply(w http.ResponseWriter, s checkout.Session, err error) error {
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, a.toWire(s))
}

// page is the provider's search and list response, with TotalCountExact:
// false when total_count is a lower bound (docs/api-momo.md, Paging).
type page struct {
	Sessions        []session `json:"sessions"`
	TotalCount      int64     `json:"total_count"`
	TotalCountExact bool      `json:"total_count_exact"`
	HasMore         bool      `json:"has_more"`
	NextOffset      *int64    `json:"next_offset"`
}

func (a *API) search(allowed map[string]bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		f, err := parseFilter(r.URL.RawQuery, allowed)
		if err != nil {
			return err
		}
		list, total, err := a.Checkout.Search(r.Context(), httpapi.Principal(r), f)
		if err != nil {
			return err
		}
		out := page{Sessions: make([]session, 0, len(list)), TotalCount: total.Count, TotalCountExact: !total.Capped}
		for _, s := range list {
			out.Sessions = append(out.Sessions, a.toWire(s))
		}
		if next := f.Offset + int64(len(list)); next < total.Count && len(list) > 0 {
			out.HasMore, out.NextOffset = true, &next
		}
		return httpapi.WriteJSON(w, http.StatusOK, out)
	}
}

// fail renders err: this is the one place errors become this dialect's wire errors.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		p        *httpapi.Problem
		invalid  *checkout.InvalidError
		badState *checkout.StateError
	)
	switch {
	case errors.As(err, &p):
	case errors.As(err, &invalid):
		p = httpapi.Invalid(invalid.Field, "parameter_invalid", "%s", invalid.Message)
	case errors.Is(err, checkout.ErrNotFound):
		p = &httpapi.Problem{Status: http.StatusNotFound, Type: httpapi.TypeInvalidRequest, Code: "resource_missing",
			Param: "id", Message: fmt.Sprintf("No such checkout session: '%s'", r.PathValue("id"))}
	case errors.As(err, &badState):
		p = &httpapi.Problem{Status: http.StatusConflict, Type: httpapi.TypeInvalidRequest, Code: "session_state",
			Message: fmt.Sprintf("This session is %s; it cannot be %s.", badState.Status, badState.Action)}
	case errors.Is(err, checkout.ErrNoConnector):
		p = &httpapi.Problem{Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Code: "channel_unavailable",
			Param: "channel", Message: "No operator connector pays this channel for this merchant in this mode."}
	default:
		a.Log.Error("momoapi", "request_id", httpapi.RequestID(r.Context()), "path", r.URL.Path, "error", err)
		p = httpapi.Internal(err)
	}
	Render(w, r, p)
}

// Render writes a problem as {"error": {"code", "message", "param"}}; param is null when no parameter is at fault.
func Render(w http.ResponseWriter, _ *http.Request, p *httpapi.Problem) {
	var param *string
	if p.Param != "" {
		param = &p.Param
	}
	httpapi.WriteJSON(w, p.Status, map[string]any{"error": map[string]any{"code": p.Code, "message": p.Message, "param": param}}) //nolint:errcheck // strings always encode
}
