"""HTTP/1.1 response reading and Server-Sent Events parsing, without any I/O.

Streams are read from a plain socket (the blocking iterators) or from an asyncio stream (the
async iterators). Both feed the bytes they receive to the same parsers here, so the two behave
the same and the parsers can be tested on their own, byte by byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_HEAD_BYTES = 64 * 1024
MAX_LINE_BYTES = 16 * 1024 * 1024


class ProtocolError(Exception):
    """The peer sent something that is not HTTP/1.1 or not an event stream."""


@dataclass(frozen=True)
class ResponseHead:
    """The status line and headers of a response; header names are lower case."""

    status: int
    reason: str
    headers: dict[str, str]

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def parse_head(raw: bytes) -> ResponseHead:
    """Parses a response head (status line and header lines, without the blank line)."""
    lines = raw.decode("iso-8859-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"not an HTTP/1.1 status line: {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ProtocolError(f"malformed header line: {line!r}")
        key = name.strip().lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return ResponseHead(int(parts[1]), parts[2] if len(parts) > 2 else "", headers)


class ChunkedDecoder:
    """Decodes ``Transfer-Encoding: chunked`` incrementally; :attr:`done` after the last chunk."""

    _SIZE, _DATA, _DATA_END, _TRAILER, _DONE = range(5)

    def __init__(self) -> None:
        self._state = self._SIZE
        self._line = bytearray()
        self._remaining = 0

    @property
    def done(self) -> bool:
        return self._state == self._DONE

    def feed(self, data: bytes) -> bytes:
        """Takes raw bytes and returns the payload bytes they complete."""
        out = bytearray()
        i = 0
        n = len(data)
        while i < n and self._state != self._DONE:
            if self._state == self._DATA:
                take = min(self._remaining, n - i)
                out += data[i : i + take]
                i += take
                self._remaining -= take
                if self._remaining == 0:
                    self._state = self._DATA_END
                continue
            # Line-oriented states: the size line, the CRLF after the data, the trailer.
            j = data.find(b"\n", i)
            if j < 0:
                self._line += data[i:]
                if len(self._line) > MAX_HEAD_BYTES:
                    raise ProtocolError("chunk line too long")
                break
            self._line += data[i:j]
            i = j + 1
            line = bytes(self._line).rstrip(b"\r")
            self._line.clear()
            if self._state == self._SIZE:
                size_text = line.split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise ProtocolError(f"bad chunk size {size_text!r}") from None
                if size == 0:
                    self._state = self._TRAILER
                else:
                    self._remaining = size
                    self._state = self._DATA
            elif self._state == self._DATA_END:
                if line:
                    raise ProtocolError("chunk data not followed by CRLF")
                self._state = self._SIZE
            elif not line:  # trailer: header lines until an empty one
                self._state = self._DONE
        return bytes(out)


class BodyReader:
    """The body of one response: chunked, of a known length, or up to the end of the connection."""

    def __init__(self, head: ResponseHead) -> None:
        encoding = (head.header("transfer-encoding") or "").lower()
        self._chunked = ChunkedDecoder() if "chunked" in encoding else None
        length = head.header("content-length")
        self._remaining: int | None = None
        if self._chunked is None and length is not None:
            try:
                self._remaining = int(length)
            except ValueError:
                raise ProtocolError(f"bad Content-Length {length!r}") from None

    @property
    def done(self) -> bool:
        if self._chunked is not None:
            return self._chunked.done
        return self._remaining == 0

    def feed(self, data: bytes) -> bytes:
        if self._chunked is not None:
            return self._chunked.feed(data)
        if self._remaining is not None:
            data = data[: self._remaining]
            self._remaining -= len(data)
        return data


@dataclass(frozen=True)
class ServerSentEvent:
    """One event of an event stream: its name, its data (lines joined by newlines) and its id.

    ``id`` is the ``id`` field of this event only, ``None`` when it had none.
    """

    event: str
    data: str
    id: str | None = None


class SseParser:
    """Parses ``text/event-stream`` bytes as the HTML standard describes, incrementally.

    Lines end with CRLF, LF or CR; a blank line ends an event; lines starting with ``:`` are
    comments; an event without data is not dispatched.
    """

    _EOL = re.compile(rb"\r\n|\r|\n")

    def __init__(self) -> None:
        self._pending = b""
        self._first = True
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        """Takes bytes and returns the events they complete."""
        events: list[ServerSentEvent] = []
        buf = self._pending + data
        start = 0
        for m in self._EOL.finditer(buf):
            if m.group() == b"\r" and m.end() == len(buf):
                break  # a CR at the end may be the first half of a CRLF: wait for the next byte
            self._line(buf[start : m.start()], events)
            start = m.end()
        self._pending = buf[start:]
        if len(self._pending) > MAX_LINE_BYTES:
            raise ProtocolError("event stream line too long")
        return events

    def _line(self, raw: bytes, events: list[ServerSentEvent]) -> None:
        if self._first:
            self._first = False
            if raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
        line = raw.decode("utf-8", errors="replace")
        if not line:
            if self._data:
                events.append(ServerSentEvent(self._event or "message", "\n".join(self._data), self._id))
            self._event, self._data, self._id = "", [], None
            return
        if line.startswith(":"):
            return
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value


class ResponseParser:
    """One HTTP/1.1 response as its bytes arrive: the head, then the (decoded) body."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.head: ResponseHead | None = None
        self._body: BodyReader | None = None

    @property
    def complete(self) -> bool:
        """Whether the body has ended (chunked terminator or Content-Length reached)."""
        return self._body is not None and self._body.done

    def feed(self, data: bytes) -> bytes:
        """Takes raw bytes and returns the body bytes they complete (the head is kept)."""
        if self.head is None:
            self._buf += data
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buf) > MAX_HEAD_BYTES:
                    raise ProtocolError("response head too large")
                return b""
            self.head = parse_head(bytes(self._buf[:end]))
            data = bytes(self._buf[end + 4 :])
            self._buf.clear()
            self._body = BodyReader(self.head)
        assert self._body is not None
        return self._body.feed(data)
