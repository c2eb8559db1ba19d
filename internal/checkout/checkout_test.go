package checkout

import (
	"strings"
	"testing"
)

// TestStatusMachine checks the table of transitions: which moves it allows
// (the off-route ones, a late success and a retry, apart), and which
// statuses are terminal.
func TestStatusMachine(t *testing.T) {
	t.Parallel()
	allowed := map[[2]Status]string{
		{StatusCreated, StatusPending}: "confirm", {StatusCreated, StatusExpired}: "expire", {StatusCreated, StatusCancelled}: "cancel",
		{StatusPending, StatusProcessing}: "approve", {StatusPending, StatusFailed}: "decline",
		{StatusPending, StatusExpired}: "expire", {StatusPending, StatusCancelled}: "cancel",
		{StatusProcessing, StatusCompleted}: "pay", {StatusProcessing, StatusFailed}: "decline",
	}
	explicit := map[[2]Status]string{{StatusFailed, StatusCompleted}: "pay_late", {StatusExpired, StatusCompleted}: "pay_late",
		{StatusCancelled, StatusCompleted}: "pay_late", {StatusFailed, StatusPending}: "retry"}
	for _, from := range Statuses {
		for _, to := range Statuses {
			var names []string
			for _, tr := range Transitions {
				if tr.Leaves(from) && tr.To == to {
					names = append(names, tr.Name)
					if tr.Explicit != (explicit[[2]Status{from, to}] != "") {
						t.Errorf("%s: %s → %s, Explicit %v", tr.Name, from, to, tr.Explicit)
					}
				}
			}
			want := allowed[[2]Status{from, to}]
			if e := explicit[[2]Status{from, to}]; e != "" {
				want = e
			}
			if got := strings.Join(names, " "); got != want {
				t.Errorf("%s → %s: transitions %q, want %q", from, to, got, want)
			}
			for _, tr := range Route(from, to) {
				if tr.Explicit {
					t.Errorf("Route(%s, %s) goes through %s", from, to, tr.Name)
				}
			}
		}
	}
	for _, s := range Statuses {
		want := s == StatusCompleted || s == StatusFailed || s == StatusExpired || s == StatusCancelled
		if Terminal(s) != want {
			t.Errorf("Terminal(%s) = %v", s, Terminal(s))
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, region, want string }{
		{"+2250707987654", "", "+2250707987654"},
		{"+22507987654", "", "+2250707987654"}, // Orange, pre-2021 plan
		{"+22505123456", "", "+2250505123456"}, // MTN
		{"+22501123456", "", "+2250101123456"}, // Moov
		{"+221771234567", "", "+221771234567"},
		{"+33612345678", "", "+33612345678"},
		{"0707987654", "", ""}, // the API takes E.164 only
		{"+225 07 07 98 76 54", "", ""},
		{"+225", "", ""},
		{"+2250707abc654", "", ""},
		{"+22520123456", "", ""}, // an old Ivorian fixed line is not rewritten, and is invalid
		{"+99912345678", "", ""},

		// As a customer types it, in the session's region.
		{"+225 07 07 00 00 01", "CI", "+2250707000001"},
		{"0707000001", "CI", "+2250707000001"},
		{"07 07 00 00 01", "CI", "+2250707000001"},
		{"07.07.00.00.01", "CI", "+2250707000001"},
		{"07-07-00-00-01", "CI", "+2250707000001"},
		{"(+225) 07 07 00 00 01", "CI", "+2250707000001"},
		{"+225\u00a007\u00a007\u00a000\u00a000\u00a001", "CI", "+2250707000001"}, // pasted with no-break spaces
		{"07 98 76 54", "CI", "+2250707987654"},                                  // pre-2021, local
		{"+225 07 98 76 54", "ci", "+2250707987654"},                             // pre-2021, international
		{"00225 07 07 98 76 54", "CI", "+2250707987654"},
		{"77 123 45 67", "SN", "+221771234567"},
		{"+221 77 123 45 67", "CI", "+221771234567"}, // international beats the region
		{"6 71 23 45 67", "CM", "+237671234567"},
		{"+225 07 07 00 00 01", UnknownRegion, "+2250707000001"},
		{"0707000001", UnknownRegion, ""}, // a local number needs a region
		{"07 07 00 00 0x", "CI", ""},
		{"0707000001 ext 3", "CI", ""},
		{"", "CI", ""},
		{"+", "CI", ""},
		{"--", "CI", ""},
		{"07 07 00", "CI", ""},
		{strings.Repeat("0", 41), "CI", ""},
	}
	for _, c := range cases {
		got, ok := NormalizePhone(c.in, c.region)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q", c.in, c.region, got, ok, c.want)
		}
	}
}

func TestRegion(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		phone, currency, want string
	}{
		{"", "XOF", "CI"},
		{"", "XAF", "CM"},
		{"", "GNF", "GN"},
		{"", "EUR", ""},
		{"+221771234567", "XOF", "SN"}, // the session's own number first
		{"+237671234567", "XOF", "CM"},
		{"+2250707000001", "EUR", "CI"},
	} {
		if got := Region(Session{UserPhone: c.phone, Currency: c.currency}); got != c.want {
			t.Errorf("Region(phone %q, currency %s) = %q, want %q", c.phone, c.currency, got, c.want)
		}
	}
}
