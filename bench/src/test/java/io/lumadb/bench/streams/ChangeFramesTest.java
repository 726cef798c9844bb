package io.lumadb.bench.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ChangeFramesTest {

    @Test
    void readsNumberSendTimeAndOrderFromALumaDbEnvelope() {
        byte[] doc = ChangeFrames.document(42, 123_456_789_012L, 120);
        String envelope = "{\"op\":\"c\",\"before\":null,\"after\":{\"_id\":\"w42\",\"_version\":43,"
                + new String(doc, 1, doc.length - 1, StandardCharsets.US_ASCII)
                + ",\"source\":{\"connector\":\"lumadb\",\"db\":\"b\",\"collection\":\"c\",\"shard\":0,"
                + "\"seq\":17,\"index\":3,\"id\":\"w42\",\"version\":43,\"ts_ms\":1},\"ts_ms\":2,\"token\":\"AQ\"}";
        ChangeFrames.Fields f = new ChangeFrames.Fields();
        byte[] b = envelope.getBytes(StandardCharsets.US_ASCII);
        assertTrue(f.read(b, b.length));
        assertEquals(42, f.n);
        assertEquals(123_456_789_012L, f.sentNanos);
        assertEquals(17, f.seq);
        assertEquals(3, f.index);
    }

    @Test
    void documentsAreValidJsonOfAboutTheAskedSize() throws Exception {
        byte[] doc = ChangeFrames.document(7, -5, 120);
        assertEquals(120, doc.length);
        var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(doc);
        assertEquals(7, node.get("bench_n").asLong());
        assertEquals(-5, node.get("bench_t").asLong());
    }

    @Test
    void aFrameWithoutItsFieldsIsMalformed() {
        ChangeFrames.Fields f = new ChangeFrames.Fields();
        byte[] noSource = "{\"after\":{\"bench_n\":1,\"bench_t\":2}}".getBytes(StandardCharsets.US_ASCII);
        assertFalse(f.read(noSource, noSource.length));
        byte[] notANumber = "{\"after\":{\"bench_n\":\"1\",\"bench_t\":2},\"source\":{\"seq\":1,\"index\":0}}"
                .getBytes(StandardCharsets.US_ASCII);
        assertFalse(f.read(notANumber, notANumber.length));
        byte[] ok = "{\"after\":{\"bench_n\":1,\"bench_t\":2},\"source\":{\"seq\":1,\"index\":0}}"
                .getBytes(StandardCharsets.US_ASCII);
        assertTrue(f.read(ok, ok.length));
        assertFalse(f.read(ok, ok.length - 12), "a cut frame is malformed");
    }
}
