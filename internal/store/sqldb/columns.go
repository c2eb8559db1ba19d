package sqldb

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caisse/caisse/internal/store"
)

// column is one column of a table and how a row type's field travels through
// it: the argument an INSERT binds from the row, and the destination a SELECT
// scans into the row. A column the database fills (seq) has no argument; one
// written but never read back (events.session_id) has no destination.
type column[T any] struct {
	name string
	arg  func(e Engine, row *T) (any, error) // nil: not inserted
	dest func(row *T) any                    // nil: not selected
}

// table describes a table once: SELECT lists, INSERT statements, their
// arguments and scans are all made from it, so a new column is one entry here
// (and a migration per engine).
type table[T any] struct {
	name    string
	columns []column[T] // in SELECT (and scan) order
}

// list is the columns a SELECT or RETURNING reads, in scan order: "seq, id, …".
func (t table[T]) list() string { return t.listOf("") }

// listOf is list with each column named as alias's: "e.seq, e.id, …".
func (t table[T]) listOf(alias string) string {
	var names []string
	for _, c := range t.columns {
		if c.dest != nil {
			names = append(names, qualify(alias, c.name))
		}
	}
	return strings.Join(names, ", ")
}

// qualify is column as alias's, or as it is without an alias.
func qualify(alias, column string) string {
	if alias == "" {
		return column
	}
	return alias + "." + column
}

// insert is the INSERT of every column that has an argument, bound to $1, $2, …
// in the order args gives them.
func (t table[T]) insert() string { return t.insertRows(1) }

// insertRows is insert of n rows in one statement: the first row's arguments
// bound to $1, $2, …, then the next row's, and so on.
func (t table[T]) insertRows(n int) string {
	names := t.written()
	rows := make([]string, n)
	for r := range rows {
		marks := make([]string, len(names))
		for i := range marks {
			marks[i] = fmt.Sprintf("$%d", r*len(names)+i+1)
		}
		rows[r] = "(" + strings.Join(marks, ", ") + ")"
	}
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES %s", t.name, strings.Join(names, ", "), strings.Join(rows, ", "))
}

// written are the columns an INSERT writes (those with an argument), in the
// order args gives their values.
func (t table[T]) written() []string {
	var names []string
	for _, c := range t.columns {
		if c.arg != nil {
			names = append(names, c.name)
		}
	}
	return names
}

// update is the UPDATE of the named columns of the row with merchant_id $1,
// livemode $2 and id $3, the columns bound to $4, $5, … in that order, returning
// every column (list).
func (t table[T]) update(names ...string) string {
	sets := make([]string, len(names))
	for i, n := range names {
		sets[i] = fmt.Sprintf("%s = $%d", n, i+4)
	}
	return fmt.Sprintf("UPDATE %s SET %s WHERE merchant_id = $1 AND livemode = $2 AND id = $3 RETURNING %s",
		t.name, strings.Join(sets, ", "), t.list())
}

// updateArgs are the arguments of update(names...) for row: its scope and id,
// then the named columns' values.
func (t table[T]) updateArgs(e Engine, row *T, names ...string) ([]any, error) {
	all, err := t.args(e, row)
	if err != nil {
		return nil, err
	}
	written := t.written()
	at := func(name string) any { return all[slices.Index(written, name)] }
	args := []any{at("merchant_id"), at("livemode"), at("id")}
	for _, n := range names {
		args = append(args, at(n))
	}
	return args, nil
}

// args are row's INSERT arguments, in the order of insert's placeholders.
func (t table[T]) args(e Engine, row *T) ([]any, error) {
	args := make([]any, 0, len(t.columns))
	for _, c := range t.columns {
		if c.arg == nil {
			continue
		}
		v, err := c.arg(e, row)
		if err != nil {
			return nil, fmt.Errorf("sqldb: %s.%s: %w", t.name, c.name, err)
		}
		args = append(args, v)
	}
	return args, nil
}

// scan reads one row of list's columns.
func (t table[T]) scan(row scanner) (T, error) {
	var v T
	err := row.Scan(t.dests(&v)...)
	return v, err
}

// dests are the scan destinations of list's columns in v, for a row that
// reads them beside others.
func (t table[T]) dests(v *T) []any {
	dests := make([]any, 0, len(t.columns))
	for _, c := range t.columns {
		if c.dest != nil {
			dests = append(dests, c.dest(v))
		}
	}
	return dests
}

// scoped are the columns every scoped row begins with (seq, id, merchant_id,
// livemode; head points at those fields), then rest.
func scoped[T any](head func(*T) (*int64, *string, *store.Scope), rest ...column[T]) []column[T] {
	seq := func(row *T) *int64 { p, _, _ := head(row); return p }
	id := func(row *T) *string { _, p, _ := head(row); return p }
	scope := func(row *T) *store.Scope { _, _, p := head(row); return p }
	return append([]column[T]{
		generated("seq", seq),
		value("id", id),
		value("merchant_id", func(row *T) *string { return &scope(row).MerchantID }),
		value("livemode", func(row *T) *bool { return &scope(row).Livemode }),
	}, rest...)
}

// value is a column database/sql converts both ways as it is (strings, integers, booleans).
func value[T, F any](name string, field func(*T) *F) column[T] {
	return column[T]{name: name,
		arg:  func(_ Engine, row *T) (any, error) { return *field(row), nil },
		dest: func(row *T) any { return field(row) }}
}

// nullText is a text column stored as NULL when the field is "", read back as "".
func nullText[T any](name string, field func(*T) *string) column[T] {
	return column[T]{name: name,
		arg: func(_ Engine, row *T) (any, error) {
			if *field(row) == "" {
				return nil, nil
			}
			return *field(row), nil
		},
		dest: func(row *T) any { return nullTextDest{field(row)} }}
}

// generated is a column the database fills (seq): read, never inserted.
func generated[T any](name string, field func(*T) *int64) column[T] {
	return column[T]{name: name, dest: func(row *T) any { return field(row) }}
}

// insertOnly is a column written from the row but not read back into it.
func insertOnly[T any](name string, arg func(*T) any) column[T] {
	return column[T]{name: name, arg: func(_ Engine, row *T) (any, error) { return arg(row), nil }}
}

// timestamp is a time stored as the engine stores times (Engine.TimeArg), read back in UTC.
func timestamp[T any](name string, field func(*T) *time.Time) column[T] {
	return column[T]{name: name,
		arg:  func(e Engine, row *T) (any, error) { return e.TimeArg(*field(row)), nil },
		dest: func(row *T) any { return timeDest{field(row)} }}
}

// nullTimestamp is a timestamp that may be missing: NULL for a nil field.
func nullTimestamp[T any](name string, field func(*T) **time.Time) column[T] {
	return column[T]{name: name,
		arg:  func(e Engine, row *T) (any, error) { return nullTimeArg(e, *field(row)), nil },
		dest: func(row *T) any { return nullTimeDest{field(row)} }}
}

// micros is a duration stored as a whole number of microseconds.
func micros[T any](name string, field func(*T) *time.Duration) column[T] {
	return column[T]{name: name,
		arg:  func(_ Engine, row *T) (any, error) { return field(row).Microseconds(), nil },
		dest: func(row *T) any { return microsDest{field(row)} }}
}

// commaList is a list of strings stored joined by commas; "" reads back as nil.
func commaList[T any](name string, field func(*T) *[]string) column[T] {
	return column[T]{name: name,
		arg:  func(_ Engine, row *T) (any, error) { return strings.Join(*field(row), ","), nil },
		dest: func(row *T) any { return commaDest{field(row)} }}
}

// jsonText is a field stored as JSON text (jsonb on PostgreSQL), nilAs in
// place of a nil map or slice when nilAs is not empty.
func jsonText[T, F any](name string, field func(*T) *F, nilAs string) column[T] {
	return column[T]{name: name,
		arg:  func(_ Engine, row *T) (any, error) { return jsonArg(*field(row), nilAs) },
		dest: func(row *T) any { return jsonDest{field(row)} }}
}

// codec is a column stored as JSON text in a shape of its own: enc gives the
// text of a field, dec reads it back.
func codec[T, F any](name string, field func(*T) *F, enc func(F) (string, error), dec func([]byte, *F) error) column[T] {
	return column[T]{name: name,
		arg:  func(_ Engine, row *T) (any, error) { return enc(*field(row)) },
		dest: func(row *T) any { return codecDest[F]{field(row), dec} }}
}

// jsonArg encodes v as JSON text, or gives nilAs for a nil map or slice when nilAs is set.
func jsonArg(v any, nilAs string) (string, error) {
	b, err := json.Marshal(v)
	if nilAs != "" && string(b) == "null" {
		return nilAs, err
	}
	return string(b), err
}

func nullTimeArg(e Engine, t *time.Time) any {
	if t == nil {
		return nil
	}
	return e.TimeArg(*t)
}

// text is what a text (or jsonb) column scans as: PostgreSQL gives []byte, SQLite string.
func text(src any) ([]byte, error) {
	switch v := src.(type) {
	case []byte:
		return v, nil
	case string:
		return []byte(v), nil
	}
	return nil, fmt.Errorf("cannot scan %T as text", src)
}

type timeDest struct{ p *time.Time }

func (d timeDest) Scan(src any) error {
	var t Time
	err := t.Scan(src)
	*d.p = t.T
	return err
}

type nullTimeDest struct{ p **time.Time }

func (d nullTimeDest) Scan(src any) error {
	var t NullTime
	err := t.Scan(src)
	*d.p = t.Ptr()
	return err
}

type nullTextDest struct{ p *string }

func (d nullTextDest) Scan(src any) error {
	*d.p = ""
	if src == nil {
		return nil
	}
	b, err := text(src)
	*d.p = string(b)
	return err
}

type microsDest struct{ p *time.Duration }

func (d microsDest) Scan(src any) error {
	us, ok := src.(int64)
	if !ok {
		return fmt.Errorf("cannot scan %T as microseconds", src)
	}
	*d.p = time.Duration(us) * time.Microsecond
	return nil
}

type commaDest struct{ p *[]string }

func (d commaDest) Scan(src any) error {
	b, err := text(src)
	*d.p = nil
	if len(b) > 0 {
		*d.p = strings.Split(string(b), ",")
	}
	return err
}

type jsonDest struct{ p any }

func (d jsonDest) Scan(src any) error {
	b, err := text(src)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, d.p)
}

type codecDest[F any] struct {
	p   *F
	dec func([]byte, *F) error
}

func (d codecDest[F]) Scan(src any) error {
	b, err := text(src)
	if err != nil {
		return err
	}
	return d.dec(b, d.p)
}
