package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
)

// clients is "1 client" or "n clients".
func clients(n int) string {
	if n == 1 {
		return "1 client"
	}
	return strconv.Itoa(n) + " clients"
}

// thousands writes n with a space between groups of three digits: 12 210.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// ms writes a latency in milliseconds with about three significant digits.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v >= 10_000:
		return fmt.Sprintf("%.1f s", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 1:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.2f ms", v)
}

func failures(s *Stats) string {
	var parts []string
	if s.Errors > 0 {
		parts = append(parts, fmt.Sprintf("**%s errors**", thousands(int64(s.Errors))))
	}
	if s.Dropped > 0 {
		parts = append(parts, fmt.Sprintf("**%s dropped**", thousands(int64(s.Dropped))))
	}
	if len(parts) == 0 {
		return ""
	}
	return ", " + strings.Join(parts, ", ")
}

func (r Row) cell(s *Stats) string {
	if s == nil {
		return r.Note
	}
	prefix := ""
	if s.Label != "caisse" {
		prefix = s.Label + " "
	}
	if r.Webhooks {
		dups := ""
		if r.Duplicates > 0 {
			dups = fmt.Sprintf(", **%s duplicates**", thousands(int64(r.Duplicates)))
		}
		return fmt.Sprintf("%sp50 %s, p99 %s, max %s; %s of %s delivered, %s/s, events written at %s/s%s", prefix,
			ms(s.P50), ms(s.P99), ms(s.Max), thousands(int64(s.Ops)), thousands(int64(s.Ops+s.Errors)),
			thousands(int64(s.PerSecond+0.5)), thousands(int64(r.EventRate+0.5)), dups)
	}
	if r.Expiry {
		return fmt.Sprintf("%sp50 %s, p99 %s, max %s; %s of %s expired", prefix, ms(s.P50), ms(s.P99), ms(s.Max),
			thousands(int64(s.Ops)), thousands(int64(s.Ops+s.Errors)))
	}
	if r.ByLatency {
		return fmt.Sprintf("%sp50 %s, p99 %s%s", prefix, ms(s.P50), ms(s.P99), failures(s))
	}
	return fmt.Sprintf("%s%s/s, p50 %s, p99 %s%s", prefix, thousands(int64(s.PerSecond+0.5)), ms(s.P50), ms(s.P99), failures(s))
}

// ratio is caisse over the baseline: throughputs, or p99s for an open model.
func (r Row) ratio() string {
	if r.Caisse == nil || r.Baseline == nil {
		return "—"
	}
	if r.ByLatency {
		if r.Baseline.P99 <= 0 {
			return "—"
		}
		return fmt.Sprintf("p99 **%.1f×**", float64(r.Caisse.P99)/float64(r.Baseline.P99))
	}
	if r.Baseline.PerSecond <= 0 {
		return "—"
	}
	return fmt.Sprintf("**%.2f**", r.Caisse.PerSecond/r.Baseline.PerSecond)
}

// Markdown writes the report: its settings, then the table.
func (r Report) Markdown(w io.Writer) error {
	_, err := io.WriteString(w, r.meta("")+"\n"+table(r, nil))
	return err
}

func (r Report) meta(title string) string {
	var b strings.Builder
	if title != "" {
		fmt.Fprintf(&b, "%s\n\n", title)
	}
	fmt.Fprintf(&b, "- command: `%s`\n", r.Command)
	fmt.Fprintf(&b, "- caisse %s (commit %s), %s, %d CPUs, started %s, %s per measurement\n",
		r.Version, r.Commit, r.GoVersion, r.CPUs, r.Started.Format(time.RFC3339), r.Duration)
	fmt.Fprintf(&b, "- load average before: %s; after: %s\n", r.LoadBefore, r.LoadAfter)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	return b.String()
}

// table is the Markdown table of r, with prev's figures beside each row of
// the same measurement when prev is not nil.
func table(r Report, prev *Report) string {
	var b strings.Builder
	if prev == nil {
		b.WriteString("| measurement | caisse | baseline, same run | ratio |\n| --- | --- | --- | --- |\n")
	} else {
		b.WriteString("| measurement | caisse | baseline, same run | ratio | earlier run: caisse | baseline | ratio |\n" +
			"| --- | --- | --- | --- | --- | --- | --- |\n")
	}
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |", row.Measurement, row.cell(row.Caisse), row.cell(row.Baseline), row.ratio())
		if prev != nil {
			if p, ok := prev.row(row.Measurement); ok {
				fmt.Fprintf(&b, " %s | %s | %s |", p.cell(p.Caisse), p.cell(p.Baseline), p.ratio())
			} else {
				b.WriteString(" — | — | — |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// row finds a measurement by name; an open model's rate, which differs
// between runs, is not part of the name it is matched on.
func (r Report) row(measurement string) (Row, bool) {
	key := func(m string) string {
		if i := strings.Index(m, " open model at "); i >= 0 {
			return m[:i]
		}
		return m
	}
	for _, row := range r.Rows {
		if key(row.Measurement) == key(measurement) {
			return row, true
		}
	}
	return Row{}, false
}

// docMarker introduces the JSON of the latest run that WriteDoc keeps in the file.
const docMarker = "<!-- caisse-bench-report "

// keepMarker starts the part of the file that WriteDoc keeps as it is, after
// the run's tables: what people write about the runs (history, targets).
const keepMarker = "<!-- kept by caisse bench: written by hand below -->"

// intro is the paragraph above the tables of docs/benchmarks.md.
const intro = `# Benchmarks

` + "`caisse bench`" + ` measures caisse beside the floor of what it does, in one run on one machine, and
writes this page (` + "`go build -o /tmp/caisse ./cmd/caisse && /tmp/caisse bench --write docs/benchmarks.md`" + `;
` + "`--quick`" + ` for a 2-second smoke run, ` + "`--duration`" + ` to change the 10 s each measurement runs,
` + "`--json`" + ` for a machine-readable report). It serves caisse as a child process (` + "`caisse serve`" + ` of the
same binary) on a throw-away PostgreSQL database and a temporary SQLite file, and loads it with its
own HTTP client on 127.0.0.1 (keep-alive connections, each request written and its response read by
the goroutine that sends it, as a pgbench client does: net/http's own Transport, which hands each
request between two goroutines per connection, cost about a tenth of caisse's retrieve throughput
on the shared cores) — closed model (N clients back to back) and open model (requests
arriving at random, a Poisson process as pgbench ` + "`--rate`" + ` schedules its transactions, at a mean rate of
half caisse's closed-model create throughput, each latency counted from the time the request was
due, so a queue cannot hide); p50 and p99 are exact, from every request. The baselines
run in the same process tree on the same cores, right after caisse: **pgbench** (` + "`-M prepared -j 2`" + `,
its own throw-away database, fsync on) running the minimal durable SQL of an idempotent, searchable
session store — one transaction inserting a session row (caisse's columns, primary key ` + "`seq`" + `, a unique
` + "`id`" + ` and four secondary indexes: newest first, status, payment id, phone) and an idempotency row that
keeps the response — and a primary-key SELECT of a whole row for retrieves; **a bare Go loop** of the
same two inserts, one commit each, through ` + "`sqlitestore.Open`" + ` (the same modernc.org/sqlite driver,
pragmas and single writer connection as caisse) for SQLite; and **stripe-mock**, Stripe's own
mock server, as the peer of the Stripe dialect when a ` + "`stripe-mock`" + ` binary is on PATH
(` + "`go install github.com/stripe/stripe-mock@latest`" + ` puts one in ` + "`$(go env GOPATH)/bin`" + `); and
**the Go floor**, in the bench's own process, with nothing of caisse's (no authentication, validation
or session object): for the PostgreSQL create, net/http's server decoding the same JSON body and
sending pgbench's two inserts in one pgx round trip (caisse's pool size), as caisse sends a create;
for the SQLite create at the first client count, the bare loop's transaction behind net/http; for
retrieves at the first client count, one pgx query of the session's row — each measured beside its
baseline and beside caisse, so the first ratio is as far as any Go server gets here and the second
is the share caisse's own work leaves. A ratio is
caisse's throughput over the baseline's, or, for the open model, caisse's p99 over pgbench's at the
same rate. The expiry rows have no baseline but their target: ` + "`--expiry`" + ` sessions (10 000) of one
merchant, seeded ` + "`created`" + ` with deadlines spread over one minute starting 5 s later, served by one
` + "`caisse serve`" + ` (two on one PostgreSQL database for the two-node row); the lateness of each is its
` + "`updated_at`" + ` minus its ` + "`expires_at`" + ` as the database holds them once it has expired
(` + "`--expiry-only`" + ` runs them alone). The list rows have no baseline either: ` + "`--lists`" + ` sessions
(1 000 000) of one merchant, made by ` + "`caisse seed`" + `'s generator (90 days of them, about 62 % completed,
amounts from 500 to 500 000 minor units, a few per phone number) in a throw-away database,
` + "`VACUUM ANALYZE`" + `d on PostgreSQL after the bulk load as autovacuum would on a live database (SQLite
keeps no statistics unless asked, and caisse does not ask), served by one ` + "`caisse serve`" + `, and
read by 4 clients for each row: ` + "`GET /v1/checkouts`" + `, and searches by ` + "`status=completed`" + `, by
an amount range that most sessions fall in, and by one customer's phone, at page 1 and at
` + "`offset=100000`" + ` (a tenth of the sessions when fewer), each page checked to hold sessions
(` + "`--lists-only`" + ` runs them alone). The webhook rows have no baseline but their target either: one
` + "`caisse serve`" + `, a merchant with one test-mode endpoint for every event type, served by the bench itself on
127.0.0.1 and answering 200 at once; first a burst of ` + "`--webhooks`" + ` sessions (2 000) created and confirmed through
the API by 16 clients back to back, each paid by the test connector a second later (four events: pending,
processing, completed, async_payment_succeeded), then an open model, for the measurement's duration, at half the
rate the burst's events were written at (in paid sessions a second). An event's latency is its first delivery's
arrival minus its ` + "`created_at`" + ` as the database holds it; deliveries and events a second are each counted from
the first to the last (` + "`--webhooks-only`" + ` runs these rows alone). The client, caisse, PostgreSQL and pgbench share the machine's cores, so absolute figures
depend on it; the ratios are the point. With ` + "`--write`" + `, the run already in the file is kept beside the
new one, to show the noise between two runs.
`

// WriteDoc writes r to the Markdown file at path: the introduction, the
// run's settings and its table, with the figures of the run the file held
// before (if any) beside them, and r's JSON in a comment for the next run;
// then, as it was, whatever the file held from keepMarker on.
func WriteDoc(path string, r Report) error {
	var prev *Report
	var kept string
	old, err := os.ReadFile(path)
	if i := strings.Index(string(old), keepMarker); err == nil && i >= 0 {
		kept, old = string(old[i:]), old[:i]
	}
	switch {
	case err == nil:
		if i := strings.LastIndex(string(old), docMarker); i >= 0 {
			rest := string(old[i+len(docMarker):])
			if j := strings.Index(rest, " -->"); j >= 0 {
				var p Report
				if json.Unmarshal([]byte(rest[:j]), &p) == nil {
					prev = &p
				}
			}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	var b strings.Builder
	b.WriteString(intro + "\n")
	b.WriteString(r.meta("## Latest run"))
	if prev != nil {
		b.WriteString("\n" + prev.meta("## Earlier run (its figures are the right-hand columns below)"))
	}
	b.WriteString("\n" + table(r, prev))
	js, err := json.Marshal(r)
	if err != nil {
		return err
	}
	fmt.Fprintf(&b, "\n%s%s -->\n", docMarker, strings.ReplaceAll(string(js), "--", `\u002d\u002d`))
	if kept != "" {
		b.WriteString("\n" + kept)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
