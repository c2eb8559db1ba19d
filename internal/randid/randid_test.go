package randid

import (
	"strings"
	"testing"
)

// TestStringAlphabet draws 62 000 characters: each has the asked length, only
// alphabet characters appear, and each of them about 1 000 times (a draw
// that skipped part of the alphabet, or favoured the first eight characters as
// byte % 62 without redraws would, falls outside 800–1 200).
func TestStringAlphabet(t *testing.T) {
	counts := map[rune]int{}
	for range 1000 {
		s := String(62)
		if len(s) != 62 {
			t.Fatalf("String(62) has %d characters", len(s))
		}
		for _, r := range s {
			counts[r]++
		}
	}
	for r, n := range counts {
		if !strings.ContainsRune(alphabet, r) {
			t.Errorf("%q is not in the alphabet", r)
		}
		if n < 800 || n > 1200 {
			t.Errorf("%q drawn %d times in 62 000, want about 1 000", r, n)
		}
	}
	if len(counts) != len(alphabet) {
		t.Errorf("%d of %d characters drawn", len(counts), len(alphabet))
	}
	if a, b := New("cs_"), New("cs_"); a == b || !strings.HasPrefix(a, "cs_") || len(a) != 27 {
		t.Errorf("New: %q, %q", a, b)
	}
}
