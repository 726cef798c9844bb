package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class RequestTargetTest {

    @Test
    void keepsDotSegmentsAsNames() {
        assertEquals(List.of("api", "v1", "db", "c", ".."), RequestTarget.segments("/api/v1/db/c/.."));
        assertEquals(List.of("api", "v1", "db", "c", ".."), RequestTarget.segments("/api/v1/db/c/%2e%2E"));
        assertEquals(List.of("api", "v1", "db", "c", "."), RequestTarget.segments("/api/v1/db/c/%2e?x=1"));
    }

    @Test
    void keepsEmptySegments() {
        assertEquals(List.of("api", "v1", "db", "c", ""), RequestTarget.segments("/api/v1/db/c/"));
        assertEquals(List.of("api", "", "v1"), RequestTarget.segments("/api//v1"));
        assertEquals(List.of(), RequestTarget.segments("/"));
    }

    @Test
    void decodesPercentEncodedUtf8() {
        assertEquals(List.of("a/b", "é", "+ "), RequestTarget.segments("/a%2Fb/%C3%A9/+%20"));
        assertEquals(List.of("api", "v1"), RequestTarget.segments("http://127.0.0.1:8080/api/v1?q"));
    }

    @Test
    void refusesTargetsThatAreNotPathsOrNotUtf8() {
        for (String bad : List.of("*", "api/v1", "/a/%ff", "/a/%c0%ae", "/a/%2", "/a/%zz", "/a/%ed%a0%80")) {
            ApiException e = assertThrows(ApiException.class, () -> RequestTarget.segments(bad), bad);
            assertEquals(400, e.status);
            assertEquals("invalid-path", e.type);
        }
    }
}
