package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/server"
)

// dev runs serve's server for local development and CI (docs/testing.md,
// "Local development"): on a throw-away SQLite database unless
// --database-url names one, in test mode only, with any well-formed sk_test_
// key accepted and the test operator answering after --test-delay (at once
// by default).
func dev(ctx context.Context, args []string, env Env) error {
	fs := flags("dev", env)
	cfg := config.Bind(fs, env.Getenv, "addr", "public-url", "rate-limit", "limits", "webhooks", "log")
	var delay time.Duration
	fs.StringVar(&cfg.DatabaseURL, "database-url", "",
		"sqlite:PATH or postgres://… to keep the data (default: a temporary SQLite file, deleted on exit; CAISSE_DATABASE_URL is not read)")
	fs.DurationVar(&delay, "test-delay", 0, "how long the test operator takes to answer a confirmation (default: at once)")
	if err := parse(fs, args, cfg); err != nil {
		return err
	}
	if delay < 0 {
		return usageError{"--test-delay must not be negative"}
	}
	kept := cfg.DatabaseURL != ""
	if !kept {
		dir, err := os.MkdirTemp("", "caisse-dev-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DatabaseURL = "sqlite:" + filepath.Join(dir, "caisse.db")
	}
	opts := server.Options{Log: newLogger(cfg, env.Stderr), Dev: &server.Dev{TestDelay: delay}}
	return runServer(ctx, cfg, opts, env, func(addr string) { banner(env.Stdout, cfg, kept, delay, "http://"+addr) })
}

// banner tells what caisse dev serves and what to run next.
func banner(w io.Writer, cfg *config.Config, kept bool, delay time.Duration, api string) {
	key := "sk_test_" + randid.String(24)
	db := config.Redact(cfg.DatabaseURL)
	if !kept {
		db += " (deleted on exit)"
	}
	answers := "at once"
	if delay > 0 {
		answers = "after " + delay.String()
	}
	fmt.Fprintf(w, `caisse dev: test mode only, not for production

  API          %s
  API key      %s
               (any sk_test_ key works: each is a merchant of its own, made on first use, with every currency)
  Hosted page  %s/pay/{session id}  (caisse has no dashboard: GET %s/ lists what it serves)
  Database     %s
  Test payments are answered %s.

Next, in another terminal:
  export CAISSE_API_URL=%s CAISSE_API_KEY=%s
  caisse listen --forward-to http://127.0.0.1:3000/webhooks
  caisse trigger checkout.session.completed
`, api, key, cfg.PublicURL, api, db, answers, api, key)
}
