//go:build ignore

// genspec reduces Stripe's OpenAPI description to what the Stripe dialect
// reads at run time (stripespec.json): the API version it describes, the
// schema of a checkout session's create parameters (types, enums, lengths,
// required fields; descriptions dropped, $refs resolved), and the fields of
// the checkout.session and event objects per API version. Those come from the
// spec for its own version, from the stripe-go releases in stripeGoTags for
// older ones (each is generated from, and pinned to, one API version: the JSON
// tags of its CheckoutSession and Event structs are that version's fields),
// and from laterVersions for newer ones.
//
// Run it with go generate: -spec names the spec3.json (or an excerpt of it),
// -stripe-go a git directory holding stripe-go's tags (STRIPE_GO in
// go:generate, for example the one `git clone --bare
// https://github.com/stripe/stripe-go` makes).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"log"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// stripeGoTags are the stripe-go releases whose field lists are kept: for
// every API version stripe-go has pinned since 2020-08-27, its last release
// pinned to it.
var stripeGoTags = []string{
	"v72.122.0", "v73.16.0", "v74.30.0", "v75.11.0", "v76.25.0", "v78.12.0", "v79.12.0",
	"v80.2.1", "v81.0.0", "v81.1.1", "v81.2.0", "v81.3.1", "v81.4.0",
	"v82.0.0", "v82.1.0", "v82.2.1", "v82.3.0", "v82.4.1", "v82.5.1",
	"v83.0.2", "v83.2.1", "v84.0.0", "v84.2.0", "v84.3.0", "v84.4.1",
	"v85.0.1", "v85.1.0", "v86.0.0", "v86.1.1", "v86.2.0",
}

// libraryOnly are JSON tags of stripe-go's structs that no API version's
// object has: stripe-go's marker for a deleted object.
var libraryOnly = []string{"deleted"}

// laterVersions are versions newer than the spec's that no source here
// describes in full: each adds session fields to the spec's version, typed in
// from the changelog named.
var laterVersions = []struct {
	version, source string
	sessionFields   []string
}{
	{"2026-09-30.endive", "the spec's version plus the fields stripe-node 23.0.0's changelog adds for 2026-09-30.endive",
		[]string{"allowed_payment_method_types"}},
}

// output is stripespec.json.
type output struct {
	Version  string          `json:"version"`
	Source   string          `json:"source"`
	Create   any             `json:"create"`
	Versions []versionFields `json:"versions"`
}

// versionFields are the fields of a checkout.session and of an event in one
// API version, and where the list comes from.
type versionFields struct {
	Version       string   `json:"version"`
	Source        string   `json:"source"`
	SessionFields []string `json:"session_fields"`
	EventFields   []string `json:"event_fields"`
}

func main() {
	specPath := flag.String("spec", "", "Stripe's OpenAPI spec3.json, or an excerpt of it")
	stripeGo := flag.String("stripe-go", "", "a git directory holding stripe-go's release tags")
	outPath := flag.String("out", "stripespec.json", "where to write the reduced spec")
	flag.Parse()
	if *stripeGo == "" {
		log.Fatal("-stripe-go (STRIPE_GO in go:generate) names no stripe-go git directory")
	}
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
		Create: reduce(op.RequestBody.Content["application/x-www-form-urlencoded"].Schema, spec.Components.Schemas)}
	for _, tag := range stripeGoTags {
		out.Versions = append(out.Versions, fromStripeGo(*stripeGo, tag))
	}
	own := versionFields{Version: spec.Info.Version, Source: "the spec (" + spec.Info.Source + ")",
		SessionFields: fields(spec.Components.Schemas["checkout.session"]),
		EventFields:   fields(spec.Components.Schemas["event"])}
	out.Versions = append(out.Versions, own)
	for _, later := range laterVersions {
		out.Versions = append(out.Versions, versionFields{Version: later.version, Source: later.source,
			SessionFields: slices.Sorted(slices.Values(append(slices.Clone(own.SessionFields), later.sessionFields...))),
			EventFields:   own.EventFields})
	}
	for i := 1; i < len(out.Versions); i++ {
		if out.Versions[i-1].Version >= out.Versions[i].Version {
			log.Fatalf("versions out of order: %s before %s", out.Versions[i-1].Version, out.Versions[i].Version)
		}
	}
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

// pinned is the API version a stripe-go release declares (api_version.go from
// v73, stripe.go's APIVersion before).
var pinned = regexp.MustCompile(`(?m)^\s*(?:apiVersion|APIVersion)\s*(?:string)?\s*=\s*"([^"]+)"`)

// fromStripeGo reads the API version and the CheckoutSession and Event
// structs' JSON tags of the stripe-go release tag in the git directory dir.
func fromStripeGo(dir, tag string) versionFields {
	commit := strings.TrimSpace(string(git(dir, "rev-parse", tag+"^{commit}")))
	var version string
	for _, file := range []string{"api_version.go", "stripe.go"} {
		if m := pinned.FindSubmatch(gitFile(dir, tag, file)); m != nil {
			version = string(m[1])
			break
		}
	}
	if version == "" {
		log.Fatalf("stripe-go %s: no API version", tag)
	}
	session := "checkout_session.go"
	if len(gitFile(dir, tag, session)) == 0 {
		session = "checkoutsession.go"
	}
	return versionFields{Version: version, Source: "stripe-go " + tag + " (commit " + commit + ")",
		SessionFields: structTags(gitFile(dir, tag, session), "CheckoutSession"),
		EventFields:   structTags(gitFile(dir, tag, "event.go"), "Event")}
}

// git runs git on the directory dir and returns its output.
func git(dir string, args ...string) []byte {
	out, err := exec.Command("git", append([]string{"--git-dir", dir}, args...)...).Output()
	if err != nil {
		log.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// gitFile is the file path at tag, or nothing when the tag has no such file.
func gitFile(dir, tag, path string) []byte {
	if bytes.Contains(git(dir, "ls-tree", "--name-only", tag, path), []byte(path)) {
		return git(dir, "show", tag+":"+path)
	}
	return nil
}

// structTags lists the JSON names of the fields of the struct typeName
// declared in the Go source src, sorted, without libraryOnly's.
func structTags(src []byte, typeName string) []string {
	file, err := parser.ParseFile(token.NewFileSet(), typeName+".go", src, parser.SkipObjectResolution)
	if err != nil {
		log.Fatal(err)
	}
	var names []string
	ast.Inspect(file, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != typeName {
			return true
		}
		for _, f := range ts.Type.(*ast.StructType).Fields.List {
			if f.Tag == nil {
				continue
			}
			tag, err := strconv.Unquote(f.Tag.Value)
			if err != nil {
				log.Fatal(err)
			}
			name, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
			if name != "" && name != "-" && !slices.Contains(libraryOnly, name) {
				names = append(names, name)
			}
		}
		return false
	})
	if len(names) == 0 {
		log.Fatalf("no struct %s", typeName)
	}
	slices.Sort(names)
	return names
}
