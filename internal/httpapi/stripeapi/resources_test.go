package stripeapi_test

// Products, prices, customers and PaymentIntents, judged by stripe-go on both engines.

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/caisse/caisse/internal/testdb"
)

// complete pays a test-mode session through the test helper.
func (e *env) complete(t *testing.T, a account, id string) {
	t.Helper()
	r := e.do(t, http.MethodPost, "/v1/test_helpers/checkout/sessions/"+id+"/complete", "", "Authorization", bearer(a.key))
	if r.status != http.StatusOK {
		t.Fatalf("complete %s: %d %s", id, r.status, r.raw)
	}
}

// TestQuickstart runs Stripe's Checkout quickstart: a product, its price, a
// session selling that price; once paid, the session's PaymentIntent is a
// pi_… that is retrievable and succeeded, and its line item carries the
// price and product.
func TestQuickstart(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		ctx := context.Background()
		prod, err := a.sc.V1Products.Create(ctx, &stripe.ProductCreateParams{Name: stripe.String("T-shirt")})
		if err != nil {
			t.Fatal(err)
		}
		pr, err := a.sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Product: stripe.String(prod.ID),
			UnitAmount: stripe.Int64(2000), Currency: stripe.String("xof")})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(prod.ID, "prod_") || !strings.HasPrefix(pr.ID, "price_") || pr.Product.ID != prod.ID ||
			pr.UnitAmount != 2000 || pr.Currency != "xof" || pr.Type != stripe.PriceTypeOneTime || !pr.Active {
			t.Fatalf("product %+v, price %+v", prod, pr)
		}
		s := a.create(t, &stripe.CheckoutSessionCreateParams{
			Mode:       stripe.String(string(stripe.CheckoutSessionModePayment)),
			SuccessURL: stripe.String("https://example.com/success"),
			LineItems:  []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String(pr.ID), Quantity: stripe.Int64(3)}},
		})
		if s.AmountTotal != 6000 || s.Currency != "xof" || s.PaymentIntent != nil {
			t.Fatalf("new session: amount %d %s, payment_intent %+v", s.AmountTotal, s.Currency, s.PaymentIntent)
		}
		e.complete(t, a, s.ID)

		rp := &stripe.CheckoutSessionRetrieveParams{}
		rp.AddExpand("payment_intent")
		rp.AddExpand("line_items.data.price.product")
		got, err := a.sc.V1CheckoutSessions.Retrieve(ctx, s.ID, rp)
		if err != nil {
			t.Fatal(err)
		}
		pi := got.PaymentIntent
		if pi == nil || !strings.HasPrefix(pi.ID, "pi_") || pi.Status != stripe.PaymentIntentStatusSucceeded ||
			pi.Amount != 6000 || pi.AmountReceived != 6000 {
			t.Fatalf("expanded payment_intent = %+v", pi)
		}
		li := got.LineItems.Data[0]
		if li.Price.ID != pr.ID || li.Price.Product.ID != prod.ID || li.Price.Product.Name != "T-shirt" || li.Quantity != 3 {
			t.Fatalf("line item = %+v, price %+v, product %+v", li, li.Price, li.Price.Product)
		}
		again, err := a.sc.V1PaymentIntents.Retrieve(ctx, pi.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != pi.ID || again.Status != stripe.PaymentIntentStatusSucceeded || again.Currency != "xof" {
			t.Fatalf("retrieved payment intent = %+v", again)
		}
		plain, err := a.sc.V1CheckoutSessions.Retrieve(ctx, s.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if plain.PaymentIntent == nil || plain.PaymentIntent.ID != pi.ID {
			t.Fatalf("unexpanded payment_intent = %+v, want %s", plain.PaymentIntent, pi.ID)
		}
		lp := &stripe.CheckoutSessionListLineItemsParams{Session: stripe.String(s.ID)}
		lp.AddExpand("data.price.product")
		items := collect(t, a.sc.V1CheckoutSessions.ListLineItems(ctx, lp))
		if len(items) != 1 || items[0].Price.Product.Name != "T-shirt" {
			t.Fatalf("line items = %+v", items)
		}
	})
}

// TestCatalog creates, updates and lists products, prices and customers
// with Stripe's filters and cursors, and deletes a customer.
func TestCatalog(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account("XOF", "EUR")
		ctx := context.Background()
		var prods []string
		for i, name := range []string{"Pagne", "Bissap", "Attiéké"} {
			p := &stripe.ProductCreateParams{Name: stripe.String(name), Active: stripe.Bool(i != 1)}
			p.AddMetadata("n", name)
			prod, err := a.sc.V1Products.Create(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			prods = append(prods, prod.ID)
			e.Clock.Set(e.Clock.Now().Add(time.Second))
		}
		all := collect(t, a.sc.V1Products.List(ctx, &stripe.ProductListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(1)}}))
		sameIDs(t, "products, paged by one", pluck(all, func(p *stripe.Product) string { return p.ID }), newestFirst(prods))
		active := collect(t, a.sc.V1Products.List(ctx, &stripe.ProductListParams{Active: stripe.Bool(false)}))
		sameIDs(t, "inactive products", pluck(active, func(p *stripe.Product) string { return p.ID }), []string{prods[1]})
		up, err := a.sc.V1Products.Update(ctx, prods[1], &stripe.ProductUpdateParams{Active: stripe.Bool(true), Name: stripe.String("Bissap rouge")})
		if err != nil || !up.Active || up.Name != "Bissap rouge" || up.Metadata["n"] != "Bissap" {
			t.Fatalf("update: %+v %v", up, err)
		}

		mk := func(p *stripe.PriceCreateParams) *stripe.Price {
			t.Helper()
			pr, err := a.sc.V1Prices.Create(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			e.Clock.Set(e.Clock.Now().Add(time.Second))
			return pr
		}
		p1 := mk(&stripe.PriceCreateParams{Product: stripe.String(prods[0]), UnitAmount: stripe.Int64(15000), Currency: stripe.String("xof"), LookupKey: stripe.String("std")})
		p2 := mk(&stripe.PriceCreateParams{Product: stripe.String(prods[0]), UnitAmount: stripe.Int64(1250), Currency: stripe.String("eur")})
		p3 := mk(&stripe.PriceCreateParams{ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Abonnement")},
			UnitAmount: stripe.Int64(500), Currency: stripe.String("xof"), Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")}})
		if p3.Type != stripe.PriceTypeRecurring || p3.Recurring == nil || p3.Recurring.Interval != "month" || p3.Recurring.IntervalCount != 1 {
			t.Fatalf("recurring price = %+v", p3)
		}
		ids := func(l *stripe.PriceListParams) []string {
			return pluck(collect(t, a.sc.V1Prices.List(ctx, l)), func(p *stripe.Price) string { return p.ID })
		}
		sameIDs(t, "prices of the product", ids(&stripe.PriceListParams{Product: stripe.String(prods[0])}), []string{p2.ID, p1.ID})
		sameIDs(t, "xof prices", ids(&stripe.PriceListParams{Currency: stripe.String("xof")}), []string{p3.ID, p1.ID})
		sameIDs(t, "by lookup key", ids(&stripe.PriceListParams{LookupKeys: []*string{stripe.String("std")}}), []string{p1.ID})
		sameIDs(t, "recurring", ids(&stripe.PriceListParams{Type: stripe.String("recurring")}), []string{p3.ID})

		_, err = a.sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Product: stripe.String(prods[0]), UnitAmount: stripe.Int64(1), Currency: stripe.String("xof"), LookupKey: stripe.String("std")})
		checkErr(t, err, wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, "", "lookup_key", p1.ID})
		moved, err := a.sc.V1Prices.Update(ctx, p2.ID, &stripe.PriceUpdateParams{LookupKey: stripe.String("std"), TransferLookupKey: stripe.Bool(true)})
		if err != nil || moved.LookupKey != "std" {
			t.Fatalf("transfer: %+v %v", moved, err)
		}
		sameIDs(t, "lookup key after transfer", ids(&stripe.PriceListParams{LookupKeys: []*string{stripe.String("std")}}), []string{p2.ID})

		c, err := a.sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("awa@example.com"), Name: stripe.String("Awa"), Phone: stripe.String("+2250707000001")})
		if err != nil || !strings.HasPrefix(c.ID, "cus_") || c.Email != "awa@example.com" || c.Phone != "+2250707000001" {
			t.Fatalf("customer: %+v %v", c, err)
		}
		if _, err := a.sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("kofi@example.com")}); err != nil {
			t.Fatal(err)
		}
		byEmail := collect(t, a.sc.V1Customers.List(ctx, &stripe.CustomerListParams{Email: stripe.String("awa@example.com")}))
		sameIDs(t, "customers by email", pluck(byEmail, func(c *stripe.Customer) string { return c.ID }), []string{c.ID})
		c2, err := a.sc.V1Customers.Update(ctx, c.ID, &stripe.CustomerUpdateParams{Name: stripe.String("Awa K.")})
		if err != nil || c2.Name != "Awa K." || c2.Email != "awa@example.com" {
			t.Fatalf("customer update: %+v %v", c2, err)
		}
		del, err := a.sc.V1Customers.Delete(ctx, c.ID, nil)
		if err != nil || !del.Deleted {
			t.Fatalf("delete: %+v %v", del, err)
		}
		_, err = a.sc.V1Customers.Retrieve(ctx, c.ID, nil)
		checkErr(t, err, wantErr{http.StatusNotFound, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing, "id", "No such customer: '" + c.ID + "'"})
	})
}

// TestResourceErrors: sessions refuse unknown, inactive and recurring prices
// and unknown customers with Stripe's errors and param; another merchant's
// (or the other mode's) objects are 404s; a session's PaymentIntent exists
// only once its payment has started, and lists by customer.
func TestResourceErrors(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a, other := e.account(), e.account()
		ctx := context.Background()
		prod, err := a.sc.V1Products.Create(ctx, &stripe.ProductCreateParams{Name: stripe.String("Pagne")})
		if err != nil {
			t.Fatal(err)
		}
		price := func(p *stripe.PriceCreateParams) string {
			p.Product, p.UnitAmount, p.Currency = stripe.String(prod.ID), stripe.Int64(1000), stripe.String("xof")
			pr, err := a.sc.V1Prices.Create(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			return pr.ID
		}
		good := price(&stripe.PriceCreateParams{})
		inactive := price(&stripe.PriceCreateParams{Active: stripe.Bool(false)})
		monthly := price(&stripe.PriceCreateParams{Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")}})
		cus, err := a.sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("awa@example.com")})
		if err != nil {
			t.Fatal(err)
		}

		withPrice := func(id string) *stripe.CheckoutSessionCreateParams {
			return &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), SuccessURL: stripe.String("https://example.com/ok"),
				LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String(id), Quantity: stripe.Int64(1)}}}
		}
		for _, c := range []struct {
			name string
			sc   *stripe.Client
			p    *stripe.CheckoutSessionCreateParams
			want wantErr
		}{
			{"no such price", a.sc, withPrice("price_nope"), wantErr{400, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing, "line_items[0][price]", "No such price: 'price_nope'"}},
			{"another merchant's price", other.sc, withPrice(good), wantErr{400, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing, "line_items[0][price]", "No such price: '" + good + "'"}},
			{"the other mode's price", e.client(a.liveKey), withPrice(good), wantErr{400, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing, "line_items[0][price]", "No such price"}},
			{"inactive price", a.sc, withPrice(inactive), wantErr{400, stripe.ErrorTypeInvalidRequest, "", "line_items[0][price]", "inactive"}},
			{"recurring price", a.sc, withPrice(monthly), wantErr{400, stripe.ErrorTypeInvalidRequest, "", "line_items[0][price]", "recurring price"}},
			{"no such customer", a.sc, func() *stripe.CheckoutSessionCreateParams {
				p := withPrice(good)
				p.Customer = stripe.String("cus_nope")
				return p
			}(), wantErr{400, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing, "customer", "No such customer: 'cus_nope'"}},
			{"another merchant's customer", other.sc, func() *stripe.CheckoutSessionCreateParams {
				p := params()
				p.Customer = stripe.String(cus.ID)
				return p
			}(), wantErr{400, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing, "customer", "No such customer"}},
		} {
			_, err := c.sc.V1CheckoutSessions.Create(ctx, c.p)
			if err == nil {
				t.Fatalf("%s: created", c.name)
			}
			checkErr(t, err, c.want)
		}

		notFound := func(kind, id string) wantErr {
			return wantErr{404, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing, "id", "No such " + kind + ": '" + id + "'"}
		}
		_, err = other.sc.V1Products.Retrieve(ctx, prod.ID, nil)
		checkErr(t, err, notFound("product", prod.ID))
		_, err = other.sc.V1Prices.Update(ctx, good, &stripe.PriceUpdateParams{Active: stripe.Bool(false)})
		checkErr(t, err, notFound("price", good))
		_, err = e.client(a.liveKey).V1Customers.Retrieve(ctx, cus.ID, nil)
		checkErr(t, err, notFound("customer", cus.ID))

		p := withPrice(good)
		p.Customer = stripe.String(cus.ID)
		open := a.create(t, p)
		paid := a.create(t, p)
		e.complete(t, a, paid.ID)
		plain := a.create(t, withPrice(good))
		e.complete(t, a, plain.ID)
		paidAgain, err := a.sc.V1CheckoutSessions.Retrieve(ctx, paid.ID, nil)
		if err != nil || paidAgain.PaymentIntent == nil {
			t.Fatalf("paid session: %+v %v", paidAgain, err)
		}
		pi := paidAgain.PaymentIntent.ID
		_, err = other.sc.V1PaymentIntents.Retrieve(ctx, pi, nil)
		checkErr(t, err, notFound("payment_intent", pi))
		openPI := "pi_" + open.ID[strings.LastIndexByte(open.ID, '_')+1:]
		_, err = a.sc.V1PaymentIntents.Retrieve(ctx, openPI, nil)
		checkErr(t, err, notFound("payment_intent", openPI))
		byCustomer := collect(t, a.sc.V1PaymentIntents.List(ctx, &stripe.PaymentIntentListParams{Customer: stripe.String(cus.ID)}))
		sameIDs(t, "payment intents of the customer", pluck(byCustomer, func(p *stripe.PaymentIntent) string { return p.ID }), []string{pi})
	})
}

// TestCatalogIdempotency: a product created twice with one Idempotency-Key is one product.
func TestCatalogIdempotency(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		var got []string
		for range 2 {
			p := &stripe.ProductCreateParams{Name: stripe.String("Pagne")}
			p.SetIdempotencyKey("prod-key-1")
			prod, err := a.sc.V1Products.Create(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, prod.ID)
		}
		list := collect(t, a.sc.V1Products.List(context.Background(), nil))
		if got[0] != got[1] || len(list) != 1 {
			t.Fatalf("two creates with one key made %v; the list has %d", got, len(list))
		}
	})
}
