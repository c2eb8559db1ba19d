// Package openapi checks the mobile-money API's OpenAPI document
// (internal/httpapi/momoapi/openapi.json) with an OpenAPI 3.1 validator, and
// every live answer of the server against it. It is a package of its own so
// that the validator stays out of momoapi's fuzzing builds.
package openapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	v3high "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/caisse/caisse/client"
	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/httpapi/momoapi"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// notProvoked are the documented answers the live test cannot bring about,
// each for a reason: every other (route, status) of the document must be seen.
var notProvoked = map[string]string{
	"POST /v1/checkouts 409": "idempotency_key_in_use needs a claim left by an earlier caisse version",
	"500":                    "an internal error is a bug or a broken database",
	"503":                    "a timeout needs a database slower than the request deadline",
}

// openAPIDoc parses a document and builds a validator for it, failing the test on any error.
func openAPIDoc(t *testing.T, raw []byte) (*libopenapi.DocumentModel[v3high.Document], validator.Validator) {
	t.Helper()
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if v := doc.GetVersion(); !strings.HasPrefix(v, "3.1") {
		t.Fatalf("OpenAPI version %q, want 3.1", v)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("build model: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	return model, v
}

func TestOpenAPIDocumentValid(t *testing.T) {
	t.Parallel()
	raw := momoapi.OpenAPIDocument()
	_, v := openAPIDoc(t, raw)
	if ok, errs := v.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("%v", e)
		}
	}
}

// documented is every "METHOD /path" the document describes, with its response statuses.
func documented(model *libopenapi.DocumentModel[v3high.Document]) map[string][]string {
	out := map[string][]string{}
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			var codes []string
			for code := range op.Responses.Codes.KeysFromOldest() {
				codes = append(codes, code)
			}
			out[strings.ToUpper(method)+" "+path] = codes
		}
	}
	return out
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	raw := momoapi.OpenAPIDocument()
	model, _ := openAPIDoc(t, raw)
	ops := documented(model)
	routes := momoapi.RoutePatterns()
	for _, route := range routes {
		if _, ok := ops[route]; !ok {
			t.Errorf("route %s is not in openapi.json", route)
		}
	}
	for op := range ops {
		if !slices.Contains(routes, op) {
			t.Errorf("openapi.json describes %s, which the server does not serve", op)
		}
	}
}

// validating is an http.RoundTripper that checks every exchange against the
// document, and notes which route answered which status.
type validating struct {
	t      *testing.T
	v      validator.Validator
	routes *http.ServeMux // the dialect's patterns, to name the route of a request
	mu     sync.Mutex
	seen   map[string]bool // "METHOD /pattern status"
}

func newValidating(t *testing.T, v validator.Validator) *validating {
	mux := http.NewServeMux()
	for _, p := range momoapi.RoutePatterns() {
		mux.Handle(p, http.NotFoundHandler())
	}
	return &validating{t: t, v: v, routes: mux, seen: map[string]bool{}}
}

func (vt *validating) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(raw))

	checkReq := req.Clone(context.Background())
	checkReq.Body = io.NopCloser(bytes.NewReader(body))
	checkRes := *res
	checkRes.Body = io.NopCloser(bytes.NewReader(raw))
	var errs []error
	// A request answered 400, 401 or 413 breaks the document on purpose
	// (a bad field, no key, a huge body): only its answer is checked.
	if res.StatusCode == http.StatusBadRequest || res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusRequestEntityTooLarge {
		_, verrs := vt.v.ValidateHttpResponse(checkReq, &checkRes)
		errs = validationErrors(verrs)
	} else {
		_, verrs := vt.v.ValidateHttpRequestResponse(checkReq, &checkRes)
		errs = validationErrors(verrs)
	}
	for _, e := range errs {
		vt.t.Errorf("%s %s → %d %s: %v", req.Method, req.URL.RequestURI(), res.StatusCode, raw, e)
	}
	_, pattern := vt.routes.Handler(req)
	vt.mu.Lock()
	vt.seen[fmt.Sprintf("%s %d", pattern, res.StatusCode)] = true
	vt.mu.Unlock()
	return res, nil
}

func validationErrors[E error](errs []E) []error {
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return out
}

// TestOpenAPIMatchesLiveResponses drives every route of the dialect on a
// real server into every answer it documents (but notProvoked), and checks
// each request and answer against the document the server serves.
func TestOpenAPIMatchesLiveResponses(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		env := testserver.Start(t, dbURL)
		res, err := http.Get(env.URL + "/v1/openapi.json")
		if err != nil {
			t.Fatal(err)
		}
		served, _ := io.ReadAll(res.Body)
		res.Body.Close()
		embedded := momoapi.OpenAPIDocument()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" || !bytes.Equal(served, embedded) {
			t.Fatalf("GET /v1/openapi.json without a key = %d %s, want 200 and openapi.json", res.StatusCode, res.Header.Get("Content-Type"))
		}
		model, v := openAPIDoc(t, served)
		vt := newValidating(t, v)
		httpc := &http.Client{Transport: vt}
		base := env.URL // where send sends
		send := func(method, path, key, body string, headers ...string) {
			t.Helper()
			req, err := http.NewRequest(method, base+path, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			req.Header.Set("Content-Type", "application/json")
			for i := 0; i+1 < len(headers); i += 2 {
				req.Header.Set(headers[i], headers[i+1])
			}
			res, err := httpc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
		}
		must := func(_ any, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		key, _ := env.Merchant()
		c := client.New(key, client.WithBaseURL(env.URL), client.WithHTTPClient(httpc))

		// Successes, through the client.
		send("GET", "/v1/openapi.json", "", "")
		s, err := c.Create(ctx, client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+22507987654",
			Description: "Commande 123", PaymentID: "ORDER_123", CustomerID: "cus_1", ExpiresIn: 900,
			Metadata: map[string]string{"order": "123"}, IdempotencyKey: "create-1"})
		if err != nil {
			t.Fatal(err)
		}
		must(c.Create(ctx, client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+22507987654",
			Description: "Commande 123", PaymentID: "ORDER_123", CustomerID: "cus_1", ExpiresIn: 900,
			Metadata: map[string]string{"order": "123"}, IdempotencyKey: "create-1"})) // replayed
		must(c.Get(ctx, s.ID))
		must(c.List(ctx, client.ListParams{Status: "created", Limit: 1}))
		must(c.List(ctx, client.ListParams{Offset: 5}))
		lo, hi := int64(100), int64(10000)
		must(c.Search(ctx, client.SearchParams{Status: "created", Reference: "ORDER_123", UserPhone: "+2250707987654",
			CustomerID: "cus_1", AmountMin: &lo, AmountMax: &hi, StartDate: "2020-01-01", EndDate: "2999-12-31T23:59:59Z", Limit: 5}))
		paid, err := c.Create(ctx, client.CreateParams{Amount: 7000, Currency: "XOF", UserPhone: "+2250700000001"})
		if err != nil {
			t.Fatal(err)
		}
		must(c.Confirm(ctx, paid.ID, client.ConfirmParams{Channel: "mtn_momo", UserPhone: "+2250700000002", IdempotencyKey: "confirm-1"}))
		must(c.Cancel(ctx, s.ID, client.CancelParams{IdempotencyKey: "cancel-1"}))
		// Sessions whose completed_at and failure_reason are not null, moved
		// there by the Stripe dialect's test helpers (not checked here).
		for outcome, want := range map[string]string{"complete": "completed", "fail": "failed"} {
			moved, err := c.Create(ctx, client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250700000001"})
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("POST", env.URL+"/v1/test_helpers/checkout/sessions/"+moved.ID+"/"+outcome, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			got, err := c.Get(ctx, moved.ID)
			if err != nil || got.Status != want || (want == "completed") != (got.CompletedAt != nil) || (want == "failed") != (got.FailureReason != nil) {
				t.Fatalf("%s: %+v, %v", outcome, got, err)
			}
		}

		// Errors: the API's answer to each wrong request.
		send("POST", "/v1/checkouts", key, `{"amount": 99, "currency": "XOF", "user_phone": "+2250700000001"}`, "Idempotency-Key", "bad-1")
		send("POST", "/v1/checkouts", key, `{"amount": 6000, "currency": "XOF", "user_phone": "+2250700000001"}`, "Idempotency-Key", "create-1")
		send("GET", "/v1/checkouts?limit=0", key, "")
		send("GET", "/v1/checkouts/cs_test_nope", key, "")
		send("GET", "/v1/checkout/search?status=open", key, "")
		send("POST", "/v1/checkouts/"+s.ID+"/cancel", key, `{"reason": "x"}`)
		send("POST", "/v1/checkouts/cs_test_nope/cancel", key, "")
		send("POST", "/v1/checkouts/"+s.ID+"/cancel", key, "")
		send("POST", "/v1/checkouts/"+s.ID+"/cancel", key, "", "Idempotency-Key", "create-1")
		send("POST", "/v1/checkouts/"+paid.ID+"/confirm", key, `{}`)
		send("POST", "/v1/checkouts/cs_test_nope/confirm", key, `{"channel": "wave"}`)
		send("POST", "/v1/checkouts/"+s.ID+"/confirm", key, `{"channel": "wave"}`)
		send("POST", "/v1/checkouts/"+paid.ID+"/confirm", key, `{"channel": "wave"}`, "Idempotency-Key", "create-1")
		huge := strings.Repeat(" ", 1<<20+1)
		for _, route := range momoapi.RoutePatterns() {
			method, path, _ := strings.Cut(route, " ")
			path = strings.ReplaceAll(path, "{id}", s.ID)
			send(method, path, "", "")
			if path != "/v1/openapi.json" {
				send(method, path, key, huge, "Idempotency-Key", "huge")
			}
		}

		// 429: a server allowing each key one request and no more.
		other := testdb.SQLiteURL
		if !strings.HasPrefix(dbURL, "sqlite:") {
			other = testdb.MigratedPostgresURL
		}
		limited := testserver.Start(t, other(t), testserver.WithConfig(func(c *config.Config) { c.RateLimit = 0.001 }))
		limitedKey, _ := limited.Merchant()
		base = limited.URL
		send("GET", "/v1/checkouts/cs_test_nope", limitedKey, "") // the one token
		validBody := map[string]string{
			"POST /v1/checkouts":              `{"amount": 5000, "currency": "XOF", "user_phone": "+2250700000001"}`,
			"POST /v1/checkouts/{id}/confirm": `{"channel": "wave"}`,
		}
		for _, route := range momoapi.RoutePatterns() {
			method, path, _ := strings.Cut(route, " ")
			if path != "/v1/openapi.json" {
				send(method, strings.ReplaceAll(path, "{id}", s.ID), limitedKey, validBody[route], "Idempotency-Key", "limited")
			}
		}

		for op, codes := range documented(model) {
			for _, code := range codes {
				if notProvoked[op+" "+code] == "" && notProvoked[code] == "" && !vt.seen[op+" "+code] {
					t.Errorf("%s never answered %s, which the document says it can", op, code)
				}
			}
		}
	})
}
