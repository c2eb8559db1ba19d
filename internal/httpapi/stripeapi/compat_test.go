package stripeapi_test

// Compatibility with the Stripe libraries integrators port: the create
// parameters Stripe lists (honoured, accepted and not applied, or refused),
// Stripe-Version, booleans as every library spells them, the object fields
// of Stripe's schema, and the error for a URL nothing serves.

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/testdb"
)

// baseCreate is a valid form-encoded create request: 2 × 2 500 XOF.
const baseCreate = "mode=payment&currency=xof&success_url=https://boutique.example/merci" +
	"&line_items[0][quantity]=2&line_items[0][price_data][currency]=xof&line_items[0][price_data][unit_amount]=2500" +
	"&line_items[0][price_data][product_data][name]=Thieboudienne"

// versionFields are the fields stripespec.json lists for one API version.
type versionFields struct {
	Version       string   `json:"version"`
	Source        string   `json:"source"`
	SessionFields []string `json:"session_fields"`
	EventFields   []string `json:"event_fields"`
}

// specVersions are the field lists stripespec.json holds, by version.
func specVersions(t *testing.T) map[string]versionFields {
	t.Helper()
	raw, err := os.ReadFile("stripespec.json")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct{ Versions []versionFields }
	if err := json.Unmarshal(raw, &spec); err != nil || len(spec.Versions) == 0 {
		t.Fatalf("stripespec.json has no versions (%v)", err)
	}
	out := map[string]versionFields{}
	for _, v := range spec.Versions {
		if len(v.SessionFields) == 0 || len(v.EventFields) == 0 || v.Source == "" {
			t.Fatalf("stripespec.json: %s has no fields or no source: %+v", v.Version, v)
		}
		out[v.Version] = v
	}
	return out
}

// withShipping is a version's session fields with WooshPay's shipping, which
// caisse sends at every version (Stripe's own, before 2022-08-01).
func withShipping(fields []string) []string {
	if slices.Contains(fields, "shipping") {
		return slices.Clone(fields)
	}
	return append(slices.Clone(fields), "shipping")
}

func TestCreateParams(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		invalid := func(param, msg string) *wantErr {
			return &wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, "", param, msg}
		}
		unsupported := func(param, why string) *wantErr {
			return invalid(param, "caisse does not support "+param+": "+why)
		}
		const money = "it would change the amount charged"
		cases := []struct {
			name, extra string
			want        *wantErr
			echo        map[string]any // fields of the session answered
		}{
			// What ported code sends routinely: accepted, and the session shows it.
			{"routine", "&phone_number_collection[enabled]=true&ui_mode=hosted_page&automatic_tax[enabled]=false&customer_creation=if_required",
				nil, map[string]any{"ui_mode": "hosted_page", "customer_creation": "if_required",
					"phone_number_collection": map[string]any{"enabled": true}}},
			{"python booleans", "&phone_number_collection[enabled]=True&automatic_tax[enabled]=False", nil,
				map[string]any{"phone_number_collection": map[string]any{"enabled": true}}},
			{"accepted, not applied", "&custom_text[submit][message]=Merci&billing_address_collection=required" +
				"&payment_intent_data[description]=Commande&origin_context=web&integration_identifier=shop-1&permissions[update_shipping_details]=server_only",
				nil, map[string]any{"custom_text": map[string]any{"after_submit": nil, "shipping_address": nil, "submit": nil,
					"terms_of_service_acceptance": nil}, "origin_context": nil, "integration_identifier": nil, "permissions": nil}},
			{"empty string for an object", "&custom_text[submit]=", nil, nil},
			{"allowed_payment_method_types (endive)", "&allowed_payment_method_types[0]=mobile_money", nil,
				map[string]any{"payment_method_types": []any{"mobile_money"}}},
			{"both payment method lists", "&allowed_payment_method_types[0]=mobile_money&payment_method_types[0]=mobile_money",
				&wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeParametersExclusive,
					"payment_method_types", "You may only specify one of these parameters: allowed_payment_method_types, payment_method_types."}, nil},
			// Values outside Stripe's schema are Stripe's errors.
			{"enum", "&ui_mode=popup", invalid("ui_mode", "Invalid ui_mode: must be one of elements, embedded_page, or hosted_page"), nil},
			{"nested enum", "&customer_creation=sometimes", invalid("customer_creation", "Invalid customer_creation: must be one of always, or if_required"), nil},
			{"boolean", "&phone_number_collection[enabled]=yes", invalid("phone_number_collection[enabled]", "Invalid boolean: yes"), nil},
			{"unknown field", "&phone_number_collection[enabled]=true&phone_number_collection[required]=true",
				&wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeParameterUnknown,
					"phone_number_collection[required]", "Received unknown parameter: phone_number_collection[required]"}, nil},
			{"required field", "&automatic_tax[liability][type]=self",
				&wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeParameterMissing,
					"automatic_tax[enabled]", "Missing required param: automatic_tax[enabled]."}, nil},
			{"too long", "&integration_identifier=" + randid.String(201), invalid("integration_identifier", "must be at most 200 characters"), nil},
			// Parameters that would change the money are refused, naming themselves.
			{"discounts", "&discounts[0][coupon]=SOLDES", unsupported("discounts", money), nil},
			{"shipping_options", "&shipping_options[0][shipping_rate]=shr_1", unsupported("shipping_options", money), nil},
			{"optional_items", "&optional_items[0][price]=price_1&optional_items[0][quantity]=1", unsupported("optional_items", money), nil},
			{"automatic tax", "&automatic_tax[enabled]=true", unsupported("automatic_tax", "enabled=true: "+money), nil},
			{"automatic tax, python", "&automatic_tax[enabled]=True", unsupported("automatic_tax", "enabled=true: "+money), nil},
			{"promotion codes", "&allow_promotion_codes=true", unsupported("allow_promotion_codes", "true: "+money), nil},
			{"tax rates", "&line_items[0][tax_rates][0]=txr_1", unsupported("line_items[0][tax_rates]", money), nil},
			{"application fee", "&payment_intent_data[application_fee_amount]=100",
				unsupported("payment_intent_data", "application_fee_amount"), nil},
			{"embedded", "&ui_mode=embedded_page", unsupported("ui_mode", "embedded_page: caisse serves only its hosted page"), nil},
			{"subscription_data", "&subscription_data[description]=x", unsupported("subscription_data", "it applies to another mode, and caisse supports only payment mode"), nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				r := e.form(t, a.key, http.MethodPost, "/v1/checkout/sessions", baseCreate+c.extra)
				if c.want != nil {
					checkErr(t, apiErr(t, r), *c.want)
					return
				}
				if r.status != http.StatusOK {
					t.Fatalf("%d %s", r.status, r.raw)
				}
				got := r.object(t)
				for k, v := range c.echo {
					if b, _ := json.Marshal(got[k]); string(b) != string(mustJSON(t, v)) {
						t.Errorf("%s = %s, want %s", k, b, mustJSON(t, v))
					}
				}
			})
		}
	})
}

// mustJSON is v as JSON.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStripeVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testdb.SQLiteURL(t))
	a := e.account()
	for _, v := range []string{"", "2026-10-28.endive", "2026-08-26.dahlia", "2026-06-24.dahlia", "2026-03-25.dahlia",
		"2025-09-30.clover", "2025-03-31.basil", "2024-09-30.acacia", "2024-06-20", "2020-08-27", "2017-05-25",
		"2025-03-31.basil; checkout_server_update_beta=v1"} {
		t.Run("accepts "+v, func(t *testing.T) {
			var headers []string
			if v != "" {
				headers = []string{"Stripe-Version", v}
			}
			if r := e.form(t, a.key, http.MethodGet, "/v1/checkout/sessions", "", headers...); r.status != http.StatusOK {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	for _, v := range []string{"latest", "2026-08-26", "2026-08-26.basil", "2024-06-20.acacia", "2026-02-30.clover",
		"2099-01-01.endive", "2010-12-31", "2025-03-31.basil; beta", "2025-3-31.basil"} {
		t.Run("refuses "+v, func(t *testing.T) {
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				r := e.form(t, a.key, method, "/v1/checkout/sessions", baseCreate, "Stripe-Version", v)
				checkErr(t, apiErr(t, r), wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, "", "",
					"Invalid Stripe API version: " + v})
			}
		})
	}
}

// TestUIModeHostedBeforeDahlia: a client pinned before dahlia names the
// hosted page's ui_mode hosted, and gets it back so; from dahlia, hosted is
// outside the enum, as on Stripe.
func TestUIModeHostedBeforeDahlia(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testdb.SQLiteURL(t))
	a := e.account()
	r := e.form(t, a.key, http.MethodPost, "/v1/checkout/sessions", baseCreate+"&ui_mode=hosted", "Stripe-Version", "2024-06-20")
	if r.status != http.StatusOK || r.object(t)["ui_mode"] != "hosted" {
		t.Fatalf("ui_mode=hosted at 2024-06-20: %d %s", r.status, r.raw)
	}
	r = e.form(t, a.key, http.MethodPost, "/v1/checkout/sessions", baseCreate+"&ui_mode=hosted", "Stripe-Version", "2026-03-25.dahlia")
	checkErr(t, apiErr(t, r), wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, "", "ui_mode",
		"Invalid ui_mode: must be one of elements, embedded_page, or hosted_page"})
}

func TestObjectFields(t *testing.T) {
	t.Parallel()
	versions := specVersions(t)
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		p := params()
		p.SuccessURL = stripe.String("https://boutique.example/merci?a=1&b=<2>")
		s := a.create(t, p)
		e.force(t, a.key, s.ID, "complete", "")
		if r := e.form(t, a.key, http.MethodGet, "/v1/checkout/sessions/"+s.ID, "", "Stripe-Version", "2024-06-20"); !strings.Contains(string(r.raw), `"success_url":"https://boutique.example/merci?a=1&b=<2>"`) {
			t.Errorf("success_url not sent as is, unescaped, as every answer's strings: %s", r.raw)
		}
		// get retrieves the session at version ("": no Stripe-Version), expanded or not.
		get := func(t *testing.T, version string, expand bool) map[string]any {
			t.Helper()
			q := ""
			if expand {
				q = "?expand[]=line_items"
			}
			var headers []string
			if version != "" {
				headers = []string{"Stripe-Version", version}
			}
			return e.form(t, a.key, http.MethodGet, "/v1/checkout/sessions/"+s.ID+q, "", headers...).object(t)
		}
		// Each version listed, a date between two listed ones, one older than
		// all, and none: the fields of the newest listed version not after it.
		cases := map[string]string{"": "2026-08-26.dahlia", "2025-05-01.basil": "2025-04-30.basil",
			"2017-05-25": "2020-08-27", "2026-10-28.endive": "2026-09-30.endive"}
		for v := range versions {
			cases[v] = v
		}
		for asked, listed := range cases {
			t.Run("at "+asked, func(t *testing.T) {
				for _, expand := range []bool{false, true} {
					want := withShipping(versions[listed].SessionFields)
					if !expand {
						want = slices.DeleteFunc(want, func(f string) bool { return f == "line_items" })
					}
					got := get(t, asked, expand)
					sameIDs(t, "session fields", slices.Sorted(maps.Keys(got)), slices.Sorted(slices.Values(want)))
					if got["id"] != s.ID || got["amount_total"] != float64(5000) || got["status"] != "complete" {
						t.Errorf("id %v amount_total %v status %v", got["id"], got["amount_total"], got["status"])
					}
				}
			})
		}
		// Spot checks, from Stripe's changelog: 2022-08-01 renamed shipping_rate
		// to shipping_cost and shipping to shipping_details, which basil moved
		// into collected_information; clover added excluded_payment_method_types;
		// dahlia renamed the ui_mode hosted to hosted_page; endive added
		// allowed_payment_method_types.
		for _, c := range []struct {
			version, field string
			present        bool
		}{
			{"2020-08-27", "shipping_rate", true}, {"2022-08-01", "shipping_rate", false},
			{"2020-08-27", "shipping_cost", false}, {"2022-08-01", "shipping_cost", true},
			{"2024-06-20", "shipping_details", true}, {"2025-02-24.acacia", "shipping_details", true},
			{"2025-03-31.basil", "shipping_details", false}, {"2024-06-20", "collected_information", false},
			{"2025-08-27.basil", "excluded_payment_method_types", false}, {"2025-09-30.clover", "excluded_payment_method_types", true},
			{"2026-08-26.dahlia", "allowed_payment_method_types", false}, {"2026-09-30.endive", "allowed_payment_method_types", true},
		} {
			if _, ok := get(t, c.version, false)[c.field]; ok != c.present {
				t.Errorf("at %s, %s present: %v, want %v", c.version, c.field, ok, c.present)
			}
		}
		if got := get(t, "2026-09-30.endive", false)["allowed_payment_method_types"]; !slices.Equal(got.([]any), []any{"mobile_money"}) {
			t.Errorf("allowed_payment_method_types at endive: %v", got)
		}
		for version, want := range map[string]string{"2025-09-30.clover": "hosted", "2026-03-25.dahlia": "hosted_page", "": "hosted_page"} {
			if got := get(t, version, false)["ui_mode"]; got != want {
				t.Errorf("ui_mode at %q: %v, want %s", version, got, want)
			}
		}
		events := e.form(t, a.key, http.MethodGet, "/v1/events", "").object(t)["data"].([]any)
		if len(events) == 0 {
			t.Fatal("no event after the session completed")
		}
		got := events[0].(map[string]any)
		sameIDs(t, "event fields", slices.Sorted(maps.Keys(got)), versions["2026-08-26.dahlia"].EventFields)
		object := got["data"].(map[string]any)["object"].(map[string]any)
		wantEvent := slices.DeleteFunc(withShipping(versions["2026-08-26.dahlia"].SessionFields),
			func(f string) bool { return f == "line_items" })
		sameIDs(t, "event's session fields", slices.Sorted(maps.Keys(object)), slices.Sorted(slices.Values(wantEvent)))
	})
}

func TestUnrecognizedURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testdb.SQLiteURL(t))
	a := e.account()
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/v1/foo"}, {http.MethodPost, "/v1/refunds"}, {http.MethodDelete, "/v1/checkout/sessions/cs_1"},
	} {
		r := e.form(t, a.key, c.method, c.path, "")
		var body struct {
			Error map[string]any `json:"error"`
		}
		if err := json.Unmarshal(r.raw, &body); err != nil || r.status != http.StatusNotFound {
			t.Fatalf("%s %s: %d %s", c.method, c.path, r.status, r.raw)
		}
		want := map[string]any{"type": "invalid_request_error", "code": "resource_missing", "param": nil,
			"message": "Unrecognized request URL (" + c.method + ": " + c.path +
				"). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."}
		if !maps.Equal(body.Error, want) {
			t.Errorf("%s %s: got %v, want %v", c.method, c.path, body.Error, want)
		}
	}
}

// TestStripeGoChecklist is the SDK matrix's checklist items stripe-go's other
// tests do not cover: the create parameters ported code sends routinely, and
// the typed error for a URL caisse does not serve.
func TestStripeGoChecklist(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testdb.SQLiteURL(t))
	a := e.account()
	p := params()
	p.PhoneNumberCollection = &stripe.CheckoutSessionCreatePhoneNumberCollectionParams{Enabled: stripe.Bool(true)}
	p.UIMode = stripe.String(string(stripe.CheckoutSessionUIModeHostedPage))
	p.AutomaticTax = &stripe.CheckoutSessionCreateAutomaticTaxParams{Enabled: stripe.Bool(false)}
	p.CustomerCreation = stripe.String(string(stripe.CheckoutSessionCustomerCreationIfRequired))
	s := a.create(t, p)
	if !s.PhoneNumberCollection.Enabled || s.UIMode != stripe.CheckoutSessionUIModeHostedPage ||
		s.AutomaticTax.Enabled || s.CustomerCreation != stripe.CheckoutSessionCustomerCreationIfRequired {
		t.Fatalf("session %+v does not show the parameters sent", s)
	}
	checkErr(t, listErr(a.sc.V1Refunds.List(context.Background(), nil)), wantErr{http.StatusNotFound,
		stripe.ErrorTypeInvalidRequest, "resource_missing", "", "Unrecognized request URL (GET: /v1/refunds)."})
}
