package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caisse/caisse/client"
)

// triggerPlan is how caisse trigger makes an event happen to a new session:
// the test helper outcome or mobile-money call that writes it.
type triggerPlan struct {
	event string
	drive func(ctx context.Context, c *client.Client, id string) error
}

// outcome drives a session through a test helper.
func outcome(name string) func(context.Context, *client.Client, string) error {
	return func(ctx context.Context, c *client.Client, id string) error {
		_, err := c.ForceOutcome(ctx, id, name)
		return err
	}
}

// triggers lists every event caisse trigger makes happen. The only event
// type missing, checkout.session.late_success, needs a live operator's late
// answer: test mode cannot write it.
var triggers = []triggerPlan{
	{"checkout.session.completed", outcome(client.OutcomeComplete)},
	{"checkout.session.async_payment_succeeded", outcome(client.OutcomeComplete)},
	{"checkout.session.pending", outcome(client.OutcomeComplete)},
	{"checkout.session.processing", outcome(client.OutcomeComplete)},
	{"checkout.session.async_payment_failed", outcome(client.OutcomeFail)},
	{"checkout.session.expired", outcome(client.OutcomeExpire)},
	{"checkout.session.cancelled", func(ctx context.Context, c *client.Client, id string) error {
		_, err := c.Cancel(ctx, id, client.CancelParams{})
		return err
	}},
}

// triggerCmd creates a test session and drives it so that the event named
// happens (with the events on the way), then prints the session's id and
// its events' ids.
func triggerCmd(ctx context.Context, args []string, env Env) error {
	fs := flags("trigger", env)
	var api apiFlags
	api.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var names []string
	for _, t := range triggers {
		names = append(names, t.event)
	}
	if fs.NArg() == 0 {
		return usageError{"trigger needs an event type: " + strings.Join(names, ", ")}
	}
	event := fs.Arg(0)
	if err := parseNoArgs(fs, fs.Args()[1:]); err != nil { // flags may follow the event
		return err
	}
	i := slices.IndexFunc(triggers, func(t triggerPlan) bool { return t.event == event })
	if i < 0 {
		return usageError{fmt.Sprintf("caisse trigger cannot make %q happen; it makes %s", event, strings.Join(names, ", "))}
	}
	c, err := api.client(env)
	if err != nil {
		return err
	}
	start := time.Now().Add(-time.Second)
	s, err := c.Create(ctx, client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250700000001",
		Description: "caisse trigger " + event})
	if err != nil {
		return api.remoteError(err)
	}
	if err := triggers[i].drive(ctx, c, s.ID); err != nil {
		return fmt.Errorf("session %s: %w", s.ID, api.remoteError(err))
	}
	fmt.Fprintf(env.Stdout, "session %s\n", s.ID)
	events, err := c.ListEvents(ctx, client.EventListParams{CreatedGTE: start.Unix(), Limit: 100})
	if err != nil {
		return api.remoteError(err)
	}
	for _, e := range slices.Backward(events.Data) {
		var object struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(e.Data.Object, &object) == nil && object.ID == s.ID {
			fmt.Fprintf(env.Stdout, "event   %s  %s\n", e.ID, e.Type)
		}
	}
	return nil
}
