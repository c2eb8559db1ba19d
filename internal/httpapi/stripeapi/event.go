package stripeapi

import (
	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/store"
)

// event is Stripe's event object, rendered with the fields of its API version
// (fields; see versioned). caisse's events come from status changes, not API
// requests, so request is null; account and context (Connect) are null.
type event struct {
	fields          []string
	ID              string    `json:"id"`
	Object          string    `json:"object"`
	APIVersion      string    `json:"api_version"`
	Created         int64     `json:"created"`
	Data            eventData `json:"data"`
	Livemode        bool      `json:"livemode"`
	PendingWebhooks int64     `json:"pending_webhooks"`
	Type            string    `json:"type"`
}

// MarshalJSON renders the event with its version's fields.
func (e event) MarshalJSON() ([]byte, error) {
	type plain event
	return versioned(plain(e), e.fields)
}

type eventData struct {
	Object any `json:"object"`
}

// EventObject renders an event as Stripe's event object at the API version
// apiVersion, with object (the session in the shape the reader asked for) as
// data.object.
func EventObject(e store.Event, apiVersion string, object any) any {
	return event{fields: fieldsAt(apiVersion).EventFields, ID: e.ID, Object: "event", APIVersion: apiVersion, Created: e.CreatedAt.Unix(),
		Data: eventData{Object: object}, Livemode: e.Livemode, Type: string(e.Type)}
}

// SessionObject renders a session as Stripe's checkout.session at the API
// version apiVersion, as events carry it.
func (a *API) SessionObject(s checkout.Session, apiVersion string) any {
	return toSession(s, apiVersion, a.HostedURL, false)
}
