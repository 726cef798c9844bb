package lumadb_test

// Databases, collections, documents and bulk writes against a real node.

import (
	"errors"
	"sort"
	"testing"
	"time"

	lumadb "github.com/lumadb/lumadb-go"
)

func TestCreateListAndDropDatabasesAndCollections(t *testing.T) {
	c := node(t)
	ctx := testContext(t, time.Minute)
	name := unique("docs")
	t.Cleanup(func() { c.DropDatabase(testContext(t, 30*time.Second), name) })

	created := must[*lumadb.DatabaseInfo](t)(c.CreateDatabase(ctx, name))
	if created.Name != name {
		t.Fatalf("created %+v", created)
	}
	if _, err := c.CreateDatabase(ctx, name); err != nil {
		t.Fatalf("creating it again: %v", err)
	}
	listed := must[[]lumadb.DatabaseInfo](t)(c.ListDatabases(ctx))
	if !containsDB(listed, name) {
		t.Fatalf("%s is not listed: %+v", name, listed)
	}

	db := c.Database(name)
	orders := must[*lumadb.CollectionInfo](t)(db.Collection("orders").Create(ctx, &lumadb.CollectionOptions{Shards: 3, PreImages: true}))
	if orders.Database != name || orders.Name != "orders" || orders.Shards != 3 || !orders.PreImages {
		t.Fatalf("created %+v", orders)
	}
	must[*lumadb.CollectionInfo](t)(db.Collection("users").Create(ctx, nil))
	var names []string
	for _, col := range must[[]lumadb.CollectionInfo](t)(db.ListCollections(ctx)) {
		names = append(names, col.Name)
	}
	sort.Strings(names)
	same(t, "collections", []string{"orders", "users"}, names)

	info := must[*lumadb.CollectionInfo](t)(db.Collection("orders").Info(ctx))
	if info.DocumentCount != 0 || info.Shards != 3 {
		t.Fatalf("info %+v", info)
	}

	_, err := db.Collection("orders").Create(ctx, &lumadb.CollectionOptions{Shards: 2})
	var conflict *lumadb.Error
	if !errors.As(err, &conflict) || !errors.Is(err, lumadb.ErrConflict) || conflict.Status != 409 || conflict.Field != "/shards" {
		t.Fatalf("another shard count: want a 409 at /shards, got %v", err)
	}

	dropped := must[*lumadb.Dropped](t)(db.Collection("users").Drop(ctx))
	same(t, "dropped collection", lumadb.Dropped{Dropped: name + "/users"}, dropped)
	if cols := must[[]lumadb.CollectionInfo](t)(db.ListCollections(ctx)); len(cols) != 1 || cols[0].Name != "orders" {
		t.Fatalf("after the drop: %+v", cols)
	}
	droppedDB := must[*lumadb.Dropped](t)(c.DropDatabase(ctx, name))
	same(t, "dropped database", lumadb.Dropped{Dropped: name, CollectionsDropped: 1}, droppedDB)
	if containsDB(must[[]lumadb.DatabaseInfo](t)(c.ListDatabases(ctx)), name) {
		t.Fatal("the dropped database is still listed")
	}
	if _, err := c.GetDatabase(ctx, name); !errors.Is(err, lumadb.ErrNotFound) {
		t.Fatalf("a dropped database: want ErrNotFound, got %v", err)
	}
}

func containsDB(dbs []lumadb.DatabaseInfo, name string) bool {
	for _, d := range dbs {
		if d.Name == name {
			return true
		}
	}
	return false
}

func TestACollectionWithASchemaRefusesWhatDoesNotMatch(t *testing.T) {
	c := node(t)
	ctx := testContext(t, time.Minute)
	people := database(t, c, "docs").Collection("people")
	schema := lumadb.M{
		"type": "object",
		"properties": lumadb.M{
			"name": lumadb.M{"type": "string", "minLength": 1},
			"age":  lumadb.M{"type": "integer", "minimum": 0},
		},
		"required": []string{"name"},
	}
	must[*lumadb.CollectionInfo](t)(people.Create(ctx, &lumadb.CollectionOptions{Schema: schema}))
	must[*lumadb.WriteResult](t)(people.Put(ctx, "p1", lumadb.M{"name": "Ada", "age": 36}))
	_, err := people.Put(ctx, "p2", lumadb.M{"name": "Bob", "age": -1})
	var bad *lumadb.Error
	if !errors.As(err, &bad) || !errors.Is(err, lumadb.ErrBadRequest) || bad.Slug() != "schema-violation" || bad.Field != "/age" {
		t.Fatalf("a negative age: want schema-violation at /age, got %v", err)
	}
	if _, err := people.Get(ctx, "p2"); !errors.Is(err, lumadb.ErrNotFound) {
		t.Fatalf("the refused document was written: %v", err)
	}
}

func newCollection(t *testing.T, c *lumadb.Client, shards int) *lumadb.Collection {
	t.Helper()
	coll := database(t, c, "docs").Collection(unique("c"))
	must[*lumadb.CollectionInfo](t)(coll.Create(testContext(t, 30*time.Second), &lumadb.CollectionOptions{Shards: shards}))
	return coll
}

type user struct {
	ID      string   `json:"_id"`
	Version int64    `json:"_version"`
	Name    string   `json:"name"`
	Langs   []string `json:"langs"`
	Address struct {
		City string `json:"city"`
		Zip  string `json:"zip"`
	} `json:"address"`
}

func TestPutGetPatchDeleteWithVersions(t *testing.T) {
	c := node(t)
	ctx := testContext(t, time.Minute)
	users := newCollection(t, c, 2)

	created := must[*lumadb.WriteResult](t)(users.Put(ctx, "ada", lumadb.M{"name": "Ada", "langs": []string{"en", "fr"}, "address": lumadb.M{"city": "London"}}))
	if created.ID != "ada" || created.Result != "created" || created.Version < 1 {
		t.Fatalf("created %+v", created)
	}
	v1 := created.Version
	got := must[lumadb.Document](t)(users.Get(ctx, "ada"))
	same(t, "the document", lumadb.M{"_id": "ada", "_version": v1, "name": "Ada", "langs": []string{"en", "fr"}, "address": lumadb.M{"city": "London"}}, got)
	same(t, "a linearizable read", got, must[lumadb.Document](t)(users.Get(ctx, "ada", lumadb.Linearizable())))
	var typed user
	if err := users.GetInto(ctx, "ada", &typed); err != nil || typed.Name != "Ada" || typed.Address.City != "London" || typed.Version != v1 {
		t.Fatalf("GetInto a struct: %+v %v", typed, err)
	}

	// JSON Merge Patch: set, replace, remove (nil), nested merge; only if still at v1
	patched := must[lumadb.Document](t)(users.Patch(ctx, "ada", lumadb.M{"born": 1815, "langs": []string{"en"}, "name": nil, "address": lumadb.M{"zip": "W1"}}, lumadb.IfMatch(v1)))
	v2 := patched.Version()
	if v2 <= v1 {
		t.Fatalf("the patch did not move the version: %v", patched)
	}
	expected := lumadb.M{"_id": "ada", "_version": v2, "langs": []string{"en"}, "born": 1815, "address": lumadb.M{"city": "London", "zip": "W1"}}
	same(t, "patched", expected, patched)
	same(t, "read after the patch", expected, must[lumadb.Document](t)(users.Get(ctx, "ada")))

	_, err := users.Put(ctx, "ada", lumadb.M{"name": "lost update"}, lumadb.IfMatch(v1))
	var stale *lumadb.Error
	if !errors.As(err, &stale) || !errors.Is(err, lumadb.ErrVersionMismatch) || stale.Status != 412 || stale.Field != "If-Match" {
		t.Fatalf("a stale If-Match: %v", err)
	}
	if v, ok := stale.CurrentVersion(); !ok || v != v2 {
		t.Fatalf("CurrentVersion = %d %v, want %d", v, ok, v2)
	}
	same(t, "nothing written", expected, must[lumadb.Document](t)(users.Get(ctx, "ada")))

	replaced := must[*lumadb.WriteResult](t)(users.Put(ctx, "ada", lumadb.M{"name": "Ada Lovelace"}, lumadb.IfMatch(v2)))
	if replaced.Result != "updated" {
		t.Fatalf("replaced %+v", replaced)
	}
	same(t, "replaced", lumadb.M{"_id": "ada", "_version": replaced.Version, "name": "Ada Lovelace"}, must[lumadb.Document](t)(users.Get(ctx, "ada")))

	_, err = users.Insert(ctx, "ada", lumadb.M{"name": "again"})
	var exists *lumadb.Error
	if !errors.As(err, &exists) || !errors.Is(err, lumadb.ErrPreconditionFailed) || exists.Field != "If-None-Match" {
		t.Fatalf("inserting an existing id: %v", err)
	}
	if r := must[*lumadb.WriteResult](t)(users.Insert(ctx, "bob", lumadb.M{"name": "Bob"})); r.Result != "created" {
		t.Fatalf("insert %+v", r)
	}
	if _, err := users.Put(ctx, "nobody", lumadb.M{"x": 1}, lumadb.IfExists()); !errors.Is(err, lumadb.ErrPreconditionFailed) {
		t.Fatalf("If-Match * on a missing document: %v", err)
	}

	deleted := must[*lumadb.WriteResult](t)(users.Delete(ctx, "ada", lumadb.IfMatch(replaced.Version)))
	if deleted.Result != "deleted" {
		t.Fatalf("deleted %+v", deleted)
	}
	_, err = users.Get(ctx, "ada")
	var gone *lumadb.Error
	if !errors.As(err, &gone) || !errors.Is(err, lumadb.ErrNotFound) || gone.Slug() != "document-not-found" {
		t.Fatalf("a deleted document: %v", err)
	}
	if _, err := users.Delete(ctx, "ada"); !errors.Is(err, lumadb.ErrNotFound) {
		t.Fatalf("deleting it again: %v", err)
	}
	if _, err := users.Patch(ctx, "ada", lumadb.M{"x": 1}); !errors.Is(err, lumadb.ErrNotFound) {
		t.Fatalf("patching it: %v", err)
	}
}

func TestIDsWithReservedURLCharacters(t *testing.T) {
	c := node(t)
	ctx := testContext(t, time.Minute)
	coll := newCollection(t, c, 2)
	want := []string{"a?b", "c#d", "e f", "100%", "ünï✓", "x&y=z", "p+q", "a:b@c", "~$,;"}
	for _, id := range want {
		must[*lumadb.WriteResult](t)(coll.Put(ctx, id, lumadb.M{"v": id}))
		if got := must[lumadb.Document](t)(coll.Get(ctx, id)); got["v"] != id || got.ID() != id {
			t.Fatalf("%q read back as %v", id, got)
		}
	}
	sort.Strings(want) // Go compares strings bytewise, as the node orders ids
	same(t, "every id in order", want, ids(must[[]lumadb.Document](t)(coll.AllDocuments(3).All(ctx))))
}

func TestListPagesInIDOrder(t *testing.T) {
	c := node(t)
	ctx := testContext(t, time.Minute)
	coll := newCollection(t, c, 2)
	var want []string
	var docs []any
	for i := 0; i < 25; i++ {
		want = append(want, "doc-"+pad(i))
	}
	for n := range want {
		docs = append(docs, lumadb.M{"_id": want[len(want)-1-n], "n": n})
	}
	if r := must[*lumadb.BulkResult](t)(coll.PutMany(ctx, docs...)); r.Errors {
		t.Fatalf("put many: %+v", r)
	}
	first := must[*lumadb.Page](t)(coll.ListDocuments(ctx, "", 10))
	same(t, "first page", want[:10], ids(first.Documents))
	if first.Next != want[9] {
		t.Fatalf("next %q", first.Next)
	}
	second := must[*lumadb.Page](t)(coll.ListDocuments(ctx, first.Next, 10))
	same(t, "second page", want[10:20], ids(second.Documents))
	same(t, "every page", want, ids(must[[]lumadb.Document](t)(coll.AllDocuments(7).All(ctx))))
	if info := must[*lumadb.CollectionInfo](t)(coll.Info(ctx)); info.DocumentCount != 25 {
		t.Fatalf("count %d", info.DocumentCount)
	}
}

func pad(i int) string {
	s := "00" + string(rune('0'+i/10)) + string(rune('0'+i%10))
	return s[len(s)-3:]
}

func TestBulkWritesReportEachItem(t *testing.T) {
	c := node(t)
	ctx := testContext(t, time.Minute)
	coll := newCollection(t, c, 2)
	must[*lumadb.WriteResult](t)(coll.Put(ctx, "old", lumadb.M{"v": 0}))
	oldVersion := must[lumadb.Document](t)(coll.Get(ctx, "old")).Version()
	answer := must[*lumadb.BulkResult](t)(coll.Bulk(ctx, []lumadb.BulkItem{
		{Op: "put", ID: "a", Doc: lumadb.M{"v": 1}},
		{Op: "create", ID: "old", Doc: lumadb.M{"v": 2}},
		{Op: "patch", ID: "old", Doc: lumadb.M{"w": 3}, IfMatch: oldVersion},
		{Doc: lumadb.M{"_id": "b", "v": 4}},
		{Op: "delete", ID: "missing"},
	}))
	if !answer.Errors {
		t.Fatal("errors is false")
	}
	var gotIDs []string
	var statuses []int
	for _, it := range answer.Items {
		gotIDs = append(gotIDs, it.ID)
		statuses = append(statuses, it.Status)
	}
	same(t, "ids", []string{"a", "old", "old", "b", "missing"}, gotIDs)
	same(t, "statuses", []int{201, 412, 200, 201, 404}, statuses)
	if err := answer.Items[1].Err(); !errors.Is(err, lumadb.ErrPreconditionFailed) || err.(*lumadb.Error).Type != "urn:lumadb:problem:precondition-failed" {
		t.Fatalf("item 1: %v", err)
	}
	if answer.Items[0].Err() != nil {
		t.Fatalf("item 0 failed: %v", answer.Items[0].Err())
	}
	same(t, "patched in bulk", lumadb.M{"_id": "old", "_version": answer.Items[2].Version, "v": 0, "w": 3}, must[lumadb.Document](t)(coll.Get(ctx, "old")))
	if b := must[lumadb.Document](t)(coll.Get(ctx, "b")); b["v"] != 4.0 {
		t.Fatalf("b %v", b)
	}

	// one malformed item: 400 naming it, and nothing written
	_, err := coll.Bulk(ctx, []lumadb.BulkItem{{Op: "put", ID: "c", Doc: lumadb.M{"v": 5}}, {Op: "explode", ID: "d"}})
	var bad *lumadb.Error
	if !errors.As(err, &bad) || bad.Field != "/1/op" || bad.Slug() != "invalid-bulk-item" {
		t.Fatalf("a malformed item: %v", err)
	}
	if _, err := coll.Get(ctx, "c"); !errors.Is(err, lumadb.ErrNotFound) {
		t.Fatalf("the valid item of a refused bulk was written: %v", err)
	}
}
