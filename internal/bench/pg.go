package bench

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"github.com/caisse/caisse/internal/randid"
)

// pgServer is the PostgreSQL server the bench makes its throw-away databases on.
type pgServer struct {
	admin *sql.DB
	url   *url.URL // the administrative database's URL
}

func openPG(ctx context.Context, raw string) (*pgServer, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("--database-url: %w", err)
	}
	db, err := sql.Open("pgx", raw)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("PostgreSQL at %s: %w", u.Redacted(), err)
	}
	return &pgServer{admin: db, url: u}, nil
}

func (p *pgServer) close() { p.admin.Close() }

// create makes a new empty database and returns its name.
func (p *pgServer) create(ctx context.Context, suffix string) (string, error) {
	name := "caisse_bench_" + strings.ToLower(randid.String(8)) + suffix
	if _, err := p.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return name, nil
}

// drop removes a database the bench made, disconnecting whoever is left on it.
func (p *pgServer) drop(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := p.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	return err
}

// dbURL is the URL of database name on the same server.
func (p *pgServer) dbURL(name string) string {
	u := *p.url
	u.Path = "/" + name
	return u.String()
}

// setting is one server setting (SHOW).
func (p *pgServer) setting(ctx context.Context, name string) string {
	var v string
	if err := p.admin.QueryRowContext(ctx, "SHOW "+name).Scan(&v); err != nil {
		return "?"
	}
	return v
}

// pgEnv is libpq's environment for pgbench from a database URL.
func pgEnv(u *url.URL, database string) []string {
	env := []string{"PGDATABASE=" + database}
	if h := u.Hostname(); h != "" {
		env = append(env, "PGHOST="+h)
	}
	if p := u.Port(); p != "" {
		env = append(env, "PGPORT="+p)
	}
	if u.User != nil {
		env = append(env, "PGUSER="+u.User.Username())
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
		}
	}
	if m := u.Query().Get("sslmode"); m != "" {
		env = append(env, "PGSSLMODE="+m)
	}
	return env
}

// pgbenchRun is one pgbench run.
type pgbenchRun struct {
	script  string
	clients int
	rate    float64 // transactions per second over all clients; 0: as fast as it goes
	d       time.Duration
	defines []string // -D NAME=VALUE
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// pgbench runs r against database and returns its throughput and the
// latencies of every transaction, from its per-transaction log (with --rate,
// pgbench measures each from its scheduled start).
func (p *pgServer) pgbench(ctx context.Context, pgbench, database, dir string, r pgbenchRun) (Stats, error) {
	runDir, err := os.MkdirTemp(dir, "pgbench-")
	if err != nil {
		return Stats{}, err
	}
	defer os.RemoveAll(runDir)
	script := filepath.Join(runDir, "script.sql")
	if err := os.WriteFile(script, []byte(r.script), 0o644); err != nil {
		return Stats{}, err
	}
	secs := max(1, int(r.d.Round(time.Second)/time.Second))
	args := []string{"-n", "-M", "prepared", "-c", strconv.Itoa(r.clients), "-j", "2",
		"-T", strconv.Itoa(secs), "-f", script, "--log", "--log-prefix", filepath.Join(runDir, "log")}
	if r.rate > 0 {
		args = append(args, "--rate", strconv.FormatFloat(r.rate, 'f', 1, 64))
	}
	for _, d := range r.defines {
		args = append(args, "-D", d)
	}
	cmd := exec.CommandContext(ctx, pgbench, args...)
	cmd.Dir = runDir
	cmd.Env = append(os.Environ(), pgEnv(p.url, database)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return Stats{}, fmt.Errorf("pgbench %s: %v: %s", strings.Join(args, " "), err, out.String())
	}
	logs, _ := filepath.Glob(filepath.Join(runDir, "log.*"))
	var samples []time.Duration
	failed := 0
	for _, path := range logs {
		f, err := os.Open(path)
		if err != nil {
			return Stats{}, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 3 {
				continue
			}
			us, err := strconv.ParseInt(fields[2], 10, 64)
			if err != nil { // "failed" or "skipped"
				failed++
				continue
			}
			samples = append(samples, time.Duration(us)*time.Microsecond)
		}
		f.Close()
	}
	if len(logs) == 0 {
		return Stats{}, fmt.Errorf("pgbench wrote no transaction log: %s", out.String())
	}
	s := newStats("pgbench", samples, failed, time.Duration(secs)*time.Second)
	if m := tpsLine.FindStringSubmatch(out.String()); m != nil {
		s.PerSecond, _ = strconv.ParseFloat(m[1], 64)
	}
	return s, nil
}
