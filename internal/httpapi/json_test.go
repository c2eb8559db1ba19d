package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

type failing struct{}

func (failing) MarshalJSON() ([]byte, error) { return nil, errors.New("does not encode") }

// WriteJSON sends the body with its length, & unescaped; a value that does
// not encode sends nothing and is the handler's error.
func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := WriteJSON(rec, http.StatusCreated, map[string]string{"url": "https://x.test/?a=1&b=2"}); err != nil {
		t.Fatal(err)
	}
	body := rec.Body.String()
	if rec.Code != http.StatusCreated || body != `{"url":"https://x.test/?a=1&b=2"}`+"\n" ||
		rec.Header().Get("Content-Length") != strconv.Itoa(len(body)) || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("got %d %q, headers %v", rec.Code, body, rec.Header())
	}
	for _, v := range []any{failing{}, map[string]any{"c": make(chan int)}} {
		rec := httptest.NewRecorder()
		if err := WriteJSON(rec, http.StatusOK, v); err == nil {
			t.Errorf("%T: no error", v)
		}
		if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
			t.Errorf("%T: wrote %q, headers %v", v, rec.Body.String(), rec.Header())
		}
	}
}
