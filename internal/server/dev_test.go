package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/caisse/caisse/client"
	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/connector"
	"github.com/caisse/caisse/internal/server"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// withDev starts the server as caisse dev does.
func withDev(s *testserver.Setup) { s.Options.Dev = &server.Dev{} }

// devCall sends a Stripe-dialect request with key and returns the status and the decoded body.
func devCall(t *testing.T, base, key, method, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(key, "")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// sessionForm is a Stripe checkout session in a currency no merchant is
// created with by default.
var sessionForm = url.Values{"mode": {"payment"}, "success_url": {"https://example.com/ok"},
	"line_items[0][price_data][currency]": {"usd"}, "line_items[0][price_data][unit_amount]": {"1500"},
	"line_items[0][price_data][product_data][name]": {"T-shirt"}, "line_items[0][quantity]": {"1"}}

// TestDevKeys checks caisse dev's key rule: any well-formed sk_test_ key
// works, is the same merchant on every request, accepts any currency and
// is isolated from another key's merchant; live and malformed keys are
// refused.
func TestDevKeys(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		env := testserver.Start(t, dbURL, withDev)
		code, s := devCall(t, env.URL, "sk_test_123", "POST", "/v1/checkout/sessions", sessionForm)
		if code != http.StatusOK || s["currency"] != "usd" {
			t.Fatalf("create with sk_test_123: %d %v", code, s)
		}
		id := s["id"].(string)
		if code, got := devCall(t, env.URL, "sk_test_123", "GET", "/v1/checkout/sessions/"+id, nil); code != http.StatusOK || got["id"] != id {
			t.Fatalf("retrieve with the same key: %d %v", code, got)
		}
		if code, got := devCall(t, env.URL, "sk_test_456", "GET", "/v1/checkout/sessions/"+id, nil); code != http.StatusNotFound {
			t.Fatalf("another key's merchant read the session: %d %v", code, got)
		}
		for _, key := range []string{"sk_live_123", "sk_test_", "sk_test_12-3", "sk_test_" + strings.Repeat("a", 101), "pk_test_123"} {
			if code, got := devCall(t, env.URL, key, "GET", "/v1/checkout/sessions", nil); code != http.StatusUnauthorized {
				t.Errorf("key %q: %d %v, want 401", key, code, got)
			}
		}
		if code, _ := devCall(t, env.URL, "sk_test_"+strings.Repeat("a", 100), "GET", "/v1/checkout/sessions", nil); code != http.StatusOK {
			t.Errorf("a 100-character dev key: %d, want 200", code)
		}
		test, live := env.Merchant() // keys made by caisse keys create: the test one works, the live one not
		if code, _ := devCall(t, env.URL, test, "GET", "/v1/checkout/sessions", nil); code != http.StatusOK {
			t.Errorf("a merchant's own test key: %d, want 200", code)
		}
		if code, _ := devCall(t, env.URL, live, "GET", "/v1/checkout/sessions", nil); code != http.StatusUnauthorized {
			t.Errorf("a merchant's live key: %d, want 401", code)
		}
	})
}

// TestDevKeyFirstUseRace authenticates a new key from many requests at
// once: all of them get the one merchant, none an error.
func TestDevKeyFirstUseRace(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		env := testserver.Start(t, dbURL, withDev)
		const n = 8
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				p, err := env.Server.Merchants.Authenticate(context.Background(), "sk_test_race")
				ids[i], errs[i] = p.Merchant.ID, err
			})
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || ids[i] == "" || ids[i] != ids[0] {
				t.Fatalf("request %d: merchant %q, error %v; request 0: %q", i, ids[i], errs[i], ids[0])
			}
		}
		keys, err := env.Server.Store.KeyList(context.Background(), ids[0])
		if err != nil || len(keys) != 1 {
			t.Fatalf("the merchant has keys %v (%v), want one", keys, err)
		}
		if sum := sha256.Sum256([]byte("sk_test_race")); !bytes.Equal(keys[0].Hash, sum[:]) || keys[0].Last4 != "race" {
			t.Fatalf("key stored as %+v", keys[0])
		}
	})
}

// TestServeRefusesUnknownTestKeys checks that without dev's rule a
// well-formed test key no merchant holds is refused.
func TestServeRefusesUnknownTestKeys(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		env := testserver.Start(t, dbURL)
		if code, got := devCall(t, env.URL, "sk_test_123", "GET", "/v1/checkout/sessions", nil); code != http.StatusUnauthorized {
			t.Fatalf("serve accepted sk_test_123: %d %v", code, got)
		}
	})
}

// TestDevTestDelay checks when caisse dev's test operator is due to answer a
// confirmation: --test-delay after it (at once by default), where serve
// waits connector.TestDelay. It reads the queued answer's River job.
func TestDevTestDelay(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		dev  *server.Dev
		want time.Duration
	}{
		{"dev default", &server.Dev{}, 0},
		{"dev 42m", &server.Dev{TestDelay: 42 * time.Minute}, 42 * time.Minute},
		{"serve", nil, connector.TestDelay},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			env := testserver.Start(t, testdb.SQLiteURL(t), func(s *testserver.Setup) { s.Options.Dev = c.dev })
			key, _ := env.Merchant()
			id := createSession(t, env.URL, key)
			momo := client.New(key, client.WithBaseURL(env.URL))
			if _, err := momo.Confirm(context.Background(), id, client.ConfirmParams{Channel: "orange_money", UserPhone: "+2250700000001"}); err != nil {
				t.Fatalf("confirm: %v", err)
			}
			jobs, err := env.Server.Jobs.JobList(context.Background(), river.NewJobListParams().Kinds(checkout.TestOutcomeArgs{}.Kind()))
			if err != nil || len(jobs.Jobs) != 1 {
				t.Fatalf("test outcome jobs %v (%v), want one", jobs, err)
			}
			if got := jobs.Jobs[0].ScheduledAt.Sub(env.Clock.Now()); got < c.want-time.Millisecond || got > c.want+time.Millisecond {
				t.Fatalf("the test operator answers %s after the confirmation, want %s", got, c.want)
			}
		})
	}
}
