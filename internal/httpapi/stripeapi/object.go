package stripeapi

import (
	"bytes"
	"cmp"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tidwall/gjson"

	"github.com/caisse/caisse/internal/checkout"
)

// Status maps a canonical status to the Stripe session's status and payment_status.
func Status(canonical checkout.Status) (status, paymentStatus string) {
	switch canonical {
	case checkout.StatusCompleted:
		return "complete", "paid"
	case checkout.StatusFailed, checkout.StatusExpired, checkout.StatusCancelled:
		return "expired", "unpaid"
	}
	return "open", "unpaid"
}

// canonicalStatuses are the canonical statuses a Stripe status stands for.
var canonicalStatuses = map[string][]checkout.Status{
	"open":     {checkout.StatusCreated, checkout.StatusPending, checkout.StatusProcessing},
	"complete": {checkout.StatusCompleted},
	"expired":  {checkout.StatusFailed, checkout.StatusExpired, checkout.StatusCancelled},
}

// list is Stripe's list envelope.
type list[T any] struct {
	Object  string `json:"object"`
	URL     string `json:"url"`
	HasMore bool   `json:"has_more"`
	Data    []T    `json:"data"`
}

func newList[T any](url string, data []T, hasMore bool) list[T] {
	if data == nil {
		data = []T{}
	}
	return list[T]{Object: "list", URL: url, HasMore: hasMore, Data: data}
}

// session is the checkout.session object as caisse fills it, with WooshPay's
// shipping; line_items only when expanded. It is rendered with the fields of
// its API version (fields), null for those it has no value for: see versioned.
type session struct {
	fields                     []string
	ID                         string                `json:"id"`
	Object                     string                `json:"object"`
	AllowedPaymentMethodTypes  []string              `json:"allowed_payment_method_types"`
	AmountSubtotal             int64                 `json:"amount_subtotal"`
	AmountTotal                int64                 `json:"amount_total"`
	AutomaticTax               automaticTax          `json:"automatic_tax"`
	CancelURL                  *string               `json:"cancel_url"`
	ClientReferenceID          *string               `json:"client_reference_id"`
	Created                    int64                 `json:"created"`
	Currency                   string                `json:"currency"`
	CustomFields               []struct{}            `json:"custom_fields"`
	CustomText                 customText            `json:"custom_text"`
	Customer                   *string               `json:"customer"`
	CustomerCreation           string                `json:"customer_creation"`
	CustomerDetails            *customerDetails      `json:"customer_details"`
	CustomerEmail              *string               `json:"customer_email"`
	Discounts                  []struct{}            `json:"discounts"`
	ExcludedPaymentMethodTypes []string              `json:"excluded_payment_method_types"`
	ExpiresAt                  int64                 `json:"expires_at"`
	InvoiceCreation            invoiceCreation       `json:"invoice_creation"`
	LineItems                  *list[lineItem]       `json:"line_items,omitempty"`
	Livemode                   bool                  `json:"livemode"`
	Locale                     *string               `json:"locale"`
	Metadata                   map[string]string     `json:"metadata"`
	Mode                       string                `json:"mode"`
	PaymentIntent              any                   `json:"payment_intent"` // its id, or the object when expanded
	PaymentMethodCollection    string                `json:"payment_method_collection"`
	PaymentMethodOptions       struct{}              `json:"payment_method_options"`
	PaymentMethodTypes         []string              `json:"payment_method_types"`
	PaymentStatus              string                `json:"payment_status"`
	PhoneNumberCollection      phoneNumberCollection `json:"phone_number_collection"`
	Shipping                   *struct{}             `json:"shipping"` // WooshPay's, whatever the version
	ShippingOptions            []struct{}            `json:"shipping_options"`
	Status                     string                `json:"status"`
	SuccessURL                 *string               `json:"success_url"`
	TaxIDCollection            taxIDCollection       `json:"tax_id_collection"`
	TotalDetails               totalDetails          `json:"total_details"`
	UIMode                     string                `json:"ui_mode"`
	URL                        *string               `json:"url"`
}

// MarshalJSON renders the session with its version's fields, and WooshPay's shipping.
func (s session) MarshalJSON() ([]byte, error) {
	type plain session
	return versioned(plain(s), s.fields, "shipping")
}

// expandOnly are the fields Stripe sends only when a request expands them.
var expandOnly = []string{"line_items"}

// versioned renders the object v (a struct) with the fields of an API
// version, id and object first: v's value for each, or null where v has
// none; a field of expandOnly v leaves out stays out. v's fields the version
// lacks are left out, except those named in keep. v is encoded once; the
// version's field order is worked out once per type and field list (plans).
func versioned(v any, fields []string, keep ...string) ([]byte, error) {
	var raw bytes.Buffer
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(false) // as writeJSON: & in a URL stays &
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	p := planOf(reflect.TypeOf(v), fields, keep)
	// Each of v's fields as encoded, by its place in the struct: encoding/json
	// writes them in that order, leaving out only empty omitempty fields.
	values := make([]string, len(p.names))
	next := 0
	gjson.Parse(raw.String()).ForEach(func(key, value gjson.Result) bool {
		for next < len(p.names) && p.names[next] != key.Str {
			next++
		}
		if next < len(p.names) {
			values[next] = value.Raw
		}
		return true
	})
	b := make([]byte, 0, raw.Len()+len(p.out)*8)
	b = append(b, '{')
	for _, f := range p.out {
		value := ""
		if f.field >= 0 {
			value = values[f.field]
		}
		if value == "" {
			if f.expandOnly {
				continue
			}
			value = "null"
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, f.key...)
		b = append(b, value...)
	}
	return append(b, '}'), nil
}

// plan is how versioned renders one struct type at one field list: the
// type's JSON field names in struct order, and the members to write.
type plan struct {
	names []string
	out   []planned
}

// planned is one member of a versioned object: its key (quoted, with the
// colon), the struct field holding its value (-1: none, null), and whether
// it is left out when the value is.
type planned struct {
	key        string
	field      int
	expandOnly bool
}

// planKey names a plan: the type and the field list (the spec's slices are
// never changed, so the first element's address and the length name one).
type planKey struct {
	t      reflect.Type
	fields *string
	n      int
	keep   string
}

// plans caches the plans made so far; the field lists are the spec's, so
// there are at most a few per version and type.
var plans sync.Map // planKey → *plan

// planOf is the plan for rendering the struct type t with fields and keep.
func planOf(t reflect.Type, fields, keep []string) *plan {
	k := planKey{t: t, n: len(fields), keep: strings.Join(keep, ",")}
	if len(fields) > 0 {
		k.fields = &fields[0]
	}
	if p, ok := plans.Load(k); ok {
		return p.(*plan)
	}
	p := &plan{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			p.names = append(p.names, name)
		}
	}
	seen := map[string]bool{}
	for _, name := range slices.Concat([]string{"id", "object"}, fields, keep) {
		if seen[name] {
			continue
		}
		seen[name] = true
		key, _ := json.Marshal(name)
		p.out = append(p.out, planned{key: string(key) + ":", field: slices.Index(p.names, name), expandOnly: slices.Contains(expandOnly, name)})
	}
	plans.Store(k, p)
	return p
}

type automaticTax struct {
	Enabled   bool      `json:"enabled"`
	Liability *struct{} `json:"liability"`
	Provider  *string   `json:"provider"`
	Status    *string   `json:"status"`
}

type customText struct {
	AfterSubmit              *struct{} `json:"after_submit"`
	ShippingAddress          *struct{} `json:"shipping_address"`
	Submit                   *struct{} `json:"submit"`
	TermsOfServiceAcceptance *struct{} `json:"terms_of_service_acceptance"`
}

type customerDetails struct {
	Address        *struct{}  `json:"address"`
	BusinessName   *string    `json:"business_name"`
	Email          *string    `json:"email"`
	IndividualName *string    `json:"individual_name"`
	Name           *string    `json:"name"`
	Phone          *string    `json:"phone"`
	TaxExempt      string     `json:"tax_exempt"`
	TaxIDs         []struct{} `json:"tax_ids"`
}

type invoiceCreation struct {
	Enabled     bool        `json:"enabled"`
	InvoiceData invoiceData `json:"invoice_data"`
}

type invoiceData struct {
	AccountTaxIDs    *[]string         `json:"account_tax_ids"`
	CustomFields     *[]struct{}       `json:"custom_fields"`
	Description      *string           `json:"description"`
	Footer           *string           `json:"footer"`
	Issuer           *struct{}         `json:"issuer"`
	Metadata         map[string]string `json:"metadata"`
	RenderingOptions *struct{}         `json:"rendering_options"`
}

type phoneNumberCollection struct {
	Enabled bool `json:"enabled"`
}

type taxIDCollection struct {
	Enabled  bool   `json:"enabled"`
	Required string `json:"required"`
}

type totalDetails struct {
	AmountDiscount int64 `json:"amount_discount"`
	AmountShipping int64 `json:"amount_shipping"`
	AmountTax      int64 `json:"amount_tax"`
}

// lineItem is Stripe's item object, with its inline price.
type lineItem struct {
	ID             string            `json:"id"`
	Object         string            `json:"object"`
	AmountDiscount int64             `json:"amount_discount"`
	AmountSubtotal int64             `json:"amount_subtotal"`
	AmountTax      int64             `json:"amount_tax"`
	AmountTotal    int64             `json:"amount_total"`
	Currency       string            `json:"currency"`
	Description    string            `json:"description"`
	Metadata       map[string]string `json:"metadata"`
	Price          price             `json:"price"`
	Quantity       int64             `json:"quantity"`
}

type price struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	Active            bool              `json:"active"`
	BillingScheme     string            `json:"billing_scheme"`
	Created           int64             `json:"created"`
	Currency          string            `json:"currency"`
	CustomUnitAmount  *struct{}         `json:"custom_unit_amount"`
	Livemode          bool              `json:"livemode"`
	LookupKey         *string           `json:"lookup_key"`
	Metadata          map[string]string `json:"metadata"`
	Nickname          *string           `json:"nickname"`
	Product           any               `json:"product"` // its id, or the object when expanded
	Recurring         *recurring        `json:"recurring"`
	TaxBehavior       string            `json:"tax_behavior"`
	TiersMode         *string           `json:"tiers_mode"`
	TransformQuantity *struct{}         `json:"transform_quantity"`
	Type              string            `json:"type"`
	UnitAmount        int64             `json:"unit_amount"`
	UnitAmountDecimal string            `json:"unit_amount_decimal"`
}

// orNull is nil for the empty string: Stripe sends null, not "".
func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// toSession renders a session at the API version version: with that version's
// fields, and its ui_mode's name for a hosted page (hosted before dahlia);
// hostedURL is the base its url is built on.
func toSession(s checkout.Session, version, hostedURL string, expandItems bool) session {
	status, paid := Status(s.Status)
	methods := s.PaymentMethodTypes
	if len(methods) == 0 {
		methods = checkout.PaymentMethodTypes
	}
	uiMode := "hosted_page"
	if !since(version, dahlia) {
		uiMode = "hosted"
	}
	out := session{
		fields: fieldsAt(version).SessionFields, AllowedPaymentMethodTypes: methods,
		ID: s.ID, Object: "checkout.session", AmountSubtotal: s.Amount, AmountTotal: s.Amount,
		CancelURL: orNull(s.CancelURL), ClientReferenceID: orNull(s.PaymentID), Created: s.CreatedAt.Unix(),
		Currency: strings.ToLower(s.Currency), CustomFields: []struct{}{}, Customer: orNull(s.CustomerID),
		CustomerCreation: cmp.Or(s.CustomerCreation, "if_required"), CustomerEmail: orNull(s.CustomerEmail), Discounts: []struct{}{},
		ExcludedPaymentMethodTypes: []string{}, ExpiresAt: s.ExpiresAt.Unix(), InvoiceCreation: invoiceCreation{InvoiceData: invoiceData{Metadata: map[string]string{}}},
		Livemode: s.Livemode, Locale: orNull(s.Locale), Metadata: s.Metadata, Mode: "payment",
		PaymentMethodCollection: "if_required", PaymentMethodTypes: methods, PaymentStatus: paid,
		PhoneNumberCollection: phoneNumberCollection{Enabled: true}, ShippingOptions: []struct{}{},
		Status: status, SuccessURL: orNull(s.SuccessURL), TaxIDCollection: taxIDCollection{Required: "never"},
		UIMode: uiMode, PaymentIntent: orNull(paymentIntentID(s)),
	}
	if out.Metadata == nil {
		out.Metadata = map[string]string{}
	}
	if s.CustomerEmail != "" || s.UserPhone != "" {
		out.CustomerDetails = &customerDetails{Email: orNull(s.CustomerEmail), Phone: orNull(s.UserPhone),
			TaxExempt: "none", TaxIDs: []struct{}{}}
	}
	if status == "open" {
		u := hostedURL + s.ID
		out.URL = &u
	}
	if expandItems {
		items := toLineItems(s, checkout.Items(s))
		out.LineItems = &list[lineItem]{Object: "list", URL: "/v1/checkout/sessions/" + s.ID + "/line_items", Data: items}
	}
	return out
}

func toLineItems(s checkout.Session, items []checkout.LineItem) []lineItem {
	cur := strings.ToLower(s.Currency)
	out := make([]lineItem, len(items))
	for i, li := range items {
		total := checkout.Subtotal(li)
		out[i] = lineItem{
			ID: li.ID, Object: "item", AmountSubtotal: total, AmountTotal: total, Currency: cur,
			Description: li.Name, Metadata: map[string]string{}, Quantity: li.Quantity,
			Price: price{
				ID: li.PriceID, Object: "price", BillingScheme: "per_unit", Created: s.CreatedAt.Unix(), Currency: cur,
				Livemode: s.Livemode, Metadata: map[string]string{}, Product: li.ProductID, TaxBehavior: "unspecified",
				Type: "one_time", UnitAmount: li.UnitAmount, UnitAmountDecimal: strconv.FormatInt(li.UnitAmount, 10),
			},
		}
	}
	return out
}
