package sqldb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/caisse/caisse/internal/store"
)

// The goldens in testdata are the stored shapes of an event's session, one
// file a version. They are written by hand and change only with a version
// bump (see snapshot.go): no flag rewrites them.

// goldenSession is the session every golden describes: every field set, with
// text that JSON escapes (<, &, quotes, non-ASCII) and a line item without
// its optional description.
func goldenSession() store.Session {
	created := time.Date(2024, 2, 1, 10, 20, 30, 123456000, time.UTC)
	completed := created.Add(2*time.Minute + 250*time.Microsecond)
	return store.Session{
		Seq: 4711, ID: "cs_test_a1B2c3D4", Scope: store.Scope{MerchantID: "mer_golden", Livemode: true},
		Status: "completed", Amount: 5000, Currency: "XOF", UserPhone: "+2250707000001", PaymentID: "ORDER_42",
		CustomerID: "cus_7", Description: "Panier « été »",
		Metadata:       map[string]string{"order": "42", "note": `<b>"l'été" & co</b>`},
		TransactionFee: 25,
		SuccessURL:     "https://shop.example/ok?s={CHECKOUT_SESSION_ID}&x=1", CancelURL: "https://shop.example/back",
		CustomerEmail: "awa@example.com", Locale: "fr", PaymentMethodTypes: []string{"mobile_money", "card"},
		LineItems: []store.LineItem{
			{ID: "li_1", PriceID: "price_1", ProductID: "prod_1", Name: "Attiéké", Description: "poisson", UnitAmount: 1500, Quantity: 2},
			{ID: "li_2", PriceID: "price_2", ProductID: "prod_2", Name: "Bissap", UnitAmount: 2000, Quantity: 1},
		},
		FailureReason: "insufficient_funds",
		CreatedAt:     created, UpdatedAt: completed, ExpiresAt: created.Add(30 * time.Minute), CompletedAt: &completed,
		Channel: "orange_money", ConnectorRef: "op_8f3a",
		Attempt: "6f1c2b7e-3d4a-4f5b-9c8d-0e1f2a3b4c5d", ConnectorURL: "https://webpayment.orange.example/pay/v1?t=x&y=<1>",
		ConnectorCheck:   "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		CustomerCreation: "always",
	}
}

// readGolden reads testdata/name.
func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSnapshotGolden: the current version writes goldenSession exactly as its
// golden says. The golden is indented for reading; json.Compact takes out only
// the whitespace between tokens, so the comparison is byte for byte with what
// EventCreate stores (key order, escapes, number and time formats).
func TestSnapshotGolden(t *testing.T) {
	t.Parallel()
	name := fmt.Sprintf("session_v%d.json", snapshotVersion)
	golden := readGolden(t, name)
	var want bytes.Buffer
	if err := json.Compact(&want, golden); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	got, err := encodeSnapshot(goldenSession())
	if err != nil {
		t.Fatal(err)
	}
	if got != want.String() {
		var indented bytes.Buffer
		_ = json.Indent(&indented, []byte(got), "", "\t")
		t.Errorf("the encoding differs from testdata/%s (a change of shape is a new version: see snapshot.go); -golden +encoded:\n%s",
			name, cmp.Diff(string(golden), indented.String()+"\n"))
	}
}

// TestSnapshotDecode reads every golden, of every version, into the session it describes.
func TestSnapshotDecode(t *testing.T) {
	t.Parallel()
	early := goldenSession() // before channel and connector_ref existed, an event of a pending session
	early.Status, early.FailureReason, early.CompletedAt, early.Channel, early.ConnectorRef = "pending", "", nil, "", ""
	v2 := goldenSession() // before customer_creation was kept
	v2.CustomerCreation, early.CustomerCreation = "", ""
	v1 := v2 // before payment attempts were kept
	v1.Attempt, v1.ConnectorURL, v1.ConnectorCheck = "", "", ""
	early.Attempt, early.ConnectorURL, early.ConnectorCheck = "", "", ""
	for _, c := range []struct {
		file string
		want store.Session
	}{
		{"session_v3.json", goldenSession()},
		{"session_v2.json", v2},
		{"session_v1.json", v1},
		{"session_v0.json", v1},
		{"session_v0_early.json", early},
	} {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			var got store.Session
			if err := decodeSnapshot(readGolden(t, c.file), &got); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("-want +got:\n%s", d)
			}
		})
	}
}

// TestSnapshotTimes: times are written in UTC to the microsecond, and read
// back in UTC whatever zone and precision they were written with.
func TestSnapshotTimes(t *testing.T) {
	t.Parallel()
	wat := time.FixedZone("WAT", 3600)
	in := store.Session{CreatedAt: time.Date(2024, 2, 1, 11, 20, 30, 123456789, wat)}
	enc, err := encodeSnapshot(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"created_at":"2024-02-01T10:20:30.123456Z"`; !strings.Contains(enc, want) {
		t.Errorf("encoded %s, want it to hold %s", enc, want)
	}
	for _, c := range []struct{ data, want string }{
		{`{"v":1,"created_at":"2024-02-01T11:20:30.123456+01:00"}`, "2024-02-01 10:20:30.123456 +0000 UTC"},
		{`{"CreatedAt":"2024-02-01T11:20:30.123456789+01:00"}`, "2024-02-01 10:20:30.123456789 +0000 UTC"},
		{`{"v":1}`, "0001-01-01 00:00:00 +0000 UTC"},
	} {
		var got store.Session
		if err := decodeSnapshot([]byte(c.data), &got); err != nil {
			t.Fatalf("%s: %v", c.data, err)
		}
		if got.CreatedAt.String() != c.want {
			t.Errorf("%s: CreatedAt = %s, want %s", c.data, got.CreatedAt, c.want)
		}
	}
}

// TestSnapshotRefused: a version newer than this build's, or a broken
// snapshot, is an error, never a session of zero values.
func TestSnapshotRefused(t *testing.T) {
	t.Parallel()
	for _, data := range []string{
		fmt.Sprintf(`{"v":%d,"id":"cs_1"}`, snapshotVersion+1),
		`{"v":1,"created_at":"yesterday"}`,
		`{"v":1,"amount":"5000"}`,
		`[]`,
	} {
		var s store.Session
		if err := decodeSnapshot([]byte(data), &s); err == nil {
			t.Errorf("%s decoded as %+v", data, s)
		}
	}
}

// TestSnapshotCarriesEveryField sets every field of store.Session (into Scope,
// line items and pointers) to a value of its own and round-trips it: a field
// added to store.Session and not to the snapshot comes back zero and fails here.
func TestSnapshotCarriesEveryField(t *testing.T) {
	t.Parallel()
	var in store.Session
	n := 0
	fill(t, "Session", reflect.ValueOf(&in).Elem(), &n)
	enc, err := encodeSnapshot(in)
	if err != nil {
		t.Fatal(err)
	}
	var out store.Session
	if err := decodeSnapshot([]byte(enc), &out); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, out); d != "" {
		t.Errorf("the snapshot loses fields of store.Session (add them to snapshotV2, with a version bump: see snapshot.go); -set +read back:\n%s", d)
	}
}

// fill sets v, and every field, element and pointee within it, to a non-zero
// value unique to its place (n counts places, UTC times to the microsecond as
// stores keep them). A kind it does not know fails the test: teach it.
func fill(t *testing.T, path string, v reflect.Value, n *int) {
	t.Helper()
	*n++
	if v.Type() == reflect.TypeFor[time.Time]() {
		v.Set(reflect.ValueOf(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(*n) * (time.Hour + time.Microsecond))))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("%s-%d", path, *n))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, path, v.Elem(), n)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(t, path+"."+v.Type().Field(i).Name, v.Field(i), n)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(t, fmt.Sprintf("%s[%d]", path, i), v.Index(i), n)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		key, elem := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, path+"[key]", key, n)
		fill(t, path+"[elem]", elem, n)
		v.SetMapIndex(key, elem)
	default:
		t.Fatalf("%s: fill cannot set a %s", path, v.Type())
	}
}

// TestLineItemsColumn: sessions.line_items stores line items as it always
// did (the LineItems of a v0 snapshot are what the column held then), and as
// v1 snapshots hold them.
func TestLineItemsColumn(t *testing.T) {
	t.Parallel()
	s := goldenSession()
	args, err := sessionTable.args(utcEngine{}, &s)
	if err != nil {
		t.Fatal(err)
	}
	var got any
	i := 0 // index into args
	for _, c := range sessionTable.columns {
		if c.arg != nil {
			if c.name == "line_items" {
				got = args[i]
			}
			i++
		}
	}
	for file, key := range map[string]string{"session_v0.json": "LineItems", "session_v1.json": "line_items"} {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(readGolden(t, file), &fields); err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := json.Compact(&want, fields[key]); err != nil {
			t.Fatal(err)
		}
		if got != want.String() {
			t.Errorf("line_items column = %s, want %s's %s: %s", got, file, key, want.String())
		}
	}
}

// utcEngine is an Engine for tests that need no database.
type utcEngine struct{}

func (utcEngine) TimeArg(t time.Time) any   { return t.UTC() }
func (utcEngine) Translate(err error) error { return err }
func (utcEngine) Fresh(args []any) []any    { return args }
