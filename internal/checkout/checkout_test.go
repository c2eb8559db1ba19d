package checkout

import (
	"strings"
	"testing"
)

// TestStatusMachine checks the table of transitions: which moves it allows
// (the late success apart), and which statuses are terminal.
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
	cases := map[string]string{
		"+2250707987654": "+2250707987654",
		"+22507987654":   "+2250707987654", // Orange, pre-2021 plan
		"+22505123456":   "+2250505123456", // MTN
		"+22501123456":   "+2250101123456", // Moov
		"+221771234567":  "+221771234567",
		"+33612345678":   "+33612345678",
		"0707987654":     "",
		"+225":           "",
		"+2250707abc654": "",
		"+22520123456":   "", // an old Ivorian fixed line is not rewritten, and is invalid
		"+99912345678":   "",
	}
	for in, want := range cases {
		got, ok := NormalizePhone(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
