package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.shards.model.DocumentWrite;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.Test;

class PreconditionsTest {

    private static HttpRequest with(String... headers) {
        HttpRequest request = HttpRequest.PUT("/api/v1/db/c/a");
        for (int i = 0; i < headers.length; i += 2) {
            request = request.addHeader(RawHeader.create(headers[i], headers[i + 1]));
        }
        return request;
    }

    @Test
    void theHeadersOfAWriteNameItsPrecondition() {
        assertEquals(DocumentWrite.ANY, Preconditions.ofWrite(with()));
        assertEquals(12, Preconditions.ofWrite(with("If-Match", "\"12\"")));
        assertEquals(12, Preconditions.ofWrite(with("If-Match", " 12 ")));
        assertEquals(DocumentWrite.EXISTS, Preconditions.ofWrite(with("If-Match", "*")));
        assertEquals(DocumentWrite.ABSENT, Preconditions.ofWrite(with("If-None-Match", "*")));
    }

    @Test
    void refusesPreconditionsItCannotKeep() {
        for (String[] headers : new String[][] {
            {"If-Match", "\"0\""},
            {"If-Match", "\"-3\""},
            {"If-Match", "W/\"3\""},
            {"If-Match", "\"1\", \"2\""},
            {"If-Match", "abc"},
            {"If-None-Match", "\"3\""},
            {"If-Match", "1", "If-None-Match", "*"}
        }) {
            ApiException e = assertThrows(ApiException.class, () -> Preconditions.ofWrite(with(headers)));
            assertEquals(400, e.status, String.join(" ", headers));
            assertEquals("invalid-header", e.type);
        }
    }

    @Test
    void ifNoneMatchOnReadsTakesListsWeakTagsAndAStar() {
        assertTrue(Preconditions.matchesEtag("\"4\"", 4));
        assertTrue(Preconditions.matchesEtag("\"1\", W/\"4\"", 4));
        assertTrue(Preconditions.matchesEtag("*", 4));
        assertFalse(Preconditions.matchesEtag("\"40\"", 4));
        assertFalse(Preconditions.matchesEtag("4", 4));
        assertEquals("\"7\"", Preconditions.etag(7).value());
    }
}
