package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// TestSDKGoQuickstart is Stripe's quickstart in Go as its docs write it, with
// only the backend's URL changed, against `caisse serve` on SQLite and PostgreSQL: a product, a
// price, a session with that price, payment, and checkout.session.completed
// verified by stripe-go's own webhook helper.
func TestSDKGoQuickstart(t *testing.T) {
	t.Parallel()
	testdb.EachEngineEmpty(t, func(t *testing.T, dbURL string) {
		url, key := serveSDK(t, dbURL)
		backend := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{URL: stripe.String(url),
			MaxNetworkRetries: stripe.Int64(0), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}})
		sc := stripe.NewClient(key, stripe.WithBackends(&stripe.Backends{API: backend, Connect: backend, Uploads: backend, MeterEvents: backend}))
		ctx := context.TODO()
		hooks := testserver.NewReceiver(t)
		endpoint, err := sc.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
			URL: stripe.String(hooks.URL + "/webhook"), EnabledEvents: []*string{stripe.String("checkout.session.completed")}})
		if err != nil {
			t.Fatal(err)
		}

		// https://docs.stripe.com/products-prices/manage-prices
		product, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{Name: stripe.String("T-shirt")})
		if err != nil {
			t.Fatal(err)
		}
		price, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Product: stripe.String(product.ID),
			UnitAmount: stripe.Int64(2000), Currency: stripe.String(string(stripe.CurrencyUSD))})
		if err != nil {
			t.Fatal(err)
		}
		// https://docs.stripe.com/checkout/quickstart
		params := &stripe.CheckoutSessionCreateParams{
			LineItems:  []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String(price.ID), Quantity: stripe.Int64(1)}},
			Mode:       stripe.String(string(stripe.CheckoutSessionModePayment)),
			SuccessURL: stripe.String("http://localhost:4242/success.html"),
		}
		s, err := sc.V1CheckoutSessions.Create(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if s.AmountTotal != 2000 || s.URL == "" {
			t.Fatalf("session amount_total %d url %q, want 2000 and a URL", s.AmountTotal, s.URL)
		}
		// Payment, through caisse's test helper.
		req, err := http.NewRequest(http.MethodPost, url+"/v1/test_helpers/checkout/sessions/"+s.ID+"/complete", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("paying: %d", res.StatusCode)
		}
		// https://docs.stripe.com/checkout/fulfillment: the webhook handler's verification.
		d := hooks.Wait(t, 1, time.Minute)[0]
		event, err := sc.ConstructEvent(d.Body, d.Header.Get("Stripe-Signature"), endpoint.Secret)
		if err != nil {
			t.Fatal(err)
		}
		if event.Type != stripe.EventTypeCheckoutSessionCompleted || event.Data.Object["id"] != s.ID {
			t.Fatalf("event %s about %v, want checkout.session.completed about %s", event.Type, event.Data.Object["id"], s.ID)
		}
	})
}
