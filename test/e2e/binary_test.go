// Package e2e drives a real caisse binary: built from ./cmd/caisse, configured
// through the environment as an operator would, stopped with SIGTERM.
package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/client"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

var binary string

func TestMain(m *testing.M) {
	var err error
	if binary, err = binaryPath(); err != nil {
		panic(err)
	}
	if out, err := exec.Command("go", "build", "-o", binary, "../../cmd/caisse").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build caisse: %v\n%s", err, out)
		os.Exit(1)
	}
	// Every test here mostly waits (on processes, restarts, deliveries): all of
	// them run at once, so that the long crash test waits for no other.
	testserver.Parallel(16)
	os.Exit(m.Run())
}

// binaryPath is where the binary is built: a folder of the user's cache of
// its own for this checkout, so that go build, finding it up to date, does
// not link it again for every run.
func binaryPath() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(root))
	dir := filepath.Join(cache, "caisse-e2e", hex.EncodeToString(sum[:8]))
	return filepath.Join(dir, "caisse"), os.MkdirAll(dir, 0o755)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// caisse runs the binary with the environment and returns its standard output.
func caisse(t *testing.T, env []string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("caisse %v: %v", args, err)
	}
	return out
}

func TestServeAndStop(t *testing.T) {
	t.Parallel()
	testdb.EachEngineEmpty(t, func(t *testing.T, dbURL string) {
		addr := freeAddr(t)
		env := []string{"CAISSE_DATABASE_URL=" + dbURL, "CAISSE_ADDR=" + addr, "CAISSE_PUBLIC_URL=https://pay.example.com"}

		var m struct {
			ID            string `json:"id"`
			TestSecretKey string `json:"test_secret_key"`
			LiveSecretKey string `json:"live_secret_key"`
		}
		out := caisse(t, env, "merchants", "create", "--name", "Boutique", "--json")
		if err := json.Unmarshal(out, &m); err != nil || !strings.HasPrefix(m.ID, "mer_") ||
			!strings.HasPrefix(m.TestSecretKey, "sk_test_") || !strings.HasPrefix(m.LiveSecretKey, "sk_live_") ||
			strings.Count(string(out), "\n") != 1 {
			t.Fatalf("merchants create --json printed %q (%v)", out, err)
		}

		cmd, lines := startServe(t, env)
		waitReady(t, "http://"+addr+"/readyz")

		created, err := client.New(m.TestSecretKey, client.WithBaseURL("http://"+addr)).Create(context.Background(),
			client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250707987654", IdempotencyKey: "e2e-1"})
		if err != nil {
			t.Fatalf("create through the binary: %v", err)
		}

		// The client commands find the server and the key by the names scripts use.
		apiEnv := []string{"CAISSE_API_URL=http://" + addr, "CAISSE_API_KEY=" + m.TestSecretKey}
		if listed := string(caisse(t, apiEnv, "sessions", "list")); !strings.Contains(listed, created.ID+"  created  5000") {
			t.Errorf("caisse sessions list printed:\n%s", listed)
		}
		var got struct{ ID, Status string }
		if out := caisse(t, apiEnv, "sessions", "get", created.ID, "--json"); json.Unmarshal(out, &got) != nil || got.ID != created.ID || got.Status != "created" {
			t.Errorf("caisse sessions get --json printed %s", out)
		}

		stopServe(t, cmd)
		var all []string
		for l := range lines {
			all = append(all, l)
		}
		joined := strings.Join(all, "\n")
		if !strings.Contains(joined, "shutting down") {
			t.Errorf("no shutdown line in the logs:\n%s", joined)
		}
		for _, secret := range []string{m.TestSecretKey, m.LiveSecretKey, "0707987654"} {
			if strings.Contains(joined, secret) {
				t.Errorf("server logs contain %q", secret)
			}
		}
	})
}

// startServe starts `caisse serve` with env and returns it with its log lines.
func startServe(t *testing.T, env []string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), env...)
	// A pipe of our own, not cmd.StderrPipe: Wait closes that one as soon as
	// the process has exited, and the last lines, the shutdown one among them,
	// could be lost unread. This one is read to its end, when the process exits.
	logs, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = w
	err = cmd.Start()
	w.Close() // the process has its own copy
	if err != nil {
		logs.Close()
		t.Fatal(err)
	}
	lines := make(chan string, 100000)
	go func() {
		defer close(lines)
		defer logs.Close()
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return cmd, lines
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never answered 200", url)
}

func TestKeysCommands(t *testing.T) {
	t.Parallel()
	env := []string{"CAISSE_DATABASE_URL=" + testdb.EmptySQLiteURL(t)}
	var m struct{ ID, TestSecretKey string }
	out := caisse(t, env, "merchants", "create", "--name", "Boutique", "--json")
	if err := json.Unmarshal(out, &struct {
		ID   *string `json:"id"`
		Test *string `json:"test_secret_key"`
	}{&m.ID, &m.TestSecretKey}); err != nil {
		t.Fatal(err)
	}
	var k struct {
		ID        string `json:"id"`
		SecretKey string `json:"secret_key"`
		Livemode  bool   `json:"livemode"`
	}
	if err := json.Unmarshal(caisse(t, env, "keys", "create", "--merchant", m.ID, "--mode", "live", "--json"), &k); err != nil ||
		!k.Livemode || !strings.HasPrefix(k.SecretKey, "sk_live_") || len(k.SecretKey) != len("sk_live_")+32 {
		t.Fatalf("keys create: %+v %v", k, err)
	}
	type row struct {
		ID        string     `json:"id"`
		Livemode  bool       `json:"livemode"`
		Last4     string     `json:"last4"`
		RevokedAt *time.Time `json:"revoked_at"`
	}
	var rows []row
	listed := caisse(t, env, "keys", "list", "--merchant", m.ID, "--json")
	if err := json.Unmarshal(listed, &rows); err != nil || len(rows) != 3 || rows[2].ID != k.ID ||
		rows[2].Last4 != k.SecretKey[len(k.SecretKey)-4:] {
		t.Fatalf("keys list: %s (%v)", listed, err)
	}
	if strings.Contains(string(listed), k.SecretKey) || strings.Contains(string(listed), m.TestSecretKey) {
		t.Fatal("keys list shows a secret key")
	}
	caisse(t, env, "keys", "revoke", "--key", k.ID)
	rows = nil
	if err := json.Unmarshal(caisse(t, env, "keys", "list", "--merchant", m.ID, "--json"), &rows); err != nil ||
		rows[2].RevokedAt == nil || rows[0].RevokedAt != nil {
		t.Fatalf("after revoke: %+v (%v)", rows, err)
	}
	cmd := exec.Command(binary, "keys", "revoke", "--key", k.ID)
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Run(); err == nil {
		t.Fatal("revoking a revoked key succeeded")
	}
}
