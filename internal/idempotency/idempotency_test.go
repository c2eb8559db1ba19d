package idempotency

import (
	"bytes"
	"testing"
)

// TestHashDecodedRequest hashes what a request says, not how its bytes are laid out.
func TestHashDecodedRequest(t *testing.T) {
	const form, json = "application/x-www-form-urlencoded", "application/json"
	cases := []struct {
		name     string
		a, b     string
		typA     string
		typB     string
		pathB    string
		sameHash bool
	}{
		{"form fields in another order", "mode=payment&success_url=https%3A%2F%2Fa&line_items[0][quantity]=2",
			"line_items[0][quantity]=2&success_url=https://a&mode=payment", form, form, "", true},
		{"form with a charset", "a=1&b=2", "b=2&a=1", form, form + "; charset=utf-8", "", true},
		{"form value changed", "a=1&b=2", "a=1&b=3", form, form, "", false},
		{"repeated form key in another order", "expand[]=a&expand[]=b", "expand[]=b&expand[]=a", form, form, "", false},
		{"JSON keys in another order, other spacing", `{"amount": 5000, "currency": "XOF"}`, `{"currency":"XOF","amount":5000}`, json, json, "", true},
		{"JSON value changed", `{"amount": 5000}`, `{"amount": 5001}`, json, json, "", false},
		{"JSON number written otherwise", `{"amount": 5000}`, `{"amount": 5e3}`, json, json, "", false},
		{"another path", "a=1", "a=1", form, form, "/v1/other", false},
		{"unparsable bodies compare as bytes", "%zz", "%zz", form, form, "", true},
	}
	for _, c := range cases {
		pathB := "/v1/checkout/sessions"
		if c.pathB != "" {
			pathB = c.pathB
		}
		ha := Hash("POST", "/v1/checkout/sessions", c.typA, []byte(c.a))
		hb := Hash("POST", pathB, c.typB, []byte(c.b))
		if bytes.Equal(ha, hb) != c.sameHash {
			t.Errorf("%s: same hash = %v, want %v", c.name, !c.sameHash, c.sameHash)
		}
	}
}
