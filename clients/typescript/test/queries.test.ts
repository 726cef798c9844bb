/** JQL queries, explain, secondary indexes, SQL and search against a real node. */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BadRequestError, ConflictError, NotFoundError, type Document } from "@lumadb/client";
import { client, unique } from "./support.js";

const BOOKS = [
  {
    _id: "dune",
    title: "Dune",
    year: 1965,
    price: 9.5,
    tags: ["sf", "classic"],
    author: { name: "Herbert", country: "US" },
  },
  { _id: "solaris", title: "Solaris", year: 1961, price: 7, tags: ["sf"], author: { name: "Lem", country: "PL" } },
  {
    _id: "hobbit",
    title: "The Hobbit",
    year: 1937,
    price: 8,
    tags: ["fantasy", "classic"],
    author: { name: "Tolkien", country: "GB" },
  },
  { _id: "emma", title: "Emma", year: 1815, price: 5.5, author: { name: "Austen", country: "GB" } },
];

describe("queries, indexes and SQL", () => {
  const c = client();
  const db = unique("lib");
  const books = c.collection(db, "books");
  before(async () => {
    await c.createDatabase(db);
    await books.create({ shards: 4 });
    const answer = await books.putMany(BOOKS);
    assert.equal(answer.errors, false, JSON.stringify(answer));
  });
  after(() => c.dropDatabase(db));

  it("filters, sorts, projects and pages", async () => {
    const sfBefore1970 = { tags: "sf", year: { $lt: 1970 } };
    const first = await books.query(sfBefore1970, { sort: ["-year"], fields: ["title", "year"], limit: 1 });
    const version = first.documents[0]?._version;
    assert.deepEqual(first.documents, [{ _id: "dune", _version: version, title: "Dune", year: 1965 }]);
    assert.ok(first.next);
    const second = await books.query(sfBefore1970, {
      sort: ["-year"],
      fields: ["title"],
      limit: 1,
      after: first.next,
    });
    assert.deepEqual(
      second.documents.map((d) => d._id),
      ["solaris"],
    );

    const found: unknown[] = [];
    for await (const d of books.find(undefined, { sort: ["year"], pageSize: 1 })) found.push(d._id);
    assert.deepEqual(found, ["emma", "hobbit", "solaris", "dune"]);
    const pages: unknown[][] = [];
    for await (const page of books.queryPages({ price: { $gte: 6 } }, { sort: ["price"], pageSize: 2 })) {
      pages.push(page.documents.map((d) => d._id));
    }
    assert.deepEqual(pages, [["solaris", "hobbit"], ["dune"]]);

    const either = await books.query(
      { $or: [{ "author.country": { $in: ["GB", "PL"] } }, { tags: { $all: ["sf", "classic"] } }], price: { $gte: 6 } },
      { sort: ["price"] },
    );
    assert.deepEqual(
      either.documents.map((d) => d._id),
      ["solaris", "hobbit", "dune"],
    );
  });

  it("counts, aggregates and finds distinct values", async () => {
    assert.equal(await books.count({ tags: { $exists: true } }), 3);
    assert.equal(await books.count(), 4);
    const groups = await books.aggregate(
      { books: { $count: {} }, avgPrice: { $avg: "price" } },
      { groupBy: ["author.country"] },
    );
    assert.deepEqual(groups, [
      { key: { "author.country": "GB" }, books: 2, avgPrice: 6.75 },
      { key: { "author.country": "PL" }, books: 1, avgPrice: 7.0 },
      { key: { "author.country": "US" }, books: 1, avgPrice: 9.5 },
    ]);
    assert.deepEqual(await books.distinct("tags"), ["classic", "fantasy", "sf"]);
    assert.deepEqual(await books.distinct("author.country", { price: { $gt: 6 } }), ["GB", "PL", "US"]);
  });

  it("builds, lists, uses and drops an index", async () => {
    const created = await books.createIndex("by_year", ["year"]);
    assert.equal(created.name, "by_year");
    assert.deepEqual(created.fields, [{ path: "year", order: "asc" }]);
    assert.ok(["building", "ready"].includes(created.state as string));
    const ready = await books.waitForIndex("by_year");
    assert.deepEqual(ready.progress, { indexed: 4, total: 4, fraction: 1.0 });
    assert.deepEqual(
      (await books.listIndexes()).map((i) => i.name),
      ["by_year"],
    );
    assert.equal((await books.createIndex("by_year", ["year"])).state, "ready"); // the same again
    await assert.rejects(books.createIndex("by_year", ["-price"]), (e: unknown) => {
      assert.ok(e instanceof ConflictError);
      assert.equal(e.slug, "index-conflict");
      return true;
    });

    const plan = await books.explain({ year: { $gte: 1900 } }, { sort: ["year"] });
    assert.equal(plan.shardsTouched, 4);
    const shards = plan.shards as Array<Record<string, unknown>>;
    const used = shards.filter((s) => s.plan === "index");
    assert.equal(used.length, 4, JSON.stringify(plan));
    assert.ok(used.every((s) => s.index === "by_year"));
    assert.equal(
      shards.reduce((n, s) => n + (s.documentsExamined as number), 0),
      3,
    );
    const scan = await books.explain({ year: { $gte: 1900 } }, { hint: "scan" });
    assert.ok((scan.shards as Array<Record<string, unknown>>).every((s) => s.plan === "scan"), JSON.stringify(scan));

    assert.deepEqual(await books.dropIndex("by_year"), { dropped: "by_year" });
    assert.deepEqual(await books.listIndexes(), []);
    await assert.rejects(books.getIndex("by_year"), NotFoundError);
  });

  it("names the offending part of an invalid query", async () => {
    await assert.rejects(books.query({ year: { $foo: 1 } }), (e: unknown) => {
      assert.ok(e instanceof BadRequestError);
      assert.equal(e.status, 400);
      assert.equal(e.slug, "invalid-query");
      assert.equal(e.type, "urn:lumadb:problem:invalid-query");
      assert.equal(e.field, "/filter/year/$foo");
      assert.match(e.detail ?? "", /\$foo/);
      return true;
    });
  });

  it("runs SQL with parameters, and reports its errors with a SQLSTATE", async () => {
    const database = c.database(db);
    const answer = await database.sql('SELECT title, "year" FROM books WHERE price > ? ORDER BY "year"', [7]);
    assert.deepEqual(
      answer.columns.map((col) => col.name),
      ["title", "year"],
    );
    assert.deepEqual(answer.rows, [
      ["The Hobbit", 1937],
      ["Dune", 1965],
    ]);
    assert.equal(answer.rowCount, 2);
    await assert.rejects(database.sql("SELECT nope FROM books"), (e: unknown) => {
      assert.ok(e instanceof BadRequestError);
      assert.equal(e.status, 400);
      assert.match(e.sqlState ?? "", /^[0-9A-Z]{5}$/);
      return true;
    });
    await assert.rejects(c.database(unique("nodb")).sql("SELECT 1"), (e: unknown) => {
      assert.ok(e instanceof NotFoundError);
      assert.equal(e.sqlState, "3D000");
      return true;
    });
  });

  it("searches by vector, by text and both, and names a bad search's field", async () => {
    const emb = await books.createIndex("emb", {
      type: "vector",
      path: "embedding",
      dimension: 3,
      similarity: "cosine",
      quantization: "none",
    });
    assert.equal(emb.name, "emb");
    await books.createIndex("words", { type: "text", paths: ["title", "blurb"], analyzer: "english" });
    await books.waitForIndex("emb");
    await books.waitForIndex("words");
    await books.patch("dune", { embedding: [0.9, 0.1, 0.3], blurb: "Desert planet, spice and a boy who runs from fate" });
    await books.patch("solaris", { embedding: [0.1, 0.9, 0.1], blurb: "An ocean planet that thinks" });
    await books.patch("hobbit", { embedding: [0.2, 0.2, 0.9], blurb: "A burglar, a dragon and a ring" });

    const near = await books.search({ knn: { index: "emb", vector: [1, 0, 0.2] }, k: 2, fields: ["title"], wait: true });
    assert.deepEqual(
      near.hits.map((h) => h._id),
      ["dune", "hobbit"],
    );
    assert.equal((near.hits[0]?.document as Document).title, "Dune");
    assert.ok((near.hits[0]?.score ?? 0) > (near.hits[1]?.score ?? 0));

    const filtered = await books.search({
      knn: { index: "emb", vector: [1, 0, 0.2] },
      filter: { year: { $gt: 1950 } },
      k: 5,
      wait: true,
    });
    assert.deepEqual(
      filtered.hits.map((h) => h._id),
      ["dune", "solaris"],
    );

    const words = await books.search({ text: { index: "words", query: "planet", highlight: true }, wait: true });
    assert.deepEqual(new Set(words.hits.map((h) => h._id)), new Set(["dune", "solaris"]));

    const hybrid = await books.search({
      knn: { index: "emb", vector: [0.2, 0.2, 0.9], weight: 1 },
      text: { index: "words", query: "dragon", weight: 2 },
      k: 1,
      wait: true,
    });
    assert.deepEqual(
      hybrid.hits.map((h) => h._id),
      ["hobbit"],
    );

    await assert.rejects(books.search({ knn: { index: "emb", vector: [1, 0] } }), (e: unknown) => {
      assert.ok(e instanceof BadRequestError);
      assert.equal(e.slug, "invalid-search");
      assert.equal(e.field, "/knn/vector");
      return true;
    });
    await Promise.all([books.dropIndex("emb"), books.dropIndex("words")]);
  });
});
