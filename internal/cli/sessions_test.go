package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/caisse/caisse/client"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// hasRow reports whether a table printed a line whose columns start with cols.
func hasRow(table string, cols ...string) bool {
	for _, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if len(f) >= len(cols) && strings.Join(f[:len(cols)], " ") == strings.Join(cols, " ") {
			return true
		}
	}
	return false
}

// TestSessionsAndEvents runs caisse sessions and caisse events against a real server.
func TestSessionsAndEvents(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		env := testserver.Start(t, dbURL)
		key, _ := env.Merchant()
		c := client.New(key, client.WithBaseURL(env.URL))
		kept, err := c.Create(ctx, client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250700000001", PaymentID: "ORDER_1"})
		if err != nil {
			t.Fatal(err)
		}
		gone, err := c.Create(ctx, client.CreateParams{Amount: 7000, Currency: "XOF", UserPhone: "+2250700000001"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Cancel(ctx, gone.ID, client.CancelParams{}); err != nil {
			t.Fatal(err)
		}
		vars := map[string]string{"CAISSE_API_URL": env.URL, "CAISSE_API_KEY": key}

		code, out, errOut := runMainEnv(t, vars, "sessions", "list")
		if code != 0 || !hasRow(out, "ID", "STATUS", "AMOUNT") || !hasRow(out, kept.ID, "created", "5000", "XOF", "+2250700000001", "ORDER_1") ||
			!hasRow(out, gone.ID, "cancelled", "7000") || !strings.Contains(out, "2 shown of 2\n") {
			t.Fatalf("sessions list: %d\n%s%s", code, out, errOut)
		}
		code, out, _ = runMainEnv(t, vars, "sessions", "list", "--limit", "1")
		if code != 0 || !hasRow(out, gone.ID) || hasRow(out, kept.ID) || !strings.Contains(out, "next page: --offset 1") {
			t.Fatalf("sessions list --limit 1: %d\n%s", code, out)
		}
		code, out, _ = runMainEnv(t, vars, "sessions", "list", "--status", "created", "--reference", "ORDER_1", "--json")
		var page client.Page
		if err := json.Unmarshal([]byte(out), &page); code != 0 || err != nil || len(page.Sessions) != 1 || page.Sessions[0].ID != kept.ID {
			t.Fatalf("sessions list --status created --json: %d %v\n%s", code, err, out)
		}

		code, out, _ = runMainEnv(t, vars, "sessions", "get", gone.ID)
		if code != 0 || !hasRow(out, "ID", gone.ID) || !hasRow(out, "STATUS", "cancelled") || !hasRow(out, "AMOUNT", "7000") {
			t.Fatalf("sessions get: %d\n%s", code, out)
		}
		code, out, _ = runMainEnv(t, vars, "sessions", "get", "--json", kept.ID)
		var s client.Session
		if err := json.Unmarshal([]byte(out), &s); code != 0 || err != nil || s.ID != kept.ID || s.Amount != 5000 {
			t.Fatalf("sessions get --json: %d %v\n%s", code, err, out)
		}

		code, out, _ = runMainEnv(t, vars, "events", "list")
		if code != 0 || !hasRow(out, "ID", "TYPE") || !strings.Contains(out, "checkout.session.cancelled") || !strings.Contains(out, gone.ID) {
			t.Fatalf("events list: %d\n%s", code, out)
		}
		code, out, _ = runMainEnv(t, vars, "events", "list", "--type", "checkout.session.cancelled", "--json")
		var events client.EventList
		if err := json.Unmarshal([]byte(out), &events); code != 0 || err != nil || len(events.Data) != 1 {
			t.Fatalf("events list --json: %d %v\n%s", code, err, out)
		}
		code, out, _ = runMainEnv(t, vars, "events", "get", events.Data[0].ID)
		if code != 0 || !hasRow(out, "TYPE", "checkout.session.cancelled") || !hasRow(out, "SESSION", gone.ID) {
			t.Fatalf("events get: %d\n%s", code, out)
		}

		// The server's refusal, worded by the server.
		code, out, errOut = runMainEnv(t, vars, "sessions", "get", "cs_test_nope")
		if code != 1 || out != "" || !strings.Contains(errOut, "404 resource_missing: No such checkout session: 'cs_test_nope'") {
			t.Fatalf("sessions get of an unknown id: %d %q %q", code, out, errOut)
		}
		code, _, errOut = runMainEnv(t, vars, "sessions", "list", "--status", "open")
		if code != 1 || !strings.Contains(errOut, "400 parameter_invalid") {
			t.Fatalf("sessions list --status open: %d %q", code, errOut)
		}
		// --api-key wins over CAISSE_API_KEY; --api-url over CAISSE_API_URL.
		wrong := map[string]string{"CAISSE_API_URL": "http://127.0.0.1:1", "CAISSE_API_KEY": "sk_test_wrong"}
		code, _, errOut = runMainEnv(t, wrong, "sessions", "get", kept.ID)
		if code != 1 || !strings.Contains(errOut, "127.0.0.1:1") {
			t.Fatalf("sessions get against no server: %d %q", code, errOut)
		}
		code, _, errOut = runMainEnv(t, wrong, "sessions", "get", kept.ID, "--api-url", env.URL)
		if code != 1 || !strings.Contains(errOut, "401 unauthorized") {
			t.Fatalf("sessions get with a wrong key: %d %q", code, errOut)
		}
		code, out, errOut = runMainEnv(t, wrong, "sessions", "get", kept.ID, "--api-url", env.URL, "--api-key", key)
		if code != 0 || !hasRow(out, "ID", kept.ID) {
			t.Fatalf("sessions get with --api-url and --api-key: %d %q %q", code, out, errOut)
		}
	})
}

func TestSessionsUsage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sessions", "list"}, "an API key is required: --api-key or CAISSE_API_KEY"},
		{[]string{"events", "get", "evt_1"}, "an API key is required"},
		{[]string{"sessions", "get"}, "an id is required"},
		{[]string{"sessions", "get", "a", "b"}, `unexpected argument "b"`},
		{[]string{"events", "list", "--api-key", "sk_test_x", "--api-url", "127.0.0.1:8080"}, "want an http:// or https:// address"},
		{[]string{"sessions"}, "sessions needs a subcommand"},
	} {
		code, out, errOut := runMain(t, c.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q", c.args, code, out, errOut, c.want)
		}
	}
	code, out, _ := runMainEnv(t, map[string]string{"CAISSE_API_KEY": "sk_test_secret"}, "sessions", "list", "--help")
	if code != 0 || !strings.Contains(out, "--api-url STRING") || !strings.Contains(out, "--status STRING") || strings.Contains(out, "sk_test_secret") {
		t.Fatalf("sessions list --help: %d\n%s", code, out)
	}
}
