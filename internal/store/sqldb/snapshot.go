package sqldb

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/caisse/caisse/internal/store"
)

// An event keeps the session as it was right after the change (events.data),
// and /v1/events and every redelivered webhook render that snapshot, maybe
// years and many upgrades later. So its JSON shape is written down here, key
// by key, with its version in "v", and never follows store.Session's Go names.
//
// Versions:
//   - v0 (no "v"): what encoding/json made of the untagged store.Session
//     before versions existed: Go field names as keys, Scope's fields
//     promoted, times in RFC 3339 with nanoseconds. Read by renaming its keys
//     to v1's (v0Keys); events older than a field simply lack its key.
//   - v1: times in UTC to the microsecond (snapshotTime).
//   - v2: v1 and the payment attempt (attempt, connector_url,
//     connector_check); a v1 snapshot reads with them empty.
//   - v3: snapshotV3: v2 and customer_creation; older snapshots read with it empty.
//
// Changing the shape (a new session field, a renamed key, another format):
// bump snapshotVersion, add the field or key, write testdata/session_vN.json by
// hand, keep every older golden as a decoding case, and make sure the decoder
// still reads every older version (a missing key reads as its zero value; a
// renamed or retyped one needs a case in decodeSnapshot). TestSnapshotGolden
// and TestSnapshotCarriesEveryField fail until this is done.

// snapshotVersion is the version encodeSnapshot writes.
const snapshotVersion = 3

// snapshotTime is how a snapshot writes a time: RFC 3339 in UTC with exactly
// six fractional digits (every engine keeps microseconds).
const snapshotTime = "2006-01-02T15:04:05.000000Z07:00"

// snapshotV3 is version 3 of the session stored in an event (and reads v1 and v2). Its JSON keys
// are the stored shape: never rename, retype or drop one.
type snapshotV3 struct {
	V                  int               `json:"v"`
	Seq                int64             `json:"seq"`
	ID                 string            `json:"id"`
	MerchantID         string            `json:"merchant_id"`
	Livemode           bool              `json:"livemode"`
	Status             string            `json:"status"`
	Amount             int64             `json:"amount"`
	Currency           string            `json:"currency"`
	UserPhone          string            `json:"user_phone"`
	PaymentID          string            `json:"payment_id"`
	CustomerID         string            `json:"customer_id"`
	Description        string            `json:"description"`
	Metadata           map[string]string `json:"metadata"`
	TransactionFee     int64             `json:"transaction_fee"`
	SuccessURL         string            `json:"success_url"`
	CancelURL          string            `json:"cancel_url"`
	CustomerEmail      string            `json:"customer_email"`
	Locale             string            `json:"locale"`
	PaymentMethodTypes []string          `json:"payment_method_types"`
	LineItems          []store.LineItem  `json:"line_items"` // store.LineItem's tags, pinned by the goldens
	FailureReason      string            `json:"failure_reason"`
	CreatedAt          string            `json:"created_at"`
	UpdatedAt          string            `json:"updated_at"`
	ExpiresAt          string            `json:"expires_at"`
	CompletedAt        *string           `json:"completed_at"` // null until completed
	Channel            string            `json:"channel"`
	ConnectorRef       string            `json:"connector_ref"`
	Attempt            string            `json:"attempt"`
	ConnectorURL       string            `json:"connector_url"`
	ConnectorCheck     string            `json:"connector_check"`
	CustomerCreation   string            `json:"customer_creation"`
}

// v0Keys freeze the v0 shape: each key encoding/json gave the untagged
// store.Session, and the v1 key that carries the same value. v0 values are
// already v1 values (v1 reads RFC 3339 times of any precision and zone).
var v0Keys = map[string]string{
	"Seq": "seq", "ID": "id", "MerchantID": "merchant_id", "Livemode": "livemode", "Status": "status",
	"Amount": "amount", "Currency": "currency", "UserPhone": "user_phone", "PaymentID": "payment_id",
	"CustomerID": "customer_id", "Description": "description", "Metadata": "metadata",
	"TransactionFee": "transaction_fee", "SuccessURL": "success_url", "CancelURL": "cancel_url",
	"CustomerEmail": "customer_email", "Locale": "locale", "PaymentMethodTypes": "payment_method_types",
	"LineItems": "line_items", "FailureReason": "failure_reason", "CreatedAt": "created_at",
	"UpdatedAt": "updated_at", "ExpiresAt": "expires_at", "CompletedAt": "completed_at",
	"Channel": "channel", "ConnectorRef": "connector_ref",
}

// encodeSnapshot writes s as the current snapshot version.
func encodeSnapshot(s store.Session) (string, error) {
	var completed *string
	if s.CompletedAt != nil {
		t := s.CompletedAt.UTC().Format(snapshotTime)
		completed = &t
	}
	b, err := json.Marshal(snapshotV3{
		V: snapshotVersion, Seq: s.Seq, ID: s.ID, MerchantID: s.MerchantID, Livemode: s.Livemode,
		Status: string(s.Status), Amount: s.Amount, Currency: s.Currency, UserPhone: s.UserPhone,
		PaymentID: s.PaymentID, CustomerID: s.CustomerID, Description: s.Description, Metadata: s.Metadata,
		TransactionFee: s.TransactionFee, SuccessURL: s.SuccessURL, CancelURL: s.CancelURL,
		CustomerEmail: s.CustomerEmail, Locale: s.Locale, PaymentMethodTypes: s.PaymentMethodTypes,
		LineItems: s.LineItems, FailureReason: s.FailureReason,
		CreatedAt:   s.CreatedAt.UTC().Format(snapshotTime),
		UpdatedAt:   s.UpdatedAt.UTC().Format(snapshotTime),
		ExpiresAt:   s.ExpiresAt.UTC().Format(snapshotTime),
		CompletedAt: completed, Channel: s.Channel, ConnectorRef: s.ConnectorRef,
		Attempt: s.Attempt, ConnectorURL: s.ConnectorURL, ConnectorCheck: s.ConnectorCheck,
		CustomerCreation: s.CustomerCreation,
	})
	return string(b), err
}

// decodeSnapshot reads a snapshot of any version this build knows into s.
func decodeSnapshot(data []byte, s *store.Session) error {
	var v snapshotV3
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("event snapshot: %w", err)
	}
	switch {
	case v.V == 0:
		// Key matching is case-insensitive, so some v0 keys filled v: read it again, renamed.
		v = snapshotV3{}
		if err := decodeV0(data, &v); err != nil {
			return fmt.Errorf("event snapshot v0: %w", err)
		}
	case v.V > snapshotVersion:
		return fmt.Errorf("event snapshot: version %d is newer than this build reads (%d)", v.V, snapshotVersion)
	}
	var err error
	*s, err = v.session()
	return err
}

// decodeV0 reads a v0 snapshot into v by renaming its keys.
func decodeV0(data []byte, v *snapshotV3) error {
	var old map[string]json.RawMessage
	if err := json.Unmarshal(data, &old); err != nil {
		return err
	}
	renamed := make(map[string]json.RawMessage, len(old))
	for k, raw := range old {
		if k1, ok := v0Keys[k]; ok {
			renamed[k1] = raw
		}
	}
	b, err := json.Marshal(renamed)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// session is the store.Session v describes.
func (v snapshotV3) session() (store.Session, error) {
	var s store.Session
	var errs [4]error
	s.CreatedAt, errs[0] = snapshotTimeParse(v.CreatedAt)
	s.UpdatedAt, errs[1] = snapshotTimeParse(v.UpdatedAt)
	s.ExpiresAt, errs[2] = snapshotTimeParse(v.ExpiresAt)
	if v.CompletedAt != nil {
		var t time.Time
		t, errs[3] = snapshotTimeParse(*v.CompletedAt)
		s.CompletedAt = &t
	}
	for _, err := range errs {
		if err != nil {
			return s, fmt.Errorf("event snapshot: %w", err)
		}
	}
	s.Seq, s.ID, s.MerchantID, s.Livemode, s.Status = v.Seq, v.ID, v.MerchantID, v.Livemode, store.Status(v.Status)
	s.Amount, s.Currency, s.UserPhone, s.PaymentID = v.Amount, v.Currency, v.UserPhone, v.PaymentID
	s.CustomerID, s.Description, s.Metadata, s.TransactionFee = v.CustomerID, v.Description, v.Metadata, v.TransactionFee
	s.SuccessURL, s.CancelURL, s.CustomerEmail, s.Locale = v.SuccessURL, v.CancelURL, v.CustomerEmail, v.Locale
	s.PaymentMethodTypes, s.LineItems, s.FailureReason = v.PaymentMethodTypes, v.LineItems, v.FailureReason
	s.Channel, s.ConnectorRef = v.Channel, v.ConnectorRef
	s.Attempt, s.ConnectorURL, s.ConnectorCheck = v.Attempt, v.ConnectorURL, v.ConnectorCheck
	s.CustomerCreation = v.CustomerCreation
	return s, nil
}

// snapshotTimeParse reads an RFC 3339 time of any precision and zone, in UTC;
// a missing time ("") is the zero time.
func snapshotTimeParse(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	return t.UTC(), err
}
