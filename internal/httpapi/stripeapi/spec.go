package stripeapi

import (
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/caisse/caisse/internal/httpapi"
)

//go:generate go run genspec.go -spec ../../../../shared/reference/stripe-openapi-checkout-excerpt.json -stripe-go $STRIPE_GO

// specJSON is Stripe's OpenAPI description reduced by genspec.go to what the
// dialect reads: the create parameters' schema and the objects' field lists.
//
//go:embed stripespec.json
var specJSON []byte

// apiSchema is one reduced OpenAPI schema (genspec.go).
type apiSchema struct {
	Type                 string                `json:"type"`
	Enum                 []string              `json:"enum"`
	MaxLength            int                   `json:"maxLength"`
	Properties           map[string]*apiSchema `json:"properties"`
	AdditionalProperties *apiSchema            `json:"additionalProperties"`
	Required             []string              `json:"required"`
	Items                *apiSchema            `json:"items"`
	AnyOf                []*apiSchema          `json:"anyOf"`
}

// stripeSpec is stripespec.json: the API version its schema describes, the
// schema of a session's create parameters, and the fields of a
// checkout.session and of an event per API version, oldest first.
type stripeSpec struct {
	Version  string          `json:"version"`
	Source   string          `json:"source"`
	Create   *apiSchema      `json:"create"`
	Versions []versionFields `json:"versions"`
}

// versionFields are the fields of a checkout.session and of an event in one
// API version, and where genspec.go found them.
type versionFields struct {
	Version       string   `json:"version"`
	Source        string   `json:"source"`
	SessionFields []string `json:"session_fields"`
	EventFields   []string `json:"event_fields"`
}

// fieldsAt are the fields of the API version v: those of the newest listed
// version not after v, or of the oldest listed for a version older than all.
func fieldsAt(v string) versionFields {
	at := spec.Versions[0]
	for _, listed := range spec.Versions {
		if since(v, listed.Version) {
			at = listed
		}
	}
	return at
}

// spec is the embedded stripespec.json.
var spec = func() stripeSpec {
	var s stripeSpec
	if err := json.Unmarshal(specJSON, &s); err != nil {
		panic("stripeapi: stripespec.json: " + err.Error())
	}
	return s
}()

// parseBool reads a boolean as Stripe accepts it: true and false, and True and
// False as older stripe-python sends them. It is the one place booleans are read.
func parseBool(s string) (bool, bool) {
	switch s {
	case "true", "True":
		return true, true
	case "false", "False":
		return false, true
	}
	return false, false
}

// conform checks the value n at path against Stripe's schema s, as Stripe's
// own validation would: types, enums, lengths, required and unknown fields.
// It reads nothing: markRead does that once the value is accepted.
func conform(n *node, s *apiSchema, path string) *httpapi.Problem {
	if n.kind == kindNull {
		return nil
	}
	if len(s.AnyOf) > 0 {
		var first *httpapi.Problem
		for _, alt := range s.AnyOf {
			prob := conform(n, alt, path)
			if prob == nil {
				return nil
			}
			if first == nil || (alt.Type == "object") == (n.kind == kindObject) {
				first = prob
			}
		}
		return first
	}
	switch s.Type {
	case "object":
		return conformObject(n, s, path)
	case "array":
		if prob := n.asList(path); prob != nil {
			return prob
		}
		for i, item := range n.items {
			if prob := conform(item, s.Items, paramPath(path, strconv.Itoa(i))); prob != nil {
				return prob
			}
		}
		return nil
	}
	if n.kind != kindString {
		return httpapi.Invalid(path, "", "Invalid %s: %s", path, describeNode(n))
	}
	return conformScalar(n.text, s, path)
}

// conformObject checks an object's fields: each must be one the schema
// names (or allows, like metadata's keys), and the required ones present.
func conformObject(n *node, s *apiSchema, path string) *httpapi.Problem {
	if n.kind != kindObject {
		return httpapi.Invalid(path, "", "Invalid object")
	}
	for _, key := range n.keys {
		field := cmp.Or(s.Properties[key], s.AdditionalProperties)
		if field == nil {
			p := paramPath(path, key)
			return httpapi.Invalid(p, "parameter_unknown", "Received unknown parameter: %s", p)
		}
		if prob := conform(n.fields[key], field, paramPath(path, key)); prob != nil {
			return prob
		}
	}
	for _, key := range s.Required {
		if n.fields[key] == nil {
			p := paramPath(path, key)
			return httpapi.Invalid(p, "parameter_missing", "Missing required param: %s.", p)
		}
	}
	return nil
}

// conformScalar checks a boolean, number or string against its schema.
func conformScalar(v string, s *apiSchema, path string) *httpapi.Problem {
	switch s.Type {
	case "boolean":
		if _, ok := parseBool(v); !ok {
			return httpapi.Invalid(path, "", "Invalid boolean: %s", v)
		}
		return nil
	case "integer":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil || strings.HasPrefix(v, "+") {
			return httpapi.Invalid(path, "parameter_invalid_integer", "Invalid integer: %s", v)
		}
		return nil
	case "number":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return httpapi.Invalid(path, "", "Invalid decimal: %s", v)
		}
		return nil
	}
	switch {
	case len(s.Enum) > 0 && !slices.Contains(s.Enum, v):
		return httpapi.Invalid(path, "", "Invalid %s: must be one of %s", path, oneOf(s.Enum))
	case s.MaxLength > 0 && len([]rune(v)) > s.MaxLength:
		return httpapi.Invalid(path, "", "Invalid %s: must be at most %d characters", path, s.MaxLength)
	}
	return nil
}

// oneOf lists an enum as Stripe's messages do: "a, b, or c".
func oneOf(values []string) string {
	if len(values) == 1 {
		return fmt.Sprintf("%q", values[0])
	}
	return strings.Join(values[:len(values)-1], ", ") + ", or " + values[len(values)-1]
}

// markRead marks n and every value below it read.
func markRead(n *node) {
	n.read = true
	for _, child := range n.items {
		markRead(child)
	}
	for _, child := range n.fields {
		markRead(child)
	}
}
