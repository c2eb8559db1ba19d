package stripeapi_test

// WooshPay's GET /v1/checkout/sessions/list, filters in a JSON body
// (or the query string), Basic auth with the key as user name.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/caisse/caisse/internal/testdb"
)

// wooshpayPath is WooshPay's endpoint, also the url of its lists.
const wooshpayPath = "/v1/checkout/sessions/list"

// wooshpayFields are the 29 fields of each session in WooshPay's list response.
// All but line_items are always there; line_items, as WooshPay's documentation says ("This field
// is not included by default"), only with expand data.line_items.
var wooshpayFields = []string{
	"id", "object", "amount_subtotal", "amount_total", "billing_address_collection", "cancel_url",
	"client_reference_id", "created", "currency", "customer", "customer_email", "expires_at", "livemode",
	"metadata", "mode", "payment_intent", "payment_link", "payment_method_options", "payment_method_types",
	"payment_status", "phone_number_collection", "shipping_address_collection", "shipping", "status",
	"success_url", "url", "line_items", "customer_creation", "customer_details",
}

// wooshpayList sends WooshPay's request: GET, filters in query and/or JSON body, Basic auth.
func (e *env) wooshpayList(t *testing.T, key, query, body string) response {
	t.Helper()
	path := wooshpayPath
	if query != "" {
		path += "?" + query
	}
	return e.do(t, http.MethodGet, path, body, "Authorization", basic(key),
		"Content-Type", "application/json", "Accept", "application/json")
}

// wooshpayPage is a WooshPay list that must succeed, as a page and as generic JSON.
func (e *env) wooshpayPage(t *testing.T, key, query, body string) (listPage, map[string]any) {
	t.Helper()
	r := e.wooshpayList(t, key, query, body)
	if r.status != http.StatusOK {
		t.Fatalf("WooshPay list ?%s %s: %d %s", query, body, r.status, r.raw)
	}
	var p listPage
	if err := json.Unmarshal(r.raw, &p); err != nil {
		t.Fatalf("WooshPay list: not a list: %s", r.raw)
	}
	if p.Object != "list" || p.URL != wooshpayPath {
		t.Fatalf("WooshPay list: object %q url %q, want list %s", p.Object, p.URL, wooshpayPath)
	}
	expanded := strings.Contains(query+body, "data.line_items")
	for _, s := range p.Data {
		for _, f := range wooshpayFields {
			if _, ok := s[f]; !ok && f != "line_items" {
				t.Errorf("WooshPay session %v: field %s missing", s["id"], f)
			}
		}
		items, _ := s["line_items"].(map[string]any)
		if expanded && (items == nil || items["object"] != "list") || !expanded && s["line_items"] != nil {
			t.Errorf("WooshPay session %v (expanded %v): line_items %#v", s["id"], expanded, s["line_items"])
		}
	}
	return p, r.object(t)
}

// find returns the session with id from a list's data.
func find(t *testing.T, p listPage, id string) map[string]any {
	t.Helper()
	for _, s := range p.Data {
		if s["id"] == id {
			return s
		}
	}
	t.Fatalf("%s not in the list %v", id, p.ids())
	return nil
}

// wantFields fails the test unless s has each field with the value given (JSON-decoded).
func wantFields(t *testing.T, s map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if !reflect.DeepEqual(s[k], v) {
			t.Errorf("session %v: %s = %#v, want %#v", s["id"], k, s[k], v)
		}
	}
}

func TestWooshPayList(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a, other := e.account(), e.account()
		e.customers(a, "cus_1", "cus_2")
		e.customers(other, "cus_1_other") // customer ids are unique across merchants, as Stripe's are
		t0 := e.Clock.Now()
		unix := func(sec int) int64 { return t0.Unix() + int64(sec) }
		at := func(sec int, customer, email string) string {
			e.Clock.Set(t0.Add(time.Duration(sec) * time.Second))
			p := params()
			if customer != "" {
				p.Customer = stripe.String(customer)
			}
			if email != "" {
				p.CustomerEmail = stripe.String(email)
			}
			return a.create(t, p).ID
		}
		s0 := at(0, "cus_1", "")
		s1 := at(10, "cus_1", "")
		s2 := at(10, "", "a@b.co")
		// s3 carries every optional field.
		e.Clock.Set(t0.Add(11 * time.Second))
		p3 := params(item("Thiéboudienne", 2500, 2), item("Bissap", 1000, 1))
		p3.Customer = stripe.String("cus_1")
		p3.ClientReferenceID = stripe.String("order-3")
		p3.Locale = stripe.String("fr")
		p3.ExpiresAt = stripe.Int64(unix(11) + 3600)
		p3.AddMetadata("order", "3")
		s3full := a.create(t, p3)
		s3 := s3full.ID
		s4 := at(12, "cus_2", "")
		s5 := at(12, "cus_1", "")
		s6 := at(20, "cus_1", "")
		e.Clock.Set(t0.Add(10 * time.Second))
		other.create(t, func() *stripe.CheckoutSessionCreateParams {
			p := params()
			p.Customer = stripe.String("cus_1_other")
			return p
		}())

		window := fmt.Sprintf(`"created":{"gte":"%d","lt":"%d"}`, unix(10), unix(20))
		windowQ := fmt.Sprintf("created[gte]=%d&created[lt]=%d", unix(10), unix(20))
		cases := []struct {
			name        string
			body, query string // the same filters in each form
			want        []string
			hasMore     bool
		}{
			{"WooshPay's request (customer and email never meet)",
				`{` + window + `,"limit":2,"customer":"cus_1","customer_details":{"email":"a@b.co"}}`,
				windowQ + "&limit=2&customer=cus_1&customer_details[email]=a%40b.co", nil, false},
			{"customer, first page", `{` + window + `,"limit":2,"customer":"cus_1"}`,
				windowQ + "&limit=2&customer=cus_1", []string{s5, s3}, true},
			{"customer, next page", `{` + window + `,"limit":2,"customer":"cus_1","starting_after":"` + s3 + `"}`,
				windowQ + "&limit=2&customer=cus_1&starting_after=" + s3, []string{s1}, false},
			{"customer, previous page", `{` + window + `,"limit":2,"customer":"cus_1","ending_before":"` + s1 + `"}`,
				windowQ + "&limit=2&customer=cus_1&ending_before=" + s1, []string{s5, s3}, false},
			{"customer_details email", `{"customer_details":{"email":"a@b.co"}}`,
				"customer_details[email]=a%40b.co", []string{s2}, false},
			{"created as a string", fmt.Sprintf(`{"created":"%d"}`, unix(12)),
				fmt.Sprintf("created=%d", unix(12)), []string{s5, s4}, false},
			{"created gt and lte", fmt.Sprintf(`{"created":{"gt":"%d","lte":"%d"}}`, unix(10), unix(12)),
				fmt.Sprintf("created[gt]=%d&created[lte]=%d", unix(10), unix(12)), []string{s5, s4, s3}, false},
			{"limit 3", `{"limit":3}`, "limit=3", []string{s6, s5, s4}, true},
			{"payment_intent", `{"payment_intent":"pi_123"}`, "payment_intent=pi_123", nil, false},
			{"no filters", `{}`, "", []string{s6, s5, s4, s3, s2, s1, s0}, false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				byBody, bodyJSON := e.wooshpayPage(t, a.key, "", c.body)
				sameIDs(t, "filters in the body", byBody.ids(), c.want)
				if byBody.HasMore != c.hasMore {
					t.Fatalf("has_more %v, want %v", byBody.HasMore, c.hasMore)
				}
				byQuery, queryJSON := e.wooshpayPage(t, a.key, c.query, "")
				if !reflect.DeepEqual(bodyJSON, queryJSON) {
					t.Fatalf("filters in the query give another answer:\nbody:  %v\nquery: %v", byBody.ids(), byQuery.ids())
				}
			})
		}

		t.Run("expand data.line_items", func(t *testing.T) {
			t.Parallel()
			byBody, bodyJSON := e.wooshpayPage(t, a.key, "", `{"expand":["data.line_items"],"limit":5}`)
			_, queryJSON := e.wooshpayPage(t, a.key, "expand[]=data.line_items&limit=5", "")
			if !reflect.DeepEqual(bodyJSON, queryJSON) {
				t.Fatal("expand in the query gives another answer than in the body")
			}
			sameIDs(t, "expanded", byBody.ids(), []string{s6, s5, s4, s3, s2})
			data, _ := find(t, byBody, s3)["line_items"].(map[string]any)["data"].([]any)
			var got []string
			for _, li := range data {
				li, _ := li.(map[string]any)
				got = append(got, fmt.Sprint(li["description"], " ", li["quantity"], " ", li["amount_total"]))
			}
			sameIDs(t, "line items of "+s3, got, []string{"Thiéboudienne 2 5000", "Bissap 1 1000"})
		})

		t.Run("values", func(t *testing.T) {
			t.Parallel()
			p, _ := e.wooshpayPage(t, a.key, "", "")
			full := find(t, p, s3)
			wantFields(t, full, map[string]any{
				"object": "checkout.session", "amount_subtotal": 6000.0, "amount_total": 6000.0,
				"cancel_url": "https://boutique.example/panier", "success_url": "https://boutique.example/merci",
				"client_reference_id": "order-3", "created": float64(unix(11)), "expires_at": float64(unix(11) + 3600),
				"currency": "xof", "customer": "cus_1", "customer_email": nil, "livemode": false,
				"metadata": map[string]any{"order": "3"}, "mode": "payment", "payment_intent": nil, "payment_link": nil,
				"payment_status": "unpaid", "status": "open", "url": publicURL + "/pay/" + s3,
			})
			if _, ok := full["payment_method_types"].([]any); !ok {
				t.Errorf("payment_method_types %#v is not an array", full["payment_method_types"])
			}
			withEmail := find(t, p, s2)
			wantFields(t, withEmail, map[string]any{"customer": nil, "customer_email": "a@b.co", "created": float64(unix(10))})
			if d, _ := withEmail["customer_details"].(map[string]any); d == nil || d["email"] != "a@b.co" {
				t.Errorf("customer_details %#v, want email a@b.co", withEmail["customer_details"])
			}
			// The same session object as the Stripe dialect's.
			var stripeView map[string]any
			if err := json.Unmarshal(s3full.LastResponse.RawJSON, &stripeView); err != nil {
				t.Fatal(err)
			}
			for _, f := range wooshpayFields {
				if v, ok := stripeView[f]; ok && !reflect.DeepEqual(v, full[f]) {
					t.Errorf("%s: WooshPay %#v, Stripe create %#v", f, full[f], v)
				}
			}
		})

		invalid := func(code stripe.ErrorCode, param string) wantErr {
			return wantErr{status: http.StatusBadRequest, typ: stripe.ErrorTypeInvalidRequest, code: code, param: param}
		}
		errCases := []struct {
			name, query, body string
			want              wantErr
		}{
			{"unknown body key", "", `{"bogus":1}`, invalid(stripe.ErrorCodeParameterUnknown, "bogus")},
			{"unknown query key", "bogus=1", "", invalid(stripe.ErrorCodeParameterUnknown, "bogus")},
			{"limit 101", "", `{"limit":101}`, invalid(stripe.ErrorCodeParameterInvalidInteger, "limit")},
			{"limit 0", "", `{"limit":0}`, invalid(stripe.ErrorCodeParameterInvalidInteger, "limit")},
			{"both cursors", "", `{"starting_after":"` + s1 + `","ending_before":"` + s3 + `"}`,
				invalid(stripe.ErrorCodeParametersExclusive, "ending_before")},
			{"unknown starting_after", "", `{"starting_after":"cs_test_nope"}`, invalid(stripe.ErrorCodeResourceMissing, "starting_after")},
			{"not JSON", "", `{"limit":`, invalid("", "")},
		}
		for _, c := range errCases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				checkErr(t, apiErr(t, e.wooshpayList(t, a.key, c.query, c.body)), c.want)
			})
		}
		t.Run("wrong key", func(t *testing.T) {
			t.Parallel()
			r := e.wooshpayList(t, a.key+"x", "", "{}")
			checkErr(t, apiErr(t, r), wantErr{status: http.StatusUnauthorized, typ: stripe.ErrorTypeInvalidRequest})
		})
		t.Run("other merchant", func(t *testing.T) {
			t.Parallel()
			if p, _ := e.wooshpayPage(t, other.key, "", `{"customer":"cus_1"}`); len(p.Data) != 0 {
				t.Fatalf("other merchant sees %v of the first merchant's customer", p.ids())
			}
			p, _ := e.wooshpayPage(t, other.key, "", `{"customer":"cus_1_other"}`)
			if len(p.Data) != 1 {
				t.Fatalf("other merchant sees %v", p.ids())
			}
		})
	})
}
