// Package operator keeps merchants' operator connectors: which connector
// kind, operator URL and credentials pay each merchant's channel in each
// mode (`caisse connectors set`), with the credentials sealed at rest, and
// builds the connectors that checkout drives. It imports connector and its
// operator packages, store and seal; checkout reaches it through
// checkout.Connectors.
package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caisse/caisse/internal/connector"
	"github.com/caisse/caisse/internal/connector/mtn"
	"github.com/caisse/caisse/internal/connector/orange"
	"github.com/caisse/caisse/internal/connector/wave"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/seal"
	"github.com/caisse/caisse/internal/store"
)

// Kinds are the connector kinds caisse speaks, by name.
var Kinds = []connector.Kind{connector.HTTPKind, mtn.Kind, orange.Kind, wave.Kind}

// KindNamed returns the kind of that name.
func KindNamed(name string) (connector.Kind, bool) {
	i := slices.IndexFunc(Kinds, func(k connector.Kind) bool { return k.Name == name })
	if i < 0 {
		return connector.Kind{}, false
	}
	return Kinds[i], true
}

// ErrNoKey means credentials cannot be sealed or opened: the server has no
// secret key (CAISSE_SECRET_KEY) to seal them with.
var ErrNoKey = errors.New("operator: connector credentials need a secret key (CAISSE_SECRET_KEY or CAISSE_SECRET_KEY_FILE) to be sealed at rest")

// Registry finds and builds connectors. It implements checkout.Connectors:
// a scope's channel is paid by the merchant's connector for it, else, in
// live mode, by Default, else, in test mode, by connector.Test.
type Registry struct {
	Store     store.Store
	Box       *seal.Box // seals credentials; nil refuses to store or open any
	PublicURL string    // CAISSE_PUBLIC_URL: callbacks are under it
	Timeout   time.Duration
	Client    *http.Client        // nil: each connector makes its own
	Default   connector.Connector // the server-wide live connector (CAISSE_OPERATOR_URL); nil when none
	Now       func() time.Time

	mu    sync.Mutex
	built map[string]built // by connector id
}

// built is a connector made from a stored row, kept while the row is
// unchanged so that what it caches (an operator's access token) lasts.
type built struct {
	updated time.Time
	conn    connector.Connector
}

// For is the connector of the scope's channel; store.ErrNotFound when none.
func (r *Registry) For(ctx context.Context, scope store.Scope, channel string) (connector.Connector, error) {
	row, err := r.Store.ConnectorFor(ctx, scope, channel)
	switch {
	case err == nil:
		return r.build(row)
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	case !scope.Livemode:
		return connector.Test{}, nil
	case r.Default != nil:
		return r.Default, nil
	}
	return nil, err
}

// ByID is the connector a callback URL names: a merchant's, by its id, or
// the server-wide one, by its name; store.ErrNotFound when none.
func (r *Registry) ByID(ctx context.Context, id string) (connector.Connector, error) {
	if r.Default != nil && id == r.Default.Name() {
		return r.Default, nil
	}
	if !strings.HasPrefix(id, "conn_") || len(id) > 64 {
		return nil, store.ErrNotFound // no stored id is like that
	}
	row, err := r.Store.ConnectorGet(ctx, id)
	if err != nil {
		return nil, err
	}
	return r.build(row)
}

// Channels lists the channels the scope can be paid with: every channel in
// test mode; in live mode those with a connector (all of them when there is
// a server-wide one).
func (r *Registry) Channels(ctx context.Context, scope store.Scope) ([]string, error) {
	if !scope.Livemode || r.Default != nil {
		return slices.Clone(connector.Channels), nil
	}
	rows, err := r.Store.ConnectorList(ctx, scope.MerchantID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range connector.Channels {
		if slices.ContainsFunc(rows, func(row store.Connector) bool { return row.Livemode && row.Channel == c }) {
			out = append(out, c)
		}
	}
	return out, nil
}

// build makes (or finds already made) the connector of a stored row.
func (r *Registry) build(row store.Connector) (connector.Connector, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.built[row.ID]; ok && b.updated.Equal(row.UpdatedAt) {
		return b.conn, nil
	}
	kind, ok := KindNamed(row.Kind)
	if !ok {
		return nil, fmt.Errorf("operator: connector %s has kind %q, which this build does not know", row.ID, row.Kind)
	}
	creds, err := r.open(row.Credentials)
	if err != nil {
		return nil, fmt.Errorf("operator: connector %s: %w", row.ID, err)
	}
	conn, err := kind.New(connector.Config{ID: row.ID, Kind: row.Kind, Livemode: row.Livemode, BaseURL: row.BaseURL,
		Credentials: creds, CallbackURL: r.CallbackURL(row.ID), Timeout: r.Timeout, Client: r.Client, Now: r.Now})
	if err != nil {
		return nil, fmt.Errorf("operator: connector %s: %w", row.ID, err)
	}
	if r.built == nil {
		r.built = map[string]built{}
	}
	r.built[row.ID] = built{updated: row.UpdatedAt, conn: conn}
	return conn, nil
}

// CallbackURL is where the operator of connector id posts its notifications.
func (r *Registry) CallbackURL(id string) string {
	return strings.TrimRight(r.PublicURL, "/") + "/v1/connectors/" + url.PathEscape(id) + "/callback"
}

func (r *Registry) open(sealed string) (map[string]string, error) {
	if r.Box == nil {
		return nil, ErrNoKey
	}
	plain, err := r.Box.Open(sealed)
	if err != nil {
		return nil, err
	}
	var creds map[string]string
	if err := json.Unmarshal(plain, &creds); err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	return creds, nil
}

// Setting is a connector as `caisse connectors set` gives it.
type Setting struct {
	MerchantID  string
	Livemode    bool
	Channel     string
	Kind        string
	BaseURL     string
	Credentials map[string]string
}

// Set checks a setting (a known kind and channel, an http(s) base URL, the
// kind's credentials) and stores it, its credentials sealed, replacing the
// merchant's connector for that mode and channel.
func (r *Registry) Set(ctx context.Context, s Setting) (store.Connector, error) {
	kind, ok := KindNamed(s.Kind)
	switch {
	case !ok:
		return store.Connector{}, fmt.Errorf("unknown connector kind %q: want one of %s", s.Kind, strings.Join(KindNames(), ", "))
	case !slices.Contains(connector.Channels, s.Channel):
		return store.Connector{}, fmt.Errorf("unknown channel %q: want one of %s", s.Channel, strings.Join(connector.Channels, ", "))
	case r.Box == nil:
		return store.Connector{}, ErrNoKey
	}
	if err := checkBaseURL(s.BaseURL); err != nil {
		return store.Connector{}, err
	}
	if err := kind.Check(s.Credentials); err != nil {
		return store.Connector{}, err
	}
	if _, err := r.Store.MerchantGet(ctx, s.MerchantID); err != nil {
		return store.Connector{}, fmt.Errorf("merchant %s: %w", s.MerchantID, err)
	}
	id := randid.New("conn_")
	if _, err := kind.New(connector.Config{ID: id, Kind: s.Kind, Livemode: s.Livemode, BaseURL: s.BaseURL,
		Credentials: s.Credentials, CallbackURL: r.CallbackURL(id)}); err != nil {
		return store.Connector{}, err
	}
	plain, err := json.Marshal(s.Credentials)
	if err != nil {
		return store.Connector{}, err
	}
	now := r.now()
	return r.Store.ConnectorPut(ctx, store.Connector{ID: id, Scope: store.Scope{MerchantID: s.MerchantID, Livemode: s.Livemode},
		Channel: s.Channel, Kind: s.Kind, BaseURL: strings.TrimRight(s.BaseURL, "/"), Credentials: r.Box.Seal(plain),
		CreatedAt: now, UpdatedAt: now})
}

// checkBaseURL accepts an absolute http(s) URL with no query or fragment.
func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("base URL %q: want an absolute http(s) URL with no credentials, query or fragment", raw)
	}
	return nil
}

// KindNames lists the names of Kinds.
func KindNames() []string {
	var out []string
	for _, k := range Kinds {
		out = append(out, k.Name)
	}
	return out
}

// Listed is a stored connector with its credentials masked.
type Listed struct {
	store.Connector
	Callback    string            // the URL to register with the operator
	Credentials map[string]string // secret ones masked
}

// List lists a merchant's connectors with their secret credentials masked:
// only the last 4 characters of a secret long enough to spare them show.
func (r *Registry) List(ctx context.Context, merchantID string) ([]Listed, error) {
	rows, err := r.Store.ConnectorList(ctx, merchantID)
	if err != nil {
		return nil, err
	}
	out := make([]Listed, 0, len(rows))
	for _, row := range rows {
		l := Listed{Connector: row, Callback: r.CallbackURL(row.ID), Credentials: map[string]string{}}
		l.Connector.Credentials = ""
		creds, err := r.open(row.Credentials)
		if err != nil {
			return nil, fmt.Errorf("connector %s: %w", row.ID, err)
		}
		kind, _ := KindNamed(row.Kind)
		for name, v := range creds {
			if i := slices.IndexFunc(kind.Credentials, func(c connector.Credential) bool { return c.Name == name }); i < 0 || kind.Credentials[i].Secret {
				v = mask(v)
			}
			l.Credentials[name] = v
		}
		out = append(out, l)
	}
	return out, nil
}

// mask hides a secret: "••••" and its last 4 characters when it has at
// least 16, "••••" alone otherwise.
func mask(v string) string {
	if len(v) < 16 {
		return "••••"
	}
	return "••••" + v[len(v)-4:]
}

// Delete removes a merchant's connector for a mode and channel; store.ErrNotFound if none.
func (r *Registry) Delete(ctx context.Context, scope store.Scope, channel string) error {
	return r.Store.ConnectorDelete(ctx, scope, channel)
}

func (r *Registry) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}
