package checkout

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/caisse/caisse/internal/connector"
	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/money"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store"
)

// Session is a checkout session as every dialect sees it before rendering.
type Session = store.Session

// Limits on a new session.
const (
	MinAmount        = 100
	MaxAmount        = 999_999_999_999 // keeps amount × fee basis points far from overflow
	MaxDescription   = 200
	MinExpiresIn     = 300
	MaxExpiresIn     = 86400
	DefaultExpiresIn = 1800
	MaxMetadataKeys  = 50
	MaxMetadataKey   = 40
	MaxMetadataValue = 500
	MaxReference     = 255
	MaxURL           = 2048
)

// PaymentMethodTypes are the payment methods caisse takes: a session that names
// others records them, but its hosted page offers these.
var PaymentMethodTypes = []string{"mobile_money"}

// ErrNotFound means no session with that id exists in the caller's scope.
var ErrNotFound = errors.New("checkout: no such session")

// Reason says why the domain refuses a value, in its own words; each dialect
// turns it into its own error code.
type Reason string

// The reasons.
const (
	ReasonInvalid  Reason = "invalid"   // not an acceptable value
	ReasonTooSmall Reason = "too_small" // an amount under the minimum
	ReasonTooLarge Reason = "too_large" // an amount (or a total) over the maximum
	ReasonEmail    Reason = "email"     // not an email address
	ReasonURL      Reason = "url"       // not an absolute http(s) URL
	ReasonUnknown  Reason = "unknown"   // names an object that does not exist: see Kind and ID
)

// Kinds of object an InvalidError with ReasonUnknown may name.
const (
	KindSession  = "session"
	KindPrice    = "price"
	KindProduct  = "product"
	KindCustomer = "customer"
	KindEndpoint = "webhook_endpoint"
	KindEvent    = "event"
)

// InvalidError is input the domain refuses: the field at fault, by the
// domain's name for it, why, and a message in the domain's words. With
// ReasonUnknown, Kind and ID say what was not found.
type InvalidError struct {
	Field    string
	Reason   Reason
	Message  string
	Kind, ID string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Message }

// Invalid is an InvalidError with ReasonInvalid.
func Invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: ReasonInvalid, Message: fmt.Sprintf(format, args...)}
}

// Unknown is an InvalidError for a field that names no object of its kind.
func Unknown(field, kind, id string) error {
	return &InvalidError{Field: field, Reason: ReasonUnknown, Kind: kind, ID: id,
		Message: fmt.Sprintf("there is no %s %q", kind, id)}
}

// StateError is an action the session's current status does not allow.
type StateError struct {
	ID     string
	Status Status
	Action string // what was asked, as messages say it: cancelled, expired, confirmed …
}

func (e *StateError) Error() string {
	return fmt.Sprintf("session %s is %s and cannot be %s", e.ID, e.Status, e.Action)
}

// Service is the checkout use-cases.
type Service struct {
	Store    store.Store
	Now      func() time.Time
	Jobs     Enqueuer // River, for jobs inserted with a state change
	Notifier Notifier // webhooks, queued with the events
	// Connectors finds the connector that pays a session (operator.Registry).
	Connectors Connectors
	// PublicURL is where customers and operators reach caisse
	// (CAISSE_PUBLIC_URL): operators' callbacks and return pages are under it.
	PublicURL string
	Log       *slog.Logger
	// Changed, when set, is told of a scope whose session moved (and wrote
	// events), once the move's transaction has committed (notify.Service.Wake).
	Changed func(store.Scope)
	// TestDelay is how long the test connector's operator takes to answer a
	// confirmation: connector.TestDelay under caisse serve, 0 (at once, on
	// the next poll for jobs) by default under caisse dev.
	TestDelay time.Duration
	// CountBound is how many matching sessions past the page Search counts
	// at most (DefaultCountBound when 0).
	CountBound int64
}

// DefaultCountBound is how many matching sessions past a page a search
// counts before it says only "more": as many as Elasticsearch counts by
// default (track_total_hits), about a millisecond of index walk.
const DefaultCountBound = 10_000

// Connectors finds the connector that pays a session. In test mode a
// channel with no connector of its own is paid by connector.Test.
type Connectors interface {
	// For is the connector of the scope's channel; store.ErrNotFound when
	// there is none.
	For(ctx context.Context, scope store.Scope, channel string) (connector.Connector, error)
	// ByID is the connector a callback URL names; store.ErrNotFound when
	// there is none.
	ByID(ctx context.Context, id string) (connector.Connector, error)
	// Channels lists the channels the scope can be paid with, in
	// connector.Channels order.
	Channels(ctx context.Context, scope store.Scope) ([]string, error)
}

// CreateParams is a new session as the caller asked for it.
type CreateParams struct {
	Amount      int64 // with Items, 0 or their total
	Currency    string
	UserPhone   string // optional here; the customer may give it on the hosted page
	Description string
	ExpiresIn   int64     // seconds; 0 means DefaultExpiresIn
	ExpiresAt   time.Time // instead of ExpiresIn when set
	PaymentID   string
	CustomerID  string
	// CheckCustomer makes CustomerID name one of the merchant's customers
	// (Stripe's customer), not a free reference (the mobile-money API's).
	CheckCustomer bool
	// CustomerCreation "always" makes a customer at completion when the
	// session names none (Stripe's customer_creation).
	CustomerCreation string
	Metadata         map[string]string

	Items              []ItemParams
	SuccessURL         string
	CancelURL          string
	CustomerEmail      string
	Locale             string
	PaymentMethodTypes []string
}

// Create validates p and stores a new session for the principal.
func (s *Service) Create(ctx context.Context, p merchant.Principal, in CreateParams) (Session, error) {
	now := s.now()
	prefix := "cs_test_"
	if p.Livemode {
		prefix = "cs_live_"
	}
	id := randid.New(prefix)
	if err := s.resolve(ctx, p, &in); err != nil {
		return Session{}, err
	}
	items, err := validateCreate(p, &in, id, now)
	if err != nil {
		return Session{}, err
	}
	out := Session{
		ID: id, Scope: p.Scope(), Status: StatusCreated,
		Amount: in.Amount, Currency: in.Currency, UserPhone: in.UserPhone, PaymentID: in.PaymentID,
		CustomerID: in.CustomerID, Description: in.Description, Metadata: in.Metadata,
		TransactionFee: merchant.Fee(p.Merchant.Fee, in.Amount),
		CreatedAt:      now, UpdatedAt: now, ExpiresAt: in.ExpiresAt,
		SuccessURL: in.SuccessURL, CancelURL: in.CancelURL, CustomerEmail: in.CustomerEmail, Locale: in.Locale,
		PaymentMethodTypes: in.PaymentMethodTypes, LineItems: items, CustomerCreation: in.CustomerCreation,
	}
	// No job goes with it: every node's sweep reads the deadlines from the
	// sessions themselves (SessionsDue), restarts included.
	return s.Store.SessionCreate(ctx, out)
}

func validateCreate(p merchant.Principal, in *CreateParams, id string, now time.Time) ([]store.LineItem, error) {
	items, err := buildItems(in, id)
	if err != nil {
		return nil, err
	}
	if err := validateAmount(in.Amount); err != nil {
		return nil, err
	}
	cur, err := money.ParseCurrency(in.Currency)
	if err != nil {
		return nil, Invalid("currency", "must be an ISO 4217 currency code")
	}
	if in.Currency = string(cur); !merchant.Accepts(p.Merchant, in.Currency) {
		return nil, Invalid("currency", "%s is not enabled for this merchant", in.Currency)
	}
	if in.UserPhone != "" {
		phone, ok := NormalizePhone(in.UserPhone, "")
		if !ok {
			return nil, Invalid("user_phone", "must be a valid phone number in E.164 form, such as +2250707000001")
		}
		in.UserPhone = phone
	}
	if err := validateText("description", in.Description, MaxDescription); err != nil {
		return nil, err
	}
	if err := validateExpiry(in, now); err != nil {
		return nil, err
	}
	if err := validateContact(in); err != nil {
		return nil, err
	}
	return items, ValidateMetadata(in.Metadata)
}

func validateAmount(amount int64) error {
	switch {
	case amount < MinAmount:
		return &InvalidError{Field: "amount", Reason: ReasonTooSmall, Message: fmt.Sprintf("must be at least %d", MinAmount)}
	case amount > MaxAmount:
		return &InvalidError{Field: "amount", Reason: ReasonTooLarge, Message: fmt.Sprintf("must be at most %d", MaxAmount)}
	}
	return nil
}

// validateExpiry sets in.ExpiresAt from ExpiresIn when the caller gave no instant.
func validateExpiry(in *CreateParams, now time.Time) error {
	if in.ExpiresAt.IsZero() {
		if in.ExpiresIn == 0 {
			in.ExpiresIn = DefaultExpiresIn
		}
		if in.ExpiresIn < MinExpiresIn || in.ExpiresIn > MaxExpiresIn {
			return Invalid("expires_in", "must be between %d and %d seconds", MinExpiresIn, MaxExpiresIn)
		}
		in.ExpiresAt = now.Add(time.Duration(in.ExpiresIn) * time.Second)
		return nil
	}
	if life := in.ExpiresAt.Sub(now); life < MinExpiresIn*time.Second || life > MaxExpiresIn*time.Second {
		return Invalid("expires_at", "must be between %d and %d seconds after the session's creation", MinExpiresIn, MaxExpiresIn)
	}
	in.ExpiresAt = in.ExpiresAt.UTC()
	return nil
}

// validateText checks a free-text field's length and that every engine can store it.
func validateText(param, v string, maxLen int) error {
	if utf8.RuneCountInString(v) > maxLen {
		return Invalid(param, "must be at most %d characters", maxLen)
	}
	if !Storable(v) {
		return Invalid(param, "must be UTF-8 text without NUL characters")
	}
	return nil
}

func validateContact(in *CreateParams) error {
	for _, f := range []struct {
		param, v string
		max      int
	}{
		{"payment_id", in.PaymentID, MaxReference}, {"customer_id", in.CustomerID, MaxReference},
		{"customer_email", in.CustomerEmail, MaxReference}, {"success_url", in.SuccessURL, MaxURL},
		{"cancel_url", in.CancelURL, MaxURL}, {"locale", in.Locale, 16},
	} {
		if err := validateText(f.param, f.v, f.max); err != nil {
			return err
		}
	}
	if in.CustomerEmail != "" && !validEmail(in.CustomerEmail) {
		return &InvalidError{Field: "customer_email", Reason: ReasonEmail, Message: "must be an email address"}
	}
	for _, u := range []struct{ param, v string }{{"success_url", in.SuccessURL}, {"cancel_url", in.CancelURL}} {
		if u.v != "" && !validURL(u.v) {
			return &InvalidError{Field: u.param, Reason: ReasonURL, Message: "must be an absolute http or https URL"}
		}
	}
	for _, m := range in.PaymentMethodTypes {
		if len(m) == 0 || len(m) > 40 || strings.Trim(m, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			return Invalid("payment_method_types", "%q is not a payment method type", m)
		}
	}
	return nil
}

// ValidateMetadata applies Stripe's metadata limits.
func ValidateMetadata(m map[string]string) error {
	if len(m) > MaxMetadataKeys {
		return Invalid("metadata", "must have at most %d keys", MaxMetadataKeys)
	}
	for k, v := range m {
		switch {
		case k == "" || utf8.RuneCountInString(k) > MaxMetadataKey:
			return Invalid("metadata["+k+"]", "keys must be 1 to %d characters", MaxMetadataKey)
		case utf8.RuneCountInString(v) > MaxMetadataValue:
			return Invalid("metadata["+k+"]", "values must be at most %d characters", MaxMetadataValue)
		case !Storable(k) || !Storable(v):
			return Invalid("metadata["+k+"]", "keys and values must be UTF-8 text without NUL characters")
		}
	}
	return nil
}

// Storable reports whether every engine can store and compare s as text:
// PostgreSQL refuses NUL characters and invalid UTF-8.
func Storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// MinUnix and MaxUnix bound the instants a caller may name, in Unix seconds:
// 1970 to the end of 9999. Every engine stores and compares those (SQLite's
// microseconds fit an int64, PostgreSQL's timestamptz holds them), and a
// bound moved by a second or a day does not overflow.
const (
	MinUnix = 0
	MaxUnix = 253402300799 // 9999-12-31T23:59:59Z
)

// Get returns one of the principal's sessions.
func (s *Service) Get(ctx context.Context, p merchant.Principal, id string) (Session, error) {
	if !Storable(id) {
		return Session{}, ErrNotFound // no stored id is like that, and PostgreSQL would refuse the query
	}
	out, err := s.Store.SessionGet(ctx, p.Scope(), id)
	return s.current(out, err)
}

// current finishes a read, which never writes: a missing session is
// ErrNotFound, and one past its deadline reads as expired (view).
func (s *Service) current(out Session, err error) (Session, error) {
	if errors.Is(err, store.ErrNotFound) {
		return out, ErrNotFound
	}
	return s.view(out), err
}

// view is a session as every read shows it: one that is due to expire (the
// sweep writes that within a fraction of a second) reads as expired already.
func (s *Service) view(cur Session) Session {
	if s.overdue(cur) {
		cur.Status = StatusExpired
	}
	return cur
}

// views applies view to a list.
func (s *Service) views(list []Session) []Session {
	for i := range list {
		list[i] = s.view(list[i])
	}
	return list
}

// Search returns one page of the principal's sessions that match f, and how
// many match: exactly, or, past s.CountBound sessions after the page, a
// lower bound (store.Total). f.UserPhone is normalised before matching.
func (s *Service) Search(ctx context.Context, p merchant.Principal, f store.SessionFilter) ([]Session, store.Total, error) {
	for _, st := range f.Statuses {
		if !ValidStatus(st) {
			return nil, store.Total{}, Invalid("status", "must be one of %v", Statuses)
		}
	}
	if f.UserPhone != "" {
		phone, ok := NormalizePhone(f.UserPhone, "")
		if !ok {
			return nil, store.Total{}, Invalid("user_phone", "must be a valid phone number in E.164 form")
		}
		f.UserPhone = phone
	}
	if f.AmountMin != nil && f.AmountMax != nil && *f.AmountMin > *f.AmountMax {
		return nil, store.Total{}, Invalid("amount_min", "must not be greater than amount_max")
	}
	if f.CreatedFrom != nil && f.CreatedBefore != nil && !f.CreatedFrom.Before(*f.CreatedBefore) {
		return nil, store.Total{}, Invalid("start_date", "must be before end_date")
	}
	f.Now = s.now()
	f.CountBound = cmp.Or(s.CountBound, DefaultCountBound)
	list, total, err := s.Store.SessionSearch(ctx, p.Scope(), f)
	return s.views(list), total, err
}

// ListParams selects a keyset page: the sessions after StartingAfter (older)
// or before EndingBefore (newer), at most one of them set.
type ListParams struct {
	Filter        store.SessionFilter
	StartingAfter string
	EndingBefore  string
}

// List returns one keyset page of the principal's sessions matching p.Filter,
// newest first, and whether more lie beyond it in the paging direction.
func (s *Service) List(ctx context.Context, p merchant.Principal, in ListParams) ([]Session, bool, error) {
	k, err := Cursor(KindSession, in.StartingAfter, in.EndingBefore, ErrNotFound, func(id string) (int64, time.Time, error) {
		cur, err := s.Get(ctx, p, id)
		return cur.Seq, cur.CreatedAt, err
	})
	if err != nil {
		return nil, false, err
	}
	f := in.Filter
	f.Now = s.now()
	f.Limit++ // one more tells whether there is a next page
	list, err := s.Store.SessionList(ctx, p.Scope(), f, k)
	page, more := Trim(s.views(list), in.Filter.Limit, k)
	return page, more, err
}

// UpdateMetadata merges set into a session's metadata: an empty value removes
// its key; clear first removes every key.
func (s *Service) UpdateMetadata(ctx context.Context, p merchant.Principal, id string, set map[string]string, clear bool) (Session, error) {
	for {
		cur, err := s.Get(ctx, p, id)
		if err != nil {
			return cur, err
		}
		next, err := mergeMetadata(cur.Metadata, set, clear)
		if err != nil {
			return cur, err
		}
		out, err := s.Store.SessionSetMetadata(ctx, p.Scope(), id, cur.Metadata, next, s.now())
		if errors.Is(err, store.ErrStale) {
			continue // another update landed in between; merge into it
		}
		if errors.Is(err, store.ErrNotFound) {
			return out, ErrNotFound
		}
		return out, err
	}
}
