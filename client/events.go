package client

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
)

// Event is caisse's event object, in Stripe's shape (docs/webhooks.md, The
// event object): one status change of a session.
type Event struct {
	// ID is evt_….
	ID string `json:"id"`
	// Object is "event".
	Object string `json:"object"`
	// APIVersion is the version data.object is rendered at.
	APIVersion string `json:"api_version"`
	// Created is when the event was written, in Unix seconds.
	Created int64 `json:"created"`
	// Data holds the session as it was right after the change.
	Data EventData `json:"data"`
	// Livemode is true for a live-mode session's event.
	Livemode bool `json:"livemode"`
	// PendingWebhooks is always 0.
	PendingWebhooks int64 `json:"pending_webhooks"`
	// Request is always null: caisse's events come from status changes.
	Request json.RawMessage `json:"request"`
	// Type is the event type, such as checkout.session.completed.
	Type string `json:"type"`
}

// EventData is an event's data.
type EventData struct {
	// Object is the session: Stripe's checkout.session object, as sent.
	Object json.RawMessage `json:"object"`
}

// EventList is a page of events, newest first (a Stripe list).
type EventList struct {
	// Object is "list".
	Object string `json:"object"`
	// URL is the list's path, /v1/events.
	URL string `json:"url"`
	// HasMore is true when more events follow this page.
	HasMore bool `json:"has_more"`
	// Data is the page.
	Data []Event `json:"data"`
}

// EventListParams filters and pages GET /v1/events. Zero values are left out.
type EventListParams struct {
	// Type is one event type, or a pattern with * such as checkout.session.*.
	Type string
	// Types lists event types (not together with Type).
	Types []string
	// CreatedGTE keeps events created at or after this Unix time.
	CreatedGTE int64
	// CreatedLTE keeps events created at or before this Unix time.
	CreatedLTE int64
	// Limit is the page size, 1 to 100 (the server's default, 10, when 0).
	Limit int
	// StartingAfter is the id of the event the page starts after (the next page).
	StartingAfter string
	// EndingBefore is the id of the event the page ends before (the previous page).
	EndingBefore string
}

// ListEvents lists events, newest first (GET /v1/events).
func (c *Client) ListEvents(ctx context.Context, p EventListParams) (*EventList, error) {
	q := url.Values{}
	for name, v := range map[string]string{"type": p.Type, "starting_after": p.StartingAfter, "ending_before": p.EndingBefore} {
		if v != "" {
			q.Set(name, v)
		}
	}
	for _, t := range p.Types {
		q.Add("types[]", t)
	}
	for name, v := range map[string]int64{"created[gte]": p.CreatedGTE, "created[lte]": p.CreatedLTE} {
		if v != 0 {
			q.Set(name, strconv.FormatInt(v, 10))
		}
	}
	if p.Limit != 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	var out EventList
	if err := c.call(ctx, "GET", "/v1/events", q, nil, "", &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetEvent retrieves an event (GET /v1/events/{id}).
func (c *Client) GetEvent(ctx context.Context, id string) (*Event, error) {
	path, err := idPath("/v1/events", id)
	if err != nil {
		return nil, err
	}
	var e Event
	if err := c.call(ctx, "GET", path, nil, nil, "", &e); err != nil {
		return nil, err
	}
	return &e, nil
}
