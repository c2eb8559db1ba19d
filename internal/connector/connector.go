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
	"net/http"
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

// Payment is a request to collect an amount from a customer's phone.
type Payment struct {
	SessionID string // caisse's session id; the operator echoes it as its reference
	Livemode  bool
	Amount    int64  // minor units
	Currency  string // ISO 4217
	Phone     string // E.164
	Channel   string // one of Channels
}

// Result is what an operator says about a payment.
type Result struct {
	SessionID     string // the Payment's SessionID
	Ref           string // the operator's own payment id
	Status        string // one of the Status constants
	FailureReason string // set when Status is StatusFailed
}

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
	// Name is the connector's name, as in /v1/connectors/{name}/callback.
	Name() string
	// Initiate asks the customer's phone to approve p and returns the operator's
	// payment id. An error wrapping ErrRefused means the operator definitively did
	// not accept the payment. Any other error is ambiguous (a timeout, a lost
	// connection, a 5xx, a 408, 409, 425 or 429, an answer caisse cannot read):
	// the operator may have accepted the payment, and only Status can tell.
	Initiate(ctx context.Context, p Payment) (ref string, err error)
	// Callback verifies and interprets an operator's callback request whose
	// body has already been read; a bad signature is ErrSignature.
	Callback(r *http.Request, body []byte) (Result, error)
	// Status asks the operator where the payment of session sessionID stands: by
	// the operator's payment id ref, or, when ref is empty (Initiate's answer was
	// lost), by sessionID, the payment's reference. An error wrapping
	// ErrNoPayment means the operator has no such payment; any other error says
	// nothing about the payment.
	Status(ctx context.Context, sessionID, ref string) (Result, error)
}
