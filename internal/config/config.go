// Package config reads caisse's settings from flags and the environment
// (flags win), applies defaults, validates them and masks secrets for logs.
// It imports no other caisse package.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of caisse serve.
type Config struct {
	Addr        string  // CAISSE_ADDR
	DebugAddr   string  // CAISSE_DEBUG_ADDR: Go's profiler (net/http/pprof) listens here; empty for none
	DatabaseURL string  // CAISSE_DATABASE_URL
	PublicURL   string  // CAISSE_PUBLIC_URL
	RateLimit   float64 // CAISSE_RATE_LIMIT, requests per second per API key; 0 disables
	LogFormat   string  // CAISSE_LOG_FORMAT: json or text
	LogLevel    string  // CAISSE_LOG_LEVEL: debug, info, warn, error

	OperatorName   string // CAISSE_OPERATOR_NAME: the live connector's name in /v1/connectors/{name}/callback
	OperatorURL    string // CAISSE_OPERATOR_URL: the operator's API; empty means live mode cannot take payments
	OperatorSecret string // CAISSE_OPERATOR_SECRET: the HMAC secret shared with the operator
	// OperatorTimeout bounds each request to the operator (CAISSE_OPERATOR_TIMEOUT).
	OperatorTimeout time.Duration

	// IdempotencyTakeover is how long a key whose request never finished (its
	// node died) stays locked before an identical retry may run
	// (CAISSE_IDEMPOTENCY_TAKEOVER).
	IdempotencyTakeover time.Duration

	// WebhookNoPrivateTestTargets holds test-mode webhook endpoints to the
	// live rule, public addresses only: CAISSE_WEBHOOK_PRIVATE_TEST_TARGETS=false
	// (the "webhooks" settings), for a deployment whose test keys are not all
	// trusted. The zero value, the default, lets test mode reach localhost.
	WebhookNoPrivateTestTargets bool
	badPrivateTestTargets       string // an unreadable CAISSE_WEBHOOK_PRIVATE_TEST_TARGETS, refused by Validate
	// WebhookWorkers is how many webhook deliveries each process makes at
	// once (CAISSE_WEBHOOK_WORKERS); 0 means DefaultWebhookWorkers.
	WebhookWorkers int

	// Limits on what comes from outside (the "limits" settings).
	RequestTimeout time.Duration // CAISSE_REQUEST_TIMEOUT: the deadline of each API request
	WriteTimeout   time.Duration // CAISSE_WRITE_TIMEOUT: the longest a response may take to send
	MaxConnections int           // CAISSE_MAX_CONNECTIONS: open client connections at once
	// AuthFailureRate is how many requests per second that fail to
	// authenticate one client address may make (CAISSE_AUTH_FAILURE_RATE); 0 disables.
	AuthFailureRate float64
	TrustedProxies  []netip.Prefix // CAISSE_TRUSTED_PROXIES: whose X-Forwarded-For names the client

	// SecretKey encrypts secrets at rest (CAISSE_SECRET_KEY, or the file
	// CAISSE_SECRET_KEY_FILE names): 32 bytes, given as 64 hex digits.
	SecretKey     string
	SecretKeyFile string
}

// Defaults.
const (
	DefaultAddr        = "127.0.0.1:8080"
	DefaultDatabaseURL = "sqlite:caisse.db"
	DefaultRateLimit   = 100
	DefaultOperator    = "operator"

	DefaultOperatorTimeout     = 10 * time.Second // connector.DefaultTimeout
	DefaultIdempotencyTakeover = 5 * time.Minute
	DefaultRequestTimeout      = 5 * time.Second
	DefaultWriteTimeout        = 30 * time.Second
	DefaultMaxConnections      = 1000
	DefaultAuthFailureRate     = 10
	DefaultWebhookWorkers      = 100
	MaxWebhookWorkers          = 10_000
)

// Database engines a URL can name.
const (
	EngineSQLite   = "sqlite"
	EnginePostgres = "postgres"
)

// Bind registers the flags of the settings named in which ("addr", "database-url",
// "public-url", "rate-limit", "operator", "idempotency", "log") on fs, with defaults from getenv, and returns
// the Config they fill once fs is parsed.
func Bind(fs *flag.FlagSet, getenv func(string) string, which ...string) *Config {
	c := &Config{}
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	for _, w := range which {
		switch w {
		case "addr":
			fs.StringVar(&c.Addr, "addr", env("CAISSE_ADDR", DefaultAddr), "listen address (CAISSE_ADDR)")
			fs.StringVar(&c.DebugAddr, "debug-addr", env("CAISSE_DEBUG_ADDR", ""),
				"listen address of Go's profiler, /debug/pprof/; empty for none (CAISSE_DEBUG_ADDR)")
		case "database-url":
			fs.StringVar(&c.DatabaseURL, "database-url", env("CAISSE_DATABASE_URL", DefaultDatabaseURL),
				"sqlite:PATH or postgres://… (CAISSE_DATABASE_URL)")
		case "public-url":
			fs.StringVar(&c.PublicURL, "public-url", env("CAISSE_PUBLIC_URL", ""),
				"base URL of hosted pages (CAISSE_PUBLIC_URL; default http://ADDR)")
		case "rate-limit":
			rl, err := strconv.ParseFloat(env("CAISSE_RATE_LIMIT", strconv.Itoa(DefaultRateLimit)), 64)
			if err != nil {
				rl = -1 // refused by Validate
			}
			fs.Float64Var(&c.RateLimit, "rate-limit", rl, "requests per second per API key, 0 for none (CAISSE_RATE_LIMIT)")
		case "operator":
			fs.StringVar(&c.OperatorName, "operator-name", env("CAISSE_OPERATOR_NAME", DefaultOperator), "live connector name (CAISSE_OPERATOR_NAME)")
			fs.StringVar(&c.OperatorURL, "operator-url", env("CAISSE_OPERATOR_URL", ""), "operator API base URL (CAISSE_OPERATOR_URL)")
			c.OperatorSecret = getenv("CAISSE_OPERATOR_SECRET") // never a flag: flags show in process lists
			fs.DurationVar(&c.OperatorTimeout, "operator-timeout", duration(env("CAISSE_OPERATOR_TIMEOUT", ""), DefaultOperatorTimeout),
				"bound on each request to the operator (CAISSE_OPERATOR_TIMEOUT)")
		case "idempotency":
			fs.DurationVar(&c.IdempotencyTakeover, "idempotency-takeover", duration(env("CAISSE_IDEMPOTENCY_TAKEOVER", ""), DefaultIdempotencyTakeover),
				"how long an unfinished request's idempotency key stays locked (CAISSE_IDEMPOTENCY_TAKEOVER)")
		case "limits":
			fs.DurationVar(&c.RequestTimeout, "request-timeout", duration(env("CAISSE_REQUEST_TIMEOUT", ""), DefaultRequestTimeout),
				"deadline of each API request (CAISSE_REQUEST_TIMEOUT)")
			fs.DurationVar(&c.WriteTimeout, "write-timeout", duration(env("CAISSE_WRITE_TIMEOUT", ""), DefaultWriteTimeout),
				"longest a response may take to send (CAISSE_WRITE_TIMEOUT)")
			n, err := strconv.Atoi(env("CAISSE_MAX_CONNECTIONS", strconv.Itoa(DefaultMaxConnections)))
			if err != nil {
				n = -1 // refused by Validate
			}
			fs.IntVar(&c.MaxConnections, "max-connections", n, "client connections open at once (CAISSE_MAX_CONNECTIONS)")
			afr, err := strconv.ParseFloat(env("CAISSE_AUTH_FAILURE_RATE", strconv.Itoa(DefaultAuthFailureRate)), 64)
			if err != nil {
				afr = -1 // refused by Validate
			}
			fs.Float64Var(&c.AuthFailureRate, "auth-failure-rate", afr,
				"requests per second failing authentication per client address, 0 for none (CAISSE_AUTH_FAILURE_RATE)")
			fs.Func("trusted-proxies", "CIDRs whose X-Forwarded-For names the client (CAISSE_TRUSTED_PROXIES)", c.setProxies)
			if v := getenv("CAISSE_TRUSTED_PROXIES"); v != "" {
				if err := c.setProxies(v); err != nil {
					c.TrustedProxies = []netip.Prefix{{}} // refused by Validate
				}
			}
		case "secrets":
			c.SecretKey = getenv("CAISSE_SECRET_KEY") // never a flag: flags show in process lists
			fs.StringVar(&c.SecretKeyFile, "secret-key-file", env("CAISSE_SECRET_KEY_FILE", ""),
				"file holding the key that encrypts secrets at rest (CAISSE_SECRET_KEY_FILE)")
		case "webhooks":
			fs.BoolFunc("webhook-private-test-targets", "test-mode webhooks may reach private and loopback addresses; "+
				"false on a shared deployment (CAISSE_WEBHOOK_PRIVATE_TEST_TARGETS, default true)", c.setPrivateTestTargets)
			if v := getenv("CAISSE_WEBHOOK_PRIVATE_TEST_TARGETS"); v != "" && c.setPrivateTestTargets(v) != nil {
				c.badPrivateTestTargets = v
			}
			n, err := strconv.Atoi(env("CAISSE_WEBHOOK_WORKERS", strconv.Itoa(DefaultWebhookWorkers)))
			if err != nil {
				n = -1 // refused by Validate
			}
			fs.IntVar(&c.WebhookWorkers, "webhook-workers", n, "webhook deliveries each process makes at once (CAISSE_WEBHOOK_WORKERS)")
		case "log":
			fs.StringVar(&c.LogFormat, "log-format", env("CAISSE_LOG_FORMAT", "json"), "json or text (CAISSE_LOG_FORMAT)")
			fs.StringVar(&c.LogLevel, "log-level", env("CAISSE_LOG_LEVEL", "info"), "debug, info, warn or error (CAISSE_LOG_LEVEL)")
		}
	}
	return c
}

// setProxies parses a comma-separated list of CIDRs or addresses.
func (c *Config) setProxies(v string) error {
	c.TrustedProxies = nil
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return fmt.Errorf("config: CAISSE_TRUSTED_PROXIES: %q is not a CIDR or an address", f)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, p.Masked())
	}
	return nil
}

// setPrivateTestTargets reads CAISSE_WEBHOOK_PRIVATE_TEST_TARGETS or its flag.
func (c *Config) setPrivateTestTargets(v string) error {
	allow, err := strconv.ParseBool(v)
	c.WebhookNoPrivateTestTargets, c.badPrivateTestTargets = !allow, ""
	return err
}

// duration parses an environment value as a Go duration; an empty value is
// def, and a bad one is -1, which Validate refuses.
func duration(v string, def time.Duration) time.Duration {
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return -1
	}
	return d
}

// Validate checks the settings and fills derived defaults.
func (c *Config) Validate() error {
	if c.DatabaseURL != "" {
		if _, _, err := ParseDatabaseURL(c.DatabaseURL); err != nil {
			return err
		}
	}
	if c.PublicURL == "" && c.Addr != "" {
		c.PublicURL = "http://" + c.Addr
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("config: CAISSE_PUBLIC_URL %q must be an absolute http(s) URL", c.PublicURL)
		}
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	if c.OperatorURL != "" {
		u, err := url.Parse(c.OperatorURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("config: CAISSE_OPERATOR_URL %q must be an absolute http(s) URL", c.OperatorURL)
		}
		if c.OperatorSecret == "" {
			return errors.New("config: CAISSE_OPERATOR_SECRET is required with CAISSE_OPERATOR_URL")
		}
		if c.OperatorName == "" {
			c.OperatorName = DefaultOperator
		}
	}
	if c.OperatorTimeout < 0 {
		return errors.New("config: CAISSE_OPERATOR_TIMEOUT must be a positive duration such as 10s")
	}
	if c.RequestTimeout < 0 || c.WriteTimeout < 0 {
		return errors.New("config: CAISSE_REQUEST_TIMEOUT and CAISSE_WRITE_TIMEOUT must be positive durations such as 5s")
	}
	if c.AuthFailureRate < 0 {
		return errors.New("config: CAISSE_AUTH_FAILURE_RATE must be a number ≥ 0")
	}
	if c.MaxConnections < 0 {
		return errors.New("config: CAISSE_MAX_CONNECTIONS must be a whole number ≥ 0 (0: no limit)")
	}
	if slices.Contains(c.TrustedProxies, netip.Prefix{}) {
		return errors.New("config: CAISSE_TRUSTED_PROXIES must be a comma-separated list of CIDRs, such as 10.0.0.0/8")
	}
	if c.IdempotencyTakeover < 0 {
		return errors.New("config: CAISSE_IDEMPOTENCY_TAKEOVER must be a positive duration such as 5m")
	}
	if c.RateLimit < 0 {
		return errors.New("config: CAISSE_RATE_LIMIT must be a number ≥ 0")
	}
	if c.WebhookWorkers < 0 || c.WebhookWorkers > MaxWebhookWorkers {
		return fmt.Errorf("config: CAISSE_WEBHOOK_WORKERS must be a whole number from 1 to %d (0: the default, %d)",
			MaxWebhookWorkers, DefaultWebhookWorkers)
	}
	if c.badPrivateTestTargets != "" {
		return fmt.Errorf("config: CAISSE_WEBHOOK_PRIVATE_TEST_TARGETS %q must be true or false", c.badPrivateTestTargets)
	}
	switch c.LogFormat {
	case "", "json", "text":
	default:
		return fmt.Errorf("config: CAISSE_LOG_FORMAT %q must be json or text", c.LogFormat)
	}
	if c.LogLevel != "" {
		if _, err := c.SlogLevel(); err != nil {
			return fmt.Errorf("config: CAISSE_LOG_LEVEL %q must be debug, info, warn or error", c.LogLevel)
		}
	}
	return nil
}

// SlogLevel is LogLevel as a slog level.
func (c *Config) SlogLevel() (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(c.LogLevel))
	return l, err
}

// ParseDatabaseURL returns the engine a database URL names and what to open:
// a file path for SQLite, the URL itself for PostgreSQL.
func ParseDatabaseURL(raw string) (engine, target string, err error) {
	switch {
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		if _, err := url.Parse(raw); err != nil {
			return "", "", errors.New("config: CAISSE_DATABASE_URL is not a valid postgres:// URL")
		}
		return EnginePostgres, raw, nil
	case strings.HasPrefix(raw, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "//")
		if path == "" {
			return "", "", errors.New("config: CAISSE_DATABASE_URL sqlite: needs a file path, as in sqlite:caisse.db")
		}
		return EngineSQLite, path, nil
	}
	return "", "", fmt.Errorf("config: CAISSE_DATABASE_URL must start with sqlite: or postgres:// (got %s)", Redact(raw))
}

// Redact hides the password of a URL, in its user part or its query string, for logs.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid url)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// Version is caisse's version as the binary knows it: the module version
// (or "devel"), the commit it was built from, and the Go release.
func Version() string {
	v, commit, dirty := "devel", "", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && len(s.Value) >= 12:
				commit = " " + s.Value[:12]
			case s.Key == "vcs.modified" && s.Value == "true":
				dirty = "-dirty"
			}
		}
	}
	return "caisse " + v + commit + dirty + " " + runtime.Version()
}
