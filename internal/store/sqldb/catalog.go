package sqldb

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/caisse/caisse/internal/store"
)

// The columns an update of each catalog object stores; the others (scope,
// id, created_at, and a price's product, currency and amount) never change.
var (
	productUpdated  = []string{"name", "description", "active", "metadata", "updated_at"}
	priceUpdated    = []string{"active", "lookup_key", "nickname", "metadata", "updated_at"}
	customerUpdated = []string{"email", "name", "phone", "description", "metadata", "updated_at"}
)

// createRow inserts row with query (t's insert RETURNING seq) and returns it with Seq set.
func createRow[T any](ctx context.Context, s *Store, t table[T], query string, row T, seq func(*T) *int64) (T, error) {
	args, err := t.args(s.Engine, &row)
	if err != nil {
		return row, err
	}
	if err := s.write(ctx).QueryRowContext(ctx, query, args...).Scan(seq(&row)); err != nil {
		return row, s.translate(err)
	}
	return row, nil
}

// getRow reads the scope's row id with query.
func getRow[T any](ctx context.Context, s *Store, t table[T], query string, scope store.Scope, id string) (T, error) {
	row, err := t.scan(s.read(ctx).QueryRowContext(ctx, query, scope.MerchantID, scope.Livemode, id))
	return row, s.translate(err)
}

// updateRow stores the named columns of row with query (t.update(names...)).
func updateRow[T any](ctx context.Context, s *Store, t table[T], query string, row T, names []string) (T, error) {
	args, err := t.updateArgs(s.Engine, &row, names...)
	if err != nil {
		return row, err
	}
	out, err := t.scan(s.write(ctx).QueryRowContext(ctx, query, args...))
	return out, s.translate(err)
}

// listRows reads a keyset page of the scope's rows of t that match f.
func listRows[T any](ctx context.Context, s *Store, t table[T], scope store.Scope, f store.CatalogFilter, k *store.Keyset) ([]T, error) {
	query, args := CatalogListSQL(s.Engine, t.name, t.list(), scope, f, k)
	list, err := queryAll(ctx, s, query, t.scan, args...)
	if k != nil && k.Newer {
		slices.Reverse(list)
	}
	return list, err
}

// CatalogListSQL builds a keyset page query over one of the catalog tables
// (products, prices, customers), limit included in args; f's fields that the
// table lacks must be zero.
func CatalogListSQL(e Engine, tableName, columns string, scope store.Scope, f store.CatalogFilter, k *store.Keyset) (string, []any) {
	conds := []string{"merchant_id = $1", "livemode = $2"}
	args := []any{scope.MerchantID, scope.Livemode}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if f.Active != nil {
		add("active = $%d", *f.Active)
	}
	if f.Recurring != nil {
		conds = append(conds, map[bool]string{true: "recurring_interval <> ''", false: "recurring_interval = ''"}[*f.Recurring])
	}
	for _, eq := range []struct{ col, v string }{{"product_id", f.ProductID}, {"currency", f.Currency}, {"email", f.Email}} {
		if eq.v != "" {
			add(eq.col+" = $%d", eq.v)
		}
	}
	if len(f.IDs) > 0 {
		conds = append(conds, "id IN ("+marks(&args, f.IDs)+")")
	}
	if len(f.LookupKeys) > 0 {
		conds = append(conds, "lookup_key IN ("+marks(&args, f.LookupKeys)+")")
	}
	if f.CreatedFrom != nil {
		add("created_at >= $%d", e.TimeArg(*f.CreatedFrom))
	}
	if f.CreatedBefore != nil {
		add("created_at < $%d", e.TimeArg(*f.CreatedBefore))
	}
	return keysetSQL(e, tableName, columns, strings.Join(conds, " AND "), args, k, f.Limit)
}

func productSeq(p *store.Product) *int64   { return &p.Seq }
func priceSeq(p *store.Price) *int64       { return &p.Seq }
func customerSeq(c *store.Customer) *int64 { return &c.Seq }

// ProductCreate inserts a product and returns it with Seq set.
func (s *Store) ProductCreate(ctx context.Context, p store.Product) (store.Product, error) {
	return createRow(ctx, s, productTable, s.Q.ProductInsert, p, productSeq)
}

// ProductGet reads one product of the scope.
func (s *Store) ProductGet(ctx context.Context, scope store.Scope, id string) (store.Product, error) {
	return getRow(ctx, s, productTable, s.Q.ProductGet, scope, id)
}

// ProductUpdate stores p's name, description, active, metadata and updated_at.
func (s *Store) ProductUpdate(ctx context.Context, p store.Product) (store.Product, error) {
	return updateRow(ctx, s, productTable, s.Q.ProductUpdate, p, productUpdated)
}

// ProductList returns a keyset page of the scope's matching products, newest first.
func (s *Store) ProductList(ctx context.Context, scope store.Scope, f store.CatalogFilter, k *store.Keyset) ([]store.Product, error) {
	return listRows(ctx, s, productTable, scope, f, k)
}

// PriceCreate inserts a price and returns it with Seq set.
func (s *Store) PriceCreate(ctx context.Context, p store.Price) (store.Price, error) {
	return createRow(ctx, s, priceTable, s.Q.PriceInsert, p, priceSeq)
}

// PriceGet reads one price of the scope.
func (s *Store) PriceGet(ctx context.Context, scope store.Scope, id string) (store.Price, error) {
	return getRow(ctx, s, priceTable, s.Q.PriceGet, scope, id)
}

// PriceUpdate stores p's active, lookup key, nickname, metadata and updated_at.
func (s *Store) PriceUpdate(ctx context.Context, p store.Price) (store.Price, error) {
	return updateRow(ctx, s, priceTable, s.Q.PriceUpdate, p, priceUpdated)
}

// PriceList returns a keyset page of the scope's matching prices, newest first.
func (s *Store) PriceList(ctx context.Context, scope store.Scope, f store.CatalogFilter, k *store.Keyset) ([]store.Price, error) {
	return listRows(ctx, s, priceTable, scope, f, k)
}

// CustomerCreate inserts a customer and returns it with Seq set.
func (s *Store) CustomerCreate(ctx context.Context, c store.Customer) (store.Customer, error) {
	return createRow(ctx, s, customerTable, s.Q.CustomerInsert, c, customerSeq)
}

// CustomerGet reads one customer of the scope.
func (s *Store) CustomerGet(ctx context.Context, scope store.Scope, id string) (store.Customer, error) {
	return getRow(ctx, s, customerTable, s.Q.CustomerGet, scope, id)
}

// CustomerUpdate stores c's email, name, phone, description, metadata and updated_at.
func (s *Store) CustomerUpdate(ctx context.Context, c store.Customer) (store.Customer, error) {
	return updateRow(ctx, s, customerTable, s.Q.CustomerUpdate, c, customerUpdated)
}

// CustomerDelete removes a customer.
func (s *Store) CustomerDelete(ctx context.Context, scope store.Scope, id string) error {
	n, err := s.exec(ctx, s.Q.CustomerDelete, scope.MerchantID, scope.Livemode, id)
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return err
}

// CustomerList returns a keyset page of the scope's matching customers, newest first.
func (s *Store) CustomerList(ctx context.Context, scope store.Scope, f store.CatalogFilter, k *store.Keyset) ([]store.Customer, error) {
	return listRows(ctx, s, customerTable, scope, f, k)
}
