package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// WriteJSON answers status with v as JSON, every dialect's one way of
// writing a body: no HTML escaping (an & in a URL stays &), a trailing
// newline, and a Content-Length. The body is encoded before anything is
// sent: a value that does not encode writes nothing and is the error, for
// the handler to answer (a 500 in its dialect, logged) instead of a 200 cut
// short.
// A json.Marshaler given as v (a Stripe object rendered at its API version)
// is written as it marshals itself: encoding/json would only check and
// compact its output again.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	var b []byte
	var err error
	if m, ok := v.(json.Marshaler); ok {
		b, err = m.MarshalJSON()
		b = append(b, '\n')
	} else {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		err = enc.Encode(v)
		b = buf.Bytes()
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // the client went away
	return nil
}
