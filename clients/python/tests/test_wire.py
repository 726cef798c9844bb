"""The HTTP/1.1 and event-stream parsers, fed byte by byte and in one piece (no node needed)."""

from __future__ import annotations

import unittest

import support  # noqa: F401  (puts the package on the path)

from lumadb._wire import ChunkedDecoder, ProtocolError, ResponseParser, ServerSentEvent, SseParser, parse_head


def chunked(*chunks: bytes) -> bytes:
    out = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    return out + b"0\r\n\r\n"


class ChunkedDecoderTest(unittest.TestCase):
    def test_decodes_whole_and_byte_by_byte(self) -> None:
        payload = [b"id: a\n", b'event: change\ndata: {"x":1}\n\n', b"x" * 300]
        raw = chunked(*payload)
        whole = ChunkedDecoder()
        self.assertEqual(b"".join(payload), whole.feed(raw))
        self.assertTrue(whole.done)
        one = ChunkedDecoder()
        out = b"".join(one.feed(raw[i : i + 1]) for i in range(len(raw)))
        self.assertEqual(b"".join(payload), out)
        self.assertTrue(one.done)

    def test_extensions_and_trailers(self) -> None:
        decoder = ChunkedDecoder()
        self.assertEqual(b"abc", decoder.feed(b"3;name=v\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n"))
        self.assertTrue(decoder.done)

    def test_not_done_before_the_last_chunk(self) -> None:
        decoder = ChunkedDecoder()
        self.assertEqual(b"ab", decoder.feed(b"2\r\nab\r\n"))
        self.assertFalse(decoder.done)

    def test_refuses_a_bad_size(self) -> None:
        with self.assertRaises(ProtocolError):
            ChunkedDecoder().feed(b"zz\r\n")


class SseParserTest(unittest.TestCase):
    STREAM = (
        b'\xef\xbb\xbfevent: subscribed\ndata: {"token":"t0"}\n\n'
        b": a comment\r\n"
        b'id: t1\r\nevent: change\r\ndata: {"op":"c"}\r\n\r\n'
        b'id: t2\revent: heartbeat\rdata: {"token":"t2"}\r\r'
        b"data: line one\ndata:line two\n\n"
        b"event: nodata\n\n"
    )
    EXPECTED = [
        ServerSentEvent("subscribed", '{"token":"t0"}', None),
        ServerSentEvent("change", '{"op":"c"}', "t1"),
        ServerSentEvent("heartbeat", '{"token":"t2"}', "t2"),
        ServerSentEvent("message", "line one\nline two", None),
    ]

    def test_parses_every_line_ending_whole(self) -> None:
        self.assertEqual(self.EXPECTED, SseParser().feed(self.STREAM))

    def test_parses_every_line_ending_byte_by_byte(self) -> None:
        parser = SseParser()
        events = []
        for i in range(len(self.STREAM)):
            events.extend(parser.feed(self.STREAM[i : i + 1]))
        self.assertEqual(self.EXPECTED, events)

    def test_utf8_split_across_reads(self) -> None:
        raw = 'event: change\ndata: {"name":"Zoë ✓"}\n\n'.encode()
        parser = SseParser()
        events = []
        for i in range(len(raw)):
            events.extend(parser.feed(raw[i : i + 1]))
        self.assertEqual([ServerSentEvent("change", '{"name":"Zoë ✓"}', None)], events)

    def test_an_unfinished_event_waits(self) -> None:
        parser = SseParser()
        self.assertEqual([], parser.feed(b"id: t1\nevent: change\ndata: {}\n"))
        self.assertEqual([ServerSentEvent("change", "{}", "t1")], parser.feed(b"\n"))


class ResponseParserTest(unittest.TestCase):
    def test_head_then_chunked_body(self) -> None:
        raw = (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
            b"Set-Cookie: a\r\nSet-Cookie: b\r\n\r\n" + chunked(b"event: x\ndata: 1\n\n")
        )
        parser = ResponseParser()
        body = b"".join(parser.feed(raw[i : i + 7]) for i in range(0, len(raw), 7))
        assert parser.head is not None
        self.assertEqual(200, parser.head.status)
        self.assertEqual("text/event-stream", parser.head.header("Content-Type"))
        self.assertEqual("a, b", parser.head.header("set-cookie"))
        self.assertEqual(b"event: x\ndata: 1\n\n", body)
        self.assertTrue(parser.complete)

    def test_content_length_body(self) -> None:
        parser = ResponseParser()
        body = parser.feed(b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}extra")
        self.assertEqual(b"{}", body)
        self.assertTrue(parser.complete)

    def test_refuses_what_is_not_http(self) -> None:
        with self.assertRaises(ProtocolError):
            parse_head(b"SSH-2.0-OpenSSH")


if __name__ == "__main__":
    unittest.main()
