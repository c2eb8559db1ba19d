package checkout

import "testing"

func TestStatusMachine(t *testing.T) {
	t.Parallel()
	allowed := map[[2]string]bool{
		{StatusCreated, StatusPending}: true, {StatusCreated, StatusExpired}: true, {StatusCreated, StatusCancelled}: true,
		{StatusPending, StatusProcessing}: true, {StatusPending, StatusFailed}: true,
		{StatusPending, StatusExpired}: true, {StatusPending, StatusCancelled}: true,
		{StatusProcessing, StatusCompleted}: true, {StatusProcessing, StatusFailed}: true,
	}
	for _, from := range Statuses {
		for _, to := range Statuses {
			if got := CanMove(from, to); got != allowed[[2]string{from, to}] {
				t.Errorf("CanMove(%s, %s) = %v", from, to, got)
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
