package sqldb

import (
	"fmt"
	"time"
)

// Time scans a timestamp stored either as a native time (PostgreSQL) or as
// Unix microseconds (SQLite), always returning UTC.
type Time struct{ T time.Time }

// Scan implements sql.Scanner.
func (t *Time) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		t.T = time.UnixMicro(v).UTC()
	case time.Time:
		t.T = v.UTC()
	default:
		return fmt.Errorf("sqldb: cannot scan %T into a time", src)
	}
	return nil
}

// NullTime is Time that may be NULL.
type NullTime struct {
	Time
	Valid bool
}

// Scan implements sql.Scanner.
func (t *NullTime) Scan(src any) error {
	if t.Valid = src != nil; !t.Valid {
		return nil
	}
	return t.Time.Scan(src)
}

// Ptr returns the time, or nil when NULL.
func (t NullTime) Ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.T
}
