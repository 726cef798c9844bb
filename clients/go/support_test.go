package lumadb_test

// What the tests that need a node share. They read it from the environment, as the project's
// harness (io.lumadb.clients.ClientSuite) sets it:
//
//   - LUMADB_URL: the node; LUMADB_API_KEY: an admin API key; LUMADB_USER, LUMADB_PASSWORD:
//     the admin user;
//   - LUMADB_TEST_CONTROL: the harness's control endpoint (POST /restart);
//   - LUMADB_TEST_MAX_STREAMS, LUMADB_TEST_MAX_CONNECTIONS: the node's stream limit per
//     principal and connection limit per address, which the error tests reach.
//
// Without them those tests fail, saying what is missing; with -short they are skipped. The
// parser, error mapping and offline resume tests always run.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	lumadb "github.com/lumadb/lumadb-go"
)

func TestMain(m *testing.M) {
	flag.Parse()
	// The examples talk to a node: without one, -short leaves them out as it does the tests.
	if testing.Short() && os.Getenv("LUMADB_URL") == "" && flag.Lookup("test.run").Value.String() == "" {
		_ = flag.Set("test.run", "^(Test|ExampleError$)")
	}
	os.Exit(m.Run())
}

// needEnv is the variable's value; without it the test fails (or, with -short, is skipped).
func needEnv(t *testing.T, name, what string) string {
	t.Helper()
	value := os.Getenv(name)
	if value == "" {
		if testing.Short() {
			t.Skipf("-short and %s is not set: %s", name, what)
		}
		t.Fatalf("%s is not set: %s. Run the suite through the project's harness (GoClientIT), set it to a node of your own, or use -short for the tests that need no node", name, what)
	}
	return value
}

// node is a client of the node under test, signed in with the admin API key (or the options).
func node(t *testing.T, options ...lumadb.Option) *lumadb.Client {
	t.Helper()
	url := needEnv(t, "LUMADB_URL", "the integration tests need a LumaDB node")
	base := []lumadb.Option{}
	if key := os.Getenv("LUMADB_API_KEY"); key != "" {
		base = append(base, lumadb.WithAPIKey(key))
	}
	c, err := lumadb.New(url, append(base, options...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// unique is a database or collection name no other test uses.
func unique(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// database creates a database for the test and drops it when the test ends.
func database(t *testing.T, c *lumadb.Client, prefix string) *lumadb.Database {
	t.Helper()
	db := c.Database(unique(prefix))
	if _, err := db.Create(testContext(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db.Drop(ctx)
	})
	return db
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// control asks the harness to restart, stop or start the node, or for its status; returns once
// done, with the node's {"pid", "starts", "alive"}.
func control(t *testing.T, action string) map[string]any {
	t.Helper()
	base := needEnv(t, "LUMADB_TEST_CONTROL", "the restart tests need the harness's control endpoint")
	client := &http.Client{Timeout: 3 * time.Minute}
	resp, err := client.Post(base+"/"+action, "application/json", strings.NewReader(""))
	if err != nil {
		t.Fatalf("control %s: %v", action, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("control %s: %d %v %v", action, resp.StatusCode, out, err)
	}
	return out
}

// createKey is a new API key's secret, made by the admin.
func createKey(t *testing.T, c *lumadb.Client, roles ...string) string {
	t.Helper()
	var out struct {
		Secret string `json:"secret"`
	}
	body := lumadb.M{"name": unique("key"), "roles": roles}
	if err := c.Do(testContext(t, 30*time.Second), "POST", lumadb.Path("_security", "keys"), body, &out); err != nil {
		t.Fatal(err)
	}
	if out.Secret == "" {
		t.Fatal("the node made a key without a secret")
	}
	return out.Secret
}

func envInt(t *testing.T, name string) int {
	t.Helper()
	n, err := strconv.Atoi(needEnv(t, name, "the limit tests need the node's limit"))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return n
}

func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func ids(docs []lumadb.Document) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID()
	}
	return out
}

func same(t *testing.T, what string, want, got any) {
	t.Helper()
	if dump(want) != dump(got) {
		t.Fatalf("%s:\nwant %s\ngot  %s", what, dump(want), dump(got))
	}
}

var _ = fmt.Sprint
