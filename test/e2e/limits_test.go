package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/testdb"
)

// servedLimits starts `caisse serve` on dbURL with env added, and returns its
// base URL, process id and a test key.
func servedLimits(t *testing.T, dbURL string, env ...string) (base string, pid int, key string) {
	t.Helper()
	addr := freeAddr(t)
	env = append([]string{"CAISSE_DATABASE_URL=" + dbURL, "CAISSE_ADDR=" + addr, "CAISSE_LOG_LEVEL=error"}, env...)
	var m struct {
		TestSecretKey string `json:"test_secret_key"`
	}
	if err := json.Unmarshal(caisse(t, env, "merchants", "create", "--name", "Limits", "--json"), &m); err != nil {
		t.Fatal(err)
	}
	cmd, _ := startServe(t, env)
	t.Cleanup(func() { stopServe(t, cmd) })
	waitReady(t, "http://"+addr+"/readyz")
	return "http://" + addr, cmd.Process.Pid, m.TestSecretKey
}

// rssKB reads a process's resident set size.
func rssKB(t *testing.T, pid int) int {
	t.Helper()
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestBadKeyFloodIsLimited sends requests with wrong keys from one address as
// fast as it can: past the allowance (CAISSE_AUTH_FAILURE_RATE, bursts of
// twice that) they get 429 without a key look-up, and the allowance refills.
func TestBadKeyFloodIsLimited(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, badKeyFlood)
}

func badKeyFlood(t *testing.T, dbURL string) {
	base, _, key := servedLimits(t, dbURL, "CAISSE_AUTH_FAILURE_RATE=5")
	get := func(k string) int {
		req, _ := http.NewRequest("GET", base+"/v1/checkouts", nil)
		req.Header.Set("Authorization", "Bearer "+k)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	codes := map[int]int{}
	start := time.Now()
	for i := range 60 {
		codes[get("sk_test_wrong"+strconv.Itoa(i))]++
	}
	// A burst of 10, then 5 more each second the flood lasted.
	most := 10 + int(5*time.Since(start).Seconds()) + 1
	if codes[http.StatusUnauthorized] < 5 || codes[http.StatusUnauthorized] > most || codes[http.StatusTooManyRequests] < 60-most {
		t.Fatalf("60 bad keys in a row in %s: %v, want at most %d × 401, then 429", time.Since(start).Round(time.Millisecond), codes, most)
	}
	time.Sleep(time.Second) // five tokens back
	if got := get(key); got != http.StatusOK {
		t.Fatalf("a good key after the flood, once the allowance refilled: %d", got)
	}
}

// TestUnauthenticatedUploadsStayCheap sends 300 concurrent 1 MiB bodies
// without a valid key: the key is checked before the body is read, so the
// server's resident memory grows by far less than the 300 MiB sent.
func TestUnauthenticatedUploadsStayCheap(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, unauthenticatedUploads)
}

func unauthenticatedUploads(t *testing.T, dbURL string) {
	base, pid, _ := servedLimits(t, dbURL, "CAISSE_AUTH_FAILURE_RATE=0")
	before := rssKB(t, pid)
	peak := before
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				peak = max(peak, rssKB(t, pid))
			}
		}
	}()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 300}}
	var wg sync.WaitGroup
	codes := make([]int, 300)
	for i := range codes {
		wg.Go(func() {
			body := io.LimitReader(zeros{}, 1<<20)
			req, _ := http.NewRequest("POST", base+"/v1/checkouts", body)
			req.ContentLength = 1 << 20
			req.Header.Set("Content-Type", "application/json")
			if i%2 == 0 {
				req.Header.Set("Authorization", "Bearer sk_test_not_a_key_"+strconv.Itoa(i))
			}
			res, err := client.Do(req)
			if err != nil {
				return // the server may close a connection whose body it will not read
			}
			codes[i] = res.StatusCode
			res.Body.Close()
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	answered := 0
	for _, c := range codes {
		if c == http.StatusUnauthorized {
			answered++
		} else if c != 0 {
			t.Errorf("an unauthenticated upload got %d", c)
		}
	}
	growth := (peak - before) / 1024
	t.Logf("RSS %d MiB before, peak %d MiB (+%d MiB) over 300 unauthenticated 1 MiB uploads; %d answered 401",
		before/1024, peak/1024, growth, answered)
	if growth >= 64 || answered < 150 {
		t.Fatalf("RSS grew by %d MiB (limit 64), %d uploads answered 401", growth, answered)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestClientThatNeverReads pipelines requests on one connection and never
// reads the answers: once the socket buffers are full the server's write
// blocks, and CAISSE_WRITE_TIMEOUT closes the connection instead of keeping it
// forever.
func TestClientThatNeverReads(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, neverReads)
}

func neverReads(t *testing.T, dbURL string) {
	base, _, _ := servedLimits(t, dbURL, "CAISSE_WRITE_TIMEOUT=1s")
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return errors.Join(err, serr)
	}}
	conn, err := d.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const requests = 200_000 // about 30 MB of answers: far more than the socket buffers hold
	closed := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(conn)
		for range requests {
			if _, err := w.WriteString("GET /healthz HTTP/1.1\r\nHost: caisse\r\n\r\n"); err != nil {
				closed <- err // the server closed the connection
				return
			}
		}
		closed <- w.Flush()
	}()
	// Never read. Once the server's answers fill the socket buffers its
	// writes block, and a second later the write timeout closes the
	// connection, which makes our writes fail. How long the server takes to
	// fill the buffers depends on how loaded the machine is: wait for the
	// close, up to a minute.
	select {
	case err := <-closed:
		if err == nil {
			t.Fatal("the server read every request although its answers were never read")
		}
	case <-time.After(time.Minute):
		t.Fatal("a minute on, the server still held the connection of a client that never reads: no write timeout")
	}
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	n, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection was still open 20 s after the server closed it (%d bytes read)", n)
	}
	if full := int64(requests) * 100; n >= full {
		t.Fatalf("read %d bytes: every answer came through, the server never had to give up", n)
	}
	t.Logf("the server closed the connection after %d bytes of answers (%v)", n, err)
}
