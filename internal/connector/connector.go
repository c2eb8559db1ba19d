// Package connector talks to mobile-money operators: it asks a customer's
// phone to approve a payment, interprets the operator's asynchronous results
// and queries a payment's status. It holds the connector interface, the test
// connector (outcomes chosen by magic phone numbers), the HTTP operator
// connector and a fake operator for local runs. It imports no caisse package
// but webhook (for signatures); checkout drives it.
package connector

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Channels a customer may pay with.
var Channels = []string{"orange_money", "mtn_momo", "moov_money", "wave"}

// Payment statuses an operator reports.
const (
	StatusPending    = "pending"    // waiting for the customer's approval
	StatusProcessing = "processing" // approved; the operator is settling it
	StatusSucceeded  = "succeeded"  // paid
	StatusFailed     = "failed"     // declined, rejected or timed out; see FailureReason
)

// Flows a connector's customer takes.
const (
	FlowPush     = "push"     // the operator asks the customer's phone to approve (MTN MoMo)
	FlowRedirect = "redirect" // the customer pays on the operator's page, Started.RedirectURL (Orange Money, Wave)
)

// Payment is one attempt at collecting a session's amount from a customer.
type Payment struct {
	SessionID string // caisse's session id
	// Attempt is caisse's id of this attempt at paying the session: a UUID
	// (version 4, lower case), new at each confirm, the same for every retry of
	// the start request. Operators take it as the start request's idempotency
	// key (MTN's X-Reference-Id, Orange's order_id, Wave's Idempotency-Key).
	Attempt     string
	Livemode    bool
	Amount      int64  // minor units (XOF and XAF have none: 500 is 500 francs)
	Currency    string // ISO 4217
	Phone       string // E.164, with its +; a connector reformats it as its operator wants
	Channel     string // one of Channels
	Description string // what the customer pays for, for the operator's page; may be empty
	Lang        string // the customer's language: "fr" or "en"
	// CallbackURL is where the operator posts its notifications for this
	// connector: {CAISSE_PUBLIC_URL}/v1/connectors/{id}/callback. A connector
	// may add a query to it (Orange's notifications do not name the payment).
	CallbackURL string
	// ReturnURL is caisse's page an operator's payment page sends the customer
	// back to, paid, failed or given up (redirect flows): it asks the
	// operator where the payment stands, never trusting the URL.
	ReturnURL string
}

// Started is an operator's answer to a payment's start request.
type Started struct {
	Ref         string // the operator's payment id; required
	RedirectURL string // redirect flows: the operator's page where the customer pays
	// Check is a secret the operator's notifications about this payment will
	// carry (Orange's notif_token): caisse keeps its SHA-256 and refuses a
	// notification whose Result.Check does not match. Empty when the connector
	// authenticates notifications otherwise.
	Check string
}

// Result is what an operator says about a payment.
type Result struct {
	SessionID     string // the Payment's SessionID
	Ref           string // the operator's own payment id
	Status        string // one of the Status constants; "" in a Claim that says nothing caisse understands
	FailureReason string // set when Status is StatusFailed: one of caisse's failure reasons (docs/connectors.md)
	// Claim marks a callback caisse cannot authenticate (MTN's is unsigned):
	// checkout asks Status and settles from its answer, never from the claim.
	Claim bool
	// Check is the secret a notification carried, compared with the payment's
	// Started.Check; empty when the connector authenticated it otherwise.
	Check string
}

// Failure reasons connectors report (Result.FailureReason): each operator's
// error codes map onto these (docs/connectors.md has the tables).
const (
	ReasonInsufficientFunds = "insufficient_funds" // the customer's balance is too low
	ReasonCustomerRejected  = "customer_rejected"  // the customer declined, or cancelled on the operator's page
	ReasonTimeout           = "timeout"            // the customer did not approve in the operator's time
	ReasonPayerNotFound     = "payer_not_found"    // no wallet, or an inactive one, for that number
	ReasonLimitExceeded     = "limit_exceeded"     // over the wallet's or merchant's limits
	ReasonGenericDecline    = "generic_decline"    // the operator declined without a reason caisse knows
)

// ErrSignature means an operator callback's signature is missing, wrong or
// outside the timestamp tolerance; nothing in it may be trusted.
var ErrSignature = errors.New("connector: bad callback signature")

// ErrMalformed means a well-signed callback does not say anything caisse
// understands (bad JSON, an unknown status, a missing id).
var ErrMalformed = errors.New("connector: malformed callback")

// ErrRefused means the operator definitively did not accept a payment: it
// refused the start request with a 4xx other than 408, 409, 425 and 429, so no
// money can move. Only Initiate returns it.
var ErrRefused = errors.New("connector: the operator refused the payment")

// ErrNoPayment means the operator has no payment for that id or reference: it
// answered 404 to a status query.
var ErrNoPayment = errors.New("connector: the operator has no such payment")

// ErrUnsupported means the connector has no such capability (the test
// connector receives no callbacks).
var ErrUnsupported = errors.New("connector: not supported")

// Connector is one way of collecting mobile money.
type Connector interface {
	// Name is the connector's id, as in /v1/connectors/{id}/callback.
	Name() string
	// Flow is FlowPush or FlowRedirect.
	Flow() string
	// Initiate starts p with the operator. An error wrapping ErrRefused means
	// the operator definitively did not accept the payment. Any other error is
	// ambiguous (a timeout, a lost connection, a 5xx, a 408, 409, 425 or 429, an
	// answer caisse cannot read): the operator may have accepted the payment,
	// and only Status can tell. Repeating it for the same p.Attempt must not
	// start a second payment.
	Initiate(ctx context.Context, p Payment) (Started, error)
	// Callback verifies and interprets an operator's notification whose body
	// has already been read; a forged one is ErrSignature, one that says
	// nothing caisse understands is ErrMalformed.
	Callback(r *http.Request, body []byte) (Result, error)
	// Status asks the operator where payment p stands: by the operator's
	// payment id ref, or, when ref is empty (Initiate's answer was lost), by
	// p.Attempt or p.SessionID where the operator can look a payment up so. An
	// error wrapping ErrNoPayment means the operator has no such payment (or,
	// with ref empty, cannot have one the customer could pay); any other error
	// says nothing about the payment.
	Status(ctx context.Context, p Payment, ref string) (Result, error)
}

// Expirer is a connector whose operator can end a payment the customer has
// not made (Wave's expire), so that a session caisse expired or cancelled
// cannot be paid afterwards. Expire is safe to repeat; ErrNoPayment means
// there is nothing to end.
type Expirer interface {
	Expire(ctx context.Context, p Payment, ref string) error
}

// Config is one configured connector, as `caisse connectors set` stores it.
type Config struct {
	ID          string // "conn_…" for a merchant's connector; the server-wide one's name otherwise
	Kind        string // a Kind's Name
	Livemode    bool
	BaseURL     string            // the operator's API root, e.g. https://sandbox.momodeveloper.mtn.com
	Credentials map[string]string // by the Kind's Credential names
	CallbackURL string            // {CAISSE_PUBLIC_URL}/v1/connectors/{ID}/callback
	Timeout     time.Duration     // of each request to the operator, answer included; 0 means DefaultTimeout
	Client      *http.Client      // nil means a client of its own; Timeout applies either way
	Now         func() time.Time  // nil means time.Now
}

// Kind is a kind of operator API caisse speaks.
type Kind struct {
	Name        string       // as in --kind: "mtn_momo", "orange_money", "wave", "http"
	Flow        string       // FlowPush or FlowRedirect
	Doc         string       // the public document and version the connector follows
	Credentials []Credential // what `caisse connectors set --credential NAME=VALUE` takes
	New         func(Config) (Connector, error)
}

// Credential is one credential a Kind takes.
type Credential struct {
	Name     string // e.g. "api_key"
	Secret   bool   // masked by `connectors list`
	Optional bool
	Doc      string // one line: what it is and where the operator gives it
}

// Check reports the first problem with c's credentials for k: a required one
// missing or empty, or one k does not take.
func (k Kind) Check(c map[string]string) error {
	for _, cr := range k.Credentials {
		if !cr.Optional && c[cr.Name] == "" {
			return fmt.Errorf("connector kind %s needs credential %s (%s)", k.Name, cr.Name, cr.Doc)
		}
	}
	for name := range c {
		if !slices.ContainsFunc(k.Credentials, func(cr Credential) bool { return cr.Name == name }) {
			return fmt.Errorf("connector kind %s takes no credential %s", k.Name, name)
		}
	}
	return nil
}
