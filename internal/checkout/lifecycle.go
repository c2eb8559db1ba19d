package checkout

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/caisse/caisse/internal/connector"
	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store"
)

// Enqueuer inserts River jobs within a transaction (river.Client does).
type Enqueuer interface {
	InsertManyTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Notifier queues what new events cause (webhook deliveries) in the
// transaction that wrote them.
type Notifier interface {
	Notify(ctx context.Context, tx store.Tx, events []store.Event) error
}

// ExpireArgs is the job that expired a session at its deadline. caisse no
// longer queues it (the sweep does the work); its worker stays so that jobs
// an earlier version queued still run.
type ExpireArgs struct {
	MerchantID string `json:"merchant_id"`
	Livemode   bool   `json:"livemode"`
	SessionID  string `json:"session_id"`
}

// Kind names the job in River's tables.
func (ExpireArgs) Kind() string { return "expire_session" }

// TestOutcomeArgs is the job that plays the test connector's operator answer.
type TestOutcomeArgs struct {
	MerchantID string `json:"merchant_id"`
	SessionID  string `json:"session_id"`
}

// Kind names the job in River's tables.
func (TestOutcomeArgs) Kind() string { return "test_connector_outcome" }

// Failure reasons caisse itself sets.
const (
	ReasonOperatorRefused = "operator_refused" // the operator refused to start the payment
	ReasonTestFailure     = "generic_decline"
)

// ConfirmParams starts a payment.
type ConfirmParams struct {
	Channel   string
	UserPhone string // replaces the session's phone; required when the session has none
}

// change is how one walk sets the fields that go with a status.
type change struct {
	reason                  string // failure_reason, on a move to failed
	phone, channel, attempt string // on a move to pending
}

// plan decides, from the session as it is now, which transitions to take;
// none leaves the session as it is.
type plan func(cur Session) ([]Transition, error)

// toward plans the shortest route to a status, refused with a StateError
// (saying the session cannot be action) when the machine has none.
func toward(target Status, action string) plan {
	return func(cur Session) ([]Transition, error) {
		route := Route(cur.Status, target)
		if route == nil {
			return nil, &StateError{ID: cur.ID, Status: cur.Status, Action: action}
		}
		return route, nil
	}
}

// take plans one transition when the session is in a status it leaves, and
// nothing otherwise.
func take(t Transition) plan {
	return func(cur Session) ([]Transition, error) {
		if !t.Leaves(cur.Status) {
			return nil, nil
		}
		return []Transition{t}, nil
	}
}

// walk moves a session along a plan in one transaction that also writes each
// move's events, queues their webhooks and runs also (for jobs that go with
// the move). A concurrent move makes it start again from the new status.
func (s *Service) walk(ctx context.Context, scope store.Scope, id string, pl plan, ch change, also func(store.Tx, Session) error) (Session, error) {
	for {
		var out Session
		moved := false
		err := s.Store.InTx(ctx, func(tx store.Tx) error {
			cur, err := tx.SessionGet(ctx, scope, id)
			if err == nil && s.overdue(cur) { // a write first writes the expiry a read would show
				cur, err = s.moveTx(ctx, tx, cur, []Transition{Expire}, change{})
			}
			if err != nil {
				return err
			}
			out = cur
			route, err := pl(cur)
			if err != nil || len(route) == 0 {
				return err
			}
			if out, err = s.moveTx(ctx, tx, cur, route, ch); err != nil {
				return err
			}
			moved = true
			if also != nil {
				return also(tx, out)
			}
			return nil
		})
		switch {
		case errors.Is(err, store.ErrStale):
			continue
		case errors.Is(err, store.ErrNotFound):
			return out, ErrNotFound
		case err == nil && moved && s.Changed != nil:
			s.Changed(scope)
		}
		return out, err
	}
}

// moveTx takes each transition of route in turn, with its events.
func (s *Service) moveTx(ctx context.Context, tx store.Tx, cur Session, route []Transition, ch change) (Session, error) {
	now := s.now()
	var events []store.Event
	for _, t := range route {
		if !t.Leaves(cur.Status) {
			return cur, &StateError{ID: cur.ID, Status: cur.Status, Action: t.Name}
		}
		c := store.StatusChange{ID: cur.ID, From: cur.Status, To: t.To, At: now}
		switch t.To {
		case StatusPending:
			c.UserPhone, c.Channel, c.Attempt = ch.phone, ch.channel, ch.attempt
		case StatusFailed:
			c.FailureReason = ch.reason
		case StatusCompleted:
			c.CompletedAt = &now
			if cur.CustomerCreation == CustomerAlways && cur.CustomerID == "" {
				made, err := tx.CustomerCreate(ctx, Customer{ID: randid.New("cus_"), Scope: cur.Scope,
					Email: cur.CustomerEmail, Phone: cur.UserPhone, CreatedAt: now, UpdatedAt: now})
				if err != nil {
					return cur, err
				}
				c.CustomerID = made.ID
			}
		}
		next, err := tx.SessionChangeStatus(ctx, cur.Scope, c)
		if err != nil {
			return cur, err
		}
		cur = next
		for _, typ := range t.Events {
			e, err := tx.EventCreate(ctx, store.Event{ID: randid.New("evt_"), Scope: cur.Scope, Type: typ, Session: cur, CreatedAt: now})
			if err != nil {
				return cur, err
			}
			events = append(events, e)
		}
	}
	return cur, s.Notifier.Notify(ctx, tx, events)
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// insert queues jobs in tx.
func (s *Service) insert(ctx context.Context, tx store.Tx, jobs ...river.InsertManyParams) error {
	sqlTx, err := tx.SQL(ctx)
	if err != nil {
		return err
	}
	_, err = s.Jobs.InsertManyTx(ctx, sqlTx, jobs)
	return err
}

// Expire ends a session before payment starts, as if its deadline had passed.
func (s *Service) Expire(ctx context.Context, p merchant.Principal, id string) (Session, error) {
	return s.act(ctx, p, id, toward(StatusExpired, "expired"), change{})
}

// Cancel moves a created or pending session to cancelled.
func (s *Service) Cancel(ctx context.Context, p merchant.Principal, id string) (Session, error) {
	return s.act(ctx, p, id, toward(StatusCancelled, "cancelled"), change{})
}

// act runs a merchant's or customer's action on a session; walk expires it
// first if its deadline has passed, so the action sees the status a read would.
func (s *Service) act(ctx context.Context, p merchant.Principal, id string, pl plan, ch change) (Session, error) {
	if !Storable(id) {
		return Session{}, ErrNotFound // no stored id is like that, and PostgreSQL would refuse the query
	}
	return s.walk(ctx, p.Scope(), id, pl, ch, nil)
}

// Outcomes the test helpers force.
const (
	OutcomeComplete = "complete"
	OutcomeFail     = "fail"
	OutcomeExpire   = "expire"
)

// ErrLiveMode means a test-only action was asked of a live-mode session.
var ErrLiveMode = errors.New("checkout: test helpers work on test-mode sessions only")

// ForceOutcome is the test helpers: it walks a test-mode session from any
// open status to completed, failed (with reason) or expired, writing every
// intermediate move's events.
func (s *Service) ForceOutcome(ctx context.Context, p merchant.Principal, id, outcome, reason string) (Session, error) {
	if p.Livemode {
		return Session{}, ErrLiveMode
	}
	target := map[string]Status{OutcomeComplete: StatusCompleted, OutcomeFail: StatusFailed, OutcomeExpire: StatusExpired}[outcome]
	action := map[string]string{OutcomeComplete: "completed", OutcomeFail: "failed", OutcomeExpire: "expired"}[outcome]
	if target == "" {
		return Session{}, Invalid("outcome", "must be complete, fail or expire")
	}
	if reason == "" {
		reason = ReasonTestFailure
	}
	if err := validateText("failure_reason", reason, MaxReference); err != nil {
		return Session{}, err
	}
	return s.act(ctx, p, id, toward(target, action), change{reason: reason})
}

// Confirm starts paying a session with mobile money: it moves the session to
// pending, as a new payment attempt, and asks the channel's connector to
// collect it. A failed session may be confirmed again before its deadline,
// with another number or channel (Retry). With the built-in test connector
// the test outcome is queued; otherwise a PaymentArgs job, committed with the
// move, carries the payment to the operator and on to its definitive answer
// (see Drive), so that neither a crash nor an operator that does not answer
// loses track of it. Confirm answers with the session as it then is: pending.
func (s *Service) Confirm(ctx context.Context, p merchant.Principal, id string, in ConfirmParams) (Session, error) {
	if !slices.Contains(connector.Channels, in.Channel) {
		return Session{}, Invalid("channel", "must be one of %v", connector.Channels)
	}
	if in.UserPhone != "" {
		phone, ok := NormalizePhone(in.UserPhone, "")
		if !ok {
			return Session{}, Invalid("user_phone", "must be a valid phone number in E.164 form, such as +2250707000001")
		}
		in.UserPhone = phone
	}
	conn, err := s.connectorFor(ctx, p.Scope(), in.Channel)
	if err != nil {
		return Session{}, err
	}
	_, builtin := conn.(connector.Test)
	cur, err := s.Get(ctx, p, id)
	if err != nil {
		return cur, err
	}
	if in.UserPhone == "" && cur.UserPhone == "" {
		return cur, Invalid("user_phone", "is required: the session has no phone number")
	}
	ch := change{phone: in.UserPhone, channel: in.Channel, attempt: uuid.NewString()}
	out, err := s.walk(ctx, p.Scope(), id, s.confirming, ch, func(tx store.Tx, out Session) error {
		if !builtin {
			return s.insert(ctx, tx, river.InsertManyParams{Args: PaymentArgs{MerchantID: p.Merchant.ID, SessionID: id, Test: !p.Livemode}})
		}
		return s.insert(ctx, tx, river.InsertManyParams{
			Args:       TestOutcomeArgs{MerchantID: p.Merchant.ID, SessionID: id},
			InsertOpts: &river.InsertOpts{ScheduledAt: s.now().Add(s.TestDelay)},
		})
	})
	if err != nil || !builtin {
		return out, err
	}
	started, err := conn.Initiate(ctx, s.paymentOf(out, conn))
	if err == nil {
		err = s.learnStart(ctx, out, started)
		out.ConnectorRef = started.Ref
	}
	return out, err
}

// confirming plans Confirm's move to pending: from created, or, as a retry,
// from failed while the session's deadline has not passed.
func (s *Service) confirming(cur Session) ([]Transition, error) {
	if Retry.Leaves(cur.Status) && cur.ExpiresAt.After(s.now()) {
		return []Transition{Retry}, nil
	}
	return toward(StatusPending, "confirmed")(cur)
}

// ErrNoConnector means the session's mode has no connector for the channel.
var ErrNoConnector = errors.New("checkout: no operator connector is configured for this channel")

// connectorFor is the connector of the scope's channel, or ErrNoConnector.
func (s *Service) connectorFor(ctx context.Context, scope store.Scope, channel string) (connector.Connector, error) {
	c, err := s.Connectors.For(ctx, scope, channel)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s in %s mode", ErrNoConnector, channel, mode(scope.Livemode))
	}
	return c, err
}

func mode(live bool) string {
	if live {
		return "live"
	}
	return "test"
}

// Channels lists the channels the principal's sessions can be paid with.
func (s *Service) Channels(ctx context.Context, p merchant.Principal) ([]string, error) {
	return s.Connectors.Channels(ctx, p.Scope())
}

// Flow is how a session's payment reaches the customer: connector.FlowPush
// or connector.FlowRedirect, by its channel's connector.
func (s *Service) Flow(ctx context.Context, cur Session) (string, error) {
	c, err := s.connectorFor(ctx, cur.Scope, cur.Channel)
	if err != nil {
		return "", err
	}
	return c.Flow(), nil
}

// paymentOf is what connector c is asked to collect for a session's current
// attempt. Sessions confirmed before attempts existed use their id.
func (s *Service) paymentOf(cur Session, c connector.Connector) connector.Payment {
	attempt := cur.Attempt
	if attempt == "" {
		attempt = cur.ID
	}
	lang := "fr"
	if strings.HasPrefix(cur.Locale, "en") {
		lang = "en"
	}
	base := strings.TrimRight(s.PublicURL, "/")
	return connector.Payment{SessionID: cur.ID, Attempt: attempt, Livemode: cur.Livemode, Amount: cur.Amount,
		Currency: cur.Currency, Phone: cur.UserPhone, Channel: cur.Channel, Description: cur.Description, Lang: lang,
		CallbackURL: base + "/v1/connectors/" + url.PathEscape(c.Name()) + "/callback",
		ReturnURL:   base + "/pay/" + url.PathEscape(cur.ID) + "/return"}
}

// settle applies what an operator reports about a session's payment. A report
// the session already reflects (a repeated callback, a late "processing")
// changes nothing. A success always wins: a session that had failed, expired
// or been cancelled meanwhile is completed, with EventLateSuccess, since the
// customer paid. A failure reported for a session that ended otherwise
// changes nothing, except a completed one, which is a StateError.
func (s *Service) settle(ctx context.Context, scope store.Scope, id string, res connector.Result) (Session, error) {
	target := map[string]Status{connector.StatusProcessing: StatusProcessing,
		connector.StatusSucceeded: StatusCompleted, connector.StatusFailed: StatusFailed}[res.Status]
	if target == "" {
		return Session{}, nil // pending: nothing has happened yet
	}
	reason := res.FailureReason
	if target == StatusFailed && reason == "" {
		reason = ReasonTestFailure
	}
	return s.walk(ctx, scope, id, func(cur Session) ([]Transition, error) {
		switch {
		case cur.Status == target:
			return nil, nil
		case target == StatusCompleted && PayLate.Leaves(cur.Status):
			return []Transition{PayLate}, nil
		case target == StatusProcessing && Terminal(cur.Status):
			return nil, nil // a late "processing": the session moved on
		case target == StatusFailed && PayLate.Leaves(cur.Status):
			return nil, nil // it already ended unpaid
		}
		return toward(target, res.Status)(cur)
	}, change{reason: reason}, nil)
}

// PlayTestOutcome is the test connector's operator answering a pending
// session, as the phone number's scenario says (a TestOutcomeArgs job).
func (s *Service) PlayTestOutcome(ctx context.Context, args TestOutcomeArgs) error {
	scope := store.Scope{MerchantID: args.MerchantID}
	cur, err := s.Store.SessionGet(ctx, scope, args.SessionID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && cur.Status != StatusPending) {
		return nil // gone, or moved on (expired, cancelled, forced) before the answer
	}
	if err != nil {
		return err
	}
	sc := connector.TestScenario(cur.UserPhone)
	for _, st := range sc.Statuses {
		if _, err := s.settle(ctx, scope, cur.ID, connector.Result{SessionID: cur.ID, Status: st, FailureReason: sc.FailureReason}); err != nil {
			var se *StateError
			if errors.As(err, &se) {
				return nil // the session moved on meanwhile
			}
			return err
		}
	}
	return nil
}

// ErrUnknownConnector means a callback names no configured connector.
var ErrUnknownConnector = errors.New("checkout: no such connector")

// ErrOperatorUnavailable means the operator could not be asked to confirm
// an unauthenticated callback; the payment job will ask again.
var ErrOperatorUnavailable = errors.New("checkout: the operator did not answer a status query")

// ErrEarlierAttempt means an operator reports a success for a payment
// attempt the session has since replaced (a retry after a failure the
// operator reported): the session is left as it is, and the conflict is
// logged as an error for a person to resolve.
var ErrEarlierAttempt = errors.New("checkout: the operator reports a success for an earlier payment attempt of this session")

// ErrUnconfirmed means an operator's unauthenticated callback (a Claim) said
// something its status query did not confirm; the session follows the query.
var ErrUnconfirmed = errors.New("checkout: the operator's status query does not confirm the callback")

// Callback takes an operator's notification for the connector named id and
// applies it. verify authenticates and reads it: a forged one is
// connector.ErrSignature and changes nothing. The notification must be about
// a session that connector pays, and its current attempt (ref and check);
// otherwise it is ErrNotFound or connector.ErrSignature. A Claim (an
// unauthenticated callback) is not believed: the operator's status query is
// applied instead, and a claim it contradicts is ErrUnconfirmed.
func (s *Service) Callback(ctx context.Context, id string, verify func(connector.Connector) (connector.Result, error)) (Session, error) {
	conn, err := s.Connectors.ByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrUnknownConnector
	}
	if err != nil {
		return Session{}, err
	}
	res, err := verify(conn)
	if err != nil {
		return Session{}, err
	}
	if !Storable(res.SessionID) { // Orange's comes from the query string, which may hold anything
		return Session{}, fmt.Errorf("%w: %q", ErrNotFound, res.SessionID)
	}
	cur, err := s.Store.SessionLookup(ctx, res.SessionID)
	if err == nil {
		err = s.owns(ctx, conn, cur, res)
	}
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, fmt.Errorf("%w: %s", ErrNotFound, res.SessionID)
	}
	if err != nil {
		return cur, err
	}
	var claimed string
	if res.Claim {
		claimed = res.Status
		if res, err = conn.Status(ctx, s.paymentOf(cur, conn), cur.ConnectorRef); err != nil {
			return cur, fmt.Errorf("%w: confirming an operator's callback: %w", ErrOperatorUnavailable, err)
		}
		res.SessionID = cur.ID
	}
	if err := s.learnStart(ctx, cur, connector.Started{Ref: res.Ref}); err != nil {
		return cur, err
	}
	out, err := s.settle(ctx, cur.Scope, cur.ID, res)
	if out.ID == "" {
		out = cur // the answer changed nothing (still pending)
	}
	if err == nil && claimed != "" && claimed != res.Status {
		s.Log.Warn("operator callback not confirmed by its status query", "session", cur.ID, "claimed", claimed, "status", res.Status)
		return out, ErrUnconfirmed
	}
	return out, err
}

// owns checks that a notification verified by conn is about cur's current
// attempt with conn: store.ErrNotFound when cur is paid through another
// connector or the notification names another payment, connector.ErrSignature
// when it lacks the attempt's check.
func (s *Service) owns(ctx context.Context, conn connector.Connector, cur Session, res connector.Result) error {
	if cur.Attempt == "" && cur.Status == StatusCreated {
		return store.ErrNotFound // never sent to an operator
	}
	payer, err := s.Connectors.For(ctx, cur.Scope, cur.Channel)
	switch {
	case err != nil:
		return err
	case payer.Name() != conn.Name():
		return store.ErrNotFound
	case cur.ConnectorRef != "" && res.Ref != "" && res.Ref != cur.ConnectorRef && res.Status == connector.StatusSucceeded:
		s.Log.Error("an operator reports a success for an earlier payment attempt of a session that was retried: "+
			"the customer may have paid twice; reconcile with the operator and refund one",
			"session", cur.ID, "reported_ref", res.Ref, "current_ref", cur.ConnectorRef, "status", cur.Status)
		return ErrEarlierAttempt
	case cur.ConnectorRef != "" && res.Ref != "" && res.Ref != cur.ConnectorRef:
		return store.ErrNotFound // an earlier attempt's payment
	case (res.Check != "" || cur.ConnectorCheck != "") && subtle.ConstantTimeCompare([]byte(checkHash(res.Check)), []byte(cur.ConnectorCheck)) != 1:
		// A notification authenticated by a check proves nothing before
		// caisse has learnt the payment's check (its start answer is late or lost).
		return fmt.Errorf("%w: the notification's token is not the payment's", connector.ErrSignature)
	}
	return nil
}

// checkHash is how a payment's Started.Check is kept: hex SHA-256.
func checkHash(check string) string {
	if check == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(check))
	return hex.EncodeToString(sum[:])
}

// learnStart records an operator's answer to the current attempt's start
// request (or the payment id a status answer gave when that answer was lost).
func (s *Service) learnStart(ctx context.Context, cur Session, st connector.Started) error {
	if cur.ConnectorRef != "" || st.Ref == "" {
		return nil
	}
	return s.Store.SessionSetStart(ctx, cur.Scope, cur.ID, store.PaymentStart{Attempt: cur.Attempt, Ref: st.Ref, URL: st.RedirectURL, Check: checkHash(st.Check)})
}

// ExpireDue expires a session whose deadline has passed while it is still
// created, or pending in test mode; anything else is left alone, so running it
// twice, or on two nodes at once, expires the session once. A live pending
// payment is left to its PaymentArgs job, which asks the operator first.
func (s *Service) ExpireDue(ctx context.Context, scope store.Scope, id string) (Session, error) {
	cur, err := s.Store.SessionGet(ctx, scope, id)
	if err != nil || !s.overdue(cur) {
		return cur, err
	}
	return s.walk(ctx, scope, id, nothing, change{}, nil) // walk expires an overdue session before planning
}

// nothing plans no transition.
func nothing(Session) ([]Transition, error) { return nil, nil }

// overdue reports whether a session should be expired now without asking an
// operator: it is created, or pending in test mode, and past its deadline.
func (s *Service) overdue(cur Session) bool {
	open := cur.Status == StatusCreated || (cur.Status == StatusPending && !cur.Livemode)
	return open && !cur.ExpiresAt.After(s.now())
}

// Sweep expires every overdue session, a batch (up to SweepBatch) per
// transaction, so that a batch costs one commit, and reports how many it
// looked at. Each node runs it several times a second; when nothing is due
// it only reads (no write transaction, which on SQLite would take the one
// writer's lock four times a second).
func (s *Service) Sweep(ctx context.Context, scope *store.Scope) (int, error) {
	total := 0
	for {
		if due, err := s.Store.SessionsDue(ctx, scope, s.now(), 1); err != nil || len(due) == 0 {
			return total, err
		}
		n, more, err := s.sweepBatch(ctx, scope)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// sweepBatch expires the sessions of one batch in one transaction, each in a
// savepoint of it through ExpireDue (walk's compare-and-set on its status),
// so that a session another node or request moved meanwhile is left as it
// is. On PostgreSQL the batch is read FOR UPDATE SKIP LOCKED: sweepers of
// several nodes take disjoint batches instead of waiting on each other's
// rows. It stops after SweepTxTime, so that a request waiting on one of the
// batch's sessions waits no longer, leaving the rest to the next batch; more
// says whether there may be one (a full batch, or one cut short).
func (s *Service) sweepBatch(ctx context.Context, scope *store.Scope) (n int, more bool, err error) {
	var failed error
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		ctx := store.WithTx(ctx, tx)
		due, err := s.Store.SessionsDue(ctx, scope, s.now(), SweepBatch)
		if err != nil {
			return err
		}
		n = len(due)
		stop, expired := time.Now().Add(SweepTxTime), 0
		for _, d := range due {
			if time.Now().After(stop) {
				more = true
				break
			}
			out, err := s.ExpireDue(ctx, d.Scope, d.ID)
			var se *StateError
			if err != nil && !errors.As(err, &se) {
				failed = err // its savepoint is rolled back; the sessions expired before it commit
				break
			}
			if err == nil && out.Status == StatusExpired {
				expired++
			}
		}
		more = more || (n == SweepBatch && expired > 0) // a batch that expired nothing is not run again at once
		return nil
	})
	return n, more, cmp.Or(err, failed)
}

// SweepBatch bounds the sessions one transaction of Sweep expires, and
// SweepTxTime the time it spends expiring them.
const (
	SweepBatch  = 200
	SweepTxTime = 500 * time.Millisecond
)

// Lookup finds a session by id alone, for the customer holding its hosted
// page link, and returns the principal that acts for the customer on it: the
// session's merchant in the session's mode. Like Get, it expires an overdue
// session first.
func (s *Service) Lookup(ctx context.Context, id string) (Session, merchant.Principal, error) {
	if !Storable(id) {
		return Session{}, merchant.Principal{}, ErrNotFound
	}
	cur, err := s.Store.SessionLookup(ctx, id)
	if cur, err = s.current(cur, err); err != nil {
		return cur, merchant.Principal{}, err
	}
	m, err := s.Store.MerchantGet(ctx, cur.MerchantID)
	return cur, merchant.Principal{Merchant: m, Livemode: cur.Livemode}, err
}
