package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/caisse/caisse/internal/bench"
	"github.com/caisse/caisse/internal/config"
)

// defaultBenchPostgres is the PostgreSQL server bench makes its databases on
// when neither --database-url nor CAISSE_BENCH_DATABASE_URL names one.
const defaultBenchPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func benchCmd(ctx context.Context, args []string, env Env) error {
	fs := flags("bench", env)
	pgURL := env.Getenv("CAISSE_BENCH_DATABASE_URL")
	if pgURL == "" {
		pgURL = defaultBenchPostgres
	}
	var o bench.Options
	var engines, sqliteClients, write string
	var quick, asJSON bool
	var expiry, lists, webhooks int
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long each measurement runs")
	fs.BoolVar(&quick, "quick", false, "a smoke run: 2 s per measurement")
	fs.StringVar(&pgURL, "database-url", pgURL, "the PostgreSQL server's administrative database, where throw-away databases are made and dropped (CAISSE_BENCH_DATABASE_URL)")
	fs.StringVar(&engines, "engines", "postgres,sqlite", "the engines to measure")
	fs.StringVar(&sqliteClients, "sqlite-clients", "1,4,16", "the SQLite create measurements' client counts")
	fs.Float64Var(&o.OpenFraction, "open-fraction", 0.5, "the open model's rate, as a fraction of caisse's closed-model create throughput")
	fs.StringVar(&write, "write", "", "also write the report to this Markdown file (docs/benchmarks.md), keeping the run it held beside the new one")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON instead of Markdown")
	fs.IntVar(&expiry, "expiry", 10_000, "how many sessions the expiry measurements make due within --expiry-within (0: no expiry measurement)")
	fs.DurationVar(&o.ExpiryWindow, "expiry-within", time.Minute, "the time over which the expiry measurements' sessions fall due")
	fs.BoolVar(&o.ExpiryOnly, "expiry-only", false, "run the expiry measurements alone (with --lists-only or --webhooks-only: those together)")
	fs.IntVar(&lists, "lists", 1_000_000, "how many sessions of one merchant the list and search measurements seed (0: no list measurement)")
	fs.IntVar(&o.ListsClients, "lists-clients", 4, "the list and search measurements' client count")
	fs.BoolVar(&o.ListsOnly, "lists-only", false, "run the list and search measurements alone (with --expiry-only or --webhooks-only: those together)")
	fs.IntVar(&webhooks, "webhooks", 2000, "how many sessions the webhook measurements' burst creates and pays, four events each (0: no webhook measurement)")
	fs.BoolVar(&o.WebhooksOnly, "webhooks-only", false, "run the webhook measurements alone (with --expiry-only or --lists-only: those together)")
	fs.Func("note", "a line to add to the report's settings (repeatable): what was built, what else ran", func(v string) error {
		o.Notes = append(o.Notes, v)
		return nil
	})
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if quick {
		o.Duration = 2 * time.Second
		if !flagSet(fs, "expiry-within") {
			o.ExpiryWindow = 10 * time.Second
		}
		if !flagSet(fs, "expiry") {
			expiry = 1000
		}
		if !flagSet(fs, "lists") {
			lists = 100_000
		}
		if !flagSet(fs, "webhooks") {
			webhooks = 200
		}
	}
	if expiry < 0 || expiry > 10_000_000 || o.ExpiryWindow <= 0 || o.ExpiryWindow > time.Hour {
		return usageError{"--expiry must be between 0 and 10000000, --expiry-within between 0 and 1h"}
	}
	o.Expiry = expiry
	if expiry == 0 {
		o.Expiry = -1 // none
	}
	if lists < 0 || lists > 100_000_000 || o.ListsClients < 1 || o.ListsClients > 1000 {
		return usageError{"--lists must be between 0 and 100000000, --lists-clients between 1 and 1000"}
	}
	o.Lists = lists
	if lists == 0 {
		o.Lists = -1 // none
	}
	if webhooks < 0 || webhooks > 1_000_000 {
		return usageError{"--webhooks must be between 0 and 1000000"}
	}
	o.Webhooks = webhooks
	if webhooks == 0 {
		o.Webhooks = -1 // none
	}
	if o.Duration <= 0 || o.Duration > time.Hour {
		return usageError{"--duration must be between 0 and 1h"}
	}
	for _, n := range strings.Split(sqliteClients, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil || c < 1 || c > 1000 {
			return usageError{"--sqlite-clients must be a comma-separated list of client counts"}
		}
		o.SQLiteClients = append(o.SQLiteClients, c)
	}
	o.Engines = strings.Split(engines, ",")
	o.PostgresURL = pgURL
	o.Progress = env.Stderr
	o.Command = "caisse bench " + strings.Join(redactArgs(args), " ")
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	o.Executable = exe
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	} else {
		err = r.Markdown(env.Stdout)
	}
	if err != nil {
		return err
	}
	if write != "" {
		return bench.WriteDoc(write, r)
	}
	return nil
}

// redactArgs hides a password in a --database-url argument of the command
// line the report shows, and quotes an argument with spaces as a shell would need.
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	defer func() {
		for i, a := range out {
			if strings.ContainsAny(a, " \t'\"") {
				out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
			}
		}
	}()
	for i, a := range args {
		out[i] = a
		if v, ok := strings.CutPrefix(a, "--database-url="); ok {
			out[i] = "--database-url=" + redactURL(v)
		} else if i > 0 && (args[i-1] == "--database-url" || args[i-1] == "-database-url") {
			out[i] = redactURL(a)
		}
	}
	return out
}

func redactURL(raw string) string {
	if strings.Contains(raw, "://") {
		return config.Redact(raw)
	}
	return raw
}

// flagSet reports whether the command line set the flag called name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
