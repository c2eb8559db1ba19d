package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/store/sqldb"
)

// SeedOptions are what Seed loads.
type SeedOptions struct {
	// Merchant owns the sessions; they are in its currencies and carry its fee.
	Merchant store.Merchant
	// Livemode puts the sessions in live mode instead of test mode.
	Livemode bool
	// Sessions is how many sessions to load.
	Sessions int
	// PostgresURL, when set, is the store's PostgreSQL database: the rows go
	// in by COPY on a connection of their own. Empty: the store is SQLite and
	// the rows go in batched transactions of its own (prepared INSERTs).
	PostgresURL string
	// Progress receives a progress line, rewritten in place a few times a
	// second; nil for none.
	Progress io.Writer
	// Now is the end of the 90 days the sessions were created over (default time.Now).
	Now time.Time
	// Seed makes the sessions reproducible (0: random).
	Seed uint64
	// Due, when set, makes every session created (awaiting payment) and due
	// in the DueWithin after Due, their deadlines evenly spread, in order:
	// sessions for measuring expiry.
	Due       time.Time
	DueWithin time.Duration
}

// SeedResult is what Seed loaded.
type SeedResult struct {
	// Sessions is how many sessions were written.
	Sessions int
	// ByStatus counts them by status.
	ByStatus map[store.Status]int
	// Elapsed is how long it took.
	Elapsed time.Duration
}

// Rate is the sessions written per second.
func (r SeedResult) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Sessions) / r.Elapsed.Seconds()
}

// SeedBatch is how many sessions a SQLite transaction of Seed holds.
const SeedBatch = 5000

// Seed loads o.Sessions realistic sessions of one merchant into st: created
// over the 90 days before o.Now in order (seq follows created_at), mostly
// completed or expired, the unfinished ones only among the last half hour's;
// amounts from a few hundred to a few hundred thousand minor units; two in
// three mobile-money sessions (phone, payment id, description; a channel once
// paid) and one in three Stripe-style ones (line items, customer email, URLs).
func Seed(ctx context.Context, st store.Store, o SeedOptions) (SeedResult, error) {
	if o.Sessions <= 0 {
		return SeedResult{}, fmt.Errorf("seed: --sessions must be positive")
	}
	if len(o.Merchant.Currencies) == 0 {
		return SeedResult{}, fmt.Errorf("seed: merchant %s has no currency", o.Merchant.ID)
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Seed == 0 {
		o.Seed = rand.Uint64()
	}
	g := &generator{o: o, r: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)),
		res: SeedResult{ByStatus: map[store.Status]int{}}, start: time.Now()}
	rows, ok := st.(sessionRows)
	if !ok {
		return SeedResult{}, fmt.Errorf("seed: %T does not give sessions' column values", st)
	}
	var err error
	if o.PostgresURL != "" {
		err = g.copyPG(ctx, rows)
	} else {
		err = g.batches(ctx, st, rows)
	}
	g.res.Elapsed = time.Since(g.start)
	g.report(true)
	return g.res, err
}

type generator struct {
	o         SeedOptions
	r         *rand.Rand
	i         int
	res       SeedResult
	start     time.Time
	lastPrint time.Time
}

// report rewrites the progress line, at most four times a second unless final.
func (g *generator) report(final bool) {
	if g.o.Progress == nil || (!final && time.Since(g.lastPrint) < 250*time.Millisecond) {
		return
	}
	g.lastPrint = time.Now()
	rate := float64(g.res.Sessions) / max(time.Since(g.start).Seconds(), 1e-9)
	width := 30
	done := width * g.res.Sessions / g.o.Sessions
	fmt.Fprintf(g.o.Progress, "\r[%s%s] %s / %s sessions, %s/s ", strings.Repeat("#", done), strings.Repeat(".", width-done),
		thousands(int64(g.res.Sessions)), thousands(int64(g.o.Sessions)), thousands(int64(rate)))
	if final {
		fmt.Fprintln(g.o.Progress)
	}
}

// sessionRows is a store that gives a session's values for the columns
// sqldb.SessionWritten names, as it stores them (sqldb.Store.SessionArgs).
type sessionRows interface {
	SessionArgs(s *store.Session) ([]any, error)
}

// batches writes the sessions through the store's transactions, SeedBatch
// to a transaction, with one prepared INSERT of sqldb.SessionWritten each.
func (g *generator) batches(ctx context.Context, st store.Store, rows sessionRows) error {
	cols := sqldb.SessionWritten
	insert := "INSERT INTO sessions (" + strings.Join(cols, ", ") + ") VALUES (" +
		strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for g.i < g.o.Sessions {
		n := min(SeedBatch, g.o.Sessions-g.i)
		counts := map[store.Status]int{}
		err := st.InTx(ctx, func(tx store.Tx) error {
			sqlTx, err := tx.SQL(ctx)
			if err != nil {
				return err
			}
			stmt, err := sqlTx.PrepareContext(ctx, insert)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for range n {
				s := g.next()
				row, err := rows.SessionArgs(&s)
				if err != nil {
					return err
				}
				if _, err := stmt.ExecContext(ctx, row...); err != nil {
					return err
				}
				counts[s.Status]++
			}
			return nil
		})
		if err != nil {
			return err
		}
		for k, v := range counts {
			g.res.ByStatus[k] += v
		}
		g.res.Sessions += n
		g.report(false)
	}
	return nil
}

// copyPG writes the sessions with one COPY into sessions, of the columns
// sqldb.SessionWritten names (all but seq, which the database fills).
func (g *generator) copyPG(ctx context.Context, rows sessionRows) error {
	conn, err := pgx.Connect(ctx, g.o.PostgresURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var rowErr error
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if g.i >= g.o.Sessions || rowErr != nil {
			return nil, rowErr
		}
		s := g.next()
		row, err := rows.SessionArgs(&s)
		if err != nil {
			rowErr = err
			return nil, err
		}
		g.res.ByStatus[s.Status]++
		g.res.Sessions++
		g.report(false)
		return row, nil
	})
	n, err := conn.CopyFrom(ctx, pgx.Identifier{"sessions"}, sqldb.SessionWritten, src)
	if err != nil {
		g.res.Sessions, g.res.ByStatus = 0, map[store.Status]int{}
		return err
	}
	if int(n) != g.res.Sessions {
		return fmt.Errorf("seed: COPY wrote %d rows of %d", n, g.res.Sessions)
	}
	return nil
}

var (
	channels      = []string{"orange_money", "orange_money", "orange_money", "mtn_momo", "mtn_momo", "wave", "wave", "moov_money"}
	phonePrefixes = []string{"07", "05", "01"}
	products      = []string{"Attiéké", "Garba", "Alloco", "Pagne wax", "Crédit téléphone", "Forfait internet", "Savon", "Riz 25 kg", "Huile 5 L", "Cahier"}
	reasons       = []string{"generic_decline", "generic_decline", "operator_refused"}
)

// amount is a price in minor units: half under 5 000, a third under 50 000,
// the rest up to 500 000, in steps of 50.
func (g *generator) amount() int64 {
	var lo, hi int64
	switch p := g.r.IntN(100); {
	case p < 50:
		lo, hi = 500, 5_000
	case p < 85:
		lo, hi = 5_000, 50_000
	default:
		lo, hi = 50_000, 500_000
	}
	return (lo + g.r.Int64N(hi-lo)) / 50 * 50
}

// next is the next session, created after the previous one.
func (g *generator) next() store.Session {
	o, r := g.o, g.r
	i := g.i
	g.i++
	const span = 90 * 24 * time.Hour
	step := span / time.Duration(o.Sessions)
	created := o.Now.Add(-span + time.Duration(i)*step + time.Duration(r.Int64N(int64(max(step, 1))))).UTC().Truncate(time.Microsecond)
	prefix := "cs_test_"
	if o.Livemode {
		prefix = "cs_live_"
	}
	s := store.Session{
		ID:        prefix + randid.String(24),
		Scope:     store.Scope{MerchantID: o.Merchant.ID, Livemode: o.Livemode},
		Currency:  o.Merchant.Currencies[0],
		CreatedAt: created,
		UpdatedAt: created,
		ExpiresAt: created.Add(30 * time.Minute),
	}
	if len(o.Merchant.Currencies) > 1 && r.IntN(4) == 0 {
		s.Currency = o.Merchant.Currencies[1+r.IntN(len(o.Merchant.Currencies)-1)]
	}
	customer := r.IntN(max(o.Sessions/4, 1))
	if r.IntN(3) < 2 { // mobile money
		s.Amount = g.amount()
		s.UserPhone = "+225" + phonePrefixes[customer%len(phonePrefixes)] + fmt.Sprintf("%08d", (customer*7919+13)%100_000_000)
		s.PaymentID = "ORDER_" + strconv.Itoa(100_000+i)
		s.Description = "Commande " + strconv.Itoa(100_000+i)
		if r.IntN(5) == 0 {
			s.CustomerID = "cus_" + strconv.Itoa(customer)
		}
		if r.IntN(3) == 0 {
			s.Metadata = map[string]string{"order_id": strconv.Itoa(100_000 + i), "source": "app"}
		}
	} else { // Stripe-style, with line items
		for n := 1 + r.IntN(3); n > 0; n-- {
			unit := g.amount()/10/50*50 + 50
			qty := 1 + r.Int64N(3)
			suffix := randid.String(24)
			s.LineItems = append(s.LineItems, store.LineItem{ID: "li_" + suffix, PriceID: "price_" + suffix, ProductID: "prod_" + suffix,
				Name: products[r.IntN(len(products))], UnitAmount: unit, Quantity: qty})
			s.Amount += unit * qty
		}
		s.CustomerEmail = "client" + strconv.Itoa(customer) + "@example.com"
		s.SuccessURL = "https://shop.example/ok"
		s.CancelURL = "https://shop.example/cart"
		s.Locale = "fr"
		if r.IntN(2) == 0 {
			s.UserPhone = "+225" + phonePrefixes[customer%len(phonePrefixes)] + fmt.Sprintf("%08d", (customer*7919+13)%100_000_000)
		}
	}
	s.TransactionFee = merchant.Fee(o.Merchant.Fee, s.Amount)
	recent := o.Now.Sub(created) < 30*time.Minute
	switch p := r.IntN(100); {
	case recent && p < 40:
		s.Status = "created"
	case recent && p < 50:
		s.Status, s.Channel = "pending", channels[r.IntN(len(channels))]
	case p < 62 || recent:
		s.Status, s.Channel = "completed", channels[r.IntN(len(channels))]
		done := created.Add(time.Duration(20+r.IntN(280)) * time.Second)
		s.CompletedAt, s.UpdatedAt = &done, done
	case p < 88:
		s.Status, s.UpdatedAt = "expired", s.ExpiresAt
	case p < 96:
		s.Status, s.Channel = "failed", channels[r.IntN(len(channels))]
		s.FailureReason = reasons[r.IntN(len(reasons))]
		s.UpdatedAt = created.Add(time.Duration(10+r.IntN(200)) * time.Second)
	default:
		s.Status, s.UpdatedAt = "cancelled", created.Add(time.Duration(1+r.IntN(600))*time.Second)
	}
	if !o.Due.IsZero() {
		s.ExpiresAt = o.Due.Add(time.Duration(i) * o.DueWithin / time.Duration(o.Sessions)).UTC().Truncate(time.Microsecond)
		s.CreatedAt = s.ExpiresAt.Add(-30 * time.Minute)
		s.Status, s.UpdatedAt, s.Channel, s.FailureReason, s.CompletedAt = "created", s.CreatedAt, "", "", nil
	}
	if s.Status == "completed" && s.CompletedAt.After(o.Now) {
		now := o.Now.UTC().Truncate(time.Microsecond)
		s.CompletedAt, s.UpdatedAt = &now, now
	}
	return s
}
