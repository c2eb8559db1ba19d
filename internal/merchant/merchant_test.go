package merchant

import (
	"testing"

	"github.com/caisse/caisse/internal/store"
)

func TestFee(t *testing.T) {
	t.Parallel()
	cases := []struct {
		f      store.FeeSchedule
		amount int64
		want   int64
	}{
		{DefaultFee, 5000, 25},
		{DefaultFee, 100, 1}, // 0.5 rounds half up
		{DefaultFee, 99, 0},  // 0.495 rounds down
		{DefaultFee, 101, 1}, // 0.505
		{DefaultFee, 300, 2}, // 1.5
		{store.FeeSchedule{BasisPoints: 150, Fixed: 100}, 10000, 250},
		{store.FeeSchedule{BasisPoints: 50, Minimum: 50}, 5000, 50},
		{store.FeeSchedule{BasisPoints: 50, Maximum: 1000}, 10_000_000, 1000},
		{store.FeeSchedule{BasisPoints: 10000}, 999_999_999_999, 999_999_999_999},
	}
	for _, c := range cases {
		if got := Fee(c.f, c.amount); got != c.want {
			t.Errorf("Fee(%+v, %d) = %d, want %d", c.f, c.amount, got, c.want)
		}
	}
}

func TestLast4(t *testing.T) {
	t.Parallel()
	if got := Last4("sk_test_abcdefgh1234"); got != "1234" {
		t.Fatalf("Last4 = %q", got)
	}
}
