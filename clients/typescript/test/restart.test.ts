/**
 * The node restarts in the middle of four streams: a change stream and a live query whose
 * consumer paused before the restart (no read pending), and the same two read all along through
 * it (the change stream by `next()`, the live query by a callback).
 *
 * Writes: w1 before the restart, read by every consumer; w2 after the paused consumers last
 * read, just before the restart (the node may or may not have sent them before it stopped);
 * nothing during the restart; w3 after it, while the paused consumers hold no connection. Each
 * consumer must then get exactly the changes after the last one it read: every change once,
 * none lost, none twice, each with the version its write returned. The last writes go to one
 * document on each shard, so a consumer that has seen both has seen everything (each shard's
 * changes arrive in order).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Change, Collection, EventStream, LiveEvent } from "@lumadb/client";
import { FAST, checkShardOrder, client, control, key, sorted, take, unique, watchdog, Writer } from "./support.js";

/** One id of a document on each shard (written now, its shard read from the change stream). */
async function idsOnEachShard(coll: Collection, shards: number): Promise<string[]> {
  const found = new Map<number, string>();
  for (let i = 0; found.size < shards; i++) {
    const id = `end${i}`;
    await coll.put(id, { kind: "p" });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const page = await coll.pullChanges({ limit: 1000 });
      const seen = page.changes.map((e) => e.source as Record<string, unknown>).find((s) => s.id === id);
      if (seen) {
        if (!found.has(seen.shard as number)) found.set(seen.shard as number, id);
        break;
      }
      if (Date.now() > deadline) throw new Error(`the change of ${id} is not on the change stream`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return Array.from({ length: shards }, (_, s) => found.get(s) as string);
}

/** Reads until both end documents were seen; fails if the stream ends first. */
async function readToEnds<T extends { id: string | null }>(
  stream: EventStream<T>,
  ends: string[],
  into: T[] = [],
): Promise<T[]> {
  const missing = new Set(ends);
  while (missing.size > 0) {
    const next = await stream.next();
    if (next.done) throw new Error(`the stream ended before ${[...missing].join(", ")}`);
    into.push(next.value);
    if (next.value.id !== null) missing.delete(next.value.id);
  }
  return into;
}

describe("a restart of the node", () => {
  it("is survived by change streams and live queries, with exactly the missed changes", { timeout: 150_000 }, async () => {
    const c = client();
    const db = unique("restart");
    await c.createDatabase(db);
    const coll = c.collection(db, "orders");
    const streams: EventStream<unknown>[] = [];
    try {
      await coll.create({ shards: 2, preImages: true });
      const ends = await idsOnEachShard(coll, 2);
      for (const [id, kind] of [
        ["keep", "x"],
        ["leave", "x"],
        ["other", "y"],
      ] as const) {
        await coll.put(id, { kind, n: 0 });
      }
      const liveFilter = { kind: "x" };

      // The paused consumers: read now, then not during the restart.
      const changes = coll.changes({ reconnect: FAST });
      const live = coll.live({ filter: liveFilter, reconnect: FAST });
      // The active consumers: a read is pending all along, through the restart.
      const activeChanges = coll.changes({ reconnect: FAST });
      const activeLive = coll.live({ filter: liveFilter, reconnect: FAST });
      streams.push(changes, live, activeChanges, activeLive);
      const cancel = watchdog(120_000, ...streams);

      await changes.connect();
      await activeChanges.connect();
      const initial: Array<string | null> = [];
      for (let e = await take(live, 1); e[0]?.kind !== "ready"; e = await take(live, 1)) initial.push(e[0]?.id ?? null);
      assert.deepEqual(initial.sort(), ["keep", "leave"]);
      const activeInitial = await takeUntilReady(activeLive);
      assert.deepEqual(activeInitial.sort(), ["keep", "leave"]);

      // One active consumer loops on next(), the other is a callback.
      const activeChangesSeen: Change[] = [];
      const activeLiveSeen: LiveEvent[] = [];
      const liveMissing = new Set(ends);
      let liveComplete!: () => void;
      const liveSeenEnds = new Promise<void>((resolve) => (liveComplete = resolve));
      const unsubscribeLive = activeLive.subscribe((event) => {
        activeLiveSeen.push(event);
        if (event.id !== null) liveMissing.delete(event.id);
        if (liveMissing.size === 0) liveComplete();
      });
      const active = Promise.all([
        readToEnds(activeChanges, ends, activeChangesSeen),
        Promise.race([
          liveSeenEnds,
          unsubscribeLive.done.then((e) => {
            throw new Error(`the live query's callbacks ended before both ends: ${String(e)}`);
          }),
        ]),
      ]);
      active.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile

      const w = new Writer(coll);
      // w1: every consumer reads these before the restart.
      await w.put("a1", { kind: "x", n: 1 });
      await w.put("b1", { kind: "y", n: 1 });
      await w.patch("keep", { n: 1 });
      await w.delete("other");
      const w1 = [...w.expected];
      const before = await take(changes, w1.length);
      assert.deepEqual(sorted(before.map(key)), sorted(w1));
      const liveBefore = (await take(live, 2)).map((e) => [e.kind, e.id]);
      assert.deepEqual(sorted(liveBefore), sorted([["added", "a1"], ["changed", "keep"]]));
      const pausedAt = changes.token;

      // w2: the paused consumers have stopped reading; then the node restarts.
      await w.put("a2", { kind: "x", n: 2 });
      await w.patch("leave", { kind: "z" });
      await w.put("b2", { kind: "y", n: 2 });
      const nodeBefore = await control("status");
      const nodeAfter = await control("restart");
      assert.equal(nodeAfter.starts, nodeBefore.starts + 1);
      assert.notEqual(nodeAfter.pid, nodeBefore.pid, "the node did not restart");

      // w3: written to the restarted node while the paused consumers hold no live connection.
      await w.put("a3", { kind: "x", n: 3 });
      await w.patch("a1", { n: 2 });
      await w.delete("keep");
      for (const end of ends) await w.patch(end, { kind: "x" });
      const missed = w.expected.slice(w1.length);

      const after = await readToEnds(changes, ends);
      assert.deepEqual(sorted(after.map(key)), sorted(missed)); // each once: no gap, no duplicate
      checkShardOrder([...before, ...after]);
      assert.notEqual(changes.token, pausedAt);
      const leave = after.find((x) => x.id === "leave") as Change;
      assert.deepEqual([leave.before?.kind, leave.after?.kind], ["x", "z"]);

      const liveAfter = await readToEnds(live, ends);
      const expectedLive = [
        ["added", "a2"],
        ["removed", "leave"],
        ["added", "a3"],
        ["changed", "a1"],
        ["removed", "keep"],
        ...ends.map((end) => ["added", end]),
      ];
      assert.deepEqual(sorted(liveAfter.map((e) => [e.kind, e.id])), sorted(expectedLive));
      const now = new Map<string, unknown>();
      for await (const d of coll.find(liveFilter)) now.set(d._id as string, d);
      assert.deepEqual(live.results, now);
      assert.deepEqual([...now.keys()].sort(), ["a1", "a2", "a3", ...ends].sort());

      await active;
      cancel();
      assert.deepEqual(sorted(activeChangesSeen.map(key)), sorted(w.expected));
      checkShardOrder(activeChangesSeen);
      assert.deepEqual(
        sorted(activeLiveSeen.map((e) => [e.kind, e.id])),
        sorted([["added", "a1"], ["changed", "keep"], ...expectedLive]),
      );
      assert.deepEqual(activeLive.results, now);
      assert.ok(![...liveAfter, ...activeLiveSeen].some((e) => e.kind === "reset"));
      unsubscribeLive();
      assert.equal(await unsubscribeLive.done, undefined);
    } finally {
      for (const s of streams) s.close();
      await c.dropDatabase(db);
    }
  });
});

async function takeUntilReady(live: EventStream<LiveEvent>): Promise<Array<string | null>> {
  const ids: Array<string | null> = [];
  for (;;) {
    const [event] = await take(live, 1);
    if (event?.kind === "ready") return ids;
    ids.push(event?.id ?? null);
  }
}
