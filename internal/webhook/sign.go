package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// secretPrefix starts every endpoint secret, as in Stripe and Standard Webhooks.
const secretPrefix = "whsec_"

// secretBytes is how many random bytes NewSecret puts after the prefix.
const secretBytes = 32

// Errors returned by Verify; test with errors.Is.
var (
	// ErrMalformed means the Stripe-Signature header cannot be parsed.
	ErrMalformed = errors.New("webhook: malformed Stripe-Signature header")
	// ErrNoSignature means the header has no v1 signature.
	ErrNoSignature = errors.New("webhook: no v1 signature in Stripe-Signature header")
	// ErrMismatch means no v1 signature matches the payload and secret.
	ErrMismatch = errors.New("webhook: signature does not match payload and secret")
	// ErrTooOld means the signed timestamp is older than the tolerance allows.
	ErrTooOld = errors.New("webhook: signature timestamp too old")
	// ErrTooNew means the signed timestamp is further in the future than the tolerance allows.
	ErrTooNew = errors.New("webhook: signature timestamp in the future")
)

// NewSecret returns a new endpoint secret: whsec_ + base64 of 32 random bytes.
func NewSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook: new secret: %w", err)
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// Headers returns the headers that sign payload for an endpoint with secret, as
// message id at time t: Stripe-Signature, webhook-id, webhook-timestamp and
// webhook-signature. The id must stay the same across delivery attempts of one
// event so receivers can deduplicate. The secret must be whsec_ followed by
// non-empty standard base64.
func Headers(secret, id string, payload []byte, t time.Time) (http.Header, error) {
	key, err := standardKey(secret)
	if err != nil {
		return nil, err
	}
	if id == "" {
		return nil, errors.New("webhook: empty message id")
	}
	if strings.ContainsFunc(id, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
		return nil, fmt.Errorf("webhook: message id %q contains spaces or control characters", id)
	}
	unix := t.Unix()
	ts := strconv.FormatInt(unix, 10)

	h := make(http.Header, 4)
	h.Set("Stripe-Signature", Sign(secret, payload, t))
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", ts)
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac(key, []byte(id+"."+ts+"."), payload)))
	return h, nil
}

// Sign returns a Stripe-Signature style header value, "t=<unix>,v1=<hex>",
// for payload signed at t with secret (any string, used whole as the HMAC key).
// Verify checks it.
func Sign(secret string, payload []byte, t time.Time) string {
	return "t=" + strconv.FormatInt(t.Unix(), 10) + ",v1=" + hex.EncodeToString(stripeMAC(secret, t.Unix(), payload))
}

// Verify checks a Stripe-Signature header against payload and secret, accepting
// a timestamp at most tolerance away from now in either direction. The header
// may carry several v1 signatures (a rolled secret); one match is enough. The
// error wraps ErrMalformed, ErrNoSignature, ErrMismatch, ErrTooOld or ErrTooNew.
func Verify(payload []byte, header, secret string, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		return fmt.Errorf("webhook: tolerance must be positive, got %v", tolerance)
	}
	unix, sigs, err := parseStripeHeader(header)
	if err != nil {
		return err
	}
	want := stripeMAC(secret, unix, payload)
	if !slices.ContainsFunc(sigs, func(sig []byte) bool { return hmac.Equal(want, sig) }) {
		return ErrMismatch
	}
	switch signed := time.Unix(unix, 0); {
	case now.Sub(signed) > tolerance:
		return fmt.Errorf("%w: signed at %s, %s before %s", ErrTooOld, signed.UTC().Format(time.RFC3339), now.Sub(signed).Round(time.Second), now.UTC().Format(time.RFC3339))
	case signed.Sub(now) > tolerance:
		return fmt.Errorf("%w: signed at %s, %s after %s", ErrTooNew, signed.UTC().Format(time.RFC3339), signed.Sub(now).Round(time.Second), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// parseStripeHeader splits "t=<unix>,v1=<hex>[,v1=<hex>…]" into the timestamp
// and the decoded v1 signatures. Other schemes (v0 …) are ignored, as Stripe's
// libraries do.
func parseStripeHeader(header string) (unix int64, sigs [][]byte, err error) {
	if header == "" {
		return 0, nil, fmt.Errorf("%w: empty", ErrMalformed)
	}
	seenT := false
	for pair := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" || v == "" {
			return 0, nil, fmt.Errorf("%w: element %q is not key=value", ErrMalformed, pair)
		}
		switch k {
		case "t":
			if seenT {
				return 0, nil, fmt.Errorf("%w: more than one t", ErrMalformed)
			}
			seenT = true
			if unix, err = strconv.ParseInt(v, 10, 64); err != nil {
				return 0, nil, fmt.Errorf("%w: t=%q is not unix seconds", ErrMalformed, v)
			}
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return 0, nil, fmt.Errorf("%w: v1 is not %d hex bytes", ErrMalformed, sha256.Size)
			}
			sigs = append(sigs, sig)
		}
	}
	if !seenT {
		return 0, nil, fmt.Errorf("%w: no t", ErrMalformed)
	}
	if len(sigs) == 0 {
		return 0, nil, ErrNoSignature
	}
	return unix, sigs, nil
}

// standardKey returns the HMAC key Standard Webhooks uses: the base64-decoded
// part of secret after whsec_.
func standardKey(secret string) ([]byte, error) {
	enc, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, errors.New("webhook: secret does not start with " + secretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("webhook: secret is not whsec_ + base64: %w", err)
	}
	if len(key) == 0 {
		return nil, errors.New("webhook: secret has no key after " + secretPrefix)
	}
	return key, nil
}

// stripeMAC is Stripe's v1 signature: HMAC-SHA256 keyed with the whole secret
// string over "<t>.<payload>".
func stripeMAC(secret string, unix int64, payload []byte) []byte {
	return mac([]byte(secret), []byte(strconv.FormatInt(unix, 10)+"."), payload)
}

// mac returns HMAC-SHA256 of prefix followed by payload.
func mac(key, prefix, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(prefix)
	m.Write(payload)
	return m.Sum(nil)
}
