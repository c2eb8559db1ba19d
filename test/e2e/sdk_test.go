package e2e

// The official Stripe libraries other than stripe-go (stripe-node from npm,
// stripe-python from Debian's python3-stripe) against `caisse serve`: Stripe's
// quickstart and the integrator checklist of issue 15, scripts in test/sdk.
// stripe-go's quickstart is sdk_quickstart_test.go; the rest of its checklist
// lives with the dialect (internal/httpapi/stripeapi). Without node or the
// Python library the tests skip, unless CI is set: then a missing runtime fails.

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/testdb"
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

// serveSDK starts `caisse serve` on an empty database at dbURL, with a
// merchant taking XOF and USD, and returns its base URL and the merchant's
// test key; the server stops at cleanup.
func serveSDK(t *testing.T, dbURL string) (string, string) {
	t.Helper()
	addr := freeAddr(t)
	env := []string{"CAISSE_DATABASE_URL=" + dbURL, "CAISSE_ADDR=" + addr, "CAISSE_PUBLIC_URL=http://" + addr}
	var m struct {
		TestSecretKey string `json:"test_secret_key"`
	}
	out := caisse(t, env, "merchants", "create", "--name", "SDK", "--currencies", "XOF,USD", "--json")
	if err := json.Unmarshal(out, &m); err != nil || m.TestSecretKey == "" {
		t.Fatalf("merchants create printed %q (%v)", out, err)
	}
	cmd, lines := startServe(t, env)
	t.Cleanup(func() {
		stopServe(t, cmd)
		for range lines { // the log, read to its end
		}
	})
	waitReady(t, "http://"+addr+"/readyz")
	return "http://" + addr, m.TestSecretKey
}

// run runs a library's conformance script in mode (quickstart or checklist)
// against a fresh server and fails the test with its output if it fails.
func run(t *testing.T, dir string, mode string, command ...string) {
	t.Helper()
	url, key := serveSDK(t, testdb.EmptySQLiteURL(t))
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

func TestSDKNode(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable(t, "no node on PATH: stripe-node cannot run")
	}
	dir, err := filepath.Abs("../sdk/node")
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

func TestSDKPython(t *testing.T) {
	t.Parallel()
	if err := exec.Command(systemPython, "-c", "import stripe").Run(); err != nil {
		unavailable(t, "%s cannot import stripe (Debian's python3-stripe): %v", systemPython, err)
	}
	dir, err := filepath.Abs("../sdk/python")
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
