package lumadb

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestErrorFromProblemTypesEveryStatus(t *testing.T) {
	kinds := map[int]error{
		400: ErrBadRequest, 401: ErrUnauthorized, 403: ErrForbidden, 404: ErrNotFound,
		408: ErrRequestTimeout, 409: ErrConflict, 410: ErrGone, 412: ErrPreconditionFailed,
		413: ErrPayloadTooLarge, 429: ErrTooManyRequests, 503: ErrUnavailable,
	}
	all := []error{ErrBadRequest, ErrUnauthorized, ErrForbidden, ErrNotFound, ErrRequestTimeout, ErrConflict,
		ErrGone, ErrPreconditionFailed, ErrPayloadTooLarge, ErrTooManyRequests, ErrUnavailable, ErrUnreachable}
	for status, kind := range kinds {
		body := fmt.Sprintf(`{"type":"urn:lumadb:problem:x","title":"T","status":%d}`, status)
		err := error(ErrorFromProblem(status, []byte(body), "", ""))
		for _, other := range all {
			if got := errors.Is(err, other); got != (other == kind) {
				t.Errorf("status %d: errors.Is(err, %v) = %v", status, other, got)
			}
		}
		var e *Error
		if !errors.As(fmt.Errorf("wrapped: %w", err), &e) || e.Status != status {
			t.Errorf("status %d: errors.As through a wrapper: %v", status, e)
		}
	}
}

func TestErrorFromProblemReadsEveryMember(t *testing.T) {
	body := `{"type":"urn:lumadb:problem:precondition-failed","title":"Precondition failed","status":412,` +
		`"detail":"document 'a' is at version 3","field":"If-Match","currentVersion":3}`
	e := ErrorFromProblem(412, []byte(body), "Precondition Failed", "")
	if e.Slug() != "precondition-failed" || e.Title != "Precondition failed" || e.Field != "If-Match" ||
		e.Detail != "document 'a' is at version 3" {
		t.Fatalf("members: %#v", e)
	}
	if v, ok := e.CurrentVersion(); !ok || v != 3 {
		t.Fatalf("CurrentVersion = %d, %v", v, ok)
	}
	if !errors.Is(e, ErrVersionMismatch) {
		t.Fatal("a 412 is not ErrVersionMismatch")
	}
	want := "lumadb: 412 Precondition failed: document 'a' is at version 3 (at If-Match)"
	if e.Error() != want {
		t.Fatalf("Error() = %q, want %q", e.Error(), want)
	}
}

func TestGoneErrorsAreTypedBySlug(t *testing.T) {
	for slug, kind := range map[string]error{"history-lost": ErrHistoryLost, "collection-dropped": ErrCollectionDropped} {
		e := ErrorFromProblem(410, []byte(`{"type":"urn:lumadb:problem:`+slug+`","title":"x"}`), "", "")
		if !errors.Is(e, kind) || !errors.Is(e, ErrGone) {
			t.Errorf("%s: is %v %v, gone %v", slug, kind, errors.Is(e, kind), errors.Is(e, ErrGone))
		}
	}
	other := ErrorFromProblem(410, []byte(`{"type":"urn:lumadb:problem:other"}`), "", "")
	if errors.Is(other, ErrHistoryLost) || errors.Is(other, ErrCollectionDropped) || !errors.Is(other, ErrGone) {
		t.Errorf("a plain 410: %v", other)
	}
}

func TestRetryAfterFromTheProblemOrTheHeader(t *testing.T) {
	fromDoc := ErrorFromProblem(429, []byte(`{"type":"urn:lumadb:problem:rate-limited","retryAfter":2.5}`), "", "9")
	if fromDoc.RetryAfter != 2500*time.Millisecond || !errors.Is(fromDoc, ErrRateLimited) {
		t.Fatalf("retryAfter member: %v", fromDoc.RetryAfter)
	}
	fromHeader := ErrorFromProblem(503, nil, "Service Unavailable", "1")
	if fromHeader.RetryAfter != time.Second || fromHeader.Title != "Service Unavailable" {
		t.Fatalf("Retry-After header: %v %q", fromHeader.RetryAfter, fromHeader.Title)
	}
}

func TestAnAnswerThatIsNoProblemKeepsItsText(t *testing.T) {
	e := ErrorFromProblem(502, []byte("<html>bad gateway</html>"), "Bad Gateway", "")
	if e.Status != 502 || e.Title != "Bad Gateway" || e.Detail != "<html>bad gateway</html>" || e.Type != "about:blank" {
		t.Fatalf("%#v", e)
	}
	if errors.Is(e, ErrUnavailable) {
		t.Fatal("a 502 is not ErrUnavailable")
	}
}

func TestUnreachableUnwrapsItsCause(t *testing.T) {
	cause := errors.New("connection refused")
	e := unreachable(cause, "GET %s", "/x")
	if !errors.Is(e, ErrUnreachable) || !errors.Is(e, cause) || e.Status != 0 {
		t.Fatalf("%v", e)
	}
}

func TestStreamEventsBecomeTypedErrors(t *testing.T) {
	dropped := failWith(Event{Name: "dropped", Data: `{"db":"d","collection":"c","message":"the collection was dropped"}`})
	var e *Error
	if !errors.As(dropped, &e) || e.Status != 410 || !errors.Is(e, ErrCollectionDropped) || e.Detail != "the collection was dropped" {
		t.Fatalf("dropped: %#v", dropped)
	}
	lost := failWith(Event{Name: "error", Data: `{"type":"urn:lumadb:problem:history-lost","status":410}`})
	if !errors.Is(lost, ErrHistoryLost) || lost.(*Error).Title != "History lost" {
		t.Fatalf("history lost: %#v", lost)
	}
	revoked := failWith(Event{Name: "unauthorized", Data: `{"message":"the key was revoked"}`})
	if !errors.Is(revoked, ErrUnauthorized) {
		t.Fatalf("unauthorized: %#v", revoked)
	}
}
