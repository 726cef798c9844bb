package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** The hand-written scans of a request head: where it ends, and a Content-Length that is not a number. */
class ConnectionGuardHeadTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void theHeadEndsAtItsBlankLine() {
        assertEquals(14, ConnectionGuard.headEnd(b("GET / HTTP/1.1\r\n\r\nbody")));
        assertEquals(14, ConnectionGuard.headEnd(b("GET / HTTP/1.1\n\nbody")));
        assertEquals(23, ConnectionGuard.headEnd(b("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
        assertEquals(-1, ConnectionGuard.headEnd(b("GET / HTTP/1.1\r\nHost: x\r\n")));
        assertEquals(-1, ConnectionGuard.headEnd(b("GET / HTTP/1.1\r\nHost: x\r\n\r")));
        assertEquals(-1, ConnectionGuard.headEnd(b("")));
        assertEquals(0, ConnectionGuard.headEnd(b("\n\n")));
    }

    @Test
    void aHeadThatArrivesInPiecesEndsWhereTheWholeWouldEnd() {
        for (String whole :
                List.of("GET / HTTP/1.1\r\nHost: x\r\n\r\nbody", "GET / HTTP/1.1\nHost: x\n\nbody", "\r\n\r\n")) {
            int expected = ConnectionGuard.headEnd(b(whole));
            for (int piece = 1; piece <= 4; piece++) {
                ByteString seen = ByteString.emptyByteString();
                int end = -1;
                for (int at = 0; at < whole.length() && end < 0; at += piece) {
                    ByteString bytes = ByteString.fromString(
                            whole.substring(at, Math.min(whole.length(), at + piece)), StandardCharsets.ISO_8859_1);
                    end = ConnectionGuard.headEnd(seen, bytes);
                    seen = seen.concat(bytes);
                }
                assertEquals(expected, end, "pieces of " + piece + " of " + whole.replace("\r", "\\r"));
            }
        }
    }

    @Test
    void aContentLengthThatIsNotAllDigitsIsReported() {
        String head = "PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n";
        assertNull(invalid(head.formatted("77")));
        assertNull(invalid(head.formatted(" 77 \t")));
        assertEquals("7 7", invalid(head.formatted("7 7")));
        assertEquals("", invalid(head.formatted("")));
        assertEquals("-1", invalid(head.formatted("-1")));
        assertEquals("12a", invalid("PUT /a HTTP/1.1\ncontent-LENGTH:12a\n"));
        assertNull(invalid("PUT /a HTTP/1.1\r\nX-Content-Length: no\r\nContent-Lengthy: 1\r\n"));
        // Only the head counts: a body line after the blank line is not a header.
        String whole = "PUT /a HTTP/1.1\r\nContent-Length: 20\r\n\r\nContent-Length: x\r\n";
        assertNull(ConnectionGuard.invalidContentLength(b(whole), ConnectionGuard.headEnd(b(whole))));
    }

    private static String invalid(String head) {
        return ConnectionGuard.invalidContentLength(b(head), head.length());
    }
}
