package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/testdb"
)

// TestLiveSessionPaidThroughFakeOperator runs `caisse fake-operator` and
// `caisse serve` configured to use it: a live-mode session confirmed through
// the mobile-money API completes from the operator's signed callbacks.
func TestLiveSessionPaidThroughFakeOperator(t *testing.T) {
	t.Parallel()
	secret := randid.New("opsec_")
	opAddr := freeAddr(t)
	op := exec.Command(binary, "fake-operator", "--addr", opAddr, "--delay", "100ms")
	op.Env = append(os.Environ(), "CAISSE_OPERATOR_SECRET="+secret)
	if err := op.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopServe(t, op) })

	dbURL := testdb.EmptySQLiteURL(t)
	var m struct {
		LiveSecretKey string `json:"live_secret_key"`
	}
	if err := json.Unmarshal(caisse(t, []string{"CAISSE_DATABASE_URL=" + dbURL}, "merchants", "create", "--name", "Live", "--json"), &m); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	srv, _ := startServe(t, []string{"CAISSE_DATABASE_URL=" + dbURL, "CAISSE_ADDR=" + addr,
		"CAISSE_OPERATOR_URL=http://" + opAddr, "CAISSE_OPERATOR_SECRET=" + secret})
	t.Cleanup(func() { stopServe(t, srv) })
	waitReady(t, "http://"+addr+"/readyz")

	live := func(method, path, body string) map[string]any {
		t.Helper()
		out := call(t, "http://"+addr, m.LiveSecretKey, method, path, body)
		if out == nil {
			t.FailNow()
		}
		return out
	}
	s := live("POST", "/v1/checkouts", `{"amount": 5000, "currency": "XOF", "user_phone": "+2250700000001"}`)
	id := s["id"].(string)
	if !strings.HasPrefix(id, "cs_live_") {
		t.Fatalf("a live key made %s", id)
	}
	if c := live("POST", "/v1/checkouts/"+id+"/confirm", `{"channel": "mtn_momo"}`); c["status"] != "pending" {
		t.Fatalf("confirm: %v", c["status"])
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := live("GET", "/v1/checkouts/"+id, "")
		if got["status"] == "completed" && got["completed_at"] != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("live session is %v 20 s after confirmation", got["status"])
		}
		time.Sleep(50 * time.Millisecond)
	}
}
