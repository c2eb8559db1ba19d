package connector_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/connector"
)

const (
	shortTimeout = 100 * time.Millisecond // caisse's request timeout in these tests
	shortStall   = time.Second            // the fake operator's hold: far longer than shortTimeout, even on a loaded machine
)

func TestHTTPInitiateClassification(t *testing.T) {
	t.Parallel()
	answer := func(code int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(code)
			io.WriteString(w, body)
		}
	}
	const ok = `{"id":"op_1","reference":"cs_class","status":"pending"}`
	type testCase struct {
		name    string
		handler http.HandlerFunc
		refused bool
	}
	var cases []testCase
	for _, code := range []int{400, 401, 403, 404, 422} {
		cases = append(cases, testCase{strconv.Itoa(code), answer(code, `{"error":"no"}`), true})
	}
	for _, code := range []int{408, 409, 425, 429, 500, 502, 503} {
		cases = append(cases, testCase{strconv.Itoa(code), answer(code, `{"error":"no"}`), false})
	}
	cases = append(cases,
		testCase{"timeout", func(w http.ResponseWriter, r *http.Request) {
			// Answers well, but only after caisse gave up. With the body
			// read, r's context ends when caisse hangs up.
			io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(20 * shortTimeout):
			}
			answer(http.StatusCreated, ok)(w, r)
		}, false},
		testCase{"closed connection", func(w http.ResponseWriter, _ *http.Request) {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
		}, false},
		testCase{"201 not json", answer(http.StatusCreated, "not json"), false},
		testCase{"201 unknown status", answer(http.StatusCreated, `{"id":"op_1","reference":"cs_class","status":"queued"}`), false},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			op := httptest.NewServer(c.handler)
			t.Cleanup(op.Close)
			conn := &connector.HTTP{ConnectorName: "fakeop", BaseURL: op.URL, Secret: secret,
				CallbackURL: "http://127.0.0.1:1/cb", Timeout: shortTimeout}
			start := time.Now()
			started, err := conn.Initiate(t.Context(), payment("cs_class", "+2250707000001"))
			if err == nil || started != (connector.Started{}) {
				t.Fatalf("Initiate = %+v, %v; want an error and nothing started", started, err)
			}
			if errors.Is(err, connector.ErrRefused) != c.refused {
				t.Errorf("Initiate: %v; refused = %t, want %t", err, !c.refused, c.refused)
			}
			if d := time.Since(start); d > 10*shortTimeout {
				t.Errorf("Initiate took %s with a %s timeout", d, shortTimeout)
			}
		})
	}
}

// newFaultRig is a rig whose operator holds stalled answers for shortStall
// and whose connector waits shortTimeout for an answer.
func newFaultRig(t *testing.T) *rig {
	t.Helper()
	r := newRig(t, func(f *connector.FakeOperator, _ *receiver) { f.Stall = shortStall })
	r.conn.Timeout = shortTimeout
	return r
}

func TestFakeFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, phone string
		want        string // in Initiate's error
		callbacks   bool   // processing then succeeded are called back
		made        bool   // the operator has the payment, succeeded
	}{
		{"start_timeout", "+2250707000006", "deadline exceeded", true, true},
		{"start_502", "+2250707000007", `operator answered 502: "{\"error\":\"bad gateway\"}`, true, true},
		{"silent_success", "+2250707000008", "deadline exceeded", false, true},
		{"down", "+2250707000009", `operator answered 503: "{\"error\":\"service unavailable\"}`, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newFaultRig(t)
			session := "cs_" + c.name
			p := payment(session, c.phone)
			start := time.Now()
			_, err := r.conn.Initiate(t.Context(), p)
			if err == nil || errors.Is(err, connector.ErrRefused) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Initiate: %v; want an ambiguous error with %s", err, c.want)
			}
			if d := time.Since(start); d >= shortStall {
				t.Errorf("Initiate took %s: caisse waited for the whole stall", d)
			}

			var called []connector.Result
			if c.callbacks {
				called = r.rcv.wait(t, 2)
			} else {
				time.Sleep(2 * testDelay)
			}
			if _, requests, _ := r.rcv.snapshot(); requests != len(called) {
				t.Errorf("%d callback requests, want %d", requests, len(called))
			}

			st, err := r.conn.Status(t.Context(), p, "")
			if !c.made {
				if !errors.Is(err, connector.ErrNoPayment) {
					t.Errorf("Status by attempt = %+v, %v; want ErrNoPayment", st, err)
				}
				if _, err := r.conn.Initiate(t.Context(), p); err == nil || errors.Is(err, connector.ErrRefused) {
					t.Errorf("Initiate again: %v, want an ambiguous error", err)
				}
				return
			}
			if err != nil || st.Status != connector.StatusSucceeded || st.SessionID != session {
				t.Fatalf("Status by attempt = %+v, %v; want succeeded", st, err)
			}
			want := []connector.Result{
				{SessionID: session, Ref: st.Ref, Status: connector.StatusProcessing},
				{SessionID: session, Ref: st.Ref, Status: connector.StatusSucceeded},
			}
			if c.callbacks && !slices.Equal(called, want) {
				t.Errorf("callbacks %+v, want %+v", called, want)
			}
			if byID, err := r.conn.Status(t.Context(), p, st.Ref); err != nil || byID != st {
				t.Errorf("Status by id = %+v, %v; want %+v", byID, err, st)
			}
			// A retry (same attempt) gets the payment at once: no stall, no 502, nothing new.
			if again, err := r.conn.Initiate(t.Context(), p); err != nil || again != (connector.Started{Ref: st.Ref}) {
				t.Errorf("Initiate again = %+v, %v; want %q", again, err, st.Ref)
			}
			time.Sleep(2 * testDelay)
			if _, requests, _ := r.rcv.snapshot(); requests != len(called) {
				t.Errorf("%d callback requests after the retry, want %d", requests, len(called))
			}
		})
	}
}

func TestFakeOperatorHoldEnds(t *testing.T) {
	t.Parallel()
	newOp := func(t *testing.T) (*connector.FakeOperator, *httptest.Server, *connector.HTTP) {
		fake := &connector.FakeOperator{Secret: secret, Delay: time.Hour, Stall: time.Minute}
		op := httptest.NewServer(fake)
		t.Cleanup(op.Close)
		t.Cleanup(fake.Close)
		return fake, op, &connector.HTTP{ConnectorName: "fakeop", BaseURL: op.URL, Secret: secret, CallbackURL: "http://127.0.0.1:1/cb"}
	}

	t.Run("client gone", func(t *testing.T) {
		t.Parallel()
		_, op, conn := newOp(t)
		conn.Timeout = shortTimeout
		if _, err := conn.Initiate(t.Context(), payment("cs_gone", "+2250707000006")); err == nil {
			t.Fatal("Initiate: no error, want a timeout")
		}
		start := time.Now()
		op.Close() // waits for the handler that holds the answer
		if d := time.Since(start); d > time.Second {
			t.Errorf("the hold outlived its client by %s", d)
		}
	})

	t.Run("Close", func(t *testing.T) {
		t.Parallel()
		fake, _, conn := newOp(t)
		p := payment("cs_closed", "+2250707000008")
		done := make(chan error, 1)
		go func() {
			_, err := conn.Initiate(t.Context(), p)
			done <- err
		}()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if _, err := conn.Status(t.Context(), p, ""); err == nil {
				break // the payment is made; its answer is held
			}
			if time.Now().After(deadline) {
				t.Fatal("the payment was not made within 5 s")
			}
		}
		start := time.Now()
		fake.Close()
		if d := time.Since(start); d > time.Second {
			t.Errorf("Close took %s", d)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Initiate after the hold ended: %v", err)
			}
		case <-time.After(time.Second):
			t.Error("the held answer was not sent within 1 s of Close")
		}
	})
}

func TestFakeFaultsTable(t *testing.T) {
	t.Parallel()
	var names, suffixes []string
	for _, f := range connector.FakeFaults {
		names, suffixes = append(names, f.Name), append(suffixes, f.Suffix)
		if s := connector.TestScenario("+22507070" + f.Suffix); s.Name != "approve" {
			t.Errorf("%s: plays %s, want approve", f.Name, s.Name)
		}
	}
	if want := []string{"start_timeout", "start_502", "silent_success", "down"}; !slices.Equal(names, want) {
		t.Errorf("names = %v, want %v", names, want)
	}
	if want := []string{"0006", "0007", "0008", "0009"}; !slices.Equal(suffixes, want) {
		t.Errorf("suffixes = %v, want %v", suffixes, want)
	}
}
