package stripeapi

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestCreateParamsCoverSpec checks that createParams says what caisse does
// with every create parameter Stripe's schema lists (and later versions
// added), and only those.
func TestCreateParamsCoverSpec(t *testing.T) {
	got := slices.Sorted(maps.Keys(createParams))
	want := slices.Sorted(slices.Values(append(slices.Collect(maps.Keys(spec.Create.Properties)), laterCreateParams...)))
	if !slices.Equal(got, want) {
		t.Fatalf("createParams names %v\nStripe's schema (%s) and later versions list %v", got, spec.Version, want)
	}
	for name, p := range createParams {
		if p.refuse != nil && p.use != useAccepted {
			t.Errorf("%s: only accepted parameters refuse some values", name)
		}
	}
}

// paramsTable is docs/api-stripe.md's table of create parameters, rendered from createParams.
func paramsTable() string {
	var b strings.Builder
	b.WriteString("| Parameter | caisse | Notes |\n|---|---|---|\n")
	for _, name := range slices.Sorted(maps.Keys(createParams)) {
		p := createParams[name]
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", name, p.use, p.note)
	}
	return b.String()
}

// TestCreateParamsDoc checks that docs/api-stripe.md's table is createParams.
func TestCreateParamsDoc(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/api-stripe.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- create-params: generated from createParams; TestCreateParamsDoc checks it -->\n", "<!-- /create-params -->"
	_, rest, ok := strings.Cut(string(doc), begin)
	table, _, ok2 := strings.Cut(rest, end)
	if !ok || !ok2 {
		t.Fatalf("docs/api-stripe.md has no %q … %q section", begin, end)
	}
	if want := paramsTable(); table != want {
		t.Fatalf("docs/api-stripe.md's table differs from createParams; it should read:\n%s", want)
	}
}
