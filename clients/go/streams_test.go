package lumadb_test

// Change streams and live queries against a real node, across a restart of that node.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	lumadb "github.com/lumadb/lumadb-go"
)

// key is what a change must show: the document, the operation, the version the write returned.
type key struct {
	ID      string
	Op      string
	Version int64
}

func keyOf(c lumadb.Change) key { return key{c.ID, c.Op, c.Version} }

func keys(changes []lumadb.Change) []key {
	out := make([]key, len(changes))
	for i, c := range changes {
		out[i] = keyOf(c)
	}
	return out
}

// sameKeys compares as multisets: shards interleave freely.
func sameKeys(t *testing.T, what string, want, got []key) {
	t.Helper()
	order := func(k []key) []string {
		s := make([]string, len(k))
		for i, x := range k {
			s[i] = fmt.Sprintf("%s/%s/%d", x.ID, x.Op, x.Version)
		}
		sort.Strings(s)
		return s
	}
	same(t, what, order(want), order(got))
}

// checkShardOrder: each shard's changes arrive in its sequence order.
func checkShardOrder(t *testing.T, changes []lumadb.Change) {
	t.Helper()
	last := map[int][2]int64{}
	for _, c := range changes {
		prev, seen := last[c.Shard]
		if seen && (c.Seq < prev[0] || (c.Seq == prev[0] && c.Index <= prev[1])) {
			t.Fatalf("shard %d out of order at %+v", c.Shard, c)
		}
		last[c.Shard] = [2]int64{c.Seq, c.Index}
	}
}

// writer writes through the client and remembers the change each write must show.
type writer struct {
	t        *testing.T
	coll     *lumadb.Collection
	expected []key
}

func (w *writer) put(id string, doc lumadb.M) {
	w.t.Helper()
	r := must[*lumadb.WriteResult](w.t)(w.coll.Put(context.Background(), id, doc))
	op := "u"
	if r.Result == "created" {
		op = "c"
	}
	w.expected = append(w.expected, key{id, op, r.Version})
}

func (w *writer) patch(id string, patch lumadb.M) {
	w.t.Helper()
	d := must[lumadb.Document](w.t)(w.coll.Patch(context.Background(), id, patch))
	w.expected = append(w.expected, key{id, "u", d.Version()})
}

func (w *writer) delete(id string) {
	w.t.Helper()
	r := must[*lumadb.WriteResult](w.t)(w.coll.Delete(context.Background(), id))
	w.expected = append(w.expected, key{id, "d", r.Version})
}

func streamCollection(t *testing.T, preImages bool) (*lumadb.Client, *lumadb.Collection) {
	t.Helper()
	c := node(t)
	coll := database(t, c, "streams").Collection("orders")
	must[*lumadb.CollectionInfo](t)(coll.Create(testContext(t, 30*time.Second), &lumadb.CollectionOptions{Shards: 2, PreImages: preImages}))
	return c, coll
}

func nextChanges(t *testing.T, ctx context.Context, s *lumadb.ChangeStream, n int) []lumadb.Change {
	t.Helper()
	var got []lumadb.Change
	for len(got) < n {
		if !s.Next(ctx) {
			t.Fatalf("the stream ended after %d of %d changes: %v", len(got), n, s.Err())
		}
		got = append(got, s.Change())
	}
	return got
}

func TestEveryChangeOnceInShardOrderWithPreImages(t *testing.T) {
	_, coll := streamCollection(t, true)
	ctx := testContext(t, time.Minute)
	w := &writer{t: t, coll: coll}
	for i := 0; i < 10; i++ {
		w.put(fmt.Sprintf("o%d", i), lumadb.M{"total": i * 10, "status": "new"})
	}
	w.patch("o3", lumadb.M{"status": "paid"})
	w.delete("o4")
	stream := must[*lumadb.ChangeStream](t)(coll.Changes(ctx, lumadb.FromBeginning))
	defer stream.Close()
	got := nextChanges(t, ctx, stream, len(w.expected))
	sameKeys(t, "changes", w.expected, keys(got))
	checkShardOrder(t, got)
	for _, c := range got {
		switch {
		case c.Op == "u":
			before := lumadb.M{}
			for k, v := range c.Before {
				if k != "_version" {
					before[k] = v
				}
			}
			same(t, "before", lumadb.M{"_id": "o3", "total": 30, "status": "new"}, before)
			if c.After["status"] != "paid" {
				t.Fatalf("after %v", c.After)
			}
		case c.Op == "d":
			if c.After != nil || c.Before["total"] != 40.0 {
				t.Fatalf("delete %+v", c)
			}
		}
	}
	var source struct {
		Source struct {
			DB         string `json:"db"`
			Collection string `json:"collection"`
		} `json:"source"`
	}
	if err := lumadb.Decode(got[0].Envelope, &source); err != nil || source.Source.DB != coll.Database() || source.Source.Collection != "orders" {
		t.Fatalf("envelope source %+v %v", source, err)
	}
	if stream.Token() != got[len(got)-1].Token {
		t.Fatalf("Token %q, last change %q", stream.Token(), got[len(got)-1].Token)
	}
}

func TestAStoredTokenResumesExactlyAfterIt(t *testing.T) {
	_, coll := streamCollection(t, false)
	ctx := testContext(t, time.Minute)
	w := &writer{t: t, coll: coll}
	for i := 0; i < 6; i++ {
		w.put(fmt.Sprintf("a%d", i), lumadb.M{"n": i})
	}
	first := must[*lumadb.ChangeStream](t)(coll.Changes(ctx, lumadb.FromBeginning))
	head := nextChanges(t, ctx, first, 3)
	stored := first.Token()
	first.Close()
	if stored != head[2].Token {
		t.Fatalf("Token %q, last change %q", stored, head[2].Token)
	}
	for i := 0; i < 3; i++ {
		w.put(fmt.Sprintf("b%d", i), lumadb.M{"n": i})
	}
	resumed := must[*lumadb.ChangeStream](t)(coll.Changes(ctx, stored))
	defer resumed.Close()
	tail := nextChanges(t, ctx, resumed, len(w.expected)-3)
	sameKeys(t, "head and tail", w.expected, keys(append(head, tail...)))
}

func TestAFilteredStreamOnAChannel(t *testing.T) {
	_, coll := streamCollection(t, false)
	ctx := testContext(t, time.Minute)
	stream := must[*lumadb.ChangeStream](t)(coll.Changes(ctx, lumadb.FromNow, lumadb.WithFilter(lumadb.M{"status": "paid"})))
	defer stream.Close()
	if stream.StartToken() == "" {
		t.Fatal("no start token")
	}
	must[*lumadb.WriteResult](t)(coll.Put(ctx, "x1", lumadb.M{"status": "new"}))
	must[*lumadb.WriteResult](t)(coll.Put(ctx, "x2", lumadb.M{"status": "paid"}))
	must[lumadb.Document](t)(coll.Patch(ctx, "x1", lumadb.M{"status": "paid"}))
	got := map[string]string{}
	for len(got) < 2 {
		select {
		case c, open := <-stream.C():
			if !open {
				t.Fatalf("the channel closed: %v", stream.Err())
			}
			got[c.ID] = c.Op
		case <-ctx.Done():
			t.Fatalf("only %v", got)
		}
	}
	same(t, "filtered changes", map[string]string{"x1": "u", "x2": "c"}, got)
	stream.Close()
	if _, open := <-stream.C(); open {
		t.Fatal("the channel is open after Close")
	}
	if stream.Err() != nil {
		t.Fatalf("Err after Close: %v", stream.Err())
	}
}

func TestADroppedCollectionEndsTheStream(t *testing.T) {
	_, coll := streamCollection(t, false)
	ctx := testContext(t, time.Minute)
	stream := must[*lumadb.ChangeStream](t)(coll.Changes(ctx, lumadb.FromNow))
	defer stream.Close()
	must[*lumadb.Dropped](t)(coll.Drop(ctx))
	if stream.Next(ctx) {
		t.Fatalf("a change after the drop: %+v", stream.Change())
	}
	asError(t, stream.Err(), lumadb.ErrCollectionDropped, 410, "collection-dropped")
	if !errors.Is(stream.Err(), lumadb.ErrGone) || stream.Next(ctx) {
		t.Fatal("the stream did not stay ended")
	}
}

func TestABadTokenIsRefused(t *testing.T) {
	_, coll := streamCollection(t, false)
	_, err := coll.Changes(testContext(t, 30*time.Second), "not-a-token")
	asError(t, err, lumadb.ErrBadRequest, 400, "invalid-stream-request")
}

func liveCollection(t *testing.T) *lumadb.Collection {
	t.Helper()
	c := node(t)
	coll := database(t, c, "live").Collection("orders")
	must[*lumadb.CollectionInfo](t)(coll.Create(testContext(t, 30*time.Second), &lumadb.CollectionOptions{Shards: 2}))
	return coll
}

// untilReady reads a live query's current result.
func untilReady(t *testing.T, ctx context.Context, live *lumadb.LiveQuery) []lumadb.LiveEvent {
	t.Helper()
	var result []lumadb.LiveEvent
	for live.Next(ctx) {
		if live.Event().Kind == lumadb.LiveReady {
			return result
		}
		result = append(result, live.Event())
	}
	t.Fatalf("the live query ended before ready: %v", live.Err())
	return nil
}

func nextEvents(t *testing.T, ctx context.Context, live *lumadb.LiveQuery, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n {
		if !live.Next(ctx) {
			t.Fatalf("the live query ended after %v: %v", got, live.Err())
		}
		got = append(got, live.Event().Kind+" "+live.Event().ID)
	}
	return got
}

func TestALiveQuerySendsItsResultThenAddedChangedRemoved(t *testing.T) {
	coll := liveCollection(t)
	ctx := testContext(t, time.Minute)
	must[*lumadb.WriteResult](t)(coll.Put(ctx, "big", lumadb.M{"total": 150}))
	must[*lumadb.WriteResult](t)(coll.Put(ctx, "small", lumadb.M{"total": 20}))
	live := must[*lumadb.LiveQuery](t)(coll.Live(ctx, lumadb.M{"total": lumadb.M{"$gte": 100}}, lumadb.WithSort("-total")))
	defer live.Close()
	result := untilReady(t, ctx, live)
	if len(result) != 1 || result[0].Kind != lumadb.LiveResult || result[0].ID != "big" || result[0].Document["total"] != 150.0 {
		t.Fatalf("result %+v", result)
	}
	if live.Event().Data["count"] != 1.0 || !live.Ready() {
		t.Fatalf("ready %+v", live.Event())
	}
	must[*lumadb.WriteResult](t)(coll.Put(ctx, "o1", lumadb.M{"total": 120}))
	must[lumadb.Document](t)(coll.Patch(ctx, "o1", lumadb.M{"total": 130}))
	must[lumadb.Document](t)(coll.Patch(ctx, "o1", lumadb.M{"total": 80}))
	must[*lumadb.WriteResult](t)(coll.Put(ctx, "small", lumadb.M{"total": 25})) // never in the result
	must[*lumadb.WriteResult](t)(coll.Delete(ctx, "big"))
	events := nextEvents(t, ctx, live, 4)
	var o1 []string
	bigRemoved := false
	for _, e := range events {
		if e == "removed big" {
			bigRemoved = true
		} else {
			o1 = append(o1, e)
		}
	}
	same(t, "o1's events", []string{"added o1", "changed o1", "removed o1"}, o1)
	if !bigRemoved || len(live.Results()) != 0 {
		t.Fatalf("events %v, results %v", events, live.Results())
	}
}

func TestALiveQueryOnAChannelMatchesAQuery(t *testing.T) {
	coll := liveCollection(t)
	ctx := testContext(t, time.Minute)
	for i := 0; i < 6; i++ {
		must[*lumadb.WriteResult](t)(coll.Put(ctx, fmt.Sprintf("d%d", i), lumadb.M{"total": i * 50}))
	}
	filter := lumadb.M{"total": lumadb.M{"$gte": 100}}
	live := must[*lumadb.LiveQuery](t)(coll.Live(ctx, filter))
	defer live.Close()
	var kinds []string
	patched := false
	for e := range live.C() {
		if e.Kind == lumadb.LiveReady {
			must[lumadb.Document](t)(coll.Patch(ctx, "d0", lumadb.M{"total": 500}))
			must[*lumadb.WriteResult](t)(coll.Delete(ctx, "d5"))
			patched = true
			continue
		}
		if patched {
			kinds = append(kinds, e.Kind)
			if len(kinds) == 2 {
				break
			}
		}
	}
	sort.Strings(kinds)
	same(t, "kinds", []string{"added", "removed"}, kinds)
	now := map[string]lumadb.Document{}
	for _, d := range must[[]lumadb.Document](t)(coll.Find(lumadb.Query{Filter: filter}).All(ctx)) {
		now[d.ID()] = d
	}
	// the channel reader may have taken one more event than this loop: none came
	same(t, "live results", now, live.Results())
	if len(now) != 4 {
		t.Fatalf("%v", now)
	}
}

// idsOnEachShard is one document id on each shard (written now, its shard read from the
// change stream).
func idsOnEachShard(t *testing.T, coll *lumadb.Collection, shards int) []string {
	t.Helper()
	found := map[int]string{}
	for i := 0; len(found) < shards; i++ {
		id := fmt.Sprintf("end%d", i)
		must[*lumadb.WriteResult](t)(coll.Put(context.Background(), id, lumadb.M{"kind": "p"}))
		deadline := time.Now().Add(10 * time.Second)
		for {
			changes, _ := must2(t)(coll.PullChanges(context.Background(), lumadb.FromBeginning, 1000, 0, nil))
			shard := -1
			for _, c := range changes {
				if c.ID == id {
					shard = c.Shard
				}
			}
			if shard >= 0 {
				if _, has := found[shard]; !has {
					found[shard] = id
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the change of %s is not on the change stream", id)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	out := make([]string, shards)
	for s := range out {
		out[s] = found[s]
	}
	return out
}

func must2(t *testing.T) func([]lumadb.Change, string, error) ([]lumadb.Change, string) {
	return func(c []lumadb.Change, s string, err error) ([]lumadb.Change, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c, s
	}
}

// TestStreamsResumeAcrossARestartWithExactlyTheMissedChanges restarts the node in the middle
// of four streams: a change stream and a live query read with Next by a consumer that paused
// before the restart, and the same two read from channels by goroutines that keep reading
// through it.
//
// Writes: w1 before the restart, read by every consumer; w2 after the paused consumers last
// read, just before the restart (the node may or may not have sent them before it stopped);
// nothing during the restart; w3 after it, while the paused consumers hold no connection. Each
// consumer must then get exactly the changes after the last one it read: every change once,
// none lost, none twice, each with the version its write returned. The last writes go to one
// document on each shard, so a consumer that has seen both has seen everything (each shard's
// changes arrive in order).
func TestStreamsResumeAcrossARestartWithExactlyTheMissedChanges(t *testing.T) {
	needEnv(t, "LUMADB_TEST_CONTROL", "the restart test needs the harness's control endpoint")
	c := node(t)
	ctx := testContext(t, 150*time.Second)
	coll := database(t, c, "restart").Collection("orders")
	must[*lumadb.CollectionInfo](t)(coll.Create(ctx, &lumadb.CollectionOptions{Shards: 2, PreImages: true}))
	ends := idsOnEachShard(t, coll, 2)
	for _, d := range []struct{ id, kind string }{{"keep", "x"}, {"leave", "x"}, {"other", "y"}} {
		must[*lumadb.WriteResult](t)(coll.Put(ctx, d.id, lumadb.M{"kind": d.kind, "n": 0}))
	}
	liveFilter := lumadb.M{"kind": "x"}
	restartFast := lumadb.WithReconnect(lumadb.Reconnect{InitialDelay: 50 * time.Millisecond, MaxDelay: 500 * time.Millisecond, GiveUpAfter: 90 * time.Second, ReadTimeout: 30 * time.Second})

	changes := must[*lumadb.ChangeStream](t)(coll.Changes(ctx, lumadb.FromNow, restartFast))
	defer changes.Close()
	live := must[*lumadb.LiveQuery](t)(coll.Live(ctx, liveFilter, restartFast))
	defer live.Close()
	var initial []string
	for _, e := range untilReady(t, ctx, live) {
		initial = append(initial, e.ID)
	}
	sort.Strings(initial)
	same(t, "the initial result", []string{"keep", "leave"}, initial)

	// The channel consumers read all along, until both last writes.
	chChanges := must[*lumadb.ChangeStream](t)(coll.Changes(ctx, lumadb.FromNow, restartFast))
	defer chChanges.Close()
	chLive := must[*lumadb.LiveQuery](t)(coll.Live(ctx, liveFilter, restartFast))
	defer chLive.Close()
	var chChangesGot []lumadb.Change
	var chLiveGot []lumadb.LiveEvent
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		missing := map[string]bool{ends[0]: true, ends[1]: true}
		for c := range chChanges.C() {
			chChangesGot = append(chChangesGot, c)
			if delete(missing, c.ID); len(missing) == 0 {
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		missing := map[string]bool{ends[0]: true, ends[1]: true}
		ready := false
		for e := range chLive.C() {
			if !ready {
				ready = e.Kind == lumadb.LiveReady
				continue
			}
			chLiveGot = append(chLiveGot, e)
			if delete(missing, e.ID); len(missing) == 0 {
				return
			}
		}
	}()

	w := &writer{t: t, coll: coll}
	// w1: every consumer reads these before the restart.
	w.put("a1", lumadb.M{"kind": "x", "n": 1})
	w.put("b1", lumadb.M{"kind": "y", "n": 1})
	w.patch("keep", lumadb.M{"n": 1})
	w.delete("other")
	w1 := append([]key(nil), w.expected...)
	before := nextChanges(t, ctx, changes, len(w1))
	sameKeys(t, "w1", w1, keys(before))
	liveBefore := nextEvents(t, ctx, live, 2)
	sort.Strings(liveBefore)
	same(t, "w1 on the live query", []string{"added a1", "changed keep"}, liveBefore)
	pausedAt := changes.Token()

	// w2: the paused consumers have stopped reading; then the node restarts.
	w.put("a2", lumadb.M{"kind": "x", "n": 2})
	w.patch("leave", lumadb.M{"kind": "z"})
	w.put("b2", lumadb.M{"kind": "y", "n": 2})
	nodeBefore := control(t, "status")
	nodeAfter := control(t, "restart")
	if nodeAfter["starts"].(float64) != nodeBefore["starts"].(float64)+1 || nodeAfter["pid"] == nodeBefore["pid"] {
		t.Fatalf("the node did not restart: %v then %v", nodeBefore, nodeAfter)
	}

	// w3: written to the restarted node while the paused consumers hold no connection.
	w.put("a3", lumadb.M{"kind": "x", "n": 3})
	w.patch("a1", lumadb.M{"n": 2})
	w.delete("keep")
	for _, end := range ends {
		w.patch(end, lumadb.M{"kind": "x"})
	}
	missed := w.expected[len(w1):]

	var after []lumadb.Change
	for missing := map[string]bool{ends[0]: true, ends[1]: true}; len(missing) > 0; {
		c := nextChanges(t, ctx, changes, 1)[0]
		after = append(after, c)
		delete(missing, c.ID)
	}
	sameKeys(t, "the missed changes, each once", missed, keys(after))
	checkShardOrder(t, append(before, after...))
	if changes.Token() == pausedAt {
		t.Fatal("the token did not move")
	}
	for _, c := range after {
		if c.ID == "leave" && (c.Before["kind"] != "x" || c.After["kind"] != "z") {
			t.Fatalf("the pre-image of leave: %+v", c)
		}
	}

	var liveAfter []string
	for missing := map[string]bool{ends[0]: true, ends[1]: true}; len(missing) > 0; {
		if !live.Next(ctx) {
			t.Fatalf("the live query ended: %v", live.Err())
		}
		e := live.Event()
		liveAfter = append(liveAfter, e.Kind+" "+e.ID)
		delete(missing, e.ID)
	}
	expectedLive := []string{"added a2", "removed leave", "added a3", "changed a1", "removed keep", "added " + ends[0], "added " + ends[1]}
	sort.Strings(expectedLive)
	sort.Strings(liveAfter)
	same(t, "the live query's missed events", expectedLive, liveAfter)
	now := map[string]lumadb.Document{}
	for _, d := range must[[]lumadb.Document](t)(coll.Find(lumadb.Query{Filter: liveFilter}).All(ctx)) {
		now[d.ID()] = d
	}
	same(t, "live results", now, live.Results())
	if len(now) != 5 {
		t.Fatalf("%v", now)
	}

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("the channel consumers did not get every change: %d changes (%v), %d live events (%v)", len(chChangesGot), chChanges.Err(), len(chLiveGot), chLive.Err())
	}
	sameKeys(t, "the channel consumer's changes", w.expected, keys(chChangesGot))
	checkShardOrder(t, chChangesGot)
	var chLiveKinds []string
	for _, e := range chLiveGot {
		if e.Kind == lumadb.LiveReset {
			t.Fatalf("a reset: %v", chLiveGot)
		}
		chLiveKinds = append(chLiveKinds, e.Kind+" "+e.ID)
	}
	wantChLive := append([]string{"added a1", "changed keep"}, expectedLive...)
	sort.Strings(wantChLive)
	sort.Strings(chLiveKinds)
	same(t, "the channel live query's events", wantChLive, chLiveKinds)
}
