package notify

import (
	"regexp"
	"strings"
	"time"
)

// releaseTrains are Stripe's named API release trains, each with the date of
// its first release; a train's versions run until the next train's first
// release. Versions before the first train are plain dates.
var releaseTrains = []struct{ name, from string }{
	{"acacia", "2024-09-30"}, {"basil", "2025-03-31"}, {"clover", "2025-09-30"},
	{"dahlia", "2026-03-25"}, {"endive", "2026-09-30"},
}

// firstVersion is the date of Stripe's oldest API version still named by libraries.
const firstVersion = "2011-01-01"

// versionSyntax is a Stripe-Version value: a date, a release train after a dot
// for newer ones, and preview flags (name=v1) after semicolons.
var (
	versionSyntax = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})(?:\.([a-z]+))?$`)
	previewFlag   = regexp.MustCompile(`^[a-z][a-z0-9_]*=v\d+$`)
)

// ValidAPIVersion reports whether v names a Stripe API version released by now:
// a real date from firstVersion on, with no train before acacia and, from
// acacia on, the train whose releases the date falls in.
func ValidAPIVersion(v string, now time.Time) bool {
	base, flags, _ := strings.Cut(v, ";")
	for flag := range strings.SplitSeq(flags, ";") {
		if flags != "" && !previewFlag.MatchString(strings.TrimSpace(flag)) {
			return false
		}
	}
	m := versionSyntax.FindStringSubmatch(strings.TrimSpace(base))
	if m == nil {
		return false
	}
	date, train := m[1], m[2]
	if _, err := time.Parse(time.DateOnly, date); err != nil || date < firstVersion ||
		date > now.UTC().AddDate(0, 0, 1).Format(time.DateOnly) {
		return false
	}
	want := ""
	for _, t := range releaseTrains {
		if date >= t.from {
			want = t.name
		}
	}
	return train == want
}
