package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/caisse/caisse/client"
	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// requestTimeout is the deadline the frozen-database tests give each request:
// above SQLite's busy timeout (sqlitestore.BusyTimeout), which ends the wait
// for another process's lock.
const requestTimeout = 3 * time.Second

// answersWithin makes a request and checks that it is answered 503 api_error
// within the request deadline (plus a second of slack), not hung.
func answersWithin(t *testing.T, l *lifecycle, method, path, body string) {
	t.Helper()
	start := time.Now()
	got := l.call(method, path, body, http.StatusServiceUnavailable)
	took := time.Since(start)
	if took > requestTimeout+2*time.Second { // slack for a loaded machine
		t.Errorf("%s %s with the database frozen: %v after %s, want a 503 within %s", method, path, got, took, requestTimeout)
	}
	t.Logf("%s %s answered 503 after %s", method, path, took.Round(time.Millisecond))
}

// TestFrozenSQLite holds SQLite's write lock from another connection, as a
// stuck writer in another process would: writes answer 503 within the
// request deadline (after SQLite's busy timeout).
func TestFrozenSQLite(t *testing.T) {
	t.Parallel()
	dbURL := testdb.SQLiteURL(t)
	l := newLifecycle(t, dbURL, testserver.WithConfig(func(c *config.Config) { c.RequestTimeout = requestTimeout }))
	path := strings.TrimPrefix(dbURL, "sqlite:")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(100)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK") //nolint:errcheck // test clean-up
	answersWithin(t, l, "POST", "/v1/checkouts", `{"amount": 5000, "currency": "XOF", "user_phone": "+2250700000001"}`)
}

// TestFrozenPostgres runs caisse on a PostgreSQL cluster of its own, then
// stops every process of that cluster (SIGSTOP), as a frozen server would
// look, and finally shuts it down: reads and writes answer 503 within the
// request deadline instead of hanging.
func TestFrozenPostgres(t *testing.T) {
	t.Parallel()
	cluster := newCluster(t)
	l := newLifecycle(t, cluster.url, testserver.WithConfig(func(c *config.Config) { c.RequestTimeout = requestTimeout }))
	id := l.must(l.momo().Create(context.Background(), client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250700000001"})).ID

	cluster.signal(t, syscall.SIGSTOP)
	answersWithin(t, l, "GET", "/v1/checkouts/"+id, "")
	answersWithin(t, l, "POST", "/v1/checkouts", `{"amount": 5000, "currency": "XOF", "user_phone": "+2250700000001"}`)
	cluster.signal(t, syscall.SIGCONT)

	cluster.stop(t)
	answersWithin(t, l, "GET", "/v1/checkouts/"+id, "")
}

// cluster is a throw-away PostgreSQL cluster in a temporary directory.
type cluster struct {
	dir, bin, url string
}

// newCluster initialises and starts a cluster on a free port, stopped at
// cleanup. It needs PostgreSQL's server binaries (Debian's postgresql package);
// without them the test is skipped, unless CI is set.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("no initdb: install Debian's postgresql")
		}
		t.Skip("no initdb: install Debian's postgresql to run this test")
	}
	dir, err := os.MkdirTemp("", "caisse-cluster-") // not t.TempDir: postgres must reach it, and its parent is root's alone
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c := &cluster{dir: dir, bin: filepath.Dir(bins[len(bins)-1])}
	if os.Geteuid() == 0 { // the cluster runs as postgres: PostgreSQL refuses root
		if out, err := exec.Command("chown", "postgres", c.dir).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v %s", err, out)
		}
	}
	data := filepath.Join(c.dir, "data")
	if out, err := c.command("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	var port int
	for try := 1; ; try++ { // another process may take the free port before the server does
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		opts := fmt.Sprintf("-p %d -k %s -c fsync=off", port, c.dir)
		out, err := c.command("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(c.dir, "log"), "-w", "start").CombinedOutput()
		if err == nil {
			break
		}
		if try == 3 {
			log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
			t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
		}
	}
	t.Cleanup(func() {
		c.signal(t, syscall.SIGCONT)
		c.command("pg_ctl", "-D", data, "-m", "immediate", "stop").Run() //nolint:errcheck // may be stopped already
	})
	c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return c
}

// command runs one of the cluster's binaries, as postgres when we are root.
func (c *cluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

// signal sends sig to the cluster's postmaster and every process it started.
func (c *cluster) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(c.dir, "data", "postmaster.pid"))
	if err != nil {
		return // stopped
	}
	master := strings.SplitN(string(raw), "\n", 2)[0]
	// The postmaster first: stopped, it forks no backend after the scan
	// below (a backend forked between a scan and the signal would go on
	// serving a "frozen" cluster).
	if pid, err := strconv.Atoi(master); err == nil {
		syscall.Kill(pid, sig) //nolint:errcheck // it may have exited
	}
	var pids []string
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		stat, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// "pid (comm) state ppid …": the parent is the second field after the command.
		after := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(after) > 1 && after[1] == master {
			pids = append(pids, strings.Fields(string(stat))[0])
		}
	}
	for _, p := range pids {
		if pid, err := strconv.Atoi(p); err == nil {
			syscall.Kill(pid, sig) //nolint:errcheck // a backend may have exited
		}
	}
}

// stop shuts the cluster down at once.
func (c *cluster) stop(t *testing.T) {
	t.Helper()
	if out, err := c.command("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "stop").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}
