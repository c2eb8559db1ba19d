package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store"
)

// catalogCases are the cases of products, prices and customers.
func catalogCases() map[string]func(*testing.T, store.Store) {
	return map[string]func(*testing.T, store.Store){
		"Products":  testProducts,
		"Prices":    testPrices,
		"Customers": testCustomers,
	}
}

// ids are the ids of a list, in its order.
func ids[T any](list []T, id func(T) string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = id(v)
	}
	return out
}

// testProducts: a product round-trips every field in its scope only; an
// update changes only name, description, active, metadata and updated_at;
// lists filter on active and ids and page by keyset.
func testProducts(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID, Livemode: false}
	t0 := now().In(wat)
	in := store.Product{ID: randid.New("prod_"), Scope: scope, Name: "Attiéké", Description: "Un plat",
		Active: true, Metadata: map[string]string{"sku": "A1"}, CreatedAt: t0, UpdatedAt: t0}
	made, err := s.ProductCreate(ctx, in)
	must(t, err)
	want := in
	want.Seq, want.CreatedAt, want.UpdatedAt = made.Seq, t0.UTC(), t0.UTC()
	got, err := s.ProductGet(ctx, scope, in.ID)
	must(t, err)
	same(t, "ProductGet", got, want)
	for _, other := range otherScopes(t, s, scope) {
		_, err := s.ProductGet(ctx, other, in.ID)
		wantErr(t, err, store.ErrNotFound)
		upd := in
		upd.Scope = other
		_, err = s.ProductUpdate(ctx, upd)
		wantErr(t, err, store.ErrNotFound)
	}

	upd := want
	upd.Name, upd.Description, upd.Active, upd.Metadata = "Alloco", "", false, map[string]string{}
	upd.UpdatedAt = t0.Add(time.Hour).UTC()
	upd.CreatedAt = t0.Add(-time.Hour) // not stored
	want.Name, want.Description, want.Active, want.Metadata, want.UpdatedAt = upd.Name, upd.Description, false, upd.Metadata, upd.UpdatedAt
	got, err = s.ProductUpdate(ctx, upd)
	must(t, err)
	same(t, "ProductUpdate", got, want)

	var made2 []store.Product
	for i := range 3 {
		p := in
		p.ID, p.CreatedAt = randid.New("prod_"), t0.Add(time.Duration(i+1)*time.Minute)
		p2, err := s.ProductCreate(ctx, p)
		must(t, err)
		made2 = append(made2, p2)
	}
	active := true
	list, err := s.ProductList(ctx, scope, store.CatalogFilter{Active: &active, Limit: 10}, nil)
	must(t, err)
	same(t, "active products, newest first", ids(list, productID), []string{made2[2].ID, made2[1].ID, made2[0].ID})
	inactive := false
	list, err = s.ProductList(ctx, scope, store.CatalogFilter{Active: &inactive, Limit: 10}, nil)
	must(t, err)
	same(t, "inactive products", ids(list, productID), []string{in.ID})
	list, err = s.ProductList(ctx, scope, store.CatalogFilter{IDs: []string{in.ID, made2[1].ID}, Limit: 10}, nil)
	must(t, err)
	same(t, "products by id", ids(list, productID), []string{made2[1].ID, in.ID})
	k := &store.Keyset{CreatedAt: made2[1].CreatedAt, Seq: made2[1].Seq}
	list, err = s.ProductList(ctx, scope, store.CatalogFilter{Limit: 10}, k)
	must(t, err)
	same(t, "products after the second", ids(list, productID), []string{made2[0].ID, in.ID})
	k.Newer = true
	list, err = s.ProductList(ctx, scope, store.CatalogFilter{Limit: 10}, k)
	must(t, err)
	same(t, "products before the second", ids(list, productID), []string{made2[2].ID})
}

func productID(p store.Product) string   { return p.ID }
func priceID(p store.Price) string       { return p.ID }
func customerID(c store.Customer) string { return c.ID }

// testPrices: a price round-trips every field (an empty lookup key too) in
// its scope only; lookup keys are unique within a scope but not across
// scopes; an update changes only active, lookup key, nickname, metadata and
// updated_at; lists filter on product, currency, active and lookup keys.
func testPrices(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID, Livemode: true}
	t0 := now().In(wat)
	prod, err := s.ProductCreate(ctx, store.Product{ID: randid.New("prod_"), Scope: scope, Name: "Pagne", Active: true, CreatedAt: t0, UpdatedAt: t0})
	must(t, err)
	in := store.Price{ID: randid.New("price_"), Scope: scope, ProductID: prod.ID, Active: true, Currency: "XOF",
		UnitAmount: 15000, LookupKey: "pagne_std", Nickname: "standard", Interval: "month", IntervalCount: 3,
		Metadata: map[string]string{"a": "b"}, CreatedAt: t0, UpdatedAt: t0}
	made, err := s.PriceCreate(ctx, in)
	must(t, err)
	want := in
	want.Seq, want.CreatedAt, want.UpdatedAt = made.Seq, t0.UTC(), t0.UTC()
	got, err := s.PriceGet(ctx, scope, in.ID)
	must(t, err)
	same(t, "PriceGet", got, want)

	dup := in
	dup.ID = randid.New("price_")
	_, err = s.PriceCreate(ctx, dup)
	wantErr(t, err, store.ErrConflict)
	plain := in
	plain.ID, plain.LookupKey, plain.Interval, plain.IntervalCount, plain.Currency = randid.New("price_"), "", "", 0, "XAF"
	plain.CreatedAt = t0.Add(time.Minute)
	plainMade, err := s.PriceCreate(ctx, plain)
	must(t, err)
	got, err = s.PriceGet(ctx, scope, plain.ID)
	must(t, err)
	if got.LookupKey != "" || got.Interval != "" || got.Seq != plainMade.Seq {
		t.Errorf("price without lookup key read back as %+v", got)
	}
	plain2 := plain
	plain2.ID = randid.New("price_")
	plain2.CreatedAt = t0.Add(2 * time.Minute)
	_, err = s.PriceCreate(ctx, plain2) // two prices without a lookup key do not conflict
	must(t, err)

	for _, other := range otherScopes(t, s, scope) {
		_, err := s.PriceGet(ctx, other, in.ID)
		wantErr(t, err, store.ErrNotFound)
		upd := in
		upd.Scope = other
		_, err = s.PriceUpdate(ctx, upd)
		wantErr(t, err, store.ErrNotFound)
	}

	upd := want
	upd.Active, upd.LookupKey, upd.Nickname, upd.Metadata = false, "", "old", map[string]string{}
	upd.UnitAmount, upd.Currency, upd.ProductID = 1, "EUR", "prod_other" // not stored
	upd.UpdatedAt = t0.Add(time.Hour).UTC()
	want.Active, want.LookupKey, want.Nickname, want.Metadata, want.UpdatedAt = false, "", "old", upd.Metadata, upd.UpdatedAt
	got, err = s.PriceUpdate(ctx, upd)
	must(t, err)
	same(t, "PriceUpdate", got, want)
	taken := want
	taken.LookupKey = "pagne_std"
	_, err = s.PriceUpdate(ctx, taken) // free again: the update released it
	must(t, err)
	again := plain
	again.LookupKey = "pagne_std"
	_, err = s.PriceUpdate(ctx, again)
	wantErr(t, err, store.ErrConflict)

	active := true
	for _, c := range []struct {
		name string
		f    store.CatalogFilter
		want []string
	}{
		{"by product", store.CatalogFilter{ProductID: prod.ID}, []string{plain2.ID, plain.ID, in.ID}},
		{"by other product", store.CatalogFilter{ProductID: "prod_none"}, []string{}},
		{"by currency", store.CatalogFilter{Currency: "XAF"}, []string{plain2.ID, plain.ID}},
		{"active", store.CatalogFilter{Active: &active}, []string{plain2.ID, plain.ID}},
		{"by lookup key", store.CatalogFilter{LookupKeys: []string{"pagne_std", "none"}}, []string{in.ID}},
	} {
		c.f.Limit = 10
		list, err := s.PriceList(ctx, scope, c.f, nil)
		must(t, err)
		same(t, c.name, ids(list, priceID), c.want)
	}
}

// testCustomers: a customer round-trips every field in its scope only; an
// update changes its contact fields, metadata and updated_at; delete removes
// it once; lists filter on email.
func testCustomers(t *testing.T, s store.Store) {
	ctx := context.Background()
	scope := store.Scope{MerchantID: newMerchant(t, s).ID, Livemode: false}
	t0 := now().In(wat)
	in := store.Customer{ID: randid.New("cus_"), Scope: scope, Email: "awa@example.com", Name: "Awa", Phone: "+2250707000001",
		Description: "VIP", Metadata: map[string]string{"k": "v"}, CreatedAt: t0, UpdatedAt: t0}
	made, err := s.CustomerCreate(ctx, in)
	must(t, err)
	want := in
	want.Seq, want.CreatedAt, want.UpdatedAt = made.Seq, t0.UTC(), t0.UTC()
	got, err := s.CustomerGet(ctx, scope, in.ID)
	must(t, err)
	same(t, "CustomerGet", got, want)
	second := in
	second.ID, second.Email, second.CreatedAt = randid.New("cus_"), "kofi@example.com", t0.Add(time.Minute)
	_, err = s.CustomerCreate(ctx, second)
	must(t, err)
	for _, other := range otherScopes(t, s, scope) {
		_, err := s.CustomerGet(ctx, other, in.ID)
		wantErr(t, err, store.ErrNotFound)
		upd := in
		upd.Scope = other
		_, err = s.CustomerUpdate(ctx, upd)
		wantErr(t, err, store.ErrNotFound)
		wantErr(t, s.CustomerDelete(ctx, other, in.ID), store.ErrNotFound)
	}
	upd := want
	upd.Email, upd.Name, upd.Phone, upd.Description, upd.Metadata = "awa@shop.example", "Awa K.", "", "", map[string]string{}
	upd.UpdatedAt = t0.Add(time.Hour).UTC()
	upd.CreatedAt = t0.Add(-time.Hour) // not stored
	want.Email, want.Name, want.Phone, want.Description, want.Metadata, want.UpdatedAt = upd.Email, upd.Name, "", "", upd.Metadata, upd.UpdatedAt
	got, err = s.CustomerUpdate(ctx, upd)
	must(t, err)
	same(t, "CustomerUpdate", got, want)

	list, err := s.CustomerList(ctx, scope, store.CatalogFilter{Email: "awa@shop.example", Limit: 10}, nil)
	must(t, err)
	same(t, "customers by email", ids(list, customerID), []string{in.ID})
	list, err = s.CustomerList(ctx, scope, store.CatalogFilter{Limit: 10}, nil)
	must(t, err)
	same(t, "customers, newest first", ids(list, customerID), []string{second.ID, in.ID})

	must(t, s.CustomerDelete(ctx, scope, in.ID))
	_, err = s.CustomerGet(ctx, scope, in.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.CustomerDelete(ctx, scope, in.ID), store.ErrNotFound)
}
