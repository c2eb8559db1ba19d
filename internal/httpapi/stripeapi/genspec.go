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

// output is stripespec.json.
type output struct {
	Version       string   `json:"version"`
	Source        string   `json:"source"`
	Create        any      `json:"create"`
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

// kept are the members of a schema that validation reads (spec.go's apiSchema).
var kept = []string{"type", "maxLength", "required"}

// reduce keeps what validation needs of a schema, resolving $refs; nested
// schemas are reduced in turn.
func reduce(raw json.RawMessage, defs map[string]json.RawMessage) map[string]any {
	var s map[string]json.RawMessage
	if err := json.Unmarshal(raw, &s); err != nil {
		log.Fatal(err)
	}
	if ref, ok := s["$ref"]; ok {
		var name string
		if err := json.Unmarshal(ref, &name); err != nil {
			log.Fatal(err)
		}
		return reduce(defs[strings.TrimPrefix(name, "#/components/schemas/")], defs)
	}
	out := map[string]any{}
	for _, key := range kept {
		if v, ok := s[key]; ok {
			out[key] = v
		}
	}
	if enum, ok := s["enum"]; ok { // strings only: Stripe's enums may hold an empty string, never a number
		var values []any
		if err := json.Unmarshal(enum, &values); err != nil {
			log.Fatal(err)
		}
		out["enum"] = slices.DeleteFunc(values, func(v any) bool { _, ok := v.(string); return !ok })
	}
	if raw, ok := s["properties"]; ok {
		var props map[string]json.RawMessage
		if err := json.Unmarshal(raw, &props); err != nil {
			log.Fatal(err)
		}
		reduced := map[string]any{}
		for k, v := range props {
			reduced[k] = reduce(v, defs)
		}
		out["properties"] = reduced
	}
	if v, ok := s["additionalProperties"]; ok && len(v) > 0 && v[0] == '{' {
		out["additionalProperties"] = reduce(v, defs)
	}
	if v, ok := s["items"]; ok {
		out["items"] = reduce(v, defs)
	}
	if raw, ok := s["anyOf"]; ok {
		var alts []json.RawMessage
		if err := json.Unmarshal(raw, &alts); err != nil {
			log.Fatal(err)
		}
		reduced := make([]any, len(alts))
		for i, alt := range alts {
			reduced[i] = reduce(alt, defs)
		}
		out["anyOf"] = reduced
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
