package stripeapi_test

// The Stripe dialect judged by the official client, stripe-go, pointed at a
// real caisse server on both engines. The helpers at the top are shared with
// wooshpay_test.go and dialects_test.go.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// publicURL is the base of hosted-page URLs testserver configures.
const publicURL = "http://caisse.test"

// env is a real caisse server (testserver) reached through stripe-go and raw HTTP.
type env struct {
	*testserver.Env
	t        *testing.T
	backends *stripe.Backends
}

// newEnv starts a server whose clock stands still on a whole second until a test moves it.
func newEnv(t *testing.T, dbURL string) *env {
	t.Helper()
	ts := testserver.Start(t, dbURL)
	ts.Clock.Set(ts.Clock.Now().Truncate(time.Second))
	b := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		URL:               stripe.String(ts.URL),
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	})
	return &env{Env: ts, t: t, backends: &stripe.Backends{API: b, Connect: b, Uploads: b, MeterEvents: b}}
}

// client is a stripe-go client using key against this server.
func (e *env) client(key string) *stripe.Client {
	return stripe.NewClient(key, stripe.WithBackends(e.backends))
}

// account is a merchant as the tests see it: its keys, a stripe-go client on
// its test key, and the store scope of that key (for set-up the API cannot do).
type account struct {
	key, liveKey string
	sc           *stripe.Client
	scope        store.Scope
}

// account creates a merchant accepting currencies (XOF when none). Call it from
// the goroutine of the test that owns e.
func (e *env) account(currencies ...string) account {
	e.t.Helper()
	key, live := e.Merchant(currencies...)
	p, err := e.Server.Merchants.Authenticate(context.Background(), key)
	if err != nil {
		e.t.Fatal(err)
	}
	return account{key: key, liveKey: live, sc: e.client(key), scope: p.Scope()}
}

// customers stores customers with these ids in the account's scope, for
// sessions that name them (customer=).
func (e *env) customers(a account, ids ...string) {
	e.t.Helper()
	for _, id := range ids {
		now := e.Clock.Now()
		if _, err := e.Server.Store.CustomerCreate(context.Background(), store.Customer{ID: id, Scope: a.scope,
			CreatedAt: now, UpdatedAt: now}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// create creates a session through stripe-go; it fails the test on any error.
func (a account) create(t *testing.T, p *stripe.CheckoutSessionCreateParams) *stripe.CheckoutSession {
	t.Helper()
	s, err := a.sc.V1CheckoutSessions.Create(context.Background(), p)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return s
}

// item is a line item of qty × unit XOF named name.
func item(name string, unit, qty int64) *stripe.CheckoutSessionCreateLineItemParams {
	return &stripe.CheckoutSessionCreateLineItemParams{
		PriceData: &stripe.CheckoutSessionCreateLineItemPriceDataParams{
			Currency:    stripe.String("xof"),
			UnitAmount:  stripe.Int64(unit),
			ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String(name)},
		},
		Quantity: stripe.Int64(qty),
	}
}

// params is a valid create request in payment mode and XOF with items (2 × 2 500 when none).
func params(items ...*stripe.CheckoutSessionCreateLineItemParams) *stripe.CheckoutSessionCreateParams {
	if len(items) == 0 {
		items = append(items, item("Thiéboudienne", 2500, 2))
	}
	return &stripe.CheckoutSessionCreateParams{
		Mode:       stripe.String(string(stripe.CheckoutSessionModePayment)),
		Currency:   stripe.String("xof"),
		SuccessURL: stripe.String("https://boutique.example/merci"),
		CancelURL:  stripe.String("https://boutique.example/panier"),
		LineItems:  items,
	}
}

// total is Σ unit_amount × quantity of a create request.
func total(p *stripe.CheckoutSessionCreateParams) int64 {
	var sum int64
	for _, li := range p.LineItems {
		sum += stripe.Int64Value(li.PriceData.UnitAmount) * stripe.Int64Value(li.Quantity)
	}
	return sum
}

// moveTo puts a created session in a canonical status through the store, on
// the machine's route to it, as payments would.
func (e *env) moveTo(t *testing.T, a account, id string, status checkout.Status) {
	t.Helper()
	route := checkout.Route(checkout.StatusCreated, status)
	if route == nil && status != checkout.StatusCreated {
		t.Fatalf("no route to status %q", status)
	}
	from := checkout.StatusCreated
	for _, tr := range route {
		now := e.Clock.Now()
		c := store.StatusChange{ID: id, From: from, To: tr.To, At: now}
		if tr.To == checkout.StatusCompleted {
			c.CompletedAt = &now
		}
		if tr.To == checkout.StatusFailed {
			c.FailureReason = "declined"
		}
		if _, err := e.Server.Store.SessionChangeStatus(context.Background(), a.scope, c); err != nil {
			t.Fatalf("set-up %s → %s of %s: %v", from, tr.To, id, err)
		}
		from = tr.To
	}
}

// collect pages through a list with stripe-go's auto-pagination. A server that
// never stops saying has_more fails the test instead of looping.
func collect[T any](t *testing.T, l *stripe.V1List[T]) []T {
	t.Helper()
	var all []T
	for v, err := range l.All(context.Background()) {
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		if all = append(all, v); len(all) > 1000 {
			t.Fatal("list: more than 1000 items; has_more never ends")
		}
	}
	return all
}

// listErr pages through a list that should fail and returns its error.
func listErr[T any](l *stripe.V1List[T]) error {
	for _, err := range l.All(context.Background()) {
		if err != nil {
			return err
		}
	}
	return nil
}

// pluck is one string of each element, in order.
func pluck[T any](xs []T, f func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// sessionIDs are the ids of sessions, in order.
func sessionIDs(ss []*stripe.CheckoutSession) []string {
	return pluck(ss, func(s *stripe.CheckoutSession) string { return s.ID })
}

// sameIDs fails the test unless got lists exactly want, in order.
func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %d ids\n%v\nwant %d\n%v", what, len(got), got, len(want), want)
	}
}

// newestFirst returns ids in reverse creation order.
func newestFirst(ids []string) []string {
	r := slices.Clone(ids)
	slices.Reverse(r)
	return r
}

// response is a raw HTTP answer.
type response struct {
	status int
	header http.Header
	raw    []byte
}

// object decodes the body as a JSON object.
func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.raw, &v); err != nil {
		t.Fatalf("response %d is not a JSON object: %s", r.status, r.raw)
	}
	return v
}

// do sends a raw request; headers come in name, value pairs.
func (e *env) do(t *testing.T, method, path, body string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, raw: raw}
}

// bearer is an Authorization header value for key.
func bearer(key string) string { return "Bearer " + key }

// basic is an HTTP Basic Authorization header value with key as user name and no password.
func basic(key string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"))
}

// listPage is a Stripe list object read without stripe-go, to see exactly what was sent.
type listPage struct {
	Object  string           `json:"object"`
	URL     string           `json:"url"`
	HasMore bool             `json:"has_more"`
	Data    []map[string]any `json:"data"`
}

func (p listPage) ids() []string {
	ids := make([]string, len(p.Data))
	for i, s := range p.Data {
		ids[i], _ = s["id"].(string)
	}
	return ids
}

// page GETs a list with raw HTTP and decodes it; it fails the test unless 200.
func (e *env) page(t *testing.T, path, body string, headers ...string) (listPage, response) {
	t.Helper()
	r := e.do(t, http.MethodGet, path, body, headers...)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s %s: %d %s", path, body, r.status, r.raw)
	}
	var p listPage
	if err := json.Unmarshal(r.raw, &p); err != nil {
		t.Fatalf("GET %s: not a list: %s", path, r.raw)
	}
	return p, r
}

// wantErr is an expected Stripe error.
type wantErr struct {
	status int
	typ    stripe.ErrorType
	code   stripe.ErrorCode
	param  string
	msg    string // a substring of the message; the message is never empty
}

// checkErr fails the test unless err is the Stripe error w describes.
func checkErr(t *testing.T, err error, w wantErr) {
	t.Helper()
	var se *stripe.Error
	if !errors.As(err, &se) {
		t.Fatalf("got %v (%T), want a *stripe.Error %+v", err, err, w)
	}
	if se.HTTPStatusCode != w.status || se.Type != w.typ || se.Code != w.code ||
		se.Param != w.param || se.Msg == "" || !strings.Contains(se.Msg, w.msg) {
		t.Fatalf("got status %d type %q code %q param %q message %q\nwant %+v", se.HTTPStatusCode, se.Type, se.Code, se.Param, se.Msg, w)
	}
}

// apiErr reads a raw error response as the *stripe.Error stripe-go would return.
func apiErr(t *testing.T, r response) error {
	t.Helper()
	var body struct {
		Error *stripe.Error `json:"error"`
	}
	if err := json.Unmarshal(r.raw, &body); err != nil || body.Error == nil {
		t.Fatalf("%d is not a Stripe error object: %s", r.status, r.raw)
	}
	body.Error.HTTPStatusCode = r.status
	return body.Error
}

// rawField decodes one top-level field of the JSON stripe-go received.
func rawField(t *testing.T, res *stripe.APIResource, name string) (any, bool) {
	t.Helper()
	if res.LastResponse == nil {
		t.Fatal("no last response")
	}
	var m map[string]any
	if err := json.Unmarshal(res.LastResponse.RawJSON, &m); err != nil {
		t.Fatalf("not a JSON object: %s", res.LastResponse.RawJSON)
	}
	v, ok := m[name]
	return v, ok
}

// checkSession checks a session stripe-go decoded against the request that
// created it at created (Unix seconds), still open.
func checkSession(t *testing.T, s *stripe.CheckoutSession, p *stripe.CheckoutSessionCreateParams, created int64) {
	t.Helper()
	var errs []string
	want := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
	}
	want(s.Object == "checkout.session", "object %q", s.Object)
	want(strings.HasPrefix(s.ID, "cs_test_"), "id %q is not cs_test_…", s.ID)
	want(s.Created == created, "created %d, want %d", s.Created, created)
	wantExpires := created + 24*3600
	if p.ExpiresAt != nil {
		wantExpires = *p.ExpiresAt
	}
	want(s.ExpiresAt == wantExpires, "expires_at %d, want %d", s.ExpiresAt, wantExpires)
	want(s.Status == stripe.CheckoutSessionStatusOpen, "status %q", s.Status)
	want(s.PaymentStatus == stripe.CheckoutSessionPaymentStatusUnpaid, "payment_status %q", s.PaymentStatus)
	want(s.URL == publicURL+"/pay/"+s.ID, "url %q", s.URL)
	want(!s.Livemode, "livemode true for a test key")
	want(s.Mode == stripe.CheckoutSessionModePayment, "mode %q", s.Mode)
	want(s.Currency == "xof", "currency %q", s.Currency)
	want(s.AmountSubtotal == total(p) && s.AmountTotal == total(p), "amount_subtotal %d amount_total %d, want %d",
		s.AmountSubtotal, s.AmountTotal, total(p))
	want(s.LineItems == nil || len(s.LineItems.Data) == 0, "line_items sent without expand: %+v", s.LineItems)
	want(maps.Equal(s.Metadata, p.Metadata) && s.Metadata != nil, "metadata %v, want %v", s.Metadata, p.Metadata)
	want(s.ClientReferenceID == stripe.StringValue(p.ClientReferenceID), "client_reference_id %q", s.ClientReferenceID)
	gotCustomer := ""
	if s.Customer != nil {
		gotCustomer = s.Customer.ID
	}
	want(gotCustomer == stripe.StringValue(p.Customer), "customer %q, want %q", gotCustomer, stripe.StringValue(p.Customer))
	want(s.CustomerEmail == stripe.StringValue(p.CustomerEmail), "customer_email %q", s.CustomerEmail)
	if p.CustomerEmail != nil {
		want(s.CustomerDetails != nil && s.CustomerDetails.Email == *p.CustomerEmail, "customer_details %+v", s.CustomerDetails)
	}
	want(s.SuccessURL == stripe.StringValue(p.SuccessURL), "success_url %q", s.SuccessURL)
	want(s.CancelURL == stripe.StringValue(p.CancelURL), "cancel_url %q", s.CancelURL)
	want(s.Locale == stripe.StringValue(p.Locale), "locale %q, want %q", s.Locale, stripe.StringValue(p.Locale))
	if len(errs) > 0 {
		t.Fatalf("session %s:\n  %s", s.ID, strings.Join(errs, "\n  "))
	}
}

// checkLineItems checks line items against the request's, in order.
func checkLineItems(t *testing.T, got []*stripe.LineItem, p *stripe.CheckoutSessionCreateParams) {
	t.Helper()
	if len(got) != len(p.LineItems) {
		t.Fatalf("%d line items, want %d", len(got), len(p.LineItems))
	}
	seen := map[string]bool{}
	for i, li := range got {
		in := p.LineItems[i]
		unit, qty := *in.PriceData.UnitAmount, *in.Quantity
		if !strings.HasPrefix(li.ID, "li_") || seen[li.ID] || li.Object != "item" ||
			li.Description != *in.PriceData.ProductData.Name || li.Quantity != qty ||
			li.AmountSubtotal != unit*qty || li.AmountTotal != unit*qty || li.Currency != "xof" {
			t.Fatalf("line item %d: %+v, want %s %d × %d xof", i, li, *in.PriceData.ProductData.Name, qty, unit)
		}
		seen[li.ID] = true
		pr := li.Price
		if pr == nil || !strings.HasPrefix(pr.ID, "price_") || pr.UnitAmount != unit || pr.Currency != "xof" ||
			pr.Product == nil || !strings.HasPrefix(pr.Product.ID, "prod_") {
			t.Fatalf("line item %d price: %+v", i, pr)
		}
	}
}

func TestCreateAndRetrieve(t *testing.T) {
	t.Parallel()
	full := func() *stripe.CheckoutSessionCreateParams {
		bissap := item("Bissap", 1000, 1)
		bissap.PriceData.ProductData.Description = stripe.String("Jus d'hibiscus, 50 cl")
		p := params(item("Thiéboudienne", 2500, 2), bissap)
		p.Customer = stripe.String("cus_Awa123")
		p.ClientReferenceID = stripe.String("order-42")
		p.Locale = stripe.String("fr")
		p.AddMetadata("order", "42")
		p.AddMetadata("canal", "web")
		return p
	}
	cases := []struct {
		name string
		p    func(now int64) *stripe.CheckoutSessionCreateParams
	}{
		{"every field", func(now int64) *stripe.CheckoutSessionCreateParams {
			p := full()
			p.ExpiresAt = stripe.Int64(now + 2*3600)
			return p
		}},
		{"customer_email", func(int64) *stripe.CheckoutSessionCreateParams {
			p := params()
			p.CustomerEmail = stripe.String("awa@example.com")
			return p
		}},
		{"defaults", func(int64) *stripe.CheckoutSessionCreateParams { return params() }},
		{"expires_at 30 min ahead", func(now int64) *stripe.CheckoutSessionCreateParams {
			p := params()
			p.ExpiresAt = stripe.Int64(now + 30*60)
			return p
		}},
		{"expires_at 24 h ahead", func(now int64) *stripe.CheckoutSessionCreateParams {
			p := params()
			p.ExpiresAt = stripe.Int64(now + 24*3600)
			return p
		}},
		{"minimum amount", func(int64) *stripe.CheckoutSessionCreateParams { return params(item("Eau", 100, 1)) }},
		{"payment_method_types", func(int64) *stripe.CheckoutSessionCreateParams {
			p := params()
			p.PaymentMethodTypes = []*string{stripe.String("card")}
			return p
		}},
	}
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		e.customers(a, "cus_Awa123")
		now := e.Clock.Now().Unix()
		ctx := context.Background()
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				p := c.p(now)
				s := a.create(t, p)
				checkSession(t, s, p, now)
				if p.PaymentMethodTypes != nil && len(s.PaymentMethodTypes) == 0 {
					t.Fatal("payment_method_types empty")
				}

				got, err := a.sc.V1CheckoutSessions.Retrieve(ctx, s.ID, nil)
				if err != nil {
					t.Fatalf("retrieve: %v", err)
				}
				checkSession(t, got, p, now)
				if got.ID != s.ID {
					t.Fatalf("retrieved %s, created %s", got.ID, s.ID)
				}

				rp := &stripe.CheckoutSessionRetrieveParams{}
				rp.AddExpand("line_items")
				exp, err := a.sc.V1CheckoutSessions.Retrieve(ctx, s.ID, rp)
				if err != nil {
					t.Fatalf("retrieve with expand[]=line_items: %v", err)
				}
				if exp.LineItems == nil {
					t.Fatal("expand[]=line_items: no line_items")
				}
				checkLineItems(t, exp.LineItems.Data, p)

				items := collect(t, a.sc.V1CheckoutSessions.ListLineItems(ctx,
					&stripe.CheckoutSessionListLineItemsParams{Session: stripe.String(s.ID)}))
				checkLineItems(t, items, p)
				for i := range items {
					if items[i].ID != exp.LineItems.Data[i].ID || items[i].Price.ID != exp.LineItems.Data[i].Price.ID {
						t.Fatalf("line item %d: %s/%s from /line_items, %s/%s expanded", i, items[i].ID,
							items[i].Price.ID, exp.LineItems.Data[i].ID, exp.LineItems.Data[i].Price.ID)
					}
				}
			})
		}
	})
}

func TestCreateErrors(t *testing.T) {
	t.Parallel()
	invalid := func(code stripe.ErrorCode, param string) wantErr {
		return wantErr{status: http.StatusBadRequest, typ: stripe.ErrorTypeInvalidRequest, code: code, param: param}
	}
	cases := []struct {
		name string
		mod  func(p *stripe.CheckoutSessionCreateParams, now int64)
		want wantErr
	}{
		{"unknown parameter", func(p *stripe.CheckoutSessionCreateParams, _ int64) { p.AddExtra("bogus", "1") },
			invalid(stripe.ErrorCodeParameterUnknown, "bogus")},
		{"quantity missing", func(p *stripe.CheckoutSessionCreateParams, _ int64) { p.LineItems[0].Quantity = nil },
			invalid(stripe.ErrorCodeParameterMissing, "line_items[0][quantity]")},
		{"second quantity missing", func(p *stripe.CheckoutSessionCreateParams, _ int64) {
			p.LineItems = append(p.LineItems, item("Bissap", 1000, 1))
			p.LineItems[1].Quantity = nil
		}, invalid(stripe.ErrorCodeParameterMissing, "line_items[1][quantity]")},
		{"mode missing", func(p *stripe.CheckoutSessionCreateParams, _ int64) { p.Mode = nil },
			invalid(stripe.ErrorCodeParameterMissing, "mode")},
		{"unit_amount not an integer", func(p *stripe.CheckoutSessionCreateParams, _ int64) {
			p.LineItems[0].PriceData.UnitAmount = nil
			p.AddExtra("line_items[0][price_data][unit_amount]", "2500.5")
		}, invalid(stripe.ErrorCodeParameterInvalidInteger, "line_items[0][price_data][unit_amount]")},
		{"mode subscription", func(p *stripe.CheckoutSessionCreateParams, _ int64) {
			p.Mode = stripe.String(string(stripe.CheckoutSessionModeSubscription))
		}, invalid("", "mode")},
		{"unknown price", func(p *stripe.CheckoutSessionCreateParams, _ int64) {
			p.LineItems = []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String("price_nope"), Quantity: stripe.Int64(1)}}
		}, wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing, "line_items[0][price]", "No such price"}},
		{"customer and customer_email", func(p *stripe.CheckoutSessionCreateParams, _ int64) {
			p.Customer = stripe.String("cus_Awa123")
			p.CustomerEmail = stripe.String("awa@example.com")
		}, invalid(stripe.ErrorCodeParametersExclusive, "customer_email")},
		{"expires_at 30 min - 1 s ahead", func(p *stripe.CheckoutSessionCreateParams, now int64) {
			p.ExpiresAt = stripe.Int64(now + 30*60 - 1)
		}, invalid("", "expires_at")},
		{"expires_at 24 h + 1 s ahead", func(p *stripe.CheckoutSessionCreateParams, now int64) {
			p.ExpiresAt = stripe.Int64(now + 24*3600 + 1)
		}, invalid("", "expires_at")},
		{"expires_at in the past", func(p *stripe.CheckoutSessionCreateParams, now int64) {
			p.ExpiresAt = stripe.Int64(now - 60)
		}, invalid("", "expires_at")},
		{"amount below the XOF minimum", func(p *stripe.CheckoutSessionCreateParams, _ int64) {
			p.LineItems = []*stripe.CheckoutSessionCreateLineItemParams{item("Bonbon", 99, 1)}
		}, invalid(stripe.ErrorCodeAmountTooSmall, "line_items")},
		{"currency not enabled", func(p *stripe.CheckoutSessionCreateParams, _ int64) {
			p.Currency = stripe.String("usd")
			p.LineItems[0].PriceData.Currency = stripe.String("usd")
		}, invalid("", "currency")},
		{"line item currency differs from the session's", func(p *stripe.CheckoutSessionCreateParams, _ int64) {
			p.LineItems[0].PriceData.Currency = stripe.String("eur")
		}, invalid("", "line_items[0][price_data][currency]")},
	}
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account("XOF", "EUR")
		now := e.Clock.Now().Unix()
		t.Run("cases", func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					p := params()
					c.mod(p, now)
					s, err := a.sc.V1CheckoutSessions.Create(context.Background(), p)
					if err == nil {
						t.Fatalf("created %s, want an error", s.ID)
					}
					checkErr(t, err, c.want)
				})
			}
		})
		// A refused request leaves nothing behind.
		if ids := sessionIDs(collect(t, a.sc.V1CheckoutSessions.List(context.Background(), nil))); len(ids) != 0 {
			t.Fatalf("refused creates left sessions: %v", ids)
		}
	})
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	notFound := wantErr{http.StatusNotFound, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing, "id", ""}
	ops := []struct {
		name string
		call func(sc *stripe.Client, id string) error
	}{
		{"retrieve", func(sc *stripe.Client, id string) error {
			_, err := sc.V1CheckoutSessions.Retrieve(context.Background(), id, nil)
			return err
		}},
		{"update", func(sc *stripe.Client, id string) error {
			p := &stripe.CheckoutSessionUpdateParams{}
			p.AddMetadata("k", "v")
			_, err := sc.V1CheckoutSessions.Update(context.Background(), id, p)
			return err
		}},
		{"expire", func(sc *stripe.Client, id string) error {
			_, err := sc.V1CheckoutSessions.Expire(context.Background(), id, nil)
			return err
		}},
		{"line_items", func(sc *stripe.Client, id string) error {
			return listErr(sc.V1CheckoutSessions.ListLineItems(context.Background(),
				&stripe.CheckoutSessionListLineItemsParams{Session: stripe.String(id)}))
		}},
	}
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a, other := e.account(), e.account()
		s := a.create(t, params())
		whos := []struct {
			name string
			sc   *stripe.Client
			id   string
		}{
			{"unknown id", a.sc, "cs_test_" + randid.String(24)},
			{"another merchant's session", other.sc, s.ID},
			{"live key on a test session", e.client(a.liveKey), s.ID},
		}
		t.Run("cases", func(t *testing.T) {
			for _, who := range whos {
				for _, op := range ops {
					t.Run(who.name+"/"+op.name, func(t *testing.T) {
						t.Parallel()
						checkErr(t, op.call(who.sc, who.id), notFound)
					})
				}
			}
		})
		// None of those calls touched the session.
		got, err := a.sc.V1CheckoutSessions.Retrieve(context.Background(), s.ID, nil)
		if err != nil || got.Status != stripe.CheckoutSessionStatusOpen || len(got.Metadata) != 0 {
			t.Fatalf("after foreign calls: %+v, %v", got, err)
		}
	})
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		s := a.create(t, params())
		// The real key with its last character changed.
		last := "x"
		if strings.HasSuffix(a.key, last) {
			last = "y"
		}
		for _, key := range []string{"sk_test_" + randid.String(32), "sk_live_" + randid.String(32), a.key[:len(a.key)-1] + last} {
			sc := e.client(key)
			_, err := sc.V1CheckoutSessions.Retrieve(context.Background(), s.ID, nil)
			checkErr(t, err, wantErr{status: http.StatusUnauthorized, typ: stripe.ErrorTypeInvalidRequest, msg: key[len(key)-4:]})
			var se *stripe.Error
			errors.As(err, &se)
			if strings.Contains(se.Msg, key[len(key)-5:]) {
				t.Fatalf("401 message %q shows more than the last four characters of the key", se.Msg)
			}
			_, err = sc.V1CheckoutSessions.Create(context.Background(), params())
			checkErr(t, err, wantErr{status: http.StatusUnauthorized, typ: stripe.ErrorTypeInvalidRequest, msg: key[len(key)-4:]})
		}
	})
}

func TestUpdateMetadata(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		ctx := context.Background()
		p := params()
		p.AddMetadata("a", "1")
		p.AddMetadata("b", "2")
		s := a.create(t, p)

		steps := []struct {
			set  map[string]string
			want map[string]string
		}{
			{map[string]string{"b": "", "c": "3"}, map[string]string{"a": "1", "c": "3"}},
			{map[string]string{"a": "un"}, map[string]string{"a": "un", "c": "3"}},
			{map[string]string{"a": "", "c": ""}, map[string]string{}},
		}
		for i, step := range steps {
			up, err := a.sc.V1CheckoutSessions.Update(ctx, s.ID, &stripe.CheckoutSessionUpdateParams{Metadata: step.set})
			if err != nil {
				t.Fatalf("step %d: update: %v", i, err)
			}
			got, err := a.sc.V1CheckoutSessions.Retrieve(ctx, s.ID, nil)
			if err != nil {
				t.Fatalf("step %d: retrieve: %v", i, err)
			}
			for _, v := range []*stripe.CheckoutSession{up, got} {
				if v.ID != s.ID || !maps.Equal(v.Metadata, step.want) || v.Metadata == nil {
					t.Fatalf("step %d: metadata %v, want %v", i, v.Metadata, step.want)
				}
				p.Metadata = step.want
				checkSession(t, v, p, s.Created)
			}
		}

		bad := &stripe.CheckoutSessionUpdateParams{}
		bad.AddExtra("bogus", "1")
		_, err := a.sc.V1CheckoutSessions.Update(ctx, s.ID, bad)
		checkErr(t, err, wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeParameterUnknown, "bogus", ""})
	})
}

// stripeView is how the Stripe dialect shows each canonical status.
var stripeView = map[checkout.Status]struct {
	status  stripe.CheckoutSessionStatus
	payment stripe.CheckoutSessionPaymentStatus
}{
	checkout.StatusCreated:    {stripe.CheckoutSessionStatusOpen, stripe.CheckoutSessionPaymentStatusUnpaid},
	checkout.StatusPending:    {stripe.CheckoutSessionStatusOpen, stripe.CheckoutSessionPaymentStatusUnpaid},
	checkout.StatusProcessing: {stripe.CheckoutSessionStatusOpen, stripe.CheckoutSessionPaymentStatusUnpaid},
	checkout.StatusCompleted:  {stripe.CheckoutSessionStatusComplete, stripe.CheckoutSessionPaymentStatusPaid},
	checkout.StatusFailed:     {stripe.CheckoutSessionStatusExpired, stripe.CheckoutSessionPaymentStatusUnpaid},
	checkout.StatusExpired:    {stripe.CheckoutSessionStatusExpired, stripe.CheckoutSessionPaymentStatusUnpaid},
	checkout.StatusCancelled:  {stripe.CheckoutSessionStatusExpired, stripe.CheckoutSessionPaymentStatusUnpaid},
}

// checkView checks a session's status, payment_status and url (a string while open, null otherwise).
func checkView(t *testing.T, s *stripe.CheckoutSession, canonical checkout.Status) {
	t.Helper()
	want := stripeView[canonical]
	if s.Status != want.status || s.PaymentStatus != want.payment {
		t.Fatalf("%s: status %q payment_status %q, want %q %q", canonical, s.Status, s.PaymentStatus, want.status, want.payment)
	}
	url, present := rawField(t, &s.APIResource, "url")
	if want.status == stripe.CheckoutSessionStatusOpen && url != publicURL+"/pay/"+s.ID {
		t.Fatalf("%s: url %v, want %s/pay/%s", canonical, url, publicURL, s.ID)
	}
	if want.status != stripe.CheckoutSessionStatusOpen && (!present || url != nil) {
		t.Fatalf("%s: url %v (present %v), want null", canonical, url, present)
	}
}

func TestStatusMapping(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		for _, status := range checkout.Statuses {
			t.Run(string(status), func(t *testing.T) {
				t.Parallel()
				s := a.create(t, params())
				e.moveTo(t, a, s.ID, status)
				got, err := a.sc.V1CheckoutSessions.Retrieve(context.Background(), s.ID, nil)
				if err != nil {
					t.Fatal(err)
				}
				checkView(t, got, status)
			})
		}
	})
}

func TestExpire(t *testing.T) {
	t.Parallel()
	notOpen := wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, "checkout_session_not_open", "", ""}
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		ctx := context.Background()
		for _, status := range []checkout.Status{checkout.StatusCreated, checkout.StatusPending} {
			t.Run("from "+string(status), func(t *testing.T) {
				t.Parallel()
				s := a.create(t, params())
				e.moveTo(t, a, s.ID, status)
				x, err := a.sc.V1CheckoutSessions.Expire(ctx, s.ID, nil)
				if err != nil {
					t.Fatalf("expire: %v", err)
				}
				if x.ID != s.ID {
					t.Fatalf("expired %s, asked %s", x.ID, s.ID)
				}
				checkView(t, x, checkout.StatusExpired)
				got, err := a.sc.V1CheckoutSessions.Retrieve(ctx, s.ID, nil)
				if err != nil {
					t.Fatal(err)
				}
				checkView(t, got, checkout.StatusExpired)
				_, err = a.sc.V1CheckoutSessions.Expire(ctx, s.ID, nil)
				checkErr(t, err, notOpen)
			})
		}
		// processing shows as open, but a payment is settling: it may not expire.
		for _, status := range []checkout.Status{checkout.StatusProcessing, checkout.StatusCompleted, checkout.StatusFailed,
			checkout.StatusExpired, checkout.StatusCancelled} {
			t.Run("from "+string(status), func(t *testing.T) {
				t.Parallel()
				s := a.create(t, params())
				e.moveTo(t, a, s.ID, status)
				_, err := a.sc.V1CheckoutSessions.Expire(ctx, s.ID, nil)
				checkErr(t, err, notOpen)
				got, err := a.sc.V1CheckoutSessions.Retrieve(ctx, s.ID, nil)
				if err != nil {
					t.Fatal(err)
				}
				checkView(t, got, status)
			})
		}
	})
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		ctx := context.Background()
		p := params()
		p.SetIdempotencyKey("order-42-" + randid.String(8))
		first := a.create(t, p)
		if h := first.LastResponse.Header.Get("Idempotent-Replayed"); h != "" {
			t.Fatalf("first request: Idempotent-Replayed %q", h)
		}
		again := a.create(t, p)
		if again.ID != first.ID {
			t.Fatalf("same key, same params: %s then %s", first.ID, again.ID)
		}
		if h := again.LastResponse.Header.Get("Idempotent-Replayed"); h != "true" {
			t.Fatalf("replay: Idempotent-Replayed %q, want true", h)
		}
		checkSession(t, again, p, first.Created)

		p.ClientReferenceID = stripe.String("another order")
		_, err := a.sc.V1CheckoutSessions.Create(ctx, p)
		checkErr(t, err, wantErr{http.StatusBadRequest, stripe.ErrorTypeIdempotency, "", "", ""})

		// The same form fields in another order are the same request: a replay.
		key := "reordered-" + randid.String(8)
		fields := []string{"mode=payment", "success_url=https%3A%2F%2Fshop.example%2Fok",
			"line_items[0][price_data][currency]=xof", "line_items[0][price_data][unit_amount]=2500",
			"line_items[0][price_data][product_data][name]=Atti%C3%A9k%C3%A9", "line_items[0][quantity]=2"}
		made := e.form(t, a.key, http.MethodPost, "/v1/checkout/sessions", strings.Join(fields, "&"), "Idempotency-Key", key)
		slices.Reverse(fields)
		replayed := e.form(t, a.key, http.MethodPost, "/v1/checkout/sessions", strings.Join(fields, "&"), "Idempotency-Key", key)
		if made.status != http.StatusOK || replayed.status != http.StatusOK || string(replayed.raw) != string(made.raw) ||
			replayed.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("reordered form under one key: %d %s, then %d %s (Idempotent-Replayed %q)",
				made.status, made.raw, replayed.status, replayed.raw, replayed.header.Get("Idempotent-Replayed"))
		}
		var reordered stripe.CheckoutSession
		if err := json.Unmarshal(made.raw, &reordered); err != nil {
			t.Fatal(err)
		}

		sameIDs(t, "sessions after replay and mismatch",
			sessionIDs(collect(t, a.sc.V1CheckoutSessions.List(ctx, nil))), []string{reordered.ID, first.ID})
	})
}

// listed is what TestList knows of each session it made.
type listed struct {
	id       string
	created  int64
	customer string
	email    string
	status   stripe.CheckoutSessionStatus
}

func TestList(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a, other := e.account(), e.account()
		e.customers(a, "cus_A")
		ctx := context.Background()
		t0 := e.Clock.Now()
		// Twelve sessions, three in each of four seconds; customers and emails
		// by index; some moved to other statuses.
		canonical := map[int]checkout.Status{1: checkout.StatusExpired, 2: checkout.StatusCompleted, 4: checkout.StatusFailed,
			5: checkout.StatusProcessing, 7: checkout.StatusCancelled, 8: checkout.StatusPending}
		var all []listed
		for i := range 12 {
			e.Clock.Set(t0.Add(time.Duration(i/3) * time.Second))
			p := params(item(fmt.Sprintf("article %d", i), 1000+int64(i), 1))
			l := listed{created: e.Clock.Now().Unix()}
			switch i % 3 {
			case 0:
				l.customer, p.Customer = "cus_A", stripe.String("cus_A")
			case 1:
				l.email, p.CustomerEmail = "a@b.co", stripe.String("a@b.co")
			}
			l.id = a.create(t, p).ID
			status := checkout.StatusCreated
			if s, ok := canonical[i]; ok {
				status = s
			}
			e.moveTo(t, a, l.id, status)
			l.status = stripeView[status].status
			all = append(all, l)
		}
		other.create(t, params()) // never in a's lists
		var allIDs []string
		for _, l := range all {
			allIDs = append(allIDs, l.id)
		}
		sec := func(n int) int64 { return t0.Unix() + int64(n) }

		filters := []struct {
			name string
			p    func(p *stripe.CheckoutSessionListParams)
			keep func(l listed) bool
		}{
			{"none", func(*stripe.CheckoutSessionListParams) {}, func(listed) bool { return true }},
			{"created = second 1", func(p *stripe.CheckoutSessionListParams) { p.Created = stripe.Int64(sec(1)) },
				func(l listed) bool { return l.created == sec(1) }},
			{"created gt", func(p *stripe.CheckoutSessionListParams) {
				p.CreatedRange = &stripe.RangeQueryParams{GreaterThan: sec(1)}
			}, func(l listed) bool { return l.created > sec(1) }},
			{"created gte", func(p *stripe.CheckoutSessionListParams) {
				p.CreatedRange = &stripe.RangeQueryParams{GreaterThanOrEqual: sec(1)}
			}, func(l listed) bool { return l.created >= sec(1) }},
			{"created lt", func(p *stripe.CheckoutSessionListParams) {
				p.CreatedRange = &stripe.RangeQueryParams{LesserThan: sec(1)}
			}, func(l listed) bool { return l.created < sec(1) }},
			{"created lte", func(p *stripe.CheckoutSessionListParams) {
				p.CreatedRange = &stripe.RangeQueryParams{LesserThanOrEqual: sec(1)}
			}, func(l listed) bool { return l.created <= sec(1) }},
			{"created gte and lt", func(p *stripe.CheckoutSessionListParams) {
				p.CreatedRange = &stripe.RangeQueryParams{GreaterThanOrEqual: sec(1), LesserThan: sec(3)}
			}, func(l listed) bool { return l.created >= sec(1) && l.created < sec(3) }},
			{"customer", func(p *stripe.CheckoutSessionListParams) { p.Customer = stripe.String("cus_A") },
				func(l listed) bool { return l.customer == "cus_A" }},
			{"customer nobody has", func(p *stripe.CheckoutSessionListParams) { p.Customer = stripe.String("cus_Z") },
				func(listed) bool { return false }},
			{"customer_details email", func(p *stripe.CheckoutSessionListParams) {
				p.CustomerDetails = &stripe.CheckoutSessionListCustomerDetailsParams{Email: stripe.String("a@b.co")}
			}, func(l listed) bool { return l.email == "a@b.co" }},
			{"status open", func(p *stripe.CheckoutSessionListParams) { p.Status = stripe.String("open") },
				func(l listed) bool { return l.status == stripe.CheckoutSessionStatusOpen }},
			{"status complete", func(p *stripe.CheckoutSessionListParams) { p.Status = stripe.String("complete") },
				func(l listed) bool { return l.status == stripe.CheckoutSessionStatusComplete }},
			{"status expired", func(p *stripe.CheckoutSessionListParams) { p.Status = stripe.String("expired") },
				func(l listed) bool { return l.status == stripe.CheckoutSessionStatusExpired }},
			{"customer, status and created", func(p *stripe.CheckoutSessionListParams) {
				p.Customer, p.Status = stripe.String("cus_A"), stripe.String("open")
				p.CreatedRange = &stripe.RangeQueryParams{GreaterThan: sec(0)}
			}, func(l listed) bool {
				return l.customer == "cus_A" && l.status == stripe.CheckoutSessionStatusOpen && l.created > sec(0)
			}},
			{"payment_intent", func(p *stripe.CheckoutSessionListParams) { p.PaymentIntent = stripe.String("pi_123") },
				func(listed) bool { return false }},
			{"payment_link", func(p *stripe.CheckoutSessionListParams) { p.PaymentLink = stripe.String("plink_123") },
				func(listed) bool { return false }},
			{"subscription", func(p *stripe.CheckoutSessionListParams) { p.Subscription = stripe.String("sub_123") },
				func(listed) bool { return false }},
		}
		t.Run("filters", func(t *testing.T) {
			for _, f := range filters {
				for _, limit := range []int64{0, 2, 100} { // 0: the default
					t.Run(fmt.Sprintf("%s/limit %d", f.name, limit), func(t *testing.T) {
						t.Parallel()
						lp := &stripe.CheckoutSessionListParams{}
						if limit > 0 {
							lp.Limit = stripe.Int64(limit)
						}
						f.p(lp)
						var want []string
						for _, l := range all {
							if f.keep(l) {
								want = append(want, l.id)
							}
						}
						sameIDs(t, f.name, sessionIDs(collect(t, a.sc.V1CheckoutSessions.List(ctx, lp))), newestFirst(want))
					})
				}
			}
		})

		// Pages exactly as the server sends them (and Basic auth, which stripe-go does not use).
		pages := []struct {
			query   string
			want    []int
			hasMore bool
		}{
			{"", []int{11, 10, 9, 8, 7, 6, 5, 4, 3, 2}, true},
			{"?limit=100", []int{11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, false},
			{"?limit=3&starting_after=" + all[9].id, []int{8, 7, 6}, true},
			{"?limit=3&starting_after=" + all[2].id, []int{1, 0}, false},
			{"?limit=3&starting_after=" + all[0].id, nil, false},
			{"?limit=3&ending_before=" + all[2].id, []int{5, 4, 3}, true},
			{"?limit=5&ending_before=" + all[8].id, []int{11, 10, 9}, false},
			{"?limit=3&ending_before=" + all[11].id, nil, false},
			{"?limit=2&status=expired&starting_after=" + all[7].id, []int{4, 1}, false},
		}
		for _, pg := range pages {
			p, _ := e.page(t, "/v1/checkout/sessions"+pg.query, "", "Authorization", basic(a.key))
			var want []string
			for _, i := range pg.want {
				want = append(want, all[i].id)
			}
			if p.Object != "list" || p.URL != "/v1/checkout/sessions" || p.HasMore != pg.hasMore {
				t.Fatalf("%s: object %q url %q has_more %v, want has_more %v", pg.query, p.Object, p.URL, p.HasMore, pg.hasMore)
			}
			sameIDs(t, pg.query, p.ids(), want)
			for _, s := range p.Data {
				if _, ok := s["line_items"]; ok && s["line_items"] != nil {
					t.Fatalf("%s: line_items without expand: %v", pg.query, s["line_items"])
				}
			}
		}

		// expand[]=data.line_items on a list.
		lp := &stripe.CheckoutSessionListParams{}
		lp.AddExpand("data.line_items")
		lp.Limit = stripe.Int64(5)
		for i, s := range collect(t, a.sc.V1CheckoutSessions.List(ctx, lp)) {
			n := 11 - i
			if s.LineItems == nil || len(s.LineItems.Data) != 1 || s.LineItems.Data[0].Description != fmt.Sprintf("article %d", n) ||
				s.LineItems.Data[0].AmountTotal != 1000+int64(n) {
				t.Fatalf("session %d expanded line_items: %+v", n, s.LineItems)
			}
		}

		// The other merchant and live mode see none of these.
		sameIDs(t, "live key", sessionIDs(collect(t, e.client(a.liveKey).V1CheckoutSessions.List(ctx, nil))), nil)
		if ids := sessionIDs(collect(t, other.sc.V1CheckoutSessions.List(ctx, nil))); len(ids) != 1 || slices.Contains(allIDs, ids[0]) {
			t.Fatalf("other merchant lists %v", ids)
		}
	})
}

func TestListErrors(t *testing.T) {
	t.Parallel()
	invalid := func(code stripe.ErrorCode, param string) wantErr {
		return wantErr{status: http.StatusBadRequest, typ: stripe.ErrorTypeInvalidRequest, code: code, param: param}
	}
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		s := a.create(t, params())
		unknown := "cs_test_" + randid.String(24)
		cases := []struct {
			name string
			p    func(p *stripe.CheckoutSessionListParams)
			want wantErr
		}{
			{"limit 0", func(p *stripe.CheckoutSessionListParams) { p.Limit = stripe.Int64(0) }, invalid(stripe.ErrorCodeParameterInvalidInteger, "limit")},
			{"limit 101", func(p *stripe.CheckoutSessionListParams) { p.Limit = stripe.Int64(101) }, invalid(stripe.ErrorCodeParameterInvalidInteger, "limit")},
			{"starting_after and ending_before", func(p *stripe.CheckoutSessionListParams) {
				p.StartingAfter, p.EndingBefore = stripe.String(s.ID), stripe.String(s.ID)
			}, invalid(stripe.ErrorCodeParametersExclusive, "ending_before")},
			{"starting_after unknown", func(p *stripe.CheckoutSessionListParams) { p.StartingAfter = stripe.String(unknown) },
				invalid(stripe.ErrorCodeResourceMissing, "starting_after")},
			{"ending_before unknown", func(p *stripe.CheckoutSessionListParams) { p.EndingBefore = stripe.String(unknown) },
				invalid(stripe.ErrorCodeResourceMissing, "ending_before")},
			{"expand bogus", func(p *stripe.CheckoutSessionListParams) { p.AddExpand("bogus") }, invalid("", "expand")},
			{"unknown parameter", func(p *stripe.CheckoutSessionListParams) { p.Filters.AddFilter("bogus", "", "1") },
				invalid(stripe.ErrorCodeParameterUnknown, "bogus")},
			{"status unknown", func(p *stripe.CheckoutSessionListParams) { p.Status = stripe.String("created") },
				invalid("", "status")},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				lp := &stripe.CheckoutSessionListParams{}
				c.p(lp)
				checkErr(t, listErr(a.sc.V1CheckoutSessions.List(context.Background(), lp)), c.want)
			})
		}
		t.Run("retrieve expand bogus", func(t *testing.T) {
			t.Parallel()
			rp := &stripe.CheckoutSessionRetrieveParams{}
			rp.AddExpand("bogus")
			_, err := a.sc.V1CheckoutSessions.Retrieve(context.Background(), s.ID, rp)
			checkErr(t, err, invalid("", "expand"))
		})
	})
}

func TestAutoPagination(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		ctx := context.Background()
		t0 := e.Clock.Now()
		created := make([]string, 250)
		for i := range created {
			e.Clock.Set(t0.Add(time.Duration(i/7) * time.Second)) // seven sessions share each second
			created[i] = a.create(t, params(item("article", 100+int64(i), 1))).ID
		}
		for _, limit := range []int64{0, 7, 100} {
			lp := &stripe.CheckoutSessionListParams{}
			if limit > 0 {
				lp.Limit = stripe.Int64(limit)
			}
			sameIDs(t, fmt.Sprintf("forward, limit %d", limit), sessionIDs(collect(t, a.sc.V1CheckoutSessions.List(ctx, lp))), newestFirst(created))
		}
		// Backwards from the oldest: stripe-go walks towards the newest.
		for _, limit := range []int64{9, 100} {
			lp := &stripe.CheckoutSessionListParams{}
			lp.Limit = stripe.Int64(limit)
			lp.EndingBefore = stripe.String(created[0])
			sameIDs(t, fmt.Sprintf("backward, limit %d", limit), sessionIDs(collect(t, a.sc.V1CheckoutSessions.List(ctx, lp))), created[1:])
		}
		// Forward from the middle.
		lp := &stripe.CheckoutSessionListParams{}
		lp.StartingAfter = stripe.String(created[125])
		sameIDs(t, "forward from the middle", sessionIDs(collect(t, a.sc.V1CheckoutSessions.List(ctx, lp))), newestFirst(created[:125]))
	})
}
