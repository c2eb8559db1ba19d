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
		code int    // 2 for a usage error; 1 for a flag the flag package refuses, as in every command
		want string // in stderr
	}{
		{"no secret", []string{"fake-operator"}, nil, 2, "--secret"},
		{"empty secret", []string{"fake-operator", "--secret", ""}, nil, 2, "--secret"},
		{"negative delay", []string{"fake-operator", "--secret", "s", "--delay", "-1s"}, nil, 2, "--delay"},
		{"argument", []string{"fake-operator", "--secret", "s", "extra"}, nil, 2, `"extra"`},
		{"bad delay", []string{"fake-operator", "--delay", "soon"}, map[string]string{"CAISSE_OPERATOR_SECRET": operatorSecret}, 1, "soon"},
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

// signedPost posts body to url signed with key and returns the status code, or 0 if nothing answered.
func signedPost(t *testing.T, url, key, body string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Caisse-Signature", connector.SignRequest(key, http.MethodPost, req.URL.EscapedPath(), []byte(body), time.Now()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestFakeOperatorServes(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		// The secret comes from the environment; --delay 1h keeps the callback pending at shutdown.
		done <- cli.Main(ctx, []string{"fake-operator", "--addr", addr, "--delay", "1h", "--log-format", "text"},
			env(&stdout, &stderr, map[string]string{"CAISSE_OPERATOR_SECRET": operatorSecret}))
	}()

	url := "http://" + addr + "/v1/payments"
	body := `{"reference":"cs_cli","amount":2500,"currency":"XOF","phone":"+2250707000001","channel":"wave","callback_url":"http://127.0.0.1:1/cb"}`
	deadline := time.Now().Add(5 * time.Second)
	code := signedPost(t, url, "opsec_wrong", body)
	for ; code == 0 && time.Now().Before(deadline); code = signedPost(t, url, "opsec_wrong", body) {
		time.Sleep(10 * time.Millisecond)
	}
	if code != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d, want 401; stderr:\n%s", code, stderr.String())
	}
	if code := signedPost(t, url, operatorSecret, body); code != http.StatusCreated {
		t.Fatalf("signed request: %d, want 201", code)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("fake-operator did not stop within 5 s of its context ending")
	}
	out := stderr.String()
	if !strings.Contains(out, "addr="+addr) || !strings.Contains(out, "fake operator stopped") {
		t.Errorf("stderr lacks the address or the stop:\n%s", out)
	}
	if strings.Contains(out, operatorSecret) || strings.Contains(out, "2250707000001") {
		t.Errorf("stderr shows the secret or a phone number:\n%s", out)
	}
}
