package cli

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/caisse/caisse/client"
)

// apiFlags is where a command that talks to a running server finds it and
// its key: --api-url (else CAISSE_API_URL, else client.DefaultBaseURL) and
// --api-key (else CAISSE_API_KEY). Scripts rely on these names.
type apiFlags struct {
	url, key string
}

// register adds --api-url and --api-key to fs. The environment is read by
// client, after parsing, so that --help never prints a key.
func (a *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.url, "api-url", "", "the caisse server's address (CAISSE_API_URL, else "+client.DefaultBaseURL+")")
	fs.StringVar(&a.key, "api-key", "", "a secret key, sk_test_… or sk_live_… (CAISSE_API_KEY)")
}

// client resolves the flags against the environment and returns a client;
// a missing key is a usage error.
func (a *apiFlags) client(env Env) (*client.Client, error) {
	if a.url == "" {
		a.url = env.Getenv("CAISSE_API_URL")
	}
	if a.url == "" {
		a.url = client.DefaultBaseURL
	}
	if a.key == "" {
		a.key = env.Getenv("CAISSE_API_KEY")
	}
	if strings.TrimSpace(a.key) == "" {
		return nil, usageError{"an API key is required: --api-key or CAISSE_API_KEY (caisse keys create makes one)"}
	}
	if !strings.HasPrefix(a.url, "http://") && !strings.HasPrefix(a.url, "https://") {
		return nil, usageError{fmt.Sprintf("--api-url %q: want an http:// or https:// address", a.url)}
	}
	return client.New(a.key, client.WithBaseURL(a.url)), nil
}

// remoteError words a failed call for the terminal: the server's own
// message for an answer it refused, the address for a server not reached.
func (a *apiFlags) remoteError(err error) error {
	var apiErr *client.Error
	if errors.As(err, &apiErr) {
		msg := fmt.Sprintf("the server answered %d", apiErr.StatusCode)
		if apiErr.Code != "" {
			msg += " " + apiErr.Code
		}
		if apiErr.Message != "" {
			msg += ": " + apiErr.Message
		}
		if apiErr.RequestID != "" {
			msg += " (request " + apiErr.RequestID + ")"
		}
		return errors.New(msg)
	}
	return fmt.Errorf("calling %s: %w", a.url, err)
}
