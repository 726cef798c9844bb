package lumadb_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	lumadb "github.com/lumadb/lumadb-go"
)

// A client of the node named by LUMADB_URL, signed in with LUMADB_API_KEY (or LUMADB_USER and
// LUMADB_PASSWORD); documents written, patched with a version check and queried.
func Example() {
	ctx := context.Background()
	client, err := lumadb.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	shop := client.Database(unique("shop"))
	if _, err := shop.Create(ctx); err != nil {
		log.Fatal(err)
	}
	defer shop.Drop(ctx)
	orders := shop.Collection("orders")
	if _, err := orders.Create(ctx, &lumadb.CollectionOptions{Shards: 2, PreImages: true}); err != nil {
		log.Fatal(err)
	}

	w, _ := orders.Put(ctx, "o1", lumadb.M{"customer": "c7", "total": 120})
	fmt.Println(w.ID, w.Version, w.Result)
	doc, _ := orders.Get(ctx, "o1")
	paid, _ := orders.Patch(ctx, "o1", lumadb.M{"status": "paid"}, lumadb.IfMatch(doc.Version()))
	fmt.Println(paid["status"])

	// the same version again is refused: someone (here, we) wrote it since
	_, err = orders.Patch(ctx, "o1", lumadb.M{"status": "lost"}, lumadb.IfMatch(doc.Version()))
	var e *lumadb.Error
	if errors.As(err, &e) && errors.Is(err, lumadb.ErrVersionMismatch) {
		current, _ := e.CurrentVersion()
		fmt.Println(e.Status, current == paid.Version())
	}

	orders.Put(ctx, "o2", lumadb.M{"customer": "c8", "total": 80})
	it := orders.Find(lumadb.Query{Filter: lumadb.M{"total": lumadb.M{"$gte": 100}}, Sort: []string{"-total"}})
	for it.Next(ctx) {
		var order struct {
			ID       string  `json:"_id"`
			Customer string  `json:"customer"`
			Total    float64 `json:"total"`
		}
		it.Document().Decode(&order)
		fmt.Println(order.ID, order.Customer, order.Total)
	}
	n, _ := orders.Count(ctx, nil)
	fmt.Println(n)
	// Output:
	// o1 1 created
	// paid
	// 412 true
	// o1 c7 120
	// 2
}

// A change stream read with Next: every change once, resuming by itself after a disconnect.
func ExampleCollection_Changes() {
	ctx := context.Background()
	client, _ := lumadb.FromEnv()
	defer client.Close()
	db := client.Database(unique("shop"))
	db.Create(ctx)
	defer db.Drop(ctx)
	orders := db.Collection("orders")
	orders.Create(ctx, &lumadb.CollectionOptions{Shards: 1})

	stream, err := orders.Changes(ctx, lumadb.FromNow) // returns once the node listens
	if err != nil {
		log.Fatal(err)
	}
	defer stream.Close()
	orders.Put(ctx, "o1", lumadb.M{"total": 120})
	orders.Patch(ctx, "o1", lumadb.M{"total": 80})
	orders.Delete(ctx, "o1")
	for i := 0; i < 3 && stream.Next(ctx); i++ {
		c := stream.Change()
		fmt.Println(c.Op, c.ID, c.Version, c.After["total"])
		// store c.Token with what you did: orders.Changes(ctx, token) goes on right after it
	}
	if err := stream.Err(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// c o1 1 120
	// u o1 2 80
	// d o1 3 <nil>
}

// A live query read from a channel: the current result, ready, then what changes in it.
func ExampleCollection_Live() {
	ctx := context.Background()
	client, _ := lumadb.FromEnv()
	defer client.Close()
	db := client.Database(unique("shop"))
	db.Create(ctx)
	defer db.Drop(ctx)
	orders := db.Collection("orders")
	orders.Create(ctx, nil)
	orders.Put(ctx, "o1", lumadb.M{"total": 150})

	live, err := orders.Live(ctx, lumadb.M{"total": lumadb.M{"$gte": 100}})
	if err != nil {
		log.Fatal(err)
	}
	defer live.Close()
	for event := range live.C() {
		fmt.Println(strings.TrimSpace(event.Kind + " " + event.ID))
		switch event.Kind {
		case lumadb.LiveReady:
			orders.Put(ctx, "o2", lumadb.M{"total": 300})
		case lumadb.LiveAdded:
			fmt.Println(len(live.Results()) >= 1)
			return
		}
	}
	// Output:
	// result o1
	// ready
	// added o2
	// true
}

// Refusals are *lumadb.Error values, told apart with errors.Is and read with errors.As.
func ExampleError() {
	err := error(lumadb.ErrorFromProblem(409, []byte(`{"type":"urn:lumadb:problem:collection-conflict",`+
		`"title":"Collection exists with other options","detail":"it has 3 shards","field":"/shards"}`), "", ""))
	var e *lumadb.Error
	if errors.As(err, &e) && errors.Is(err, lumadb.ErrConflict) {
		fmt.Println(e.Status, e.Slug(), e.Field)
	}
	fmt.Println(errors.Is(err, lumadb.ErrNotFound))
	// Output:
	// 409 collection-conflict /shards
	// false
}
