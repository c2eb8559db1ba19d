package client

import (
	"context"
	"net/url"
	"strconv"
	"time"
)

// Session is a checkout session as the mobile-money API renders it
// (docs/api-momo.md, The session object), field for field.
type Session struct {
	// ID is cs_test_… or cs_live_….
	ID string `json:"id"`
	// Status is created, pending, processing, completed, failed, expired or cancelled.
	Status string `json:"status"`
	// Amount is in minor units of Currency.
	Amount int64 `json:"amount"`
	// Currency is an upper-case ISO 4217 code.
	Currency string `json:"currency"`
	// UserPhone is the customer's number in E.164 form.
	UserPhone string `json:"user_phone"`
	// PaymentID is the merchant's reference ("" when none).
	PaymentID string `json:"payment_id"`
	// Description is "" when none was given.
	Description string `json:"description"`
	// CreatedAt is when the session was created, to the second.
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is when an unpaid session expires.
	ExpiresAt time.Time `json:"expires_at"`
	// CompletedAt is when the session was paid; nil until then.
	CompletedAt *time.Time `json:"completed_at"`
	// FailureReason is why the payment failed; nil when there is no reason.
	FailureReason *string `json:"failure_reason"`
	// TransactionFee is the merchant's fee in minor units.
	TransactionFee int64 `json:"transaction_fee"`
	// URL is the session's hosted payment page.
	URL string `json:"url"`
	// Channel is the channel of the current payment attempt, once confirmed.
	Channel string `json:"channel,omitempty"`
	// OperatorReference is the operator's id of the current attempt, once known.
	OperatorReference string `json:"operator_reference,omitempty"`
	// RedirectURL is where a redirect channel's customer pays, once known.
	RedirectURL string `json:"redirect_url,omitempty"`
}

// Page is one page of a list or a search (docs/api-momo.md, Search and list semantics).
type Page struct {
	// Sessions is the page, newest first; empty, never nil, when nothing matches.
	Sessions []Session `json:"sessions"`
	// TotalCount is how many sessions match, counted up to 10 000 past the page.
	TotalCount int64 `json:"total_count"`
	// TotalCountExact is false when more than TotalCount sessions match.
	TotalCountExact bool `json:"total_count_exact"`
	// HasMore is true when sessions remain after this page.
	HasMore bool `json:"has_more"`
	// NextOffset is the offset of the next page when HasMore, otherwise nil.
	NextOffset *int64 `json:"next_offset"`
}

// CreateParams is a new session. Amount, Currency and UserPhone are required;
// zero values of the others leave the server's defaults.
type CreateParams struct {
	// Amount is in minor units of Currency, at least 100.
	Amount int64 `json:"amount"`
	// Currency is an ISO 4217 code the merchant accepts, such as "XOF".
	Currency string `json:"currency"`
	// UserPhone is the customer's number in E.164 form.
	UserPhone string `json:"user_phone"`
	// Description is at most 200 characters.
	Description string `json:"description,omitempty"`
	// ExpiresIn is the session's lifetime in seconds, 300 to 86400 (1800 when 0).
	ExpiresIn int64 `json:"expires_in,omitempty"`
	// PaymentID is the merchant's own reference.
	PaymentID string `json:"payment_id,omitempty"`
	// CustomerID is stored and searchable, not returned.
	CustomerID string `json:"customer_id,omitempty"`
	// Metadata is stored, not returned.
	Metadata map[string]string `json:"metadata,omitempty"`
	// IdempotencyKey is sent as the Idempotency-Key header; when empty, the
	// client makes up a random one. Send the same key again to retry a create
	// safely: the server replays its first answer.
	IdempotencyKey string `json:"-"`
}

// Create creates a session (POST /v1/checkouts).
func (c *Client) Create(ctx context.Context, p CreateParams) (*Session, error) {
	key := p.IdempotencyKey
	if key == "" {
		key = newIdempotencyKey()
	}
	var s Session
	if err := c.call(ctx, "POST", "/v1/checkouts", nil, p, key, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Get retrieves a session (GET /v1/checkouts/{id}). A session of another
// merchant or mode is a 404 *Error, as is an unknown id.
func (c *Client) Get(ctx context.Context, id string) (*Session, error) {
	return c.sessionCall(ctx, "GET", id, "", nil, "")
}

// CancelParams are the options of a cancel.
type CancelParams struct {
	// IdempotencyKey, when not empty, is sent as the Idempotency-Key header.
	IdempotencyKey string
}

// Cancel cancels a created or pending session (POST /v1/checkouts/{id}/cancel).
func (c *Client) Cancel(ctx context.Context, id string, p CancelParams) (*Session, error) {
	return c.sessionCall(ctx, "POST", id, "/cancel", nil, p.IdempotencyKey)
}

// ConfirmParams starts paying a session with mobile money.
type ConfirmParams struct {
	// Channel is orange_money, mtn_momo, moov_money or wave.
	Channel string `json:"channel"`
	// UserPhone, when not empty, replaces the session's phone.
	UserPhone string `json:"user_phone,omitempty"`
	// IdempotencyKey, when not empty, is sent as the Idempotency-Key header.
	IdempotencyKey string `json:"-"`
}

// Confirm asks the customer's phone to approve the payment of a created
// session (POST /v1/checkouts/{id}/confirm); the session is then pending.
func (c *Client) Confirm(ctx context.Context, id string, p ConfirmParams) (*Session, error) {
	return c.sessionCall(ctx, "POST", id, "/confirm", p, p.IdempotencyKey)
}

// sessionCall calls /v1/checkouts/{id}{suffix} and decodes a session.
func (c *Client) sessionCall(ctx context.Context, method, id, suffix string, body any, idemKey string) (*Session, error) {
	path, err := idPath("/v1/checkouts", id)
	if err != nil {
		return nil, err
	}
	var s Session
	if err := c.call(ctx, method, path+suffix, nil, body, idemKey, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// ListParams filters and pages GET /v1/checkouts. Zero values are left out.
type ListParams struct {
	// Status keeps only sessions in this status.
	Status string
	// Limit is the page size, 1 to 100 (the server's default, 50, when 0).
	Limit int
	// Offset is the number of matching sessions to skip.
	Offset int64
}

// List lists sessions, newest first (GET /v1/checkouts).
func (c *Client) List(ctx context.Context, p ListParams) (*Page, error) {
	q := url.Values{}
	setPage(q, p.Status, p.Limit, p.Offset)
	return c.page(ctx, "/v1/checkouts", q)
}

// SearchParams filters and pages GET /v1/checkout/search. Zero values (and
// nil pointers) are left out; filters combine with AND.
type SearchParams struct {
	// Status keeps only sessions in this status.
	Status string
	// Reference keeps only sessions whose payment_id equals it.
	Reference string
	// UserPhone keeps only sessions of this number (E.164).
	UserPhone string
	// CustomerID keeps only sessions created with this customer_id.
	CustomerID string
	// AmountMin keeps only sessions of at least this amount.
	AmountMin *int64
	// AmountMax keeps only sessions of at most this amount.
	AmountMax *int64
	// StartDate keeps only sessions created at or after it: a date
	// ("2024-01-31") or an RFC 3339 time.
	StartDate string
	// EndDate keeps only sessions created at or before it (inclusive): a date
	// (the whole UTC day) or an RFC 3339 time.
	EndDate string
	// Limit is the page size, 1 to 100 (the server's default, 50, when 0).
	Limit int
	// Offset is the number of matching sessions to skip.
	Offset int64
}

// Search searches sessions, newest first (GET /v1/checkout/search).
func (c *Client) Search(ctx context.Context, p SearchParams) (*Page, error) {
	q := url.Values{}
	setPage(q, p.Status, p.Limit, p.Offset)
	for name, v := range map[string]string{"reference": p.Reference, "user_phone": p.UserPhone,
		"customer_id": p.CustomerID, "start_date": p.StartDate, "end_date": p.EndDate} {
		if v != "" {
			q.Set(name, v)
		}
	}
	if p.AmountMin != nil {
		q.Set("amount_min", strconv.FormatInt(*p.AmountMin, 10))
	}
	if p.AmountMax != nil {
		q.Set("amount_max", strconv.FormatInt(*p.AmountMax, 10))
	}
	return c.page(ctx, "/v1/checkout/search", q)
}

// setPage sets the parameters list and search share.
func setPage(q url.Values, status string, limit int, offset int64) {
	if status != "" {
		q.Set("status", status)
	}
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if offset != 0 {
		q.Set("offset", strconv.FormatInt(offset, 10))
	}
}

func (c *Client) page(ctx context.Context, path string, q url.Values) (*Page, error) {
	var p Page
	if err := c.call(ctx, "GET", path, q, nil, "", &p); err != nil {
		return nil, err
	}
	return &p, nil
}
