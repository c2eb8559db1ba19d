package wave

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The wire protocol of Wave's Checkout API and webhooks (docs.wave.com/checkout,
// docs.wave.com/webhook), shared by the connector and the simulator.

const (
	headerSignature   = "Wave-Signature"  // webhooks, and requests when the API key has a signing secret
	headerIdempotency = "Idempotency-Key" // on POST /v1/checkout/sessions: caisse's attempt
	// Tolerance is how far a Wave-Signature timestamp may be from the
	// receiver's clock, both ways: Wave tells receivers to refuse older
	// webhooks, as replays.
	Tolerance = 5 * time.Minute
)

// Checkout session statuses (checkout_status and payment_status).
const (
	checkoutOpen     = "open"
	checkoutComplete = "complete"
	checkoutExpired  = "expired"

	paymentProcessing = "processing"
	paymentCancelled  = "cancelled"
	paymentSucceeded  = "succeeded"
)

// Webhook event types caisse reads.
const (
	eventCompleted = "checkout.session.completed"
	eventFailed    = "checkout.session.payment_failed"
)

// createRequest is the body of POST /v1/checkout/sessions.
type createRequest struct {
	Amount              string `json:"amount"`
	Currency            string `json:"currency"`
	ClientReference     string `json:"client_reference,omitempty"`
	SuccessURL          string `json:"success_url"`
	ErrorURL            string `json:"error_url"`
	RestrictPayerMobile string `json:"restrict_payer_mobile,omitempty"`
}

// paymentError is a checkout session's last_payment_error.
type paymentError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// session is Wave's checkout session object.
type session struct {
	ID                  string        `json:"id"`
	Amount              string        `json:"amount"`
	Currency            string        `json:"currency"`
	BusinessName        string        `json:"business_name"`
	CheckoutStatus      string        `json:"checkout_status"`
	PaymentStatus       string        `json:"payment_status"`
	ClientReference     *string       `json:"client_reference"`
	LastPaymentError    *paymentError `json:"last_payment_error"`
	RestrictPayerMobile *string       `json:"restrict_payer_mobile,omitempty"`
	SuccessURL          string        `json:"success_url"`
	ErrorURL            string        `json:"error_url"`
	TransactionID       *string       `json:"transaction_id"`
	WaveLaunchURL       string        `json:"wave_launch_url"`
	WhenCreated         string        `json:"when_created"`
	WhenExpires         string        `json:"when_expires"`
	WhenCompleted       *string       `json:"when_completed"`
}

// reference is the session's client_reference, or "".
func (s session) reference() string {
	if s.ClientReference == nil {
		return ""
	}
	return *s.ClientReference
}

// searchAnswer is the body of GET /v1/checkout/sessions/search.
type searchAnswer struct {
	Result []session `json:"result"`
}

// event is a webhook's body.
type event struct {
	ID   string  `json:"id"`
	Type string  `json:"type"`
	Data session `json:"data"`
}

// apiError is Wave's error answer: {"code":…,"message":…}.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details []any  `json:"details,omitempty"`
}

// zeroDecimal lists the currencies whose amounts Wave takes without decimals.
var zeroDecimal = map[string]bool{"XOF": true, "XAF": true, "UGX": true, "GNF": true}

// formatAmount writes caisse's minor units as Wave's amount string: "1000"
// for 1000 XOF, "15.50" for 1550 of a currency with cents.
func formatAmount(minor int64, currency string) string {
	if zeroDecimal[currency] {
		return strconv.FormatInt(minor, 10)
	}
	return fmt.Sprintf("%d.%02d", minor/100, minor%100)
}

// sign is a Wave-Signature value: t=<unix seconds>,v1=<hex HMAC-SHA256,
// keyed by secret, of the timestamp's decimal digits followed directly by
// the body>. Wave signs webhooks so, and requests of API keys that have a
// signing secret.
func sign(secret string, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write(body)
	return h.Sum(nil)
}

// verify checks a Wave-Signature header against body: one t, at most
// Tolerance from now, and at least one v1 (Wave may send several while a
// secret rotates) that is the body's signature.
func verify(secret, header string, body []byte, now time.Time) error {
	if secret == "" {
		return errors.New("no secret to verify with")
	}
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			if ts != "" {
				return errors.New("more than one timestamp")
			}
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	switch {
	case header == "":
		return errors.New("no " + headerSignature + " header")
	case err != nil || ts != strconv.FormatInt(unix, 10):
		return errors.New("no valid timestamp")
	case len(sigs) == 0:
		return errors.New("no v1 signature")
	}
	if d := now.Sub(time.Unix(unix, 0)); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("timestamp %s is outside the tolerance of %s", ts, Tolerance)
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if got, err := hex.DecodeString(s); err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no v1 signature matches")
}
