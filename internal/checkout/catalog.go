package checkout

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/money"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store"
)

// Product, Price and Customer are the merchant's catalog and customers as
// every dialect sees them before rendering.
type (
	Product  = store.Product
	Price    = store.Price
	Customer = store.Customer
)

// Limits on catalog objects (Stripe's).
const (
	MaxProductName   = 250
	MaxLookupKey     = 200
	MaxIntervalCount = 365 // days; a year of weeks or months is less
	MaxContact       = 256 // a customer's name or email
	MaxPhone         = 20
)

// Intervals are a recurring price's billing intervals.
var Intervals = []string{"day", "week", "month", "year"}

// MissingError means the caller named, by the path of its request, an object
// that its scope does not have: Stripe's 404 "No such <kind>".
type MissingError struct{ Kind, ID string }

func (e *MissingError) Error() string { return fmt.Sprintf("checkout: no such %s %q", e.Kind, e.ID) }

// missing turns the store's ErrNotFound into a MissingError about id.
func missing(kind, id string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return &MissingError{Kind: kind, ID: id}
	}
	return err
}

// CatalogPage selects a keyset page of products, prices or customers: those
// after StartingAfter (older) or before EndingBefore (newer).
type CatalogPage struct {
	Filter        store.CatalogFilter
	StartingAfter string
	EndingBefore  string
}

// page reads one keyset page through list, one row more than the limit to
// tell whether there is more; get reads a cursor's row.
func page[T any](ctx context.Context, kind string, in CatalogPage, get func(id string) (T, error),
	at func(T) (time.Time, int64), list func(store.CatalogFilter, *store.Keyset) ([]T, error)) ([]T, bool, error) {
	var k *store.Keyset
	for _, c := range []struct {
		param, id string
		newer     bool
	}{{"starting_after", in.StartingAfter, false}, {"ending_before", in.EndingBefore, true}} {
		if c.id == "" {
			continue
		}
		row, err := get(c.id)
		var miss *MissingError
		if errors.As(err, &miss) {
			return nil, false, Unknown(c.param, kind, c.id)
		}
		if err != nil {
			return nil, false, err
		}
		created, seq := at(row)
		k = &store.Keyset{CreatedAt: created, Seq: seq, Newer: c.newer}
	}
	f := in.Filter
	f.Limit++
	rows, err := list(f, k)
	if err != nil || len(rows) < f.Limit {
		return rows, false, err
	}
	if k != nil && k.Newer {
		return rows[1:], true, nil // a backward page's extra row is its oldest
	}
	return rows[:in.Filter.Limit], true, nil
}

// mergeMetadata is cur with set merged in (an empty value removes its key),
// after every key is removed when clear; it applies the metadata limits.
func mergeMetadata(cur, set map[string]string, clear bool) (map[string]string, error) {
	next := map[string]string{}
	if !clear {
		maps.Copy(next, cur)
	}
	for k, v := range set {
		if v == "" {
			delete(next, k)
		} else {
			next[k] = v
		}
	}
	return next, ValidateMetadata(next)
}

// MetadataChange is an update's metadata: Set merged in, after every key is
// removed when Clear.
type MetadataChange struct {
	Set   map[string]string
	Clear bool
}

// ProductParams is a product's fields as a create or update gives them; nil
// leaves a field as it is (or at its default on create).
type ProductParams struct {
	Name        *string
	Description *string
	Active      *bool
	Metadata    MetadataChange
}

// apply validates in and writes it over p.
func (in ProductParams) apply(p *Product, param string) error {
	if in.Name != nil {
		if strings.TrimSpace(*in.Name) == "" {
			return Invalid(param+"name", "must not be empty")
		}
		p.Name = *in.Name
	}
	if in.Description != nil {
		p.Description = *in.Description
	}
	if in.Active != nil {
		p.Active = *in.Active
	}
	if err := validateText(param+"name", p.Name, MaxProductName); err != nil {
		return err
	}
	if err := validateText(param+"description", p.Description, MaxItemName*2); err != nil {
		return err
	}
	var err error
	p.Metadata, err = mergeMetadata(p.Metadata, in.Metadata.Set, in.Metadata.Clear)
	return err
}

// newProduct builds a product from in for the principal; param prefixes the
// names of its fields in errors (product_data[…] when made inline).
func (s *Service) newProduct(p merchant.Principal, in ProductParams, param string) (Product, error) {
	now := s.now()
	out := Product{ID: randid.New("prod_"), Scope: p.Scope(), Active: true, CreatedAt: now, UpdatedAt: now}
	if in.Name == nil {
		return out, Invalid(param+"name", "is required")
	}
	return out, in.apply(&out, param)
}

// ProductCreate stores a new product.
func (s *Service) ProductCreate(ctx context.Context, p merchant.Principal, in ProductParams) (Product, error) {
	out, err := s.newProduct(p, in, "")
	if err != nil {
		return out, err
	}
	return s.Store.ProductCreate(ctx, out)
}

// ProductGet reads one of the principal's products.
func (s *Service) ProductGet(ctx context.Context, p merchant.Principal, id string) (Product, error) {
	if !Storable(id) {
		return Product{}, &MissingError{Kind: KindProduct, ID: id}
	}
	out, err := s.Store.ProductGet(ctx, p.Scope(), id)
	return out, missing(KindProduct, id, err)
}

// ProductUpdate changes the fields in gives of one of the principal's products.
func (s *Service) ProductUpdate(ctx context.Context, p merchant.Principal, id string, in ProductParams) (Product, error) {
	cur, err := s.ProductGet(ctx, p, id)
	if err != nil {
		return cur, err
	}
	if err := in.apply(&cur, ""); err != nil {
		return cur, err
	}
	cur.UpdatedAt = s.now()
	out, err := s.Store.ProductUpdate(ctx, cur)
	return out, missing(KindProduct, id, err)
}

// ProductList returns a keyset page of the principal's products, newest first.
func (s *Service) ProductList(ctx context.Context, p merchant.Principal, in CatalogPage) ([]Product, bool, error) {
	return page(ctx, KindProduct, in, func(id string) (Product, error) { return s.ProductGet(ctx, p, id) },
		func(v Product) (time.Time, int64) { return v.CreatedAt, v.Seq },
		func(f store.CatalogFilter, k *store.Keyset) ([]Product, error) {
			return s.Store.ProductList(ctx, p.Scope(), f, k)
		})
}

// PriceParams is a price as a create or update gives it. Only Active,
// LookupKey, Nickname and Metadata may change after creation.
type PriceParams struct {
	ProductID     string
	ProductData   *ProductParams // a new product, instead of ProductID
	Currency      string
	UnitAmount    *int64
	Interval      string
	IntervalCount int64
	Active        *bool
	LookupKey     *string
	Nickname      *string
	Metadata      MetadataChange
	// TransferLookupKey moves the lookup key from the price that has it.
	TransferLookupKey bool
}

// apply writes in's changeable fields over pr.
func (in PriceParams) apply(pr *Price) error {
	if in.Active != nil {
		pr.Active = *in.Active
	}
	if in.LookupKey != nil {
		pr.LookupKey = *in.LookupKey
	}
	if in.Nickname != nil {
		pr.Nickname = *in.Nickname
	}
	if err := validateText("lookup_key", pr.LookupKey, MaxLookupKey); err != nil {
		return err
	}
	if err := validateText("nickname", pr.Nickname, MaxProductName); err != nil {
		return err
	}
	var err error
	pr.Metadata, err = mergeMetadata(pr.Metadata, in.Metadata.Set, in.Metadata.Clear)
	return err
}

// PriceCreate stores a new price of an existing product of the principal's,
// or of a product made with it (ProductData), in one transaction.
func (s *Service) PriceCreate(ctx context.Context, p merchant.Principal, in PriceParams) (Price, error) {
	now := s.now()
	out := Price{ID: randid.New("price_"), Scope: p.Scope(), ProductID: in.ProductID, Active: true,
		Interval: in.Interval, IntervalCount: in.IntervalCount, CreatedAt: now, UpdatedAt: now}
	cur, err := money.ParseCurrency(in.Currency)
	if err != nil {
		return out, Invalid("currency", "must be an ISO 4217 currency code")
	}
	out.Currency = string(cur)
	switch {
	case in.UnitAmount == nil:
		return out, Invalid("unit_amount", "is required")
	case *in.UnitAmount < 0 || *in.UnitAmount > MaxAmount:
		return out, Invalid("unit_amount", "must be between 0 and %d", MaxAmount)
	}
	out.UnitAmount = *in.UnitAmount
	if out.Interval != "" {
		if !slices.Contains(Intervals, out.Interval) {
			return out, Invalid("recurring[interval]", "must be one of %v", Intervals)
		}
		out.IntervalCount = max(out.IntervalCount, 1)
		if out.IntervalCount > MaxIntervalCount {
			return out, Invalid("recurring[interval_count]", "must be between 1 and %d", MaxIntervalCount)
		}
	}
	if err := in.apply(&out); err != nil {
		return out, err
	}
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		ctx := store.WithTx(ctx, tx)
		if in.ProductData != nil {
			prod, err := s.newProduct(p, *in.ProductData, "product_data[")
			if err != nil {
				return err
			}
			if prod, err = s.Store.ProductCreate(ctx, prod); err != nil {
				return err
			}
			out.ProductID = prod.ID
		} else if _, err := s.Store.ProductGet(ctx, p.Scope(), in.ProductID); err != nil {
			return missingParam("product", KindProduct, in.ProductID, err)
		}
		if err := s.takeLookupKey(ctx, p, out, in.TransferLookupKey); err != nil {
			return err
		}
		out, err = s.Store.PriceCreate(ctx, out)
		return err
	})
	return out, err
}

// missingParam turns a not-found error (the store's ErrNotFound or a
// MissingError) about an object a parameter names into an InvalidError saying
// there is no such object.
func missingParam(field, kind, id string, err error) error {
	var miss *MissingError
	if errors.Is(err, store.ErrNotFound) || errors.As(err, &miss) {
		return Unknown(field, kind, id)
	}
	return err
}

// takeLookupKey frees pr's lookup key for it: when another of the scope's
// prices has it, it is moved from that price with transfer, else refused.
func (s *Service) takeLookupKey(ctx context.Context, p merchant.Principal, pr Price, transfer bool) error {
	if pr.LookupKey == "" {
		return nil
	}
	holders, err := s.Store.PriceList(ctx, p.Scope(), store.CatalogFilter{LookupKeys: []string{pr.LookupKey}, Limit: 1}, nil)
	if err != nil || len(holders) == 0 || holders[0].ID == pr.ID {
		return err
	}
	if !transfer {
		return Invalid("lookup_key", "a price (%s) already uses the lookup key %q; pass transfer_lookup_key=true to move it",
			holders[0].ID, pr.LookupKey)
	}
	old := holders[0]
	old.LookupKey, old.UpdatedAt = "", pr.UpdatedAt
	_, err = s.Store.PriceUpdate(ctx, old)
	return err
}

// PriceGet reads one of the principal's prices.
func (s *Service) PriceGet(ctx context.Context, p merchant.Principal, id string) (Price, error) {
	if !Storable(id) {
		return Price{}, &MissingError{Kind: KindPrice, ID: id}
	}
	out, err := s.Store.PriceGet(ctx, p.Scope(), id)
	return out, missing(KindPrice, id, err)
}

// PriceUpdate changes one of the principal's prices: active, lookup key,
// nickname and metadata.
func (s *Service) PriceUpdate(ctx context.Context, p merchant.Principal, id string, in PriceParams) (Price, error) {
	var out Price
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		ctx := store.WithTx(ctx, tx)
		cur, err := s.PriceGet(ctx, p, id)
		if err != nil {
			return err
		}
		if err := in.apply(&cur); err != nil {
			return err
		}
		cur.UpdatedAt = s.now()
		if err := s.takeLookupKey(ctx, p, cur, in.TransferLookupKey); err != nil {
			return err
		}
		out, err = s.Store.PriceUpdate(ctx, cur)
		return err
	})
	return out, err
}

// PriceList returns a keyset page of the principal's prices, newest first.
func (s *Service) PriceList(ctx context.Context, p merchant.Principal, in CatalogPage) ([]Price, bool, error) {
	if in.Filter.Currency != "" {
		cur, err := money.ParseCurrency(in.Filter.Currency)
		if err != nil {
			return nil, false, Invalid("currency", "must be an ISO 4217 currency code")
		}
		in.Filter.Currency = string(cur)
	}
	return page(ctx, KindPrice, in, func(id string) (Price, error) { return s.PriceGet(ctx, p, id) },
		func(v Price) (time.Time, int64) { return v.CreatedAt, v.Seq },
		func(f store.CatalogFilter, k *store.Keyset) ([]Price, error) {
			return s.Store.PriceList(ctx, p.Scope(), f, k)
		})
}

// CustomerParams is a customer's fields as a create or update gives them;
// nil leaves a field as it is.
type CustomerParams struct {
	Email, Name, Phone, Description *string
	Metadata                        MetadataChange
}

// apply validates in and writes it over c.
func (in CustomerParams) apply(c *Customer) error {
	for _, f := range []struct {
		param string
		v     *string
		to    *string
		max   int
	}{
		{"email", in.Email, &c.Email, MaxContact}, {"name", in.Name, &c.Name, MaxContact},
		{"phone", in.Phone, &c.Phone, MaxPhone}, {"description", in.Description, &c.Description, MaxItemName * 2},
	} {
		if f.v == nil {
			continue
		}
		if err := validateText(f.param, *f.v, f.max); err != nil {
			return err
		}
		*f.to = *f.v
	}
	if c.Email != "" && !validEmail(c.Email) {
		return &InvalidError{Field: "email", Reason: ReasonEmail, Message: "must be an email address"}
	}
	var err error
	c.Metadata, err = mergeMetadata(c.Metadata, in.Metadata.Set, in.Metadata.Clear)
	return err
}

// CustomerCreate stores a new customer.
func (s *Service) CustomerCreate(ctx context.Context, p merchant.Principal, in CustomerParams) (Customer, error) {
	now := s.now()
	out := Customer{ID: randid.New("cus_"), Scope: p.Scope(), CreatedAt: now, UpdatedAt: now}
	if err := in.apply(&out); err != nil {
		return out, err
	}
	return s.Store.CustomerCreate(ctx, out)
}

// CustomerGet reads one of the principal's customers.
func (s *Service) CustomerGet(ctx context.Context, p merchant.Principal, id string) (Customer, error) {
	if !Storable(id) {
		return Customer{}, &MissingError{Kind: KindCustomer, ID: id}
	}
	out, err := s.Store.CustomerGet(ctx, p.Scope(), id)
	return out, missing(KindCustomer, id, err)
}

// CustomerUpdate changes the fields in gives of one of the principal's customers.
func (s *Service) CustomerUpdate(ctx context.Context, p merchant.Principal, id string, in CustomerParams) (Customer, error) {
	cur, err := s.CustomerGet(ctx, p, id)
	if err != nil {
		return cur, err
	}
	if err := in.apply(&cur); err != nil {
		return cur, err
	}
	cur.UpdatedAt = s.now()
	out, err := s.Store.CustomerUpdate(ctx, cur)
	return out, missing(KindCustomer, id, err)
}

// CustomerDelete removes one of the principal's customers; sessions keep its id.
func (s *Service) CustomerDelete(ctx context.Context, p merchant.Principal, id string) error {
	if !Storable(id) {
		return &MissingError{Kind: KindCustomer, ID: id}
	}
	return missing(KindCustomer, id, s.Store.CustomerDelete(ctx, p.Scope(), id))
}

// CustomerList returns a keyset page of the principal's customers, newest first.
func (s *Service) CustomerList(ctx context.Context, p merchant.Principal, in CatalogPage) ([]Customer, bool, error) {
	return page(ctx, KindCustomer, in, func(id string) (Customer, error) { return s.CustomerGet(ctx, p, id) },
		func(v Customer) (time.Time, int64) { return v.CreatedAt, v.Seq },
		func(f store.CatalogFilter, k *store.Keyset) ([]Customer, error) {
			return s.Store.CustomerList(ctx, p.Scope(), f, k)
		})
}
