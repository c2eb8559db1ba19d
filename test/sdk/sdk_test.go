// Package sdk runs the official Stripe libraries other than stripe-go
// (stripe-node from npm, stripe-python from Debian's python3-stripe) against a
// real caisse server: Stripe's quickstart, and the integrator checklist of
// issue 15. stripe-go's own conformance tests live with the dialect
// (internal/httpapi/stripeapi/stripego_test.go). Without node or the Python
// library the tests skip, unless CI is set: then a missing runtime fails.
package sdk

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// systemPython is Debian's interpreter, which python3-stripe installs into;
// a python3 earlier on PATH (pyenv) would not have it.
const systemPython = "/usr/bin/python3"

// unavailable skips the test, or fails it under CI, for a missing runtime.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (set CI to make this a failure)", args...)
}

// server starts caisse on SQLite with its background jobs (webhook
// deliveries) and returns its URL and a test key of a merchant taking XOF and USD.
func server(t *testing.T) (string, string) {
	t.Helper()
	env := testserver.Start(t, testdb.SQLiteURL(t), testserver.WithJobs())
	env.Clock.Follow(0)
	key, _ := env.Merchant("XOF", "USD")
	return env.URL, key
}

// run runs a library's conformance script in mode (quickstart or checklist)
// against a fresh server and fails the test with its output if it fails.
func run(t *testing.T, dir string, mode string, command ...string) {
	t.Helper()
	url, key := server(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, command[0], append(command[1:], mode)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CAISSE_URL="+url, "CAISSE_KEY="+key)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("%s %s: %v", strings.Join(command, " "), mode, err)
	}
}

func TestNode(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable(t, "no node on PATH: stripe-node cannot run")
	}
	dir, err := filepath.Abs("node")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "stripe")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			unavailable(t, "stripe-node is not installed in test/sdk/node and there is no npm to install it")
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}
	for _, mode := range []string{"checklist", "quickstart"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			run(t, dir, mode, node, "conformance.mjs")
		})
	}
}

func TestPython(t *testing.T) {
	t.Parallel()
	if err := exec.Command(systemPython, "-c", "import stripe").Run(); err != nil {
		unavailable(t, "%s cannot import stripe (Debian's python3-stripe): %v", systemPython, err)
	}
	dir, err := filepath.Abs("python")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"checklist", "quickstart"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			run(t, dir, mode, systemPython, "conformance.py")
		})
	}
}
