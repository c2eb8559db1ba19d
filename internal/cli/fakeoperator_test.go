package cli_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/cli"
	"github.com/caisse/caisse/internal/connector"
)

const operatorSecret = "opsec_cli_5d2e8a"

// syncBuffer is a bytes.Buffer that a running command and the test may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is an Env whose environment holds only vars.
func env(stdout, stderr *syncBuffer, vars map[string]string) cli.Env {
	return cli.Env{Stdout: stdout, Stderr: stderr, Getenv: func(k string) string { return vars[k] }}
}

func TestFakeOperatorUsage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		vars map[string]string
		code int    // 2 for a usage error, a flag the flag package refuses included (as Go's flag.ExitOnError exits)
		want string // in stderr
	}{
		{"no secret", []string{"fake-operator"}, nil, 2, "--secret"},
		{"empty secret", []string{"fake-operator", "--secret", ""}, nil, 2, "--secret"},
		{"negative delay", []string{"fake-operator", "--secret", "s", "--delay", "-1s"}, nil, 2, "--delay"},
		{"zero stall", []string{"fake-operator", "--secret", "s", "--stall", "0s"}, nil, 2, "--stall"},
		{"bad stall", []string{"fake-operator", "--stall", "later"}, map[string]string{"CAISSE_OPERATOR_SECRET": operatorSecret}, 2, "later"},
		{"argument", []string{"fake-operator", "--secret", "s", "extra"}, nil, 2, `"extra"`},
		{"bad delay", []string{"fake-operator", "--delay", "soon"}, map[string]string{"CAISSE_OPERATOR_SECRET": operatorSecret}, 2, "soon"},
	}
	for _, c := range cases {
		var stdout, stderr syncBuffer
		// A command that serves by mistake stops here instead of hanging the test.
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		code := cli.Main(ctx, c.args, env(&stdout, &stderr, c.vars))
		cancel()
		if code != c.code {
			t.Errorf("%s: exit %d, want %d; stderr:\n%s", c.name, code, c.code, stderr.String())
		}
		if out := stderr.String(); !strings.Contains(out, c.want) || strings.Contains(out, operatorSecret) {
			t.Errorf("%s: stderr should mention %s and not the secret:\n%s", c.name, c.want, out)
		}
	}
}

// freeAddr returns a local address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// signedDo sends body to url with method, signed with key, and returns the
// status code, or 0 if nothing answered.
func signedDo(t *testing.T, method, url, key, body string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0
	}
	target := req.URL.EscapedPath()
	if req.URL.RawQuery != "" {
		target += "?" + req.URL.RawQuery
	}
	req.Header.Set("Caisse-Signature", connector.SignRequest(key, method, target, []byte(body), time.Now()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// paymentBody is a start request for reference under attempt, from a phone
// number ending in suffix.
func paymentBody(reference, attempt, suffix string) string {
	return `{"reference":"` + reference + `","attempt":"` + attempt + `","amount":2500,"currency":"XOF","phone":"+225070700` + suffix +
		`","channel":"wave","callback_url":"http://127.0.0.1:1/cb"}`
}

// operatorRun is a caisse fake-operator running in the test.
type operatorRun struct {
	addr   string
	url    string // of /v1/payments
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan int // the exit code
}

// startOperator runs caisse fake-operator with args, the secret in its
// environment and --delay 1h (callbacks stay pending at shutdown), and returns
// once it answers requests.
func startOperator(t *testing.T, args ...string) *operatorRun {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	r := &operatorRun{addr: addr, url: "http://" + addr + "/v1/payments", stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	args = append([]string{"fake-operator", "--addr", addr, "--delay", "1h", "--log-format", "text"}, args...)
	go func() {
		r.done <- cli.Main(ctx, args, env(&syncBuffer{}, r.stderr, map[string]string{"CAISSE_OPERATOR_SECRET": operatorSecret}))
	}()
	for deadline := time.Now().Add(5 * time.Second); signedDo(t, "GET", r.url+"/op_none", operatorSecret, "") == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("fake-operator not answering after 5 s; stderr:\n%s", r.stderr.String())
		}
	}
	return r
}

// stop ends the command and checks that it exits 0 within 5 s.
func (r *operatorRun) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case code := <-r.done:
		if code != 0 {
			t.Errorf("exit %d, want 0; stderr:\n%s", code, r.stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("fake-operator did not stop within 5 s of its context ending")
	}
}

func TestFakeOperatorServes(t *testing.T) {
	t.Parallel()
	run := startOperator(t, "--stall", "200ms")
	const attempt = "3d6f1a2b-7c8e-4f90-a1b2-c3d4e5f60718"
	body := paymentBody("cs_cli", attempt, "0001")
	if code := signedDo(t, "POST", run.url, "opsec_wrong", body); code != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d, want 401", code)
	}
	if code := signedDo(t, "POST", run.url, operatorSecret, body); code != http.StatusCreated {
		t.Fatalf("signed request: %d, want 201", code)
	}
	if code := signedDo(t, "GET", run.url+"?attempt="+attempt, operatorSecret, ""); code != http.StatusOK {
		t.Errorf("status by attempt: %d, want 200", code)
	}
	// A start_timeout number: the answer is held for --stall.
	start := time.Now()
	if code := signedDo(t, "POST", run.url, operatorSecret, paymentBody("cs_cli_stall", "8e7d6c5b-4a39-4281-b0c9-d8e7f6a5b4c3", "0006")); code != http.StatusCreated {
		t.Fatalf("start_timeout request: %d, want 201", code)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 2*time.Second {
		t.Errorf("start_timeout answered after %s, want the 200ms --stall", d)
	}

	run.stop(t)
	out := run.stderr.String()
	if !strings.Contains(out, "addr="+run.addr) || !strings.Contains(out, "fake operator stopped") || !strings.Contains(out, "stall=200ms") || !strings.Contains(out, "fault=start_timeout") {
		t.Errorf("stderr lacks the address, the stop, the stall or the fault:\n%s", out)
	}
	if strings.Contains(out, operatorSecret) || strings.Contains(out, "0707000001") || strings.Contains(out, "0707000006") {
		t.Errorf("stderr shows the secret or a phone number:\n%s", out)
	}
}

func TestFakeOperatorStopSendsHeldAnswers(t *testing.T) {
	t.Parallel()
	run := startOperator(t, "--stall", "1h")
	const attempt = "f1e2d3c4-b5a6-4798-8a9b-0c1d2e3f4a5b"
	held := make(chan int, 1)
	go func() { held <- signedDo(t, "POST", run.url, operatorSecret, paymentBody("cs_held", attempt, "0008")) }()
	for deadline := time.Now().Add(5 * time.Second); signedDo(t, "GET", run.url+"?attempt="+attempt, operatorSecret, "") != http.StatusOK; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the payment was not made within 5 s")
		}
	}
	run.stop(t)
	select {
	case code := <-held:
		if code != http.StatusCreated {
			t.Errorf("held start request: %d, want 201", code)
		}
	case <-time.After(time.Second):
		t.Error("the held answer was not sent within 1 s of the stop")
	}
}
