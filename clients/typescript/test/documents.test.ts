/** Databases, collections, documents and bulk writes against a real node. */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  type Collection,
} from "@lumadb/client";
import { byteOrder, client, unique } from "./support.js";

describe("databases and collections", () => {
  const c = client();

  it("answers health, readiness, whoami and its OpenAPI description", async () => {
    assert.ok(await c.health());
    assert.ok(await c.ready());
    const me = await c.whoami();
    assert.equal(me.kind, "api-key", JSON.stringify(me)); // the suite signs in with an API key
    assert.ok((me.roles as string[]).includes("admin"), JSON.stringify(me));
    const api = await c.openapi();
    assert.match(String(api.openapi), /^3\.1/);
    const paths = Object.keys(api.paths as Record<string, unknown>);
    for (const used of ["_query", "_changes", "_live", "_search", "_sql", "_bulk"]) {
      assert.ok(
        paths.some((p) => p.endsWith(`/${used}`)),
        `the node's API has no ${used}: ${paths.join(" ")}`,
      );
    }
  });

  it("creates, lists and drops databases and collections", async () => {
    const db = unique("docs");
    try {
      const created = await c.createDatabase(db);
      assert.equal(created.name, db);
      assert.ok((await c.listDatabases()).some((d) => d.name === db));
      assert.equal((await c.createDatabase(db)).name, db); // again: no error

      const database = c.database(db);
      const orders = await database.collection("orders").create({ shards: 3, preImages: true });
      assert.deepEqual(
        { database: orders.database, name: orders.name, shards: orders.shards, preImages: orders.preImages },
        { database: db, name: "orders", shards: 3, preImages: true },
      );
      await database.collection("users").create();
      assert.deepEqual((await database.listCollections()).map((x) => x.name).sort(), ["orders", "users"]);

      const info = await database.collection("orders").info();
      assert.equal(info.documentCount, 0);
      assert.equal(info.shards, 3);

      await assert.rejects(database.collection("orders").create({ shards: 2 }), (e: unknown) => {
        assert.ok(e instanceof ConflictError);
        assert.equal(e.status, 409);
        assert.equal(e.field, "/shards");
        return true;
      });

      assert.deepEqual(await database.collection("users").drop(), { dropped: `${db}/users` });
      assert.deepEqual(
        (await database.listCollections()).map((x) => x.name),
        ["orders"],
      );
      assert.deepEqual(await c.dropDatabase(db), { dropped: db, collectionsDropped: 1 });
      assert.ok(!(await c.listDatabases()).some((d) => d.name === db));
      await assert.rejects(c.getDatabase(db), NotFoundError);
    } finally {
      await c.dropDatabase(db).catch((e: unknown) => assert.ok(e instanceof NotFoundError));
    }
  });

  it("refuses what does not match a collection's schema", async () => {
    const db = unique("docs");
    await c.createDatabase(db);
    try {
      const people = c.collection(db, "people");
      await people.create({
        schema: {
          type: "object",
          properties: { name: { type: "string", minLength: 1 }, age: { type: "integer", minimum: 0 } },
          required: ["name"],
        },
      });
      await people.put("p1", { name: "Ada", age: 36 });
      await assert.rejects(people.put("p2", { name: "Bob", age: -1 }), (e: unknown) => {
        assert.ok(e instanceof BadRequestError);
        assert.equal(e.slug, "schema-violation");
        assert.equal(e.field, "/age");
        return true;
      });
      await assert.rejects(people.get("p2"), NotFoundError);
    } finally {
      await c.dropDatabase(db);
    }
  });
});

describe("documents", () => {
  const c = client();
  const db = unique("docs");
  before(() => c.createDatabase(db));
  after(() => c.dropDatabase(db));

  async function collection(): Promise<Collection> {
    const coll = c.collection(db, unique("c"));
    await coll.create({ shards: 2 });
    return coll;
  }

  it("puts, gets, patches (JSON Merge Patch) and deletes with versions", async () => {
    const users = await collection();
    const created = await users.put("ada", { name: "Ada", langs: ["en", "fr"], address: { city: "London" } });
    assert.equal(created._id, "ada");
    assert.equal(created.result, "created");
    const v1 = created._version;
    assert.ok(v1 >= 1);
    assert.deepEqual(await users.get("ada"), {
      _id: "ada",
      _version: v1,
      name: "Ada",
      langs: ["en", "fr"],
      address: { city: "London" },
    });
    assert.deepEqual(await users.get("ada", { linearizable: true }), await users.get("ada"));

    // set, replace, remove (null), nested merge; only if still at v1
    const patched = await users.patch(
      "ada",
      { born: 1815, langs: ["en"], name: null, address: { zip: "W1" } },
      { ifMatch: v1 },
    );
    const v2 = patched._version as number;
    assert.ok(v2 > v1);
    const expected = { _id: "ada", _version: v2, langs: ["en"], born: 1815, address: { city: "London", zip: "W1" } };
    assert.deepEqual(patched, expected);
    assert.deepEqual(await users.get("ada"), expected);

    await assert.rejects(users.put("ada", { name: "lost update" }, { ifMatch: v1 }), (e: unknown) => {
      assert.ok(e instanceof PreconditionFailedError);
      assert.equal(e.status, 412);
      assert.equal(e.currentVersion, v2);
      assert.equal(e.field, "If-Match");
      return true;
    });
    assert.deepEqual(await users.get("ada"), expected); // nothing written

    const replaced = await users.put("ada", { name: "Ada Lovelace" }, { ifMatch: v2 });
    assert.equal(replaced.result, "updated");
    assert.deepEqual(await users.get("ada"), { _id: "ada", _version: replaced._version, name: "Ada Lovelace" });

    await assert.rejects(users.insert("ada", { name: "again" }), (e: unknown) => {
      assert.ok(e instanceof PreconditionFailedError);
      assert.equal(e.field, "If-None-Match");
      return true;
    });
    assert.equal((await users.insert("bob", { name: "Bob" })).result, "created");
    assert.equal((await users.put("bob", { name: "Bobby" }, { ifMatch: "*" })).result, "updated");

    const deleted = await users.delete("ada", { ifMatch: replaced._version });
    assert.equal(deleted.result, "deleted");
    await assert.rejects(users.get("ada"), (e: unknown) => {
      assert.ok(e instanceof NotFoundError);
      assert.equal(e.slug, "document-not-found");
      return true;
    });
    await assert.rejects(users.delete("ada"), NotFoundError);
    await assert.rejects(users.patch("ada", { x: 1 }), NotFoundError);
  });

  it("handles ids with reserved URL characters", async () => {
    const coll = await collection();
    const ids = ["a?b", "c#d", "e f", "100%", "ünï✓", "x&y=z", "p+q", "(a)*!'~"];
    for (const id of ids) {
      await coll.put(id, { v: id });
      assert.equal((await coll.get(id)).v, id);
    }
    const all = [];
    for await (const d of coll.iterDocuments()) all.push(d._id);
    assert.deepEqual(all, [...ids].sort(byteOrder));
  });

  it("lists pages in id order", async () => {
    const coll = await collection();
    const ids = Array.from({ length: 25 }, (_, i) => `doc-${String(i).padStart(3, "0")}`);
    const result = await coll.putMany([...ids].reverse().map((id, n) => ({ _id: id, n })));
    assert.equal(result.errors, false);
    const first = await coll.listDocuments({ limit: 10 });
    assert.deepEqual(
      first.documents.map((d) => d._id),
      ids.slice(0, 10),
    );
    assert.equal(first.next, ids[9]);
    const second = await coll.listDocuments({ after: first.next ?? undefined, limit: 10 });
    assert.deepEqual(
      second.documents.map((d) => d._id),
      ids.slice(10, 20),
    );
    const all = [];
    for await (const d of coll.iterDocuments({ pageSize: 7 })) all.push(d._id);
    assert.deepEqual(all, ids);
    assert.equal((await coll.info()).documentCount, 25);
  });

  it("reports each item of a bulk write", async () => {
    const coll = await collection();
    await coll.put("old", { v: 0 });
    const oldVersion = (await coll.get("old"))._version as number;
    const answer = await coll.bulk([
      { op: "put", id: "a", doc: { v: 1 } },
      { op: "create", id: "old", doc: { v: 2 } },
      { op: "patch", id: "old", doc: { w: 3 }, ifMatch: oldVersion },
      { doc: { _id: "b", v: 4 } },
      { op: "delete", id: "missing" },
    ]);
    assert.equal(answer.errors, true);
    const items = answer.items;
    assert.deepEqual(
      items.map((i) => i._id),
      ["a", "old", "old", "b", "missing"],
    );
    assert.deepEqual(
      items.map((i) => i.status),
      [201, 412, 200, 201, 404],
    );
    assert.equal(items[1]?.error?.type, "urn:lumadb:problem:precondition-failed");
    assert.deepEqual(await coll.get("old"), { _id: "old", _version: items[2]?._version, v: 0, w: 3 });
    assert.equal((await coll.get("b")).v, 4);

    // one malformed item: 400 naming it, and nothing written
    await assert.rejects(
      coll.bulk([
        { op: "put", id: "c", doc: { v: 5 } },
        { op: "explode" as "put", id: "d" },
      ]),
      (e: unknown) => {
        assert.ok(e instanceof BadRequestError);
        assert.equal(e.field, "/1/op");
        assert.equal(e.slug, "invalid-bulk-item");
        return true;
      },
    );
    await assert.rejects(coll.get("c"), NotFoundError);
  });
});
