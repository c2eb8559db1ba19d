package connector_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"

	"github.com/caisse/caisse/internal/connector"
)

func TestTestScenario(t *testing.T) {
	t.Parallel()
	cases := []struct {
		phone, name, reason string
		statuses            []string
	}{
		{"+2250707000001", "approve", "", []string{connector.StatusProcessing, connector.StatusSucceeded}},
		{"+2250707000002", "decline", "insufficient_funds", []string{connector.StatusFailed}},
		{"+2250707000003", "reject", "customer_rejected", []string{connector.StatusFailed}},
		{"+2250707000004", "no_answer", "", nil},
		{"+2250707000005", "stuck", "", []string{connector.StatusProcessing}},
		{"+221771230002", "decline", "insufficient_funds", []string{connector.StatusFailed}}, // any country
		{"+2250707000006", "approve", "", []string{connector.StatusProcessing, connector.StatusSucceeded}},
		{"+2250707001234", "approve", "", []string{connector.StatusProcessing, connector.StatusSucceeded}},
		{"+2250707020002", "decline", "insufficient_funds", []string{connector.StatusFailed}},
		{"002", "approve", "", []string{connector.StatusProcessing, connector.StatusSucceeded}},
		{"", "approve", "", []string{connector.StatusProcessing, connector.StatusSucceeded}},
		{"not a phone", "approve", "", []string{connector.StatusProcessing, connector.StatusSucceeded}},
	}
	for _, c := range cases {
		s := connector.TestScenario(c.phone)
		if s.Name != c.name || s.FailureReason != c.reason || !slices.Equal(s.Statuses, c.statuses) {
			t.Errorf("TestScenario(%q) = %s %v %q, want %s %v %q", c.phone, s.Name, s.Statuses, s.FailureReason, c.name, c.statuses, c.reason)
		}
	}
}

func TestTestScenarios(t *testing.T) {
	t.Parallel()
	var names, suffixes []string
	for _, s := range connector.TestScenarios {
		names, suffixes = append(names, s.Name), append(suffixes, s.Suffix)
		if got := connector.TestScenario("+22507070" + s.Suffix); got.Name != s.Name {
			t.Errorf("suffix %s selects %s, want %s", s.Suffix, got.Name, s.Name)
		}
		failed := len(s.Statuses) > 0 && s.Statuses[len(s.Statuses)-1] == connector.StatusFailed
		if failed != (s.FailureReason != "") {
			t.Errorf("%s: statuses %v with failure reason %q", s.Name, s.Statuses, s.FailureReason)
		}
	}
	if want := []string{"approve", "decline", "reject", "no_answer", "stuck"}; !slices.Equal(names, want) {
		t.Errorf("names = %v, want %v", names, want)
	}
	if want := []string{"0001", "0002", "0003", "0004", "0005"}; !slices.Equal(suffixes, want) {
		t.Errorf("suffixes = %v, want %v", suffixes, want)
	}

	// The caller owns what TestScenario returns.
	s := connector.TestScenario("+2250707000001")
	s.Statuses[0] = connector.StatusFailed
	if got := connector.TestScenarios[0].Statuses[0]; got != connector.StatusProcessing {
		t.Errorf("changing a returned scenario changed TestScenarios: %s", got)
	}
}

func TestTestConnector(t *testing.T) {
	t.Parallel()
	var c connector.Connector = connector.Test{}
	if c.Name() != "test" {
		t.Errorf("Name = %q, want test", c.Name())
	}
	p := connector.Payment{SessionID: "cs_1", Amount: 2500, Currency: "XOF", Phone: "+2250707000001", Channel: "wave"}
	ref1, err := c.Initiate(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	ref2, err := c.Initiate(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^tpay_[0-9a-f]{24}$`)
	if !re.MatchString(ref1) || !re.MatchString(ref2) || ref1 == ref2 {
		t.Errorf("refs %q and %q: want two different tpay_ + 24 hex", ref1, ref2)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Initiate(ctx, p); !errors.Is(err, context.Canceled) {
		t.Errorf("Initiate with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := c.Callback(httptest.NewRequest("POST", "/v1/connectors/test/callback", nil), []byte("{}")); !errors.Is(err, connector.ErrUnsupported) {
		t.Errorf("Callback: %v, want ErrUnsupported", err)
	}
	if _, err := c.Status(t.Context(), "cs_1", ref1); !errors.Is(err, connector.ErrUnsupported) {
		t.Errorf("Status: %v, want ErrUnsupported", err)
	}
}
