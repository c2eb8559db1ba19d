package operator_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/connector"
	"github.com/caisse/caisse/internal/operator"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/seal"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/store/sqlitestore"
	"github.com/caisse/caisse/internal/testdb"
)

func newRegistry(t *testing.T, box *seal.Box) (*operator.Registry, string) {
	t.Helper()
	st, err := sqlitestore.Open(strings.TrimPrefix(testdb.SQLiteURL(t), "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m := store.Merchant{ID: randid.New("mer_"), Name: "Boutique", Currencies: []string{"XOF"}, CreatedAt: time.Now()}
	if err := st.MerchantCreate(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return &operator.Registry{Store: st, Box: box, PublicURL: "https://pay.example"}, m.ID
}

// TestSetRefuses: a setting with an unknown kind or channel, a base URL that
// is not an absolute http(s) URL, a missing or unknown credential, an unknown
// merchant, or no key to seal with, is refused and nothing is stored.
func TestSetRefuses(t *testing.T) {
	t.Parallel()
	box, err := seal.New(seal.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	r, mer := newRegistry(t, box)
	ok := operator.Setting{MerchantID: mer, Livemode: true, Channel: "wave", Kind: "wave", BaseURL: "https://api.wave.com",
		Credentials: map[string]string{"api_key": "wave_ci_prod_x", "webhook_secret": "wave_ci_WHS_y"}}
	for name, change := range map[string]func(*operator.Setting){
		"unknown kind":          func(s *operator.Setting) { s.Kind = "paypal" },
		"unknown channel":       func(s *operator.Setting) { s.Channel = "visa" },
		"relative base URL":     func(s *operator.Setting) { s.BaseURL = "/api" },
		"ftp base URL":          func(s *operator.Setting) { s.BaseURL = "ftp://api.wave.com" },
		"base URL with a query": func(s *operator.Setting) { s.BaseURL = "https://api.wave.com?x=1" },
		"base URL with a user":  func(s *operator.Setting) { s.BaseURL = "https://u:p@api.wave.com" },
		"missing credential":    func(s *operator.Setting) { s.Credentials = map[string]string{"api_key": "k"} },
		"empty credential":      func(s *operator.Setting) { s.Credentials = map[string]string{"api_key": "k", "webhook_secret": ""} },
		"unknown credential": func(s *operator.Setting) {
			s.Credentials = map[string]string{"api_key": "k", "webhook_secret": "w", "password": "p"}
		},
		"unknown merchant": func(s *operator.Setting) { s.MerchantID = "mer_nobody" },
	} {
		s := ok
		change(&s)
		if _, err := r.Set(context.Background(), s); err == nil {
			t.Errorf("%s: stored", name)
		}
	}
	if list, err := r.List(context.Background(), mer); err != nil || len(list) != 0 {
		t.Fatalf("after refusals: %v, %v", list, err)
	}
	if _, err := r.Set(context.Background(), ok); err != nil {
		t.Fatalf("the valid setting: %v", err)
	}
	noKey, mer2 := newRegistry(t, nil)
	ok.MerchantID = mer2
	if _, err := noKey.Set(context.Background(), ok); err == nil || !strings.Contains(err.Error(), "secret key") {
		t.Errorf("without a key: %v, want ErrNoKey", err)
	}
}

// TestForFallsBack: a channel with no connector of the merchant's is paid by
// the server-wide connector in live mode, by the test connector in test
// mode; with neither in live mode there is none, and only configured
// channels are offered.
func TestForFallsBack(t *testing.T) {
	t.Parallel()
	box, err := seal.New(seal.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	r, mer := newRegistry(t, box)
	ctx := context.Background()
	live, test := store.Scope{MerchantID: mer, Livemode: true}, store.Scope{MerchantID: mer}
	if _, err := r.For(ctx, live, "wave"); err == nil {
		t.Error("live wave with no connector: found one")
	}
	if c, err := r.For(ctx, test, "wave"); err != nil || c.Name() != "test" {
		t.Errorf("test wave: %v, %v; want the test connector", c, err)
	}
	if ch, _ := r.Channels(ctx, live); len(ch) != 0 {
		t.Errorf("live channels with no connector: %v", ch)
	}
	set, err := r.Set(ctx, operator.Setting{MerchantID: mer, Livemode: true, Channel: "wave", Kind: "wave", BaseURL: "https://api.wave.com",
		Credentials: map[string]string{"api_key": "wave_ci_prod_x", "webhook_secret": "wave_ci_WHS_y"}})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := r.For(ctx, live, "wave"); err != nil || c.Name() != set.ID || c.Flow() != connector.FlowRedirect {
		t.Errorf("live wave: %v, %v; want %s", c, err, set.ID)
	}
	if ch, _ := r.Channels(ctx, live); len(ch) != 1 || ch[0] != "wave" {
		t.Errorf("live channels: %v, want [wave]", ch)
	}
	r.Default = &connector.HTTP{ConnectorName: "operator", BaseURL: "https://op.example", Secret: "s"}
	if c, err := r.For(ctx, live, "mtn_momo"); err != nil || c.Name() != "operator" {
		t.Errorf("live mtn with a server-wide connector: %v, %v", c, err)
	}
	if c, err := r.For(ctx, live, "wave"); err != nil || c.Name() != set.ID {
		t.Errorf("the merchant's own connector comes first: %v, %v", c, err)
	}
	if c, err := r.ByID(ctx, "operator"); err != nil || c.Name() != "operator" {
		t.Errorf("ByID of the server-wide connector: %v, %v", c, err)
	}
	for _, id := range []string{"conn_missing", "other", strings.Repeat("conn_", 20)} {
		if _, err := r.ByID(ctx, id); err == nil {
			t.Errorf("ByID(%q): found", id)
		}
	}
}
