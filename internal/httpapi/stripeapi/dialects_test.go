package stripeapi_test

// One set of sessions behind every dialect: a session made through the
// mobile-money API is visible through stripe-go and WooshPay, and one made
// through stripe-go through the mobile-money API and WooshPay.

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/caisse/caisse/client"
	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/testdb"
)

// momo is the mobile-money API's client with key.
func (e *env) momo(key string) *client.Client { return client.New(key, client.WithBaseURL(e.URL)) }

// momoCreate creates a session through the mobile-money API; it fails the test on an error.
func (e *env) momoCreate(t *testing.T, key string, p client.CreateParams) *client.Session {
	t.Helper()
	s, err := e.momo(key).Create(context.Background(), p)
	if err != nil {
		t.Fatalf("mobile-money create %+v: %v", p, err)
	}
	return s
}

// momoGet reads a session through the mobile-money API; it fails the test on an error.
func (e *env) momoGet(t *testing.T, key, id string) *client.Session {
	t.Helper()
	s, err := e.momo(key).Get(context.Background(), id)
	if err != nil {
		t.Fatalf("mobile-money get %s: %v", id, err)
	}
	return s
}

func TestMobileMoneySessionInStripeDialects(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		ctx := context.Background()
		m := e.momoCreate(t, a.key, client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250707000001",
			Description: "Commande 7", PaymentID: "ref-1"})
		id := m.ID

		rp := &stripe.CheckoutSessionRetrieveParams{}
		rp.AddExpand("line_items")
		s, err := a.sc.V1CheckoutSessions.Retrieve(ctx, id, rp)
		if err != nil {
			t.Fatalf("stripe-go retrieve: %v", err)
		}
		if s.ID != id || s.Object != "checkout.session" || s.AmountTotal != 5000 || s.AmountSubtotal != 5000 ||
			s.Currency != "xof" || s.ClientReferenceID != "ref-1" || s.Mode != stripe.CheckoutSessionModePayment ||
			s.Created != m.CreatedAt.Unix() || s.ExpiresAt != m.ExpiresAt.Unix() || s.Livemode {
			t.Fatalf("stripe view of %+v:\n%s", m, s.LastResponse.RawJSON)
		}
		if s.CustomerDetails == nil || s.CustomerDetails.Phone != "+2250707000001" {
			t.Fatalf("customer_details %+v, want phone +2250707000001", s.CustomerDetails)
		}
		checkView(t, s, checkout.StatusCreated)
		if s.LineItems == nil || len(s.LineItems.Data) != 1 {
			t.Fatalf("line_items %+v, want one", s.LineItems)
		}
		for _, li := range append(s.LineItems.Data, collect(t, a.sc.V1CheckoutSessions.ListLineItems(ctx,
			&stripe.CheckoutSessionListLineItemsParams{Session: stripe.String(id)}))...) {
			if !strings.HasPrefix(li.ID, "li_") || li.Quantity != 1 || li.AmountTotal != 5000 || li.AmountSubtotal != 5000 ||
				li.Currency != "xof" || li.Price == nil || li.Price.UnitAmount != 5000 {
				t.Fatalf("line item %+v (price %+v), want 1 × 5000 xof", li, li.Price)
			}
		}

		ls := collect(t, a.sc.V1CheckoutSessions.List(ctx, nil))
		sameIDs(t, "stripe-go list", sessionIDs(ls), []string{id})
		if ls[0].CustomerDetails == nil || ls[0].CustomerDetails.Phone != "+2250707000001" || ls[0].ClientReferenceID != "ref-1" {
			t.Fatalf("listed: %+v", ls[0])
		}

		p, _ := e.wooshpayPage(t, a.key, "", "{}")
		w := find(t, p, id)
		wantFields(t, w, map[string]any{"client_reference_id": "ref-1", "amount_total": 5000.0, "currency": "xof", "status": "open"})
		if d, _ := w["customer_details"].(map[string]any); d == nil || d["phone"] != "+2250707000001" {
			t.Errorf("WooshPay customer_details %#v, want phone +2250707000001", w["customer_details"])
		}
	})
}

func TestStripeSessionInOtherDialects(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		p := params()
		p.ClientReferenceID = stripe.String("order-77")
		s := a.create(t, p)

		m := e.momoGet(t, a.key, s.ID)
		if m.ID != s.ID || m.PaymentID != "order-77" || m.Amount != s.AmountTotal || m.Currency != "XOF" ||
			m.Status != string(checkout.StatusCreated) || m.CreatedAt.Unix() != s.Created || m.ExpiresAt.Unix() != s.ExpiresAt {
			t.Fatalf("mobile-money view of %s (amount_total %d): %+v", s.ID, s.AmountTotal, m)
		}

		found, err := e.momo(a.key).Search(context.Background(), client.SearchParams{Reference: "order-77"})
		if err != nil || found.TotalCount != 1 || len(found.Sessions) != 1 || found.Sessions[0].ID != s.ID {
			t.Fatalf("search reference=order-77: %+v, %v", found, err)
		}
		if list, err := e.momo(a.key).List(context.Background(), client.ListParams{}); err != nil || len(list.Sessions) != 1 || list.Sessions[0].ID != s.ID {
			t.Fatalf("mobile-money list: %+v, %v", list, err)
		}

		pg, _ := e.wooshpayPage(t, a.key, "", "{}")
		sameIDs(t, "WooshPay list", pg.ids(), []string{s.ID})
		wantFields(t, find(t, pg, s.ID), map[string]any{"client_reference_id": "order-77", "amount_total": 5000.0})
	})
}

func TestStatusAcrossDialects(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		ctx := context.Background()

		t.Run("cancelled through mobile money", func(t *testing.T) {
			t.Parallel()
			id := e.momoCreate(t, a.key, client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250707000001"}).ID
			if _, err := e.momo(a.key).Cancel(ctx, id, client.CancelParams{IdempotencyKey: randid.String(16)}); err != nil {
				t.Fatalf("cancel: %v", err)
			}
			s, err := a.sc.V1CheckoutSessions.Retrieve(ctx, id, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkView(t, s, checkout.StatusCancelled)
			_, err = a.sc.V1CheckoutSessions.Expire(ctx, id, nil)
			checkErr(t, err, wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, "checkout_session_not_open", "", ""})
		})
		t.Run("expired through stripe-go", func(t *testing.T) {
			t.Parallel()
			s := a.create(t, params())
			if _, err := a.sc.V1CheckoutSessions.Expire(ctx, s.ID, nil); err != nil {
				t.Fatal(err)
			}
			// Stripe's expire is a merchant's cancellation; either terminal status is a fair canonical reading.
			if st := e.momoGet(t, a.key, s.ID).Status; st != string(checkout.StatusExpired) && st != string(checkout.StatusCancelled) {
				t.Fatalf("mobile-money status %v after a Stripe expire", st)
			}
		})
		t.Run("completed", func(t *testing.T) {
			t.Parallel()
			s := a.create(t, params())
			e.moveTo(t, a, s.ID, checkout.StatusCompleted)
			if st := e.momoGet(t, a.key, s.ID).Status; st != string(checkout.StatusCompleted) {
				t.Fatalf("mobile-money status %v", st)
			}
			got, err := a.sc.V1CheckoutSessions.Retrieve(ctx, s.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkView(t, got, checkout.StatusCompleted)
		})
	})
}
