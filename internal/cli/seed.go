package cli

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"time"

	"github.com/caisse/caisse/internal/bench"
	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/store"
)

func seed(ctx context.Context, args []string, env Env) error {
	var n int
	var merchantID, mode string
	define := func(fs *flag.FlagSet) {
		fs.IntVar(&n, "sessions", 0, "how many sessions to load (required)")
		fs.StringVar(&merchantID, "merchant", "", "the merchant that owns them (default: a new merchant)")
		fs.StringVar(&mode, "mode", "test", "test or live")
	}
	return withConfigStore(ctx, "seed", args, env, nil, define, func(cfg *config.Config, st store.Store) error {
		if n <= 0 || (mode != "test" && mode != "live") {
			return usageError{"--sessions must be positive and --mode test or live"}
		}
		var m store.Merchant
		if merchantID == "" {
			fee := merchant.DefaultFee
			c, err := (&merchant.Service{Store: st, Now: time.Now}).Create(ctx, "Seeded merchant", []string{"XOF"}, &fee)
			if err != nil {
				return err
			}
			m = c.Merchant
			fmt.Fprintf(env.Stdout, "merchant %s\ntest secret key: %s\nlive secret key: %s\n", m.ID, c.TestSecretKey, c.LiveSecretKey)
		} else {
			var err error
			if m, err = st.MerchantGet(ctx, merchantID); err != nil {
				return fmt.Errorf("merchant %s: %w", merchantID, err)
			}
		}
		o := bench.SeedOptions{Merchant: m, Livemode: mode == "live", Sessions: n, Progress: env.Stderr}
		if engine, _, err := config.ParseDatabaseURL(cfg.DatabaseURL); err == nil && engine == config.EnginePostgres {
			o.PostgresURL = cfg.DatabaseURL
		}
		res, err := bench.Seed(ctx, st, o)
		if err != nil {
			return err
		}
		statuses := make([]string, 0, len(res.ByStatus))
		for s := range res.ByStatus {
			statuses = append(statuses, string(s))
		}
		slices.Sort(statuses)
		fmt.Fprintf(env.Stdout, "seeded %d sessions of merchant %s (%s mode) in %s: %.0f sessions/s\n",
			res.Sessions, m.ID, mode, res.Elapsed.Round(time.Millisecond), res.Rate())
		for _, s := range statuses {
			fmt.Fprintf(env.Stdout, "  %-10s %d\n", s, res.ByStatus[store.Status(s)])
		}
		return nil
	})
}
