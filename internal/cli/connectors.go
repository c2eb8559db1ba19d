package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/operator"
	"github.com/caisse/caisse/internal/server"
	"github.com/caisse/caisse/internal/store"
)

// withConnectors runs fn with the registry of the database's connectors,
// which seals credentials with the server's secret key.
func withConnectors(ctx context.Context, name string, args []string, env Env, define func(*flag.FlagSet),
	fn func(*operator.Registry) error) error {
	return withConfigStore(ctx, name, args, env, []string{"addr", "public-url", "secrets"}, define, func(cfg *config.Config, st store.Store) error {
		box, err := server.SecretBox(*cfg, slog.New(slog.NewTextHandler(env.Stderr, nil)))
		if err != nil {
			return err
		}
		return fn(&operator.Registry{Store: st, Box: box, PublicURL: cfg.PublicURL})
	})
}

// modeFlag parses --mode test|live.
func modeFlag(mode string) (bool, error) {
	switch mode {
	case "live":
		return true, nil
	case "test":
		return false, nil
	}
	return false, usageError{"--mode must be test or live"}
}

// credentials is --credential NAME=VALUE, repeated; VALUE @FILE reads the
// file (so that secrets stay out of shell history), trailing newline cut.
type credentials map[string]string

func (c credentials) String() string { return "" }

func (c credentials) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return errors.New("want NAME=VALUE or NAME=@FILE")
	}
	if path, ok := strings.CutPrefix(value, "@"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		value = strings.TrimRight(string(b), "\r\n")
	}
	if _, dup := c[name]; dup {
		return fmt.Errorf("credential %s given twice", name)
	}
	c[name] = value
	return nil
}

func connectorsSet(ctx context.Context, args []string, env Env) error {
	var s operator.Setting
	var mode string
	var asJSON bool
	creds := credentials{}
	define := func(fs *flag.FlagSet) {
		fs.StringVar(&s.MerchantID, "merchant", "", "merchant id (required)")
		fs.StringVar(&mode, "mode", "", "test or live (required)")
		fs.StringVar(&s.Channel, "channel", "", "the channel it pays: orange_money, mtn_momo, moov_money or wave (required)")
		fs.StringVar(&s.Kind, "kind", "", "the operator API it speaks: "+strings.Join(operator.KindNames(), ", ")+" (required)")
		fs.StringVar(&s.BaseURL, "base-url", "", "the operator API's root URL (required)")
		fs.Var(creds, "credential", "NAME=VALUE or NAME=@FILE, once per credential the kind takes")
		fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	}
	return withConnectors(ctx, "connectors set", args, env, define, func(r *operator.Registry) error {
		live, err := modeFlag(mode)
		if err != nil {
			return err
		}
		if s.MerchantID == "" || s.Channel == "" || s.Kind == "" || s.BaseURL == "" {
			return usageError{"--merchant, --mode, --channel, --kind and --base-url are required"}
		}
		s.Livemode, s.Credentials = live, creds
		c, err := r.Set(ctx, s)
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(env.Stdout).Encode(map[string]any{"id": c.ID, "merchant": c.MerchantID,
				"livemode": c.Livemode, "channel": c.Channel, "kind": c.Kind, "callback_url": r.CallbackURL(c.ID)})
		}
		fmt.Fprintf(env.Stdout, "connector %s: %s pays %s in %s mode for %s\nRegister this callback URL with the operator: %s\n",
			c.ID, c.Kind, c.Channel, mode, c.MerchantID, r.CallbackURL(c.ID))
		return nil
	})
}

func connectorsList(ctx context.Context, args []string, env Env) error {
	var merchantID string
	var asJSON bool
	define := func(fs *flag.FlagSet) {
		fs.StringVar(&merchantID, "merchant", "", "merchant id (required)")
		fs.BoolVar(&asJSON, "json", false, "print a JSON array")
	}
	return withConnectors(ctx, "connectors list", args, env, define, func(r *operator.Registry) error {
		if merchantID == "" {
			return usageError{"--merchant is required"}
		}
		list, err := r.List(ctx, merchantID)
		if err != nil {
			return err
		}
		type row struct {
			ID          string            `json:"id"`
			Livemode    bool              `json:"livemode"`
			Channel     string            `json:"channel"`
			Kind        string            `json:"kind"`
			BaseURL     string            `json:"base_url"`
			Credentials map[string]string `json:"credentials"`
			CallbackURL string            `json:"callback_url"`
			UpdatedAt   time.Time         `json:"updated_at"`
		}
		rows := make([]row, 0, len(list))
		for _, c := range list {
			rows = append(rows, row{c.ID, c.Livemode, c.Channel, c.Kind, c.BaseURL, c.Credentials, c.Callback, c.UpdatedAt})
		}
		if asJSON {
			return json.NewEncoder(env.Stdout).Encode(rows)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tMODE\tCHANNEL\tKIND\tBASE URL\tCREDENTIALS\tCALLBACK URL")
		for _, c := range rows {
			var creds []string
			for name, v := range c.Credentials {
				creds = append(creds, name+"="+v)
			}
			slices.Sort(creds)
			m := "test"
			if c.Livemode {
				m = "live"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, m, c.Channel, c.Kind, c.BaseURL, strings.Join(creds, " "), c.CallbackURL)
		}
		return tw.Flush()
	})
}

func connectorsDelete(ctx context.Context, args []string, env Env) error {
	var merchantID, mode, channel string
	define := func(fs *flag.FlagSet) {
		fs.StringVar(&merchantID, "merchant", "", "merchant id (required)")
		fs.StringVar(&mode, "mode", "", "test or live (required)")
		fs.StringVar(&channel, "channel", "", "the channel (required)")
	}
	return withConnectors(ctx, "connectors delete", args, env, define, func(r *operator.Registry) error {
		live, err := modeFlag(mode)
		if err != nil {
			return err
		}
		if merchantID == "" || channel == "" {
			return usageError{"--merchant, --mode and --channel are required"}
		}
		if err := r.Delete(ctx, store.Scope{MerchantID: merchantID, Livemode: live}, channel); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("merchant %s has no %s connector for %s", merchantID, mode, channel)
		} else if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "deleted the %s connector for %s of %s\n", mode, channel, merchantID)
		return nil
	})
}

// reconcile asks the operators where recent payments stand and fixes the
// sessions they contradict (checkout.Service.Reconcile), printing each one.
func reconcile(ctx context.Context, args []string, env Env) error {
	fs := flags("reconcile", env)
	cfg := config.Bind(fs, env.Getenv, "database-url", "addr", "public-url", "operator", "secrets", "log")
	merchantID := fs.String("merchant", "", "only this merchant's sessions (default: every merchant's)")
	since := fs.String("since", "24h", "the window's start: a duration back from now (24h) or an RFC 3339 time")
	asJSON := fs.Bool("json", false, "print one JSON object per session")
	if err := parse(fs, args, cfg); err != nil {
		return err
	}
	from, err := sinceFlag(*since, time.Now())
	if err != nil {
		return err
	}
	srv, err := server.New(ctx, *cfg, server.Options{Log: newLogger(cfg, env.Stderr)})
	if err != nil {
		return err
	}
	defer srv.Close()
	var seen, fixed, unanswered int
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "SESSION\tMODE\tWAS\tOPERATOR\tNOW\tRESULT")
	}
	_, _, err = srv.Checkout.Reconcile(ctx, *merchantID, from, 0, func() bool { return ctx.Err() == nil }, func(f checkout.Finding) {
		seen++
		result := "agrees"
		switch {
		case f.Err != nil:
			unanswered++
			result = "unanswered: " + f.Err.Error()
		case f.Fixed:
			fixed++
			result = "fixed"
		}
		if *asJSON {
			json.NewEncoder(env.Stdout).Encode(map[string]any{"session": f.SessionID, "livemode": f.Livemode, "was": f.Was, //nolint:errcheck // stdout
				"operator": f.Operator, "now": f.Now, "fixed": f.Fixed, "error": errText(f.Err)})
			return
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.SessionID, map[bool]string{true: "live", false: "test"}[f.Livemode], f.Was, f.Operator, f.Now, result)
	})
	if !*asJSON {
		tw.Flush() //nolint:errcheck // stdout
		fmt.Fprintf(env.Stdout, "%d sessions asked about, %d fixed, %d unanswered\n", seen, fixed, unanswered)
	}
	if err == nil && unanswered > 0 {
		err = fmt.Errorf("%d sessions could not be reconciled; run again later", unanswered)
	}
	return err
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// sinceFlag reads --since: a duration back from now, or an RFC 3339 time.
func sinceFlag(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, usageError{fmt.Sprintf("--since %q: want a positive duration (24h) or an RFC 3339 time", v)}
}
