package stripeapi

import (
	"slices"

	"github.com/caisse/caisse/internal/httpapi"
)

// paramUse is what caisse does with one of the create parameters Stripe's
// API lists for a checkout session.
type paramUse string

// What caisse does with a create parameter.
const (
	// useHonoured parameters are read by decodeCreate and take effect.
	useHonoured paramUse = "honoured"
	// useAccepted parameters are checked against Stripe's schema (types,
	// enums, lengths, unknown fields) and then have no effect; refuse may
	// still turn down the values caisse cannot honour.
	useAccepted paramUse = "accepted, not applied"
	// useRefused parameters would change the money or the kind of session:
	// any value is a 400 naming the parameter.
	useRefused paramUse = "refused"
)

// createParam is caisse's handling of one create parameter.
type createParam struct {
	use  paramUse
	note string // what happens, as docs/api-stripe.md's table says it
	// refuse, for an accepted parameter, says why caisse turns its value
	// down ("" when it does not).
	refuse func(n *node) string
}

// Reasons for refusing a parameter or one of its values.
const (
	changesMoney = "it would change the amount charged, and caisse charges the line items' total as given"
	paymentOnly  = "it applies to another mode, and caisse supports only payment mode"
)

// whenTrue refuses an object whose field key is true, for reason.
func whenTrue(key, reason string) func(n *node) string {
	return func(n *node) string {
		if on, _ := parseBool(textAt(n, key)); on {
			return key + "=true: " + reason
		}
		return ""
	}
}

// textAt is the text of n's field key, "" when there is none.
func textAt(n *node, key string) string {
	if n.kind != kindObject || n.fields[key] == nil {
		return ""
	}
	return n.fields[key].text
}

// createParams is what caisse does with each create parameter of Stripe's
// checkout session (every name spec.Create lists, and those later versions
// added: laterCreateParams; TestCreateParamsCoverSpec checks it). A parameter
// Stripe does not list is Stripe's parameter_unknown.
var createParams = map[string]createParam{
	"adaptive_pricing": {useAccepted, "refused when `enabled` is true (it converts the amount into the customer's currency)",
		whenTrue("enabled", "caisse charges in the session's currency")},
	"after_expiration": {useAccepted, "no recovery link is offered", nil},
	"allow_promotion_codes": {useAccepted, "refused when true (promotion codes are discounts)", func(n *node) string {
		if on, _ := parseBool(n.text); on {
			return "true: " + changesMoney
		}
		return ""
	}},
	"allowed_payment_method_types":  {useHonoured, "from 2026-09-30.endive, in place of `payment_method_types` (either is taken, not both)", nil},
	"automatic_tax":                 {useAccepted, "refused when `enabled` is true; the session shows `enabled: false`", whenTrue("enabled", changesMoney)},
	"billing_address_collection":    {useAccepted, "the hosted page asks for no address", nil},
	"branding_settings":             {useAccepted, "the hosted page keeps caisse's look", nil},
	"cancel_url":                    {useHonoured, "the hosted page's cancel link", nil},
	"client_reference_id":           {useHonoured, "stored; the mobile-money API's `payment_id`", nil},
	"consent_collection":            {useAccepted, "no consent is collected", nil},
	"currency":                      {useHonoured, "one of the merchant's currencies; must match the line items'", nil},
	"custom_fields":                 {useAccepted, "the hosted page shows no custom fields", nil},
	"custom_text":                   {useAccepted, "the hosted page shows no custom text", nil},
	"customer":                      {useHonoured, "a customer of the merchant (`/v1/customers`); stored and filterable", nil},
	"customer_account":              {useAccepted, "not stored", nil},
	"customer_creation":             {useHonoured, "`always` creates a customer from the session's email and phone when it completes", nil},
	"customer_email":                {useHonoured, "stored, shown in `customer_details`", nil},
	"customer_update":               {useAccepted, "the customer is not updated from what the hosted page collects", nil},
	"discounts":                     {useRefused, changesMoney, nil},
	"excluded_payment_method_types": {useAccepted, "the hosted page takes mobile money", nil},
	"expand":                        {useHonoured, "`line_items`, `line_items.data.price.product` and `payment_intent`", nil},
	"expires_at":                    {useHonoured, "30 minutes to 24 hours ahead", nil},
	"integration_identifier":        {useAccepted, "not stored; the session shows null", nil},
	"invoice_creation":              {useAccepted, "caisse issues no invoices", nil},
	"line_items":                    {useHonoured, "`quantity`, `price` and `price_data`; `adjustable_quantity` is checked, not applied; `tax_rates` and `dynamic_tax_rates` are refused", nil},
	"locale":                        {useHonoured, "stored; the hosted page's language", nil},
	"managed_payments":              {useAccepted, "refused when `enabled` is true (Stripe would add tax)", whenTrue("enabled", changesMoney)},
	"metadata":                      {useHonoured, "stored", nil},
	"mode":                          {useHonoured, "`payment` only", nil},
	"name_collection":               {useAccepted, "no name is collected", nil},
	"optional_items":                {useRefused, changesMoney, nil},
	"origin_context":                {useAccepted, "the session shows null", nil},
	"payment_intent_data": {useAccepted, "refused with `application_fee_amount`, `transfer_data` or `capture_method=manual`", func(n *node) string {
		switch {
		case n.kind != kindObject:
		case n.fields["application_fee_amount"] != nil:
			return "application_fee_amount: caisse pays the whole amount to the merchant"
		case n.fields["transfer_data"] != nil:
			return "transfer_data: caisse pays the whole amount to the merchant"
		case textAt(n, "capture_method") == "manual":
			return "capture_method=manual: mobile-money payments are captured as they are made"
		}
		return ""
	}},
	"payment_method_collection":    {useAccepted, "the phone is always asked for", nil},
	"payment_method_configuration": {useAccepted, "the hosted page takes mobile money", nil},
	"payment_method_data":          {useAccepted, "no payment method is saved", nil},
	"payment_method_options":       {useAccepted, "the hosted page takes mobile money", nil},
	"payment_method_types":         {useHonoured, "stored and shown; the hosted page takes mobile money", nil},
	"permissions":                  {useAccepted, "the session shows null", nil},
	"phone_number_collection":      {useAccepted, "the phone is always collected (mobile money needs it); the session shows `enabled: true`", nil},
	"redirect_on_completion":       {useAccepted, "applies to embedded sessions, which caisse has not", nil},
	"return_url":                   {useAccepted, "applies to embedded sessions, which caisse has not", nil},
	"saved_payment_method_options": {useAccepted, "no payment method is saved", nil},
	"setup_intent_data":            {useRefused, paymentOnly, nil},
	"shipping_address_collection":  {useAccepted, "no address is collected", nil},
	"shipping_options":             {useRefused, changesMoney, nil},
	"submit_type":                  {useAccepted, "the hosted page's button keeps its label", nil},
	"subscription_data":            {useRefused, paymentOnly, nil},
	"success_url":                  {useHonoured, "where the hosted page sends the customer after paying", nil},
	"tax_id_collection":            {useAccepted, "no tax id is collected", nil},
	"ui_mode": {useAccepted, "`hosted_page` only (`hosted` before dahlia): caisse has no embedded or elements sessions", func(n *node) string {
		if n.text != "hosted_page" {
			return n.text + ": caisse serves only its hosted page (hosted_page)"
		}
		return ""
	}},
	"wallet_options": {useAccepted, "no wallets are offered", nil},
}

// acceptOthers reads the create parameters caisse accepts without applying
// them, and refuses the refused ones; decodeCreate reads the honoured ones.
// version is the request's API version: before dahlia, the hosted page's
// ui_mode was named hosted, and it is read as the hosted_page it became.
func acceptOthers(p *params, version string) {
	if n := p.obj.fields["ui_mode"]; n != nil && n.text == "hosted" && !since(version, dahlia) {
		n.text = "hosted_page"
	}
	for _, key := range slices.Clone(p.obj.keys) {
		use, ok := createParams[key]
		if !ok || use.use == useHonoured {
			continue // read by decodeCreate, or left unread: parameter_unknown
		}
		n := p.take(key)
		switch {
		case n == nil:
		case use.use == useRefused:
			p.Fail(key, refused(p.Path(key), use.note))
		default:
			if prob := conform(n, spec.Create.Properties[key], p.Path(key)); prob != nil {
				p.Fail(key, prob)
				return
			}
			if use.refuse != nil {
				if why := use.refuse(n); why != "" {
					p.Fail(key, refused(p.Path(key), why))
					return
				}
			}
			markRead(n)
		}
	}
}

// refused is the 400 for a parameter (or value) caisse does not support.
func refused(path, why string) *httpapi.Problem {
	return httpapi.Invalid(path, "", "caisse does not support %s: %s.", path, why)
}
