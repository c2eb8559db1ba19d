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
// SIGSTOP is sent until a scan finds them all stopped: kill returns before a
// process running on another CPU has stopped, so the postmaster may still
// fork a backend (a pool's new connection) after a first scan, and that
// backend would go on serving a "frozen" cluster.
func (c *cluster) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(c.dir, "data", "postmaster.pid"))
	if err != nil {
		return // stopped
	}
	master, err := strconv.Atoi(strings.SplitN(string(raw), "\n", 2)[0])
	if err != nil {
		t.Fatalf("postmaster.pid: %q", raw)
	}
	for try := 0; try < 100; try++ {
		running := 0
		for _, p := range append([]procState{{pid: master, state: stateOf(master)}}, children(master)...) {
			if sig == syscall.SIGSTOP && p.state == "T" {
				continue // stopped already
			}
			running++
			syscall.Kill(p.pid, sig) //nolint:errcheck // a backend may have exited
		}
		if sig != syscall.SIGSTOP || running == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the cluster's processes did not all stop")
}

// procState is a process and its state letter in /proc (T: stopped).
type procState struct {
	pid   int
	state string
}

// stateOf is the state letter of a process, "" if it is gone.
func stateOf(pid int) string {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	return strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))[0]
}

// children are the processes whose parent is pid, with their states.
func children(pid int) []procState {
	var out []procState
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		stat, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// "pid (comm) state ppid …": the state and the parent follow the command.
		after := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(after) > 1 && after[1] == strconv.Itoa(pid) {
			child, _ := strconv.Atoi(strings.Fields(string(stat))[0])
			out = append(out, procState{pid: child, state: after[0]})
		}
	}
	return out
}

// stop shuts the cluster down at once.
func (c *cluster) stop(t *testing.T) {
	t.Helper()
	if out, err := c.command("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "stop").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}
