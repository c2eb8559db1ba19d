package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/caisse/caisse/internal/store"
)

// Problem is an API error before a dialect renders it.
type Problem struct {
	Status  int
	Type    string // Stripe's error type: invalid_request_error, api_error, …
	Code    string // machine-readable: parameter_missing, resource_missing, …
	Message string
	Param   string
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Code, p.Message) }

// Error types, as Stripe names them.
const (
	TypeInvalidRequest = "invalid_request_error"
	TypeAPI            = "api_error"
	TypeIdempotency    = "idempotency_error"
	TypeRateLimit      = "rate_limit_error"
)

// Invalid is a 400 about one parameter.
func Invalid(param, code, format string, args ...any) *Problem {
	return &Problem{Status: http.StatusBadRequest, Type: TypeInvalidRequest, Code: code, Param: param,
		Message: fmt.Sprintf(format, args...)}
}

// Common problems.
var (
	ErrInternal = &Problem{Status: http.StatusInternalServerError, Type: TypeAPI, Code: "internal_error",
		Message: "An internal error occurred; it has been logged. Retry later."}
	ErrTooLarge = &Problem{Status: http.StatusRequestEntityTooLarge, Type: TypeInvalidRequest, Code: "body_too_large",
		Message: fmt.Sprintf("The request body is larger than %d bytes.", MaxBody)}
	ErrRateLimited = &Problem{Status: http.StatusTooManyRequests, Type: TypeRateLimit, Code: "rate_limit",
		Message: "Too many requests hit the API too quickly; slow down and retry."}
	ErrUnavailable = &Problem{Status: http.StatusServiceUnavailable, Type: TypeAPI, Code: "timeout",
		Message: "The request did not complete in time (the database is slow or unreachable). Retry later."}
)

// Internal is the problem to answer for an error nobody expected: a 503 when
// the request ran out of time (its deadline, or the database's), a 500
// otherwise. The details belong in the log, never in the answer.
func Internal(err error) *Problem {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, store.ErrUnavailable) {
		return ErrUnavailable
	}
	return ErrInternal
}

// Renderer writes a problem in a dialect's wire shape.
type Renderer func(w http.ResponseWriter, r *http.Request, p *Problem)

// HandlerFunc is an API handler that returns its error instead of writing it:
// each dialect writes errors in one place (Handle's fail).
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle serves h, and writes the error it returns with fail, the dialect's
// one mapping of errors to its wire shape.
func Handle(fail func(w http.ResponseWriter, r *http.Request, err error), h HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			fail(w, r, err)
		}
	}
}
