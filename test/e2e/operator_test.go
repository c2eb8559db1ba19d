package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/client"
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

	ctx := context.Background()
	live := client.New(m.LiveSecretKey, client.WithBaseURL("http://"+addr))
	s, err := live.Create(ctx, client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250700000001"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.ID, "cs_live_") {
		t.Fatalf("a live key made %s", s.ID)
	}
	if c, err := live.Confirm(ctx, s.ID, client.ConfirmParams{Channel: "mtn_momo"}); err != nil || c.Status != "pending" {
		t.Fatalf("confirm: %+v, %v", c, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := live.Get(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == "completed" && got.CompletedAt != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("live session is %v 20 s after confirmation", got.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
