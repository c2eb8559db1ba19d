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
)

// fakeOperatorAddr is where caisse fake-operator listens by default.
const fakeOperatorAddr = "127.0.0.1:9099"

// fakeOperator serves connector.FakeOperator until ctx ends or a signal
// arrives, then cancels callbacks not yet made, ends held answers and shuts
// down gracefully.
func fakeOperator(ctx context.Context, args []string, env Env) error {
	fs := flags("fake-operator", env)
	cfg := config.Bind(fs, env.Getenv, "log")
	addr := fs.String("addr", fakeOperatorAddr, "listen address")
	// Not the flag's default: flag prints defaults in its usage text.
	secret := fs.String("secret", "", "HMAC secret shared with caisse (default CAISSE_OPERATOR_SECRET; required)")
	delay := fs.Duration("delay", connector.TestDelay, "how long the operator waits before calling back")
	stall := fs.Duration("stall", connector.FakeStall, "how long the start_timeout and silent_success faults (numbers ending 0006, 0008) hold the answer to a new payment")
	if err := parse(fs, args, cfg); err != nil {
		return err
	}
	if *secret == "" {
		*secret = env.Getenv("CAISSE_OPERATOR_SECRET")
	}
	if *secret == "" {
		return usageError{"fake-operator needs --secret or CAISSE_OPERATOR_SECRET"}
	}
	if *delay < 0 {
		return usageError{"--delay must not be negative"}
	}
	if *stall <= 0 {
		return usageError{"--stall must be positive"}
	}
	log := newLogger(cfg, env.Stderr)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	op := &connector.FakeOperator{Secret: *secret, Delay: *delay, Stall: *stall, Log: log}
	defer op.Close()
	srv := &http.Server{Handler: op, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("fake operator listening", "addr", ln.Addr().String(), "delay", delay.String(), "stall", stall.String())

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
