package stripeapi

import (
	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/store"
)

// event is Stripe's event object. caisse's events come from status changes,
// not API requests, so request is null; account and context (Connect) are null.
type event struct {
	ID              string    `json:"id"`
	Object          string    `json:"object"`
	Account         *string   `json:"account"`
	APIVersion      string    `json:"api_version"`
	Context         *string   `json:"context"`
	Created         int64     `json:"created"`
	Data            eventData `json:"data"`
	Livemode        bool      `json:"livemode"`
	PendingWebhooks int64     `json:"pending_webhooks"`
	Request         *struct{} `json:"request"`
	Type            string    `json:"type"`
}

type eventData struct {
	Object any `json:"object"`
}

// EventObject renders an event as Stripe's event object, with object (the
// session in the shape the reader asked for) as data.object.
func EventObject(e store.Event, apiVersion string, object any) any {
	return event{ID: e.ID, Object: "event", APIVersion: apiVersion, Created: e.CreatedAt.Unix(),
		Data: eventData{Object: object}, Livemode: e.Livemode, Type: string(e.Type)}
}

// SessionObject renders a session as Stripe's checkout.session at the API
// version apiVersion, as events carry it.
func (a *API) SessionObject(s checkout.Session, apiVersion string) any {
	return toSession(s, apiVersion, a.HostedURL, false)
}
