package checkout

import (
	"testing"
	"time"
)

// TestPollWaits checks the wait between status queries of a live payment: as
// long as the payment has lasted, within [MinPoll, MaxPoll], cut short by a
// pending session's deadline.
func TestPollWaits(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := &Service{Now: func() time.Time { return now }}
	cases := []struct {
		name    string
		lasted  time.Duration
		status  Status
		expires time.Duration // from now
		want    time.Duration
	}{
		{"just started", 100 * time.Millisecond, StatusPending, time.Hour, MinPoll},
		{"doubles", 3 * time.Second, StatusPending, time.Hour, 3 * time.Second},
		{"capped", 2 * time.Hour, StatusProcessing, time.Hour, MaxPoll},
		{"cut by the deadline", time.Minute, StatusPending, 10 * time.Second, 10 * time.Second},
		{"past the deadline", time.Minute, StatusPending, -time.Second, time.Minute},
		{"processing ignores the deadline", time.Minute, StatusProcessing, 10 * time.Second, time.Minute},
	}
	for _, c := range cases {
		got := s.poll(now.Add(-c.lasted), Session{Status: c.status, ExpiresAt: now.Add(c.expires)})
		if got != c.want {
			t.Errorf("%s: poll = %s, want %s", c.name, got, c.want)
		}
	}
}
