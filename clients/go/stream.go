package lumadb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Reconnect says how a stream reconnects after its connection dropped: the first delay, the
// longest (each retry doubles it, with some jitter), how long it keeps failing before it gives
// up (0: never), and how long a connection may stay silent before it is taken for dead (the
// node sends a heartbeat every 10 s by default). Zero fields take the defaults.
type Reconnect struct {
	InitialDelay time.Duration // 100 ms
	MaxDelay     time.Duration // 5 s
	GiveUpAfter  time.Duration // 0: retry forever
	ReadTimeout  time.Duration // 45 s
}

func (r Reconnect) withDefaults() Reconnect {
	if r.InitialDelay <= 0 {
		r.InitialDelay = 100 * time.Millisecond
	}
	if r.MaxDelay <= 0 {
		r.MaxDelay = 5 * time.Second
	}
	if r.MaxDelay < r.InitialDelay {
		r.MaxDelay = r.InitialDelay
	}
	if r.ReadTimeout <= 0 {
		r.ReadTimeout = 45 * time.Second
	}
	return r
}

// StreamOption configures a change stream or a live query.
type StreamOption func(*streamOptions)

type streamOptions struct {
	filter    any
	before    *bool
	sort      []string
	limit     int
	search    any
	reconnect Reconnect
}

// WithFilter selects changes on the node by a JQL filter (change streams; a live query takes
// its filter as an argument). The stream's position still moves past the changes it leaves out.
func WithFilter(filter any) StreamOption { return func(o *streamOptions) { o.filter = filter } }

// WithPreImages turns the changes' Before on or off for this subscriber (change streams of a
// collection created with PreImages).
func WithPreImages(on bool) StreamOption { return func(o *streamOptions) { o.before = &on } }

// WithSort orders a live query's result ("-total" descending).
func WithSort(paths ...string) StreamOption { return func(o *streamOptions) { o.sort = paths } }

// WithLimit makes a live query a window of the first n matches in sort order, kept on the
// node. Such a query cannot resume from a position: after a disconnect it starts again with a
// fresh result, announced by a LiveReset event.
func WithLimit(n int) StreamOption { return func(o *streamOptions) { o.limit = n } }

// WithSearch makes a live query a live top k of a search (a _search body); it always starts
// afresh after a disconnect.
func WithSearch(body any) StreamOption { return func(o *streamOptions) { o.search = body } }

// WithReconnect changes how the stream reconnects (see Reconnect).
func WithReconnect(r Reconnect) StreamOption { return func(o *streamOptions) { o.reconnect = r } }

// Start positions of a change stream; any change's Token (or a stream's Token) is one too.
const (
	FromNow       = "now"
	FromBeginning = "beginning"
)

// Change is one change of a collection's change stream (Debezium's envelope names).
type Change struct {
	// Op is "c" (create), "u" (update) or "d" (delete).
	Op string
	// ID is the document's _id.
	ID string
	// Version is the document's version after the change (for a delete, the version it had).
	Version int64
	// Before is the document before the change (collections with pre-images), else nil.
	Before Document
	// After is the document after the change, nil for a delete.
	After Document
	// Shard is the shard that made the change, Seq its sequence number there and Index its
	// place in that shard event.
	Shard int
	Seq   int64
	Index int64
	// TsMs is when the change was made (milliseconds since the epoch).
	TsMs int64
	// Token is the resume token right after this change.
	Token string
	// Envelope is the whole envelope as the node sent it.
	Envelope json.RawMessage
}

func changeFromEnvelope(raw []byte, eventID string) (Change, error) {
	var env struct {
		Op     string   `json:"op"`
		Before Document `json:"before"`
		After  Document `json:"after"`
		Source struct {
			ID      string `json:"id"`
			Version int64  `json:"version"`
			Shard   int    `json:"shard"`
			Seq     int64  `json:"seq"`
			Index   int64  `json:"index"`
		} `json:"source"`
		TsMs  int64  `json:"ts_ms"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return Change{}, protocolError("a change that is not an envelope: %v: %.200s", err, raw)
	}
	token := env.Token
	if token == "" {
		token = eventID
	}
	return Change{
		Op: env.Op, ID: env.Source.ID, Version: env.Source.Version, Before: env.Before, After: env.After,
		Shard: env.Source.Shard, Seq: env.Source.Seq, Index: env.Source.Index, TsMs: env.TsMs, Token: token,
		Envelope: append(json.RawMessage(nil), raw...),
	}, nil
}

// Kinds of LiveEvent.
const (
	// LiveResult is a document of the current result (before LiveReady).
	LiveResult = "result"
	// LiveReady says the current result is complete (Data["count"] documents).
	LiveReady = "ready"
	// LiveAdded is a document that entered the result.
	LiveAdded = "added"
	// LiveChanged is a document that changed within the result.
	LiveChanged = "changed"
	// LiveRemoved is a document that left the result or was deleted (Document is nil).
	LiveRemoved = "removed"
	// LiveReset says the query had to start again (a limited query after a reconnect, a
	// disconnect before ready, a change of the caller's access): forget the result so far; a
	// fresh one follows (LiveResult events, then LiveReady).
	LiveReset = "reset"
)

// LiveEvent is one event of a live query.
type LiveEvent struct {
	Kind     string
	ID       string
	Version  int64
	Document Document
	// Token is the position after the event (ready, added, changed, removed), else "".
	Token string
	// Data is the event's data as the node sent it.
	Data Document
}

// item is what a connection's reader hands to the consumer: a Change or a LiveEvent, or (a
// nil value) only a new position, as of a heartbeat.
type item struct {
	value any
	token string
}

// retryError ends a connection that is to be made again.
type retryError struct {
	reason string
	atOnce bool
	after  time.Duration
}

func (r *retryError) Error() string { return r.reason }

// streamCore is what a kind of stream does with its events.
type streamCore interface {
	onEvent(ev Event) ([]item, error) // an error: *Error (terminal) or *retryError
	resumeToken() string
	disconnected()
	deliver(it item) // as the consumer takes it, under the stream's lock
}

// stream reads one event stream on a goroutine of its own, connecting again as needed, and
// hands its items to the consumer one at a time over an unbuffered channel: every item the
// reader parsed is taken before it reads more, so resuming from the last parsed position
// resumes right after the last item the consumer took.
type stream struct {
	client *Client
	path   string
	params url.Values
	rc     Reconnect
	core   streamCore

	ctx    context.Context
	cancel context.CancelFunc
	items  chan item
	done   chan struct{}

	start        string
	delay        time.Duration
	failingSince time.Time

	mu        sync.Mutex
	delivered string
	closed    bool
	terminal  error
	lastErr   error
	closeOnce sync.Once
}

func openStream(ctx context.Context, c *Client, path string, params url.Values, rc Reconnect, core streamCore) (*stream, error) {
	if ctx == nil {
		return nil, errors.New("lumadb: nil context")
	}
	sctx, cancel := context.WithCancel(ctx)
	s := &stream{
		client: c, path: path, params: params, rc: rc.withDefaults(), core: core,
		ctx: sctx, cancel: cancel, items: make(chan item), done: make(chan struct{}),
	}
	s.delay = s.rc.InitialDelay
	// The first connection fails at once: a wrong URL, name or filter is not a disconnect.
	conn, err := s.connect()
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("lumadb: opening the stream %s: %w", path, ctx.Err())
		}
		var refused *Error
		if errors.As(err, &refused) {
			return nil, refused
		}
		return nil, unreachable(err, "cannot open the stream %s%s: %v", c.url, path, err)
	}
	// Return once the node listens: what is written after this is on the stream.
	var pending []item
	for s.start == "" {
		events, rerr := conn.read()
		for _, ev := range events {
			if ev.Name == "subscribed" && s.start == "" {
				s.start, _ = eventJSON(ev)["token"].(string)
				if s.start == "" {
					s.start = "?"
				}
			}
			its, perr := core.onEvent(ev)
			pending = append(pending, its...)
			if perr != nil && rerr == nil {
				rerr = perr
			}
		}
		if rerr != nil && s.start == "" {
			conn.close()
			cancel()
			var refused *Error
			if errors.As(rerr, &refused) {
				return nil, refused
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("lumadb: opening the stream %s: %w", path, ctx.Err())
			}
			return nil, unreachable(rerr, "the stream %s%s ended before the node listened: %v", c.url, path, rerr)
		}
		if rerr != nil {
			conn.failed = rerr
		}
	}
	go s.run(conn, pending)
	return s, nil
}

// conn is one connection of a stream.
type conn struct {
	resp     *http.Response
	cancel   context.CancelFunc
	timer    *time.Timer
	timedOut atomic.Bool
	parser   EventParser
	buf      []byte
	readTO   time.Duration
	failed   error // why it ended, found while the first events were read
}

// connect opens a connection (with Last-Event-ID once there is a position to resume from).
// Errors: *Error for a refusal, anything else for a connection that failed.
func (s *stream) connect() (*conn, error) {
	cctx, ccancel := context.WithCancel(s.ctx)
	c := &conn{cancel: ccancel, buf: make([]byte, 32*1024), readTO: s.rc.ReadTimeout}
	c.timer = time.AfterFunc(s.rc.ReadTimeout, func() {
		c.timedOut.Store(true)
		ccancel()
	})
	req, err := s.client.newRequest(cctx, "GET", s.path, s.params, nil)
	if err != nil {
		c.close()
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("Accept-Encoding", "identity")
	if token := s.core.resumeToken(); token != "" {
		req.Header.Set("Last-Event-ID", token)
	}
	resp, err := s.client.http.Do(req)
	if err != nil {
		c.close()
		if c.timedOut.Load() {
			return nil, fmt.Errorf("no answer within %v", s.rc.ReadTimeout)
		}
		return nil, err
	}
	c.resp = resp
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64*1024))
		c.close()
		reason := strings.TrimSpace(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode)))
		return nil, ErrorFromProblem(resp.StatusCode, body, reason, resp.Header.Get("Retry-After"))
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		c.close()
		return nil, protocolError("%s answered %q, not an event stream", s.path, resp.Header.Get("Content-Type"))
	}
	c.timer.Reset(s.rc.ReadTimeout)
	return c, nil
}

// read reads the next bytes and returns the events they complete, and why the connection
// ended if it did.
func (c *conn) read() ([]Event, error) {
	if c.failed != nil {
		return nil, c.failed
	}
	n, err := c.resp.Body.Read(c.buf)
	c.timer.Reset(c.readTO)
	var events []Event
	if n > 0 {
		var perr error
		events, perr = c.parser.Feed(c.buf[:n])
		if perr != nil {
			return events, perr
		}
	}
	if err == io.EOF {
		return events, &retryError{reason: "the node ended the stream"}
	}
	if err != nil {
		if c.timedOut.Load() {
			return events, &retryError{reason: fmt.Sprintf("no event within %v", c.readTO)}
		}
		return events, &retryError{reason: "the connection broke: " + err.Error()}
	}
	return events, nil
}

func (c *conn) close() {
	c.timer.Stop()
	c.cancel()
	if c.resp != nil {
		c.resp.Body.Close()
	}
}

// run reads connection after connection until the stream ends.
func (s *stream) run(c *conn, pending []item) {
	defer close(s.done)
	defer close(s.items)
	var reason error
	for {
		if c != nil {
			reason = s.pump(c, pending)
			pending = nil
			c.close()
		}
		if s.ctx.Err() != nil {
			s.finish(nil)
			return
		}
		var refused *Error
		if errors.As(reason, &refused) {
			// A refused reconnection may pass (the node is starting, too busy); what the
			// node said on the stream itself (dropped, history lost) does not.
			if c != nil || !retryable(refused.Status) {
				s.finish(refused)
				return
			}
			reason = &retryError{reason: "the node answered " + refused.Error(), after: refused.RetryAfter}
		}
		s.core.disconnected()
		delay, err := s.nextDelay(reason)
		if err != nil {
			s.finish(err)
			return
		}
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-s.ctx.Done():
				t.Stop()
				s.finish(nil)
				return
			case <-t.C:
			}
		}
		c, reason = s.connect()
	}
}

func retryable(status int) bool {
	return status == 429 || status == 502 || status == 503 || status == 504
}

// pump hands out the pending items, then reads the connection until it ends; returns why.
func (s *stream) pump(c *conn, pending []item) error {
	for _, it := range pending {
		if !s.push(it) {
			return s.ctx.Err()
		}
	}
	for {
		events, rerr := c.read()
		for _, ev := range events {
			its, err := s.core.onEvent(ev)
			for _, it := range its {
				if !s.push(it) {
					return s.ctx.Err()
				}
			}
			if err != nil {
				return err
			}
			// An event came: the next failure starts its backoff from the beginning.
			s.delay = s.rc.InitialDelay
			s.failingSince = time.Time{}
		}
		if rerr != nil {
			return rerr
		}
	}
}

func (s *stream) push(it item) bool {
	select {
	case s.items <- it:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// nextDelay is how long to wait before connecting again, or the error that ends the stream.
func (s *stream) nextDelay(reason error) (time.Duration, error) {
	var retry *retryError
	isRetry := errors.As(reason, &retry)
	if isRetry && retry.atOnce {
		return 0, nil
	}
	now := time.Now()
	if s.failingSince.IsZero() {
		s.failingSince = now
	}
	if s.rc.GiveUpAfter > 0 && now.Sub(s.failingSince) > s.rc.GiveUpAfter {
		return 0, unreachable(reason, "the stream %s%s could not reconnect for %v: %v", s.client.url, s.path, s.rc.GiveUpAfter, reason)
	}
	delay := time.Duration(float64(s.delay) * (0.8 + 0.4*rand.Float64()))
	s.delay *= 2
	if s.delay > s.rc.MaxDelay {
		s.delay = s.rc.MaxDelay
	}
	if isRetry && retry.after > 0 {
		after := retry.after
		if after > s.rc.MaxDelay {
			after = s.rc.MaxDelay
		}
		if after > delay {
			delay = after
		}
	}
	return delay, nil
}

// finish records why the stream ended: nil when it was closed (or its context ended).
func (s *stream) finish(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil && !s.closed {
		err = s.ctx.Err()
	}
	if s.closed {
		err = nil
	}
	s.terminal = err
}

// next hands out the next item with a value, recording the position of every item taken.
func (s *stream) next(ctx context.Context) (any, bool) {
	if ctx == nil {
		ctx = context.Background()
	}
	for {
		select {
		case it, ok := <-s.items:
			s.mu.Lock()
			if !ok {
				s.lastErr = s.terminal
				s.mu.Unlock()
				return nil, false
			}
			if it.token != "" {
				s.delivered = it.token
			}
			s.core.deliver(it)
			s.lastErr = nil
			s.mu.Unlock()
			if it.value != nil {
				return it.value, true
			}
		case <-ctx.Done():
			s.mu.Lock()
			s.lastErr = ctx.Err()
			s.mu.Unlock()
			return nil, false
		}
	}
}

func (s *stream) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

func (s *stream) token() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered
}

func (s *stream) close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
	})
	<-s.done
	return nil
}

func eventJSON(ev Event) map[string]any {
	var v any
	if err := json.Unmarshal([]byte(ev.Data), &v); err != nil {
		return map[string]any{}
	}
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return map[string]any{"value": v}
}

func eventData(ev Event) (map[string]any, error) {
	var v any
	if err := json.Unmarshal([]byte(ev.Data), &v); err != nil {
		return nil, protocolError("the event %q does not carry JSON: %.200s", ev.Name, ev.Data)
	}
	if m, ok := v.(map[string]any); ok {
		return m, nil
	}
	return map[string]any{"value": v}, nil
}

// failWith is the terminal error of an error, dropped or unauthorized event.
func failWith(ev Event) error {
	data := eventJSON(ev)
	status := 500
	if f, ok := data["status"].(float64); ok {
		status = int(f)
	}
	if ev.Name == "dropped" {
		if _, has := data["type"]; !has {
			data["type"] = ProblemPrefix + "collection-dropped"
		}
		if _, has := data["title"]; !has {
			data["title"] = "Collection dropped"
		}
		if _, has := data["detail"]; !has {
			data["detail"] = data["message"]
		}
		status = 410
	}
	if ev.Name == "unauthorized" && status == 500 {
		status = 401
	}
	if _, has := data["title"]; !has {
		slug, _ := data["type"].(string)
		if slug == "" {
			slug = ev.Name
		}
		slug = slug[strings.LastIndexByte(slug, ':')+1:]
		data["title"] = strings.ToUpper(slug[:1]) + strings.ReplaceAll(slug[1:], "-", " ")
	}
	return errorFromDoc(status, data, "")
}

// ---- change streams

type changesCore struct{ token string }

func (c *changesCore) resumeToken() string { return c.token }
func (c *changesCore) disconnected()       {}
func (c *changesCore) deliver(item)        {}

func (c *changesCore) onEvent(ev Event) ([]item, error) {
	switch ev.Name {
	case "change":
		ch, err := changeFromEnvelope([]byte(ev.Data), ev.ID)
		if err != nil {
			return nil, err
		}
		c.token = ch.Token
		return []item{{value: ch, token: ch.Token}}, nil
	case "subscribed", "heartbeat":
		token := ev.ID
		if token == "" {
			token, _ = eventJSON(ev)["token"].(string)
		}
		if token == "" {
			return nil, nil
		}
		c.token = token
		return []item{{token: token}}, nil
	case "overflow":
		if token, _ := eventJSON(ev)["token"].(string); token != "" {
			c.token = token
		}
		return nil, &retryError{reason: "the node closed a subscriber that fell behind", atOnce: true}
	case "error", "dropped", "unauthorized":
		return nil, failWith(ev)
	}
	return nil, nil
}

// ChangeStream is a collection's change stream: every change once, each shard's changes in
// order. It reconnects by itself after a disconnect, a restart of the node or an overflow,
// sending the position after the last change it handed out, so the changes it missed come
// exactly once. It ends when Close is called or its context ends, or with an error retrying
// cannot fix (ErrCollectionDropped, ErrHistoryLost, ErrUnauthorized, ...), reported by Err.
//
// Read it with Next and Change, or from C; not both.
type ChangeStream struct {
	s       *stream
	current Change
	once    sync.Once
	ch      chan Change
}

// Changes subscribes to the collection's change stream from a position: FromNow,
// FromBeginning or a resume token (a Change's Token, or a stream's Token). It returns once
// the node listens: what is written after it returns is on the stream. A refusal of this
// first connection is returned at once (a wrong name, filter or token, too many streams).
// ctx bounds the whole stream: cancelling it ends the stream, as Close does.
func (c *Collection) Changes(ctx context.Context, from string, options ...StreamOption) (*ChangeStream, error) {
	var o streamOptions
	for _, f := range options {
		f(&o)
	}
	q := url.Values{}
	if from != "" {
		q.Set("from", from)
	}
	if o.filter != nil {
		f, err := json.Marshal(o.filter)
		if err != nil {
			return nil, fmt.Errorf("lumadb: the filter is not JSON: %w", err)
		}
		q.Set("filter", string(f))
	}
	if o.before != nil {
		q.Set("before", fmt.Sprint(*o.before))
	}
	s, err := openStream(ctx, c.client, c.path("_changes"), q, o.reconnect, &changesCore{})
	if err != nil {
		return nil, err
	}
	return &ChangeStream{s: s}, nil
}

// Next waits for the next change (see Change) and reports whether there is one; false when
// the stream ended (Err says why: nil after Close) or ctx ended first (Err is ctx's error;
// the stream goes on, and a later Next continues it).
func (cs *ChangeStream) Next(ctx context.Context) bool {
	v, ok := cs.s.next(ctx)
	if ok {
		cs.current = v.(Change)
	}
	return ok
}

// Change is the change Next moved to.
func (cs *ChangeStream) Change() Change { return cs.current }

// Err is why the last Next returned false: the error that ended the stream, the context's
// error, or nil when the stream was closed.
func (cs *ChangeStream) Err() error { return cs.s.err() }

// Token is the resume token after the last change (or heartbeat) handed out; store it with
// what you did with the changes, and start again from it.
func (cs *ChangeStream) Token() string { return cs.s.token() }

// StartToken is the position the stream started at, when the node began to listen.
func (cs *ChangeStream) StartToken() string { return cs.s.start }

// Close ends the stream and its connection; a Next waiting in another goroutine returns
// false, C is closed. It returns once the connection is closed.
func (cs *ChangeStream) Close() error { return cs.s.close() }

// C delivers the changes on a channel, closed when the stream ends (then see Err). The first
// call starts a goroutine that reads the stream with Next; do not call Next yourself then.
// A consumer that stops reading the channel must Close the stream.
func (cs *ChangeStream) C() <-chan Change {
	cs.once.Do(func() {
		cs.ch = make(chan Change)
		go func() {
			defer close(cs.ch)
			for cs.Next(context.Background()) {
				select {
				case cs.ch <- cs.current:
				case <-cs.s.ctx.Done():
					return
				}
			}
		}()
	})
	return cs.ch
}

// ---- live queries

type liveCore struct {
	token    string
	ready    bool // as parsed: a position after ready resumes without a new result
	shown    bool // whether any part of a result was parsed since the last reset
	resetDue bool
	resumed  bool

	results      map[string]Document // as delivered, under the stream's lock
	readyHandled bool
}

func (c *liveCore) resumeToken() string {
	if c.ready {
		return c.token
	}
	return ""
}

func (c *liveCore) disconnected() {
	if !c.ready && c.shown {
		c.resetDue = true
	}
}

func (c *liveCore) onEvent(ev Event) ([]item, error) {
	data, err := eventData(ev)
	if err != nil {
		return nil, err
	}
	eventToken := func() string {
		if ev.ID != "" {
			return ev.ID
		}
		t, _ := data["token"].(string)
		return t
	}
	switch ev.Name {
	case "subscribed":
		var out []item
		c.resumed, _ = data["resumed"].(bool)
		if !c.resumed && (c.resetDue || c.shown) {
			c.ready, c.shown, c.token = false, false, ""
			out = append(out, item{value: LiveEvent{Kind: LiveReset, Data: data}})
		}
		c.resetDue = false
		return out, nil
	case "result":
		// Unlimited queries send the stored document; limited ones {id, version, document}.
		var doc Document
		if _, has := data["_id"]; has {
			doc = data
		} else if d, ok := data["document"].(map[string]any); ok {
			doc = d
		}
		e := LiveEvent{Kind: LiveResult, Document: doc, Data: data}
		e.ID, _ = data["id"].(string)
		if e.ID == "" && doc != nil {
			e.ID = doc.ID()
		}
		if v, ok := data["version"].(float64); ok {
			e.Version = int64(v)
		} else if doc != nil {
			e.Version = doc.Version()
		}
		c.shown = true
		return []item{{value: e}}, nil
	case "ready":
		c.ready, c.shown = true, true
		c.token = eventToken()
		if c.resumed {
			// A resumed query sends no result: its consumer was told ready before.
			if c.token == "" {
				return nil, nil
			}
			return []item{{token: c.token}}, nil
		}
		return []item{{value: LiveEvent{Kind: LiveReady, Token: c.token, Data: data}, token: c.token}}, nil
	case "added", "changed", "removed":
		c.token = eventToken()
		e := LiveEvent{Kind: ev.Name, Token: c.token, Data: data}
		e.ID, _ = data["id"].(string)
		if v, ok := data["version"].(float64); ok {
			e.Version = int64(v)
		}
		if d, ok := data["document"].(map[string]any); ok {
			e.Document = d
		}
		return []item{{value: e, token: c.token}}, nil
	case "heartbeat":
		if c.ready && ev.ID != "" {
			c.token = ev.ID
			return []item{{token: ev.ID}}, nil
		}
		return nil, nil
	case "overflow":
		if t, _ := data["token"].(string); c.ready && t != "" {
			c.token = t
		}
		return nil, &retryError{reason: "the node closed a subscriber that fell behind", atOnce: true}
	case "access-changed":
		// Its result was computed under the caller's old rules: run it again.
		c.ready, c.resetDue = false, true
		return nil, &retryError{reason: "the caller's access changed", atOnce: true}
	case "error", "dropped", "unauthorized":
		return nil, failWith(ev)
	}
	return nil, nil
}

func (c *liveCore) deliver(it item) {
	e, ok := it.value.(LiveEvent)
	if !ok {
		return
	}
	switch e.Kind {
	case LiveReset:
		c.results = map[string]Document{}
		c.readyHandled = false
	case LiveReady:
		c.readyHandled = true
	case LiveRemoved:
		delete(c.results, e.ID)
	default:
		if e.Document != nil && e.ID != "" {
			c.results[e.ID] = e.Document
		}
	}
}

// LiveQuery is a live query: the current result of a filter (LiveResult events, then
// LiveReady), then LiveAdded, LiveChanged and LiveRemoved as writes move documents in and out
// of it. After a disconnect or a restart of the node it resumes from its last position without
// reading its result again; when it cannot (a limited query, a disconnect before ready, a
// change of the caller's access) it starts again, announced by LiveReset. Results is the
// result as of the last event handed out.
//
// Read it with Next and Event, or from C; not both.
type LiveQuery struct {
	s       *stream
	core    *liveCore
	current LiveEvent
	once    sync.Once
	ch      chan LiveEvent
}

// Live subscribes to a live query of the documents filter matches (nil: all), ordered by
// WithSort, windowed by WithLimit. It returns once the node listens; a refusal of this first
// connection is returned at once. ctx bounds the whole query: cancelling it ends it.
func (c *Collection) Live(ctx context.Context, filter any, options ...StreamOption) (*LiveQuery, error) {
	var o streamOptions
	for _, f := range options {
		f(&o)
	}
	q := url.Values{}
	for name, v := range map[string]any{"filter": filter, "search": o.search} {
		if v == nil {
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("lumadb: the %s is not JSON: %w", name, err)
		}
		q.Set(name, string(b))
	}
	if o.sort != nil {
		b, _ := json.Marshal(o.sort)
		q.Set("sort", string(b))
	}
	if o.limit > 0 {
		q.Set("limit", fmt.Sprint(o.limit))
	}
	core := &liveCore{results: map[string]Document{}}
	s, err := openStream(ctx, c.client, c.path("_live"), q, o.reconnect, core)
	if err != nil {
		return nil, err
	}
	return &LiveQuery{s: s, core: core}, nil
}

// Next waits for the next event (see Event); false when the query ended (Err says why: nil
// after Close) or ctx ended first (Err is ctx's error; a later Next continues).
func (lq *LiveQuery) Next(ctx context.Context) bool {
	v, ok := lq.s.next(ctx)
	if ok {
		lq.current = v.(LiveEvent)
	}
	return ok
}

// Event is the event Next moved to.
func (lq *LiveQuery) Event() LiveEvent { return lq.current }

// Err is why the last Next returned false (see ChangeStream.Err).
func (lq *LiveQuery) Err() error { return lq.s.err() }

// Token is the position after the last event handed out.
func (lq *LiveQuery) Token() string { return lq.s.token() }

// Results is a copy of the query's result as of the last event handed out (id to document).
func (lq *LiveQuery) Results() map[string]Document {
	lq.s.mu.Lock()
	defer lq.s.mu.Unlock()
	out := make(map[string]Document, len(lq.core.results))
	for k, v := range lq.core.results {
		out[k] = v
	}
	return out
}

// Ready reports whether the current result is complete (LiveReady was handed out since the
// last LiveReset).
func (lq *LiveQuery) Ready() bool {
	lq.s.mu.Lock()
	defer lq.s.mu.Unlock()
	return lq.core.readyHandled
}

// Close ends the query and its connection (see ChangeStream.Close).
func (lq *LiveQuery) Close() error { return lq.s.close() }

// C delivers the events on a channel, closed when the query ends (see ChangeStream.C).
func (lq *LiveQuery) C() <-chan LiveEvent {
	lq.once.Do(func() {
		lq.ch = make(chan LiveEvent)
		go func() {
			defer close(lq.ch)
			for lq.Next(context.Background()) {
				select {
				case lq.ch <- lq.current:
				case <-lq.s.ctx.Done():
					return
				}
			}
		}()
	})
	return lq.ch
}
