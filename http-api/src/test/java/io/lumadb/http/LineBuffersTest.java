package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lumadb.timeseries.LineProtocol;
import io.lumadb.timeseries.LineProtocolError;
import io.lumadb.timeseries.Precision;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class LineBuffersTest {

    /** Each line the sink saw: a point's measurement, first field and time, or an error's line and column. */
    private static List<String> parse(LineBuffers buffers, ByteString body) {
        List<String> seen = new ArrayList<>();
        buffers.parse(body, Precision.NANOSECONDS, 0, new LineProtocol.Sink() {
            @Override
            public void point(int line, LineProtocol.Series series, LineProtocol.Fields fields, long time) {
                seen.add(line + ":" + series.measurement() + "," + fields.key(0) + "="
                        + Double.longBitsToDouble(fields.bits(0)) + "@" + time);
            }

            @Override
            public void error(LineProtocolError error) {
                seen.add(error.line() + ":error at column " + error.column());
            }
        });
        return seen;
    }

    /** A body in network-sized pieces, as a request's strict entity holds it. */
    private static ByteString chunked(String text, int piece) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        ByteString s = ByteString.emptyByteString();
        for (int i = 0; i < b.length; i += piece) {
            s = s.concat(ByteString.fromArray(b, i, Math.min(piece, b.length - i)));
        }
        return s;
    }

    @Test
    void aShorterBodyInAReusedBufferReadsNothingOfTheLongerOneBefore() {
        LineBuffers buffers = new LineBuffers(1, 1 << 20);
        assertEquals(
                List.of("1:a,v=1.0@1", "2:b,v=2.0@2", "3:c,v=3.0@3"),
                parse(buffers, chunked("a v=1 1\nb v=2 2\nc v=3 3\n", 5)));
        assertEquals(1, buffers.kept());
        // Its last line ends without a line break where the longer body went on.
        assertEquals(List.of("1:d,v=4.0@4", "2:error at column 5"), parse(buffers, chunked("d v=4 4\ne v=", 3)));
        assertEquals(List.of(), parse(buffers, ByteString.emptyByteString()));
        assertEquals(1, buffers.kept());
    }

    @Test
    void aBodyOverTheLimitIsParsedFromAnArrayOfItsOwnAndNothingLargerIsKept() {
        LineBuffers buffers = new LineBuffers(2, 16);
        String large = "m v=1 1\nm v=2 2\nm v=3 3\n"; // 24 bytes, over the 16 a kept buffer may hold
        assertEquals(List.of("1:m,v=1.0@1", "2:m,v=2.0@2", "3:m,v=3.0@3"), parse(buffers, chunked(large, 7)));
        assertEquals(0, buffers.kept());
        assertEquals(List.of("1:m,v=1.0@1"), parse(buffers, chunked("m v=1 1", 2)));
        assertEquals(1, buffers.kept());
    }

    @Test
    void aBodyThatIsOneArrayAlreadyIsParsedWhereItIsWithoutTakingABuffer() {
        LineBuffers buffers = new LineBuffers(1, 1 << 10);
        byte[] gunzipped = "m v=1 1\nm v=2 2".getBytes(StandardCharsets.UTF_8);
        assertEquals(List.of("1:m,v=1.0@1", "2:m,v=2.0@2"), parse(buffers, ByteString.fromArrayUnsafe(gunzipped)));
        assertEquals(0, buffers.kept());
        // A compact piece of a larger array is not the whole array: copied.
        ByteString piece = ByteString.fromArrayUnsafe(gunzipped, 8, 7);
        assertEquals(List.of("1:m,v=2.0@2"), parse(buffers, piece));
    }

    @Test
    void aSinkThatFailsStillGivesTheBufferBack() {
        LineBuffers buffers = new LineBuffers(1, 1 << 10);
        LineProtocol.Sink failing = new LineProtocol.Sink() {
            @Override
            public void point(int line, LineProtocol.Series series, LineProtocol.Fields fields, long time) {
                throw new IllegalStateException("refused");
            }

            @Override
            public void error(LineProtocolError error) {}
        };
        org.junit.jupiter.api.Assertions.assertThrows(
                IllegalStateException.class,
                () -> buffers.parse(chunked("m v=1 1", 3), Precision.NANOSECONDS, 0, failing));
        assertEquals(1, buffers.kept());
        assertEquals(List.of("1:m,v=1.0@1"), parse(buffers, chunked("m v=1 1", 3)));
    }
}
