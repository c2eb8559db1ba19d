package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/caisse/caisse/client"
	"github.com/caisse/caisse/internal/testdb"
)

// errEnough stops a stream once the test has read what it wanted.
var errEnough = errors.New("enough")

// collect streams events after lastID until n have come.
func collect(t *testing.T, c *client.Client, lastID string, types []string, n int) []client.StreamedEvent {
	t.Helper()
	var got []client.StreamedEvent
	err := c.StreamEvents(t.Context(), lastID, types, func(e client.StreamedEvent) error {
		got = append(got, e)
		if len(got) == n {
			return errEnough
		}
		return nil
	})
	if !errors.Is(err, errEnough) {
		t.Fatalf("stream: %v after %d events", err, len(got))
	}
	return got
}

// TestStreamEvents forces outcomes with the test helpers and reads their
// events from the stream: all of them, those of one type, and those after
// a given event.
func TestStreamEvents(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		_, c := start(t, dbURL)
		s, err := c.Create(ctx, client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250700000001"})
		if err != nil {
			t.Fatal(err)
		}
		done, err := c.ForceOutcome(ctx, s.ID, client.OutcomeComplete)
		if err != nil || done.ID != s.ID || done.Status != "complete" {
			t.Fatalf("complete: %+v %v", done, err)
		}
		// A stream resumed before the oldest of them replays them in order.
		list, err := c.ListEvents(ctx, client.EventListParams{})
		if err != nil || len(list.Data) != 4 {
			t.Fatalf("events: %+v %v", list, err)
		}
		first := list.Data[3]
		got := collect(t, c, first.ID, nil, 3)
		var types []string
		for i, e := range got {
			var ev client.Event
			if err := json.Unmarshal(e.Data, &ev); err != nil || ev.ID != e.ID || ev.Type != e.Type || e.ID != list.Data[2-i].ID {
				t.Fatalf("event %d: %s %s %s (%v), want %s", i, e.ID, e.Type, e.Data, err, list.Data[2-i].ID)
			}
			types = append(types, e.Type)
		}
		if want := []string{"checkout.session.processing", "checkout.session.completed", "checkout.session.async_payment_succeeded"}; !slices.Equal(types, want) {
			t.Fatalf("types %v, want %v", types, want)
		}
		only := collect(t, c, first.ID, []string{"checkout.session.completed"}, 1)
		if only[0].Type != "checkout.session.completed" {
			t.Fatalf("filtered stream sent %s", only[0].Type)
		}
		_, err = c.ForceOutcome(ctx, s.ID, client.OutcomeExpire) // a completed session cannot expire
		wantAPIError(t, err, http.StatusBadRequest, "checkout_session_not_open", "")
		err = c.StreamEvents(ctx, "evt_unknown", nil, func(client.StreamedEvent) error { return nil })
		wantAPIError(t, err, http.StatusBadRequest, "resource_missing", "Last-Event-ID")
	})
}
