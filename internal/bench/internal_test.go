package bench

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/store/sqldb"
)

// The baseline's sessions table has caisse's columns, in the same order.
func TestBaselineColumns(t *testing.T) {
	var names []string
	for _, c := range baselineColumns {
		names = append(names, c.name)
	}
	if want := strings.Split(sqldb.SessionColumns, ", "); !slices.Equal(names, want) {
		t.Errorf("baseline columns\n%v\nwant caisse's\n%v", names, want)
	}
}

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 200; i++ {
		s = append(s, time.Duration(i))
	}
	if p := percentile(s, 50); p != 100 {
		t.Errorf("p50 = %d", p)
	}
	if p := percentile(s, 99); p != 198 {
		t.Errorf("p99 = %d", p)
	}
	if p := percentile(s[:1], 99); p != 1 {
		t.Errorf("p99 of one = %d", p)
	}
	if got := thousands(1234567); got != "1 234 567" {
		t.Errorf("thousands = %q", got)
	}
}
