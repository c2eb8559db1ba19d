package stripeapi_test

// Webhook endpoints, judged by stripe-go's webhook endpoint service.

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/notify"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/testdb"
)

// endpointIDs are the ids of endpoints, in order.
func endpointIDs(eps []*stripe.WebhookEndpoint) []string {
	return pluck(eps, func(e *stripe.WebhookEndpoint) string { return e.ID })
}

// wantEndpoint is what an endpoint should look like.
type wantEndpoint struct {
	url, description, apiVersion, status, payloadFormat string
	events                                              []checkout.EventType
	metadata                                            map[string]string
	created                                             int64
	live, secret                                        bool // secret: the answer to its creation
}

// checkEndpoint checks an endpoint stripe-go decoded, and the raw JSON it came in.
func checkEndpoint(t *testing.T, ep *stripe.WebhookEndpoint, w wantEndpoint) {
	t.Helper()
	var errs []string
	want := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
	}
	want(strings.HasPrefix(ep.ID, "we_"), "id %q is not we_…", ep.ID)
	want(ep.Object == "webhook_endpoint", "object %q", ep.Object)
	want(ep.URL == w.url, "url %q, want %q", ep.URL, w.url)
	want(ep.Description == w.description, "description %q, want %q", ep.Description, w.description)
	want(ep.APIVersion == w.apiVersion, "api_version %q, want %q", ep.APIVersion, w.apiVersion)
	want(ep.Status == w.status, "status %q, want %q", ep.Status, w.status)
	want(slices.EqualFunc(ep.EnabledEvents, w.events, func(g string, w checkout.EventType) bool { return checkout.EventType(g) == w }),
		"enabled_events %v, want %v", ep.EnabledEvents, w.events)
	want(maps.Equal(ep.Metadata, w.metadata) && ep.Metadata != nil, "metadata %v, want %v", ep.Metadata, w.metadata)
	want(ep.Created == w.created, "created %d, want %d", ep.Created, w.created)
	want(ep.Livemode == w.live, "livemode %v", ep.Livemode)
	want(ep.Application == "", "application %q", ep.Application)
	want(!ep.Deleted, "deleted")
	if w.secret {
		want(strings.HasPrefix(ep.Secret, "whsec_") && len(ep.Secret) > len("whsec_")+20, "secret %q is not whsec_…", ep.Secret)
	}
	secret, hasSecret := rawField(t, &ep.APIResource, "secret")
	want(hasSecret == w.secret, "secret sent %v (%v), want %v", hasSecret, secret, w.secret)
	format, _ := rawField(t, &ep.APIResource, "payload_format")
	want(format == w.payloadFormat, "payload_format %v, want %s", format, w.payloadFormat)
	app, ok := rawField(t, &ep.APIResource, "application")
	want(ok && app == nil, "application %v (present %v), want null", app, ok)
	if w.description == "" {
		d, ok := rawField(t, &ep.APIResource, "description")
		want(ok && d == nil, "description %v (present %v), want null", d, ok)
	}
	if len(errs) > 0 {
		t.Fatalf("endpoint %s:\n  %s", ep.ID, strings.Join(errs, "\n  "))
	}
}

func TestWebhookEndpoints(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		ctx := context.Background()
		now := e.Clock.Now().Unix()

		p := &stripe.WebhookEndpointCreateParams{
			URL:           stripe.String("https://boutique.example/hooks/caisse"),
			EnabledEvents: stripe.StringSlice([]string{string(checkout.EventCompleted), string(checkout.EventAsyncFailed)}),
			Description:   stripe.String("Commandes"),
		}
		p.AddMetadata("site", "dakar")
		ep, err := a.sc.V1WebhookEndpoints.Create(ctx, p)
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		want := wantEndpoint{url: *p.URL, description: "Commandes", apiVersion: stripe.APIVersion, status: "enabled",
			payloadFormat: notify.FormatStripe, events: []checkout.EventType{checkout.EventAsyncFailed, checkout.EventCompleted},
			metadata: map[string]string{"site": "dakar"}, created: now, secret: true}
		checkEndpoint(t, ep, want)

		want.secret = false
		got, err := a.sc.V1WebhookEndpoints.Retrieve(ctx, ep.ID, nil)
		if err != nil {
			t.Fatalf("retrieve: %v", err)
		}
		checkEndpoint(t, got, want)

		t.Run("api_version", func(t *testing.T) {
			cases := []struct {
				name, param, header, want string
			}{
				{"a parameter beats the header", "2024-06-20", stripe.APIVersion, "2024-06-20"},
				{"the header", "", "2025-01-27.acacia", "2025-01-27.acacia"},
				{"neither", "", "", notify.DefaultAPIVersion},
			}
			for _, c := range cases {
				form := url.Values{"url": {"https://boutique.example/v"}, "enabled_events[]": {"*"}}
				if c.param != "" {
					form.Set("api_version", c.param)
				}
				var headers []string
				if c.header != "" {
					headers = []string{"Stripe-Version", c.header}
				}
				r := e.form(t, a.key, http.MethodPost, "/v1/webhook_endpoints", form.Encode(), headers...)
				if v := r.object(t)["api_version"]; r.status != http.StatusOK || v != c.want {
					t.Fatalf("%s: %d api_version %v, want %s", c.name, r.status, v, c.want)
				}
			}
			// Through stripe-go, which sends its own Stripe-Version.
			p := &stripe.WebhookEndpointCreateParams{URL: stripe.String("https://boutique.example/v"),
				EnabledEvents: stripe.StringSlice([]string{"*"}), APIVersion: stripe.String("2024-06-20")}
			ep, err := a.sc.V1WebhookEndpoints.Create(ctx, p)
			if err != nil || ep.APIVersion != "2024-06-20" {
				t.Fatalf("explicit api_version: %+v, %v", ep, err)
			}
		})

		t.Run("payload_format", func(t *testing.T) {
			form := url.Values{"url": {"https://boutique.example/momo"}, "enabled_events[]": {"*"}, "payload_format": {"mobile_money"}}
			r := e.form(t, a.key, http.MethodPost, "/v1/webhook_endpoints", form.Encode())
			m := r.object(t)
			if r.status != http.StatusOK || m["payload_format"] != notify.FormatMobileMoney {
				t.Fatalf("payload_format mobile_money: %d %s", r.status, r.raw)
			}
			g := e.form(t, a.key, http.MethodGet, "/v1/webhook_endpoints/"+m["id"].(string), "").object(t)
			if g["payload_format"] != notify.FormatMobileMoney || g["enabled_events"].([]any)[0] != "*" {
				t.Fatalf("retrieved %v", g)
			}
		})

		t.Run("update", func(t *testing.T) {
			up := &stripe.WebhookEndpointUpdateParams{Disabled: stripe.Bool(true),
				EnabledEvents: stripe.StringSlice([]string{string(checkout.EventExpired)})}
			up.AddMetadata("site", "")
			up.AddMetadata("canal", "web")
			got, err := a.sc.V1WebhookEndpoints.Update(ctx, ep.ID, up)
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			w := want
			w.status, w.events, w.metadata = "disabled", []checkout.EventType{checkout.EventExpired}, map[string]string{"canal": "web"}
			checkEndpoint(t, got, w)
			got, err = a.sc.V1WebhookEndpoints.Retrieve(ctx, ep.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkEndpoint(t, got, w)

			// Re-enabled, moved, described no more, every metadata key unset.
			up = &stripe.WebhookEndpointUpdateParams{Disabled: stripe.Bool(false), URL: stripe.String("https://boutique.example/new"),
				Description: stripe.String("")}
			up.AddUnsetField(stripe.WebhookEndpointUpdateParamsUnsetFieldMetadata)
			got, err = a.sc.V1WebhookEndpoints.Update(ctx, ep.ID, up)
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			w.status, w.url, w.description, w.metadata = "enabled", "https://boutique.example/new", "", map[string]string{}
			checkEndpoint(t, got, w)

			// Nothing to change: the endpoint as it is.
			got, err = a.sc.V1WebhookEndpoints.Update(ctx, ep.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkEndpoint(t, got, w)
		})

		t.Run("delete", func(t *testing.T) {
			ep, err := a.sc.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
				URL: stripe.String("https://boutique.example/gone"), EnabledEvents: stripe.StringSlice([]string{"*"})})
			if err != nil {
				t.Fatal(err)
			}
			del, err := a.sc.V1WebhookEndpoints.Delete(ctx, ep.ID, nil)
			if err != nil || !del.Deleted || del.ID != ep.ID {
				t.Fatalf("delete: %+v, %v", del, err)
			}
			r := e.form(t, a.key, http.MethodGet, "/v1/webhook_endpoints/"+ep.ID, "")
			jsonEqual(t, "delete answer", del.LastResponse.RawJSON, map[string]any{"id": ep.ID, "object": "webhook_endpoint", "deleted": true})
			missing := wantErr{http.StatusNotFound, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing, "id",
				"No such webhook_endpoint: '" + ep.ID + "'"}
			checkErr(t, apiErr(t, r), missing)
			_, err = a.sc.V1WebhookEndpoints.Retrieve(ctx, ep.ID, nil)
			checkErr(t, err, missing)
			_, err = a.sc.V1WebhookEndpoints.Delete(ctx, ep.ID, nil)
			checkErr(t, err, missing)
			for _, got := range collect(t, a.sc.V1WebhookEndpoints.List(ctx, nil)) {
				if got.ID == ep.ID {
					t.Fatalf("deleted endpoint %s still listed", ep.ID)
				}
			}
		})

		t.Run("idempotency", func(t *testing.T) {
			p := &stripe.WebhookEndpointCreateParams{URL: stripe.String("https://boutique.example/once"),
				EnabledEvents: stripe.StringSlice([]string{"*"})}
			p.SetIdempotencyKey("endpoint-" + randid.String(8))
			first, err := a.sc.V1WebhookEndpoints.Create(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			again, err := a.sc.V1WebhookEndpoints.Create(ctx, p)
			if err != nil || again.ID != first.ID || again.Secret != first.Secret ||
				again.LastResponse.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("replayed create: %+v, %v", again, err)
			}
			// A delete under a key: its replay answers as the first did, not 404.
			key := "delete-" + randid.String(8)
			for i, replayed := range []string{"", "true"} {
				r := e.form(t, a.key, http.MethodDelete, "/v1/webhook_endpoints/"+first.ID, "", "Idempotency-Key", key)
				if r.status != http.StatusOK || r.header.Get("Idempotent-Replayed") != replayed {
					t.Fatalf("delete %d: %d %s, Idempotent-Replayed %q", i, r.status, r.raw, r.header.Get("Idempotent-Replayed"))
				}
				jsonEqual(t, "delete answer", r.raw, map[string]any{"id": first.ID, "object": "webhook_endpoint", "deleted": true})
			}
			_, err = a.sc.V1WebhookEndpoints.Retrieve(ctx, first.ID, nil)
			checkErr(t, err, wantErr{http.StatusNotFound, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing, "id", first.ID})
		})
	})
}

func TestWebhookEndpointList(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a, other := e.account(), e.account()
		ctx := context.Background()
		t0 := e.Clock.Now()
		var ids []string
		for i := range 25 {
			e.Clock.Set(t0.Add(time.Duration(i/2) * time.Second)) // pairs share a second: the tie-break orders them
			ep, err := a.sc.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
				URL: stripe.String("https://boutique.example/" + randid.String(6)), EnabledEvents: stripe.StringSlice([]string{"*"})})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ep.ID)
		}
		want := newestFirst(ids)
		for _, limit := range []int64{1, 7, 10, 100} {
			p := &stripe.WebhookEndpointListParams{}
			p.Limit = stripe.Int64(limit)
			got := collect(t, a.sc.V1WebhookEndpoints.List(ctx, p))
			sameIDs(t, "auto-pagination", endpointIDs(got), want)
			for _, ep := range got {
				if secret, ok := rawField(t, &ep.APIResource, "secret"); ok || ep.Secret != "" {
					t.Fatalf("list shows %s's secret %v", ep.ID, secret)
				}
			}
		}
		sameIDs(t, "default page", endpointIDs(collect(t, a.sc.V1WebhookEndpoints.List(ctx, nil))), want)
		p, r := e.page(t, "/v1/webhook_endpoints", "", "Authorization", bearer(a.key))
		if p.Object != "list" || p.URL != "/v1/webhook_endpoints" || !p.HasMore {
			t.Fatalf("envelope %s", r.raw)
		}
		sameIDs(t, "first page", p.ids(), want[:10])
		p, _ = e.page(t, "/v1/webhook_endpoints?limit=5&ending_before="+want[12], "", "Authorization", bearer(a.key))
		if sameIDs(t, "ending_before", p.ids(), want[7:12]); !p.HasMore {
			t.Fatal("ending_before: has_more false with newer endpoints left")
		}
		p, _ = e.page(t, "/v1/webhook_endpoints?limit=5&ending_before="+want[3], "", "Authorization", bearer(a.key))
		if sameIDs(t, "ending_before near the top", p.ids(), want[:3]); p.HasMore {
			t.Fatal("ending_before: has_more true at the newest")
		}
		for _, sc := range []*stripe.Client{other.sc, e.client(a.liveKey)} {
			if got := collect(t, sc.V1WebhookEndpoints.List(ctx, nil)); len(got) != 0 {
				t.Fatalf("another scope lists %v", endpointIDs(got))
			}
		}
		for query, w := range map[string]wantErr{
			"limit=101":                {http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeParameterInvalidInteger, "limit", "Invalid limit: 101."},
			"starting_after=we_nope":   {http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing, "starting_after", "No such webhook endpoint: 'we_nope'"},
			"created[gte]=0":           {http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeParameterUnknown, "created", "Received unknown parameter: created"},
			"ending_before=" + want[0]: {},
		} {
			r := e.do(t, http.MethodGet, "/v1/webhook_endpoints?"+query, "", "Authorization", bearer(a.key))
			if w.status == 0 {
				if r.status != http.StatusOK || !strings.Contains(string(r.raw), `"data":[]`) {
					t.Fatalf("%s: %d %s, want an empty page", query, r.status, r.raw)
				}
				continue
			}
			checkErr(t, apiErr(t, r), w)
		}
	})
}

func TestWebhookEndpointErrors(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a, other := e.account(), e.account()
		ctx := context.Background()
		bad := func(code stripe.ErrorCode, param, msg string) *wantErr {
			return &wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, code, param, msg}
		}
		badURL := func(msg string) *wantErr { return bad("url_invalid", "url", "Invalid url: "+msg) }
		cases := []struct {
			name string
			live bool
			form string
			want *wantErr // nil: accepted
		}{
			{"no url", false, "enabled_events[]=*", bad(stripe.ErrorCodeParameterMissing, "url", "Missing required param: url.")},
			{"no enabled_events", false, "url=https://boutique.example/h",
				bad(stripe.ErrorCodeParameterMissing, "enabled_events", "Missing required param: enabled_events.")},
			{"unknown event type", false, "url=https://boutique.example/h&enabled_events[]=checkout.session.completed&enabled_events[]=charge.succeeded",
				bad("", "enabled_events", `Invalid enabled_events: "charge.succeeded" is not an event type caisse sends`)},
			{"empty enabled_events", false, `{"url":"https://boutique.example/h","enabled_events":[]}`,
				bad("", "enabled_events", "Invalid enabled_events: must name at least one event type, or *")},
			{"ftp", false, "url=ftp://boutique.example/h&enabled_events[]=*", badURL("must be an absolute http or https URL")},
			{"relative", false, "url=/hooks&enabled_events[]=*", badURL("must be an absolute http or https URL")},
			{"live http", true, "url=http://boutique.example/h&enabled_events[]=*", badURL("must be an https URL in live mode")},
			{"live loopback", true, "url=https://127.0.0.1/&enabled_events[]=*", badURL("address 127.0.0.1 is not public")},
			{"live private", true, "url=https://10.1.2.3/&enabled_events[]=*", badURL("address 10.1.2.3 is not public")},
			{"live link-local", true, "url=https://[fe80::1]/&enabled_events[]=*", badURL("address fe80::1 is not public")},
			{"live public IP", true, "url=https://93.184.216.34/hook&enabled_events[]=*", nil},
			{"test localhost", false, "url=http://localhost:1234/x&enabled_events[]=*", nil},
			{"test loopback", false, "url=http://127.0.0.1:1234/x&enabled_events[]=*", nil},
			{"payload_format", false, "url=https://boutique.example/h&enabled_events[]=*&payload_format=xml",
				bad("", "payload_format", "Invalid payload_format: must be stripe or mobile_money")},
			{"api_version", false, "url=https://boutique.example/h&enabled_events[]=*&api_version=latest",
				bad("", "api_version", "Invalid api_version: latest is not a Stripe API version (such as 2026-08-26.dahlia)")},
			{"api_version", false, "url=https://boutique.example/h&enabled_events[]=*&api_version=2026-08-26.basil",
				bad("", "api_version", "Invalid api_version: 2026-08-26.basil is not a Stripe API version (such as 2026-08-26.dahlia)")},
			{"connect", false, "url=https://boutique.example/h&enabled_events[]=*&connect=true",
				bad(stripe.ErrorCodeParameterUnknown, "connect", "Received unknown parameter: connect")},
			{"disabled on create", false, "url=https://boutique.example/h&enabled_events[]=*&disabled=true",
				bad(stripe.ErrorCodeParameterUnknown, "disabled", "Received unknown parameter: disabled")},
			{"enabled_events as a string", false, "url=https://boutique.example/h&enabled_events=*",
				bad("", "enabled_events", "Invalid array")},
		}
		accepted := map[bool][]string{}
		for _, c := range cases {
			key := map[bool]string{false: a.key, true: a.liveKey}[c.live]
			contentType := "application/x-www-form-urlencoded"
			if strings.HasPrefix(c.form, "{") {
				contentType = "application/json"
			}
			r := e.do(t, http.MethodPost, "/v1/webhook_endpoints", c.form, "Authorization", bearer(key), "Content-Type", contentType)
			if c.want != nil {
				checkErr(t, apiErr(t, r), *c.want)
				continue
			}
			m := r.object(t)
			if r.status != http.StatusOK || m["livemode"] != c.live {
				t.Fatalf("%s: %d %s", c.name, r.status, r.raw)
			}
			accepted[c.live] = append(accepted[c.live], m["id"].(string))
		}
		// Refused requests leave nothing behind.
		for live, sc := range map[bool]*stripe.Client{false: a.sc, true: e.client(a.liveKey)} {
			sameIDs(t, "accepted endpoints", endpointIDs(collect(t, sc.V1WebhookEndpoints.List(ctx, nil))), newestFirst(accepted[live]))
		}

		t.Run("update", func(t *testing.T) {
			live := accepted[true][0]
			for _, c := range []struct {
				key, id, form string
				want          wantErr
			}{
				{a.liveKey, live, "url=http://boutique.example/h", *badURL("must be an https URL in live mode")},
				{a.liveKey, live, "url=https://192.168.1.1/h", *badURL("address 192.168.1.1 is not public")},
				{a.key, accepted[false][0], "disabled=maybe", *bad("", "disabled", "Invalid boolean: maybe")},
				{a.key, accepted[false][0], "enabled_events[]=checkout.session.nope",
					*bad("", "enabled_events", `Invalid enabled_events: "checkout.session.nope" is not an event type`)},
				{a.key, accepted[false][0], "api_version=2024-06-20",
					*bad(stripe.ErrorCodeParameterUnknown, "api_version", "Received unknown parameter: api_version")},
				{a.key, accepted[false][0], "payload_format=stripe",
					*bad(stripe.ErrorCodeParameterUnknown, "payload_format", "Received unknown parameter: payload_format")},
			} {
				checkErr(t, apiErr(t, e.form(t, c.key, http.MethodPost, "/v1/webhook_endpoints/"+c.id, c.form)), c.want)
			}
			got, err := e.client(a.liveKey).V1WebhookEndpoints.Retrieve(ctx, live, nil)
			if err != nil || got.URL != "https://93.184.216.34/hook" || got.Status != "enabled" {
				t.Fatalf("after refused updates: %+v, %v", got, err)
			}
		})

		t.Run("another merchant's", func(t *testing.T) {
			id := accepted[false][0]
			missing := wantErr{http.StatusNotFound, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing, "id",
				"No such webhook_endpoint: '" + id + "'"}
			for _, sc := range []*stripe.Client{other.sc, e.client(a.liveKey)} {
				_, err := sc.V1WebhookEndpoints.Retrieve(ctx, id, nil)
				checkErr(t, err, missing)
				_, err = sc.V1WebhookEndpoints.Update(ctx, id, &stripe.WebhookEndpointUpdateParams{Disabled: stripe.Bool(true)})
				checkErr(t, err, missing)
				_, err = sc.V1WebhookEndpoints.Delete(ctx, id, nil)
				checkErr(t, err, missing)
			}
			got, err := a.sc.V1WebhookEndpoints.Retrieve(ctx, id, nil)
			if err != nil || got.Status != "enabled" {
				t.Fatalf("after foreign calls: %+v, %v", got, err)
			}
			unknown := "we_" + randid.String(24)
			_, err = a.sc.V1WebhookEndpoints.Retrieve(ctx, unknown, nil)
			checkErr(t, err, wantErr{http.StatusNotFound, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing, "id",
				"No such webhook_endpoint: '" + unknown + "'"})
		})
	})
}
