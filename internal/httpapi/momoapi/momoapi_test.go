package momoapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// seedCreate is the mobile-money API's request built from its schema examples.
const seedCreate = `{"amount": 5000, "currency": "XOF", "user_phone": "+22507987654", "description": "Commande 123",
	"expires_in": 1800, "payment_id": "ORDER_123"}`

// seedFields are the fields and JSON types of the mobile-money API's response schema ("null" where it may be null).
var seedFields = map[string][]string{
	"id": {"string"}, "status": {"string"}, "amount": {"number"}, "currency": {"string"},
	"user_phone": {"string"}, "payment_id": {"string"}, "description": {"string"},
	"created_at": {"string"}, "expires_at": {"string"}, "completed_at": {"string", "null"},
	"failure_reason": {"string", "null"}, "transaction_fee": {"number"},
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	}
	return "object"
}

// assertSeedShape checks a session has exactly the mobile-money API's fields with its types.
func assertSeedShape(t *testing.T, s map[string]any) {
	t.Helper()
	for name, types := range seedFields {
		v, ok := s[name]
		if !ok {
			t.Errorf("field %s missing", name)
		} else if !slices.Contains(types, jsonType(v)) {
			t.Errorf("field %s is %s, want %v", name, jsonType(v), types)
		}
	}
	for name := range s {
		if _, ok := seedFields[name]; !ok && name != "url" {
			t.Errorf("field %s is not in the mobile-money API's schema", name)
		}
	}
	// caisse adds the hosted payment page, always.
	if url, _ := s["url"].(string); !strings.HasPrefix(url, "http") || !strings.HasSuffix(url, "/pay/"+s["id"].(string)) {
		t.Errorf("url = %v, want the session's hosted page …/pay/%v", s["url"], s["id"])
	}
	for _, ts := range []string{"created_at", "expires_at"} {
		if v, _ := s[ts].(string); !strings.HasSuffix(v, "Z") {
			t.Errorf("%s = %q, want RFC 3339 UTC", ts, v)
		} else if _, err := time.Parse(time.RFC3339, v); err != nil {
			t.Errorf("%s: %v", ts, err)
		}
	}
}

func TestSeedRequests(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		key, _ := e.merchant()
		s := e.create(key, seedCreate)
		assertSeedShape(t, s)
		if s["status"] != "created" || s["amount"] != 5000.0 || s["currency"] != "XOF" || s["transaction_fee"] != 25.0 ||
			s["payment_id"] != "ORDER_123" || s["user_phone"] != "+2250707987654" || s["completed_at"] != nil {
			t.Fatalf("created session: %v", s)
		}
		if id, _ := s["id"].(string); !strings.HasPrefix(id, "cs_test_") || len(id) < 8+22 {
			t.Fatalf("id %q is not an unguessable cs_test_ id", id)
		}
		created, _ := time.Parse(time.RFC3339, s["created_at"].(string))
		expires, _ := time.Parse(time.RFC3339, s["expires_at"].(string))
		if expires.Sub(created) != 1800*time.Second {
			t.Fatalf("expires_at - created_at = %v", expires.Sub(created))
		}

		// The provider's search: the response envelope and each session in the mobile-money API's shape.
		today := e.Clock.Now().Format(time.DateOnly)
		r := e.do("GET", "/v1/checkout/search?status=created&start_date="+today+"&end_date="+today+
			"&reference=ORDER_123&user_phone=%2B22507987654&amount_min=100&amount_max=5000&limit=50", key, "")
		if r.status != http.StatusOK {
			t.Fatalf("search: %d %s", r.status, r.raw)
		}
		page := r.json(t)
		if len(page) != 5 || page["total_count"] != 1.0 || page["total_count_exact"] != true || page["has_more"] != false ||
			page["next_offset"] != nil {
			t.Fatalf("search envelope: %s", r.raw)
		}
		sessions := page["sessions"].([]any)
		if len(sessions) != 1 || sessions[0].(map[string]any)["id"] != s["id"] {
			t.Fatalf("search sessions: %s", r.raw)
		}
		assertSeedShape(t, sessions[0].(map[string]any))

		got := e.do("GET", "/v1/checkouts/"+s["id"].(string), key, "")
		if got.status != http.StatusOK || fmt.Sprint(got.json(t)) != fmt.Sprint(s) {
			t.Fatalf("get: %d %s", got.status, got.raw)
		}
	})
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		key, liveKey := e.merchant()
		first := e.do("POST", "/v1/checkouts", key, seedCreate, "Idempotency-Key", "order-123")
		if first.status != http.StatusCreated || first.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("first: %d %v", first.status, first.header)
		}
		again := e.do("POST", "/v1/checkouts", key, seedCreate, "Idempotency-Key", "order-123")
		if again.status != http.StatusCreated || string(again.raw) != string(first.raw) ||
			again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: %d %s %v", again.status, again.raw, again.header)
		}
		other := strings.Replace(seedCreate, "5000", "6000", 1)
		wantError(t, e.do("POST", "/v1/checkouts", key, other, "Idempotency-Key", "order-123"),
			http.StatusUnprocessableEntity, "idempotency_key_reused", "")
		// The same key in the other mode is another key.
		if r := e.do("POST", "/v1/checkouts", liveKey, other, "Idempotency-Key", "order-123"); r.status != http.StatusCreated {
			t.Fatalf("live mode, same key: %d %s", r.status, r.raw)
		}
		// The same parameters written differently are the same request.
		reordered := `{"payment_id":"ORDER_123","expires_in":1800,"description":"Commande 123",
			"user_phone":"+22507987654","currency":"XOF","amount":5000}`
		if r := e.do("POST", "/v1/checkouts", key, reordered, "Idempotency-Key", "order-123"); r.status != http.StatusCreated ||
			string(r.raw) != string(first.raw) || r.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("reordered replay: %d %s", r.status, r.raw)
		}
		// As at Stripe, a request refused by validation stores nothing: the corrected request may reuse the key.
		bad := `{"amount": 5, "currency": "XOF", "user_phone": "+2250707000001"}`
		wantError(t, e.do("POST", "/v1/checkouts", key, bad, "Idempotency-Key", "fix-me"), http.StatusBadRequest, "parameter_invalid", "amount")
		fixed := e.do("POST", "/v1/checkouts", key, strings.Replace(bad, ": 5,", ": 500,", 1), "Idempotency-Key", "fix-me")
		if fixed.status != http.StatusCreated || fixed.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("corrected request after a 400: %d %s", fixed.status, fixed.raw)
		}
		if n := e.search(key, "").total; n != 2 {
			t.Fatalf("%d test sessions, want 2", n)
		}
	})
}

func TestIdempotencyConcurrent(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		key, _ := e.merchant()
		var wg sync.WaitGroup
		var mu sync.Mutex
		ids, codes := map[string]bool{}, map[int]int{}
		for range 50 {
			wg.Go(func() {
				r := e.do("POST", "/v1/checkouts", key, seedCreate, "Idempotency-Key", "one-key")
				mu.Lock()
				defer mu.Unlock()
				codes[r.status]++
				if r.status == http.StatusCreated {
					var s struct{ ID string }
					json.Unmarshal(r.raw, &s)
					ids[s.ID] = true
				}
			})
		}
		wg.Wait()
		if len(ids) != 1 || codes[http.StatusCreated]+codes[http.StatusConflict] != 50 {
			t.Fatalf("50 concurrent creates: status counts %v, distinct ids %d", codes, len(ids))
		}
		if n := e.search(key, "").total; n != 1 {
			t.Fatalf("%d sessions stored, want exactly 1", n)
		}
	})
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		aTest, aLive := e.merchant()
		bTest, _ := e.merchant()
		s := e.create(aTest, seedCreate)
		id := s["id"].(string)
		for name, key := range map[string]string{"merchant B": bTest, "A live key": aLive} {
			wantError(t, e.do("GET", "/v1/checkouts/"+id, key, ""), http.StatusNotFound, "resource_missing", "id")
			wantError(t, e.do("POST", "/v1/checkouts/"+id+"/cancel", key, ""), http.StatusNotFound, "resource_missing", "id")
			for _, q := range []string{"/v1/checkouts", "/v1/checkout/search", "/v1/checkout/search?reference=ORDER_123"} {
				r := e.do("GET", q, key, "")
				if r.status != 200 || strings.Contains(string(r.raw), id) || r.json(t)["total_count"] != 0.0 {
					t.Fatalf("%s sees A's session through %s: %s", name, q, r.raw)
				}
			}
		}
		if got := e.do("GET", "/v1/checkouts/"+id, aTest, "").json(t); got["status"] != "created" {
			t.Fatalf("A's session changed: %v", got)
		}
	})
}

func TestGetListCancel(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		key, _ := e.merchant()
		a := e.create(key, seedCreate)
		b := e.create(key, seedCreate)
		r := e.do("POST", "/v1/checkouts/"+a["id"].(string)+"/cancel", key, "")
		if r.status != 200 || r.json(t)["status"] != "cancelled" {
			t.Fatalf("cancel: %d %s", r.status, r.raw)
		}
		wantError(t, e.do("POST", "/v1/checkouts/"+a["id"].(string)+"/cancel", key, ""), http.StatusConflict, "session_state", "")
		list := e.do("GET", "/v1/checkouts?status=cancelled", key, "").json(t)
		if list["total_count"] != 1.0 || list["sessions"].([]any)[0].(map[string]any)["id"] != a["id"] {
			t.Fatalf("list cancelled: %v", list)
		}
		all := e.search(key, "")
		if fmt.Sprint(all.ids) != fmt.Sprint([]string{b["id"].(string), a["id"].(string)}) {
			t.Fatalf("list is not newest first: %v", all.ids)
		}
	})
}

type searchResult struct {
	ids        []string
	total      int64
	exact      bool
	hasMore    bool
	nextOffset *int64
}

// String shows a result, next_offset's value rather than its address.
func (r searchResult) String() string {
	next := "null"
	if r.nextOffset != nil {
		next = fmt.Sprint(*r.nextOffset)
	}
	return fmt.Sprintf("%v total_count %d exact %v has_more %v next_offset %s", r.ids, r.total, r.exact, r.hasMore, next)
}

// search runs GET /v1/checkout/search with the query and fails the test unless 200.
func (e *env) search(key, query string) searchResult {
	e.t.Helper()
	r := e.do("GET", "/v1/checkout/search?"+query, key, "")
	if r.status != http.StatusOK {
		e.t.Fatalf("search %s: %d %s", query, r.status, r.raw)
	}
	var page struct {
		Sessions []struct {
			ID string `json:"id"`
		} `json:"sessions"`
		TotalCount      int64  `json:"total_count"`
		TotalCountExact *bool  `json:"total_count_exact"`
		HasMore         bool   `json:"has_more"`
		NextOffset      *int64 `json:"next_offset"`
	}
	if err := json.Unmarshal(r.raw, &page); err != nil {
		e.t.Fatal(err)
	}
	if page.TotalCountExact == nil {
		e.t.Fatalf("search %s: no total_count_exact in %s", query, r.raw)
	}
	out := searchResult{total: page.TotalCount, exact: *page.TotalCountExact, hasMore: page.HasMore, nextOffset: page.NextOffset,
		ids: []string{}}
	for _, s := range page.Sessions {
		out.ids = append(out.ids, s.ID)
	}
	return out
}

// fixture is one of the 120 sessions of TestSearch, with the attributes filters see.
type fixture struct {
	id, phone, customer, ref string
	status                   checkout.Status
	amount                   int64
	created                  time.Time
}

func TestSearch(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		key, _ := e.merchant()
		phones := []string{"+2250707000001", "+2250505000002", "+221771234567"}
		statuses := []checkout.Status{checkout.StatusCreated, checkout.StatusPending, checkout.StatusProcessing,
			checkout.StatusCompleted, checkout.StatusFailed, checkout.StatusCancelled, checkout.StatusExpired}
		day0 := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
		var all []fixture // in creation order
		for i := range 120 {
			f := fixture{phone: phones[i%3], status: statuses[i%7], customer: fmt.Sprintf("cus_%d", i%4),
				ref: fmt.Sprintf("ORDER_%d", i%10), amount: int64(100 + 250*(i%17)),
				created: day0.Add(time.Duration(i/12)*24*time.Hour + time.Duration(i%12)*time.Hour)}
			if i%20 == 19 {
				f.created = all[i-1].created // sessions created in the same second: the tie-break decides
			}
			e.Clock.Set(f.created)
			s := e.create(key, fmt.Sprintf(`{"amount": %d, "currency": "XOF", "user_phone": %q, "payment_id": %q, "customer_id": %q}`,
				f.amount, f.phone, f.ref, f.customer))
			f.id = s["id"].(string)
			e.setStatus(key, f.id, f.status)
			all = append(all, f)
		}
		e.Clock.Set(day0) // before every deadline: reads expire overdue sessions, and these must keep their statuses
		day := func(n int) time.Time { return day0.Truncate(24*time.Hour).AddDate(0, 0, n) }
		cases := []struct {
			query string
			keep  func(f fixture) bool
		}{
			{"", func(fixture) bool { return true }},
			{"status=completed", func(f fixture) bool { return f.status == "completed" }},
			{"reference=ORDER_3", func(f fixture) bool { return f.ref == "ORDER_3" }},
			{"user_phone=%2B2250505000002", func(f fixture) bool { return f.phone == "+2250505000002" }},
			{"user_phone=%2B22505000002", func(f fixture) bool { return f.phone == "+2250505000002" }}, // legacy form, normalised
			{"customer_id=cus_1", func(f fixture) bool { return f.customer == "cus_1" }},
			{"amount_min=1000", func(f fixture) bool { return f.amount >= 1000 }},
			{"amount_max=1000", func(f fixture) bool { return f.amount <= 1000 }},
			{"amount_min=600&amount_max=2100", func(f fixture) bool { return f.amount >= 600 && f.amount <= 2100 }},
			{"start_date=2024-01-04", func(f fixture) bool { return !f.created.Before(day(3)) }},
			{"end_date=2024-01-04", func(f fixture) bool { return f.created.Before(day(4)) }},
			{"start_date=2024-01-03&end_date=2024-01-05", func(f fixture) bool { return !f.created.Before(day(2)) && f.created.Before(day(5)) }},
			{"start_date=2024-01-02T10:00:00Z&end_date=2024-01-02T13:00:00Z", func(f fixture) bool {
				return !f.created.Before(day(1).Add(10*time.Hour)) && !f.created.After(day(1).Add(13*time.Hour))
			}},
			{"start_date=2024-01-02T11:00:00%2B01:00", func(f fixture) bool { return !f.created.Before(day(1).Add(10 * time.Hour)) }},
			{"status=pending&user_phone=%2B2250707000001", func(f fixture) bool { return f.status == "pending" && f.phone == "+2250707000001" }},
			{"customer_id=cus_2&amount_min=1000&start_date=2024-01-05", func(f fixture) bool {
				return f.customer == "cus_2" && f.amount >= 1000 && !f.created.Before(day(4))
			}},
			{"status=failed&reference=ORDER_4&customer_id=cus_0&user_phone=%2B221771234567&amount_max=5000&end_date=2024-01-10",
				func(f fixture) bool {
					return f.status == "failed" && f.ref == "ORDER_4" && f.customer == "cus_0" && f.phone == "+221771234567" &&
						f.amount <= 5000 && f.created.Before(day(10))
				}},
			{"reference=NOPE", func(fixture) bool { return false }},
		}
		for _, c := range cases {
			var want []string
			for i := len(all) - 1; i >= 0; i-- {
				if c.keep(all[i]) {
					want = append(want, all[i].id)
				}
			}
			// Page through with a small limit: each session once, in order, with the right envelope.
			var got []string
			offset := int64(0)
			for {
				q := fmt.Sprintf("%s&limit=7&offset=%d", c.query, offset)
				page := e.search(key, q)
				if page.total != int64(len(want)) {
					t.Fatalf("%s: total_count %d, want %d", q, page.total, len(want))
				}
				got = append(got, page.ids...)
				more := offset+int64(len(page.ids)) < int64(len(want))
				if page.hasMore != more || (page.nextOffset != nil) != more {
					t.Fatalf("%s: has_more %v next_offset %v, want more=%v", q, page.hasMore, page.nextOffset, more)
				}
				if !more {
					break
				}
				if *page.nextOffset != offset+7 {
					t.Fatalf("%s: next_offset %d", q, *page.nextOffset)
				}
				offset = *page.nextOffset
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s:\n got %v\nwant %v", c.query, got, want)
			}
		}
		if len(e.search(key, "limit=100").ids) != 100 || len(e.search(key, "").ids) != 50 {
			t.Fatal("limit=100 or the default limit of 50 not honoured")
		}
	})
}

// TestSearchCountBound pages through 12 sessions with the count bounded at 3
// sessions past each page: total_count is exact, and total_count_exact true,
// while at most 3 match after the page; past that it is the page's end plus 3
// and total_count_exact is false. has_more and next_offset stay exact either
// way, at the last full page, at the end and past it, filtered or not.
func TestSearchCountBound(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL, func(s *testserver.Setup) { s.Options.SearchCountBound = 3 })
		key, _ := e.merchant()
		var ids []string // newest first
		for i := range 12 {
			e.Clock.Set(time.Date(2024, 1, 1, 8, i/2, 0, 0, time.UTC)) // two sessions per instant
			ids = append([]string{e.create(key, body())["id"].(string)}, ids...)
		}
		next := func(n int64) *int64 { return &n }
		cases := []struct {
			query string
			want  searchResult
		}{
			{"limit=2", searchResult{ids[0:2], 5, false, true, next(2)}},
			{"limit=2&offset=6", searchResult{ids[6:8], 11, false, true, next(8)}},
			{"limit=2&offset=7", searchResult{ids[7:9], 12, true, true, next(9)}},   // 3 after the page
			{"limit=2&offset=9", searchResult{ids[9:11], 12, true, true, next(11)}}, // one after the page
			{"limit=3&offset=9", searchResult{ids[9:12], 12, true, false, nil}},     // the last page, full
			{"limit=5&offset=10", searchResult{ids[10:12], 12, true, false, nil}},
			{"limit=5&offset=12", searchResult{[]string{}, 12, true, false, nil}}, // at the end
			{"limit=5&offset=40", searchResult{[]string{}, 12, true, false, nil}}, // past it
			{"limit=1&status=created&offset=4", searchResult{ids[4:5], 8, false, true, next(5)}},
			{"limit=100", searchResult{ids, 12, true, false, nil}},
		}
		for _, c := range cases {
			if got := e.search(key, c.query); got.String() != c.want.String() {
				t.Errorf("%s: got %s, want %s", c.query, got, c.want)
			}
		}
		// Walking the pages by has_more and next_offset reads every session once.
		var got []string
		for offset := int64(0); ; {
			page := e.search(key, fmt.Sprintf("limit=5&offset=%d", offset))
			got = append(got, page.ids...)
			if !page.hasMore {
				break
			}
			offset = *page.nextOffset
		}
		if fmt.Sprint(got) != fmt.Sprint(ids) {
			t.Errorf("walked\n%v\nwant\n%v", got, ids)
		}
		// The list endpoint answers the same.
		r := e.do("GET", "/v1/checkouts?limit=2", key, "")
		var page struct {
			Total int64 `json:"total_count"`
			Exact bool  `json:"total_count_exact"`
		}
		if err := json.Unmarshal(r.raw, &page); err != nil || page.Total != 5 || page.Exact {
			t.Errorf("GET /v1/checkouts?limit=2: %d %s", r.status, r.raw)
		}
	})
}

// setStatus walks a created session to the wanted status, on the machine's
// route to it, through the store's compare-and-set.
func (e *env) setStatus(key, id string, status checkout.Status) {
	e.t.Helper()
	p, err := e.Server.Merchants.Authenticate(context.Background(), key)
	if err != nil {
		e.t.Fatal(err)
	}
	from := checkout.StatusCreated
	for _, tr := range checkout.Route(from, status) {
		if _, err := e.Server.Store.SessionChangeStatus(context.Background(), p.Scope(),
			store.StatusChange{ID: id, From: from, To: tr.To, At: e.Clock.Now()}); err != nil {
			e.t.Fatal(err)
		}
		from = tr.To
	}
	if from != status {
		e.t.Fatalf("no route to status %q", status)
	}
}

func TestLogsHideSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testdb.SQLiteURL(t))
	key, _ := e.merchant()
	e.create(key, seedCreate)
	e.do("GET", "/v1/checkout/search?user_phone="+url.QueryEscape("+2250707987654"), key, "")
	e.do("GET", "/v1/checkouts", "sk_test_wrongwrongwrongwrongwrongwrong12", "")
	logs := e.Logs.String()
	if !strings.Contains(logs, `"request_id":"req_`) || !strings.Contains(logs, `"merchant":"mer_`) {
		t.Fatalf("access log lines lack request_id or merchant:\n%s", logs)
	}
	for _, secret := range []string{key, "sk_test_wrongwrong", "0707987654", "07987654"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("logs contain %q:\n%s", secret, logs)
		}
	}
}

func TestHealthAndRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testdb.SQLiteURL(t))
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := e.do("GET", p, "", ""); r.status != 200 || r.json(t)["status"] != "ok" {
			t.Fatalf("%s: %d %s", p, r.status, r.raw)
		}
	}
	// The bare address says what it is and where the APIs are.
	if r := e.do("GET", "/", "", ""); r.status != 200 || r.json(t)["name"] != "caisse" ||
		!strings.Contains(string(r.raw), `"mobile_money":"/v1/checkouts"`) || !strings.Contains(string(r.raw), "docs/api-momo.md") {
		t.Fatalf("GET /: %d %s", r.status, r.raw)
	}
	if r := e.do("GET", "/nothing-here", "", ""); r.status != http.StatusNotFound {
		t.Fatalf("GET /nothing-here: %d, want 404", r.status)
	}
	key, _ := e.merchant()
	wantError(t, e.do("GET", "/v1/nothing-here", key, ""), http.StatusNotFound, "resource_missing", "")
	e.Server.Store.Close()
	if r := e.do("GET", "/readyz", "", ""); r.status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with the database closed: %d", r.status)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testdb.SQLiteURL(t), testserver.WithConfig(func(c *config.Config) { c.RateLimit = 1 }))
	key, _ := e.merchant()
	var limited response
	for range 10 {
		if r := e.do("GET", "/v1/checkouts", key, ""); r.status == http.StatusTooManyRequests {
			limited = r
			break
		}
	}
	wantError(t, limited, http.StatusTooManyRequests, "rate_limit", "")
	if limited.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testdb.SQLiteURL(t))
	key, _ := e.merchant()
	e.create(key, seedCreate)
	r := e.do("GET", "/metrics", "", "")
	want := `caisse_http_requests_total{method="POST",route="POST /v1/checkouts",status="201"} 1`
	if r.status != 200 || !strings.Contains(string(r.raw), want) {
		t.Fatalf("/metrics lacks %s:\n%.2000s", want, r.raw)
	}
}
