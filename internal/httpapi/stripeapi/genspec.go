//go:build ignore

// genspec reduces Stripe's OpenAPI description to what the Stripe dialect
// reads at run time (stripespec.json): the API version it describes, the
// schema of a checkout session's create parameters (types, enums, lengths,
// required fields; descriptions dropped, $refs resolved) and the fields of the
// checkout.session and event objects. Run it with go generate after replacing
// the spec; -spec names the spec3.json (or an excerpt of it) to read.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"os"
	"slices"
	"strings"
)

// schema is the part of an OpenAPI schema that validation needs.
type schema struct {
	Type                 string             `json:"type,omitempty"`
	Enum                 []string           `json:"enum,omitempty"`
	MaxLength            int                `json:"maxLength,omitempty"`
	Properties           map[string]*schema `json:"properties,omitempty"`
	AdditionalProperties *schema            `json:"additionalProperties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	Items                *schema            `json:"items,omitempty"`
	AnyOf                []*schema          `json:"anyOf,omitempty"`
}

// output is stripespec.json.
type output struct {
	Version       string   `json:"version"`
	Source        string   `json:"source"`
	Create        *schema  `json:"create"`
	SessionFields []string `json:"session_fields"`
	EventFields   []string `json:"event_fields"`
}

func main() {
	specPath := flag.String("spec", "", "Stripe's OpenAPI spec3.json, or an excerpt of it")
	outPath := flag.String("out", "stripespec.json", "where to write the reduced spec")
	flag.Parse()
	raw, err := os.ReadFile(*specPath)
	if err != nil {
		log.Fatal(err)
	}
	var spec struct {
		Info struct {
			Version string `json:"version"`
			Source  string `json:"x-source"`
		} `json:"info"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		log.Fatal(err)
	}
	var op struct {
		RequestBody struct {
			Content map[string]struct {
				Schema json.RawMessage `json:"schema"`
			} `json:"content"`
		} `json:"requestBody"`
	}
	if err := json.Unmarshal(spec.Paths["/v1/checkout/sessions"]["post"], &op); err != nil {
		log.Fatal(err)
	}
	out := output{Version: spec.Info.Version, Source: spec.Info.Source,
		Create:        reduce(op.RequestBody.Content["application/x-www-form-urlencoded"].Schema, spec.Components.Schemas),
		SessionFields: fields(spec.Components.Schemas["checkout.session"]),
		EventFields:   fields(spec.Components.Schemas["event"])}
	data, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*outPath, append(data, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
}

// reduce keeps what validation needs of a schema, resolving $refs.
func reduce(raw json.RawMessage, defs map[string]json.RawMessage) *schema {
	var s struct {
		Ref                  string                     `json:"$ref"`
		Type                 string                     `json:"type"`
		Enum                 []any                      `json:"enum"`
		MaxLength            int                        `json:"maxLength"`
		Properties           map[string]json.RawMessage `json:"properties"`
		AdditionalProperties json.RawMessage            `json:"additionalProperties"`
		Required             []string                   `json:"required"`
		Items                json.RawMessage            `json:"items"`
		AnyOf                []json.RawMessage          `json:"anyOf"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		log.Fatal(err)
	}
	if s.Ref != "" {
		return reduce(defs[strings.TrimPrefix(s.Ref, "#/components/schemas/")], defs)
	}
	out := &schema{Type: s.Type, MaxLength: s.MaxLength, Required: s.Required}
	for _, v := range s.Enum {
		if str, ok := v.(string); ok {
			out.Enum = append(out.Enum, str)
		}
	}
	if len(s.Properties) > 0 {
		out.Properties = map[string]*schema{}
		for k, v := range s.Properties {
			out.Properties[k] = reduce(v, defs)
		}
	}
	if len(s.AdditionalProperties) > 0 && s.AdditionalProperties[0] == '{' {
		out.AdditionalProperties = reduce(s.AdditionalProperties, defs)
	}
	if len(s.Items) > 0 {
		out.Items = reduce(s.Items, defs)
	}
	for _, v := range s.AnyOf {
		out.AnyOf = append(out.AnyOf, reduce(v, defs))
	}
	return out
}

// fields lists an object schema's properties, sorted.
func fields(raw json.RawMessage) []string {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		log.Fatal(err)
	}
	names := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}
