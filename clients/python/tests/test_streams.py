"""Change streams and live queries against a real node, across a restart of that node."""

from __future__ import annotations

import asyncio
import threading
import time
import unittest
from typing import Any

import support
from support import FAST, needs_control, needs_node

import lumadb


def key(change: lumadb.Change) -> tuple[str, str, int]:
    return change.id, change.op, change.version


def check_shard_order(test: unittest.TestCase, changes: list[lumadb.Change]) -> None:
    """Each shard's changes arrive in its sequence order (shards interleave freely)."""
    last: dict[int, tuple[int, int]] = {}
    for c in changes:
        position = (c.seq, c.envelope["source"].get("index", 0))
        test.assertGreater(position, last.get(c.shard, (-1, -1)), f"shard {c.shard} out of order at {c}")
        last[c.shard] = position


class Writer:
    """Writes through the client and remembers the change each write must show on the stream."""

    def __init__(self, coll: lumadb.Collection) -> None:
        self.coll = coll
        self.expected: list[tuple[str, str, int]] = []

    def put(self, doc_id: str, doc: dict[str, Any]) -> None:
        answer = self.coll.put(doc_id, doc)
        self.expected.append((doc_id, "c" if answer["result"] == "created" else "u", answer["_version"]))

    def patch(self, doc_id: str, patch: dict[str, Any]) -> None:
        self.expected.append((doc_id, "u", self.coll.patch(doc_id, patch)["_version"]))

    def delete(self, doc_id: str) -> None:
        self.expected.append((doc_id, "d", self.coll.delete(doc_id)["_version"]))


@needs_node
class ChangeStreamTest(unittest.TestCase):
    def setUp(self) -> None:
        self.client = support.client()
        self.db = support.unique("streams")
        self.client.create_database(self.db)
        self.coll = self.client.collection(self.db, "orders")
        self.coll.create(shards=2, pre_images=True)

    def tearDown(self) -> None:
        self.client.drop_database(self.db)

    def test_every_change_once_in_shard_order_with_pre_images(self) -> None:
        w = Writer(self.coll)
        for i in range(10):
            w.put(f"o{i}", {"total": i * 10, "status": "new"})
        w.patch("o3", {"status": "paid"})
        w.delete("o4")
        with self.coll.changes("beginning") as stream:
            support.watchdog(self, stream)
            got = [next(stream) for _ in range(len(w.expected))]
        self.assertCountEqual(w.expected, [key(c) for c in got])
        check_shard_order(self, got)
        update = next(c for c in got if c.op == "u")
        before = {k: v for k, v in (update.before or {}).items() if k != "_version"}
        self.assertEqual({"_id": "o3", "total": 30, "status": "new"}, before)
        self.assertEqual("paid", (update.after or {})["status"])
        delete = next(c for c in got if c.op == "d")
        self.assertIsNone(delete.after)
        self.assertEqual(40, (delete.before or {})["total"])
        self.assertEqual(
            {"db": self.db, "collection": "orders"}, {k: got[0].envelope["source"][k] for k in ("db", "collection")}
        )
        self.assertEqual(got[-1].token, stream.token)

    def test_a_stored_token_resumes_exactly_after_it(self) -> None:
        w = Writer(self.coll)
        for i in range(6):
            w.put(f"a{i}", {"n": i})
        with self.coll.changes("beginning") as first:
            support.watchdog(self, first)
            head = [next(first) for _ in range(3)]
            stored = first.token
        self.assertEqual(head[-1].token, stored)
        for i in range(3):
            w.put(f"b{i}", {"n": i})
        assert stored is not None
        with self.coll.changes(stored) as resumed:
            support.watchdog(self, resumed)
            tail = [next(resumed) for _ in range(len(w.expected) - 3)]
        self.assertCountEqual(w.expected, [key(c) for c in head + tail])

    def test_filter_and_subscribe_then_write(self) -> None:
        with self.coll.changes("now", filter={"status": "paid"}) as stream:
            support.watchdog(self, stream)
            start = stream.subscribe()
            self.assertTrue(start)
            self.coll.put("x1", {"status": "new"})
            self.coll.put("x2", {"status": "paid"})
            self.coll.patch("x1", {"status": "paid"})
            got = [key(next(stream)) for _ in range(2)]
        self.assertEqual({"x2", "x1"}, {g[0] for g in got})
        self.assertEqual(["c", "u"], [g[1] for g in sorted(got, key=lambda g: g[0], reverse=True)])

    def test_async_iterator_and_callbacks(self) -> None:
        async def consume() -> list[lumadb.Change]:
            async with self.coll.changes_async("now") as stream:
                await stream.subscribe()
                await asyncio.to_thread(lambda: [self.coll.put(f"y{i}", {"i": i}) for i in range(5)])
                got = []
                async for change in stream:
                    got.append(change)
                    if len(got) == 5:
                        break
                return got

        got = asyncio.run(asyncio.wait_for(consume(), 60))
        self.assertEqual({f"y{i}" for i in range(5)}, {c.id for c in got})
        self.assertTrue(all(c.op == "c" for c in got))

        seen: list[object] = []
        done = threading.Event()

        def on_change(item: object) -> None:
            seen.append(item)
            if len(seen) == 5:
                done.set()

        stream = self.coll.changes("beginning")
        support.watchdog(self, stream)
        thread = stream.for_each(on_change)
        self.assertTrue(done.wait(30), seen)
        stream.close()
        thread.join(10)
        self.assertFalse(thread.is_alive())
        self.assertEqual({f"y{i}" for i in range(5)}, {c.id for c in seen if isinstance(c, lumadb.Change)})

    def test_a_dropped_collection_ends_the_stream(self) -> None:
        with self.coll.changes("now") as stream:
            support.watchdog(self, stream)
            stream.subscribe()
            self.coll.drop()
            with self.assertRaises(lumadb.CollectionDropped) as caught:
                next(stream)
            self.assertEqual(410, caught.exception.status)
            self.assertEqual([], list(stream))

    def test_a_bad_token_is_refused(self) -> None:
        with self.assertRaises(lumadb.BadRequest) as caught:
            next(self.coll.changes("not-a-token"))
        self.assertEqual("invalid-stream-request", caught.exception.slug)


@needs_node
class LiveQueryTest(unittest.TestCase):
    def setUp(self) -> None:
        self.client = support.client()
        self.db = support.unique("live")
        self.client.create_database(self.db)
        self.coll = self.client.collection(self.db, "orders")
        self.coll.create(shards=2)

    def tearDown(self) -> None:
        self.client.drop_database(self.db)

    def test_result_then_added_changed_removed(self) -> None:
        self.coll.put("big", {"total": 150})
        self.coll.put("small", {"total": 20})
        with self.coll.live({"total": {"$gte": 100}}, sort=["-total"]) as live:
            support.watchdog(self, live)
            result = []
            for event in live:
                if event.kind == "ready":
                    self.assertEqual(1, event.data["count"])
                    break
                result.append((event.kind, event.id, event.document))
            self.assertEqual(
                [("result", "big", {"_id": "big", "_version": result[0][2]["_version"], "total": 150})], result
            )
            self.assertTrue(live.ready)
            self.coll.put("o1", {"total": 120})
            self.coll.patch("o1", {"total": 130})
            self.coll.patch("o1", {"total": 80})
            self.coll.put("small", {"total": 25})  # never in the result: nothing
            self.coll.delete("big")
            events = [(e.kind, e.id) for e in (next(live) for _ in range(4))]
            # o1 and big may live on different shards, whose events interleave freely
            o1 = [e for e in events if e[1] == "o1"]
            self.assertEqual([("added", "o1"), ("changed", "o1"), ("removed", "o1")], o1)
            self.assertIn(("removed", "big"), events)
            self.assertEqual({}, live.results)

    def test_async_live_query_matches_a_query(self) -> None:
        for i in range(6):
            self.coll.put(f"d{i}", {"total": i * 50})

        async def run() -> dict[str, dict[str, Any]]:
            async with self.coll.live_async({"total": {"$gte": 100}}) as live:
                async for event in live:
                    if event.kind == "ready":
                        break
                await asyncio.to_thread(self.coll.patch, "d0", {"total": 500})
                await asyncio.to_thread(self.coll.delete, "d5")
                kinds = [(await live.__anext__()).kind for _ in range(2)]
                self.assertCountEqual(["added", "removed"], kinds)
                return dict(live.results)

        results = asyncio.run(asyncio.wait_for(run(), 60))
        expected = {d["_id"]: d for d in self.coll.find({"total": {"$gte": 100}})}
        self.assertEqual(expected, results)
        self.assertEqual({"d0", "d2", "d3", "d4"}, set(results))


def ids_on_each_shard(coll: lumadb.Collection, shards: int) -> list[str]:
    """One id of a document on each shard (written now, its shard read from the change stream)."""
    found: dict[int, str] = {}
    i = 0
    while len(found) < shards:
        doc_id = f"end{i}"
        coll.put(doc_id, {"kind": "p"})
        i += 1
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            envelopes, _ = coll.pull_changes("beginning", limit=1000)
            seen = [e["source"]["shard"] for e in envelopes if e["source"]["id"] == doc_id]
            if seen:
                found.setdefault(seen[0], doc_id)
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"the change of {doc_id} is not on the change stream")
    return [found[s] for s in range(shards)]


@needs_control
class RestartTest(unittest.TestCase):
    """The node restarts in the middle of four streams: a change stream and a live query read
    blocking by a consumer that paused before the restart, and the same two read by async
    iterators that keep waiting through it.

    Writes: w1 before the restart, read by every consumer; w2 after the paused consumers last
    read, just before the restart (the node may or may not have sent them before it stopped);
    nothing during the restart; w3 after it, while the paused consumers hold no connection. Each
    consumer must then get exactly the changes after the last one it read: every change once,
    none lost, none twice, each with the version its write returned. The last writes go to one
    document on each shard, so a consumer that has seen both has seen everything (each shard's
    changes arrive in order).
    """

    def test_streams_resume_across_a_restart_with_exactly_the_missed_changes(self) -> None:
        client = support.client()
        db = support.unique("restart")
        client.create_database(db)
        self.addCleanup(client.drop_database, db)
        coll = client.collection(db, "orders")
        coll.create(shards=2, pre_images=True)
        ends = ids_on_each_shard(coll, 2)
        for doc_id, kind in (("keep", "x"), ("leave", "x"), ("other", "y")):
            coll.put(doc_id, {"kind": kind, "n": 0})
        live_filter = {"kind": "x"}

        def read_to_ends(items: Any) -> list[Any]:
            got, missing = [], set(ends)
            for item in items:
                got.append(item)
                missing.discard(item.id)
                if not missing:
                    return got
            raise AssertionError(f"the stream ended before {missing}")

        changes = coll.changes("now", reconnect=FAST)
        self.addCleanup(changes.close)
        changes.subscribe()
        live = coll.live(live_filter, reconnect=FAST)
        self.addCleanup(live.close)
        support.watchdog(self, changes, live, seconds=120)
        initial = []
        for event in live:
            if event.kind == "ready":
                break
            initial.append(event.id)
        self.assertCountEqual(["keep", "leave"], initial)

        # The async consumers read all along on a thread of their own, until both last writes.
        subscribed = threading.Event()
        async_changes: list[lumadb.Change] = []
        async_live: list[lumadb.LiveEvent] = []
        failures: list[BaseException] = []

        async def consume_async() -> None:
            async with (
                coll.changes_async("now", reconnect=FAST) as a_changes,
                coll.live_async(live_filter, reconnect=FAST) as a_live,
            ):
                await a_changes.subscribe()
                async for event in a_live:
                    if event.kind == "ready":
                        break
                subscribed.set()

                async def read(stream: Any, into: list[Any]) -> None:
                    missing = set(ends)
                    async for item in stream:
                        into.append(item)
                        missing.discard(item.id)
                        if not missing:
                            return

                await asyncio.wait_for(asyncio.gather(read(a_changes, async_changes), read(a_live, async_live)), 100)

        def run_async() -> None:
            try:
                asyncio.run(consume_async())
            except BaseException as e:  # noqa: BLE001 - reported by the test's thread
                failures.append(e)
                subscribed.set()

        consumer = threading.Thread(target=run_async, name="async consumers")
        consumer.start()
        self.assertTrue(subscribed.wait(60), "the async consumers did not subscribe")
        self.assertEqual([], failures)

        w = Writer(coll)
        # w1: every consumer reads these before the restart.
        w.put("a1", {"kind": "x", "n": 1})
        w.put("b1", {"kind": "y", "n": 1})
        w.patch("keep", {"n": 1})
        w.delete("other")
        w1 = list(w.expected)
        before = [next(changes) for _ in range(len(w1))]
        self.assertCountEqual(w1, [key(c) for c in before])
        live_before = [(e.kind, e.id) for e in (next(live) for _ in range(2))]
        self.assertCountEqual([("added", "a1"), ("changed", "keep")], live_before)
        paused_at = changes.token

        # w2: the blocking consumers have paused; then the node restarts.
        w.put("a2", {"kind": "x", "n": 2})
        w.patch("leave", {"kind": "z"})
        w.put("b2", {"kind": "y", "n": 2})
        node_before = support.control("status")
        node_after = support.control("restart")
        self.assertEqual(node_before["starts"] + 1, node_after["starts"])
        self.assertNotEqual(node_before["pid"], node_after["pid"], "the node did not restart")

        # w3: written to the restarted node while the paused consumers hold no connection.
        w.put("a3", {"kind": "x", "n": 3})
        w.patch("a1", {"n": 2})
        w.delete("keep")
        for end in ends:
            w.patch(end, {"kind": "x"})
        missed = w.expected[len(w1) :]

        after = read_to_ends(changes)
        self.assertCountEqual(missed, [key(c) for c in after])  # each once: no gap, no duplicate
        check_shard_order(self, before + after)
        self.assertNotEqual(paused_at, changes.token)
        leave = next(c for c in after if c.id == "leave")
        self.assertEqual(("x", "z"), ((leave.before or {}).get("kind"), (leave.after or {}).get("kind")))

        live_after = read_to_ends(live)
        expected_live = [
            ("added", "a2"),
            ("removed", "leave"),
            ("added", "a3"),
            ("changed", "a1"),
            ("removed", "keep"),
        ] + [("added", end) for end in ends]
        self.assertCountEqual(expected_live, [(e.kind, e.id) for e in live_after])
        now = {d["_id"]: d for d in coll.find(live_filter)}
        self.assertEqual(now, live.results)
        self.assertEqual({"a1", "a2", "a3", *ends}, set(now))

        consumer.join(110)
        self.assertFalse(consumer.is_alive(), "the async consumers did not get every change")
        self.assertEqual([], failures)
        self.assertCountEqual(w.expected, [key(c) for c in async_changes])
        check_shard_order(self, async_changes)
        self.assertCountEqual(
            [("added", "a1"), ("changed", "keep")] + expected_live, [(e.kind, e.id) for e in async_live]
        )
        self.assertNotIn("reset", [e.kind for e in live_after + async_live])


if __name__ == "__main__":
    unittest.main()
