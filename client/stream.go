package client

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// StreamedEvent is one event of GET /v1/events/stream.
type StreamedEvent struct {
	// ID is the event's id, evt_…: give it back as lastEventID to resume after it.
	ID string
	// Type is the event type, such as checkout.session.completed.
	Type string
	// Data is the event object's JSON exactly as the server sent it: the body
	// a webhook endpoint in Stripe's format receives.
	Data []byte
}

// maxStreamedEvent bounds one event's data: an event is a few kilobytes.
const maxStreamedEvent = 1 << 20

// StreamEvents reads the merchant's events as they happen (GET
// /v1/events/stream, docs/webhooks.md), in the order the server's
// transactions wrote them, calling fn with each, until ctx ends, fn fails, or
// the stream ends (the server closes streams after a while: call again with
// the last event's id). lastEventID, when not empty, resumes after that
// event; otherwise the stream starts with the next event committed. types,
// when given, keeps only events of those types. An answer other than a
// stream is a *Error.
func (c *Client) StreamEvents(ctx context.Context, lastEventID string, types []string, fn func(StreamedEvent) error) error {
	q := url.Values{}
	for _, t := range types {
		q.Add("types[]", t)
	}
	u := c.baseURL + "/v1/events/stream"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "text/event-stream")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(res.Body, maxResponse))
		return decodeError(res, raw)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 0, 64<<10), maxStreamedEvent)
	var e StreamedEvent
	for sc.Scan() {
		field, value, _ := strings.Cut(sc.Text(), ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			e.ID = value
		case "event":
			e.Type = value
		case "data":
			e.Data = []byte(value)
		case "": // a blank line ends an event; a line starting with ':' is a comment
			if sc.Text() == "" && e.ID != "" {
				if err := fn(e); err != nil {
					return err
				}
				e = StreamedEvent{}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("caisse: reading the event stream: %w", err)
	}
	return nil
}
