"""Change streams and live queries over Server-Sent Events, resuming by themselves.

A :class:`ChangeStream` (or :class:`AsyncChangeStream`) yields every change of a collection once.
A :class:`LiveQuery` (or :class:`AsyncLiveQuery`) yields the current result of a filter, then
``added``, ``changed`` and ``removed`` as writes move documents in and out of it.

Each change carries a resume token: the per-shard positions right after it. The stream keeps
the token of the last event it handed to you (heartbeats move it past changes a filter left
out). When the connection drops, the node restarts or a subscriber falls too far behind
(``overflow``), the stream connects again after a backoff and sends that token as
``Last-Event-ID``: the node continues right after it, so you get exactly what you missed, with
no duplicate and no gap. Errors that retrying cannot fix (the collection was dropped, history
was lost, the credentials no longer hold) end the iteration with a :class:`~lumadb.LumaDBError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, cast
from urllib.parse import urlencode

from ._wire import ProtocolError, ResponseParser, ServerSentEvent, SseParser
from .errors import LumaDBError, Unreachable, error_from_problem

if TYPE_CHECKING:
    from .client import Client

__all__ = [
    "Change",
    "LiveEvent",
    "Reconnect",
    "ChangeStream",
    "AsyncChangeStream",
    "LiveQuery",
    "AsyncLiveQuery",
]


@dataclass(frozen=True)
class Reconnect:
    """How a stream reconnects: the first delay, the longest delay (each retry doubles it, with
    some jitter), the longest a stream keeps trying before it gives up (``None``: forever), and
    how long a connection may stay silent before it is taken for dead (the node sends a heartbeat
    every 10 s by default, ``lumadb.cdc.heartbeat``)."""

    initial_delay: float = 0.1
    max_delay: float = 5.0
    give_up_after: float | None = None
    read_timeout: float = 45.0


@dataclass(frozen=True)
class Change:
    """One change of a collection's change stream (Debezium's envelope names).

    Attributes:
        op: ``"c"`` (create), ``"u"`` (update) or ``"d"`` (delete).
        id: the document's ``_id``.
        version: the document's version after the change (for a delete, the version it had).
        before: the document before (on collections with pre-images), else ``None``.
        after: the document after, ``None`` for a delete.
        shard: the shard that made the change; ``seq`` its sequence number there.
        token: the resume token right after this change.
        envelope: the whole envelope as the node sent it (``source``, ``ts_ms``, ...).
    """

    op: str
    id: str
    version: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    shard: int
    seq: int
    token: str
    envelope: dict[str, Any] = field(repr=False)

    @classmethod
    def from_envelope(cls, envelope: dict[str, Any], token: str | None) -> Change:
        source = envelope.get("source") or {}
        return cls(
            op=envelope.get("op", ""),
            id=source.get("id", ""),
            version=source.get("version", 0),
            before=envelope.get("before"),
            after=envelope.get("after"),
            shard=source.get("shard", 0),
            seq=source.get("seq", 0),
            token=envelope.get("token") or token or "",
            envelope=envelope,
        )


@dataclass(frozen=True)
class LiveEvent:
    """One event of a live query.

    ``kind`` is one of:

    - ``"result"``: a document of the current result (before ``ready``);
    - ``"ready"``: the current result is complete (``data["count"]`` documents);
    - ``"added"``, ``"changed"``: a document entered the result, or changed within it
      (``document`` is the new one);
    - ``"removed"``: a document left the result or was deleted (``document`` is ``None``);
    - ``"reset"``: the query had to start again (a limited query after a reconnect, a
      disconnect before ``ready``, a change of the caller's access): forget the result so far,
      a fresh one follows (``result`` events, then ``ready``).
    """

    kind: str
    id: str | None
    version: int | None
    document: dict[str, Any] | None
    token: str | None
    data: dict[str, Any] = field(repr=False, default_factory=dict)


class _Retry(Exception):
    """The connection ended or broke; connect again (``at_once``: without waiting)."""

    def __init__(self, reason: str, at_once: bool = False, after: float | None = None) -> None:
        super().__init__(reason)
        self.at_once = at_once
        self.after = after


@dataclass(frozen=True)
class _Position:
    """A position the stream moved to without an item for the consumer (a heartbeat)."""

    token: str


_RETRYABLE_STATUS = {429, 502, 503, 504}


class _Core:
    """What a stream does with the bytes of its connections, whatever carries them.

    Items are parsed ahead of the consumer; :meth:`deliver` is called as each one is handed
    out, so what the stream reports (:attr:`delivered_token`, a live query's results) is what
    the consumer has seen. A reconnection only happens once every parsed item was handed out,
    so resuming from :attr:`token` (the last parsed position) resumes after the last delivered.
    """

    def __init__(self, client: Client, path: str, params: dict[str, str], reconnect: Reconnect) -> None:
        self.client = client
        self.path = path
        self.params = params
        self.reconnect = reconnect
        self.token: str | None = None
        self.delivered_token: str | None = None
        self.connected_once = False
        self.subscribed: str | None = None  # the position the first connection started at
        self.closed = False
        self._pending: BaseException | None = None
        self._delay = reconnect.initial_delay
        self._failing_since: float | None = None
        self._parser = ResponseParser()
        self._sse = SseParser()
        self._error_body = bytearray()

    # ---- requests

    def target(self) -> str:
        query = urlencode(self.params)
        return self.path + ("?" + query if query else "")

    def request_bytes(self) -> bytes:
        lines = [
            f"GET {self.target()} HTTP/1.1",
            f"Host: {self.client._host_header}",
            "Accept: text/event-stream",
            "Cache-Control: no-cache",
            f"User-Agent: {self.client._user_agent}",
            "Connection: close",
        ]
        auth = self.client._authorization
        if auth:
            lines.append(f"Authorization: {auth}")
        resume = self.resume_token()
        if resume:
            lines.append(f"Last-Event-ID: {resume}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    def resume_token(self) -> str | None:
        return self.token

    # ---- one connection

    def started(self) -> None:
        """A new connection: its response starts from nothing."""
        self._parser = ResponseParser()
        self._sse = SseParser()
        self._error_body = bytearray()
        self._pending = None

    def feed(self, data: bytes) -> list[Any]:
        """Bytes of the current connection in, items out. What ends the connection (a refusal, a
        terminal event, the end of the response) is kept for :meth:`raise_pending`, so that the
        items before it are handed out first."""
        if self._pending is not None:
            return []
        payload = self._parser.feed(data)
        head = self._parser.head
        if head is None:
            return []
        if head.status != 200:
            self._error_body += payload
            if self._parser.complete:
                self._pending = self._refusal()
            return []
        self.connected_once = True
        items: list[Any] = []
        for event in self._sse.feed(payload):
            if event.event == "subscribed" and self.subscribed is None:
                self.subscribed = str(_json(event).get("token", ""))
            try:
                items.extend(self.on_event(event))
            except (LumaDBError, _Retry) as e:
                self._pending = e
                break
            # An event came: the next failure starts its backoff from the beginning.
            self._delay = self.reconnect.initial_delay
            self._failing_since = None
        if self._pending is None and self._parser.complete:
            self._pending = _Retry("the node ended the stream")
        return items

    def raise_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            raise pending

    def eof(self) -> None:
        """The connection ended; raises the refusal it carried, or :class:`_Retry`."""
        head = self._parser.head
        if head is not None and head.status != 200:
            raise self._refusal()
        raise _Retry("the connection closed")

    def _refusal(self) -> Exception:
        """A refused (re)connection: the typed error, or a retry when it may pass and we were in."""
        head = self._parser.head
        assert head is not None
        body = bytes(self._error_body)
        try:
            problem = json.loads(body.decode("utf-8")) if body else None
        except ValueError:
            problem = None
        error = error_from_problem(head.status, problem, head.reason, head.header("retry-after"))
        if self.connected_once and head.status in _RETRYABLE_STATUS:
            return _Retry(f"the node answered {error}", after=error.retry_after)
        return error

    # ---- retries

    def next_delay(self, reason: BaseException) -> float:
        """How long to wait before connecting again; raises when the stream must not retry."""
        if isinstance(reason, _Retry) and reason.at_once:
            return 0.0
        if not self.connected_once:
            # The first connection fails loudly: a wrong URL or name is not a disconnect.
            if isinstance(reason, LumaDBError):
                raise reason
            raise Unreachable(f"cannot open the stream {self.path}: {reason}", self.client.url) from reason
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
        limit = self.reconnect.give_up_after
        if limit is not None and now - self._failing_since > limit:
            raise Unreachable(
                f"the stream {self.path} could not reconnect for {limit:g} s: {reason}", self.client.url
            ) from reason
        delay = self._delay * (0.8 + 0.4 * random.random())
        self._delay = min(self._delay * 2, self.reconnect.max_delay)
        if isinstance(reason, _Retry) and reason.after is not None:
            delay = max(delay, min(reason.after, self.reconnect.max_delay))
        return delay

    def disconnected(self) -> None:
        """The connection is gone (before a reconnection)."""

    # ---- events (subclasses)

    def on_event(self, event: ServerSentEvent) -> list[Any]:
        raise NotImplementedError

    def deliver(self, item: Any) -> Any:
        """Records that ``item`` is handed out; returns it, or ``None`` for a bare position."""
        if isinstance(item, _Position):
            self.delivered_token = item.token
            return None
        token = getattr(item, "token", None)
        if token:
            self.delivered_token = token
        return item

    def _fail_with(self, event: ServerSentEvent) -> LumaDBError:
        data = _json(event)
        status: int = data["status"] if isinstance(data.get("status"), int) else 500
        if event.event == "dropped":
            data = {
                "type": "urn:lumadb:problem:collection-dropped",
                "title": "Collection dropped",
                "detail": data.get("message"),
                **data,
            }
            status = 410
        slug = str(data.get("type", event.event)).rsplit(":", 1)[-1]
        data.setdefault("title", slug.replace("-", " ").capitalize())
        return error_from_problem(status, data)


class _ChangesCore(_Core):
    def on_event(self, event: ServerSentEvent) -> list[Any]:
        kind = event.event
        if kind == "change":
            change = Change.from_envelope(_json(event), event.id)
            self.token = change.token
            return [change]
        if kind in ("subscribed", "heartbeat"):
            token = event.id or _json(event).get("token")
            if token:
                self.token = token
                return [_Position(token)]
            return []
        if kind == "overflow":
            token = _json(event).get("token")
            if token:
                self.token = token
            raise _Retry("the node closed a subscriber that fell behind", at_once=True)
        if kind in ("error", "dropped", "unauthorized"):
            raise self._fail_with(event)
        return []


class _LiveCore(_Core):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.results: dict[str, dict[str, Any]] = {}
        self.ready = False  # as delivered
        self._ready = False  # as parsed: a position after ready resumes without a new snapshot
        self._shown = False  # whether any part of a result was parsed since the last reset
        self._reset_due = False
        self._resumed = False  # whether the current connection continues without a new result

    def resume_token(self) -> str | None:
        return self.token if self._ready else None

    def on_event(self, event: ServerSentEvent) -> list[Any]:
        kind = event.event
        data = _json(event)
        if kind == "subscribed":
            out: list[Any] = []
            self._resumed = bool(data.get("resumed"))
            if not self._resumed and (self._reset_due or self._shown):
                self._ready = False
                self._shown = False
                self.token = None
                out.append(LiveEvent("reset", None, None, None, None, data))
            self._reset_due = False
            return out
        if kind == "result":
            # Unlimited queries send the stored document; limited ones {id, version, document}.
            doc = data if "_id" in data else data.get("document")
            doc_id = data.get("id", doc.get("_id") if isinstance(doc, dict) else None)
            version = data.get("version", doc.get("_version") if isinstance(doc, dict) else None)
            self._shown = True
            return [LiveEvent("result", doc_id, version, doc if isinstance(doc, dict) else None, None, data)]
        if kind == "ready":
            self._ready = True
            self._shown = True
            self.token = event.id or data.get("token")
            if self._resumed:
                # A resumed query sends no result: its consumer was told `ready` before.
                return [_Position(self.token)] if self.token else []
            return [LiveEvent("ready", None, None, None, self.token, data)]
        if kind in ("added", "changed", "removed"):
            self.token = event.id or data.get("token")
            doc = data.get("document")
            document = doc if isinstance(doc, dict) else None
            return [LiveEvent(kind, data.get("id"), data.get("version"), document, self.token, data)]
        if kind == "heartbeat":
            if self._ready and event.id:
                self.token = event.id
                return [_Position(event.id)]
            return []
        if kind == "overflow":
            if self._ready and data.get("token"):
                self.token = data["token"]
            raise _Retry("the node closed a subscriber that fell behind", at_once=True)
        if kind == "access-changed":
            # Its result was computed under the caller's old rules: run it again.
            self._ready = False
            self._reset_due = True
            raise _Retry("the caller's access changed", at_once=True)
        if kind in ("error", "dropped", "unauthorized"):
            raise self._fail_with(event)
        return []

    def disconnected(self) -> None:
        if not self._ready and self._shown:
            self._reset_due = True

    def deliver(self, item: Any) -> Any:
        if isinstance(item, LiveEvent):
            if item.kind == "reset":
                self.results.clear()
                self.ready = False
            elif item.kind == "ready":
                self.ready = True
            elif item.kind == "removed":
                self.results.pop(item.id or "", None)
            elif item.document is not None and item.id is not None:
                self.results[item.id] = item.document
        return super().deliver(item)


def _json(event: ServerSentEvent) -> dict[str, Any]:
    try:
        value = json.loads(event.data)
    except ValueError:
        raise ProtocolError(f"event {event.event!r} does not carry JSON: {event.data[:200]!r}") from None
    return value if isinstance(value, dict) else {"value": value}


# ---------------------------------------------------------------------------------------------
# Blocking iterators


T = TypeVar("T")


class _SyncStream(Generic[T]):
    """A stream read on the caller's thread from a plain socket."""

    def __init__(self, core: _Core) -> None:
        self._core = core
        self._items: deque[Any] = deque()
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pumping = False

    @property
    def token(self) -> str | None:
        """The resume token after the last event handed out (``None`` before the first).

        Store it with what you did with the events, and start again from it (``start=token``)."""
        return self._core.delivered_token

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> T:
        core = self._core
        while True:
            if core.closed:
                raise StopIteration
            while self._items:
                item = core.deliver(self._items.popleft())
                if item is not None:
                    return cast(T, item)
            if not self._pump(lambda: bool(self._items)):
                raise StopIteration

    def subscribe(self) -> str:
        """Connects now and returns once the node listens: changes made after this call are on
        the stream. Returns the position it started at. Without it, the stream connects at the
        first ``next()``."""
        core = self._core
        if not self._pump(lambda: core.subscribed is not None):
            raise LumaDBError(0, "urn:lumadb:client:closed", "Stream closed", "the stream was closed")
        assert core.subscribed is not None
        return core.subscribed

    def _pump(self, until: Callable[[], bool]) -> bool:
        """Reads (connecting again as needed) until ``until()``; false if the stream was closed."""
        with self._lock:
            self._pumping = True
        try:
            return self._pump_until(until)
        finally:
            with self._lock:
                self._pumping = False
            if self._core.closed:
                self._drop()

    def _pump_until(self, until: Callable[[], bool]) -> bool:
        core = self._core
        while not until():
            if core.closed:
                return False
            try:
                if self._sock is None:
                    self._connect()
                self._read(until)
            except (_Retry, OSError, ProtocolError) as reason:
                self._drop()
                if core.closed:
                    return False
                core.disconnected()
                try:
                    delay = core.next_delay(reason)
                except LumaDBError:
                    core.closed = True
                    raise
                if delay and self._wake.wait(delay):
                    return False
            except LumaDBError:
                self._drop()
                core.closed = True
                raise
        return True

    def _connect(self) -> None:
        core = self._core
        client = core.client
        sock = socket.create_connection((client._host, client._port), timeout=client.timeout)
        try:
            if client._ssl_context is not None:
                sock = client._ssl_context.wrap_socket(sock, server_hostname=client._host)
            sock.settimeout(core.reconnect.read_timeout)
            core.started()
            sock.sendall(core.request_bytes())
        except BaseException:
            sock.close()
            raise
        with self._lock:
            if core.closed:
                sock.close()
                raise _Retry("closed")
            self._sock = sock

    def _read(self, until: Callable[[], bool]) -> None:
        sock = self._sock
        assert sock is not None
        while not until():
            self._core.raise_pending()
            try:
                data = sock.recv(65536)
            except TimeoutError:
                raise _Retry("no event within the read timeout") from None
            if not data:
                self._core.eof()
            self._items.extend(self._core.feed(data))

    def _drop(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def close(self) -> None:
        """Ends the stream and its connection; a thread blocked in ``next()`` gets ``StopIteration``."""
        with self._lock:
            self._core.closed = True
            sock = self._sock
            reading = self._pumping
        self._wake.set()
        if sock is not None:
            if reading:
                # The reading thread wakes up, sees the stream closed and closes the socket.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            else:
                self._drop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        self._drop()

    def for_each(self, callback: Callable[[T | LumaDBError], None], *, daemon: bool = True) -> threading.Thread:
        """Calls ``callback`` with each item on a new thread until :meth:`close`; returns the thread.

        An error that ends the stream is passed to ``callback`` too, as its last call.
        """

        def run() -> None:
            try:
                for item in self:
                    callback(item)
            except LumaDBError as e:
                callback(e)
            finally:
                self._drop()

        thread = threading.Thread(target=run, name=f"lumadb {self._core.path}", daemon=daemon)
        thread.start()
        return thread


class ChangeStream(_SyncStream[Change]):
    """A collection's change stream as a blocking iterator of :class:`Change`.

    Reconnects by itself (see the module documentation); ``close()`` ends it.
    """


class LiveQuery(_SyncStream[LiveEvent]):
    """A live query as a blocking iterator of :class:`LiveEvent`.

    :attr:`results` is the query's result as of the last event handed out (id to document).
    """

    @property
    def results(self) -> dict[str, dict[str, Any]]:
        return cast(_LiveCore, self._core).results

    @property
    def ready(self) -> bool:
        """Whether the current result is complete (``ready`` was handed out since the last reset)."""
        return cast(_LiveCore, self._core).ready


# ---------------------------------------------------------------------------------------------
# Async iterators


class _AsyncStream(Generic[T]):
    """A stream read by asyncio: one HTTP/1.1 connection at a time over ``asyncio.open_connection``."""

    def __init__(self, core: _Core) -> None:
        self._core = core
        self._items: deque[Any] = deque()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._closing: asyncio.Event | None = None

    @property
    def token(self) -> str | None:
        """The resume token after the last event handed out (``None`` before the first)."""
        return self._core.delivered_token

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        core = self._core
        while True:
            if core.closed:
                await self._drop()
                raise StopAsyncIteration
            while self._items:
                item = core.deliver(self._items.popleft())
                if item is not None:
                    return cast(T, item)
            if not await self._pump(lambda: bool(self._items)):
                await self._drop()
                raise StopAsyncIteration

    async def subscribe(self) -> str:
        """Connects now and returns once the node listens (see :meth:`ChangeStream.subscribe`)."""
        core = self._core
        if not await self._pump(lambda: core.subscribed is not None):
            raise LumaDBError(0, "urn:lumadb:client:closed", "Stream closed", "the stream was closed")
        assert core.subscribed is not None
        return core.subscribed

    async def _pump(self, until: Callable[[], bool]) -> bool:
        """Reads (connecting again as needed) until ``until()``; false if the stream was closed."""
        core = self._core
        if self._closing is None:
            self._closing = asyncio.Event()
        while not until():
            if core.closed:
                return False
            try:
                if self._reader is None:
                    await self._connect()
                await self._read(until)
            except (TimeoutError, _Retry, OSError, ProtocolError) as reason:
                await self._drop()
                if core.closed:
                    return False
                core.disconnected()
                try:
                    delay = core.next_delay(reason)
                except LumaDBError:
                    core.closed = True
                    raise
                if delay:
                    try:
                        await asyncio.wait_for(self._closing.wait(), delay)
                    except TimeoutError:
                        pass
            except LumaDBError:
                await self._drop()
                core.closed = True
                raise
        return True

    async def _connect(self) -> None:
        core = self._core
        client = core.client
        ssl_context: ssl.SSLContext | None = client._ssl_context
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                client._host,
                client._port,
                ssl=ssl_context,
                server_hostname=client._host if ssl_context is not None else None,
            ),
            client.timeout,
        )
        self._reader, self._writer = reader, writer
        core.started()
        writer.write(core.request_bytes())
        await writer.drain()

    async def _read(self, until: Callable[[], bool]) -> None:
        reader = self._reader
        closing = self._closing
        assert reader is not None and closing is not None
        while not until():
            self._core.raise_pending()
            read = asyncio.ensure_future(reader.read(65536))
            closed = asyncio.ensure_future(closing.wait())
            try:
                done, _ = await asyncio.wait(
                    {read, closed}, timeout=self._core.reconnect.read_timeout, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                closed.cancel()
                if not read.done():
                    read.cancel()
            if self._core.closed:
                raise _Retry("closed")
            if read not in done:
                raise _Retry("no event within the read timeout")
            data = read.result()
            if not data:
                self._core.eof()
            self._items.extend(self._core.feed(data))

    async def _drop(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), 1.0)
            except (TimeoutError, OSError, ssl.SSLError):
                pass

    async def aclose(self) -> None:
        """Ends the stream; an ``async for`` waiting on it ends."""
        self._core.closed = True
        if self._closing is not None:
            self._closing.set()
        await self._drop()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class AsyncChangeStream(_AsyncStream[Change]):
    """A collection's change stream as an async iterator of :class:`Change`."""


class AsyncLiveQuery(_AsyncStream[LiveEvent]):
    """A live query as an async iterator of :class:`LiveEvent`; see :class:`LiveQuery`."""

    @property
    def results(self) -> dict[str, dict[str, Any]]:
        return cast(_LiveCore, self._core).results

    @property
    def ready(self) -> bool:
        return cast(_LiveCore, self._core).ready


def changes_core(client: Client, path: str, params: dict[str, str], reconnect: Reconnect) -> _Core:
    return _ChangesCore(client, path, params, reconnect)


def live_core(client: Client, path: str, params: dict[str, str], reconnect: Reconnect) -> _Core:
    return _LiveCore(client, path, params, reconnect)
