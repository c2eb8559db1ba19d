package webhook_test

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stripe/stripe-go/v85"
	stripewebhook "github.com/stripe/stripe-go/v85/webhook"

	"github.com/caisse/caisse/internal/webhook"
)

// eventPayload returns a body shaped like a Stripe checkout.session.completed event.
func eventPayload(t *testing.T, id string, created time.Time) []byte {
	t.Helper()
	return fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":%q,"type":"checkout.session.completed","created":%d,"livemode":false,"data":{"object":{"id":"cs_test_a1b2c3","object":"checkout.session"}}}`,
		id, stripe.APIVersion, created.Unix())
}

// newSecret returns a fresh endpoint secret or fails the test.
func newSecret(t *testing.T) string {
	t.Helper()
	s, err := webhook.NewSecret()
	if err != nil {
		t.Fatalf("NewSecret: %v", err)
	}
	return s
}

// sign returns the headers for payload or fails the test.
func sign(t *testing.T, secret, id string, payload []byte, at time.Time) http.Header {
	t.Helper()
	h, err := webhook.Headers(secret, id, payload, at)
	if err != nil {
		t.Fatalf("Headers: %v", err)
	}
	return h
}

func TestHeadersAcceptedByStripeGo(t *testing.T) {
	t.Parallel()
	secret, other := newSecret(t), newSecret(t)
	now := time.Now()
	payload := eventPayload(t, "evt_test_1", now)
	tampered := []byte(strings.Replace(string(payload), "cs_test_a1b2c3", "cs_test_zzzzzz", 1))

	cases := []struct {
		name     string
		signedAt time.Time
		body     []byte
		secret   string
		wantErr  error
	}{
		{"fresh", now, payload, secret, nil},
		{"within tolerance", now.Add(-4 * time.Minute), payload, secret, nil},
		{"changed payload", now, tampered, secret, stripewebhook.ErrNoValidSignature},
		{"different secret", now, payload, other, stripewebhook.ErrNoValidSignature},
		{"older than 300 s", now.Add(-stripewebhook.DefaultTolerance - 10*time.Second), payload, secret, stripewebhook.ErrTooOld},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h, err := webhook.Headers(secret, "evt_test_1", payload, c.signedAt)
			if err != nil {
				t.Fatalf("Headers: %v", err)
			}
			ev, err := stripewebhook.ConstructEvent(c.body, h.Get("Stripe-Signature"), c.secret)
			if err != c.wantErr {
				t.Fatalf("ConstructEvent error = %v, want %v", err, c.wantErr)
			}
			if err != nil {
				return
			}
			if ev.ID != "evt_test_1" || ev.Type != "checkout.session.completed" || ev.APIVersion != stripe.APIVersion {
				t.Errorf("event = %s %s %s", ev.ID, ev.Type, ev.APIVersion)
			}
			if id := ev.Data.Object["id"]; id != "cs_test_a1b2c3" {
				t.Errorf("data.object.id = %v", id)
			}
		})
	}
}

func TestHeadersStripeSignatureMatchesStripeGo(t *testing.T) {
	t.Parallel()
	secret := newSecret(t)
	at := time.Unix(1_780_000_000, 0)
	payload := eventPayload(t, "evt_test_2", at)
	want := "t=1780000000,v1=" + hex.EncodeToString(stripewebhook.ComputeSignature(at, payload, secret))
	if got := sign(t, secret, "evt_test_2", payload, at).Values("Stripe-Signature"); len(got) != 1 || got[0] != want {
		t.Errorf("Stripe-Signature = %q, want %q", got, want)
	}
}

func TestHeadersAcceptedByStandardWebhooks(t *testing.T) {
	t.Parallel()
	secret, other := newSecret(t), newSecret(t)
	now := time.Now()
	payload := eventPayload(t, "evt_test_3", now)
	old := sign(t, secret, "evt_test_3", payload, now.Add(-10*time.Minute))

	cases := []struct {
		name    string
		secret  string
		body    []byte
		edit    func(h http.Header)
		wantErr error
	}{
		{"as signed", secret, payload, func(http.Header) {}, nil},
		{"changed payload", secret, append(payload[:len(payload):len(payload)], ' '), func(http.Header) {}, standardwebhooks.ErrNoMatchingSignature},
		{"different secret", other, payload, func(http.Header) {}, standardwebhooks.ErrNoMatchingSignature},
		{"changed id", secret, payload, func(h http.Header) { h.Set("webhook-id", "evt_test_4") }, standardwebhooks.ErrNoMatchingSignature},
		{"changed timestamp", secret, payload, func(h http.Header) {
			h.Set("webhook-timestamp", strconv.FormatInt(now.Unix()-1, 10))
		}, standardwebhooks.ErrNoMatchingSignature},
		{"old", secret, payload, func(h http.Header) {
			h.Set("webhook-timestamp", old.Get("webhook-timestamp"))
			h.Set("webhook-signature", old.Get("webhook-signature"))
		}, standardwebhooks.ErrMessageTooOld},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h, err := webhook.Headers(secret, "evt_test_3", payload, now)
			if err != nil {
				t.Fatalf("Headers: %v", err)
			}
			c.edit(h)
			wh, err := standardwebhooks.NewWebhook(c.secret)
			if err != nil {
				t.Fatalf("NewWebhook: %v", err)
			}
			if err := wh.Verify(c.body, h); !errors.Is(err, c.wantErr) {
				t.Fatalf("Verify error = %v, want %v", err, c.wantErr)
			}
		})
	}
}

func TestHeadersStandardWebhooksVector(t *testing.T) {
	t.Parallel()
	// The signing example of the Standard Webhooks reference libraries.
	h := sign(t, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		[]byte(`{"test": 2432232314}`), time.Unix(1614265330, 0))
	want := map[string]string{
		"webhook-id":        "msg_p5jXN8AQM9LWM0D4loKWxJek",
		"webhook-timestamp": "1614265330",
		"webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
	}
	for k, v := range want {
		if got := h.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if len(h) != 4 {
		t.Errorf("got %d headers, want 4: %v", len(h), h)
	}
}

func TestHeadersRefusesBadInput(t *testing.T) {
	t.Parallel()
	good := newSecret(t)
	cases := []struct{ name, secret, id string }{
		{"empty secret", "", "evt_1"},
		{"no prefix", strings.TrimPrefix(good, "whsec_"), "evt_1"},
		{"upper-case prefix", "WHSEC_" + strings.TrimPrefix(good, "whsec_"), "evt_1"},
		{"prefix only", "whsec_", "evt_1"},
		{"not base64", "whsec_not*base64!", "evt_1"},
		{"url-safe base64", "whsec_" + base64.URLEncoding.EncodeToString([]byte{0xfb, 0xff, 0xfe}), "evt_1"},
		{"missing padding", "whsec_" + base64.RawStdEncoding.EncodeToString([]byte("ab")), "evt_1"},
		{"empty id", good, ""},
		{"id with space", good, "evt 1"},
		{"id with newline", good, "evt_1\r\nX-Injected: 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if h, err := webhook.Headers(c.secret, c.id, []byte(`{}`), time.Now()); err == nil {
				t.Fatalf("Headers(%q, %q) = %v, want an error", c.secret, c.id, h)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	secret, old := newSecret(t), newSecret(t)
	now := time.Unix(1_780_000_000, 0)
	const tolerance = 5 * time.Minute
	payload := eventPayload(t, "evt_test_5", now)
	header := func(s string, at time.Time) string {
		return sign(t, s, "evt_test_5", payload, at).Get("Stripe-Signature")
	}
	// A rolled secret: Stripe sends one v1 per active secret, plus v0 in test mode.
	v1Old := strings.TrimPrefix(header(old, now), "t=1780000000,")
	v1New := strings.TrimPrefix(header(secret, now), "t=1780000000,")

	cases := []struct {
		name    string
		body    []byte
		header  string
		secret  string
		wantErr error
	}{
		{"own header", payload, header(secret, now), secret, nil},
		{"changed payload", []byte(strings.Replace(string(payload), "false", "true", 1)), header(secret, now), secret, webhook.ErrMismatch},
		{"wrong secret", payload, header(secret, now), old, webhook.ErrMismatch},
		{"changed timestamp", payload, strings.Replace(header(secret, now), "t=1780000000", "t=1780000001", 1), secret, webhook.ErrMismatch},
		{"several v1, one matches", payload, "t=1780000000," + v1Old + "," + v1New + ",v0=abcd", secret, nil},
		{"several v1, none matches", payload, "t=1780000000," + v1Old, secret, webhook.ErrMismatch},
		{"old, at the tolerance", payload, header(secret, now.Add(-tolerance)), secret, nil},
		{"stale", payload, header(secret, now.Add(-tolerance-time.Second)), secret, webhook.ErrTooOld},
		{"ahead, at the tolerance", payload, header(secret, now.Add(tolerance)), secret, nil},
		{"future", payload, header(secret, now.Add(tolerance+time.Second)), secret, webhook.ErrTooNew},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if err := webhook.Verify(c.body, c.header, c.secret, tolerance, now); !errors.Is(err, c.wantErr) {
				t.Fatalf("Verify(%q) = %v, want %v", c.header, err, c.wantErr)
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	t.Parallel()
	secret := newSecret(t)
	now := time.Unix(1_780_000_000, 0)
	payload := eventPayload(t, "evt_test_6", now)
	good := sign(t, secret, "evt_test_6", payload, now).Get("Stripe-Signature")
	v1 := strings.TrimPrefix(good, "t=1780000000,")
	if err := webhook.Verify(payload, good, secret, time.Minute, now); err != nil {
		t.Fatalf("the unmodified header is refused: %v", err)
	}

	cases := []struct {
		name    string
		header  string
		wantErr error
	}{
		{"empty", "", webhook.ErrMalformed},
		{"no key=value", "garbage", webhook.ErrMalformed},
		{"empty element", "t=1780000000,," + v1, webhook.ErrMalformed},
		{"empty t", "t=," + v1, webhook.ErrMalformed},
		{"t not a number", "t=yesterday," + v1, webhook.ErrMalformed},
		{"t fractional", "t=1780000000.5," + v1, webhook.ErrMalformed},
		{"t twice", "t=1780000000,t=1780000000," + v1, webhook.ErrMalformed},
		{"no t", v1, webhook.ErrMalformed},
		{"v1 not hex", "t=1780000000,v1=" + strings.Repeat("zz", 32), webhook.ErrMalformed},
		{"v1 too short", good[:len(good)-2], webhook.ErrMalformed},
		{"v1 too long", good + "00", webhook.ErrMalformed},
		{"space before v1 (an unknown key, as in stripe-go)", "t=1780000000, " + v1, webhook.ErrNoSignature},
		{"no v1", "t=1780000000", webhook.ErrNoSignature},
		{"only v0", "t=1780000000,v0=" + strings.TrimPrefix(v1, "v1="), webhook.ErrNoSignature},
		{"Standard Webhooks form", sign(t, secret, "evt_test_6", payload, now).Get("webhook-signature"), webhook.ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if err := webhook.Verify(payload, c.header, secret, time.Minute, now); !errors.Is(err, c.wantErr) {
				t.Fatalf("Verify(%q) = %v, want %v", c.header, err, c.wantErr)
			}
		})
	}
}

func TestVerifyRefusesNonPositiveTolerance(t *testing.T) {
	t.Parallel()
	secret := newSecret(t)
	now := time.Unix(1_780_000_000, 0)
	payload := eventPayload(t, "evt_test_7", now)
	header := sign(t, secret, "evt_test_7", payload, now).Get("Stripe-Signature")
	for _, tol := range []time.Duration{0, -time.Second} {
		if err := webhook.Verify(payload, header, secret, tol, now); err == nil {
			t.Errorf("Verify with tolerance %v accepted", tol)
		}
	}
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	a, b := newSecret(t), newSecret(t)
	if a == b {
		t.Fatalf("two calls returned the same secret %q", a)
	}
	for _, s := range []string{a, b} {
		enc, ok := strings.CutPrefix(s, "whsec_")
		if !ok {
			t.Fatalf("secret %q lacks the whsec_ prefix", s)
		}
		key, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			t.Fatalf("secret %q is not standard base64: %v", s, err)
		}
		if len(key) != 32 {
			t.Errorf("secret %q decodes to %d bytes, want 32", s, len(key))
		}
	}
}
