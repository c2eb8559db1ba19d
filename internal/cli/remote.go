package cli

import (
	"flag"

	"github.com/caisse/caisse/client"
)

// remote is where a client command finds its server and key.
type remote struct {
	url, key string
}

// apiFlags binds --api-url (CAISSE_API_URL, default client.DefaultBaseURL)
// and --api-key (CAISSE_API_KEY) on fs: the flags of every command that
// talks to a running caisse over HTTP.
func apiFlags(fs *flag.FlagSet, getenv func(string) string) *remote {
	r := &remote{}
	url := getenv("CAISSE_API_URL")
	if url == "" {
		url = client.DefaultBaseURL
	}
	fs.StringVar(&r.url, "api-url", url, "the caisse server's address (CAISSE_API_URL)")
	fs.StringVar(&r.key, "api-key", getenv("CAISSE_API_KEY"), "a secret key of the merchant, sk_test_… (CAISSE_API_KEY)")
	return r
}

// client is the API client of the server and key given, or a usage error
// when no key was.
func (r *remote) client() (*client.Client, error) {
	if r.key == "" {
		return nil, usageError{"an API key is required: --api-key or CAISSE_API_KEY"}
	}
	return client.New(r.key, client.WithBaseURL(r.url)), nil
}
