package connector_test

// A fuzz target for the operator callback, POST /v1/connectors/{name}/callback,
// against a real server on SQLite: the fuzzed body is signed with the
// operator's secret, so that it passes the signature check and reaches the
// decoder and the session it names. Every answer is {"error": {code, message}}
// with a 4xx, or {"received": true, …}; never a 5xx or a panic.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
	"github.com/caisse/caisse/internal/webhook"
)

// fuzzSecret is the operator's secret in the callback tests.
const fuzzSecret = "opsec_fuzz"

// sessionMark in a callback body stands for the id of a pending live session.
const sessionMark = "{session}"

// operatorServer is a server with a live connector, whose operator is never
// called: no jobs run.
type operatorServer struct{ *testserver.Fuzz }

func newOperatorServer(t testing.TB, dbURL string) operatorServer {
	return operatorServer{testserver.StartFuzz(t, dbURL, testserver.WithConfig(func(c *config.Config) {
		c.OperatorName, c.OperatorURL, c.OperatorSecret = "operator", "http://127.0.0.1:9", fuzzSecret
	}))}
}

// pending creates a live session and confirms it: it waits for the operator's word.
func (z operatorServer) pending(t *testing.T) string {
	t.Helper()
	id, _ := z.post(t, "/v1/checkouts", `{"amount":5000,"currency":"XOF","user_phone":"+2250707000001"}`)
	if _, status := z.post(t, "/v1/checkouts/"+id+"/confirm", `{"channel":"orange_money"}`); status != "pending" {
		t.Fatalf("confirmed live session is %s", status)
	}
	return id
}

// post sends a mobile-money request under the live key and returns the session it answers.
func (z operatorServer) post(t *testing.T, path, body string) (id, status string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer "+z.LiveKey)
	req.Header.Set("Idempotency-Key", randid.String(16))
	rec := z.Do(t, req)
	var s struct{ ID, Status string }
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil || rec.Code >= 300 {
		t.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body.Bytes())
	}
	return s.ID, s.Status
}

// callback posts body, signed now with the operator's secret, and checks the
// answer's shape; it returns the status code.
func (z operatorServer) callback(t *testing.T, body []byte) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/connectors/operator/callback", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Operator-Signature", webhook.Sign(fuzzSecret, body, time.Now()))
	rec := z.Do(t, req)
	var answer struct {
		Received bool
		Error    map[string]string
	}
	err := json.Unmarshal(rec.Body.Bytes(), &answer)
	ok := err == nil && rec.Code < 300 && answer.Received
	if rec.Code >= 400 {
		ok = err == nil && len(answer.Error) == 2 && answer.Error["code"] != "" && answer.Error["message"] != ""
	}
	if !ok {
		t.Fatalf("%d %.300s: want {\"received\": true, …} or {\"error\": {code, message}}", rec.Code, rec.Body.Bytes())
	}
	return rec.Code
}

// FuzzOperatorCallback signs body, with {session} replaced by the id of a
// pending live session, and posts it as the operator's callback.
func FuzzOperatorCallback(f *testing.F) {
	for _, body := range []string{
		`{"id":"op_1","reference":"{session}","status":"succeeded"}`,
		`{"id":"op_2","reference":"{session}","status":"failed","failure_reason":"insufficient_funds"}`,
		`{"id":"op_3","reference":"{session}","status":"processing"}`,
		`{"id":"op_4","reference":"{session}","status":"pending"}`,
		`{"id":"op_5","reference":"cs_live_unknown","status":"succeeded"}`,
		`{"id":"op_6","reference":"{session}","status":"succeeded","failure_reason":"ignored","extra":[1,{}]}`,
		`{"id":"","reference":"{session}","status":"succeeded"}`,
		`{"id":"op_1","reference":"\u0000","status":"succeeded"}`,
		`{"id":"\u0000","reference":"{session}","status":"succeeded"}`,
		`{"id":"op_1","reference":"{session}","status":"failed","failure_reason":"a\u0000b"}`,
		`{"id":"op_1","reference":"{session}\ud800","status":"succeeded"}`,
		`[]`, ``,
	} {
		f.Add([]byte(body))
	}
	z := newOperatorServer(f, testdb.FuzzURL(f))
	var session string
	f.Fuzz(func(t *testing.T, body []byte) {
		if session == "" {
			session = z.pending(t)
		}
		if z.callback(t, bytes.ReplaceAll(body, []byte(sessionMark), []byte(session))) < 300 {
			session = "" // the session may have moved on: the next input gets a pending one
		}
	})
}

// TestCallbackNUL sends, on both engines, signed callbacks with a NUL
// character where a database would refuse it: each is a 400.
func TestCallbackNUL(t *testing.T) {
	t.Parallel()
	bodies := []string{
		`{"id":"op_1","reference":"\u0000","status":"succeeded"}`,
		`{"id":"op_1","reference":"{session}\u0000","status":"succeeded"}`,
		`{"id":"\u0000","reference":"{session}","status":"succeeded"}`,
		`{"id":"op_1","reference":"{session}","status":"failed","failure_reason":"\u0000"}`,
	}
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		z := newOperatorServer(t, dbURL)
		session := z.pending(t)
		for _, body := range bodies {
			if got := z.callback(t, bytes.ReplaceAll([]byte(body), []byte(sessionMark), []byte(session))); got != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400", body, got)
			}
		}
		// The session still waits for the operator's word, which it takes.
		if got := z.callback(t, []byte(`{"id":"op_1","reference":"`+session+`","status":"succeeded"}`)); got != http.StatusOK {
			t.Errorf("a good callback after them: %d", got)
		}
	})
}
