// Package store is caisse's storage seam: the Store interface every engine
// implements, the row types it reads and writes, and the few sentinel errors
// engines translate driver errors into. It imports no caisse domain package;
// engines (sqlitestore, pgstore) are imported only by server, cli and tests.
package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/riverqueue/river/riverdriver"
)

// Sentinel errors every engine returns instead of driver errors.
var (
	// ErrNotFound means no row matched (or it belongs to another merchant or mode).
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a unique constraint refused the write.
	ErrConflict = errors.New("store: conflict")
	// ErrStale means a compare-and-set found the row changed since it was read.
	ErrStale = errors.New("store: stale")
	// ErrUnavailable means the database did not answer in time (a statement
	// or lock timeout, a database busy past its wait): retry later.
	ErrUnavailable = errors.New("store: database unavailable")
)

// Scope is the tenant boundary: one merchant in one mode. Every session,
// idempotency key and (later) event read or write is confined to a scope.
type Scope struct {
	MerchantID string
	Livemode   bool
}

// Merchant is a tenant.
type Merchant struct {
	ID         string
	Name       string
	Currencies []string // ISO 4217 codes this merchant may charge in
	Fee        FeeSchedule
	CreatedAt  time.Time
}

// FeeSchedule is a merchant's transaction fee rule, in minor units of the session's currency.
type FeeSchedule struct {
	BasisPoints int64 // 50 = 0.5 %
	Fixed       int64 // added after the percentage
	Minimum     int64 // the fee is never below this
	Maximum     int64 // the fee is never above this; 0 means no cap
}

// APIKey is a stored secret key: its hash and what it grants, never the key itself.
type APIKey struct {
	ID         string
	MerchantID string
	Livemode   bool
	Hash       []byte // SHA-256 of the whole key
	Last4      string
	CreatedAt  time.Time
	RevokedAt  *time.Time
}

// Status is a session's canonical status; checkout names the values and the
// moves between them.
type Status string

// EventType names a kind of event; checkout names the values.
type EventType string

// Session is a checkout session row in its canonical (mobile-money) form.
type Session struct {
	Seq int64 // insertion order; the tie-break among equal created_at
	ID  string
	Scope
	Status         Status
	Amount         int64
	Currency       string
	UserPhone      string
	PaymentID      string
	CustomerID     string
	Description    string
	Metadata       map[string]string
	TransactionFee int64
	SuccessURL     string
	CancelURL      string
	CustomerEmail  string
	Locale         string
	// PaymentMethodTypes are the payment methods the session offers; empty means caisse's default.
	PaymentMethodTypes []string
	LineItems          []LineItem
	FailureReason      string
	CreatedAt          time.Time
	UpdatedAt          time.Time
	ExpiresAt          time.Time
	CompletedAt        *time.Time
	Channel            string // the mobile-money channel the customer chose, once confirmed
	ConnectorRef       string // the operator's payment id, once the connector has it
	// Attempt is caisse's id of the current attempt at paying the session (a
	// UUID, new at each confirm): the operator's idempotency key.
	Attempt string
	// ConnectorURL is where a redirect flow's customer pays: the operator's
	// page, once the operator has answered the start request.
	ConnectorURL string
	// ConnectorCheck is the hex SHA-256 of the secret the operator's
	// notifications about the attempt must carry (Orange's notif_token).
	ConnectorCheck string
	// CustomerCreation is Stripe's customer_creation: "always" makes a
	// customer at completion when the session names none.
	CustomerCreation string
}

// PaymentStart is what an operator answered to an attempt's start request.
type PaymentStart struct {
	Attempt string // the attempt it answers; a session that moved on to another is left alone
	Ref     string
	URL     string
	Check   string // hex SHA-256
}

// Connector is a merchant's operator connector for one mode and channel, as
// `caisse connectors set` stores it.
type Connector struct {
	Seq int64
	ID  string // "conn_…", as in /v1/connectors/{id}/callback
	Scope
	Channel string
	Kind    string
	BaseURL string
	// Credentials are the sealed JSON object of the credentials (seal.Box):
	// the store never sees them in clear.
	Credentials string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// LineItem is one thing a session sells, stored within the session (JSON).
// Its JSON tags are its stored shape, in sessions.line_items and in events:
// sqldb's golden files pin them, so change them only with a new snapshot version.
type LineItem struct {
	ID          string `json:"id"`
	PriceID     string `json:"price"`
	ProductID   string `json:"product"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	UnitAmount  int64  `json:"unit_amount"`
	Quantity    int64  `json:"quantity"`
	// Catalog is set when PriceID names one of the merchant's stored prices;
	// an inline price (price_data) exists only in the session.
	Catalog bool `json:"catalog,omitempty"`
}

// SessionFilter selects sessions within a scope; zero fields do not filter.
// Results are newest first (created_at, then Seq, descending).
type SessionFilter struct {
	Statuses      []Status // any of these
	PaymentID     string
	UserPhone     string
	CustomerID    string
	CustomerEmail string
	AmountMin     *int64
	AmountMax     *int64
	// PaymentStarted keeps the sessions whose payment has started: a payment
	// attempt was made, or the status is pending, processing, completed or
	// failed (checkout.PaymentStarted).
	PaymentStarted bool
	CreatedFrom    *time.Time // inclusive
	CreatedBefore  *time.Time // exclusive
	Limit          int
	Offset         int64
	// CountBound bounds the count of a search (Store.SessionSearch): it
	// counts the matches past the page up to this many, and past that says
	// only that more match (Total.Capped); 0 counts every match.
	CountBound int64
	// Now, when set, makes Statuses match sessions as they read at Now: a
	// created session, or a test-mode pending one, whose expires_at has passed
	// counts as expired (the sweep has yet to write it).
	Now time.Time
}

// Total is how many sessions match a search: Count exactly, or, when
// Capped, more than Count (the count stopped at SessionFilter.CountBound
// past the page).
type Total struct {
	Count  int64
	Capped bool
}

// Keyset places a page next to a known row (session or event) instead of at an
// offset: the rows listed after it (older) or, with Newer, before it (newer).
type Keyset struct {
	CreatedAt time.Time
	Seq       int64
	Newer     bool
}

// StatusChange is a compare-and-set on a session's status: it applies only
// while the session still has status From.
type StatusChange struct {
	ID            string
	From, To      Status
	At            time.Time
	CompletedAt   *time.Time
	FailureReason string
	UserPhone     string // replaces the session's phone when set
	Channel       string // replaces the session's channel when set
	CustomerID    string // replaces the session's customer when set
	// Attempt, when set, starts a new payment attempt: it replaces the
	// session's attempt and clears connector_ref, connector_url and
	// connector_check.
	Attempt string
}

// Endpoint is a merchant's webhook endpoint.
type Endpoint struct {
	Seq int64
	ID  string
	Scope
	URL           string
	Description   string
	EnabledEvents []string // event types, or "*" for all
	Status        string   // enabled or disabled
	Secret        string   // whsec_…; needed in clear to sign deliveries
	APIVersion    string   // the api_version every event sent to it carries
	PayloadFormat string   // the shape of data.object: stripe or momo
	Metadata      map[string]string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Product is a merchant's product (Stripe's product object).
type Product struct {
	Seq int64
	ID  string
	Scope
	Name        string
	Description string
	Active      bool
	Metadata    map[string]string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Price is a merchant's price of a product (Stripe's price object): an
// amount in minor units of its currency, paid once or, with Interval set,
// every IntervalCount intervals.
type Price struct {
	Seq int64
	ID  string
	Scope
	ProductID     string
	Active        bool
	Currency      string // ISO 4217, upper case
	UnitAmount    int64
	LookupKey     string // unique among the scope's prices when set
	Nickname      string
	Interval      string // day, week, month or year for a recurring price; "" for a one-time price
	IntervalCount int64
	Metadata      map[string]string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Customer is a merchant's customer (Stripe's customer object).
type Customer struct {
	Seq int64
	ID  string
	Scope
	Email       string
	Name        string
	Phone       string
	Description string
	Metadata    map[string]string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// CatalogFilter selects products, prices or customers within a scope, newest
// first; zero fields do not filter, and each list reads only the fields of
// its own objects (Active: products and prices; IDs: products; ProductID,
// Currency, LookupKeys and Recurring: prices; Email: customers).
type CatalogFilter struct {
	Active        *bool
	Recurring     *bool // prices with an interval, or without
	IDs           []string
	ProductID     string
	Currency      string
	LookupKeys    []string
	Email         string
	CreatedFrom   *time.Time // inclusive
	CreatedBefore *time.Time // exclusive
	Limit         int
}

// Attempt is one try at delivering an event to an endpoint.
type Attempt struct {
	Seq int64
	ID  string
	Scope
	EventID    string
	EndpointID string
	JobID      int64 // the River job that made it
	Attempt    int   // 1 for the job's first try
	StatusCode int   // 0 when no response came back
	Latency    time.Duration
	Error      string
	Succeeded  bool
	CreatedAt  time.Time
}

// Delivery is what one attempt to deliver an event to an endpoint reads.
type Delivery struct {
	Endpoint Endpoint
	Event    Event
	Done     bool // the delivery's job has already recorded a successful attempt
}

// Event is a change worth telling a merchant about: a session's status moved.
// Session is the session as it was right after the change.
type Event struct {
	Seq int64 // insertion order; the tie-break among equal CreatedAt
	// Txn is the transaction that wrote the event, the event stream's first
	// key (StreamPos): on PostgreSQL that transaction's id (xid8), on SQLite
	// the event's Seq (one writer: transactions commit in seq order).
	Txn int64
	ID  string
	Scope
	Type      EventType
	Session   Session
	CreatedAt time.Time
}

// StreamPos is a place in the event stream (Store.EventsStreamed), which
// follows events in (Txn, Seq) order: just after the event with that Txn and
// Seq. A transaction writes events only while it is open, and a transaction
// that first writes later gets a larger Txn, so once every transaction up to
// a position has ended no event can appear before it.
type StreamPos struct {
	Txn, Seq int64
	// Opened, when set, is the engine's record of the transactions that had
	// ended when the stream opened (PostgreSQL's pg_snapshot, as text): their
	// events, committed before it, are not the stream's, even where they come
	// after Txn in stream order. A stream keeps it as it moves on.
	Opened string
}

// Pos is the stream position just after e.
func (e Event) Pos() StreamPos { return StreamPos{Txn: e.Txn, Seq: e.Seq} }

// Past is where the stream at p stands once it has sent e: just after e,
// keeping what p knew of its opening.
func (p StreamPos) Past(e Event) StreamPos {
	return StreamPos{Txn: e.Txn, Seq: e.Seq, Opened: p.Opened}
}

// EventFilter selects events within a scope; zero fields do not filter.
type EventFilter struct {
	Types         []EventType
	CreatedFrom   *time.Time // inclusive
	CreatedBefore *time.Time // exclusive
	Limit         int
}

// IdempotencyRecord is the stored outcome of the first request made with a key.
type IdempotencyRecord struct {
	Scope
	Key         string
	RequestHash []byte
	Done        bool // false while the first request is still running
	StatusCode  int
	Body        []byte
	CreatedAt   time.Time
	LockedAt    time.Time
}

// Tx is the data methods that run inside one transaction (Store.InTx), and
// the transaction itself, so that River jobs are inserted in it (InsertTx).
type Tx interface {
	// SQL is the underlying transaction, begun now if the engine had
	// deferred it (see sqldb.Pipeliner).
	SQL(ctx context.Context) (*sql.Tx, error)
	// SessionGet reads one session of the scope.
	SessionGet(ctx context.Context, scope Scope, id string) (Session, error)
	// SessionChangeStatus applies a status compare-and-set; ErrStale if the status moved on.
	SessionChangeStatus(ctx context.Context, scope Scope, c StatusChange) (Session, error)
	// EventCreate inserts an event and returns it with Seq and Txn set.
	EventCreate(ctx context.Context, e Event) (Event, error)
	// SessionCreate inserts a session and returns it with Seq set, except in a
	// transaction whose writes the engine pipelines (sqldb.Pipeliner): 0 there.
	SessionCreate(ctx context.Context, s Session) (Session, error)
	// EndpointsEnabled lists the scope's enabled webhook endpoints, oldest first.
	EndpointsEnabled(ctx context.Context, scope Scope) ([]Endpoint, error)
	// CustomerCreate inserts a customer and returns it with Seq set.
	CustomerCreate(ctx context.Context, c Customer) (Customer, error)
	// IdempotencyFinish stores the response of the request that owns the key
	// (rec.LockedAt is its claim); ErrStale if another request took the key over.
	IdempotencyFinish(ctx context.Context, rec IdempotencyRecord) error
	// IdempotencyPut stores a finished record for a key no record holds yet;
	// ErrConflict, writing nothing, when one does (on PostgreSQL the
	// transaction is then aborted: roll it back). In a transaction whose
	// writes the engine pipelines, the conflict shows at commit.
	IdempotencyPut(ctx context.Context, rec IdempotencyRecord) error
}

type txKey struct{}

// WithTx returns a context in which the store's methods run in tx: reads and
// writes go through it, and InTx makes a savepoint in it instead of a new
// transaction. It is how a request's whole effect commits with its
// idempotency record.
func WithTx(ctx context.Context, tx Tx) context.Context { return context.WithValue(ctx, txKey{}, tx) }

// TxFrom returns the transaction ctx carries, or nil.
func TxFrom(ctx context.Context) Tx {
	tx, _ := ctx.Value(txKey{}).(Tx)
	return tx
}

// Store is everything caisse keeps. Methods read noun-then-verb.
type Store interface {
	// Ping checks the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
	// Migrate brings caisse's schema and River's up to date.
	Migrate(ctx context.Context) error
	// JobDriver is the River driver over the same database, for the job client.
	JobDriver() riverdriver.Driver[*sql.Tx]

	// MerchantCreate inserts a merchant.
	MerchantCreate(ctx context.Context, m Merchant) error
	// MerchantGet reads a merchant by id.
	MerchantGet(ctx context.Context, id string) (Merchant, error)
	// MerchantUpdate stores m's name, currencies and fee schedule over those
	// of the merchant with m.ID; ErrNotFound if there is none.
	MerchantUpdate(ctx context.Context, m Merchant) error

	// KeyCreate inserts an API key.
	KeyCreate(ctx context.Context, k APIKey) error
	// KeyGetByHash finds an unrevoked key by the hash of its secret, with its merchant.
	KeyGetByHash(ctx context.Context, hash []byte) (APIKey, Merchant, error)
	// KeyList lists a merchant's keys, revoked ones included, oldest first.
	KeyList(ctx context.Context, merchantID string) ([]APIKey, error)
	// KeyRevoke marks a key revoked; revoking it again is ErrNotFound.
	KeyRevoke(ctx context.Context, id string, at time.Time) error

	// SessionCreate inserts a session and returns it with Seq set.
	SessionCreate(ctx context.Context, s Session) (Session, error)
	// SessionGet reads one session of the scope.
	SessionGet(ctx context.Context, scope Scope, id string) (Session, error)
	// SessionSearch returns the f.Limit of the scope's matching sessions at
	// f.Offset, newest first, and how many match in all (up to f.CountBound
	// past the page). The total agrees with the page: when the page is not
	// empty, at least Offset + its length match, and a full page has more
	// after it exactly when Total.Count is larger.
	SessionSearch(ctx context.Context, scope Scope, f SessionFilter) ([]Session, Total, error)
	// SessionList returns up to f.Limit of the scope's matching sessions, newest
	// first, next to the keyset session (from the newest when k is nil); f.Offset is ignored.
	SessionList(ctx context.Context, scope Scope, f SessionFilter, k *Keyset) ([]Session, error)
	// SessionSetMetadata replaces a session's metadata if it still equals old; ErrStale otherwise.
	SessionSetMetadata(ctx context.Context, scope Scope, id string, old, metadata map[string]string, at time.Time) (Session, error)
	// SessionChangeStatus applies a status compare-and-set; ErrStale if the status moved on.
	SessionChangeStatus(ctx context.Context, scope Scope, c StatusChange) (Session, error)

	// SessionLookup reads a session by id whatever its scope, for callers that
	// learn the id from a trusted source (an operator's signed callback).
	SessionLookup(ctx context.Context, id string) (Session, error)
	// SessionSetStart records the operator's answer to the start request of
	// the session's current attempt, once: a session whose attempt is another,
	// or that already has a ref, is left as it is (no error).
	SessionSetStart(ctx context.Context, scope Scope, id string, p PaymentStart) error
	// SessionsToReconcile lists up to limit sessions that an operator was
	// asked to pay (attempt set) and that are pending or processing, or
	// changed at or after since; of one merchant, or of all when merchantID
	// is empty; in seq order after afterSeq.
	SessionsToReconcile(ctx context.Context, merchantID string, since time.Time, afterSeq int64, limit int) ([]Session, error)

	// ConnectorPut stores a merchant's connector for its mode and channel,
	// replacing the one there (which keeps its id and created_at).
	ConnectorPut(ctx context.Context, c Connector) (Connector, error)
	// ConnectorGet reads a connector by id.
	ConnectorGet(ctx context.Context, id string) (Connector, error)
	// ConnectorFor reads the scope's connector for a channel.
	ConnectorFor(ctx context.Context, scope Scope, channel string) (Connector, error)
	// ConnectorList lists a merchant's connectors, test mode first, by channel.
	ConnectorList(ctx context.Context, merchantID string) ([]Connector, error)
	// ConnectorDelete removes the scope's connector for a channel; ErrNotFound if there is none.
	ConnectorDelete(ctx context.Context, scope Scope, channel string) error
	// SessionsDue lists up to limit sessions with expires_at at or before now
	// that are created, or pending in test mode (a live pending payment ends
	// on the operator's word), earliest deadline first; in one scope, or in
	// all when scope is nil.
	SessionsDue(ctx context.Context, scope *Scope, now time.Time, limit int) ([]Session, error)

	// InTx runs fn in one write transaction, committed when fn returns nil.
	InTx(ctx context.Context, fn func(tx Tx) error) error

	// EventCreate inserts an event and returns it with Seq and Txn set.
	EventCreate(ctx context.Context, e Event) (Event, error)
	// EventGet reads one event of the scope.
	EventGet(ctx context.Context, scope Scope, id string) (Event, error)
	// EventList returns up to f.Limit of the scope's matching events, newest
	// first, next to the keyset event (from the newest when k is nil).
	EventList(ctx context.Context, scope Scope, f EventFilter, k *Keyset) ([]Event, error)
	// EventsStreamed returns up to f.Limit of the scope's events matching f
	// that come after pos, in stream order (Txn, Seq), stopping before the
	// first transaction still open: an event it has not returned yet never
	// appears behind the last one it has.
	EventsStreamed(ctx context.Context, scope Scope, f EventFilter, pos StreamPos) ([]Event, error)
	// EventStreamStart is where a stream opened now begins, in any scope:
	// before every event of a transaction still open or yet to begin, and
	// after every event already committed (with Opened on PostgreSQL, where
	// the two interleave in stream order).
	EventStreamStart(ctx context.Context) (StreamPos, error)

	// EndpointCreate inserts a webhook endpoint and returns it with Seq set.
	EndpointCreate(ctx context.Context, e Endpoint) (Endpoint, error)
	// EndpointGet reads one webhook endpoint of the scope.
	EndpointGet(ctx context.Context, scope Scope, id string) (Endpoint, error)
	// EndpointList returns up to limit of the scope's endpoints, newest first,
	// next to the keyset endpoint (from the newest when k is nil).
	EndpointList(ctx context.Context, scope Scope, limit int, k *Keyset) ([]Endpoint, error)
	// EndpointUpdate stores e's url, description, events, status and metadata.
	EndpointUpdate(ctx context.Context, e Endpoint) (Endpoint, error)
	// EndpointDelete removes an endpoint; ErrNotFound if it is not there.
	EndpointDelete(ctx context.Context, scope Scope, id string) error
	// EndpointsEnabled lists the scope's enabled webhook endpoints, oldest first.
	EndpointsEnabled(ctx context.Context, scope Scope) ([]Endpoint, error)

	// ProductCreate inserts a product and returns it with Seq set.
	ProductCreate(ctx context.Context, p Product) (Product, error)
	// ProductGet reads one product of the scope.
	ProductGet(ctx context.Context, scope Scope, id string) (Product, error)
	// ProductUpdate stores p's name, description, active, metadata and
	// updated_at; ErrNotFound if the scope has no such product.
	ProductUpdate(ctx context.Context, p Product) (Product, error)
	// ProductList returns up to f.Limit of the scope's matching products,
	// newest first, next to the keyset product (from the newest when k is nil).
	ProductList(ctx context.Context, scope Scope, f CatalogFilter, k *Keyset) ([]Product, error)

	// PriceCreate inserts a price and returns it with Seq set; ErrConflict
	// when another price of the scope has its lookup key.
	PriceCreate(ctx context.Context, p Price) (Price, error)
	// PriceGet reads one price of the scope.
	PriceGet(ctx context.Context, scope Scope, id string) (Price, error)
	// PriceUpdate stores p's active, lookup key, nickname, metadata and
	// updated_at; ErrNotFound if the scope has no such price, ErrConflict
	// when another price has the lookup key.
	PriceUpdate(ctx context.Context, p Price) (Price, error)
	// PriceList returns up to f.Limit of the scope's matching prices, newest
	// first, next to the keyset price (from the newest when k is nil).
	PriceList(ctx context.Context, scope Scope, f CatalogFilter, k *Keyset) ([]Price, error)

	// CustomerCreate inserts a customer and returns it with Seq set.
	CustomerCreate(ctx context.Context, c Customer) (Customer, error)
	// CustomerGet reads one customer of the scope.
	CustomerGet(ctx context.Context, scope Scope, id string) (Customer, error)
	// CustomerUpdate stores c's email, name, phone, description, metadata
	// and updated_at; ErrNotFound if the scope has no such customer.
	CustomerUpdate(ctx context.Context, c Customer) (Customer, error)
	// CustomerDelete removes a customer; ErrNotFound if it is not there.
	CustomerDelete(ctx context.Context, scope Scope, id string) error
	// CustomerList returns up to f.Limit of the scope's matching customers,
	// newest first, next to the keyset customer (from the newest when k is nil).
	CustomerList(ctx context.Context, scope Scope, f CatalogFilter, k *Keyset) ([]Customer, error)

	// AttemptCreate records delivery attempts, in one statement: all of
	// them, or none and an error.
	AttemptCreate(ctx context.Context, attempts ...Attempt) error
	// AttemptList lists the attempts to deliver one of the scope's events, oldest first.
	AttemptList(ctx context.Context, scope Scope, eventID string) ([]Attempt, error)
	// AttemptSucceeded reports whether the River job has already delivered.
	AttemptSucceeded(ctx context.Context, jobID int64) (bool, error)
	// DeliveryGet reads in one query what a delivery attempt needs: the
	// scope's endpoint and event, and whether the River job has already
	// delivered (AttemptSucceeded). ErrNotFound when the endpoint or the
	// event is not there.
	DeliveryGet(ctx context.Context, scope Scope, endpointID, eventID string, jobID int64) (Delivery, error)

	// IdempotencyBegin claims a key for a request. It returns (rec, true) when the
	// caller now owns the key: it was free, or its owner stopped before lockedBefore.
	// Otherwise it returns the existing record and false.
	IdempotencyBegin(ctx context.Context, rec IdempotencyRecord, lockedBefore time.Time) (IdempotencyRecord, bool, error)
	// IdempotencyFinish stores the response of the request that owns the key
	// (rec.LockedAt is its claim); ErrStale if another request took the key over.
	IdempotencyFinish(ctx context.Context, rec IdempotencyRecord) error
	// IdempotencyPurge deletes keys created before the given time and reports how many.
	IdempotencyPurge(ctx context.Context, before time.Time) (int64, error)
}
