package lumadb

import (
	"encoding/json"
	"fmt"
)

// Document is a JSON document as the node sends it, with its _id and _version. Numbers are
// float64, as encoding/json decodes them; Decode turns it into a struct of the caller's.
type Document map[string]any

// ID is the document's _id ("" without one).
func (d Document) ID() string {
	id, _ := d["_id"].(string)
	return id
}

// Version is the document's _version (0 without one).
func (d Document) Version() int64 {
	v, _ := d["_version"].(float64)
	return int64(v)
}

// Decode stores the document in v, a pointer to a struct (with json tags) or a map.
func (d Document) Decode(v any) error {
	return Decode(d, v)
}

// Decode stores a JSON value the client returned (a Document, []Document, json.RawMessage,
// ...) in v, a pointer to the caller's type.
func Decode(from, v any) error {
	var data []byte
	switch f := from.(type) {
	case json.RawMessage:
		data = f
	case []byte:
		data = f
	default:
		var err error
		if data, err = json.Marshal(from); err != nil {
			return fmt.Errorf("lumadb: decoding: %w", err)
		}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("lumadb: decoding into %T: %w", v, err)
	}
	return nil
}

// DecodeAll decodes each document into a new T.
func DecodeAll[T any](docs []Document) ([]T, error) {
	out := make([]T, len(docs))
	for i, d := range docs {
		if err := Decode(d, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
