package batch

import (
	"fmt"
	"sync"
	"testing"
)

// TestGroupBatches submits 100 items from 100 goroutines while the first
// batch is held: the others gather into batches of at most Max, every item
// is done once, and each caller gets its own item's error.
func TestGroupBatches(t *testing.T) {
	hold := make(chan struct{})
	var mu sync.Mutex
	var sizes []int
	seen := map[int]int{}
	g := &Group[int]{Max: 30, Do: func(items []int) []error {
		if len(sizes) == 0 {
			<-hold // the first batch waits until every item is queued
		}
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(items))
		errs := make([]error, len(items))
		for i, v := range items {
			seen[v]++
			if v%7 == 0 {
				errs[i] = fmt.Errorf("item %d refused", v)
			}
		}
		return errs
	}}
	first := g.Submit(0)
	var wg sync.WaitGroup
	errs := make([]error, 100)
	var queued sync.WaitGroup
	for i := 1; i < 100; i++ {
		queued.Add(1)
		wg.Go(func() {
			done := g.Submit(i)
			queued.Done()
			errs[i] = <-done
		})
	}
	queued.Wait()
	close(hold)
	errs[0] = <-first
	wg.Wait()
	for i, err := range errs {
		if want := i%7 == 0; (err != nil) != want || seen[i] != 1 {
			t.Errorf("item %d: error %v, done %d times", i, err, seen[i])
		}
	}
	// The first batch took what was queued when its goroutine started; the
	// rest waited for it and went in full batches but the last.
	total, want := 0, 1+(100-sizes[0]+29)/30
	for _, n := range sizes {
		total += n
		if n > 30 {
			t.Errorf("a batch of %d, more than Max", n)
		}
	}
	if total != 100 || len(sizes) != want {
		t.Errorf("batch sizes %v: %d items in %d batches, want 100 in %d", sizes, total, len(sizes), want)
	}
}
