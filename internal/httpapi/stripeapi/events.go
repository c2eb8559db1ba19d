package stripeapi

import (
	"net/http"
	"path"
	"slices"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/httpapi"
	"github.com/caisse/caisse/internal/notify"
	"github.com/caisse/caisse/internal/store"
)

// attempt is caisse's webhook_attempt object: one try at delivering an event
// to an endpoint. status_code is null when no response came back, error when
// the attempt succeeded.
type attempt struct {
	ID              string  `json:"id"`
	Object          string  `json:"object"`
	Event           string  `json:"event"`
	WebhookEndpoint string  `json:"webhook_endpoint"`
	Attempt         int     `json:"attempt"`
	Created         int64   `json:"created"`
	StatusCode      *int    `json:"status_code"`
	LatencyMS       int64   `json:"latency_ms"`
	Error           *string `json:"error"`
	Succeeded       bool    `json:"succeeded"`
}

func toAttempt(at store.Attempt) attempt {
	out := attempt{ID: at.ID, Object: "webhook_attempt", Event: at.EventID, WebhookEndpoint: at.EndpointID,
		Attempt: at.Attempt, Created: at.CreatedAt.Unix(), LatencyMS: at.Latency.Milliseconds(),
		Error: orNull(at.Error), Succeeded: at.Succeeded}
	if at.StatusCode != 0 {
		out.StatusCode = &at.StatusCode
	}
	return out
}

// eventResend is caisse's answer to a resend: how many deliveries were queued.
type eventResend struct {
	Object string `json:"object"`
	Event  string `json:"event"`
	Queued int    `json:"queued"`
}

// eventObject renders an event as the API shows it: at caisse's API version,
// with the Stripe checkout.session as data.object.
func (a *API) eventObject(e store.Event) any {
	return EventObject(e, notify.DefaultAPIVersion, a.SessionObject(e.Session, notify.DefaultAPIVersion))
}

func (a *API) listEvents(w http.ResponseWriter, r *http.Request) error {
	var page checkout.ListParams
	var f store.EventFilter
	if err := decode(r, false, func(p *params) { page, f = decodeEventList(p) }); err != nil {
		return err
	}
	found, hasMore, err := a.Notify.EventList(r.Context(), httpapi.Principal(r), f, page.StartingAfter, page.EndingBefore)
	if err != nil {
		return err
	}
	data := make([]any, len(found))
	for i, e := range found {
		data[i] = a.eventObject(e)
	}
	return ok(w, newList("/v1/events", data, hasMore))
}

// decodeEventList reads an event list request: the page, created, and either
// type (one event type, or a pattern with * such as checkout.session.*) or types.
func decodeEventList(p *params) (checkout.ListParams, store.EventFilter) {
	page := decodePage(p)
	var created store.SessionFilter
	decodeCreated(p, &created)
	f := store.EventFilter{CreatedFrom: created.CreatedFrom, CreatedBefore: created.CreatedBefore, Limit: page.Filter.Limit}
	typ, hasType := p.String("type")
	types, hasTypes := p.Strings("types")
	switch {
	case hasType && hasTypes:
		p.Fail("types", httpapi.Invalid("types", "parameters_exclusive",
			"You may only specify one of these parameters: type, types."))
	case hasType:
		for _, t := range checkout.EventTypes {
			if ok, _ := path.Match(typ, string(t)); ok {
				f.Types = append(f.Types, t)
			}
		}
		if len(f.Types) == 0 {
			p.Fail("type", httpapi.Invalid("type", "",
				"Invalid type: %q is not an event type caisse sends, nor a pattern matching one.", typ))
		}
	case hasTypes:
		for _, t := range types {
			if !slices.Contains(checkout.EventTypes, checkout.EventType(t)) {
				p.Fail("types", httpapi.Invalid("types", "", "Invalid types: %q is not an event type caisse sends.", t))
			}
			f.Types = append(f.Types, checkout.EventType(t))
		}
	}
	return page, f
}

func (a *API) retrieveEvent(w http.ResponseWriter, r *http.Request) error {
	if err := decode(r, false, func(*params) {}); err != nil {
		return err
	}
	e, err := a.Notify.EventGet(r.Context(), httpapi.Principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return ok(w, a.eventObject(e))
}

// eventAttempts lists every attempt to deliver an event, oldest first, in one page.
func (a *API) eventAttempts(w http.ResponseWriter, r *http.Request) error {
	if err := decode(r, false, func(*params) {}); err != nil {
		return err
	}
	id := r.PathValue("id")
	found, err := a.Notify.Attempts(r.Context(), httpapi.Principal(r), id)
	if err != nil {
		return err
	}
	data := make([]attempt, len(found))
	for i, at := range found {
		data[i] = toAttempt(at)
	}
	return ok(w, newList("/v1/events/"+id+"/webhook_attempts", data, false))
}

// resendEvent queues one more delivery of an event: to webhook_endpoint, or
// to every enabled endpoint that takes its type.
func (a *API) resendEvent(w http.ResponseWriter, r *http.Request) error {
	var endpoint string
	if err := decode(r, false, func(p *params) { endpoint, _ = p.String("webhook_endpoint") }); err != nil {
		return err
	}
	id := r.PathValue("id")
	n, err := a.Notify.Resend(r.Context(), httpapi.Principal(r), id, endpoint)
	if err != nil {
		return err
	}
	return ok(w, eventResend{Object: "event_resend", Event: id, Queued: n})
}
