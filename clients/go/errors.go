package lumadb

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ProblemPrefix starts the type of every problem document a LumaDB node sends:
// urn:lumadb:problem:<slug>.
const ProblemPrefix = "urn:lumadb:problem:"

// Kinds of error, for errors.Is. Each *Error matches the kind of its HTTP status (and, for 410,
// of its problem type); ErrUnreachable matches an error of a request that got no answer.
//
//	if errors.Is(err, lumadb.ErrPreconditionFailed) { ... }
var (
	ErrBadRequest         = errors.New("lumadb: bad request")                       // 400
	ErrUnauthorized       = errors.New("lumadb: unauthorized")                      // 401
	ErrForbidden          = errors.New("lumadb: forbidden")                         // 403
	ErrNotFound           = errors.New("lumadb: not found")                         // 404
	ErrRequestTimeout     = errors.New("lumadb: request timeout")                   // 408
	ErrConflict           = errors.New("lumadb: conflict")                          // 409
	ErrGone               = errors.New("lumadb: gone")                              // 410
	ErrHistoryLost        = errors.New("lumadb: history lost")                      // 410 history-lost
	ErrCollectionDropped  = errors.New("lumadb: collection dropped")                // 410 collection-dropped
	ErrPreconditionFailed = errors.New("lumadb: precondition failed")               // 412
	ErrPayloadTooLarge    = errors.New("lumadb: payload too large")                 // 413
	ErrTooManyRequests    = errors.New("lumadb: too many requests")                 // 429
	ErrUnavailable        = errors.New("lumadb: unavailable")                       // 503
	ErrUnreachable        = errors.New("lumadb: unreachable")                       // no answer
	ErrIndexFailed        = errors.New("lumadb: index build failed")                // WaitForIndex
	ErrProtocol           = errors.New("lumadb: the node's answer is not readable") // not HTTP, SSE or JSON

	// ErrVersionMismatch is ErrPreconditionFailed: an If-Match version that did not hold.
	ErrVersionMismatch = ErrPreconditionFailed
	// ErrRateLimited is ErrTooManyRequests.
	ErrRateLimited = ErrTooManyRequests
)

var kindByStatus = map[int]error{
	400: ErrBadRequest,
	401: ErrUnauthorized,
	403: ErrForbidden,
	404: ErrNotFound,
	408: ErrRequestTimeout,
	409: ErrConflict,
	410: ErrGone,
	412: ErrPreconditionFailed,
	413: ErrPayloadTooLarge,
	429: ErrTooManyRequests,
	503: ErrUnavailable,
}

var kindBySlug = map[string]error{
	"history-lost":       ErrHistoryLost,
	"collection-dropped": ErrCollectionDropped,
}

// Error is a request the node refused (made from its application/problem+json answer), or one
// that got no answer at all (Status 0, errors.Is(err, ErrUnreachable), Unwrap gives the cause).
//
// Use errors.As to read it and errors.Is with the Err* kinds to tell refusals apart.
type Error struct {
	// Status is the HTTP status, 0 when no answer came.
	Status int
	// Type is the problem type, urn:lumadb:problem:<slug> (see Slug).
	Type string
	// Title is a short human summary of the type.
	Title string
	// Detail says what went wrong with this request.
	Detail string
	// Field is the offending part of the request: a JSON pointer into the body such as
	// /filter/age/$gte, or a header or parameter name; empty if no one part is to blame.
	Field string
	// SQLState is the SQLSTATE of a failed SQL statement.
	SQLState string
	// RetryAfter is how long to wait before trying again, when the node said (429, 503).
	RetryAfter time.Duration
	// Problem is the whole problem document, with extra members such as currentVersion.
	Problem map[string]any

	kind  error
	cause error
}

// Error describes the refusal: status, title, detail and field.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("lumadb: ")
	if e.Status != 0 {
		b.WriteString(strconv.Itoa(e.Status))
		b.WriteString(" ")
	}
	b.WriteString(e.Title)
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Field != "" {
		b.WriteString(" (at ")
		b.WriteString(e.Field)
		b.WriteString(")")
	}
	return b.String()
}

// Slug is the last part of Type: precondition-failed, invalid-query, ...
func (e *Error) Slug() string {
	return strings.TrimPrefix(e.Type, ProblemPrefix)
}

// CurrentVersion is a document's version when a precondition failed (412): 0 when it does
// not exist; ok is false when the node did not say.
func (e *Error) CurrentVersion() (version int64, ok bool) {
	f, isNumber := e.Problem["currentVersion"].(float64)
	if !isNumber {
		return 0, false
	}
	return int64(f), true
}

// Is reports whether target is the kind of this error (ErrNotFound, ErrGone, ...).
// HistoryLost and CollectionDropped errors are also ErrGone.
func (e *Error) Is(target error) bool {
	if target == e.kind {
		return true
	}
	return target == ErrGone && (e.kind == ErrHistoryLost || e.kind == ErrCollectionDropped)
}

// Unwrap is the cause of an error without an answer (a network error), else nil.
func (e *Error) Unwrap() error { return e.cause }

// ErrorFromProblem is the typed error for an answer with status and body (a problem document,
// or anything else such as a proxy's HTML page, whose start then becomes the detail). reason
// is the status text, retryAfter the Retry-After header (either may be empty).
func ErrorFromProblem(status int, body []byte, reason, retryAfter string) *Error {
	doc := map[string]any{}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &doc); err != nil || doc == nil {
			doc = map[string]any{}
			text := strings.TrimSpace(string(body))
			if len(text) > 500 {
				text = text[:500]
			}
			if text != "" {
				doc["detail"] = text
			}
		}
	}
	if _, has := doc["retryAfter"]; !has && retryAfter != "" {
		if seconds, err := strconv.ParseFloat(strings.TrimSpace(retryAfter), 64); err == nil {
			doc["retryAfter"] = seconds
		}
	}
	return errorFromDoc(status, doc, reason)
}

func errorFromDoc(status int, doc map[string]any, reason string) *Error {
	e := &Error{Status: status, Type: "about:blank", Title: reason, Problem: doc}
	if s, ok := doc["type"].(string); ok {
		e.Type = s
	}
	if s, ok := doc["title"].(string); ok && s != "" {
		e.Title = s
	}
	if s, ok := doc["detail"].(string); ok {
		e.Detail = s
	}
	if s, ok := doc["field"].(string); ok {
		e.Field = s
	}
	if s, ok := doc["sqlState"].(string); ok {
		e.SQLState = s
	}
	if f, ok := doc["retryAfter"].(float64); ok && f >= 0 && !math.IsInf(f, 0) {
		e.RetryAfter = time.Duration(f * float64(time.Second))
	}
	e.kind = kindByStatus[status]
	if strings.HasPrefix(e.Type, ProblemPrefix) {
		if k, ok := kindBySlug[e.Slug()]; ok {
			e.kind = k
		}
	}
	return e
}

// unreachable is the error of a request that got no answer.
func unreachable(cause error, format string, args ...any) *Error {
	return &Error{
		Type:   "urn:lumadb:client:unreachable",
		Title:  "Unreachable",
		Detail: fmt.Sprintf(format, args...),
		kind:   ErrUnreachable,
		cause:  cause,
	}
}

// protocolError is the error of an answer that is not what the API sends.
func protocolError(format string, args ...any) *Error {
	return &Error{
		Type:   "urn:lumadb:client:protocol",
		Title:  "Unreadable answer",
		Detail: fmt.Sprintf(format, args...),
		kind:   ErrProtocol,
	}
}
