package stripeapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/httpapi"
	"github.com/caisse/caisse/internal/store"
)

// A session's PaymentIntent is derived from the session, not stored: its id
// is pi_ and the session id's random part, and every field is read from the
// session as it is, so the two cannot disagree. It exists once the session's
// payment has started (checkout.PaymentStarted).

// paymentIntentID is the id of the session's PaymentIntent, or "" when its
// payment has not started.
func paymentIntentID(s checkout.Session) string {
	if !checkout.PaymentStarted(s) {
		return ""
	}
	return "pi_" + s.ID[strings.LastIndexByte(s.ID, '_')+1:]
}

// sessionOfPaymentIntent is the id of the principal's session a PaymentIntent
// id names, or false when it names none.
func sessionOfPaymentIntent(id string, livemode bool) (string, bool) {
	suffix, ok := strings.CutPrefix(id, "pi_")
	if !ok || suffix == "" || strings.Contains(suffix, "_") {
		return "", false
	}
	if livemode {
		return "cs_live_" + suffix, true
	}
	return "cs_test_" + suffix, true
}

// paymentIntentStatus maps a session's status to its PaymentIntent's
// (docs/statuses.md): waiting for the customer's approval is requires_action,
// a failed attempt leaves it requiring a payment method (the customer may
// retry), and a session that ended unpaid cancels it.
func paymentIntentStatus(s checkout.Status) string {
	switch s {
	case checkout.StatusPending:
		return "requires_action"
	case checkout.StatusProcessing:
		return "processing"
	case checkout.StatusCompleted:
		return "succeeded"
	case checkout.StatusExpired, checkout.StatusCancelled:
		return "canceled"
	}
	return "requires_payment_method"
}

// paymentIntent is Stripe's payment_intent object as caisse derives it from a
// session: no charge, payment method or client secret is modelled.
type paymentIntent struct {
	ID                 string            `json:"id"`
	Object             string            `json:"object"`
	Amount             int64             `json:"amount"`
	AmountCapturable   int64             `json:"amount_capturable"`
	AmountReceived     int64             `json:"amount_received"`
	CanceledAt         *int64            `json:"canceled_at"`
	CancellationReason *string           `json:"cancellation_reason"`
	CaptureMethod      string            `json:"capture_method"`
	ClientSecret       *string           `json:"client_secret"`
	ConfirmationMethod string            `json:"confirmation_method"`
	Created            int64             `json:"created"`
	Currency           string            `json:"currency"`
	Customer           *string           `json:"customer"`
	Description        *string           `json:"description"`
	LastPaymentError   *paymentError     `json:"last_payment_error"`
	LatestCharge       *string           `json:"latest_charge"`
	Livemode           bool              `json:"livemode"`
	Metadata           map[string]string `json:"metadata"`
	NextAction         *struct{}         `json:"next_action"`
	PaymentMethod      *string           `json:"payment_method"`
	PaymentMethodTypes []string          `json:"payment_method_types"`
	ReceiptEmail       *string           `json:"receipt_email"`
	Status             string            `json:"status"`
}

// paymentError is a PaymentIntent's last_payment_error: the operator's reason.
type paymentError struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func toPaymentIntent(s checkout.Session) paymentIntent {
	status := paymentIntentStatus(s.Status)
	out := paymentIntent{ID: paymentIntentID(s), Object: "payment_intent", Amount: s.Amount, CaptureMethod: "automatic",
		ConfirmationMethod: "automatic", Created: s.CreatedAt.Unix(), Currency: strings.ToLower(s.Currency),
		Customer: orNull(s.CustomerID), Description: orNull(s.Description), Livemode: s.Livemode,
		Metadata: map[string]string{}, PaymentMethodTypes: checkout.PaymentMethodTypes,
		ReceiptEmail: orNull(s.CustomerEmail), Status: status}
	switch {
	case status == "succeeded":
		out.AmountReceived = s.Amount
	case status == "canceled":
		at, reason := s.UpdatedAt.Unix(), "abandoned"
		out.CanceledAt, out.CancellationReason = &at, &reason
	case s.Status == checkout.StatusFailed:
		out.LastPaymentError = &paymentError{Type: "invalid_request_error", Code: "payment_method_provider_decline",
			Message: s.FailureReason}
	}
	return out
}

// paymentIntentSession reads the principal's session of a PaymentIntent id,
// or a MissingError when it has none.
func (a *API) paymentIntentSession(r *http.Request, id string) (checkout.Session, error) {
	p := httpapi.Principal(r)
	missing := &checkout.MissingError{Kind: "payment_intent", ID: id}
	sessionID, ok := sessionOfPaymentIntent(id, p.Livemode)
	if !ok {
		return checkout.Session{}, missing
	}
	s, err := a.Checkout.Get(r.Context(), p, sessionID)
	if errors.Is(err, checkout.ErrNotFound) || (err == nil && !checkout.PaymentStarted(s)) {
		return s, missing
	}
	return s, err
}

func (a *API) retrievePaymentIntent(w http.ResponseWriter, r *http.Request) error {
	if err := decode(r, false, func(*params) {}); err != nil {
		return err
	}
	s, err := a.paymentIntentSession(r, r.PathValue("id"))
	return replyWith(w, s, err, toPaymentIntent)
}

// listPaymentIntents lists the PaymentIntents of the principal's sessions
// whose payment has started, newest first; the cursors are PaymentIntent ids.
func (a *API) listPaymentIntents(w http.ResponseWriter, r *http.Request) error {
	var in checkout.ListParams
	if err := decode(r, false, func(p *params) {
		in = decodePage(p)
		decodeCreated(p, &in.Filter)
		in.Filter.CustomerID, _ = p.String("customer")
	}); err != nil {
		return err
	}
	in.Filter.PaymentStarted = true
	for _, cursor := range []*string{&in.StartingAfter, &in.EndingBefore} {
		if *cursor == "" {
			continue
		}
		s, err := a.paymentIntentSession(r, *cursor)
		if err != nil {
			return err
		}
		*cursor = s.ID
	}
	found, more, err := a.Checkout.List(r.Context(), httpapi.Principal(r), in)
	return replyList(w, "/v1/payment_intents", found, more, err, toPaymentIntent)
}

// renderSession renders a session as Stripe's checkout.session, expanded as
// asked: its line items carry the merchant's stored prices (and products).
func (a *API) renderSession(r *http.Request, s checkout.Session, expand expansion) (session, error) {
	out := toSession(s, requestVersion(r), a.HostedURL, expand.items)
	if expand.paymentIntent && checkout.PaymentStarted(s) {
		out.PaymentIntent = toPaymentIntent(s)
	}
	if expand.items {
		items, err := a.itemsOf(r, s, expand.products)
		if err != nil {
			return out, err
		}
		out.LineItems.Data = items
	}
	return out, nil
}

// itemsOf renders a session's line items: an item bought at one of the
// merchant's prices shows that price as it now is, and, with products, each
// price's product; an inline price's product is the item's own. Only the
// merchant's prices are read: an inline price is the session's alone.
func (a *API) itemsOf(r *http.Request, s checkout.Session, products bool) ([]lineItem, error) {
	stored := checkout.Items(s)
	out := toLineItems(s, stored)
	p := httpapi.Principal(r)
	for i, li := range stored {
		if !li.Catalog {
			if products {
				out[i].Price.Product = toProduct(store.Product{ID: li.ProductID, Scope: s.Scope, Name: li.Name,
					Description: li.Description, Active: true, CreatedAt: s.CreatedAt, UpdatedAt: s.CreatedAt})
			}
			continue
		}
		pr, err := a.Checkout.PriceGet(r.Context(), p, li.PriceID)
		if err != nil {
			return nil, err
		}
		out[i].Price = toPrice(pr)
		if products {
			if out[i].Price.Product, err = a.productOf(r, pr.ProductID); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// itemExpansions reads the line items list's expand[]: only data.price.product.
func itemExpansions(p *params) bool { return expandsProduct(p, "data.price.product") }

// decodeAdjustable reads line_items[i][adjustable_quantity]: validated, then
// not applied (the hosted page sells the quantity the session was made with).
func decodeAdjustable(it *params) {
	adj, ok := it.Object("adjustable_quantity")
	if !ok {
		return
	}
	if enabled := boolParam(adj, "enabled"); enabled == nil {
		adj.Missing("enabled")
	}
	lo, hasLo := adj.Int("minimum")
	hi, hasHi := adj.Int("maximum")
	switch {
	case hasLo && (lo < 0 || lo > checkout.MaxQuantity):
		adj.Fail("minimum", httpapi.Invalid(adj.Path("minimum"), "", "Invalid %s: must be between 0 and %d.", adj.Path("minimum"), checkout.MaxQuantity))
	case hasHi && (hi < 1 || hi > checkout.MaxQuantity):
		adj.Fail("maximum", httpapi.Invalid(adj.Path("maximum"), "", "Invalid %s: must be between 1 and %d.", adj.Path("maximum"), checkout.MaxQuantity))
	case hasLo && hasHi && lo > hi:
		adj.Fail("minimum", httpapi.Invalid(adj.Path("minimum"), "", "Invalid %s: must not be above the maximum.", adj.Path("minimum")))
	}
}
