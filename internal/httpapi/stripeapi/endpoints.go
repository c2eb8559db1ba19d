package stripeapi

import (
	"net/http"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/httpapi"
	"github.com/caisse/caisse/internal/notify"
	"github.com/caisse/caisse/internal/store"
)

// webhookEndpoint is Stripe's webhook_endpoint object plus caisse's
// payload_format. The secret is shown only in the answer to its creation.
type webhookEndpoint struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	APIVersion    string            `json:"api_version"`
	Application   *string           `json:"application"`
	Created       int64             `json:"created"`
	Description   *string           `json:"description"`
	EnabledEvents []string          `json:"enabled_events"`
	Livemode      bool              `json:"livemode"`
	Metadata      map[string]string `json:"metadata"`
	Secret        string            `json:"secret,omitempty"`
	Status        string            `json:"status"`
	URL           string            `json:"url"`
	PayloadFormat string            `json:"payload_format"`
}

func toEndpoint(e store.Endpoint, withSecret bool) webhookEndpoint {
	out := webhookEndpoint{ID: e.ID, Object: "webhook_endpoint", APIVersion: e.APIVersion, Created: e.CreatedAt.Unix(),
		Description: orNull(e.Description), EnabledEvents: e.EnabledEvents, Livemode: e.Livemode, Metadata: e.Metadata,
		Status: e.Status, URL: e.URL, PayloadFormat: e.PayloadFormat}
	if out.EnabledEvents == nil {
		out.EnabledEvents = []string{}
	}
	if out.Metadata == nil {
		out.Metadata = map[string]string{}
	}
	if withSecret {
		out.Secret = e.Secret
	}
	return out
}

// decodeEndpoint reads the parameters create and update share; metadata
// given as "" clears every key.
func decodeEndpoint(p *params, create bool) notify.EndpointParams {
	var in notify.EndpointParams
	if url, ok := p.String("url"); ok {
		in.URL = &url
	} else if create {
		p.Missing("url")
	}
	if events, ok := p.Strings("enabled_events"); ok {
		in.EnabledEvents = events
	} else if create {
		p.Missing("enabled_events")
	}
	if d, ok := p.String("description"); ok {
		in.Description = &d
	}
	meta, hasMeta := p.Metadata("metadata")
	in.Metadata, in.ClearMetadata = meta, hasMeta && meta == nil
	return in
}

func (a *API) createEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in notify.EndpointParams
	if err := decode(r, false, func(p *params) {
		in = decodeEndpoint(p, true)
		in.APIVersion, _ = p.String("api_version")
		in.PayloadFormat, _ = p.String("payload_format")
	}); err != nil {
		return err
	}
	e, err := a.Notify.EndpointCreate(r.Context(), httpapi.Principal(r), in, requestVersion(r))
	if err != nil {
		return err
	}
	return ok(w, toEndpoint(e, true))
}

func (a *API) retrieveEndpoint(w http.ResponseWriter, r *http.Request) error {
	if err := decode(r, false, func(*params) {}); err != nil {
		return err
	}
	e, err := a.Notify.EndpointGet(r.Context(), httpapi.Principal(r), r.PathValue("id"))
	return replyEndpoint(w, e, err)
}

func (a *API) updateEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in notify.EndpointParams
	if err := decode(r, false, func(p *params) {
		in = decodeEndpoint(p, false)
		in.Disabled = boolParam(p, "disabled")
	}); err != nil {
		return err
	}
	e, err := a.Notify.EndpointUpdate(r.Context(), httpapi.Principal(r), r.PathValue("id"), in)
	return replyEndpoint(w, e, err)
}

// replyEndpoint writes the endpoint, or returns err.
func replyEndpoint(w http.ResponseWriter, e store.Endpoint, err error) error {
	if err != nil {
		return err
	}
	return ok(w, toEndpoint(e, false))
}

func (a *API) deleteEndpoint(w http.ResponseWriter, r *http.Request) error {
	if err := decode(r, false, func(*params) {}); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := a.Notify.EndpointDelete(r.Context(), httpapi.Principal(r), id); err != nil {
		return err
	}
	return ok(w, deleted{ID: id, Object: "webhook_endpoint", Deleted: true})
}

func (a *API) listEndpoints(w http.ResponseWriter, r *http.Request) error {
	var page checkout.ListParams
	if err := decode(r, false, func(p *params) { page = decodePage(p) }); err != nil {
		return err
	}
	found, hasMore, err := a.Notify.EndpointList(r.Context(), httpapi.Principal(r), page.Filter.Limit,
		page.StartingAfter, page.EndingBefore)
	if err != nil {
		return err
	}
	data := make([]webhookEndpoint, len(found))
	for i, e := range found {
		data[i] = toEndpoint(e, false)
	}
	return ok(w, newList("/v1/webhook_endpoints", data, hasMore))
}

// boolParam reads key as a boolean (parseBool); nil when absent.
func boolParam(p *params, key string) *bool {
	v, ok := p.String(key)
	if !ok {
		return nil
	}
	b, ok := parseBool(v)
	if !ok {
		p.Fail(key, httpapi.Invalid(p.Path(key), "", "Invalid boolean: %s", v))
		return nil
	}
	return &b
}
