/** Change streams and live queries against a real node: iterators, callbacks, abort, errors. */

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  BadRequestError,
  CollectionDroppedError,
  type Change,
  type Collection,
  type LiveEvent,
  type Client,
} from "@lumadb/client";
import { checkShardOrder, client, key, sorted, take, unique, watchdog, Writer } from "./support.js";

describe("change streams", () => {
  let c: Client;
  let db: string;
  let coll: Collection;
  beforeEach(async () => {
    c = client();
    db = unique("streams");
    await c.createDatabase(db);
    coll = c.collection(db, "orders");
    await coll.create({ shards: 2, preImages: true });
  });
  afterEach(() => c.dropDatabase(db));

  it("delivers every change once, in shard order, with pre-images", async () => {
    const w = new Writer(coll);
    for (let i = 0; i < 10; i++) await w.put(`o${i}`, { total: i * 10, status: "new" });
    await w.patch("o3", { status: "paid" });
    await w.delete("o4");
    const stream = coll.changes({ from: "beginning" });
    const cancel = watchdog(60_000, stream);
    let got: Change[];
    try {
      got = await take(stream, w.expected.length);
    } finally {
      stream.close();
      cancel();
    }
    assert.deepEqual(sorted(got.map(key)), sorted(w.expected));
    checkShardOrder(got);
    const update = got.find((x) => x.op === "u") as Change;
    const { _version, ...before } = update.before ?? {};
    assert.ok(typeof _version === "number");
    assert.deepEqual(before, { _id: "o3", total: 30, status: "new" });
    assert.equal(update.after?.status, "paid");
    const deleted = got.find((x) => x.op === "d") as Change;
    assert.equal(deleted.after, null);
    assert.equal(deleted.before?.total, 40);
    const source = got[0]?.envelope.source as Record<string, unknown>;
    assert.deepEqual({ db: source.db, collection: source.collection }, { db, collection: "orders" });
    assert.equal(stream.token, got.at(-1)?.token);
    assert.deepEqual(await stream.next(), { done: true, value: undefined }); // closed: it stays ended
  });

  it("resumes exactly after a stored token", async () => {
    const w = new Writer(coll);
    for (let i = 0; i < 6; i++) await w.put(`a${i}`, { n: i });
    const first = coll.changes({ from: "beginning" });
    let head: Change[];
    try {
      head = await take(first, 3);
    } finally {
      first.close();
    }
    const stored = first.token as string;
    assert.equal(stored, head.at(-1)?.token);
    for (let i = 0; i < 3; i++) await w.put(`b${i}`, { n: i });
    const resumed = coll.changes({ from: stored });
    const cancel = watchdog(60_000, resumed);
    try {
      const tail = await take(resumed, w.expected.length - 3);
      assert.deepEqual(sorted([...head, ...tail].map(key)), sorted(w.expected));
    } finally {
      resumed.close();
      cancel();
    }
  });

  it("filters on the node, after connect() resolves", async () => {
    const stream = coll.changes({ filter: { status: "paid" } });
    const cancel = watchdog(60_000, stream);
    try {
      assert.ok(await stream.connect());
      await coll.put("x1", { status: "new" });
      await coll.put("x2", { status: "paid" });
      await coll.patch("x1", { status: "paid" });
      const got = (await take(stream, 2)).map(key);
      assert.deepEqual(new Set(got.map((g) => g[0])), new Set(["x1", "x2"]));
      assert.deepEqual(
        got.find((g) => g[0] === "x2")?.[1],
        "c",
      );
      assert.deepEqual(
        got.find((g) => g[0] === "x1")?.[1],
        "u",
      );
    } finally {
      stream.close();
      cancel();
    }
  });

  it("works as a for-await loop, closed by leaving it", async () => {
    const stream = coll.changes();
    await stream.connect();
    for (let i = 0; i < 5; i++) await coll.put(`y${i}`, { i });
    const got: Change[] = [];
    for await (const change of stream) {
      got.push(change);
      if (got.length === 5) break;
    }
    assert.deepEqual(new Set(got.map((x) => x.id)), new Set(["y0", "y1", "y2", "y3", "y4"]));
    assert.ok(got.every((x) => x.op === "c"));
    assert.ok(stream.closed, "leaving the loop closes the stream");
  });

  it("calls back with every change until unsubscribed", async () => {
    for (let i = 0; i < 5; i++) await coll.put(`y${i}`, { i });
    const seen: Change[] = [];
    let fifth!: () => void;
    const five = new Promise<void>((resolve) => (fifth = resolve));
    const unsubscribe = coll.onChange(
      async (change) => {
        await new Promise((r) => setTimeout(r, 5)); // a slow handler: the next change waits for it
        seen.push(change);
        if (seen.length === 5) fifth();
      },
      { from: "beginning" },
    );
    const timeout = setTimeout(unsubscribe, 30_000);
    await five;
    clearTimeout(timeout);
    unsubscribe();
    assert.equal(await unsubscribe.done, undefined);
    assert.deepEqual(
      seen.map((x) => x.id).sort(),
      ["y0", "y1", "y2", "y3", "y4"],
    );
    await coll.put("later", { i: 9 });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(seen.length, 5, "nothing is called after unsubscribing");
  });

  it("ends a waiting iteration when its AbortSignal is aborted", async () => {
    const controller = new AbortController();
    const stream = coll.changes({ signal: controller.signal });
    await stream.connect();
    const waiting = stream.next();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    assert.deepEqual(await waiting, { done: true, value: undefined });
    assert.ok(Date.now() - started < 5_000);
    assert.ok(stream.closed);

    const already = coll.changes({ signal: AbortSignal.abort() });
    assert.deepEqual(await already.next(), { done: true, value: undefined });
    await assert.rejects(already.connect(), /closed/);
  });

  it("ends with CollectionDroppedError when the collection is dropped", async () => {
    const stream = coll.changes();
    const cancel = watchdog(60_000, stream);
    const errors: Error[] = [];
    const callback = coll.onChange(() => undefined, { onError: (e) => errors.push(e) });
    try {
      await stream.connect();
      await coll.put("before-drop", { v: 1 });
      assert.equal((await take(stream, 1))[0]?.id, "before-drop");
      await coll.drop();
      await assert.rejects(stream.next(), (e: unknown) => {
        assert.ok(e instanceof CollectionDroppedError, String(e));
        assert.equal(e.status, 410);
        assert.equal(e.slug, "collection-dropped");
        return true;
      });
      assert.deepEqual(await stream.next(), { done: true, value: undefined });
      const ended = await callback.done;
      assert.ok(ended instanceof CollectionDroppedError, String(ended));
      assert.deepEqual(errors, [ended]);
    } finally {
      stream.close();
      callback();
      cancel();
    }
  });

  it("refuses a bad token at once", async () => {
    await assert.rejects(coll.changes({ from: "not-a-token" }).next(), (e: unknown) => {
      assert.ok(e instanceof BadRequestError);
      assert.equal(e.slug, "invalid-stream-request");
      return true;
    });
  });

  it("pulls pages of changes with the position after each", async () => {
    const w = new Writer(coll);
    for (let i = 0; i < 5; i++) await w.put(`p${i}`, { i });
    const first = await coll.pullChanges({ limit: 3 });
    assert.equal(first.changes.length, 3);
    const second = await coll.pullChanges({ from: first.next, limit: 10 });
    assert.equal(second.changes.length, 2);
    const ids = [...first.changes, ...second.changes].map((e) => (e.source as Record<string, unknown>).id);
    assert.deepEqual(new Set(ids), new Set(["p0", "p1", "p2", "p3", "p4"]));
    const empty = await coll.pullChanges({ from: second.next });
    assert.deepEqual(empty.changes, []);
  });
});

describe("live queries", () => {
  let c: Client;
  let db: string;
  let coll: Collection;
  beforeEach(async () => {
    c = client();
    db = unique("live");
    await c.createDatabase(db);
    coll = c.collection(db, "orders");
    await coll.create({ shards: 2 });
  });
  afterEach(() => c.dropDatabase(db));

  it("sends the result, ready, then added, changed and removed", async () => {
    await coll.put("big", { total: 150 });
    await coll.put("small", { total: 20 });
    const live = coll.live({ filter: { total: { $gte: 100 } }, sort: ["-total"] });
    const cancel = watchdog(60_000, live);
    try {
      const result: Array<[string, string | null, unknown]> = [];
      for (;;) {
        const event = (await take(live, 1))[0] as LiveEvent;
        if (event.kind === "ready") {
          assert.equal(event.data.count, 1);
          break;
        }
        result.push([event.kind, event.id, event.document]);
      }
      const version = (result[0]?.[2] as Record<string, unknown>)._version;
      assert.deepEqual(result, [["result", "big", { _id: "big", _version: version, total: 150 }]]);
      assert.ok(live.ready);
      await coll.put("o1", { total: 120 });
      await coll.patch("o1", { total: 130 });
      await coll.patch("o1", { total: 80 });
      await coll.put("small", { total: 25 }); // never in the result: nothing
      await coll.delete("big");
      const events = (await take(live, 4)).map((e) => [e.kind, e.id]);
      // o1 and big may live on different shards, whose events interleave freely
      assert.deepEqual(
        events.filter((e) => e[1] === "o1"),
        [
          ["added", "o1"],
          ["changed", "o1"],
          ["removed", "o1"],
        ],
      );
      assert.ok(events.some((e) => e[0] === "removed" && e[1] === "big"));
      assert.deepEqual(live.results, new Map());
    } finally {
      live.close();
      cancel();
    }
  });

  it("keeps results equal to a query, through a callback", async () => {
    for (let i = 0; i < 6; i++) await coll.put(`d${i}`, { total: i * 50 });
    const kinds: string[] = [];
    let readyNow!: () => void;
    const ready = new Promise<void>((resolve) => (readyNow = resolve));
    let twoMore!: () => void;
    const changed = new Promise<void>((resolve) => (twoMore = resolve));
    const live = coll.live({ filter: { total: { $gte: 100 } } });
    const unsubscribe = live.subscribe((event) => {
      kinds.push(event.kind);
      if (event.kind === "ready") readyNow();
      if (kinds.includes("ready") && kinds.length - kinds.indexOf("ready") - 1 === 2) twoMore();
    });
    const cancel = watchdog(60_000, live);
    try {
      await ready;
      assert.deepEqual(kinds, ["result", "result", "result", "result", "ready"]);
      await coll.patch("d0", { total: 500 });
      await coll.delete("d5");
      await changed;
      assert.deepEqual(kinds.slice(5).sort(), ["added", "removed"]);
      const expected = new Map<string, unknown>();
      for await (const d of coll.find({ total: { $gte: 100 } })) expected.set(d._id as string, d);
      assert.deepEqual(live.results, expected);
      assert.deepEqual([...live.results.keys()].sort(), ["d0", "d2", "d3", "d4"]);
    } finally {
      unsubscribe();
      cancel();
    }
    assert.equal(await unsubscribe.done, undefined);
  });
});
