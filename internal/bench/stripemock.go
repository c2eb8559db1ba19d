package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// stripeMock is a stripe-mock process, the peer of caisse's Stripe dialect.
type stripeMock struct {
	url  string
	cmd  *exec.Cmd
	done chan error
}

// startStripeMock starts stripe-mock when a binary of that name is on PATH;
// otherwise (or when it does not start) it returns nil and why.
func startStripeMock(ctx context.Context, dir string) (*stripeMock, string) {
	exe, err := exec.LookPath("stripe-mock")
	if err != nil {
		return nil, "stripe-mock: not present"
	}
	httpPort, err := freePort()
	if err != nil {
		return nil, "stripe-mock: " + err.Error()
	}
	httpsPort, err := freePort()
	if err != nil {
		return nil, "stripe-mock: " + err.Error()
	}
	log, err := os.Create(filepath.Join(dir, "stripe-mock.log"))
	if err != nil {
		return nil, "stripe-mock: " + err.Error()
	}
	defer log.Close()
	cmd := exec.Command(exe, "-http-port", strconv.Itoa(httpPort), "-https-port", strconv.Itoa(httpsPort))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, "stripe-mock: " + err.Error()
	}
	m := &stripeMock{url: fmt.Sprintf("http://127.0.0.1:%d", httpPort), cmd: cmd, done: make(chan error, 1)}
	go func() { m.done <- cmd.Wait() }()
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && ctx.Err() == nil; {
		req, _ := http.NewRequest(http.MethodGet, m.url+"/v1/checkout/sessions/cs_test_bench", nil)
		req.Header.Set("Authorization", "Bearer sk_test_123")
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return m, ""
		}
		select {
		case <-m.done:
			return nil, "stripe-mock: exited at start (see its log)"
		case <-time.After(100 * time.Millisecond):
		}
	}
	m.stop()
	return nil, "stripe-mock: did not answer within 15 s"
}

// retrieveOp is GET /v1/checkout/sessions/{id} on stripe-mock.
func (m *stripeMock) retrieveOp() op {
	return func(ctx context.Context, client *http.Client, _, _ int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url+"/v1/checkout/sessions/cs_test_bench", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer sk_test_123")
		return send(client, req, nil)
	}
}

func (m *stripeMock) stop() {
	if m == nil {
		return
	}
	terminate(m.cmd, m.done, 5*time.Second)
}
