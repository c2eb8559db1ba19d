package bench_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/bench"
	"github.com/caisse/caisse/internal/cli"
)

// childEnv makes this test binary act as the caisse binary for the bench's
// child processes (caisse merchants create, caisse serve).
const childEnv = "CAISSE_BENCH_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(cli.Main(context.Background(), os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
	}
	os.Exit(m.Run())
}

// TestRunSQLite runs one short measurement against SQLite: caisse served as a
// child process, the bare loop and the Go floor, each bounded in time; the
// table has figures.
func TestRunSQLite(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var progress bytes.Buffer
	start := time.Now()
	r, err := bench.Run(ctx, bench.Options{
		Executable: exe, Env: []string{childEnv + "=1"}, Engines: []string{"sqlite"}, SQLiteClients: []int{2},
		Duration: 500 * time.Millisecond, Command: "caisse bench --test", Dir: t.TempDir(), Progress: &progress, Expiry: -1, Lists: -1, Webhooks: -1,
	})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, progress.String())
	}
	if took := time.Since(start); took > 45*time.Second {
		t.Errorf("a 500 ms measurement took %s", took)
	}
	// The create beside the loop, the Go floor beside the loop, the create beside the floor.
	if len(r.Rows) != 3 || r.Rows[1].Caisse != r.Rows[2].Baseline || r.Rows[0].Caisse != r.Rows[2].Caisse {
		t.Fatalf("rows: %+v", r.Rows)
	}
	for _, row := range r.Rows {
		if row.Caisse == nil || row.Baseline == nil || row.Caisse.Ops == 0 || row.Baseline.Ops == 0 {
			t.Fatalf("a side measured nothing: %+v", row)
		}
		for _, s := range []*bench.Stats{row.Caisse, row.Baseline} {
			if s.Errors != 0 {
				t.Errorf("%s: %d errors: %s", s.Label, s.Errors, s.FirstError)
			}
			if s.P50 <= 0 || s.P99 < s.P50 || s.Max < s.P99 || s.PerSecond <= 0 {
				t.Errorf("%s: inconsistent figures %+v", s.Label, s)
			}
			if s.Elapsed > 10*time.Second {
				t.Errorf("%s: ran %s for a 500 ms bound", s.Label, s.Elapsed)
			}
		}
	}
	var md bytes.Buffer
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| SQLite create, 2 clients | ", "bare loop ", "/s, p50 ", "| **0.", "caisse bench --test",
		"| the Go floor of a SQLite create (net/http and the loop's transaction, no caisse code), 2 clients, vs bare loop | Go floor ",
		"| SQLite create, 2 clients, vs the Go floor | "} {
		if !strings.Contains(md.String(), want) && !(want == "| **0." && strings.Contains(md.String(), "| **1.")) {
			t.Errorf("the table lacks %q:\n%s", want, md.String())
		}
	}

	// Written twice, the file keeps the first run beside the second.
	doc := filepath.Join(t.TempDir(), "benchmarks.md")
	if err := bench.WriteDoc(doc, r); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(doc) // with a hand-written part, which a new run keeps
	hand := "<!-- kept by caisse bench: written by hand below -->\n## History\n\nbefore: 1/s\n"
	if err := os.WriteFile(doc, append(first, hand...), 0o644); err != nil {
		t.Fatal(err)
	}
	second := r
	second.Command = "caisse bench --second"
	if err := bench.WriteDoc(doc, second); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(doc)
	if !strings.HasSuffix(string(b), hand) {
		t.Errorf("the hand-written part was not kept at the end:\n%s", b)
	}
	for _, want := range []string{"# Benchmarks", "caisse bench --second", "## Earlier run", "caisse bench --test", "earlier run: caisse"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the doc lacks %q:\n%s", want, b)
		}
	}
	if n := strings.Count(string(b), "| SQLite create, 2 clients |"); n != 1 {
		t.Errorf("the doc has %d rows of the measurement, want 1 with both runs", n)
	}
}

// TestExpirySQLite runs the expiry measurement alone on SQLite, small: every
// seeded session expires, each soon after its deadline, and the table says so.
func TestExpirySQLite(t *testing.T) {
	r, md, progress := runAlone(t, 90*time.Second, bench.Options{Expiry: 300, ExpiryWindow: 2 * time.Second, ExpiryOnly: true})
	if len(r.Rows) != 1 || r.Rows[0].Caisse == nil {
		t.Fatalf("rows: %+v", r.Rows)
	}
	s := r.Rows[0].Caisse
	if s.Ops != 300 || s.Errors != 0 || s.P50 < 0 || s.P99 < s.P50 || s.Max < s.P99 || s.Max > 10*time.Second {
		t.Errorf("inconsistent figures %+v\n%s", s, progress)
	}
	want := "| expiry lateness, SQLite, 300 due within 2s | p50 "
	if !strings.Contains(md, want) || !strings.Contains(md, "; 300 of 300 expired | target p99 ≤ 1 s | — |") {
		t.Errorf("the table lacks the expiry row:\n%s", md)
	}
}

// TestListsSQLite runs the list measurements alone on SQLite, small: a row
// per list and search, at page 1 and deep, each of pages that hold sessions.
func TestListsSQLite(t *testing.T) {
	r, md, _ := runAlone(t, 90*time.Second, bench.Options{Duration: 300 * time.Millisecond, Lists: 3000, ListsClients: 2, ListsOnly: true})
	if len(r.Rows) != 7 {
		t.Fatalf("%d rows, want 7: %+v", len(r.Rows), r.Rows)
	}
	for _, row := range r.Rows {
		if s := row.Caisse; s == nil || s.Ops == 0 || s.Errors != 0 || s.P99 < s.P50 {
			t.Errorf("%s: %+v", row.Measurement, s)
		}
	}
	for _, want := range []string{
		"| SQLite list `GET /v1/checkouts`, 3 000 sessions, offset 300, 2 clients | ",
		"| SQLite search `user_phone` (a customer's few sessions), 3 000 sessions, page 1, 2 clients | ",
		"| target p50 ≤ 10 ms, p99 ≤ 50 ms | — |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the table lacks %q:\n%s", want, md)
		}
	}
}

// TestWebhooksSQLite runs the webhook measurements alone on SQLite, small:
// every event of the burst and of the open model reaches the bench's
// receiver, and the table says how soon and how fast.
func TestWebhooksSQLite(t *testing.T) {
	// 3 s: the open model's arrivals are a Poisson process at a few per
	// second, and in 1 s none arrived one run in twenty (e^-3).
	r, md, progress := runAlone(t, 120*time.Second, bench.Options{Duration: 3 * time.Second, Webhooks: 20, WebhooksOnly: true})
	if len(r.Rows) != 2 {
		t.Fatalf("rows: %+v\n%s", r.Rows, progress)
	}
	for i, row := range r.Rows {
		s := row.Caisse
		if s == nil || !row.Webhooks {
			t.Fatalf("row %d: %+v", i, row)
		}
		if s.Ops == 0 || s.Ops%4 != 0 || s.Errors != 0 || (i == 0 && s.Ops != 80) || row.Duplicates != 0 {
			t.Errorf("%s: %d delivered, %d not, %d twice\n%s", row.Measurement, s.Ops, s.Errors, row.Duplicates, progress)
		}
		if s.P50 <= 0 || s.P99 < s.P50 || s.Max < s.P99 || s.Max > time.Minute || s.PerSecond <= 0 || row.EventRate <= 0 {
			t.Errorf("%s: inconsistent figures %+v, events at %.0f/s", row.Measurement, s, row.EventRate)
		}
	}
	for _, want := range []string{"| webhooks, SQLite, burst of 20 paid sessions (80 events) | p50 ", "; 80 of 80 delivered, ",
		"/s, events written at ", "| target p99 ≤ 500 ms, keeps up | — |", "| webhooks, SQLite, open model at "} {
		if !strings.Contains(md, want) {
			t.Errorf("the table lacks %q:\n%s", want, md)
		}
	}
}

// runAlone runs the measurements o asks for alone on SQLite, as a test: the
// children are this test binary (childEnv), within timeout. It returns the
// report, its Markdown and the progress lines.
func runAlone(t *testing.T, timeout time.Duration, o bench.Options) (bench.Report, string, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var progress bytes.Buffer
	o.Executable, o.Env, o.Engines, o.Command = exe, []string{childEnv + "=1"}, []string{"sqlite"}, "caisse bench --test"
	o.Dir, o.Progress = t.TempDir(), &progress
	r, err := bench.Run(ctx, o)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, progress.String())
	}
	var md bytes.Buffer
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	return r, md.String(), progress.String()
}
