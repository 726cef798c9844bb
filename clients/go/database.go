package lumadb

import (
	"context"
	"net/url"
	"time"
)

// DatabaseInfo describes a database.
type DatabaseInfo struct {
	Name            string           `json:"name"`
	CreatedAt       string           `json:"createdAt"`
	CollectionCount int              `json:"collectionCount"`
	Collections     []CollectionInfo `json:"collections"`
}

// CollectionInfo describes a collection (DocumentCount only from Collection.Info).
type CollectionInfo struct {
	Database      string         `json:"database"`
	Name          string         `json:"name"`
	Shards        int            `json:"shards"`
	PreImages     bool           `json:"preImages"`
	CreatedAt     string         `json:"createdAt"`
	DocumentCount int64          `json:"documentCount"`
	Schema        map[string]any `json:"schema,omitempty"`
}

// Dropped is the answer to dropping a database ("dropped", "collectionsDropped"), a
// collection or an index ("dropped").
type Dropped struct {
	Dropped            string `json:"dropped"`
	CollectionsDropped int    `json:"collectionsDropped,omitempty"`
}

// ListDatabases is every database.
func (c *Client) ListDatabases(ctx context.Context) ([]DatabaseInfo, error) {
	var out struct {
		Databases []DatabaseInfo `json:"databases"`
	}
	_, err := c.do(ctx, call{method: "GET", path: "/api/v1", out: &out})
	return out.Databases, err
}

// CreateDatabase creates a database; creating one that exists is no error.
func (c *Client) CreateDatabase(ctx context.Context, name string) (*DatabaseInfo, error) {
	var out DatabaseInfo
	if _, err := c.do(ctx, call{method: "PUT", path: Path(name), out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetDatabase is a database with its collections (ErrNotFound if there is none).
func (c *Client) GetDatabase(ctx context.Context, name string) (*DatabaseInfo, error) {
	var out DatabaseInfo
	if _, err := c.do(ctx, call{method: "GET", path: Path(name), out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// DropDatabase drops a database and all its collections.
func (c *Client) DropDatabase(ctx context.Context, name string) (*Dropped, error) {
	var out Dropped
	if _, err := c.do(ctx, call{method: "DELETE", path: Path(name), out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// Database is a handle on a database (nothing is sent).
func (c *Client) Database(name string) *Database { return &Database{client: c, name: name} }

// Collection is a handle on the collection database/name (nothing is sent).
func (c *Client) Collection(database, name string) *Collection {
	return &Collection{client: c, database: database, name: name}
}

// Database is a database of a node: its collections and SQL.
type Database struct {
	client *Client
	name   string
}

// Name is the database's name.
func (d *Database) Name() string { return d.name }

// Create creates the database if it does not exist.
func (d *Database) Create(ctx context.Context) (*DatabaseInfo, error) {
	return d.client.CreateDatabase(ctx, d.name)
}

// Drop drops the database with all its collections.
func (d *Database) Drop(ctx context.Context) (*Dropped, error) {
	return d.client.DropDatabase(ctx, d.name)
}

// Info describes the database with its collections.
func (d *Database) Info(ctx context.Context) (*DatabaseInfo, error) {
	return d.client.GetDatabase(ctx, d.name)
}

// ListCollections is the database's collections.
func (d *Database) ListCollections(ctx context.Context) ([]CollectionInfo, error) {
	info, err := d.Info(ctx)
	if err != nil {
		return nil, err
	}
	return info.Collections, nil
}

// Collection is a handle on a collection of the database (nothing is sent).
func (d *Database) Collection(name string) *Collection { return d.client.Collection(d.name, name) }

// SQLColumn is a column of a SQL result.
type SQLColumn struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Nullable bool   `json:"nullable"`
}

// SQLResult is the answer to a SQL statement.
type SQLResult struct {
	Columns       []SQLColumn `json:"columns"`
	Rows          [][]any     `json:"rows"`
	RowCount      int64       `json:"rowCount"`
	DocumentsRead int64       `json:"documentsRead"`
}

// SQL runs a SQL statement over the database's collections; '?' marks the params. A failed
// statement is an *Error with SQLState set.
func (d *Database) SQL(ctx context.Context, statement string, params ...any) (*SQLResult, error) {
	body := M{"sql": statement}
	if params != nil {
		body["params"] = params
	}
	var out SQLResult
	if _, err := d.client.do(ctx, call{method: "POST", path: Path(d.name, "_sql"), body: body, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// waitPoll is how often WaitForIndex asks for an index's state.
const waitPoll = 100 * time.Millisecond

func values(pairs ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			v.Set(pairs[i], pairs[i+1])
		}
	}
	return v
}
