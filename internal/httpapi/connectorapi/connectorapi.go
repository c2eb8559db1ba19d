// Package connectorapi receives mobile-money operators' asynchronous results
// at POST /v1/connectors/{name}/callback. Operators authenticate by signing
// the body (no API key); errors are {"error": {"code", "message"}}. It imports
// httpapi and the domain packages, never a merchant-facing dialect or an engine.
package connectorapi

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/connector"
	"github.com/caisse/caisse/internal/httpapi"
)

// API is the operator-facing handlers.
type API struct {
	Checkout *checkout.Service
	Log      *slog.Logger
}

// Register adds the callback route to mux.
func (a *API) Register(mux *http.ServeMux) {
	h := httpapi.ReadBody(render, httpapi.Handle(a.fail, a.callback))
	mux.Handle("POST /v1/connectors/{name}/callback", h)
	mux.Handle("PUT /v1/connectors/{name}/callback", h) // MTN MoMo calls back with PUT
}

func (a *API) callback(w http.ResponseWriter, r *http.Request) error {
	s, err := a.Checkout.Callback(r.Context(), r.PathValue("name"), func(c connector.Connector) (connector.Result, error) {
		return c.Callback(r, httpapi.Body(r))
	})
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"received": true, "session": s.ID, "status": s.Status})
}

// fail renders err: this is the one place errors become operator-facing errors.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var badState *checkout.StateError
	switch {
	case errors.Is(err, checkout.ErrUnknownConnector):
		render(w, r, &httpapi.Problem{Status: http.StatusNotFound, Code: "connector_unknown", Message: "No connector of that name is configured."})
	case errors.Is(err, connector.ErrSignature):
		a.Log.Warn("operator callback refused: bad signature", "connector", r.PathValue("name"), "error", err)
		render(w, r, &httpapi.Problem{Status: http.StatusUnauthorized, Code: "signature_invalid", Message: "The callback signature is missing, wrong or too old."})
	case errors.Is(err, checkout.ErrNotFound):
		render(w, r, &httpapi.Problem{Status: http.StatusNotFound, Code: "resource_missing", Message: "No live session matches this payment."})
	case errors.As(err, &badState):
		a.Log.Warn("operator callback contradicts the session", "session", badState.ID, "status", badState.Status, "reported", badState.Action)
		render(w, r, &httpapi.Problem{Status: http.StatusConflict, Code: "session_state", Message: badState.Error()})
	case errors.Is(err, checkout.ErrOperatorUnavailable):
		a.Log.Warn("operator callback not confirmed: the operator's status query failed", "connector", r.PathValue("name"), "error", err)
		render(w, r, &httpapi.Problem{Status: http.StatusServiceUnavailable, Code: "operator_unavailable",
			Message: "caisse could not ask the operator where this payment stands; it will ask again by itself."})
	case errors.Is(err, checkout.ErrEarlierAttempt):
		render(w, r, &httpapi.Problem{Status: http.StatusConflict, Code: "attempt_replaced",
			Message: "This payment belongs to an earlier attempt of the session, which the customer retried; caisse logged it for reconciliation."})
	case errors.Is(err, checkout.ErrUnconfirmed):
		render(w, r, &httpapi.Problem{Status: http.StatusConflict, Code: "callback_unconfirmed",
			Message: "The operator's status query does not confirm this callback; the session follows the status query."})
	case errors.Is(err, connector.ErrMalformed):
		render(w, r, &httpapi.Problem{Status: http.StatusBadRequest, Code: "callback_invalid", Message: err.Error()})
	default:
		a.Log.Error("connectorapi", "request_id", httpapi.RequestID(r.Context()), "error", err)
		render(w, r, httpapi.Internal(err))
	}
}

func render(w http.ResponseWriter, _ *http.Request, p *httpapi.Problem) {
	httpapi.WriteJSON(w, p.Status, map[string]any{"error": map[string]any{"code": p.Code, "message": p.Message}}) //nolint:errcheck // strings always encode
}
