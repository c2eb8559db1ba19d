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
	if c.Name() != "test" || c.Flow() != connector.FlowPush {
		t.Errorf("Name, Flow = %q, %q; want test, push", c.Name(), c.Flow())
	}
	p := connector.Payment{SessionID: "cs_1", Attempt: "9b2f7c1e-4a3d-4e8b-9c0f-1d2e3f4a5b6c", Amount: 2500, Currency: "XOF",
		Phone: "+2250707000001", Channel: "wave"}
	s1, err := c.Initiate(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := c.Initiate(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	ref1, ref2 := s1.Ref, s2.Ref
	re := regexp.MustCompile(`^tpay_[0-9a-f]{24}$`)
	if !re.MatchString(ref1) || !re.MatchString(ref2) || ref1 == ref2 {
		t.Errorf("refs %q and %q: want two different tpay_ + 24 hex", ref1, ref2)
	}
	if s1 != (connector.Started{Ref: ref1}) || s2 != (connector.Started{Ref: ref2}) {
		t.Errorf("Initiate = %+v, %+v; want refs only (no redirect, no check)", s1, s2)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Initiate(ctx, p); !errors.Is(err, context.Canceled) {
		t.Errorf("Initiate with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := c.Callback(httptest.NewRequest("POST", "/v1/connectors/test/callback", nil), []byte("{}")); !errors.Is(err, connector.ErrUnsupported) {
		t.Errorf("Callback: %v, want ErrUnsupported", err)
	}
	for _, ref := range []string{ref1, ""} {
		if _, err := c.Status(t.Context(), p, ref); !errors.Is(err, connector.ErrUnsupported) {
			t.Errorf("Status(%q): %v, want ErrUnsupported", ref, err)
		}
	}
}
