package e2e

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// readmeBlock is one shell block of the README, with what its marker says of it.
type readmeBlock struct {
	line       int    // where the block starts in README.md
	code       string // the block's text, verbatim
	skip       bool   // <!-- readme-test: skip -->: not run (the test command itself)
	background string // <!-- readme-test: background "TEXT" -->: runs on; ready once TEXT is printed
}

// readmeMarker is the HTML comment, invisible on the rendered page, that may
// precede a shell block to say how the test runs it.
var readmeMarker = regexp.MustCompile(`^<!-- readme-test: (skip|background "([^"]+)") -->$`)

// readmeBlocks returns the README's ```sh blocks in order.
func readmeBlocks(t *testing.T, readme string) []readmeBlock {
	t.Helper()
	var blocks []readmeBlock
	lines := strings.Split(readme, "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] != "```sh" {
			continue
		}
		b := readmeBlock{line: i + 1}
		if i > 0 {
			if m := readmeMarker.FindStringSubmatch(lines[i-1]); m != nil {
				b.skip, b.background = m[1] == "skip", m[2]
			} else if strings.HasPrefix(lines[i-1], "<!-- readme-test") {
				t.Fatalf("README.md:%d: a marker this test does not understand: %s", i, lines[i-1])
			}
		}
		var code []string
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			code = append(code, lines[i])
		}
		b.code = strings.Join(code, "\n") + "\n"
		blocks = append(blocks, b)
	}
	return blocks
}

// lockedBuffer is a background block's output, written by its process and
// read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestReadme runs the README's shell blocks verbatim, in order, from the
// repository's root, as a reader would in a terminal: the variables a block
// exports reach the blocks after it, a block marked background (the server)
// runs on as in a second terminal. Only the database's place differs: a
// temporary SQLite file instead of ./caisse.db, through CAISSE_DATABASE_URL.
// A block fails the test if it exits non-zero or prints an API error.
func TestReadme(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeBlocks(t, string(readme))
	if len(blocks) < 3 {
		t.Fatalf("README.md has %d shell blocks; the quick start and first requests are missing", len(blocks))
	}
	// The README's examples talk to 127.0.0.1:8080, as a reader's would.
	ln, err := net.Listen("tcp", "127.0.0.1:8080")
	if err != nil {
		t.Fatalf("the README's examples need 127.0.0.1:8080, which is taken: %v", err)
	}
	ln.Close()

	dir := t.TempDir()
	state := filepath.Join(dir, "exports.sh") // what the blocks exported so far
	env := append(os.Environ(), "CAISSE_DATABASE_URL=sqlite:"+filepath.Join(dir, "caisse.db"))
	script := func(code string) string {
		return "[ -f " + state + " ] && . " + state + "\nset -eo pipefail\n" + code + "export -p > " + state + "\n"
	}
	for _, b := range blocks {
		switch {
		case b.skip:
			continue
		case b.background != "":
			out := &lockedBuffer{}
			cmd := exec.Command("bash", "-c", script(b.code))
			cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = root, env, out, out
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // go run's child goes with it
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			go func() { cmd.Wait(); close(exited) }() //nolint:errcheck // it is killed on purpose
			t.Cleanup(func() {
				syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) //nolint:errcheck // gone already is fine
				select {
				case <-exited:
				case <-time.After(10 * time.Second):
					syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) //nolint:errcheck
					<-exited
				}
			})
			deadline := time.After(2 * time.Minute) // go run may compile first
			for !strings.Contains(out.String(), b.background) {
				select {
				case <-exited:
					t.Fatalf("README.md:%d exited before printing %q:\n%s\n%s", b.line, b.background, b.code, out)
				case <-deadline:
					t.Fatalf("README.md:%d never printed %q:\n%s\n%s", b.line, b.background, b.code, out)
				case <-time.After(100 * time.Millisecond):
				}
			}
		default:
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			cmd := exec.CommandContext(ctx, "bash", "-c", script(b.code))
			cmd.Dir, cmd.Env = root, env
			out, err := cmd.CombinedOutput()
			cancel()
			if err != nil {
				t.Fatalf("README.md:%d failed (%v):\n%s\noutput:\n%s", b.line, err, b.code, out)
			}
			if bytes.Contains(out, []byte(`"error"`)) {
				t.Fatalf("README.md:%d printed an API error:\n%s\noutput:\n%s", b.line, b.code, out)
			}
			t.Logf("README.md:%d:\n%s", b.line, out)
		}
	}
}
