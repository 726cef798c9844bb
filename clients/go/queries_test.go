package lumadb_test

// JQL queries, explain, secondary indexes, SQL and search against a real node.

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	lumadb "github.com/lumadb/lumadb-go"
)

type author struct {
	Name    string `json:"name"`
	Country string `json:"country"`
}

type book struct {
	ID     string   `json:"_id"`
	Title  string   `json:"title"`
	Year   int      `json:"year"`
	Price  float64  `json:"price"`
	Tags   []string `json:"tags,omitempty"`
	Author author   `json:"author"`
	Blurb  string   `json:"blurb,omitempty"`
}

var books = []any{
	book{ID: "dune", Title: "Dune", Year: 1965, Price: 9.5, Tags: []string{"sf", "classic"}, Author: author{"Herbert", "US"}, Blurb: "Desert planet, spice and a boy who runs from fate"},
	book{ID: "solaris", Title: "Solaris", Year: 1961, Price: 7, Tags: []string{"sf"}, Author: author{"Lem", "PL"}, Blurb: "An ocean that thinks"},
	book{ID: "hobbit", Title: "The Hobbit", Year: 1937, Price: 8, Tags: []string{"fantasy", "classic"}, Author: author{"Tolkien", "GB"}, Blurb: "A hobbit, a dragon and a ring"},
	book{ID: "emma", Title: "Emma", Year: 1815, Price: 5.5, Author: author{"Austen", "GB"}},
}

func library(t *testing.T) (*lumadb.Client, *lumadb.Database, *lumadb.Collection) {
	t.Helper()
	c := node(t)
	db := database(t, c, "lib")
	coll := db.Collection("books")
	ctx := testContext(t, 30*time.Second)
	must[*lumadb.CollectionInfo](t)(coll.Create(ctx, &lumadb.CollectionOptions{Shards: 4}))
	if r := must[*lumadb.BulkResult](t)(coll.PutMany(ctx, books...)); r.Errors {
		t.Fatalf("loading the books: %+v", r)
	}
	return c, db, coll
}

func TestQueriesFilterSortProjectAndPage(t *testing.T) {
	_, _, coll := library(t)
	ctx := testContext(t, time.Minute)
	sfBefore1970 := lumadb.M{"tags": "sf", "year": lumadb.M{"$lt": 1970}}
	first := must[*lumadb.QueryResult](t)(coll.Query(ctx, lumadb.Query{Filter: sfBefore1970, Sort: []string{"-year"}, Fields: []string{"title", "year"}, Limit: 1}))
	if len(first.Documents) != 1 {
		t.Fatalf("first page %+v", first)
	}
	same(t, "first page", []lumadb.M{{"_id": "dune", "_version": first.Documents[0].Version(), "title": "Dune", "year": 1965}}, first.Documents)
	if first.Next == "" {
		t.Fatal("no next page")
	}
	second := must[*lumadb.QueryResult](t)(coll.Query(ctx, lumadb.Query{Filter: sfBefore1970, Sort: []string{"-year"}, Fields: []string{"title"}, Limit: 1, After: first.Next}))
	same(t, "second page", []string{"solaris"}, ids(second.Documents))

	it := coll.Find(lumadb.Query{Sort: []string{"year"}, Limit: 1})
	var order []string
	pages := 0
	for it.NextPage(ctx) {
		pages++
		order = append(order, ids(it.Page().Documents)...)
	}
	if it.Err() != nil || pages != 4 {
		t.Fatalf("pages %d, err %v", pages, it.Err())
	}
	same(t, "every page by year", []string{"emma", "hobbit", "solaris", "dune"}, order)

	either := must[*lumadb.QueryResult](t)(coll.Query(ctx, lumadb.Query{
		Filter: lumadb.M{
			"$or":   []any{lumadb.M{"author.country": lumadb.M{"$in": []string{"GB", "PL"}}}, lumadb.M{"tags": lumadb.M{"$all": []string{"sf", "classic"}}}},
			"price": lumadb.M{"$gte": 6},
		},
		Sort: []string{"price"},
	}))
	same(t, "$or and $gte", []string{"solaris", "hobbit", "dune"}, ids(either.Documents))

	typed, err := lumadb.DecodeAll[book](must[[]lumadb.Document](t)(coll.Find(lumadb.Query{Filter: lumadb.M{"author.country": "GB"}, Sort: []string{"year"}}).All(ctx)))
	if err != nil || len(typed) != 2 || typed[0].Title != "Emma" || typed[1].Author.Name != "Tolkien" {
		t.Fatalf("decoded into structs: %+v %v", typed, err)
	}
}

func TestCountAggregateDistinct(t *testing.T) {
	_, _, coll := library(t)
	ctx := testContext(t, time.Minute)
	if n := must[int64](t)(coll.Count(ctx, lumadb.M{"tags": lumadb.M{"$exists": true}})); n != 3 {
		t.Fatalf("count with tags: %d", n)
	}
	if n := must[int64](t)(coll.Count(ctx, nil)); n != 4 {
		t.Fatalf("count: %d", n)
	}
	groups := must[[]lumadb.Document](t)(coll.Aggregate(ctx, lumadb.M{"books": lumadb.M{"$count": lumadb.M{}}, "avgPrice": lumadb.M{"$avg": "price"}}, []string{"author.country"}, nil))
	same(t, "groups", []lumadb.M{
		{"key": lumadb.M{"author.country": "GB"}, "books": 2, "avgPrice": 6.75},
		{"key": lumadb.M{"author.country": "PL"}, "books": 1, "avgPrice": 7.0},
		{"key": lumadb.M{"author.country": "US"}, "books": 1, "avgPrice": 9.5},
	}, groups)
	same(t, "distinct tags", []string{"classic", "fantasy", "sf"}, must[[]any](t)(coll.Distinct(ctx, "tags", nil)))
	same(t, "distinct with a filter", []string{"GB"}, must[[]any](t)(coll.Distinct(ctx, "author.country", lumadb.M{"year": lumadb.M{"$lt": 1950}})))
}

func TestAnIndexIsBuiltListedUsedAndDropped(t *testing.T) {
	_, _, coll := library(t)
	ctx := testContext(t, time.Minute)
	created := must[*lumadb.Index](t)(coll.CreateIndex(ctx, "by_year", "year"))
	if created.Name != "by_year" || (created.State != "building" && created.State != "ready") {
		t.Fatalf("created %+v", created)
	}
	same(t, "fields", []lumadb.IndexField{{Path: "year", Order: "asc"}}, created.Fields)
	ready := must[*lumadb.Index](t)(coll.WaitForIndex(ctx, "by_year"))
	same(t, "progress", lumadb.IndexProgress{Indexed: 4, Total: 4, Fraction: 1}, ready.Progress)
	list := must[[]lumadb.Index](t)(coll.ListIndexes(ctx))
	if len(list) != 1 || list[0].Name != "by_year" {
		t.Fatalf("indexes %+v", list)
	}
	if again := must[*lumadb.Index](t)(coll.CreateIndex(ctx, "by_year", "year")); again.State != "ready" {
		t.Fatalf("the same index again: %+v", again)
	}
	_, err := coll.CreateIndex(ctx, "by_year", "-price")
	var conflict *lumadb.Error
	if !errors.As(err, &conflict) || !errors.Is(err, lumadb.ErrConflict) || conflict.Slug() != "index-conflict" {
		t.Fatalf("another index of that name: %v", err)
	}

	plan := must[lumadb.Document](t)(coll.Explain(ctx, lumadb.Query{Filter: lumadb.M{"year": lumadb.M{"$gte": 1900}}, Sort: []string{"year"}}))
	if plan["shardsTouched"] != 4.0 {
		t.Fatalf("plan %v", plan)
	}
	examined := 0.0
	for _, s := range plan["shards"].([]any) {
		shard := s.(map[string]any)
		if shard["plan"] != "index" || shard["index"] != "by_year" {
			t.Fatalf("a shard did not use the index: %v", plan)
		}
		examined += shard["documentsExamined"].(float64)
	}
	if examined != 3 {
		t.Fatalf("documents examined %v: %v", examined, plan)
	}
	scan := must[lumadb.Document](t)(coll.Explain(ctx, lumadb.Query{Filter: lumadb.M{"year": lumadb.M{"$gte": 1900}}, Hint: "scan"}))
	for _, s := range scan["shards"].([]any) {
		if s.(map[string]any)["plan"] != "scan" {
			t.Fatalf("hint scan: %v", scan)
		}
	}

	same(t, "dropped", lumadb.Dropped{Dropped: "by_year"}, must[*lumadb.Dropped](t)(coll.DropIndex(ctx, "by_year")))
	if list := must[[]lumadb.Index](t)(coll.ListIndexes(ctx)); len(list) != 0 {
		t.Fatalf("after the drop: %+v", list)
	}
	if _, err := coll.GetIndex(ctx, "by_year"); !errors.Is(err, lumadb.ErrNotFound) {
		t.Fatalf("a dropped index: %v", err)
	}
}

func TestAnInvalidQueryNamesTheOffendingPart(t *testing.T) {
	_, _, coll := library(t)
	_, err := coll.Query(testContext(t, time.Minute), lumadb.Query{Filter: lumadb.M{"year": lumadb.M{"$foo": 1}}})
	var bad *lumadb.Error
	if !errors.As(err, &bad) || bad.Status != 400 || bad.Slug() != "invalid-query" || bad.Type != "urn:lumadb:problem:invalid-query" ||
		bad.Field != "/filter/year/$foo" || !strings.Contains(bad.Detail, "$foo") {
		t.Fatalf("an unknown operator: %#v", err)
	}
}

func TestSQLWithParametersAndItsErrors(t *testing.T) {
	c, db, _ := library(t)
	ctx := testContext(t, time.Minute)
	answer := must[*lumadb.SQLResult](t)(db.SQL(ctx, `SELECT title, "year" FROM books WHERE price > ? ORDER BY "year"`, 7))
	same(t, "columns", []string{"title", "year"}, []string{answer.Columns[0].Name, answer.Columns[1].Name})
	same(t, "rows", [][]any{{"The Hobbit", 1937}, {"Dune", 1965}}, answer.Rows)
	if answer.RowCount != 2 {
		t.Fatalf("rowCount %d", answer.RowCount)
	}
	_, err := db.SQL(ctx, "SELECT nope FROM books")
	var bad *lumadb.Error
	if !errors.As(err, &bad) || bad.Status != 400 || !regexp.MustCompile(`^[0-9A-Z]{5}$`).MatchString(bad.SQLState) {
		t.Fatalf("an unknown column: %#v", err)
	}
	_, err = c.Database(unique("nodb")).SQL(ctx, "SELECT 1")
	var missing *lumadb.Error
	if !errors.As(err, &missing) || !errors.Is(err, lumadb.ErrNotFound) || missing.SQLState != "3D000" {
		t.Fatalf("a missing database: %#v", err)
	}
}

func TestTextSearchFindsAndHighlights(t *testing.T) {
	_, _, coll := library(t)
	ctx := testContext(t, time.Minute)
	must[*lumadb.Index](t)(coll.CreateIndexSpec(ctx, "words", lumadb.M{"type": "text", "paths": []string{"title", "blurb"}, "analyzer": "english"}))
	must[*lumadb.Index](t)(coll.WaitForIndex(ctx, "words"))
	found := must[*lumadb.SearchResult](t)(coll.Search(ctx, lumadb.M{"text": lumadb.M{"index": "words", "query": `"spice" OR dragon`, "highlight": true}, "wait": true}))
	var hits []string
	for _, h := range found.Hits {
		hits = append(hits, h.ID)
		if h.Score <= 0 || h.Document.ID() != h.ID {
			t.Fatalf("hit %+v", h)
		}
	}
	if len(hits) != 2 || !((hits[0] == "dune" && hits[1] == "hobbit") || (hits[0] == "hobbit" && hits[1] == "dune")) {
		t.Fatalf("hits %v", hits)
	}
	highlighted := false
	for _, h := range found.Hits {
		for _, fragment := range h.Highlights["blurb"] {
			highlighted = highlighted || strings.Contains(fragment, "<em>spice</em>")
		}
	}
	if !highlighted {
		t.Fatalf("no highlight: %s", dump(found.Raw))
	}
	_, err := coll.Search(ctx, lumadb.M{"text": lumadb.M{"index": "nope", "query": "x"}})
	var bad *lumadb.Error
	if !errors.As(err, &bad) || bad.Slug() != "invalid-search" || bad.Field != "/text/index" {
		t.Fatalf("an unknown index: %#v", err)
	}
}
