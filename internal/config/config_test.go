package config

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// TestWebhookWorkers reads CAISSE_WEBHOOK_WORKERS and --webhook-workers (the
// flag wins), defaults to DefaultWebhookWorkers, and refuses what is not a
// count of workers.
func TestWebhookWorkers(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		env  string
		args []string
		want int
		bad  bool
	}{
		{"", nil, DefaultWebhookWorkers, false},
		{"250", nil, 250, false},
		{"250", []string{"--webhook-workers", "30"}, 30, false},
		{"", []string{"--webhook-workers=1"}, 1, false},
		{"many", nil, 0, true},
		{"-5", nil, 0, true},
		{"", []string{"--webhook-workers", "10001"}, 0, true},
	} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		getenv := func(name string) string {
			if name == "CAISSE_WEBHOOK_WORKERS" {
				return c.env
			}
			return ""
		}
		cfg := Bind(fs, getenv, "webhooks")
		err := fs.Parse(c.args)
		if err == nil {
			err = cfg.Validate()
		}
		switch {
		case c.bad && (err == nil || !strings.Contains(err.Error(), "CAISSE_WEBHOOK_WORKERS")):
			t.Errorf("env %q, args %v: %v, want CAISSE_WEBHOOK_WORKERS refused", c.env, c.args, err)
		case !c.bad && (err != nil || cfg.WebhookWorkers != c.want):
			t.Errorf("env %q, args %v: %d workers (%v), want %d", c.env, c.args, cfg.WebhookWorkers, err, c.want)
		}
	}
}
