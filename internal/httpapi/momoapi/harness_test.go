package momoapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/testserver"
)

// env is a real caisse server (testserver) with this package's request helpers.
type env struct {
	t *testing.T
	*testserver.Env
}

func newEnv(t *testing.T, dbURL string, opts ...testserver.Option) *env {
	t.Helper()
	return &env{t: t, Env: testserver.Start(t, dbURL, opts...)}
}

// merchant creates a merchant and returns its test and live secret keys.
func (e *env) merchant(currencies ...string) (testKey, liveKey string) {
	return e.Merchant(currencies...)
}

type response struct {
	status int
	header http.Header
	raw    []byte
}

// json decodes the body into a generic value.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.raw, &v); err != nil {
		t.Fatalf("response %d is not a JSON object: %s", r.status, r.raw)
	}
	return v
}

// do sends a request with the key as Bearer token; headers come in name, value pairs.
func (e *env) do(method, path, key, body string, headers ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, raw: raw}
}

// create posts a session with a fresh idempotency key and returns it; it fails the test unless 201.
func (e *env) create(key, body string) map[string]any {
	e.t.Helper()
	r := e.do("POST", "/v1/checkouts", key, body, "Idempotency-Key", randid.String(16))
	if r.status != http.StatusCreated {
		e.t.Fatalf("create %s: %d %s", body, r.status, r.raw)
	}
	return r.json(e.t)
}

// wantError asserts an error response's status, code and param.
func wantError(t *testing.T, r response, status int, code, param string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	var body struct {
		Error struct {
			Code    string  `json:"code"`
			Message string  `json:"message"`
			Param   *string `json:"param"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.raw, &body); err != nil {
		t.Fatalf("error body is not JSON: %s", r.raw)
	}
	gotParam := ""
	if body.Error.Param != nil {
		gotParam = *body.Error.Param
	}
	if body.Error.Code != code || gotParam != param || body.Error.Message == "" {
		t.Fatalf("error = %+v (param %q), want code %q param %q", body.Error, gotParam, code, param)
	}
}
