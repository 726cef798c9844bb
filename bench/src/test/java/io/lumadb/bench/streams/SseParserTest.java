package io.lumadb.bench.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {

    /** type|data of each event, for comparisons. */
    private static List<String> parse(byte[] stream, int... splits) {
        List<String> events = new ArrayList<>();
        SseParser p = new SseParser(e -> events.add(e.type() + "|" + e.data()));
        int from = 0;
        for (int split : splits) {
            p.feed(Unpooled.wrappedBuffer(stream, from, split - from));
            from = split;
        }
        p.feed(Unpooled.wrappedBuffer(stream, from, stream.length - from));
        return events;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Parses {@code stream} whole, split in two at every position, and a byte at a time: all must agree. */
    private static List<String> parseEverySplit(String stream) {
        byte[] b = bytes(stream);
        List<String> whole = parse(b);
        for (int i = 0; i <= b.length; i++) {
            assertEquals(whole, parse(b, i), "split at " + i);
        }
        int[] each = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            each[i] = i;
        }
        assertEquals(whole, parse(b, each), "a byte at a time");
        return whole;
    }

    @Test
    void parsesLumaDbFramesWhereverTheyAreSplit() {
        List<String> events = parseEverySplit("event: subscribed\ndata: {\"token\":\"AQIBAQA\"}\n\n"
                + "id: AQIBAgA\nevent: change\ndata: {\"op\":\"c\",\"source\":{\"seq\":1}}\n\n");
        assertEquals(
                List.of("subscribed|{\"token\":\"AQIBAQA\"}", "change|{\"op\":\"c\",\"source\":{\"seq\":1}}"), events);
    }

    @Test
    void acceptsLfCrlfAndCrLineEndingsEvenWhenCrAndLfArriveApart() {
        List<String> events = parseEverySplit("data: a\r\n\r\ndata: b\r\rdata: c\n\n");
        assertEquals(List.of("message|a", "message|b", "message|c"), events);
    }

    @Test
    void joinsDataLinesSkipsCommentsAndDispatchesNothingWithoutData() {
        List<String> events =
                parseEverySplit(": a comment\nevent: lonely\n\ndata:one\ndata:  two\n: between\ndata\n\n");
        // "event: lonely" has no data: no event, and its type does not leak into the next one.
        // Only one leading space goes; a line without a colon is a field with an empty value.
        assertEquals(List.of("message|one\n two\n"), events);
    }

    @Test
    void ignoresIdRetryAndUnknownFields() {
        List<String> events = parseEverySplit("id: 7\nretry: 10\ndata: x\nfoo: y\n\n");
        assertEquals(List.of("message|x"), events);
    }

    @Test
    void skipsALeadingByteOrderMarkButKeepsBytesThatOnlyLookLikeOne() {
        assertEquals(List.of("message|x"), parseEverySplit("\uFEFFdata: x\n\n"));
        byte[] notBom = {(byte) 0xEF, (byte) 0xBB, 'd', 'a', 't', 'a', ':', 'x', '\n', '\n'};
        List<String> events = new ArrayList<>();
        SseParser p = new SseParser(e -> events.add(e.type() + "|" + e.data()));
        p.feed(Unpooled.wrappedBuffer(notBom));
        assertEquals(List.of(), events, "\\xEF\\xBBdata is an unknown field, not data");
    }

    @Test
    void comparesTypesWithoutAllocating() {
        List<Boolean> seen = new ArrayList<>();
        SseParser p = new SseParser(e -> seen.add(e.typeIs(bytes("change"))));
        byte[] b = bytes("event: change\ndata: 1\n\nevent: changes\ndata: 2\n\ndata: 3\n\n");
        p.feed(Unpooled.wrappedBuffer(b));
        assertEquals(List.of(true, false, false), seen);
    }
}
