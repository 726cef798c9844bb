package lumadb

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Collection is a collection: its documents, queries, indexes, change stream and live
// queries. It is a handle; nothing is sent until a method is called.
type Collection struct {
	client   *Client
	database string
	name     string
}

// Database is the name of the collection's database.
func (c *Collection) Database() string { return c.database }

// Name is the collection's name.
func (c *Collection) Name() string { return c.name }

func (c *Collection) path(more ...string) string {
	return Path(append([]string{c.database, c.name}, more...)...)
}

// CollectionOptions are fixed when a collection is created.
type CollectionOptions struct {
	// Shards is the number of shards (0: the node's default).
	Shards int `json:"shards,omitempty"`
	// PreImages makes changes carry the document before them.
	PreImages bool `json:"preImages,omitempty"`
	// Schema is a JSON Schema every write must satisfy.
	Schema any `json:"schema,omitempty"`
	// Tiering is the cold tier's policy.
	Tiering any `json:"tiering,omitempty"`
}

// Create creates the collection (its database must exist); the same again is no error, other
// options than the existing collection's are an ErrConflict error naming the option.
func (c *Collection) Create(ctx context.Context, options *CollectionOptions) (*CollectionInfo, error) {
	var body any
	if options != nil {
		body = options
	}
	var out CollectionInfo
	if _, err := c.client.do(ctx, call{method: "PUT", path: c.path(), body: body, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// Info describes the collection, with DocumentCount.
func (c *Collection) Info(ctx context.Context) (*CollectionInfo, error) {
	var out CollectionInfo
	if _, err := c.client.do(ctx, call{method: "GET", path: c.path(), out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// Drop drops the collection and its documents; its streams end with ErrCollectionDropped.
func (c *Collection) Drop(ctx context.Context) (*Dropped, error) {
	var out Dropped
	if _, err := c.client.do(ctx, call{method: "DELETE", path: c.path(), out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// ---- documents

// WriteResult is the answer to a write: the document's id, its new version and "created",
// "updated" or "deleted".
type WriteResult struct {
	ID      string `json:"_id"`
	Version int64  `json:"_version"`
	Result  string `json:"result"`
}

// WriteOption makes a write conditional.
type WriteOption func(*writeOptions)

type writeOptions struct {
	ifMatch    string
	createOnly bool
}

// IfMatch writes only if the document is at version (else ErrPreconditionFailed, whose
// CurrentVersion is the version it is at).
func IfMatch(version int64) WriteOption {
	return func(o *writeOptions) { o.ifMatch = `"` + strconv.FormatInt(version, 10) + `"` }
}

// IfExists writes only if the document exists (If-Match: *).
func IfExists() WriteOption {
	return func(o *writeOptions) { o.ifMatch = "*" }
}

// ReadOption changes how a document is read.
type ReadOption func(*readOptions)

type readOptions struct{ linearizable bool }

// Linearizable makes the shard confirm with its journal that its copy is current.
func Linearizable() ReadOption { return func(o *readOptions) { o.linearizable = true } }

func preconditions(options []WriteOption, createOnly bool) map[string]string {
	var o writeOptions
	for _, f := range options {
		f(&o)
	}
	h := map[string]string{}
	if o.ifMatch != "" {
		h["If-Match"] = o.ifMatch
	}
	if createOnly {
		h["If-None-Match"] = "*"
	}
	return h
}

// Get is the document with _id id, with _id and _version (ErrNotFound if there is none).
func (c *Collection) Get(ctx context.Context, id string, options ...ReadOption) (Document, error) {
	var out Document
	err := c.GetInto(ctx, id, &out, options...)
	return out, err
}

// GetInto reads the document with _id id into v (a pointer to a struct, a map or a
// json.RawMessage).
func (c *Collection) GetInto(ctx context.Context, id string, v any, options ...ReadOption) error {
	var o readOptions
	for _, f := range options {
		f(&o)
	}
	k := call{method: "GET", path: c.path(id)}
	if o.linearizable {
		k.query = values("consistency", "linearizable")
	}
	var raw []byte
	k.out = &raw
	if _, err := c.client.do(ctx, k); err != nil {
		return err
	}
	return Decode(raw, v)
}

// Put creates or replaces the document with _id id (doc: a struct, a map or JSON bytes).
// IfMatch or IfExists make it conditional.
func (c *Collection) Put(ctx context.Context, id string, doc any, options ...WriteOption) (*WriteResult, error) {
	var out WriteResult
	k := call{method: "PUT", path: c.path(id), body: doc, headers: preconditions(options, false), out: &out}
	if _, err := c.client.do(ctx, k); err != nil {
		return nil, err
	}
	return &out, nil
}

// Insert creates a document that must not exist yet (If-None-Match: *; else
// ErrPreconditionFailed).
func (c *Collection) Insert(ctx context.Context, id string, doc any) (*WriteResult, error) {
	var out WriteResult
	k := call{method: "PUT", path: c.path(id), body: doc, headers: preconditions(nil, true), out: &out}
	if _, err := c.client.do(ctx, k); err != nil {
		return nil, err
	}
	return &out, nil
}

// Patch merges an RFC 7396 JSON Merge Patch into an existing document (a nil value removes
// a field; objects merge) and returns the document as written; ErrNotFound if there is none.
// IfMatch makes it conditional.
func (c *Collection) Patch(ctx context.Context, id string, patch any, options ...WriteOption) (Document, error) {
	var out Document
	k := call{
		method: "PATCH", path: c.path(id), body: patch, contentType: "application/merge-patch+json",
		headers: preconditions(options, false), out: &out,
	}
	if _, err := c.client.do(ctx, k); err != nil {
		return nil, err
	}
	return out, nil
}

// Delete deletes a document (ErrNotFound if there is none); IfMatch makes it conditional.
func (c *Collection) Delete(ctx context.Context, id string, options ...WriteOption) (*WriteResult, error) {
	var out WriteResult
	k := call{method: "DELETE", path: c.path(id), headers: preconditions(options, false), out: &out}
	if _, err := c.client.do(ctx, k); err != nil {
		return nil, err
	}
	return &out, nil
}

// Page is a page of documents; Next is the cursor of the following page ("" after the last).
type Page struct {
	Documents []Document
	Next      string
}

// ListDocuments is one page of at most limit documents (0: the node's default) in _id order,
// after the id after ("" for the first page).
func (c *Collection) ListDocuments(ctx context.Context, after string, limit int) (*Page, error) {
	var out struct {
		Docs []Document `json:"docs"`
		Next *string    `json:"next"`
	}
	q := values("after", after)
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if _, err := c.client.do(ctx, call{method: "GET", path: c.path("_docs"), query: q, out: &out}); err != nil {
		return nil, err
	}
	p := &Page{Documents: out.Docs}
	if out.Next != nil {
		p.Next = *out.Next
	}
	return p, nil
}

// AllDocuments iterates over every document in _id order, pageSize at a time (0: 1000).
func (c *Collection) AllDocuments(pageSize int) *Iterator {
	if pageSize <= 0 {
		pageSize = 1000
	}
	return &Iterator{fetch: func(ctx context.Context, after string) (*Page, error) {
		return c.ListDocuments(ctx, after, pageSize)
	}}
}

// BulkItem is one write of a bulk request.
type BulkItem struct {
	// Op is "put" (the default), "create", "patch" or "delete".
	Op string `json:"op,omitempty"`
	// ID is the document's id; a put may carry it as the document's _id instead.
	ID string `json:"id,omitempty"`
	// Doc is the document (put, create) or the merge patch (patch).
	Doc any `json:"doc,omitempty"`
	// IfMatch is the version the document must be at (0: any).
	IfMatch int64 `json:"ifMatch,omitempty"`
}

// BulkItemResult is the outcome of one item: its write result, or its status and error.
type BulkItemResult struct {
	ID      string         `json:"_id"`
	Version int64          `json:"_version"`
	Result  string         `json:"result"`
	Status  int            `json:"status"`
	Error   map[string]any `json:"error,omitempty"`
}

// Err is the item's error as an *Error (nil if it succeeded).
func (r BulkItemResult) Err() error {
	if r.Error == nil {
		return nil
	}
	return errorFromDoc(r.Status, r.Error, "")
}

// BulkResult is the answer to a bulk request: one result per item, in order; Errors says
// whether any item failed.
type BulkResult struct {
	Items  []BulkItemResult `json:"items"`
	Errors bool             `json:"errors"`
}

// Bulk makes many writes in one request. Every item is checked before anything is written
// (one malformed item: ErrBadRequest naming it, nothing written); then items fail on their own.
func (c *Collection) Bulk(ctx context.Context, items []BulkItem) (*BulkResult, error) {
	var out BulkResult
	if items == nil {
		items = []BulkItem{}
	}
	if _, err := c.client.do(ctx, call{method: "POST", path: c.path("_bulk"), body: items, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// PutMany creates or replaces documents that carry their _id, in one bulk request.
func (c *Collection) PutMany(ctx context.Context, docs ...any) (*BulkResult, error) {
	items := make([]BulkItem, len(docs))
	for i, d := range docs {
		items[i] = BulkItem{Op: "put", Doc: d}
	}
	return c.Bulk(ctx, items)
}

// ---- queries

// Query is a JQL query (see the README's "Reference: the JSON query language").
type Query struct {
	// Filter selects documents, such as M{"total": M{"$gte": 100}}.
	Filter any `json:"filter,omitempty"`
	// Sort is a list of paths, "-year" for descending.
	Sort []string `json:"sort,omitempty"`
	// Fields is a projection.
	Fields []string `json:"fields,omitempty"`
	// Limit is the page size (0: the node's default).
	Limit int `json:"limit,omitempty"`
	// After is the Next of the previous page.
	After string `json:"after,omitempty"`
	// Hint names an index to use, or "scan".
	Hint string `json:"hint,omitempty"`
	// TimeoutMs bounds the query on the node.
	TimeoutMs int `json:"timeoutMs,omitempty"`
	// Explain adds the plan each shard ran, with its counters.
	Explain bool `json:"explain,omitempty"`
}

// QueryResult is a page of a query's documents; Next is "" after the last page.
type QueryResult struct {
	Documents []Document     `json:"documents"`
	Next      string         `json:"next"`
	Explain   map[string]any `json:"explain,omitempty"`
}

// Query runs a JQL query and returns one page.
func (c *Collection) Query(ctx context.Context, q Query) (*QueryResult, error) {
	var out struct {
		Documents []Document     `json:"documents"`
		Next      *string        `json:"next"`
		Explain   map[string]any `json:"explain"`
	}
	if _, err := c.client.do(ctx, call{method: "POST", path: c.path("_query"), body: q, out: &out}); err != nil {
		return nil, err
	}
	r := &QueryResult{Documents: out.Documents, Explain: out.Explain}
	if out.Next != nil {
		r.Next = *out.Next
	}
	return r, nil
}

// RunQuery sends a query body as it is (for members Query has no field for) and returns the
// node's answer.
func (c *Collection) RunQuery(ctx context.Context, body any) (Document, error) {
	var out Document
	_, err := c.client.do(ctx, call{method: "POST", path: c.path("_query"), body: body, out: &out})
	return out, err
}

// Find iterates over every document q matches, following its pages (q.Limit documents a
// page, 1000 when 0; q.After is where it starts).
func (c *Collection) Find(q Query) *Iterator {
	if q.Limit <= 0 {
		q.Limit = 1000
	}
	start := q.After
	return &Iterator{after: start, fetch: func(ctx context.Context, after string) (*Page, error) {
		page := q
		page.After = after
		r, err := c.Query(ctx, page)
		if err != nil {
			return nil, err
		}
		return &Page{Documents: r.Documents, Next: r.Next}, nil
	}}
}

// Count is how many documents match filter (nil: all).
func (c *Collection) Count(ctx context.Context, filter any) (int64, error) {
	body := M{"count": true}
	if filter != nil {
		body["filter"] = filter
	}
	var out struct {
		Count int64 `json:"count"`
	}
	_, err := c.client.do(ctx, call{method: "POST", path: c.path("_query"), body: body, out: &out})
	return out.Count, err
}

// Distinct is the distinct values at path among the documents filter matches (array
// elements count one by one), in value order.
func (c *Collection) Distinct(ctx context.Context, path string, filter any) ([]any, error) {
	body := M{"distinct": path}
	if filter != nil {
		body["filter"] = filter
	}
	var out struct {
		Values []any `json:"values"`
	}
	_, err := c.client.do(ctx, call{method: "POST", path: c.path("_query"), body: body, out: &out})
	return out.Values, err
}

// Aggregate groups the documents filter matches by the paths groupBy and computes metrics
// per group, such as M{"n": M{"$count": M{}}, "avg": M{"$avg": "price"}}: one
// {"key": {...}, "<metric>": value} per group.
func (c *Collection) Aggregate(ctx context.Context, metrics M, groupBy []string, filter any) ([]Document, error) {
	aggregate := M{"metrics": metrics}
	if groupBy != nil {
		aggregate["groupBy"] = groupBy
	}
	body := M{"aggregate": aggregate}
	if filter != nil {
		body["filter"] = filter
	}
	var out struct {
		Groups []Document `json:"groups"`
	}
	_, err := c.client.do(ctx, call{method: "POST", path: c.path("_query"), body: body, out: &out})
	return out.Groups, err
}

// Explain is the plan of a query as each shard ran it, with its counters
// ("shardsTouched", "shards": [{"plan", "index", "documentsExamined", ...}]).
func (c *Collection) Explain(ctx context.Context, q Query) (Document, error) {
	q.Explain = true
	r, err := c.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	return Document(r.Explain), nil
}

// Iterator goes over every document of a paged listing or query, fetching a page when it
// needs one:
//
//	it := orders.Find(lumadb.Query{Filter: lumadb.M{"status": "paid"}})
//	for it.Next(ctx) {
//		doc := it.Document()
//	}
//	if err := it.Err(); err != nil { ... }
type Iterator struct {
	fetch   func(ctx context.Context, after string) (*Page, error)
	after   string
	docs    []Document
	current Document
	page    *Page
	pages   int
	done    bool
	err     error
}

// Next moves to the next document, fetching the next page when needed; false at the end or
// on an error (see Err).
func (it *Iterator) Next(ctx context.Context) bool {
	for len(it.docs) == 0 {
		if !it.NextPage(ctx) {
			return false
		}
		it.docs = it.page.Documents
	}
	it.current, it.docs = it.docs[0], it.docs[1:]
	return true
}

// NextPage fetches the next page whole (see Page); false at the end or on an error. Use
// either Next or NextPage on one iterator.
func (it *Iterator) NextPage(ctx context.Context) bool {
	if it.done || it.err != nil {
		return false
	}
	page, err := it.fetch(ctx, it.after)
	if err != nil {
		it.err = err
		return false
	}
	it.pages++
	it.page = page
	it.after = page.Next
	if page.Next == "" {
		it.done = true
	}
	return len(page.Documents) > 0 || !it.done
}

// Document is the current document.
func (it *Iterator) Document() Document { return it.current }

// Page is the page last fetched.
func (it *Iterator) Page() *Page { return it.page }

// Err is the error that ended the iteration, nil at its end.
func (it *Iterator) Err() error { return it.err }

// All reads every remaining document.
func (it *Iterator) All(ctx context.Context) ([]Document, error) {
	var all []Document
	for it.Next(ctx) {
		all = append(all, it.Document())
	}
	return all, it.Err()
}

// ---- secondary and search indexes

// IndexField is a path of a secondary index and its order ("asc" or "desc").
type IndexField struct {
	Path  string `json:"path"`
	Order string `json:"order,omitempty"`
}

// IndexProgress is how far an index's build is.
type IndexProgress struct {
	Indexed  int64   `json:"indexed"`
	Total    int64   `json:"total"`
	Fraction float64 `json:"fraction"`
}

// Index describes an index: its definition, its State ("building", "ready", "failed") and
// its progress (Raw holds the whole answer, per shard too).
type Index struct {
	Name     string         `json:"name"`
	Type     string         `json:"type,omitempty"`
	Fields   []IndexField   `json:"fields,omitempty"`
	State    string         `json:"state"`
	Progress IndexProgress  `json:"progress"`
	Raw      map[string]any `json:"-"`
}

func (c *Collection) index(ctx context.Context, k call) (*Index, error) {
	var raw []byte
	k.out = &raw
	if _, err := c.client.do(ctx, k); err != nil {
		return nil, err
	}
	var idx Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, protocolError("an index description that is not JSON: %v", err)
	}
	_ = json.Unmarshal(raw, &idx.Raw)
	return &idx, nil
}

// CreateIndex creates a secondary index over fields ("year", "-year" for descending), built
// in the background; the same index again is no error, another one of that name an
// ErrConflict error. See WaitForIndex.
func (c *Collection) CreateIndex(ctx context.Context, name string, fields ...string) (*Index, error) {
	specs := make([]IndexField, len(fields))
	for i, f := range fields {
		if len(f) > 1 && f[0] == '-' {
			specs[i] = IndexField{Path: f[1:], Order: "desc"}
		} else {
			specs[i] = IndexField{Path: f, Order: "asc"}
		}
	}
	return c.CreateIndexSpec(ctx, name, M{"fields": specs})
}

// CreateIndexSpec creates an index from its whole definition: a secondary index
// ({"fields": [...]}), a vector index ({"type": "vector", "path", "dimension", ...}) or a
// text index ({"type": "text", "paths": [...], "analyzer"}).
func (c *Collection) CreateIndexSpec(ctx context.Context, name string, spec any) (*Index, error) {
	return c.index(ctx, call{method: "PUT", path: c.path("_indexes", name), body: spec})
}

// GetIndex describes an index (ErrNotFound if there is none).
func (c *Collection) GetIndex(ctx context.Context, name string) (*Index, error) {
	return c.index(ctx, call{method: "GET", path: c.path("_indexes", name)})
}

// ListIndexes is the collection's indexes.
func (c *Collection) ListIndexes(ctx context.Context) ([]Index, error) {
	var out struct {
		Indexes []Index `json:"indexes"`
	}
	_, err := c.client.do(ctx, call{method: "GET", path: c.path("_indexes"), out: &out})
	return out.Indexes, err
}

// DropIndex drops an index.
func (c *Collection) DropIndex(ctx context.Context, name string) (*Dropped, error) {
	var out Dropped
	if _, err := c.client.do(ctx, call{method: "DELETE", path: c.path("_indexes", name), out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// WaitForIndex waits until an index is ready and returns it; an ErrIndexFailed error if its
// build failed, the context's error if it ends first (give it a deadline).
func (c *Collection) WaitForIndex(ctx context.Context, name string) (*Index, error) {
	for {
		idx, err := c.GetIndex(ctx, name)
		if err != nil {
			return nil, err
		}
		switch idx.State {
		case "ready":
			return idx, nil
		case "failed":
			raw, _ := json.Marshal(idx.Raw)
			return nil, &Error{Type: "urn:lumadb:client:index-failed", Title: "Index build failed", Detail: string(raw), Problem: idx.Raw, kind: ErrIndexFailed}
		}
		t := time.NewTimer(waitPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("lumadb: index %s still %s (%d of %d): %w", name, idx.State, idx.Progress.Indexed, idx.Progress.Total, ctx.Err())
		case <-t.C:
		}
	}
}

// SearchHit is one hit of a search: the document's id, its score (and per list, its rank and
// score) and the document.
type SearchHit struct {
	ID         string              `json:"_id"`
	Score      float64             `json:"score"`
	Document   Document            `json:"document"`
	Highlights map[string][]string `json:"highlights,omitempty"`
	Raw        map[string]any      `json:"-"`
}

// SearchResult is the answer to a search: its hits, best first (Raw holds the whole answer).
type SearchResult struct {
	Hits []SearchHit    `json:"hits"`
	Raw  map[string]any `json:"-"`
}

// Search runs a vector, text or hybrid search (body: {"knn": {...}, "text": {...}, "filter",
// "k", "fields", "wait"}; see the README's "Search: vectors and full text").
func (c *Collection) Search(ctx context.Context, body any) (*SearchResult, error) {
	var raw []byte
	if _, err := c.client.do(ctx, call{method: "POST", path: c.path("_search"), body: body, out: &raw}); err != nil {
		return nil, err
	}
	var out SearchResult
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, protocolError("a search answer that is not JSON: %v", err)
	}
	_ = json.Unmarshal(raw, &out.Raw)
	var hits struct {
		Hits []map[string]any `json:"hits"`
	}
	_ = json.Unmarshal(raw, &hits)
	for i := range out.Hits {
		if i < len(hits.Hits) {
			out.Hits[i].Raw = hits.Hits[i]
		}
	}
	return &out, nil
}

// PullChanges reads one page of the change stream by HTTP pull, from a position ("beginning",
// "now" or a token): at most limit changes (0: 100), waiting up to wait for a first one, only
// those filter selects (nil: all). It returns the changes and the position after the page;
// follow it until a page is empty.
func (c *Collection) PullChanges(ctx context.Context, from string, limit int, wait time.Duration, filter any) ([]Change, string, error) {
	if limit <= 0 {
		limit = 100
	}
	q := values("from", from, "limit", strconv.Itoa(limit), "wait", strconv.FormatInt(wait.Milliseconds(), 10))
	if filter != nil {
		f, err := json.Marshal(filter)
		if err != nil {
			return nil, "", fmt.Errorf("lumadb: the filter is not JSON: %w", err)
		}
		q.Set("filter", string(f))
	}
	var raw []byte
	h, err := c.client.do(ctx, call{method: "GET", path: c.path("_changes"), query: q, headers: map[string]string{"Accept": "application/x-ndjson"}, out: &raw})
	if err != nil {
		return nil, "", err
	}
	var changes []Change
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64*1024), maxEventLine)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		ch, err := changeFromEnvelope(line, "")
		if err != nil {
			return nil, "", err
		}
		changes = append(changes, ch)
	}
	if err := sc.Err(); err != nil {
		return nil, "", protocolError("the change page: %v", err)
	}
	return changes, h.Get("LumaDB-Next-Token"), nil
}
