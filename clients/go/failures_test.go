package lumadb_test

// Every typed error, each made by a real node (and ErrUnreachable by no node at all), and
// what a context's deadline or cancellation does to a call.

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	lumadb "github.com/lumadb/lumadb-go"
)

func errorsCollection(t *testing.T) (*lumadb.Client, *lumadb.Collection) {
	t.Helper()
	c := node(t)
	coll := database(t, c, "errors").Collection("things")
	must[*lumadb.CollectionInfo](t)(coll.Create(testContext(t, 30*time.Second), nil))
	return c, coll
}

func asError(t *testing.T, err error, kind error, status int, slug string) *lumadb.Error {
	t.Helper()
	var e *lumadb.Error
	if !errors.As(err, &e) || !errors.Is(err, kind) || e.Status != status || (slug != "" && e.Slug() != slug) {
		t.Fatalf("want %v (%d %s), got %#v", kind, status, slug, err)
	}
	return e
}

func TestBadRequest(t *testing.T) {
	c := node(t)
	_, err := c.CreateDatabase(testContext(t, 30*time.Second), "bad*name")
	e := asError(t, err, lumadb.ErrBadRequest, 400, "invalid-name")
	if e.Title == "" || !strings.Contains(e.Detail, "bad*name") {
		t.Fatalf("%#v", e)
	}
}

func TestUnauthorizedWithoutValidCredentials(t *testing.T) {
	user := os.Getenv("LUMADB_USER")
	if user == "" {
		user = "admin"
	}
	for name, option := range map[string]lumadb.Option{
		"unknown key":    lumadb.WithAPIKey("luma_notakey_notasecret"),
		"no credentials": lumadb.WithoutAuth(),
		"wrong password": lumadb.WithBasicAuth(user, "wrong password"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := node(t, option).ListDatabases(testContext(t, 30*time.Second))
			asError(t, err, lumadb.ErrUnauthorized, 401, "unauthorized")
		})
	}
}

func TestPasswordSignIn(t *testing.T) {
	user := needEnv(t, "LUMADB_USER", "the sign-in test needs the admin user")
	c, coll := errorsCollection(t)
	byPassword := node(t, lumadb.WithBasicAuth(user, os.Getenv("LUMADB_PASSWORD")))
	ctx := testContext(t, 30*time.Second)
	if me := must[*lumadb.Principal](t)(byPassword.WhoAmI(ctx)); me.Name != user {
		t.Fatalf("whoami %+v", me)
	}
	if !containsDB(must[[]lumadb.DatabaseInfo](t)(byPassword.ListDatabases(ctx)), coll.Database()) {
		t.Fatal("the user does not see the database")
	}
	// FromEnv reads the same environment the harness set.
	fromEnv := must[*lumadb.Client](t)(lumadb.FromEnv())
	defer fromEnv.Close()
	if fromEnv.URL() != strings.TrimSuffix(os.Getenv("LUMADB_URL"), "/") {
		t.Fatalf("FromEnv URL %s", fromEnv.URL())
	}
	if me := must[*lumadb.Principal](t)(fromEnv.WhoAmI(ctx)); me.Kind == "" {
		t.Fatalf("whoami from env %+v", me)
	}
	_ = c
}

func TestForbiddenForAReadOnlyKey(t *testing.T) {
	c, coll := errorsCollection(t)
	ctx := testContext(t, 30*time.Second)
	reader := node(t, lumadb.WithAPIKey(createKey(t, c, "read"))).Collection(coll.Database(), coll.Name())
	must[*lumadb.WriteResult](t)(coll.Put(ctx, "r1", lumadb.M{"v": 1}))
	if d := must[lumadb.Document](t)(reader.Get(ctx, "r1")); d["v"] != 1.0 {
		t.Fatalf("read %v", d)
	}
	_, err := reader.Put(ctx, "r1", lumadb.M{"v": 2})
	asError(t, err, lumadb.ErrForbidden, 403, "forbidden")
	if d := must[lumadb.Document](t)(coll.Get(ctx, "r1")); d["v"] != 1.0 {
		t.Fatalf("the refused write happened: %v", d)
	}
}

func TestNotFound(t *testing.T) {
	c, coll := errorsCollection(t)
	_, err := c.Collection(coll.Database(), "nothing-here").Get(testContext(t, 30*time.Second), "x")
	asError(t, err, lumadb.ErrNotFound, 404, "collection-not-found")
}

func TestConflictAndPreconditionFailed(t *testing.T) {
	_, coll := errorsCollection(t)
	ctx := testContext(t, 30*time.Second)
	_, err := coll.Create(ctx, &lumadb.CollectionOptions{PreImages: true})
	if e := asError(t, err, lumadb.ErrConflict, 409, ""); e.Field != "/preImages" {
		t.Fatalf("field %q", e.Field)
	}
	version := must[*lumadb.WriteResult](t)(coll.Put(ctx, "p1", lumadb.M{"v": 1})).Version
	_, err = coll.Delete(ctx, "p1", lumadb.IfMatch(version+1000))
	e := asError(t, err, lumadb.ErrPreconditionFailed, 412, "precondition-failed")
	if v, ok := e.CurrentVersion(); !ok || v != version {
		t.Fatalf("CurrentVersion %d %v, want %d", v, ok, version)
	}
}

func TestPayloadTooLarge(t *testing.T) {
	_, coll := errorsCollection(t)
	big := strings.Repeat("x", 3<<20)
	_, err := coll.Put(testContext(t, time.Minute), "big", lumadb.M{"blob": big})
	asError(t, err, lumadb.ErrPayloadTooLarge, 413, "")
}

func TestTooManyRequestsWhenAKeyHoldsTooManyStreams(t *testing.T) {
	limit := envInt(t, "LUMADB_TEST_MAX_STREAMS")
	c, coll := errorsCollection(t)
	reader := node(t, lumadb.WithAPIKey(createKey(t, c, "read"))).Collection(coll.Database(), coll.Name())
	ctx := testContext(t, time.Minute)
	for i := 0; i < limit; i++ {
		s, err := reader.Changes(ctx, lumadb.FromNow)
		if err != nil {
			t.Fatalf("stream %d of %d: %v", i+1, limit, err)
		}
		defer s.Close()
	}
	_, err := reader.Changes(ctx, lumadb.FromNow)
	e := asError(t, err, lumadb.ErrRateLimited, 429, "too-many-subscriptions")
	if e.RetryAfter != time.Second {
		t.Fatalf("RetryAfter %v", e.RetryAfter)
	}
}

func TestUnavailableWhenAnAddressHoldsTooManyConnections(t *testing.T) {
	limit := envInt(t, "LUMADB_TEST_MAX_CONNECTIONS")
	c := node(t)
	address := strings.TrimPrefix(strings.TrimPrefix(c.URL(), "http://"), "https://")
	var held []net.Conn
	defer func() {
		for _, conn := range held {
			conn.Close()
		}
	}()
	for i := 0; i < limit; i++ {
		conn, err := net.DialTimeout("tcp", address, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, conn)
	}
	_, err := c.ListDatabases(testContext(t, 30*time.Second))
	e := asError(t, err, lumadb.ErrUnavailable, 503, "too-many-connections")
	if e.RetryAfter != time.Second {
		t.Fatalf("RetryAfter %v", e.RetryAfter)
	}
	for _, conn := range held {
		conn.Close()
	}
	held = nil
	// The node counts the connections down as it sees them close: wait for that, so that the
	// other tests are not refused.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.Close()
		_, err := c.ListDatabases(testContext(t, 30*time.Second))
		if err == nil {
			break
		}
		if !errors.Is(err, lumadb.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestUnreachableWrapsTheNetworkError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := ln.Addr().String()
	ln.Close() // nobody listens there now: connections are refused
	nobody := must[*lumadb.Client](t)(lumadb.New("http://"+address, lumadb.WithTimeout(5*time.Second)))
	_, err = nobody.ListDatabases(context.Background())
	e := asError(t, err, lumadb.ErrUnreachable, 0, "")
	var netErr *net.OpError
	if !errors.As(e, &netErr) {
		t.Fatalf("the cause is not a network error: %#v", e.Unwrap())
	}
	_, err = nobody.Collection("a", "b").Changes(context.Background(), lumadb.FromNow)
	asError(t, err, lumadb.ErrUnreachable, 0, "")
}

func TestAContextDeadlineOrCancellationEndsACall(t *testing.T) {
	_, coll := errorsCollection(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := coll.Get(cancelled, "x"); !errors.Is(err, context.Canceled) || errors.Is(err, lumadb.ErrUnreachable) {
		t.Fatalf("a cancelled context: %v", err)
	}
	// A long poll that would wait 20 s for a change, cut short by a deadline of 300 ms.
	ctx, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	started := time.Now()
	_, _, err := coll.PullChanges(ctx, lumadb.FromNow, 10, 20*time.Second, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a long poll past the deadline: %v", err)
	}
	if took := time.Since(started); took > 5*time.Second {
		t.Fatalf("the call ended %v after its deadline", took)
	}
	// and the cancellation of a stream's context ends the stream
	sctx, scancel := context.WithCancel(context.Background())
	stream := must[*lumadb.ChangeStream](t)(coll.Changes(sctx, lumadb.FromNow))
	defer stream.Close()
	time.AfterFunc(200*time.Millisecond, scancel)
	if stream.Next(context.Background()) || !errors.Is(stream.Err(), context.Canceled) {
		t.Fatalf("a cancelled stream: Err %v", stream.Err())
	}
	// a client with a timeout of its own bounds calls without a deadline
	short := node(t, lumadb.WithTimeout(300*time.Millisecond)).Collection(coll.Database(), coll.Name())
	_, _, err = short.PullChanges(context.Background(), lumadb.FromNow, 10, 20*time.Second, nil)
	asError(t, err, lumadb.ErrUnreachable, 0, "")
}
