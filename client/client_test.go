package client_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/caisse/caisse/client"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// start runs a real caisse server and returns a client with a test key of a new merchant.
func start(t *testing.T, dbURL string) (*testserver.Env, *client.Client) {
	t.Helper()
	env := testserver.Start(t, dbURL)
	key, _ := env.Merchant()
	return env, client.New(key, client.WithBaseURL(env.URL+"/"))
}

// wantAPIError asserts err is a *client.Error with this status, code and param.
func wantAPIError(t *testing.T, err error, status int, code, param string) *client.Error {
	t.Helper()
	var apiErr *client.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v (%T), want a *client.Error", err, err)
	}
	if apiErr.StatusCode != status || apiErr.Code != code || apiErr.Param != param || apiErr.Message == "" {
		t.Fatalf("error %+v, want status %d code %q param %q and a message", apiErr, status, code, param)
	}
	if !strings.HasPrefix(apiErr.RequestID, "req_") {
		t.Errorf("RequestID = %q, want the Request-Id header", apiErr.RequestID)
	}
	return apiErr
}

func TestSessions(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		_, c := start(t, dbURL)
		s, err := c.Create(ctx, client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+22507987654",
			Description: "Commande 123", PaymentID: "ORDER_123", CustomerID: "cus_1", ExpiresIn: 600,
			Metadata: map[string]string{"order": "123"}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s.ID, "cs_test_") || s.Status != "created" || s.Amount != 5000 || s.Currency != "XOF" ||
			s.UserPhone != "+2250707987654" || s.PaymentID != "ORDER_123" || s.Description != "Commande 123" ||
			s.TransactionFee != 25 || s.CompletedAt != nil || s.FailureReason != nil || !strings.HasSuffix(s.URL, "/pay/"+s.ID) {
			t.Fatalf("created %+v", s)
		}
		if got := s.ExpiresAt.Sub(s.CreatedAt).Seconds(); got != 600 {
			t.Errorf("expires_at - created_at = %vs, want 600", got)
		}
		other, err := c.Create(ctx, client.CreateParams{Amount: 7000, Currency: "XOF", UserPhone: "+2250700000001"})
		if err != nil {
			t.Fatal(err)
		}
		if other.ID == s.ID {
			t.Fatal("two creates without a key made one session: the generated keys are not distinct")
		}

		got, err := c.Get(ctx, s.ID)
		if err != nil || got.ID != s.ID || got.Amount != 5000 || !got.CreatedAt.Equal(s.CreatedAt) {
			t.Fatalf("get = %+v, %v", got, err)
		}

		page, err := c.List(ctx, client.ListParams{Status: "created", Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Sessions) != 1 || page.Sessions[0].ID != other.ID || page.TotalCount != 2 || !page.TotalCountExact ||
			!page.HasMore || page.NextOffset == nil || *page.NextOffset != 1 {
			t.Fatalf("list page 1 = %+v", page)
		}
		page, err = c.List(ctx, client.ListParams{Status: "created", Limit: 1, Offset: *page.NextOffset})
		if err != nil || len(page.Sessions) != 1 || page.Sessions[0].ID != s.ID || page.HasMore || page.NextOffset != nil {
			t.Fatalf("list page 2 = %+v, %v", page, err)
		}

		min, max := int64(5000), int64(6000)
		day := s.CreatedAt.UTC().Format("2006-01-02")
		found, err := c.Search(ctx, client.SearchParams{Status: "created", Reference: "ORDER_123", UserPhone: "+22507987654",
			CustomerID: "cus_1", AmountMin: &min, AmountMax: &max, StartDate: day, EndDate: day, Limit: 10})
		if err != nil || len(found.Sessions) != 1 || found.Sessions[0].ID != s.ID || found.TotalCount != 1 {
			t.Fatalf("search = %+v, %v", found, err)
		}
		zero := int64(0)
		none, err := c.Search(ctx, client.SearchParams{AmountMax: &zero})
		if err != nil || len(none.Sessions) != 0 || none.Sessions == nil || none.TotalCount != 0 {
			t.Fatalf("search amount_max=0 = %+v, %v; want an empty, non-nil page", none, err)
		}

		cancelled, err := c.Cancel(ctx, s.ID, client.CancelParams{IdempotencyKey: "cancel-1"})
		if err != nil || cancelled.Status != "cancelled" {
			t.Fatalf("cancel = %+v, %v", cancelled, err)
		}
		_, err = c.Cancel(ctx, s.ID, client.CancelParams{})
		wantAPIError(t, err, http.StatusConflict, "session_state", "")

		confirmed, err := c.Confirm(ctx, other.ID, client.ConfirmParams{Channel: "mtn_momo", UserPhone: "+2250700000002"})
		if err != nil || confirmed.Status != "pending" || confirmed.Channel != "mtn_momo" || confirmed.UserPhone != "+2250700000002" {
			t.Fatalf("confirm = %+v, %v", confirmed, err)
		}
	})
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		_, c := start(t, dbURL)
		p := client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250700000001", IdempotencyKey: "order-123"}
		first, err := c.Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		again, err := c.Create(ctx, p)
		if err != nil || again.ID != first.ID {
			t.Fatalf("the same create with the same key = %+v, %v; want the first session replayed", again, err)
		}
		p.Amount = 6000
		_, err = c.Create(ctx, p)
		wantAPIError(t, err, http.StatusUnprocessableEntity, "idempotency_key_reused", "")
	})
}

func TestErrors(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		env, c := start(t, dbURL)
		_, err := c.Create(ctx, client.CreateParams{Amount: 99, Currency: "XOF", UserPhone: "+2250700000001"})
		wantAPIError(t, err, http.StatusBadRequest, "parameter_invalid", "amount")
		_, err = c.Search(ctx, client.SearchParams{Status: "open"})
		wantAPIError(t, err, http.StatusBadRequest, "parameter_invalid", "status")
		_, err = c.Get(ctx, "cs_test_nope")
		wantAPIError(t, err, http.StatusNotFound, "resource_missing", "id")
		if _, err := c.Get(ctx, ""); err == nil {
			t.Fatal("Get with an empty id did not fail")
		}

		// Another merchant's session is a 404, as an unknown id.
		otherKey, _ := env.Merchant()
		theirs, err := client.New(otherKey, client.WithBaseURL(env.URL)).Create(ctx,
			client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250700000001"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Get(ctx, theirs.ID)
		wantAPIError(t, err, http.StatusNotFound, "resource_missing", "id")

		_, err = client.New("sk_test_wrong", client.WithBaseURL(env.URL)).List(ctx, client.ListParams{})
		wantAPIError(t, err, http.StatusUnauthorized, "unauthorized", "")

		// The Stripe-shaped errors of /v1/events carry their type too.
		_, err = c.GetEvent(ctx, "evt_nope")
		if e := wantAPIError(t, err, http.StatusNotFound, "resource_missing", "id"); e.Type != "invalid_request_error" {
			t.Errorf("Type = %q, want invalid_request_error", e.Type)
		}
	})
}

func TestEvents(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		_, c := start(t, dbURL)
		var ids []string
		for range 3 {
			s, err := c.Create(ctx, client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250700000001"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Cancel(ctx, s.ID, client.CancelParams{}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, s.ID)
		}
		first, err := c.ListEvents(ctx, client.EventListParams{Type: "checkout.session.*", Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if first.Object != "list" || first.URL != "/v1/events" || !first.HasMore || len(first.Data) != 2 {
			t.Fatalf("page 1 = %+v", first)
		}
		rest, err := c.ListEvents(ctx, client.EventListParams{Types: []string{"checkout.session.cancelled"},
			StartingAfter: first.Data[1].ID, CreatedGTE: 1})
		if err != nil || rest.HasMore || len(rest.Data) != 1 {
			t.Fatalf("page 2 = %+v, %v", rest, err)
		}
		e, err := c.GetEvent(ctx, rest.Data[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Object != "event" || e.Type != "checkout.session.cancelled" || e.Livemode || e.Created == 0 ||
			!strings.Contains(string(e.Data.Object), `"id":"`+ids[0]+`"`) {
			t.Fatalf("oldest event = %+v (object %s), want the first session's cancel", e, e.Data.Object)
		}
		none, err := c.ListEvents(ctx, client.EventListParams{Type: "checkout.session.completed"})
		if err != nil || len(none.Data) != 0 || none.HasMore {
			t.Fatalf("completed events = %+v, %v; want none", none, err)
		}
	})
}
