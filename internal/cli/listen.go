package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/caisse/caisse/client"
	"github.com/caisse/caisse/internal/notify"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/webhook"
)

// Reconnection backoff of caisse listen: the first wait, and the longest.
const (
	listenRetryMin = 250 * time.Millisecond
	listenRetryMax = 10 * time.Second
)

// listen streams the merchant's events from a running caisse and posts each
// to --forward-to, signed as a webhook endpoint's delivery with a secret of
// its own that it prints first (docs/webhooks.md, "caisse listen").
func listen(ctx context.Context, args []string, env Env) error {
	fs := flags("listen", env)
	var api apiFlags
	api.register(fs)
	var forward, events string
	fs.StringVar(&forward, "forward-to", "", "the URL each event is posted to (required)")
	fs.StringVar(&events, "events", "", "comma-separated event types to forward (default: all)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if u, err := url.Parse(forward); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError{"--forward-to must be an absolute http(s) URL"}
	}
	var types []string
	if events != "" {
		types = strings.Split(events, ",")
	}
	c, err := api.client(env)
	if err != nil {
		return err
	}
	secret, err := webhook.NewSecret()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(env.Stdout, "Forwarding %s's events to %s\nwebhook signing secret: %s\n", api.url, forward, secret)
	target := store.Endpoint{URL: forward, Secret: secret}
	sender := notify.NewSender(nil)
	last, wait := "", listenRetryMin
	for ctx.Err() == nil {
		err := c.StreamEvents(ctx, last, types, func(e client.StreamedEvent) error {
			wait = listenRetryMin // connected and receiving: a later break retries at once
			res := sender.Send(ctx, target, e.ID, e.Data, false)
			fmt.Fprintf(env.Stdout, "%s  %-45s %s  [%s]\n", time.Now().Format("2006-01-02 15:04:05"), e.Type, e.ID, res.Summary())
			last = e.ID
			return nil
		})
		var apiErr *client.Error
		if errors.As(err, &apiErr) && apiErr.StatusCode != http.StatusTooManyRequests && apiErr.StatusCode < 500 {
			return api.remoteError(err) // a bad key, event type or resume point: retrying will not help
		}
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "caisse listen: %v; reconnecting in %s\n", err, wait)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, listenRetryMax)
	}
	return nil
}
