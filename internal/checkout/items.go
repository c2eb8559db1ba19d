package checkout

import (
	"context"
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/money"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store"
)

// Line item limits (Stripe's).
const (
	MaxItems    = 100
	MaxQuantity = 999_999
	MaxItemName = 250
)

// ItemParams is one line item as the caller asked for it: a price defined
// inline, or PriceID naming one of the merchant's prices (Service.Create
// fills the rest from it and its product).
type ItemParams struct {
	Param       string // how the caller names this item in errors: line_items[0]
	PriceID     string
	ProductID   string // set from the price named by PriceID
	Currency    string
	Name        string
	Description string
	UnitAmount  int64
	Quantity    int64
}

// LineItem is a stored line item.
type LineItem = store.LineItem

// Subtotal is the item's amount: unit amount × quantity.
func Subtotal(li LineItem) int64 { return li.UnitAmount * li.Quantity }

// buildItems validates in.Items, derives the session's amount and currency
// from them, and returns the line items to store (none without Items).
func buildItems(in *CreateParams, sessionID string) ([]LineItem, error) {
	if len(in.Items) == 0 {
		return nil, nil
	}
	if len(in.Items) > MaxItems {
		return nil, Invalid("line_items", "must have at most %d items", MaxItems)
	}
	var total int64
	items := make([]LineItem, 0, len(in.Items))
	for _, it := range in.Items {
		li, err := buildItem(it, in)
		if err != nil {
			return nil, err
		}
		if total += Subtotal(li); total > MaxAmount {
			return nil, &InvalidError{Field: "line_items", Reason: ReasonTooLarge,
				Message: fmt.Sprintf("the total must be at most %d", MaxAmount)}
		}
		items = append(items, li)
	}
	if in.Amount != 0 && in.Amount != total {
		return nil, Invalid("amount", "must equal the line items' total, %d", total)
	}
	in.Amount = total
	return items, nil
}

// buildItem validates one item; the first item with a currency sets the session's.
func buildItem(it ItemParams, in *CreateParams) (LineItem, error) {
	currencyParam := it.Param + "[price_data][currency]"
	if it.ProductID != "" {
		currencyParam = it.Param + "[price]"
	}
	cur, err := money.ParseCurrency(it.Currency)
	if err != nil {
		return LineItem{}, Invalid(currencyParam, "must be an ISO 4217 currency code")
	}
	if in.Currency == "" {
		in.Currency = string(cur)
	}
	if session, err := money.ParseCurrency(in.Currency); err == nil && session != cur {
		return LineItem{}, Invalid(currencyParam,
			"must be the session's currency, %s, in every line item", strings.ToLower(string(session)))
	}
	switch {
	case it.Quantity < 1 || it.Quantity > MaxQuantity:
		return LineItem{}, Invalid(it.Param+"[quantity]", "must be between 1 and %d", MaxQuantity)
	case it.UnitAmount < 0 || it.UnitAmount > MaxAmount:
		return LineItem{}, Invalid(it.Param+"[price_data][unit_amount]", "must be between 0 and %d", MaxAmount)
	case strings.TrimSpace(it.Name) == "":
		return LineItem{}, Invalid(it.Param+"[price_data][product_data][name]", "must not be empty")
	}
	if err := validateText(it.Param+"[price_data][product_data][name]", it.Name, MaxItemName); err != nil {
		return LineItem{}, err
	}
	if err := validateText(it.Param+"[price_data][product_data][description]", it.Description, MaxItemName*2); err != nil {
		return LineItem{}, err
	}
	li := LineItem{ID: randid.New("li_"), PriceID: it.PriceID, ProductID: it.ProductID, Catalog: it.ProductID != "",
		Name: it.Name, Description: it.Description, UnitAmount: it.UnitAmount, Quantity: it.Quantity}
	if !li.Catalog { // an inline price: its price and product exist only in the session
		li.PriceID, li.ProductID = randid.New("price_"), randid.New("prod_")
	}
	return li, nil
}

// resolve fills each item that names a price from the principal's price and
// its product, which must be active and the price paid once; with
// in.CheckCustomer, the customer must be one of the principal's.
func (s *Service) resolve(ctx context.Context, p merchant.Principal, in *CreateParams) error {
	for i := range in.Items {
		it := &in.Items[i]
		if it.PriceID == "" {
			continue
		}
		param := it.Param + "[price]"
		pr, err := s.PriceGet(ctx, p, it.PriceID)
		if err != nil {
			return missingParam(param, KindPrice, it.PriceID, err)
		}
		switch {
		case !pr.Active:
			return Invalid(param, "The price specified is inactive. This field only accepts active prices.")
		case pr.Interval != "":
			return Invalid(param, "You specified `payment` mode but passed a recurring price. "+
				"Either switch to `subscription` mode or use only one-time prices.")
		}
		prod, err := s.Store.ProductGet(ctx, p.Scope(), pr.ProductID)
		if err != nil {
			return err
		}
		if !prod.Active {
			return Invalid(param, "The product of price %s, %s, is inactive.", pr.ID, prod.ID)
		}
		it.Currency, it.UnitAmount, it.ProductID, it.Name, it.Description = pr.Currency, pr.UnitAmount, prod.ID, prod.Name, prod.Description
	}
	if in.CheckCustomer && in.CustomerID != "" {
		if _, err := s.CustomerGet(ctx, p, in.CustomerID); err != nil {
			return missingParam("customer_id", KindCustomer, in.CustomerID, err)
		}
	}
	return nil
}

// Items are the session's line items; a session created without any (the
// mobile-money API) has one, its description for its whole amount, with ids
// derived from the session's so that every read shows the same item.
func Items(s Session) []LineItem {
	if len(s.LineItems) > 0 {
		return s.LineItems
	}
	suffix := s.ID[strings.LastIndexByte(s.ID, '_')+1:]
	name := s.Description
	if name == "" {
		name = "Paiement"
	}
	return []LineItem{{ID: "li_" + suffix, PriceID: "price_" + suffix, ProductID: "prod_" + suffix,
		Name: name, UnitAmount: s.Amount, Quantity: 1}}
}

// validEmail accepts a bare address (no display name).
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// validURL accepts absolute http and https URLs with a host.
func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
