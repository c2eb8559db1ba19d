package stripeapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/httpapi"
	"github.com/caisse/caisse/internal/store"
)

// product is Stripe's product object: the fields caisse keeps, null or empty
// for the rest.
type product struct {
	ID                  string            `json:"id"`
	Object              string            `json:"object"`
	Active              bool              `json:"active"`
	Created             int64             `json:"created"`
	DefaultPrice        *string           `json:"default_price"`
	Description         *string           `json:"description"`
	Images              []string          `json:"images"`
	Livemode            bool              `json:"livemode"`
	MarketingFeatures   []struct{}        `json:"marketing_features"`
	Metadata            map[string]string `json:"metadata"`
	Name                string            `json:"name"`
	PackageDimensions   *struct{}         `json:"package_dimensions"`
	Shippable           *bool             `json:"shippable"`
	StatementDescriptor *string           `json:"statement_descriptor"`
	TaxCode             *string           `json:"tax_code"`
	UnitLabel           *string           `json:"unit_label"`
	Updated             int64             `json:"updated"`
	URL                 *string           `json:"url"`
}

func toProduct(p store.Product) product {
	return product{ID: p.ID, Object: "product", Active: p.Active, Created: p.CreatedAt.Unix(),
		Description: orNull(p.Description), Images: []string{}, Livemode: p.Livemode, MarketingFeatures: []struct{}{},
		Metadata: orEmpty(p.Metadata), Name: p.Name, Updated: p.UpdatedAt.Unix()}
}

// recurring is a recurring price's billing period.
type recurring struct {
	Interval      string  `json:"interval"`
	IntervalCount int64   `json:"interval_count"`
	Meter         *string `json:"meter"`
	UsageType     string  `json:"usage_type"`
}

// toPrice renders a stored price; its product is its id (expand replaces it).
func toPrice(p store.Price) price {
	out := price{ID: p.ID, Object: "price", Active: p.Active, BillingScheme: "per_unit", Created: p.CreatedAt.Unix(),
		Currency: strings.ToLower(p.Currency), Livemode: p.Livemode, LookupKey: orNull(p.LookupKey),
		Metadata: orEmpty(p.Metadata), Nickname: orNull(p.Nickname), Product: p.ProductID, TaxBehavior: "unspecified",
		Type: "one_time", UnitAmount: p.UnitAmount, UnitAmountDecimal: strconv.FormatInt(p.UnitAmount, 10)}
	if p.Interval != "" {
		out.Type = "recurring"
		out.Recurring = &recurring{Interval: p.Interval, IntervalCount: p.IntervalCount, UsageType: "licensed"}
	}
	return out
}

// orEmpty is m, or an empty map for nil: Stripe sends {}.
func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// decodeMetadata reads metadata as an update's change: metadata= clears it.
func decodeMetadata(p *params) checkout.MetadataChange {
	set, has := p.Metadata("metadata")
	return checkout.MetadataChange{Set: set, Clear: has && set == nil}
}

// optString reads key as text; nil when absent.
func optString(p *params, key string) *string {
	v, ok := p.String(key)
	if !ok {
		return nil
	}
	return &v
}

// decodeProduct reads a product's fields (create, update and a price's product_data).
func decodeProduct(p *params) checkout.ProductParams {
	return checkout.ProductParams{Name: optString(p, "name"), Description: optString(p, "description"),
		Active: boolParam(p, "active"), Metadata: decodeMetadata(p)}
}

// decodeCatalogPage reads limit, the cursors and created into a catalog page.
func decodeCatalogPage(p *params) checkout.CatalogPage {
	page := decodePage(p)
	var created store.SessionFilter
	decodeCreated(p, &created)
	return checkout.CatalogPage{StartingAfter: page.StartingAfter, EndingBefore: page.EndingBefore,
		Filter: store.CatalogFilter{Limit: page.Filter.Limit, CreatedFrom: created.CreatedFrom, CreatedBefore: created.CreatedBefore}}
}

// expandsProduct reads expand[], which may ask only for the product (of a price).
func expandsProduct(p *params, path string) bool {
	paths, _ := p.Strings("expand")
	for _, got := range paths {
		if got != path {
			p.Fail("expand", httpapi.Invalid(p.Path("expand"), "",
				"This property cannot be expanded (%s). caisse can expand %s.", got, path))
			return false
		}
	}
	return len(paths) > 0
}

func (a *API) createProduct(w http.ResponseWriter, r *http.Request) error {
	var in checkout.ProductParams
	if err := decode(r, false, func(p *params) {
		if in = decodeProduct(p); in.Name == nil {
			p.Missing("name")
		}
	}); err != nil {
		return err
	}
	out, err := a.Checkout.ProductCreate(r.Context(), httpapi.Principal(r), in)
	return replyWith(w, out, err, toProduct)
}

func (a *API) retrieveProduct(w http.ResponseWriter, r *http.Request) error {
	if err := decode(r, false, func(*params) {}); err != nil {
		return err
	}
	out, err := a.Checkout.ProductGet(r.Context(), httpapi.Principal(r), r.PathValue("id"))
	return replyWith(w, out, err, toProduct)
}

func (a *API) updateProduct(w http.ResponseWriter, r *http.Request) error {
	var in checkout.ProductParams
	if err := decode(r, false, func(p *params) { in = decodeProduct(p) }); err != nil {
		return err
	}
	out, err := a.Checkout.ProductUpdate(r.Context(), httpapi.Principal(r), r.PathValue("id"), in)
	return replyWith(w, out, err, toProduct)
}

func (a *API) listProducts(w http.ResponseWriter, r *http.Request) error {
	var in checkout.CatalogPage
	if err := decode(r, false, func(p *params) {
		in = decodeCatalogPage(p)
		in.Filter.Active = boolParam(p, "active")
		in.Filter.IDs, _ = p.Strings("ids")
		if len(in.Filter.IDs) > MaxLimit {
			p.Fail("ids", httpapi.Invalid("ids", "", "Invalid ids: at most %d ids may be given.", MaxLimit))
		}
	}); err != nil {
		return err
	}
	found, more, err := a.Checkout.ProductList(r.Context(), httpapi.Principal(r), in)
	return replyList(w, "/v1/products", found, more, err, toProduct)
}

// replyWith writes v rendered by render, or returns err.
func replyWith[T, R any](w http.ResponseWriter, v T, err error, render func(T) R) error {
	if err != nil {
		return err
	}
	return ok(w, render(v))
}

// replyList writes a list page of found rendered by render, or returns err.
func replyList[T, R any](w http.ResponseWriter, url string, found []T, more bool, err error, render func(T) R) error {
	if err != nil {
		return err
	}
	data := make([]R, len(found))
	for i, v := range found {
		data[i] = render(v)
	}
	return ok(w, newList(url, data, more))
}

// decodePrice reads a price's create (all fields) or update (the changeable ones).
func decodePrice(p *params, create bool) checkout.PriceParams {
	in := checkout.PriceParams{Active: boolParam(p, "active"), LookupKey: optString(p, "lookup_key"),
		Nickname: optString(p, "nickname"), Metadata: decodeMetadata(p)}
	if t := boolParam(p, "transfer_lookup_key"); t != nil {
		in.TransferLookupKey = *t
	}
	if !create {
		return in
	}
	var ok bool
	if in.Currency, ok = p.String("currency"); !ok {
		p.Missing("currency")
	}
	if amount, ok := p.Int("unit_amount"); ok {
		in.UnitAmount = &amount
	} else {
		p.Missing("unit_amount")
	}
	in.ProductID, ok = p.String("product")
	if data, hasData := p.Object("product_data"); hasData {
		if ok {
			p.Fail("product_data", httpapi.Invalid("product_data", "parameters_exclusive",
				"You may only specify one of these parameters: product, product_data."))
		}
		pd := decodeProduct(data)
		if pd.Name == nil {
			data.Missing("name")
		}
		in.ProductData = &pd
	} else if !ok {
		p.Missing("product")
	}
	if rec, ok := p.Object("recurring"); ok {
		if in.Interval, ok = rec.String("interval"); !ok {
			rec.Missing("interval")
		}
		in.IntervalCount, _ = rec.Int("interval_count")
	}
	return in
}

func (a *API) createPrice(w http.ResponseWriter, r *http.Request) error {
	var in checkout.PriceParams
	var expand bool
	if err := decode(r, false, func(p *params) { in = decodePrice(p, true); expand = expandsProduct(p, "product") }); err != nil {
		return err
	}
	out, err := a.Checkout.PriceCreate(r.Context(), httpapi.Principal(r), in)
	return a.replyPrice(w, r, out, expand, err)
}

func (a *API) retrievePrice(w http.ResponseWriter, r *http.Request) error {
	var expand bool
	if err := decode(r, false, func(p *params) { expand = expandsProduct(p, "product") }); err != nil {
		return err
	}
	out, err := a.Checkout.PriceGet(r.Context(), httpapi.Principal(r), r.PathValue("id"))
	return a.replyPrice(w, r, out, expand, err)
}

func (a *API) updatePrice(w http.ResponseWriter, r *http.Request) error {
	var in checkout.PriceParams
	var expand bool
	if err := decode(r, false, func(p *params) { in = decodePrice(p, false); expand = expandsProduct(p, "product") }); err != nil {
		return err
	}
	out, err := a.Checkout.PriceUpdate(r.Context(), httpapi.Principal(r), r.PathValue("id"), in)
	return a.replyPrice(w, r, out, expand, err)
}

// replyPrice writes the price, its product expanded when asked, or returns err.
func (a *API) replyPrice(w http.ResponseWriter, r *http.Request, pr store.Price, expand bool, err error) error {
	if err != nil {
		return err
	}
	out := toPrice(pr)
	if expand {
		if out.Product, err = a.productOf(r, pr.ProductID); err != nil {
			return err
		}
	}
	return ok(w, out)
}

// productOf renders one of the principal's products.
func (a *API) productOf(r *http.Request, id string) (product, error) {
	prod, err := a.Checkout.ProductGet(r.Context(), httpapi.Principal(r), id)
	return toProduct(prod), err
}

func (a *API) listPrices(w http.ResponseWriter, r *http.Request) error {
	var in checkout.CatalogPage
	var expand bool
	if err := decode(r, false, func(p *params) {
		in = decodeCatalogPage(p)
		in.Filter.Active = boolParam(p, "active")
		in.Filter.ProductID, _ = p.String("product")
		in.Filter.Currency, _ = p.String("currency")
		in.Filter.LookupKeys, _ = p.Strings("lookup_keys")
		if len(in.Filter.LookupKeys) > 10 {
			p.Fail("lookup_keys", httpapi.Invalid("lookup_keys", "", "Invalid lookup_keys: at most 10 lookup keys may be given."))
		}
		if typ, ok := p.String("type"); ok {
			recurring := typ == "recurring"
			in.Filter.Recurring = &recurring
			if !recurring && typ != "one_time" {
				p.Fail("type", httpapi.Invalid("type", "", "Invalid type: %q. It must be one_time or recurring.", typ))
			}
		}
		expand = expandsProduct(p, "data.product")
	}); err != nil {
		return err
	}
	found, more, err := a.Checkout.PriceList(r.Context(), httpapi.Principal(r), in)
	if err != nil {
		return err
	}
	data := make([]price, len(found))
	for i, pr := range found {
		data[i] = toPrice(pr)
		if expand {
			if data[i].Product, err = a.productOf(r, pr.ProductID); err != nil {
				return err
			}
		}
	}
	return ok(w, newList("/v1/prices", data, more))
}
