package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/connector"
	"github.com/caisse/caisse/internal/connector/mtn"
	"github.com/caisse/caisse/internal/connector/orange"
	"github.com/caisse/caisse/internal/connector/wave"
)

// fakeOperatorAddr is where caisse fake-operator listens by default.
const fakeOperatorAddr = "127.0.0.1:9099"

// simulator is an operator simulator: it serves the operator's API (and its
// customer pages) and Close ends what it has in flight.
type simulator interface {
	http.Handler
	Close()
}

// fakeOperator serves the simulator of an operator kind until ctx ends or a
// signal arrives, then cancels callbacks not yet made, ends held answers and
// shuts down gracefully.
func fakeOperator(ctx context.Context, args []string, env Env) error {
	fs := flags("fake-operator", env)
	cfg := config.Bind(fs, env.Getenv, "log")
	kind := fs.String("kind", "http", "the operator API to simulate: http (caisse's own protocol), mtn_momo, orange_money or wave")
	addr := fs.String("addr", fakeOperatorAddr, "listen address")
	// Not the flag's default: flag prints defaults in its usage text.
	secret := fs.String("secret", "", "http: HMAC secret shared with caisse (default CAISSE_OPERATOR_SECRET; required)")
	delay := fs.Duration("delay", connector.TestDelay, "how long the operator waits before an outcome (and its callback)")
	stall := fs.Duration("stall", connector.FakeStall, "how long the stalling numbers (ending 0006, 0008; Orange: amounts ending 906) hold the answer to a new payment")
	publicURL := fs.String("public-url", "", "orange_money, wave: the root of the payment pages' URLs (default http://ADDR)")
	webhookURL := fs.String("webhook-url", "", "wave: where its webhooks go: caisse's callback URL for the connector")
	webhookSecret := fs.String("webhook-secret", "", "wave: the secret that signs its webhooks (default CAISSE_FAKE_WEBHOOK_SECRET)")
	if err := parse(fs, args, cfg); err != nil {
		return err
	}
	if *secret == "" {
		*secret = env.Getenv("CAISSE_OPERATOR_SECRET")
	}
	if *webhookSecret == "" {
		*webhookSecret = env.Getenv("CAISSE_FAKE_WEBHOOK_SECRET")
	}
	if *publicURL == "" {
		*publicURL = "http://" + *addr
	}
	switch {
	case *delay < 0:
		return usageError{"--delay must not be negative"}
	case *stall <= 0:
		return usageError{"--stall must be positive"}
	case *kind == "http" && *secret == "":
		return usageError{"fake-operator needs --secret or CAISSE_OPERATOR_SECRET"}
	case *kind == "wave" && (*webhookURL == "" || *webhookSecret == ""):
		return usageError{"fake-operator --kind wave needs --webhook-url and --webhook-secret (or CAISSE_FAKE_WEBHOOK_SECRET)"}
	}
	log := newLogger(cfg, env.Stderr)
	var op simulator
	switch *kind {
	case "http":
		op = &connector.FakeOperator{Secret: *secret, Delay: *delay, Stall: *stall, Log: log}
	case "mtn_momo":
		op = &mtn.Simulator{Delay: *delay, Stall: *stall, Log: log}
	case "orange_money":
		op = &orange.Simulator{PublicURL: *publicURL, Delay: *delay, Stall: *stall, Log: log}
	case "wave":
		op = &wave.Simulator{PublicURL: *publicURL, WebhookURL: *webhookURL, WebhookSecret: *webhookSecret, Delay: *delay, Stall: *stall, Log: log}
	default:
		return usageError{fmt.Sprintf("unknown --kind %q: want http, mtn_momo, orange_money or wave", *kind)}
	}
	defer op.Close()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: op, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("fake operator listening", "kind", *kind, "addr", ln.Addr().String(), "delay", delay.String(), "stall", stall.String())

	select {
	case err := <-errc:
		return fmt.Errorf("fake operator: %w", err)
	case <-ctx.Done():
	}
	op.Close() // drops the callbacks not made and sends held answers at once
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdown)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	log.Info("fake operator stopped")
	return err
}
