package stripeapi

import (
	"fmt"
	"slices"
	"time"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/httpapi"
	"github.com/caisse/caisse/internal/store"
)

// List limits (Stripe's).
const (
	DefaultLimit = 10
	MaxLimit     = 100
)

// locales are the values Stripe accepts for a session's locale.
var locales = []string{"auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil",
	"fr", "fr-CA", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "pt-BR",
	"ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW"}

// paymentMethodTypes are caisse's and Stripe's payment method types (API
// version 2026-08-26.dahlia). Any may be named; caisse's hosted page takes mobile money.
var paymentMethodTypes = []string{"mobile_money", "acss_debit", "affirm", "afterpay_clearpay", "alipay", "alma",
	"amazon_pay", "au_becs_debit", "bacs_debit", "bancontact", "billie", "bizum", "blik", "boleto", "card", "cashapp",
	"crypto", "customer_balance", "eps", "fpx", "giropay", "grabpay", "ideal", "kakao_pay", "klarna", "konbini",
	"kr_card", "link", "mb_way", "mobilepay", "multibanco", "naver_pay", "nz_bank_account", "oxxo", "p24",
	"pay_by_bank", "payco", "paynow", "paypal", "payto", "pix", "promptpay", "revolut_pay", "samsung_pay",
	"satispay", "scalapay", "sepa_debit", "sofort", "sunbit", "swish", "twint", "upi", "us_bank_account",
	"wechat_pay", "zip"}

// isObject reports whether key holds an object (rather than a plain value).
func (p *params) isObject(key string) bool {
	n := p.obj.fields[key]
	return n != nil && n.kind == kindObject
}

// decodeCreate reads a create request; errors are recorded in p. It reports
// whether the line items are to be expanded in the response.
func (a *API) decodeCreate(p *params, version string) (checkout.CreateParams, expansion) {
	var in checkout.CreateParams
	switch mode, ok := p.String("mode"); {
	case !ok:
		p.Missing("mode")
	case mode != "payment":
		p.Fail("mode", httpapi.Invalid("mode", "", "Invalid mode: %q. caisse supports only payment mode.", mode))
	}
	items, ok := p.List("line_items")
	if !ok || len(items) == 0 {
		p.Missing("line_items")
	}
	for i, it := range items {
		in.Items = append(in.Items, decodeItem(it, fmt.Sprintf("%s[%d]", p.Path("line_items"), i)))
	}
	in.Currency, _ = p.String("currency")
	in.SuccessURL, _ = p.String("success_url")
	in.CancelURL, _ = p.String("cancel_url")
	in.CustomerID, in.CheckCustomer = p.String("customer")
	in.CustomerEmail, _ = p.String("customer_email")
	if in.CustomerID != "" && in.CustomerEmail != "" {
		p.Fail("customer_email", httpapi.Invalid("customer_email", "parameters_exclusive",
			"You may only specify one of these parameters: customer, customer_email."))
	}
	if in.CustomerCreation, ok = p.String("customer_creation"); ok {
		// Stripe's enum (always, if_required), with Stripe's message.
		if prob := conform(&node{text: in.CustomerCreation}, spec.Create.Properties["customer_creation"], p.Path("customer_creation")); prob != nil {
			p.Fail("customer_creation", prob)
		}
	}
	in.PaymentID, _ = p.String("client_reference_id")
	in.Metadata, _ = p.Metadata("metadata")
	methodsKey := "payment_method_types"
	in.PaymentMethodTypes, _ = p.Strings(methodsKey)
	// From 2026-09-30.endive, Stripe takes allowed_payment_method_types instead; caisse takes either.
	if allowed, ok := p.Strings("allowed_payment_method_types"); ok {
		if in.PaymentMethodTypes != nil {
			p.Fail(methodsKey, httpapi.Invalid(methodsKey, "parameters_exclusive",
				"You may only specify one of these parameters: allowed_payment_method_types, payment_method_types."))
		}
		methodsKey, in.PaymentMethodTypes = "allowed_payment_method_types", allowed
	}
	for _, m := range in.PaymentMethodTypes {
		if !slices.Contains(paymentMethodTypes, m) {
			p.Fail(methodsKey, httpapi.Invalid(methodsKey, "",
				"Invalid %s: %q is neither mobile_money nor one of Stripe's payment method types.", methodsKey, m))
		}
	}
	if in.Locale, ok = p.String("locale"); ok && !slices.Contains(locales, in.Locale) {
		p.Fail("locale", httpapi.Invalid("locale", "", "Invalid locale: %q is not one of Stripe's locales.", in.Locale))
	}
	a.expiry(p, &in)
	acceptOthers(p, version)
	return in, expansions(p, "")
}

// expiry reads expires_at (30 minutes to 24 hours ahead; 24 hours by default).
func (a *API) expiry(p *params, in *checkout.CreateParams) {
	unix, ok := p.Int("expires_at")
	if !ok {
		// The service adds it to the creation time as it reads its clock: an instant
		// computed here from another reading could fall a fraction over 24 hours.
		in.ExpiresIn = int64(DefaultLifetime / time.Second)
		return
	}
	now := a.Checkout.Now()
	// Clamped, so that a time beyond what time.Unix holds is refused as too far, not wrapped round to too near.
	at := time.Unix(min(max(unix, checkout.MinUnix), checkout.MaxUnix), 0)
	switch life := at.Sub(now); {
	case life < MinLifetime:
		p.Fail("expires_at", httpapi.Invalid("expires_at", "",
			"The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation."))
	case life > MaxLifetime:
		p.Fail("expires_at", httpapi.Invalid("expires_at", "",
			"The `expires_at` timestamp must be less than 24 hours from Checkout Session creation."))
	}
	in.ExpiresAt = at
}

// decodeItem reads line_items[i]: a quantity and an inline price_data (a price
// id is read so that the service can say there is no such price).
func decodeItem(it *params, path string) checkout.ItemParams {
	out := checkout.ItemParams{Param: path}
	var ok bool
	if out.Quantity, ok = it.Int("quantity"); !ok {
		it.Missing("quantity")
	}
	out.PriceID, _ = it.String("price")
	decodeAdjustable(it)
	for _, key := range []string{"dynamic_tax_rates", "tax_rates"} {
		if it.take(key) != nil {
			it.Fail(key, refused(it.Path(key), changesMoney))
		}
	}
	pd, ok := it.Object("price_data")
	if !ok {
		if out.PriceID == "" {
			it.Missing("price_data")
		}
		return out
	}
	if out.Currency, ok = pd.String("currency"); !ok {
		pd.Missing("currency")
	}
	if out.UnitAmount, ok = pd.Int("unit_amount"); !ok {
		pd.Missing("unit_amount")
	}
	if product, ok := pd.String("product"); ok {
		pd.Fail("product", httpapi.Invalid(pd.Path("product"), "resource_missing", "No such product: '%s'", product))
	}
	product, ok := pd.Object("product_data")
	if !ok {
		pd.Missing("product_data")
		return out
	}
	if out.Name, ok = product.String("name"); !ok {
		product.Missing("name")
	}
	out.Description, _ = product.String("description")
	return out
}

// decodePage reads limit, starting_after and ending_before.
func decodePage(p *params) checkout.ListParams {
	var out checkout.ListParams
	out.Filter.Limit = DefaultLimit
	if limit, ok := p.Int("limit"); ok {
		if limit < 1 || limit > MaxLimit {
			p.Fail("limit", httpapi.Invalid("limit", "parameter_invalid_integer",
				"Invalid limit: %d. The limit must be between 1 and %d.", limit, MaxLimit))
		}
		out.Filter.Limit = int(limit)
	}
	out.StartingAfter, _ = p.String("starting_after")
	out.EndingBefore, _ = p.String("ending_before")
	if out.StartingAfter != "" && out.EndingBefore != "" {
		p.Fail("ending_before", httpapi.Invalid("ending_before", "parameters_exclusive",
			"You may only specify one of these parameters: ending_before, starting_after."))
	}
	return out
}

// decodeList reads a list request's page and filters. It also reports whether
// the filters can match nothing: caisse has no payment intents, payment links
// or subscriptions, so a filter on one of those matches no session.
func decodeList(p *params) (checkout.ListParams, bool) {
	out := decodePage(p)
	f := &out.Filter
	decodeCreated(p, f)
	f.CustomerID, _ = p.String("customer")
	if details, ok := p.Object("customer_details"); ok {
		if f.CustomerEmail, ok = details.String("email"); !ok {
			details.Missing("email")
		}
	}
	if status, ok := p.String("status"); ok {
		if f.Statuses = canonicalStatuses[status]; f.Statuses == nil {
			p.Fail("status", httpapi.Invalid("status", "",
				"Invalid status: %q. It must be one of open, complete or expired.", status))
		}
	}
	none := false
	for _, key := range []string{"payment_intent", "payment_link", "subscription"} {
		if _, ok := p.String(key); ok {
			none = true
		}
	}
	return out, none
}

// decodeCreated reads created: a Unix time (that second) or a range with gt,
// gte, lt and lte, each from 1970 to the end of 9999 (params.Unix).
func decodeCreated(p *params, f *store.SessionFilter) {
	if !p.isObject("created") {
		if at, ok := p.Unix("created"); ok {
			narrowFrom(f, at)
			narrowBefore(f, at+1)
		}
		return
	}
	r, _ := p.Object("created")
	for _, b := range []struct {
		key   string
		lower bool
		shift int64 // makes the bound inclusive-from or exclusive-before
	}{{"gt", true, 1}, {"gte", true, 0}, {"lt", false, 0}, {"lte", false, 1}} {
		v, ok := r.Unix(b.key)
		switch {
		case !ok:
		case b.lower:
			narrowFrom(f, v+b.shift)
		default:
			narrowBefore(f, v+b.shift)
		}
	}
}

// narrowFrom raises the filter's inclusive lower bound to a Unix second.
func narrowFrom(f *store.SessionFilter, unix int64) {
	if t := time.Unix(unix, 0).UTC(); f.CreatedFrom == nil || t.After(*f.CreatedFrom) {
		f.CreatedFrom = &t
	}
}

// narrowBefore lowers the filter's exclusive upper bound to a Unix second.
func narrowBefore(f *store.SessionFilter, unix int64) {
	if t := time.Unix(unix, 0).UTC(); f.CreatedBefore == nil || t.Before(*f.CreatedBefore) {
		f.CreatedBefore = &t
	}
}
