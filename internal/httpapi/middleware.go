package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/randid"
)

// MaxBody is the largest request body accepted: 1 MiB.
const MaxBody = 1 << 20

type ctxKey int

const (
	stateKey ctxKey = iota
	bodyKey
	undeadlinedKey
)

// requestState is what Observe shares with the layers below it: the request id
// and, once Auth has run, the principal (so the access log can name the merchant).
type requestState struct {
	id        string
	principal *merchant.Principal
}

func stateFrom(ctx context.Context) *requestState {
	st, _ := ctx.Value(stateKey).(*requestState)
	if st == nil {
		return &requestState{}
	}
	return st
}

// RequestID returns the id given to the request by Observe.
func RequestID(ctx context.Context) string { return stateFrom(ctx).id }

// statusWriter remembers the status code and, when capture is set, the body.
type statusWriter struct {
	http.ResponseWriter
	status  int
	capture *bytes.Buffer
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.capture != nil {
		w.capture.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streaming responses (server-sent events) through.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap is the writer underneath, for http.ResponseController (a stream
// extends its write deadline through it).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Observe gives each request an id (header Request-Id), logs one line when it
// ends — method, path without query string, status, duration, never a header
// or a body; probes at debug level — counts it in metrics, and turns a panic
// into a logged 500 rendered by fallback.
func Observe(log *slog.Logger, metrics *Metrics, fallback Renderer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := "req_" + randid.String(14)
		w.Header().Set("Request-Id", id)
		st := &requestState{id: id}
		r = r.WithContext(context.WithValue(r.Context(), stateKey, st))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic", "request_id", id, "panic", v, "stack", string(debug.Stack()))
				if sw.status == 0 {
					fallback(sw, r, ErrInternal)
				}
			}
			took := time.Since(start)
			metrics.observe(r.Pattern, r.Method, sw.status, took)
			attrs := []any{"request_id", id, "method", r.Method, "path", r.URL.Path,
				"status", sw.status, "duration_ms", took.Milliseconds()}
			if p := st.principal; p != nil {
				attrs = append(attrs, "merchant", p.Merchant.ID, "livemode", p.Livemode)
			}
			level := slog.LevelInfo
			if probes[r.URL.Path] {
				level = slog.LevelDebug
			}
			log.Log(r.Context(), level, "request", attrs...)
		}()
		next.ServeHTTP(sw, r)
	})
}

// Deadline gives each request d to finish (0: no deadline): the database
// calls it makes fail once d has passed, and the answer is a clean 503
// (Internal), never a hang.
func Deadline(d time.Duration, next http.Handler) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), undeadlinedKey, r.Context()), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// NoDeadline is the request's context without Deadline's deadline, still
// ended when the client goes away: for a response that streams for longer
// (GET /v1/events/stream) and bounds its own life.
func NoDeadline(r *http.Request) context.Context {
	if ctx, ok := r.Context().Value(undeadlinedKey).(context.Context); ok {
		return ctx
	}
	return r.Context()
}

// probes are the paths load balancers and scrapers hit every few seconds.
var probes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// ReadBody reads the whole body once, refusing more than MaxBody bytes, and
// keeps it for Body and for later readers of r.Body.
func ReadBody(render Renderer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			render(w, r, ErrTooLarge)
			return
		case err != nil:
			render(w, r, Invalid("", "body_unreadable", "The request body could not be read."))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyKey, body)))
	})
}

// Body returns the body ReadBody kept.
func Body(r *http.Request) []byte {
	b, _ := r.Context().Value(bodyKey).([]byte)
	return b
}
