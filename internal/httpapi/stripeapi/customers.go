package stripeapi

import (
	"net/http"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/httpapi"
	"github.com/caisse/caisse/internal/store"
)

// customer is Stripe's customer object: the fields caisse keeps, null, zero
// or empty for the rest.
type customer struct {
	ID                  string            `json:"id"`
	Object              string            `json:"object"`
	Address             *struct{}         `json:"address"`
	Balance             int64             `json:"balance"`
	Created             int64             `json:"created"`
	Currency            *string           `json:"currency"`
	DefaultSource       *string           `json:"default_source"`
	Delinquent          bool              `json:"delinquent"`
	Description         *string           `json:"description"`
	Email               *string           `json:"email"`
	InvoicePrefix       *string           `json:"invoice_prefix"`
	InvoiceSettings     invoiceSettings   `json:"invoice_settings"`
	Livemode            bool              `json:"livemode"`
	Metadata            map[string]string `json:"metadata"`
	Name                *string           `json:"name"`
	NextInvoiceSequence int64             `json:"next_invoice_sequence"`
	Phone               *string           `json:"phone"`
	PreferredLocales    []string          `json:"preferred_locales"`
	Shipping            *struct{}         `json:"shipping"`
	TaxExempt           string            `json:"tax_exempt"`
	TestClock           *string           `json:"test_clock"`
}

type invoiceSettings struct {
	CustomFields         *[]struct{} `json:"custom_fields"`
	DefaultPaymentMethod *string     `json:"default_payment_method"`
	Footer               *string     `json:"footer"`
	RenderingOptions     *struct{}   `json:"rendering_options"`
}

func toCustomer(c store.Customer) customer {
	return customer{ID: c.ID, Object: "customer", Created: c.CreatedAt.Unix(), Description: orNull(c.Description),
		Email: orNull(c.Email), Livemode: c.Livemode, Metadata: orEmpty(c.Metadata), Name: orNull(c.Name),
		NextInvoiceSequence: 1, Phone: orNull(c.Phone), PreferredLocales: []string{}, TaxExempt: "none"}
}

// deleted is Stripe's answer to a delete.
type deleted struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

func decodeCustomer(p *params) checkout.CustomerParams {
	return checkout.CustomerParams{Email: optString(p, "email"), Name: optString(p, "name"), Phone: optString(p, "phone"),
		Description: optString(p, "description"), Metadata: decodeMetadata(p)}
}

func (a *API) createCustomer(w http.ResponseWriter, r *http.Request) error {
	var in checkout.CustomerParams
	if err := decode(r, false, func(p *params) { in = decodeCustomer(p) }); err != nil {
		return err
	}
	out, err := a.Checkout.CustomerCreate(r.Context(), httpapi.Principal(r), in)
	return replyWith(w, out, err, toCustomer)
}

func (a *API) retrieveCustomer(w http.ResponseWriter, r *http.Request) error {
	if err := decode(r, false, func(*params) {}); err != nil {
		return err
	}
	out, err := a.Checkout.CustomerGet(r.Context(), httpapi.Principal(r), r.PathValue("id"))
	return replyWith(w, out, err, toCustomer)
}

func (a *API) updateCustomer(w http.ResponseWriter, r *http.Request) error {
	var in checkout.CustomerParams
	if err := decode(r, false, func(p *params) { in = decodeCustomer(p) }); err != nil {
		return err
	}
	out, err := a.Checkout.CustomerUpdate(r.Context(), httpapi.Principal(r), r.PathValue("id"), in)
	return replyWith(w, out, err, toCustomer)
}

func (a *API) deleteCustomer(w http.ResponseWriter, r *http.Request) error {
	if err := decode(r, false, func(*params) {}); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := a.Checkout.CustomerDelete(r.Context(), httpapi.Principal(r), id); err != nil {
		return err
	}
	return ok(w, deleted{ID: id, Object: "customer", Deleted: true})
}

func (a *API) listCustomers(w http.ResponseWriter, r *http.Request) error {
	var in checkout.CatalogPage
	if err := decode(r, false, func(p *params) {
		in = decodeCatalogPage(p)
		in.Filter.Email, _ = p.String("email")
	}); err != nil {
		return err
	}
	found, more, err := a.Checkout.CustomerList(r.Context(), httpapi.Principal(r), in)
	return replyList(w, "/v1/customers", found, more, err, toCustomer)
}
