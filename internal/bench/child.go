package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// caisse is a `caisse serve` child process on a throw-away database, with a
// merchant and its test key.
type caisse struct {
	url      string // http://127.0.0.1:port
	key      string // the merchant's test secret key
	cmd      *exec.Cmd
	done     chan error
	logPath  string
	database string
}

// command is the caisse binary the bench runs, and what it adds to a child's environment.
type command struct {
	exe string
	env []string
}

func (c command) run(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.exe, args...)
	cmd.Env = append(os.Environ(), c.env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("caisse %s: %v: %s", args[0], err, bytes.TrimSpace(errb.Bytes()))
	}
	return out.Bytes(), nil
}

// startCaisse makes a merchant on database (migrating it) through the
// binary's own command, then serves it on a free port of 127.0.0.1 and waits
// until it is ready.
func startCaisse(ctx context.Context, c command, database, dir string) (*caisse, error) {
	m, err := makeMerchant(ctx, c, database)
	if err != nil {
		return nil, err
	}
	return serveCaisse(ctx, c, database, dir, m.TestSecretKey)
}

// benchMerchant is what `caisse merchants create --json` says.
type benchMerchant struct {
	ID            string `json:"id"`
	TestSecretKey string `json:"test_secret_key"`
}

// makeMerchant makes a merchant on database (migrating it) through the binary's own command.
func makeMerchant(ctx context.Context, c command, database string) (benchMerchant, error) {
	out, err := c.run(ctx, "merchants", "create", "--name", "Bench", "--json", "--database-url", database)
	if err != nil {
		return benchMerchant{}, err
	}
	var m benchMerchant
	if err := json.Unmarshal(out, &m); err != nil || m.TestSecretKey == "" || m.ID == "" {
		return m, fmt.Errorf("caisse merchants create: unexpected output %q", out)
	}
	return m, nil
}

// serveCaisse serves database, which holds the merchant whose test key is
// key, on a free port of 127.0.0.1 and waits until it is ready.
func serveCaisse(ctx context.Context, c command, database, dir, key string) (*caisse, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logPath := filepath.Join(dir, fmt.Sprintf("caisse-%d.log", port))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(c.exe, "serve", "--addr", addr, "--database-url", database, "--rate-limit", "0",
		"--public-url", "http://"+addr)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &caisse{url: "http://" + addr, key: key, cmd: cmd, done: make(chan error, 1), logPath: logPath, database: database}
	go func() { s.done <- cmd.Wait() }()
	if err := s.waitReady(ctx, 60*time.Second); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *caisse) waitReady(ctx context.Context, within time.Duration) error {
	deadline := time.Now().Add(within)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("caisse serve exited before it was ready (%v); its log: %s", err, s.tail())
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := client.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("caisse serve not ready within %s; its log: %s", within, s.tail())
}

// tail is the end of the child's log, for an error message.
func (s *caisse) tail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// stop asks the child to shut down (SIGTERM), and kills it after 10 s.
func (s *caisse) stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	terminate(s.cmd, s.done, 10*time.Second)
}

// terminate sends SIGTERM to a child whose Wait result arrives on done, and
// kills it if it has not exited after grace.
func terminate(cmd *exec.Cmd, done <-chan error, grace time.Duration) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return 0, fmt.Errorf("unexpected listener address %v", ln.Addr())
	}
	return addr.Port, nil
}
