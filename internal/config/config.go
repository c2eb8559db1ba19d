// Package config reads caisse's settings from flags and the environment
// (flags win), applies defaults, validates them and masks secrets for logs.
// It imports no other caisse package.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of caisse serve.
type Config struct {
	Addr        string  // CAISSE_ADDR
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
}

// Defaults.
const (
	DefaultAddr        = "127.0.0.1:8080"
	DefaultDatabaseURL = "sqlite:caisse.db"
	DefaultRateLimit   = 100
	DefaultOperator    = "operator"

	DefaultOperatorTimeout     = 10 * time.Second // connector.DefaultTimeout
	DefaultIdempotencyTakeover = 5 * time.Minute
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
		case "log":
			fs.StringVar(&c.LogFormat, "log-format", env("CAISSE_LOG_FORMAT", "json"), "json or text (CAISSE_LOG_FORMAT)")
			fs.StringVar(&c.LogLevel, "log-level", env("CAISSE_LOG_LEVEL", "info"), "debug, info, warn or error (CAISSE_LOG_LEVEL)")
		}
	}
	return c
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
	if c.IdempotencyTakeover < 0 {
		return errors.New("config: CAISSE_IDEMPOTENCY_TAKEOVER must be a positive duration such as 5m")
	}
	if c.RateLimit < 0 {
		return errors.New("config: CAISSE_RATE_LIMIT must be a number ≥ 0")
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
