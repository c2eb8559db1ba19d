package layers

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/caisse/caisse/"

// allowed lists, for every package of the module, the packages of the module
// it may import (tests aside). A package missing from the table fails the
// test: a new package states its place in the layers here.
var allowed = map[string][]string{
	"cmd/caisse": {"internal/cli"},
	// The public Go client of the mobile-money API: the standard library only.
	"client": {},
	"internal/cli": {"client", "internal/bench", "internal/checkout", "internal/config", "internal/connector", "internal/connector/mtn", "internal/connector/orange", "internal/connector/wave", "internal/merchant", "internal/notify", "internal/operator", "internal/randid", "internal/server", "internal/store",
		"internal/store/pgstore", "internal/store/sqlitestore", "internal/webhook"},
	"internal/server": {"internal/checkout", "internal/config", "internal/connector", "internal/hosted", "internal/httpapi",
		"internal/httpapi/connectorapi", "internal/httpapi/momoapi", "internal/httpapi/stripeapi", "internal/idempotency",
		"internal/jobs", "internal/merchant", "internal/notify", "internal/operator", "internal/seal", "internal/store", "internal/store/pgstore", "internal/store/sqlitestore"},

	// HTTP: the shared layer, then one package per dialect; a dialect never imports another.
	"internal/httpapi":              {"internal/checkout", "internal/idempotency", "internal/merchant", "internal/randid", "internal/store"},
	"internal/httpapi/momoapi":      {"internal/checkout", "internal/httpapi", "internal/store"},
	"internal/httpapi/stripeapi":    {"internal/checkout", "internal/httpapi", "internal/notify", "internal/store"},
	"internal/httpapi/connectorapi": {"internal/checkout", "internal/connector", "internal/httpapi"},
	"internal/hosted":               {"internal/checkout", "internal/connector", "internal/merchant", "internal/money"},

	// Domain: use-cases over the storage seam; jobs are River's workers over them.
	"internal/jobs":        {"internal/checkout", "internal/connector", "internal/idempotency", "internal/notify", "internal/store"},
	"internal/checkout":    {"internal/connector", "internal/merchant", "internal/money", "internal/randid", "internal/store"},
	"internal/notify":      {"internal/batch", "internal/checkout", "internal/merchant", "internal/randid", "internal/seal", "internal/store", "internal/webhook"},
	"internal/merchant":    {"internal/money", "internal/randid", "internal/store"},
	"internal/idempotency": {"internal/seal", "internal/store"},
	"internal/connector":   {"internal/webhook"},
	// Connectors per merchant; the operator packages speak each operator's API.
	"internal/operator": {"internal/connector", "internal/connector/mtn", "internal/connector/orange", "internal/connector/wave",
		"internal/randid", "internal/seal", "internal/store"},
	"internal/connector/mtn":    {"internal/connector", "internal/money"},
	"internal/connector/orange": {"internal/connector"},
	"internal/connector/wave":   {"internal/connector", "internal/webhook"},

	// Storage: the seam imports no caisse package; engines share sqldb.
	"internal/store":             {},
	"internal/store/sqldb":       {"internal/store"},
	"internal/store/pgstore":     {"internal/store", "internal/store/sqldb"},
	"internal/store/sqlitestore": {"internal/batch", "internal/store", "internal/store/sqldb"},
	"internal/store/storetest":   {"internal/randid", "internal/store", "internal/store/sqldb"},

	// Leaves.
	"internal/batch":   {},
	"internal/config":  {},
	"internal/money":   {},
	"internal/randid":  {},
	"internal/seal":    {},
	"internal/webhook": {},
	"internal/layers":  {},

	// Measuring: caisse bench and caisse seed (cli runs them).
	"internal/bench": {"internal/merchant", "internal/randid", "internal/store", "internal/store/pgstore", "internal/store/sqldb", "internal/store/sqlitestore"},

	// Test harnesses.
	"internal/testdb":     {"internal/randid", "internal/store/pgstore", "internal/store/sqlitestore"},
	"internal/testserver": {"internal/config", "internal/seal", "internal/server"},
	"test/e2e":            {},
	"test/openapi":        {},
}

// TestImports lists every package of the module with `go list` and checks
// its imports against allowed.
func TestImports(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-json", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath, Dir string
			GoFiles         []string
			Imports         []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		// Opening the sources makes them inputs of this test for go test's
		// cache: a change of imports runs it again.
		for _, f := range p.GoFiles {
			if _, err := os.ReadFile(filepath.Join(p.Dir, f)); err != nil {
				t.Fatal(err)
			}
		}
		seen++
		name := strings.TrimPrefix(p.ImportPath, module)
		may, ok := allowed[name]
		if !ok {
			t.Errorf("%s is not in the layers table: add it with the packages it may import", name)
			continue
		}
		for _, imp := range p.Imports {
			if dep, ours := strings.CutPrefix(imp, module); ours && !slices.Contains(may, dep) {
				t.Errorf("%s imports %s, which its layer does not allow", name, dep)
			}
		}
	}
	if seen < len(allowed)/2 {
		t.Fatalf("go list found only %d packages", seen)
	}
}
