package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/caisse/caisse/client"
)

// parseWithID parses a command's flags around one positional id (caisse
// sessions get ID --json and --json ID both work).
func parseWithID(fs *flag.FlagSet, args []string) (string, error) {
	if err := parseFlags(fs, args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		return "", usageError{fs.Name() + ": an id is required"}
	}
	id := fs.Arg(0)
	if err := parseFlags(fs, fs.Args()[1:]); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return id, nil
}

// parseNoArgs parses a command's flags and refuses positional arguments.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// remote runs a command that asks a running server one question: it parses
// the flags (the API's, --json, and those more adds; an id first when withID),
// calls ask with a client, and prints its answer as JSON or with table.
func remote[T any](ctx context.Context, name string, args []string, env Env, withID bool, more func(*flag.FlagSet),
	ask func(ctx context.Context, c *client.Client, id string) (T, error), table func(io.Writer, T) error) error {
	fs := flags(name, env)
	var api apiFlags
	api.register(fs)
	asJSON := fs.Bool("json", false, "print the server's JSON answer instead of a table")
	if more != nil {
		more(fs)
	}
	var id string
	var err error
	if withID {
		id, err = parseWithID(fs, args)
	} else {
		err = parseNoArgs(fs, args)
	}
	if err != nil {
		return err
	}
	c, err := api.client(env)
	if err != nil {
		return err
	}
	v, err := ask(ctx, c, id)
	if err != nil {
		return api.remoteError(err)
	}
	if *asJSON {
		return printJSON(env.Stdout, v)
	}
	return table(env.Stdout, v)
}

// sessionsList prints a page of the key's sessions, newest first
// (GET /v1/checkout/search, which takes every filter of GET /v1/checkouts and more).
func sessionsList(ctx context.Context, args []string, env Env) error {
	var p client.SearchParams
	return remote(ctx, "sessions list", args, env, false, func(fs *flag.FlagSet) {
		fs.StringVar(&p.Status, "status", "", "only sessions in this status (created, pending, processing, completed, failed, expired, cancelled)")
		fs.StringVar(&p.Reference, "reference", "", "only sessions with this payment_id")
		fs.StringVar(&p.UserPhone, "user-phone", "", "only sessions of this phone number (E.164)")
		fs.StringVar(&p.CustomerID, "customer-id", "", "only sessions with this customer_id")
		fs.StringVar(&p.StartDate, "start-date", "", "only sessions created at or after this date (2024-01-31) or RFC 3339 time")
		fs.StringVar(&p.EndDate, "end-date", "", "only sessions created at or before this date or RFC 3339 time")
		fs.IntVar(&p.Limit, "limit", 20, "sessions per page, 1 to 100")
		fs.Int64Var(&p.Offset, "offset", 0, "matching sessions to skip")
	}, func(ctx context.Context, c *client.Client, _ string) (*client.Page, error) {
		return c.Search(ctx, p)
	}, func(w io.Writer, page *client.Page) error {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tAMOUNT\tCURRENCY\tPHONE\tPAYMENT ID\tCREATED")
		for _, s := range page.Sessions {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Status, s.Amount, s.Currency, s.UserPhone, s.PaymentID,
				s.CreatedAt.UTC().Format(time.RFC3339))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		total := strconv.FormatInt(page.TotalCount, 10)
		if !page.TotalCountExact {
			total = "more than " + total
		}
		fmt.Fprintf(w, "%d shown of %s", len(page.Sessions), total)
		if page.HasMore {
			fmt.Fprintf(w, "; next page: --offset %d", *page.NextOffset)
		}
		_, err := fmt.Fprintln(w)
		return err
	})
}

// sessionsGet prints one session.
func sessionsGet(ctx context.Context, args []string, env Env) error {
	get := func(ctx context.Context, c *client.Client, id string) (*client.Session, error) { return c.Get(ctx, id) }
	return remote(ctx, "sessions get", args, env, true, nil, get, func(w io.Writer, s *client.Session) error {
		completed, reason := "", ""
		if s.CompletedAt != nil {
			completed = s.CompletedAt.UTC().Format(time.RFC3339)
		}
		if s.FailureReason != nil {
			reason = *s.FailureReason
		}
		return printFields(w, [][2]string{
			{"ID", s.ID}, {"STATUS", s.Status}, {"AMOUNT", strconv.FormatInt(s.Amount, 10)}, {"CURRENCY", s.Currency},
			{"FEE", strconv.FormatInt(s.TransactionFee, 10)}, {"PHONE", s.UserPhone}, {"PAYMENT ID", s.PaymentID},
			{"DESCRIPTION", s.Description}, {"CREATED", s.CreatedAt.UTC().Format(time.RFC3339)},
			{"EXPIRES", s.ExpiresAt.UTC().Format(time.RFC3339)}, {"COMPLETED", completed}, {"FAILURE REASON", reason},
			{"CHANNEL", s.Channel}, {"OPERATOR REFERENCE", s.OperatorReference}, {"URL", s.URL}, {"REDIRECT URL", s.RedirectURL},
		})
	})
}

// printFields prints one object as a two-column table, leaving out empty values.
func printFields(w io.Writer, fields [][2]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range fields {
		if f[1] != "" {
			fmt.Fprintf(tw, "%s\t%s\n", f[0], f[1])
		}
	}
	return tw.Flush()
}

// eventSession is what the tables show of an event's session.
type eventSession struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// sessionOf reads the id and status of an event's session; an object it
// cannot read shows as blanks.
func sessionOf(e client.Event) eventSession {
	var s eventSession
	json.Unmarshal(e.Data.Object, &s) //nolint:errcheck // blanks are the answer to a shape not understood
	return s
}

// eventsList prints a page of the key's events, newest first.
func eventsList(ctx context.Context, args []string, env Env) error {
	var p client.EventListParams
	return remote(ctx, "events list", args, env, false, func(fs *flag.FlagSet) {
		fs.StringVar(&p.Type, "type", "", "only events of this type, or a pattern such as checkout.session.*")
		fs.IntVar(&p.Limit, "limit", 20, "events per page, 1 to 100")
		fs.StringVar(&p.StartingAfter, "starting-after", "", "the page after this event id")
		fs.StringVar(&p.EndingBefore, "ending-before", "", "the page before this event id")
	}, func(ctx context.Context, c *client.Client, _ string) (*client.EventList, error) {
		return c.ListEvents(ctx, p)
	}, func(w io.Writer, list *client.EventList) error {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTYPE\tCREATED\tSESSION\tSESSION STATUS")
		for _, e := range list.Data {
			s := sessionOf(e)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.ID, e.Type, time.Unix(e.Created, 0).UTC().Format(time.RFC3339), s.ID, s.Status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if list.HasMore && len(list.Data) > 0 {
			fmt.Fprintf(w, "more: --starting-after %s\n", list.Data[len(list.Data)-1].ID)
		}
		return nil
	})
}

// eventsGet prints one event.
func eventsGet(ctx context.Context, args []string, env Env) error {
	get := func(ctx context.Context, c *client.Client, id string) (*client.Event, error) {
		return c.GetEvent(ctx, id)
	}
	return remote(ctx, "events get", args, env, true, nil, get, func(w io.Writer, e *client.Event) error {
		s := sessionOf(*e)
		return printFields(w, [][2]string{
			{"ID", e.ID}, {"TYPE", e.Type}, {"CREATED", time.Unix(e.Created, 0).UTC().Format(time.RFC3339)},
			{"LIVEMODE", strconv.FormatBool(e.Livemode)}, {"API VERSION", e.APIVersion},
			{"SESSION", s.ID}, {"SESSION STATUS", s.Status},
		})
	})
}
