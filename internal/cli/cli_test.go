package cli

import (
	"bytes"
	"context"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/caisse/caisse/internal/checkout"
)

// runMain runs Main with args and returns the exit code, stdout and stderr.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runMainEnv(t, nil, args...)
}

// runMainEnv is runMain with environment variables.
func runMainEnv(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }})
	return code, out.String(), errOut.String()
}

func TestUnknownCommandSuggests(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serv"}, `did you mean "serve"?`},
		{[]string{"merchants", "crate"}, `did you mean "merchants create"?`},
		{[]string{"connectors", "lst"}, `did you mean "connectors list"?`},
	} {
		code, out, errOut := runMain(t, c.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %s", c.args, code, out, errOut, c.want)
		}
		if strings.Contains(errOut, "Usage:") {
			t.Errorf("%v: the whole usage is printed for a typo:\n%s", c.args, errOut)
		}
	}
	if _, _, errOut := runMain(t, "frobnicate"); strings.Contains(errOut, "did you mean") {
		t.Errorf("a word near no command gets a suggestion: %q", errOut)
	}
}

func TestFlagHelpOnStdout(t *testing.T) {
	code, out, errOut := runMain(t, "serve", "--help")
	if code != 0 || errOut != "" {
		t.Fatalf("serve --help: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"Usage: caisse serve [flags]", "  --addr STRING", "  --log-format STRING", "(default 127.0.0.1:8080)"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --help lacks %q:\n%s", want, out)
		}
	}
}

func TestBadFlagIsAUsageError(t *testing.T) {
	code, out, errOut := runMain(t, "serve", "--adr", "x")
	if code != 2 || out != "" {
		t.Fatalf("serve --adr: exit %d, stdout %q", code, out)
	}
	if n := strings.Count(errOut, "flag provided but not defined: -adr"); n != 1 {
		t.Errorf("the error is printed %d times, want once:\n%s", n, errOut)
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		code, out, _ := runMain(t, arg)
		if code != 0 || !strings.HasPrefix(out, "caisse ") || !strings.Contains(out, "go1.") {
			t.Errorf("%s: exit %d, %q", arg, code, out)
		}
	}
}

// TestMerchantsUpdate changes a merchant's currencies and one part of its
// fee schedule, and keeps what no flag names.
func TestMerchantsUpdate(t *testing.T) {
	db := "sqlite:" + t.TempDir() + "/caisse.db"
	code, out, errOut := runMain(t, "merchants", "create", "--name", "Boutique", "--fee-bps", "150", "--fee-min", "25", "--json", "--database-url", db)
	if code != 0 {
		t.Fatalf("merchants create: %d %s", code, errOut)
	}
	id := strings.Split(strings.SplitN(out, `"id":"`, 2)[1], `"`)[0]
	code, out, errOut = runMain(t, "merchants", "update", "--merchant", id, "--currencies", "xof,usd", "--fee-max", "5000",
		"--json", "--database-url", db)
	want := `{"currencies":["XOF","USD"],"fee_bps":150,"fee_fixed":0,"fee_max":5000,"fee_min":25,"id":"` + id + `","name":"Boutique"}`
	if code != 0 || strings.TrimSpace(out) != want {
		t.Fatalf("merchants update: %d %s %s, want %s", code, out, errOut, want)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--merchant", "mer_missing", "--name", "X"}, "not found"},
		{[]string{"--merchant", id, "--currencies", "EURO"}, "EURO"},
		{[]string{"--merchant", id, "--fee-min", "9000"}, "maximum is below the minimum"},
		{[]string{"--merchant", id, "--name", " "}, "a name is required"},
	} {
		code, _, errOut := runMain(t, append(append([]string{"merchants", "update"}, c.args...), "--database-url", db)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("merchants update %v: exit %d, %q; want an error about %q", c.args, code, errOut, c.want)
		}
	}
}

// TestMerchantsCreatePrint prints the one value asked for, alone on its line,
// so that a shell variable can take it.
func TestMerchantsCreatePrint(t *testing.T) {
	db := "sqlite:" + t.TempDir() + "/caisse.db"
	for _, c := range []struct{ what, prefix string }{{"id", "mer_"}, {"test-key", "sk_test_"}, {"live-key", "sk_live_"}} {
		code, out, errOut := runMain(t, "merchants", "create", "--name", "Boutique", "--print", c.what, "--database-url", db)
		if code != 0 || !strings.HasPrefix(out, c.prefix) || strings.Count(out, "\n") != 1 || strings.Contains(strings.TrimSpace(out), " ") {
			t.Errorf("--print %s: exit %d, stdout %q, stderr %q", c.what, code, out, errOut)
		}
	}
	for _, args := range [][]string{{"--print", "secret"}, {"--print", "id", "--json"}} {
		code, out, _ := runMain(t, append([]string{"merchants", "create", "--name", "B", "--database-url", db}, args...)...)
		if code != 2 || out != "" {
			t.Errorf("%v: exit %d, stdout %q; want a usage error", args, code, out)
		}
	}
}

// TestTriggersCoverEvents checks that caisse trigger makes every event type
// caisse sends happen, except the one test mode cannot write.
func TestTriggersCoverEvents(t *testing.T) {
	t.Parallel()
	for _, typ := range checkout.EventTypes {
		has := slices.ContainsFunc(triggers, func(p triggerPlan) bool { return p.event == string(typ) })
		if has == (typ == checkout.EventLateSuccess) {
			t.Errorf("%s: in caisse trigger's list %v", typ, has)
		}
	}
}

// serve runs Go's collector at ServerGCPercent unless GOGC is set. The
// server cannot start here (its database directory does not exist), but the
// setting is made before it tries.
func TestServeGCPercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	bad := "sqlite:" + t.TempDir() + "/missing/dir/caisse.db"
	runMainEnv(t, map[string]string{"GOGC": "50"}, "serve", "--database-url", bad, "--addr", "127.0.0.1:0")
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set, serve set the collector to %d", got)
	}
	runMainEnv(t, nil, "serve", "--database-url", bad, "--addr", "127.0.0.1:0")
	if got := debug.SetGCPercent(100); got != ServerGCPercent {
		t.Errorf("without GOGC, the collector ran at %d, want %d", got, ServerGCPercent)
	}
}
