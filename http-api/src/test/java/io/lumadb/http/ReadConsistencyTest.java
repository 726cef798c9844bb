package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.junit.jupiter.api.Test;

/** The {@code consistency} parameter of a document read. */
class ReadConsistencyTest {

    @Test
    void aReadIsLocalUnlessItAsksForLinearizable() {
        assertFalse(DocumentsResource.linearizable(HttpRequest.GET("/api/v1/db/c/k")));
        assertFalse(DocumentsResource.linearizable(HttpRequest.GET("/api/v1/db/c/k?consistency=local")));
        assertTrue(DocumentsResource.linearizable(HttpRequest.GET("/api/v1/db/c/k?consistency=linearizable")));
    }

    @Test
    void anUnknownConsistencyIsABadRequestNamingTheParameter() {
        ApiException e = assertThrows(
                ApiException.class,
                () -> DocumentsResource.linearizable(HttpRequest.GET("/api/v1/db/c/k?consistency=strong")));
        assertEquals(400, e.status);
        assertEquals("invalid-parameter", e.type);
        assertEquals("consistency", e.field);
        assertTrue(e.getMessage().contains("'strong'"), e.getMessage());
    }
}
