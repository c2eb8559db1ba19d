// Package cli is caisse's command line: serve, migrate, merchants and keys.
// It parses flags and prints results; the work is done by server and merchant.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/server"
	"github.com/caisse/caisse/internal/store"
)

const usage = `caisse — a self-hosted checkout-sessions server

Usage:
  caisse serve    [--addr ADDR] [--database-url URL] [--public-url URL] [--rate-limit N]
                  [--operator-url URL] [--operator-name NAME] [--operator-timeout 10s]
                  [--idempotency-takeover 5m] [--request-timeout 5s] [--write-timeout 30s]
                  [--max-connections 1000] [--auth-failure-rate 10] [--trusted-proxies CIDRS]
                  [--secret-key-file PATH] [--webhook-private-test-targets=false] [--webhook-workers 100]
                  [--debug-addr ADDR] [--log-format json|text] [--log-level info]
  caisse dev      [--addr 127.0.0.1:8080] [--database-url URL] [--test-delay 0s] [--public-url URL] [--debug-addr ADDR]
                  [--rate-limit N] [--log-format json|text] [--log-level info]
  caisse listen   --forward-to URL [--events TYPE,…] [--api-url URL] [--api-key KEY]
  caisse trigger  EVENT [--api-url URL] [--api-key KEY]
  caisse migrate  [--database-url URL]
  caisse merchants create --name NAME [--currencies XOF,XAF] [--fee-bps 50] [--fee-fixed 0]
                          [--fee-min 0] [--fee-max 0] [--json | --print id|test-key|live-key]
  caisse merchants update --merchant ID [--name NAME] [--currencies XOF,USD] [--fee-bps N] [--fee-fixed N]
                          [--fee-min N] [--fee-max N] [--json]
  caisse keys create --merchant ID --mode test|live [--json]
  caisse keys list   --merchant ID [--json]
  caisse keys revoke --key KEY_ID
  caisse connectors set    --merchant ID --mode test|live --channel CHANNEL --kind KIND
                           --base-url URL [--credential NAME=VALUE|NAME=@FILE ...] [--json]
  caisse connectors list   --merchant ID [--json]
  caisse connectors delete --merchant ID --mode test|live --channel CHANNEL
  caisse reconcile [--merchant ID] [--since 24h|RFC3339] [--json]
  caisse fake-operator [--kind http|mtn_momo|orange_money|wave] [--addr 127.0.0.1:9099] [--secret S]
                       [--delay 1s] [--stall 15s] [--public-url URL] [--webhook-url URL] [--webhook-secret S]
  caisse bench [--duration 10s] [--quick] [--database-url POSTGRES_URL] [--engines postgres,sqlite] [--write FILE] [--json]
               [--expiry 10000] [--expiry-only] [--lists 1000000] [--lists-clients 4] [--lists-only]
               [--webhooks 2000] [--webhooks-only]
  caisse seed  --sessions N [--merchant ID] [--mode test|live] [--database-url URL]
  caisse sessions list [--status S] [--reference R] [--user-phone P] [--customer-id C] [--start-date D]
                       [--end-date D] [--limit 20] [--offset N] [--api-url URL] [--api-key KEY] [--json]
  caisse sessions get ID [--api-url URL] [--api-key KEY] [--json]
  caisse events list [--type T] [--limit 20] [--starting-after ID] [--ending-before ID]
                     [--api-url URL] [--api-key KEY] [--json]
  caisse events get ID [--api-url URL] [--api-key KEY] [--json]

Settings also come from CAISSE_ADDR, CAISSE_DATABASE_URL, CAISSE_PUBLIC_URL,
CAISSE_RATE_LIMIT, CAISSE_OPERATOR_URL, CAISSE_OPERATOR_NAME, CAISSE_OPERATOR_TIMEOUT,
CAISSE_IDEMPOTENCY_TAKEOVER, CAISSE_REQUEST_TIMEOUT, CAISSE_WRITE_TIMEOUT,
CAISSE_MAX_CONNECTIONS, CAISSE_AUTH_FAILURE_RATE, CAISSE_TRUSTED_PROXIES,
CAISSE_SECRET_KEY_FILE, CAISSE_WEBHOOK_PRIVATE_TEST_TARGETS, CAISSE_WEBHOOK_WORKERS, CAISSE_DEBUG_ADDR,
CAISSE_LOG_FORMAT and
CAISSE_LOG_LEVEL; flags win. The client commands (listen, trigger, sessions, events) find
their server and key by CAISSE_API_URL (default http://127.0.0.1:8080) and CAISSE_API_KEY.
sessions, events, listen and trigger ask a running server: --api-url defaults to CAISSE_API_URL, else
http://127.0.0.1:8080, and --api-key to CAISSE_API_KEY.
CAISSE_SECRET_KEY is read from the environment only. CAISSE_OPERATOR_SECRET is read from the environment only.
fake-operator plays a mobile-money operator for the live path (docs/connectors.md);
its --secret defaults to CAISSE_OPERATOR_SECRET.
`

// Env is what a command may touch of the outside world.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// Main runs the command in args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, env Env) int {
	err := run(ctx, args, env)
	var uerr usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &uerr) && len(args) == 0:
		fmt.Fprintf(env.Stderr, "caisse: %v\n\n%s", err, usage)
		return 2
	case errors.As(err, &uerr):
		fmt.Fprintf(env.Stderr, "caisse: %v\nRun 'caisse help' for the commands, 'caisse COMMAND --help' for a command's flags.\n", err)
		return 2
	}
	fmt.Fprintf(env.Stderr, "caisse: %v\n", err)
	return 1
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return usageError{"a command is required"}
	}
	cmd, rest := args[0], args[1:]
	if cmd == "merchants" || cmd == "keys" || cmd == "connectors" || cmd == "sessions" || cmd == "events" {
		if len(rest) == 0 {
			return usageError{cmd + " needs a subcommand"}
		}
		cmd, rest = cmd+" "+rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, rest, env)
	case "dev":
		return dev(ctx, rest, env)
	case "listen":
		return listen(ctx, rest, env)
	case "trigger":
		return triggerCmd(ctx, rest, env)
	case "migrate":
		return migrate(ctx, rest, env)
	case "merchants create":
		return merchantsCreate(ctx, rest, env)
	case "merchants update":
		return merchantsUpdate(ctx, rest, env)
	case "keys create":
		return keysCreate(ctx, rest, env)
	case "keys list":
		return keysList(ctx, rest, env)
	case "keys revoke":
		return keysRevoke(ctx, rest, env)
	case "connectors set":
		return connectorsSet(ctx, rest, env)
	case "connectors list":
		return connectorsList(ctx, rest, env)
	case "connectors delete":
		return connectorsDelete(ctx, rest, env)
	case "reconcile":
		return reconcile(ctx, rest, env)
	case "fake-operator":
		return fakeOperator(ctx, rest, env)
	case "bench":
		return benchCmd(ctx, rest, env)
	case "seed":
		return seed(ctx, rest, env)
	case "sessions list":
		return sessionsList(ctx, rest, env)
	case "sessions get":
		return sessionsGet(ctx, rest, env)
	case "events list":
		return eventsList(ctx, rest, env)
	case "events get":
		return eventsGet(ctx, rest, env)
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return nil
	case "version", "--version":
		fmt.Fprintln(env.Stdout, config.Version())
		return nil
	}
	if near := closest(cmd, commands); near != "" {
		return usageError{fmt.Sprintf("unknown command %q; did you mean %q?", cmd, near)}
	}
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// commands are the command lines run knows, for "did you mean".
var commands = []string{"serve", "dev", "listen", "trigger", "migrate", "merchants create", "merchants update", "keys create", "keys list", "keys revoke",
	"connectors set", "connectors list", "connectors delete", "reconcile", "fake-operator", "bench", "seed",
	"sessions list", "sessions get", "events list", "events get", "help", "version"}

// closest is the command nearest to cmd by edit distance, if it is near
// enough to be a typo (at most a third of its letters wrong); "" otherwise.
func closest(cmd string, among []string) string {
	best, bestD := "", len(cmd)/3+1
	for _, c := range among {
		if d := distance(cmd, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// flags is a command's flag set. --help prints its flags on stdout, as
// --name; a parse error is returned (parseFlags makes it a usage error), not
// printed.
func flags(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	out := &watched{w: io.Discard}
	fs.SetOutput(out)
	fs.Usage = func() {
		if out.wrote { // the flag package has just written an error: Main prints it
			return
		}
		fmt.Fprintf(env.Stdout, "Usage: caisse %s [flags]\n\nFlags:\n", name)
		fs.VisitAll(func(f *flag.Flag) {
			kind, text := flag.UnquoteUsage(f)
			arg := "--" + f.Name
			if kind != "" {
				arg += " " + strings.ToUpper(kind)
			}
			if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && f.DefValue != "0s" {
				text += fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(env.Stdout, "  %s\n      %s\n", arg, text)
		})
	}
	return fs
}

// watched is a writer that remembers being written to.
type watched struct {
	w     io.Writer
	wrote bool
}

func (w *watched) Write(p []byte) (int, error) {
	w.wrote = true
	return w.w.Write(p)
}

// parseFlags parses args; an unknown or malformed flag is a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return usageError{fmt.Sprintf("%s: %v", fs.Name(), err)}
	}
	return err
}

func parse(fs *flag.FlagSet, args []string, cfg *config.Config) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return cfg.Validate()
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	level, _ := cfg.SlogLevel() // validated by parse
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// ServerGCPercent is the Go collector's GOGC while caisse serves, unless the
// GOGC environment variable sets it: a server's live heap is small (a few
// MB), so at Go's default of 100 the collector ran every few hundred
// requests and took about a tenth of the CPU of a retrieve; at 400 it runs a
// quarter as often, for about 20 MB more memory under load
// (docs/operations.md). GOMEMLIMIT still caps the heap where it is set.
const ServerGCPercent = 400

func serve(ctx context.Context, args []string, env Env) error {
	fs := flags("serve", env)
	cfg := config.Bind(fs, env.Getenv, "addr", "database-url", "public-url", "rate-limit", "operator", "idempotency", "limits", "secrets", "webhooks", "log")
	if err := parse(fs, args, cfg); err != nil {
		return err
	}
	return runServer(ctx, cfg, server.Options{Log: newLogger(cfg, env.Stderr)}, env, func(string) {})
}

// runServer builds the server of cfg and opts, listens on cfg.Addr (and the
// profiler on cfg.DebugAddr), tells listening the address, and serves until
// SIGINT or SIGTERM: serve's and dev's common part.
func runServer(ctx context.Context, cfg *config.Config, opts server.Options, env Env, listening func(addr string)) error {
	if env.Getenv("GOGC") == "" {
		debug.SetGCPercent(ServerGCPercent)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, *cfg, opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		srv.Close()
		return err
	}
	if cfg.DebugAddr != "" {
		prof, err := net.Listen("tcp", cfg.DebugAddr)
		if err != nil {
			ln.Close()
			srv.Close()
			return err
		}
		defer prof.Close()
		opts.Log.Warn("profiler listening: keep this address private", "debug_addr", prof.Addr().String())
		go http.Serve(prof, profiler()) //nolint:errcheck // ends when the listener closes
	}
	listening(ln.Addr().String())
	return srv.Serve(ctx, ln)
}

// profiler serves Go's net/http/pprof handlers, for `serve --debug-addr`.
func profiler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// withStore opens and migrates the database for a one-shot command.
func withStore(ctx context.Context, name string, args []string, env Env, define func(*flag.FlagSet),
	fn func(store.Store) error) error {
	return withConfigStore(ctx, name, args, env, nil, define, func(_ *config.Config, st store.Store) error { return fn(st) })
}

// withConfigStore is withStore for a command that also takes the settings
// of groups (config.Bind's).
func withConfigStore(ctx context.Context, name string, args []string, env Env, groups []string, define func(*flag.FlagSet),
	fn func(*config.Config, store.Store) error) error {
	fs := flags(name, env)
	cfg := config.Bind(fs, env.Getenv, append([]string{"database-url"}, groups...)...)
	define(fs)
	if err := parse(fs, args, cfg); err != nil {
		return err
	}
	st, err := server.OpenStore(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return fn(cfg, st)
}

func migrate(ctx context.Context, args []string, env Env) error {
	return withStore(ctx, "migrate", args, env, func(*flag.FlagSet) {}, func(store.Store) error {
		fmt.Fprintln(env.Stdout, "database is up to date")
		return nil
	})
}

func merchantsCreate(ctx context.Context, args []string, env Env) error {
	var name, currencies, only string
	var asJSON bool
	var fee store.FeeSchedule
	define := func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "the merchant's name (required)")
		fs.StringVar(&currencies, "currencies", "XOF", "comma-separated ISO 4217 codes the merchant may charge in")
		defineFee(fs, &fee, merchant.DefaultFee)
		fs.BoolVar(&asJSON, "json", false, "print one JSON object")
		fs.StringVar(&only, "print", "", "print only this: id, test-key or live-key (for a shell variable)")
	}
	return withStore(ctx, "merchants create", args, env, define, func(st store.Store) error {
		if name == "" {
			return usageError{"--name is required"}
		}
		if only != "" && (asJSON || !slices.Contains([]string{"id", "test-key", "live-key"}, only)) {
			return usageError{"--print takes id, test-key or live-key, without --json"}
		}
		svc := &merchant.Service{Store: st, Now: time.Now}
		c, err := svc.Create(ctx, name, strings.Split(currencies, ","), &fee)
		if err != nil {
			return err
		}
		out := map[string]any{
			"id": c.Merchant.ID, "name": c.Merchant.Name, "currencies": c.Merchant.Currencies,
			"test_secret_key": c.TestSecretKey, "live_secret_key": c.LiveSecretKey,
		}
		switch {
		case asJSON:
			return json.NewEncoder(env.Stdout).Encode(out)
		case only != "":
			fmt.Fprintln(env.Stdout, map[string]string{"id": c.Merchant.ID, "test-key": c.TestSecretKey, "live-key": c.LiveSecretKey}[only])
			fmt.Fprintf(env.Stderr, "merchant %s created; its other key was not shown (caisse keys create makes another)\n", c.Merchant.ID)
			return nil
		}
		fmt.Fprintf(env.Stdout, "merchant %s (%s)\ntest secret key: %s\nlive secret key: %s\n"+
			"The keys are shown only this once; caisse keeps only their hashes.\n",
			c.Merchant.ID, c.Merchant.Name, c.TestSecretKey, c.LiveSecretKey)
		return nil
	})
}

// feeFlags are the fee schedule's flags, each naming its part of it.
var feeFlags = []struct {
	name, usage string
	part        func(*store.FeeSchedule) *int64
}{
	{"fee-bps", "transaction fee in basis points (50 = 0.5 %)", func(f *store.FeeSchedule) *int64 { return &f.BasisPoints }},
	{"fee-fixed", "fixed fee added, in minor units", func(f *store.FeeSchedule) *int64 { return &f.Fixed }},
	{"fee-min", "minimum fee, in minor units", func(f *store.FeeSchedule) *int64 { return &f.Minimum }},
	{"fee-max", "maximum fee, in minor units (0: no cap)", func(f *store.FeeSchedule) *int64 { return &f.Maximum }},
}

// defineFee binds the fee flags to fee, with def's parts as defaults.
func defineFee(fs *flag.FlagSet, fee *store.FeeSchedule, def store.FeeSchedule) {
	for _, ff := range feeFlags {
		fs.Int64Var(ff.part(fee), ff.name, *ff.part(&def), ff.usage)
	}
}

// merchantsUpdate changes what the flags given say of a merchant, and keeps the rest.
func merchantsUpdate(ctx context.Context, args []string, env Env) error {
	var id, name, currencies string
	var asJSON bool
	var fee store.FeeSchedule
	var fs *flag.FlagSet
	define := func(f *flag.FlagSet) {
		fs = f
		fs.StringVar(&id, "merchant", "", "the merchant's id (required)")
		fs.StringVar(&name, "name", "", "a new name")
		fs.StringVar(&currencies, "currencies", "", "the comma-separated ISO 4217 codes the merchant may charge in, all of them")
		defineFee(fs, &fee, store.FeeSchedule{})
		fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	}
	return withStore(ctx, "merchants update", args, env, define, func(st store.Store) error {
		if id == "" {
			return usageError{"--merchant is required"}
		}
		m, err := st.MerchantGet(ctx, id)
		if err != nil {
			return fmt.Errorf("merchant %s: %w", id, err)
		}
		var c merchant.Changes
		if flagSet(fs, "name") {
			c.Name = &name
		}
		if flagSet(fs, "currencies") {
			c.Currencies = strings.Split(currencies, ",")
		}
		f := m.Fee // the fee flags given change their part of the schedule
		for _, ff := range feeFlags {
			if flagSet(fs, ff.name) {
				*ff.part(&f), c.Fee = *ff.part(&fee), &f
			}
		}
		svc := &merchant.Service{Store: st, Now: time.Now}
		if m, err = svc.Update(ctx, id, c); err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(env.Stdout).Encode(map[string]any{"id": m.ID, "name": m.Name, "currencies": m.Currencies,
				"fee_bps": m.Fee.BasisPoints, "fee_fixed": m.Fee.Fixed, "fee_min": m.Fee.Minimum, "fee_max": m.Fee.Maximum})
		}
		fmt.Fprintf(env.Stdout, "merchant %s (%s): currencies %s; fee %d bps + %d, at least %d, at most %d (0: no cap)\n"+
			"Running servers use it from their next look-up of one of its keys (within a second).\n",
			m.ID, m.Name, strings.Join(m.Currencies, ","), m.Fee.BasisPoints, m.Fee.Fixed, m.Fee.Minimum, m.Fee.Maximum)
		return nil
	})
}

func keysCreate(ctx context.Context, args []string, env Env) error {
	var merchantID, mode string
	var asJSON bool
	define := func(fs *flag.FlagSet) {
		fs.StringVar(&merchantID, "merchant", "", "merchant id (required)")
		fs.StringVar(&mode, "mode", "test", "test or live")
		fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	}
	return withStore(ctx, "keys create", args, env, define, func(st store.Store) error {
		if merchantID == "" || (mode != "test" && mode != "live") {
			return usageError{"--merchant is required and --mode must be test or live"}
		}
		secret, k, err := (&merchant.Service{Store: st, Now: time.Now}).KeyCreate(ctx, merchantID, mode == "live")
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(env.Stdout).Encode(map[string]any{"id": k.ID, "merchant": merchantID,
				"livemode": k.Livemode, "secret_key": secret})
		}
		fmt.Fprintf(env.Stdout, "key %s: %s\nThe key is shown only this once.\n", k.ID, secret)
		return nil
	})
}

func keysList(ctx context.Context, args []string, env Env) error {
	var merchantID string
	var asJSON bool
	define := func(fs *flag.FlagSet) {
		fs.StringVar(&merchantID, "merchant", "", "merchant id (required)")
		fs.BoolVar(&asJSON, "json", false, "print a JSON array")
	}
	return withStore(ctx, "keys list", args, env, define, func(st store.Store) error {
		if merchantID == "" {
			return usageError{"--merchant is required"}
		}
		keys, err := st.KeyList(ctx, merchantID)
		if err != nil {
			return err
		}
		type row struct {
			ID        string     `json:"id"`
			Livemode  bool       `json:"livemode"`
			Last4     string     `json:"last4"`
			CreatedAt time.Time  `json:"created_at"`
			RevokedAt *time.Time `json:"revoked_at"`
		}
		rows := make([]row, 0, len(keys))
		for _, k := range keys {
			rows = append(rows, row{k.ID, k.Livemode, k.Last4, k.CreatedAt, k.RevokedAt})
		}
		if asJSON {
			return json.NewEncoder(env.Stdout).Encode(rows)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tMODE\tKEY\tCREATED\tREVOKED")
		for _, r := range rows {
			mode, revoked := "test", "-"
			if r.Livemode {
				mode = "live"
			}
			if r.RevokedAt != nil {
				revoked = r.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t…%s\t%s\t%s\n", r.ID, mode, r.Last4, r.CreatedAt.Format(time.RFC3339), revoked)
		}
		return tw.Flush()
	})
}

func keysRevoke(ctx context.Context, args []string, env Env) error {
	var keyID string
	define := func(fs *flag.FlagSet) { fs.StringVar(&keyID, "key", "", "key id, as keys list shows it (required)") }
	return withStore(ctx, "keys revoke", args, env, define, func(st store.Store) error {
		if keyID == "" {
			return usageError{"--key is required"}
		}
		if err := st.KeyRevoke(ctx, keyID, time.Now()); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no active key %s", keyID)
			}
			return err
		}
		fmt.Fprintf(env.Stdout, "key %s revoked\n", keyID)
		return nil
	})
}
