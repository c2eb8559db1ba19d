package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Stats are one side of a measurement: how many operations finished, in how
// long, and their latencies' percentiles, computed exactly from every sample.
type Stats struct {
	// Label names what ran ("caisse", "pgbench", "bare loop", …).
	Label string `json:"label"`
	// Ops counts the operations that succeeded.
	Ops int `json:"ops"`
	// Errors counts the operations that failed (a transport error or a status other than 2xx).
	Errors int `json:"errors"`
	// Dropped counts the sends an open model could not start (too many in flight).
	Dropped int `json:"dropped,omitempty"`
	// Elapsed is how long the measurement ran.
	Elapsed time.Duration `json:"elapsed_ns"`
	// PerSecond is Ops per second of Elapsed.
	PerSecond float64 `json:"per_second"`
	// P50 and P99 are the median and 99th percentile latencies (nearest rank).
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	// Max is the largest latency seen.
	Max time.Duration `json:"max_ns"`
	// FirstError is the first failure's message, if any.
	FirstError string `json:"first_error,omitempty"`
}

// newStats computes Stats from every latency sample of a run.
func newStats(label string, samples []time.Duration, errs int, elapsed time.Duration) Stats {
	s := Stats{Label: label, Ops: len(samples), Errors: errs, Elapsed: elapsed}
	if elapsed > 0 {
		s.PerSecond = float64(len(samples)) / elapsed.Seconds()
	}
	if len(samples) == 0 {
		return s
	}
	slices.Sort(samples)
	s.P50 = percentile(samples, 50)
	s.P99 = percentile(samples, 99)
	s.Max = samples[len(samples)-1]
	return s
}

// percentile is the nearest-rank p-th percentile of sorted, which is not empty.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (len(sorted)*p + 99) / 100 // ceil(n·p/100)
	return sorted[max(rank, 1)-1]
}

// op is one request of a load: it returns nil when the operation succeeded.
type op func(ctx context.Context, client *http.Client, worker, i int) error

// newClient is the load generator's HTTP client: at most conns keep-alive
// connections (see transport), no compression.
func newClient(conns int) *http.Client {
	return &http.Client{Transport: newTransport(conns)}
}

// errEnough is what an op returns to end its worker's closed load early (a
// load of a fixed number of operations); it is not counted as a failure.
var errEnough = errors.New("bench: enough operations")

// closedLoad runs workers back to back for d (no new request starts after d;
// those in flight finish and count), or until each worker's op says errEnough.
func closedLoad(ctx context.Context, label string, workers int, d time.Duration, client *http.Client, do op) Stats {
	start := time.Now()
	deadline := start.Add(d)
	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	var first error
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			var firstMine error
			for i := 0; ctx.Err() == nil; i++ {
				t0 := time.Now()
				if !t0.Before(deadline) {
					break
				}
				if err := do(ctx, client, w, i); err != nil {
					if errors.Is(err, errEnough) {
						break
					}
					bad++
					if firstMine == nil {
						firstMine = err
					}
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			all = append(all, mine...)
			errs += bad
			if first == nil {
				first = firstMine
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	s := newStats(label, all, errs, time.Since(start))
	if first != nil {
		s.FirstError = first.Error()
	}
	return s
}

// maxInFlight bounds an open model's outstanding requests: past it, a
// scheduled send is dropped (and counted) rather than queued without end.
const maxInFlight = 2048

// openLoad sends requests arriving at random at a mean rate (per second)
// for d: a Poisson process, exponential gaps between arrivals, as pgbench
// --rate schedules its transactions, so both face the same bursts. Each
// request's latency runs from the time it was scheduled, not the time it was
// sent, so a slow server cannot hide its queue (no coordinated omission).
func openLoad(ctx context.Context, label string, rate float64, d time.Duration, client *http.Client, do op) Stats {
	mean := float64(time.Second) / rate
	start := time.Now()
	next := start // the latest arrival scheduled
	var mu sync.Mutex
	var all []time.Duration
	errs, dropped := 0, 0
	var first error
	slots := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	for i := 0; ctx.Err() == nil; i++ {
		next = next.Add(time.Duration(rand.ExpFloat64() * mean))
		at := next // this request's arrival
		if at.Sub(start) >= d {
			break
		}
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		select {
		case slots <- struct{}{}:
		default:
			dropped++
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			err := do(ctx, client, i, i)
			lat := time.Since(at)
			mu.Lock()
			if err != nil {
				errs++
				if first == nil {
					first = err
				}
			} else {
				all = append(all, lat)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	s := newStats(label, all, errs, time.Since(start))
	s.Dropped = dropped
	if first != nil {
		s.FirstError = first.Error()
	}
	return s
}

// send does req and reads its body to the end (so the connection is kept);
// a status other than 2xx is an error, with the start of the body.
func send(client *http.Client, req *http.Request, body *[]byte) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %.200s", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	if body != nil {
		*body = b
	}
	return nil
}
