package io.lumadb.bench.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ChunkedDecoderTest {

    private static final String BODY = "2d\r\nevent: subscribed\ndata: {\"token\":\"AQIBAQA\"}\n\n\r\n"
            + "5;ext=1\r\nhello\r\n" + "A\r\n0123456789\r\n" + "0\r\nTrailer: x\r\n\r\n";
    private static final String DECODED =
            "event: subscribed\ndata: {\"token\":\"AQIBAQA\"}\n\n" + "hello" + "0123456789";

    @Test
    void decodesChunksWithExtensionsAndTrailersWhereverTheyAreSplit() throws Exception {
        byte[] b = BODY.getBytes(StandardCharsets.US_ASCII);
        for (int split = 0; split <= b.length; split++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ChunkedDecoder d = new ChunkedDecoder(out::write);
            assertEquals(split, d.feed(b, 0, split));
            assertEquals(b.length - split, d.feed(b, split, b.length - split));
            assertTrue(d.done(), "split at " + split);
            assertEquals(DECODED, out.toString(StandardCharsets.US_ASCII), "split at " + split);
        }
    }

    @Test
    void stopsAtTheEndOfTheBody() throws Exception {
        byte[] b = "3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK".getBytes(StandardCharsets.US_ASCII);
        ChunkedDecoder d = new ChunkedDecoder((x, o, n) -> {});
        assertEquals(13, d.feed(b, 0, b.length), "consumes the body only, not the next response");
        assertTrue(d.done());
    }

    @Test
    void rejectsMalformedFraming() {
        assertThrows(ProtocolException.class, () -> feed("zz\r\n"));
        assertThrows(ProtocolException.class, () -> feed("3\r\nabcX\r\n"));
        assertThrows(ProtocolException.class, () -> feed("3\nabc\r\n"));
        assertThrows(ProtocolException.class, () -> feed("fffffffffff\r\n"));
    }

    @Test
    void isNotDoneBeforeTheLastChunk() throws Exception {
        ChunkedDecoder d = feed("3\r\nabc\r\n");
        assertFalse(d.done());
    }

    private static ChunkedDecoder feed(String s) throws ProtocolException {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        ChunkedDecoder d = new ChunkedDecoder((x, o, n) -> {});
        d.feed(b, 0, b.length);
        return d;
    }
}
