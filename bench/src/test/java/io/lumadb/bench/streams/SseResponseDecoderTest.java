package io.lumadb.bench.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseResponseDecoderTest {

    /** What a LumaDB node sent for a _changes subscription and one change (captured with curl --raw). */
    static final String LUMADB = "HTTP/1.1 200 OK\r\nX-Accel-Buffering: no\r\nCache-Control: no-cache\r\n"
            + "Server: LumaDB\r\nDate: Sat, 21 Nov 2026 16:29:44 GMT\r\nTransfer-Encoding: chunked\r\n"
            + "Content-Type: text/event-stream\r\n\r\n"
            + "2d\r\nevent: subscribed\ndata: {\"token\":\"AQIBAQA\"}\n\n\r\n"
            + "12f\r\nid: AQIBAgA\nevent: change\ndata: {\"op\":\"c\",\"before\":null,\"after\":{\"_id\":\"d1\","
            + "\"_version\":1,\"bench_n\":1,\"bench_t\":12345,\"pad\":\"xxxx\"},\"source\":{\"connector\":\"lumadb\","
            + "\"db\":\"s\",\"collection\":\"c\",\"shard\":0,\"seq\":1,\"index\":0,\"id\":\"d1\",\"version\":1,"
            + "\"ts_ms\":1795278585578},\"ts_ms\":1795278585740,\"token\":\"AQIBAgA\"}\n\n\r\n";

    @Test
    void decodesLumaDbsEventStreamWhereverTheBytesAreSplit() throws Exception {
        byte[] b = LUMADB.getBytes(StandardCharsets.US_ASCII);
        assertEquals(
                0x12f,
                LUMADB.substring(LUMADB.indexOf("id: AQIBAgA"), LUMADB.lastIndexOf("\r\n"))
                        .length());
        for (int split = 0; split <= b.length; split++) {
            List<String> events = new ArrayList<>();
            SseResponseDecoder d = new SseResponseDecoder(e -> events.add(e.type() + "|" + e.lastEventId()));
            d.feed(b, 0, split);
            d.feed(b, split, b.length - split);
            assertEquals(List.of("subscribed|", "change|AQIBAgA"), events, "split at " + split);
            assertEquals(200, d.status());
            assertFalse(d.ended());
        }
    }

    @Test
    void reportsARefusedSubscriptionWithWhatTheServerSaid() {
        byte[] b = ("HTTP/1.1 404 Not Found\r\nContent-Type: application/problem+json\r\nContent-Length: 30\r\n\r\n"
                        + "{\"title\":\"Collection not found\"}")
                .getBytes(StandardCharsets.US_ASCII);
        SseResponseDecoder d = new SseResponseDecoder(e -> {});
        ProtocolException e = assertThrows(ProtocolException.class, () -> d.feed(b, 0, b.length));
        assertTrue(e.getMessage().contains("404") && e.getMessage().contains("Collection not found"), e.getMessage());
    }

    @Test
    void seesTheServerEndTheStreamAndComplainsAboutACutOne() throws Exception {
        byte[] ended = (LUMADB + "0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        SseResponseDecoder d = new SseResponseDecoder(e -> {});
        d.feed(ended, 0, ended.length);
        assertTrue(d.ended());
        d.closed(); // a complete stream may close

        byte[] cut = LUMADB.substring(0, LUMADB.length() - 40).getBytes(StandardCharsets.US_ASCII);
        SseResponseDecoder c = new SseResponseDecoder(e -> {});
        c.feed(cut, 0, cut.length);
        assertThrows(ProtocolException.class, c::closed);
    }
}
