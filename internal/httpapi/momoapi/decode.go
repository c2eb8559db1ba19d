package momoapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/httpapi"
	"github.com/caisse/caisse/internal/store"
)

var createFields = map[string]bool{
	"amount": true, "currency": true, "user_phone": true, "description": true, "expires_in": true,
	"payment_id": true, "customer_id": true, "metadata": true,
}

// decodeObject parses a JSON object body, refusing fields not in allowed (nil allows none).
func decodeObject(body []byte, allowed map[string]bool) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, httpapi.Invalid("", "invalid_json", "The request body must be a JSON object: %s", describe(err))
	}
	var unknown []string
	for k := range obj {
		if !allowed[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, httpapi.Invalid(unknown[0], "parameter_unknown", "Received unknown parameter: %s", unknown[0])
	}
	return obj, nil
}

func describe(err error) string {
	if err == nil {
		return "got null"
	}
	return err.Error()
}

var confirmFields = map[string]bool{"channel": true, "user_phone": true}

func decodeConfirm(body []byte) (checkout.ConfirmParams, error) {
	var p checkout.ConfirmParams
	obj, err := decodeObject(body, confirmFields)
	if err != nil {
		return p, err
	}
	if raw, ok := obj["channel"]; !ok || string(raw) == "null" {
		return p, httpapi.Invalid("channel", "parameter_missing", "Missing required param: channel.")
	}
	if err := jsonString(obj, "channel", &p.Channel); err != nil {
		return p, err
	}
	return p, jsonString(obj, "user_phone", &p.UserPhone)
}

func decodeCreate(body []byte) (checkout.CreateParams, error) {
	var p checkout.CreateParams
	obj, err := decodeObject(body, createFields)
	if err != nil {
		return p, err
	}
	for _, req := range []string{"amount", "currency", "user_phone"} {
		if raw, ok := obj[req]; !ok || string(raw) == "null" {
			return p, httpapi.Invalid(req, "parameter_missing", "Missing required param: %s.", req)
		}
	}
	steps := []error{
		jsonInt(obj, "amount", &p.Amount),
		jsonString(obj, "currency", &p.Currency),
		jsonString(obj, "user_phone", &p.UserPhone),
		jsonString(obj, "description", &p.Description),
		jsonInt(obj, "expires_in", &p.ExpiresIn),
		jsonString(obj, "payment_id", &p.PaymentID),
		jsonString(obj, "customer_id", &p.CustomerID),
		jsonMetadata(obj, &p.Metadata),
	}
	for _, err := range steps {
		if err != nil {
			return p, err
		}
	}
	if p.UserPhone == "" { // required here, though a session made elsewhere may have none
		return p, httpapi.Invalid("user_phone", "parameter_invalid", "user_phone: must be a valid phone number in E.164 form, such as +2250707000001")
	}
	if raw, set := obj["expires_in"]; set && string(raw) != "null" && p.ExpiresIn == 0 {
		return p, httpapi.Invalid("expires_in", "parameter_invalid", "expires_in must be between %d and %d seconds.",
			checkout.MinExpiresIn, checkout.MaxExpiresIn)
	}
	return p, nil
}

// jsonInt reads an optional JSON integer; floats, strings and values beyond int64 are refused.
func jsonInt(obj map[string]json.RawMessage, name string, dst *int64) error {
	raw, ok := obj[name]
	if !ok || string(raw) == "null" {
		return nil
	}
	// raw is one JSON value, as written (decodeObject parsed the body): a
	// string, even "5000", a fraction or an exponent is no integer literal;
	// digits beyond int64 are one out of range.
	v, err := strconv.ParseInt(string(raw), 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return httpapi.Invalid(name, "parameter_invalid_integer", "%s must be an integer between %d and %d.",
			name, math.MinInt64, math.MaxInt64)
	case err != nil:
		return httpapi.Invalid(name, "parameter_invalid_integer", "%s must be an integer.", name)
	}
	*dst = v
	return nil
}

func jsonString(obj map[string]json.RawMessage, name string, dst *string) error {
	raw, ok := obj[name]
	if !ok || string(raw) == "null" {
		return nil
	}
	if json.Unmarshal(raw, dst) != nil {
		return httpapi.Invalid(name, "parameter_invalid_string", "%s must be a string.", name)
	}
	return nil
}

func jsonMetadata(obj map[string]json.RawMessage, dst *map[string]string) error {
	raw, ok := obj["metadata"]
	if !ok || string(raw) == "null" {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return httpapi.Invalid("metadata", "parameter_invalid", "metadata must be an object of string values.")
	}
	out := make(map[string]string, len(m))
	for k := range m {
		var v string
		if err := jsonString(m, k, &v); err != nil {
			return httpapi.Invalid("metadata["+k+"]", "parameter_invalid_string", "metadata values must be strings.")
		}
		out[k] = v
	}
	*dst = out
	return nil
}

var (
	listParams   = map[string]bool{"status": true, "limit": true, "offset": true}
	searchParams = map[string]bool{
		"status": true, "limit": true, "offset": true, "reference": true, "user_phone": true, "amount_min": true,
		"amount_max": true, "start_date": true, "end_date": true, "customer_id": true,
	}
)

// Paging bounds.
const (
	DefaultLimit = 50
	MaxLimit     = 100
	MaxOffset    = 1_000_000_000
)

func parseFilter(rawQuery string, allowed map[string]bool) (store.SessionFilter, error) {
	f := store.SessionFilter{Limit: DefaultLimit}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return f, httpapi.Invalid("", "parameter_invalid", "The query string is malformed: %v", err)
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		if !allowed[name] {
			return f, httpapi.Invalid(name, "parameter_unknown", "Received unknown parameter: %s", name)
		}
		if len(q[name]) > 1 {
			return f, httpapi.Invalid(name, "parameter_invalid", "%s was given more than once.", name)
		}
		if err := setFilter(&f, name, q.Get(name)); err != nil {
			return f, err
		}
	}
	return f, nil
}

func setFilter(f *store.SessionFilter, name, v string) error {
	var err error
	switch name {
	case "status":
		if v != "" {
			f.Statuses = []checkout.Status{checkout.Status(v)}
		}
	case "reference":
		f.PaymentID, err = queryText(name, v)
	case "user_phone":
		f.UserPhone = unescapedPlus(v)
	case "customer_id":
		f.CustomerID, err = queryText(name, v)
	case "limit":
		var n int64
		n, err = queryInt(name, v, 1, MaxLimit)
		f.Limit = int(n)
	case "offset":
		f.Offset, err = queryInt(name, v, 0, MaxOffset)
	case "amount_min", "amount_max":
		var n int64
		if n, err = queryInt(name, v, 0, checkout.MaxAmount); err == nil {
			if name == "amount_min" {
				f.AmountMin = &n
			} else {
				f.AmountMax = &n
			}
		}
	case "start_date":
		f.CreatedFrom, err = queryTime(name, v, false)
	case "end_date":
		f.CreatedBefore, err = queryTime(name, v, true)
	}
	return err
}

// queryText refuses what no engine can compare as text: invalid UTF-8 and NUL characters.
func queryText(name, v string) (string, error) {
	if !checkout.Storable(v) {
		return "", httpapi.Invalid(name, "parameter_invalid", "%s must be UTF-8 text without NUL characters.", name)
	}
	return v, nil
}

func queryInt(name, v string, lo, hi int64) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, httpapi.Invalid(name, "parameter_invalid_integer", "%s must be an integer between %d and %d.", name, lo, hi)
	}
	return n, nil
}

// unescapedPlus puts back the '+' a query string turns into a space when the
// client did not escape it (+2250707… or 2024-01-01T10:00:00+01:00); neither
// phone numbers nor times contain spaces.
func unescapedPlus(v string) string { return strings.ReplaceAll(v, " ", "+") }

// queryTime reads a date (the whole day, UTC) or an RFC 3339 time, from 1970
// to the end of 9999 (checkout.MinUnix, checkout.MaxUnix). As an end
// bound it returns the first instant after the range, so that the end is
// inclusive: to the second when the time has no fraction (as caisse shows
// times), else to the microsecond.
func queryTime(name, v string, end bool) (*time.Time, error) {
	t, err := time.Parse(time.DateOnly, v)
	next := t.AddDate(0, 0, 1) // the first instant after the range
	if err != nil {
		t, err = time.Parse(time.RFC3339Nano, unescapedPlus(v))
		t = t.UTC()
		next = t.Add(time.Second)
		if t.Nanosecond() != 0 {
			next = t.Add(time.Microsecond).Truncate(time.Microsecond)
		}
	}
	switch {
	case err != nil:
		return nil, httpapi.Invalid(name, "parameter_invalid", "%s must be a date (2024-01-31) or an RFC 3339 time (2024-01-31T23:59:59Z).", name)
	case t.Unix() < checkout.MinUnix || t.Unix() > checkout.MaxUnix:
		return nil, httpapi.Invalid(name, "parameter_invalid", "%s must be between 1970-01-01 and 9999-12-31 (UTC).", name)
	case end:
		return &next, nil
	}
	return &t, nil
}
