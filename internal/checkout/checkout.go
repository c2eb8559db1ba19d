package checkout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

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
)

// ErrNotFound means no session with that id exists in the caller's scope.
var ErrNotFound = errors.New("checkout: no such session")

// InvalidError is bad input, named by the parameter at fault.
type InvalidError struct {
	Param   string
	Message string
}

func (e *InvalidError) Error() string { return e.Param + ": " + e.Message }

func invalid(param, format string, args ...any) error {
	return &InvalidError{Param: param, Message: fmt.Sprintf(format, args...)}
}

// StateError is an action the session's current status does not allow.
type StateError struct {
	ID, Status, Action string
}

func (e *StateError) Error() string {
	return fmt.Sprintf("session %s is %s and cannot be %s", e.ID, e.Status, e.Action)
}

// Service is the checkout use-cases.
type Service struct {
	Store store.Store
	Now   func() time.Time
}

// CreateParams is a new session as the caller asked for it.
type CreateParams struct {
	Amount      int64
	Currency    string
	UserPhone   string
	Description string
	ExpiresIn   int64 // seconds; 0 means DefaultExpiresIn
	PaymentID   string
	CustomerID  string
	Metadata    map[string]string
}

// Create validates p and stores a new session for the principal.
func (s *Service) Create(ctx context.Context, p merchant.Principal, in CreateParams) (Session, error) {
	if err := validateCreate(p, &in); err != nil {
		return Session{}, err
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	prefix := "cs_test_"
	if p.Livemode {
		prefix = "cs_live_"
	}
	return s.Store.SessionCreate(ctx, Session{
		ID: randid.New(prefix), Scope: p.Scope(), Status: StatusCreated,
		Amount: in.Amount, Currency: in.Currency, UserPhone: in.UserPhone, PaymentID: in.PaymentID,
		CustomerID: in.CustomerID, Description: in.Description, Metadata: in.Metadata,
		TransactionFee: merchant.Fee(p.Merchant.Fee, in.Amount),
		CreatedAt:      now, UpdatedAt: now, ExpiresAt: now.Add(time.Duration(in.ExpiresIn) * time.Second),
	})
}

func validateCreate(p merchant.Principal, in *CreateParams) error {
	switch {
	case in.Amount < MinAmount:
		return invalid("amount", "must be at least %d", MinAmount)
	case in.Amount > MaxAmount:
		return invalid("amount", "must be at most %d", MaxAmount)
	}
	cur, err := money.ParseCurrency(in.Currency)
	if err != nil {
		return invalid("currency", "must be an ISO 4217 currency code")
	}
	if in.Currency = string(cur); !merchant.Accepts(p.Merchant, in.Currency) {
		return invalid("currency", "%s is not enabled for this merchant", in.Currency)
	}
	phone, ok := NormalizePhone(in.UserPhone)
	if !ok {
		return invalid("user_phone", "must be a valid phone number in E.164 form, such as +2250707000001")
	}
	in.UserPhone = phone
	if utf8.RuneCountInString(in.Description) > MaxDescription {
		return invalid("description", "must be at most %d characters", MaxDescription)
	}
	if !Storable(in.Description) {
		return invalid("description", "must be UTF-8 text without NUL characters")
	}
	if in.ExpiresIn == 0 {
		in.ExpiresIn = DefaultExpiresIn
	}
	if in.ExpiresIn < MinExpiresIn || in.ExpiresIn > MaxExpiresIn {
		return invalid("expires_in", "must be between %d and %d seconds", MinExpiresIn, MaxExpiresIn)
	}
	for param, v := range map[string]string{"payment_id": in.PaymentID, "customer_id": in.CustomerID} {
		if utf8.RuneCountInString(v) > MaxReference {
			return invalid(param, "must be at most %d characters", MaxReference)
		}
		if !Storable(v) {
			return invalid(param, "must be UTF-8 text without NUL characters")
		}
	}
	return ValidateMetadata(in.Metadata)
}

// ValidateMetadata applies Stripe's metadata limits.
func ValidateMetadata(m map[string]string) error {
	if len(m) > MaxMetadataKeys {
		return invalid("metadata", "must have at most %d keys", MaxMetadataKeys)
	}
	for k, v := range m {
		switch {
		case k == "" || utf8.RuneCountInString(k) > MaxMetadataKey:
			return invalid("metadata["+k+"]", "keys must be 1 to %d characters", MaxMetadataKey)
		case utf8.RuneCountInString(v) > MaxMetadataValue:
			return invalid("metadata["+k+"]", "values must be at most %d characters", MaxMetadataValue)
		case !Storable(k) || !Storable(v):
			return invalid("metadata["+k+"]", "keys and values must be UTF-8 text without NUL characters")
		}
	}
	return nil
}

// Storable reports whether every engine can store and compare s as text:
// PostgreSQL refuses NUL characters and invalid UTF-8.
func Storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// Get returns one of the principal's sessions.
func (s *Service) Get(ctx context.Context, p merchant.Principal, id string) (Session, error) {
	if !Storable(id) {
		return Session{}, ErrNotFound // no stored id is like that, and PostgreSQL would refuse the query
	}
	out, err := s.Store.SessionGet(ctx, p.Scope(), id)
	if errors.Is(err, store.ErrNotFound) {
		return out, ErrNotFound
	}
	return out, err
}

// Search returns one page of the principal's sessions that match f, and the total.
// f.UserPhone is normalised before matching.
func (s *Service) Search(ctx context.Context, p merchant.Principal, f store.SessionFilter) ([]Session, int64, error) {
	if f.Status != "" && !ValidStatus(f.Status) {
		return nil, 0, invalid("status", "must be one of %v", Statuses)
	}
	if f.UserPhone != "" {
		phone, ok := NormalizePhone(f.UserPhone)
		if !ok {
			return nil, 0, invalid("user_phone", "must be a valid phone number in E.164 form")
		}
		f.UserPhone = phone
	}
	if f.AmountMin != nil && f.AmountMax != nil && *f.AmountMin > *f.AmountMax {
		return nil, 0, invalid("amount_min", "must not be greater than amount_max")
	}
	if f.CreatedFrom != nil && f.CreatedBefore != nil && !f.CreatedFrom.Before(*f.CreatedBefore) {
		return nil, 0, invalid("start_date", "must be before end_date")
	}
	return s.Store.SessionSearch(ctx, p.Scope(), f)
}

// Cancel moves a created or pending session to cancelled.
func (s *Service) Cancel(ctx context.Context, p merchant.Principal, id string) (Session, error) {
	return s.move(ctx, p, id, StatusCancelled, "cancelled", "")
}

// move applies one transition with a compare-and-set, re-reading once if another
// writer changed the status in between.
func (s *Service) move(ctx context.Context, p merchant.Principal, id, to, action, reason string) (Session, error) {
	for {
		cur, err := s.Get(ctx, p, id)
		if err != nil {
			return cur, err
		}
		if !CanMove(cur.Status, to) {
			return cur, &StateError{ID: id, Status: cur.Status, Action: action}
		}
		now := s.Now().UTC().Truncate(time.Microsecond)
		change := store.StatusChange{ID: id, From: cur.Status, To: to, At: now, FailureReason: reason}
		if to == StatusCompleted {
			change.CompletedAt = &now
		}
		out, err := s.Store.SessionChangeStatus(ctx, p.Scope(), change)
		if errors.Is(err, store.ErrStale) {
			continue // someone else moved it; decide again on the new status
		}
		return out, err
	}
}
