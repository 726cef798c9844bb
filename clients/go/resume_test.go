package lumadb_test

// How streams resume, against a scripted event-stream peer on loopback (no node needed). The
// peer plays connections one after another and records each request, so these tests check
// what the client sends when it reconnects (Last-Event-ID = the last position it handed out)
// and that it neither repeats nor drops an event across a connection that broke or ended.
// The same against a real node, restarted mid-stream, is in streams_test.go.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	lumadb "github.com/lumadb/lumadb-go"
)

var fast = lumadb.Reconnect{InitialDelay: 20 * time.Millisecond, MaxDelay: 200 * time.Millisecond, GiveUpAfter: 20 * time.Second, ReadTimeout: 10 * time.Second}

func frame(event string, data any, id string) string {
	b, _ := json.Marshal(data)
	head := ""
	if id != "" {
		head = "id: " + id + "\n"
	}
	return head + "event: " + event + "\ndata: " + string(b) + "\n\n"
}

func changeFrame(n int) string {
	token := fmt.Sprintf("t%d", n)
	id := fmt.Sprintf("d%d", n)
	return frame("change", map[string]any{
		"op": "c", "before": nil, "after": map[string]any{"_id": id, "_version": n},
		"source": map[string]any{"shard": 0, "seq": n, "id": id, "version": n}, "token": token,
	}, token)
}

type script func(conn net.Conn, request *http.Request)

// peer answers the i-th connection with the i-th script and keeps every request.
type peer struct {
	t        *testing.T
	ln       net.Listener
	mu       sync.Mutex
	requests []*http.Request
	done     chan struct{}
}

func newPeer(t *testing.T, scripts ...script) *peer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{t: t, ln: ln, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for _, s := range scripts {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			req, err := http.ReadRequest(bufio.NewReader(conn))
			if err != nil {
				conn.Close()
				return
			}
			p.mu.Lock()
			p.requests = append(p.requests, req)
			p.mu.Unlock()
			s(conn, req)
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-p.done })
	return p
}

func (p *peer) url() string { return "http://" + p.ln.Addr().String() }

func (p *peer) lastEventIDs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []string
	for _, r := range p.requests {
		ids = append(ids, r.Header.Get("Last-Event-ID"))
	}
	return ids
}

func streamHead(conn net.Conn) {
	fmt.Fprint(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
}

func chunk(conn net.Conn, data string) {
	fmt.Fprintf(conn, "%x\r\n%s\r\n", len(data), data)
}

func refuse(status int, problem string) script {
	return func(conn net.Conn, _ *http.Request) {
		fmt.Fprintf(conn, "HTTP/1.1 %d %s\r\nContent-Type: application/problem+json\r\nContent-Length: %d\r\n\r\n%s",
			status, http.StatusText(status), len(problem), problem)
	}
}

func peerCollection(t *testing.T, p *peer) *lumadb.Collection {
	c, err := lumadb.New(p.url())
	if err != nil {
		t.Fatal(err)
	}
	return c.Collection("db", "c")
}

func TestChangeStreamResumesAfterTheLastTokenItHandedOut(t *testing.T) {
	second := changeFrame(2)
	p := newPeer(t,
		func(conn net.Conn, _ *http.Request) {
			streamHead(conn)
			chunk(conn, frame("subscribed", map[string]any{"token": "t0"}, "")+changeFrame(1)+second[:10])
			chunk(conn, second[10:]+frame("heartbeat", map[string]any{"token": "t2h"}, "t2h"))
			fmt.Fprint(conn, "40\r\nid: t3") // then the connection breaks in the middle of a chunk
		},
		refuse(503, `{"type":"urn:lumadb:problem:shard-unavailable","title":"Shard unavailable","status":503}`),
		func(conn net.Conn, _ *http.Request) {
			streamHead(conn)
			chunk(conn, frame("subscribed", map[string]any{"token": "t2h"}, "")+changeFrame(3))
			fmt.Fprint(conn, "0\r\n\r\n") // the node ended the stream
		},
		func(conn net.Conn, _ *http.Request) {
			streamHead(conn)
			chunk(conn, frame("subscribed", map[string]any{"token": "t3"}, "")+changeFrame(4))
			chunk(conn, frame("dropped", map[string]any{"db": "d", "collection": "c", "message": "the collection was dropped"}, ""))
		},
	)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stream, err := peerCollection(t, p).Changes(ctx, lumadb.FromNow, lumadb.WithReconnect(fast))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	if stream.StartToken() != "t0" {
		t.Fatalf("StartToken = %q", stream.StartToken())
	}
	var ids []string
	for stream.Next(ctx) {
		ids = append(ids, stream.Change().ID)
	}
	if !errors.Is(stream.Err(), lumadb.ErrCollectionDropped) {
		t.Fatalf("the stream ended with %v, not ErrCollectionDropped", stream.Err())
	}
	if want := []string{"d1", "d2", "d3", "d4"}; !reflect.DeepEqual(want, ids) {
		t.Fatalf("changes: want %v, got %v", want, ids)
	}
	if want := []string{"", "t2h", "t2h", "t3"}; !reflect.DeepEqual(want, p.lastEventIDs()) {
		t.Fatalf("Last-Event-ID of each connection: want %q, got %q", want, p.lastEventIDs())
	}
	for _, r := range p.requests {
		if r.URL.String() != "/api/v1/db/c/_changes?from=now" || r.Header.Get("Accept") != "text/event-stream" {
			t.Fatalf("request %s %s", r.URL, r.Header)
		}
	}
	if stream.Next(ctx) {
		t.Fatal("an ended stream handed out another change")
	}
	if stream.Token() != "t4" {
		t.Fatalf("Token = %q, want t4", stream.Token())
	}
}

func TestARefusedFirstConnectionIsReturnedAtOnce(t *testing.T) {
	p := newPeer(t, refuse(404, `{"type":"urn:lumadb:problem:collection-not-found","title":"Not found","status":404,"detail":"no c"}`))
	_, err := peerCollection(t, p).Changes(context.Background(), lumadb.FromNow)
	var e *lumadb.Error
	if !errors.As(err, &e) || !errors.Is(err, lumadb.ErrNotFound) || e.Detail != "no c" || e.Slug() != "collection-not-found" {
		t.Fatalf("want a 404 *Error, got %#v", err)
	}
}

// hold subscribes, then sends nothing until the client goes away.
func hold(conn net.Conn, _ *http.Request) {
	streamHead(conn)
	chunk(conn, frame("subscribed", map[string]any{"token": "t0"}, ""))
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 512)
	for {
		if _, err := conn.Read(buf); err != nil {
			return
		}
	}
}

func TestCloseEndsANextWaitingInAnotherGoroutine(t *testing.T) {
	p := newPeer(t, hold)
	stream, err := peerCollection(t, p).Changes(context.Background(), lumadb.FromNow)
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan bool)
	go func() { ended <- stream.Next(context.Background()) }()
	select {
	case <-ended:
		t.Fatal("Next returned without a change")
	case <-time.After(300 * time.Millisecond):
	}
	if err := stream.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-ended:
		if got {
			t.Fatal("Next handed out a change after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the waiting Next")
	}
	if stream.Err() != nil || stream.Token() != "t0" {
		t.Fatalf("after Close: Err %v, Token %q", stream.Err(), stream.Token())
	}
}

func TestCancellingTheContextEndsTheStreamAndItsChannel(t *testing.T) {
	p := newPeer(t, hold)
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := peerCollection(t, p).Changes(ctx, lumadb.FromNow)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	changes := stream.C()
	time.AfterFunc(200*time.Millisecond, cancel)
	select {
	case c, open := <-changes:
		if open {
			t.Fatalf("a change from nowhere: %+v", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelling the context did not close the channel")
	}
	if !errors.Is(stream.Err(), context.Canceled) {
		t.Fatalf("Err = %v, want context.Canceled", stream.Err())
	}
}

func TestNextGivesUpWhenItsOwnContextEndsAndTheStreamGoesOn(t *testing.T) {
	p := newPeer(t, func(conn net.Conn, r *http.Request) {
		streamHead(conn)
		chunk(conn, frame("subscribed", map[string]any{"token": "t0"}, ""))
		time.Sleep(400 * time.Millisecond)
		chunk(conn, changeFrame(1))
		hold(conn, r)
	})
	stream, err := peerCollection(t, p).Changes(context.Background(), lumadb.FromNow)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if stream.Next(short) || !errors.Is(stream.Err(), context.DeadlineExceeded) {
		t.Fatalf("Next past its deadline: Err %v", stream.Err())
	}
	long, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if !stream.Next(long) || stream.Change().ID != "d1" {
		t.Fatalf("the stream did not go on: %v", stream.Err())
	}
}

func TestLiveQueryResumesWithoutANewResultAndResetsWhenItCannot(t *testing.T) {
	doc := func(id string) map[string]any { return map[string]any{"_id": id, "_version": 1, "v": id} }
	p := newPeer(t,
		func(conn net.Conn, _ *http.Request) {
			streamHead(conn)
			chunk(conn, frame("subscribed", map[string]any{"token": "s", "resumed": false}, "")+
				frame("result", doc("a"), "")+frame("result", doc("b"), ""))
			chunk(conn, frame("ready", map[string]any{"token": "s", "count": 2}, "s"))
			chunk(conn, frame("added", map[string]any{"id": "c", "version": 1, "document": doc("c"), "token": "r1"}, "r1"))
		},
		func(conn net.Conn, _ *http.Request) {
			streamHead(conn)
			chunk(conn, frame("subscribed", map[string]any{"token": "r1", "resumed": true}, ""))
			chunk(conn, frame("ready", map[string]any{"token": "r1", "count": 0}, "r1")) // no second ready for the consumer
			chunk(conn, frame("removed", map[string]any{"id": "a", "version": 2, "document": nil, "token": "r2"}, "r2"))
		},
		func(conn net.Conn, _ *http.Request) {
			// The node could not resume (a limited query): a fresh result follows.
			streamHead(conn)
			chunk(conn, frame("subscribed", map[string]any{"token": "x", "resumed": false}, "")+frame("result", doc("c"), ""))
			chunk(conn, frame("ready", map[string]any{"token": "x", "count": 1}, "x"))
			fmt.Fprint(conn, "0\r\n\r\n")
			time.Sleep(time.Second)
		},
	)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	live, err := peerCollection(t, p).Live(ctx, lumadb.M{"v": lumadb.M{"$exists": true}}, lumadb.WithReconnect(fast))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	var seen []string
	for live.Next(ctx) {
		e := live.Event()
		seen = append(seen, e.Kind+" "+e.ID)
		if e.Kind == lumadb.LiveReady && e.Token == "x" {
			break
		}
	}
	want := []string{"result a", "result b", "ready ", "added c", "removed a", "reset ", "result c", "ready "}
	if !reflect.DeepEqual(want, seen) {
		t.Fatalf("events: want %q, got %q (Err %v)", want, seen, live.Err())
	}
	if got := live.Results(); len(got) != 1 || got["c"].ID() != "c" || !live.Ready() {
		t.Fatalf("results %v, ready %v", got, live.Ready())
	}
	if want := []string{"", "r1", "r2"}; !reflect.DeepEqual(want, p.lastEventIDs()) {
		t.Fatalf("Last-Event-ID: want %q, got %q", want, p.lastEventIDs())
	}
	if q := p.requests[0].URL.Query().Get("filter"); q != `{"v":{"$exists":true}}` {
		t.Fatalf("filter parameter %q", q)
	}
}

func TestPathsEncodeEveryReservedCharacter(t *testing.T) {
	got := lumadb.Path("db", "a/b?c#d e%f&g=h+ü")
	want := "/api/v1/db/a%2Fb%3Fc%23d%20e%25f%26g%3Dh%2B%C3%BC"
	if got != want {
		t.Fatalf("Path = %s, want %s", got, want)
	}
	if strings.Contains(lumadb.Path("x~y-z_w.v"), "%") {
		t.Fatal("unreserved characters were encoded")
	}
}
