"""How streams resume, against a scripted event-stream peer on loopback (no node needed).

The peer plays connections one after another and records each request, so these tests check
what the client sends when it reconnects (``Last-Event-ID`` = the last token it handed out)
and that it neither repeats nor drops an event across a connection that broke or ended. The
same behaviour against a real node is in ``test_streams.py``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import unittest
from collections.abc import Callable

import support

import lumadb


def frame(event: str, data: object, id: str | None = None) -> bytes:
    head = f"id: {id}\n" if id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def change(n: int) -> bytes:
    token = f"t{n}"
    envelope = {
        "op": "c",
        "before": None,
        "after": {"_id": f"d{n}", "_version": n},
        "source": {"shard": 0, "seq": n, "id": f"d{n}", "version": n},
        "token": token,
    }
    return frame("change", envelope, token)


Script = Callable[[socket.socket, str], None]


class Peer:
    """Answers the i-th connection with the i-th script; keeps every request head it read."""

    def __init__(self, scripts: list[Script]) -> None:
        self.scripts = scripts
        self.requests: list[str] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for script in self.scripts:
            conn, _ = self.server.accept()
            with conn:
                head = b""
                while b"\r\n\r\n" not in head:
                    head += conn.recv(4096)
                request = head.decode()
                self.requests.append(request)
                script(conn, request)

    def close(self) -> None:
        self.server.close()


def stream_head(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")


def chunk(conn: socket.socket, data: bytes) -> None:
    conn.sendall(b"%x\r\n%s\r\n" % (len(data), data))


def last_event_id(request: str) -> str | None:
    for line in request.split("\r\n"):
        name, _, value = line.partition(":")
        if name.lower() == "last-event-id":
            return value.strip()
    return None


def changes_scripts() -> list[Script]:
    def first(conn: socket.socket, request: str) -> None:
        stream_head(conn)
        chunk(conn, frame("subscribed", {"token": "t0"}) + change(1) + change(2)[:10])
        chunk(conn, change(2)[10:] + frame("heartbeat", {"token": "t2h"}, "t2h"))
        # then the connection breaks in the middle of a chunk
        conn.sendall(b"40\r\nid: t3")

    def refused_once(conn: socket.socket, request: str) -> None:
        body = b'{"type":"urn:lumadb:problem:shard-unavailable","title":"Shard unavailable","status":503}'
        conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    def second(conn: socket.socket, request: str) -> None:
        stream_head(conn)
        chunk(conn, frame("subscribed", {"token": "t2h"}) + change(3))
        conn.sendall(b"0\r\n\r\n")  # the node ended the stream

    def third(conn: socket.socket, request: str) -> None:
        stream_head(conn)
        chunk(conn, frame("subscribed", {"token": "t3"}) + change(4))
        chunk(conn, frame("dropped", {"db": "d", "collection": "c", "message": "the collection was dropped"}))

    return [first, refused_once, second, third]


class ChangeStreamResumeTest(unittest.TestCase):
    def check(self, peer: Peer, ids: list[str]) -> None:
        self.assertEqual(["d1", "d2", "d3", "d4"], ids)
        self.assertEqual([None, "t2h", "t2h", "t3"], [last_event_id(r) for r in peer.requests])
        self.assertTrue(all(r.startswith("GET /api/v1/db/c/_changes?from=now HTTP/1.1") for r in peer.requests))

    def test_blocking_iterator_resumes_after_the_last_token(self) -> None:
        peer = Peer(changes_scripts())
        self.addCleanup(peer.close)
        ids = []
        stream = lumadb.Client(peer.url).collection("db", "c").changes(reconnect=support.FAST)
        with self.assertRaises(lumadb.CollectionDropped):
            for c in stream:
                ids.append(c.id)
        self.check(peer, ids)
        self.assertEqual([], list(stream))  # it stays ended

    def test_async_iterator_resumes_after_the_last_token(self) -> None:
        peer = Peer(changes_scripts())
        self.addCleanup(peer.close)

        async def consume() -> list[str]:
            ids = []
            stream = lumadb.Client(peer.url).collection("db", "c").changes_async(reconnect=support.FAST)
            with self.assertRaises(lumadb.CollectionDropped):
                async for c in stream:
                    ids.append(c.id)
            return ids

        self.check(peer, asyncio.run(consume()))

    def test_a_refused_first_connection_raises(self) -> None:
        def refuse(conn: socket.socket, request: str) -> None:
            body = b'{"type":"urn:lumadb:problem:not-found","title":"Not found","status":404,"detail":"no c"}'
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

        peer = Peer([refuse])
        self.addCleanup(peer.close)
        with self.assertRaises(lumadb.NotFound) as caught:
            next(lumadb.Client(peer.url).collection("db", "c").changes())
        self.assertEqual("no c", caught.exception.detail)


def hold(conn: socket.socket, request: str) -> None:
    """Subscribes, then sends nothing until the client goes away."""
    stream_head(conn)
    chunk(conn, frame("subscribed", {"token": "t0"}))
    conn.settimeout(30)
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass


class CloseTest(unittest.TestCase):
    def test_close_ends_a_blocked_iteration_from_another_thread(self) -> None:
        peer = Peer([hold])
        self.addCleanup(peer.close)
        stream = lumadb.Client(peer.url).collection("db", "c").changes()
        self.assertEqual("t0", stream.subscribe())
        outcome: list[object] = []
        reader = threading.Thread(target=lambda: outcome.append(list(stream)))
        reader.start()
        reader.join(0.3)
        self.assertTrue(reader.is_alive())  # waiting for a change
        stream.close()
        reader.join(5)
        self.assertFalse(reader.is_alive())
        self.assertEqual([[]], outcome)
        self.assertEqual("t0", stream.token)

    def test_aclose_ends_a_waiting_async_for(self) -> None:
        peer = Peer([hold])
        self.addCleanup(peer.close)

        async def run() -> list[object]:
            stream = lumadb.Client(peer.url).collection("db", "c").changes_async()
            self.assertEqual("t0", await stream.subscribe())

            async def read() -> list[object]:
                return [c async for c in stream]

            reading = asyncio.ensure_future(read())
            await asyncio.sleep(0.3)
            self.assertFalse(reading.done())
            await stream.aclose()
            return await asyncio.wait_for(reading, 5)

        self.assertEqual([], asyncio.run(run()))


class LiveQueryResumeTest(unittest.TestCase):
    def test_resumes_without_a_new_snapshot_and_resets_when_it_cannot(self) -> None:
        a, b, c = ({"_id": x, "_version": 1, "v": x} for x in "abc")

        def first(conn: socket.socket, request: str) -> None:
            stream_head(conn)
            chunk(conn, frame("subscribed", {"token": "s", "resumed": False}) + frame("result", a) + frame("result", b))
            chunk(conn, frame("ready", {"token": "s", "count": 2}, "s"))
            chunk(conn, frame("added", {"id": "c", "version": 1, "document": c, "token": "r1"}, "r1"))

        def second(conn: socket.socket, request: str) -> None:
            stream_head(conn)
            chunk(conn, frame("subscribed", {"token": "r1", "resumed": True}))
            chunk(conn, frame("ready", {"token": "r1", "count": 0}, "r1"))  # no second ready for the consumer
            chunk(conn, frame("removed", {"id": "a", "version": 2, "document": None, "token": "r2"}, "r2"))

        def third(conn: socket.socket, request: str) -> None:
            # The node could not resume (a limited query): a fresh result follows.
            stream_head(conn)
            chunk(conn, frame("subscribed", {"token": "x", "resumed": False}) + frame("result", c))
            chunk(conn, frame("ready", {"token": "x", "count": 1}, "x"))

        peer = Peer([first, second, third])
        self.addCleanup(peer.close)
        live = lumadb.Client(peer.url).collection("db", "c").live({"v": {"$exists": True}}, reconnect=support.FAST)
        seen = []
        with live:
            for event in live:
                seen.append((event.kind, event.id))
                if event.kind == "ready" and event.token == "x":
                    break
        self.assertEqual(
            [
                ("result", "a"),
                ("result", "b"),
                ("ready", None),
                ("added", "c"),
                ("removed", "a"),
                ("reset", None),
                ("result", "c"),
                ("ready", None),
            ],
            seen,
        )
        self.assertEqual({"c": c}, live.results)
        self.assertEqual([None, "r1", "r2"], [last_event_id(r) for r in peer.requests])


if __name__ == "__main__":
    unittest.main()
