package io.lumadb.security.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.security.Principal;
import io.lumadb.security.RoleBinding;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.Names;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The entries' JSON and their ids: valid, unique, and in time order as {@code _docs} lists them. */
class AuditEntriesTest {

    private static final Principal ADA =
            new Principal(Principal.Kind.API_KEY, "ada", "k1", List.of(RoleBinding.everywhere("read")));

    @Test
    void anEntryHasTimeKindOutcomePrincipalClientNodeAndDetails() throws Exception {
        AuditEntries entries = new AuditEntries("10.0.0.7:25520");
        AuditEvent denied = AuditEvent.denied(
                ADA,
                Permission.of(Action.WRITE, Scope.COLLECTION),
                Map.of("db", "shop", "collection", "orders"),
                "PUT /api/v1/{db}/{collection}/{id}",
                "192.0.2.1");
        JsonNode doc = DocumentJson.mapper().readTree(entries.bytes(denied));
        assertTrue(
                doc.path("time").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"),
                doc.toString());
        assertEquals(denied.timeMillis(), doc.path("timeMillis").asLong());
        assertEquals("denied", doc.path("kind").asText());
        assertEquals("denied", doc.path("outcome").asText());
        assertEquals("ada", doc.path("principal").path("name").asText());
        assertEquals("api-key", doc.path("principal").path("kind").asText());
        assertEquals("k1", doc.path("principal").path("key").asText());
        assertEquals("192.0.2.1", doc.path("client").asText());
        assertEquals("10.0.0.7:25520", doc.path("node").asText());
        assertEquals("write", doc.path("details").path("permission").asText());
        assertEquals("db:shop/orders", doc.path("details").path("resource").asText());
        assertEquals(
                "PUT /api/v1/{db}/{collection}/{id}",
                doc.path("details").path("route").asText());
    }

    @Test
    void aMillisecondOnTheSecondStillHasThreeDigits() throws Exception {
        AuditEvent e = new AuditEvent(1_767_225_600_000L, AuditEvent.Kind.LOGIN, null, null, Map.of());
        JsonNode doc = DocumentJson.mapper().readTree(new AuditEntries("n:1").bytes(e));
        assertEquals("2026-01-01T00:00:00.000Z", doc.path("time").asText());
        assertTrue(doc.path("principal").isNull());
        assertTrue(doc.path("client").isNull());
    }

    @Test
    void aFailedLoginNamesTheUserTriedAndTheReasonButNoSecret() throws Exception {
        AuditEvent failed = AuditEvent.loginFailed(
                new AuditEvent.Who("mallory", "user", null), "basic", "wrong user name or password", "192.0.2.9");
        String json = new String(new AuditEntries("n:1").bytes(failed), StandardCharsets.UTF_8);
        JsonNode doc = DocumentJson.mapper().readTree(json);
        assertEquals("login-failed", doc.path("kind").asText());
        assertEquals("failure", doc.path("outcome").asText());
        assertEquals("mallory", doc.path("principal").path("name").asText());
        assertEquals(
                "wrong user name or password",
                doc.path("details").path("reason").asText());
        assertFalse(json.contains("password\":"), json);
    }

    @Test
    void idsAreValidDocumentIdsAndSortByTimeEvenWhenTheClockGoesBack() {
        AuditEntries entries = new AuditEntries("fe80::1%eth0:25520");
        List<String> ids = new ArrayList<>();
        long[] times = {1000, 1000, 1000, 999, 2000, 1500, 2000, 2001};
        for (long t : times) {
            ids.add(entries.nextId(t));
        }
        for (String id : ids) {
            Names.checkDocumentId(id);
            assertFalse(id.contains("/"), id);
        }
        assertEquals(ids.size(), ids.stream().distinct().count(), ids.toString());
        List<String> sorted = new ArrayList<>(ids);
        sorted.sort((a, b) ->
                Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));
        assertEquals(ids, sorted, "made in order, listed in order");
        assertEquals(1000L, AuditEntries.millisOf(ids.get(0)).orElseThrow());
        assertEquals(
                1000L, AuditEntries.millisOf(ids.get(3)).orElseThrow(), "a clock stepped back keeps the last millis");
        assertTrue(ids.get(4).compareTo(AuditEntries.firstIdAt(2000)) > 0);
        assertTrue(ids.get(3).compareTo(AuditEntries.firstIdAt(2000)) < 0, "retention cuts by id prefix");
    }

    @Test
    void tenThousandEntriesInOneMillisecondMoveTheMillisOn() {
        AuditEntries entries = new AuditEntries("n:1");
        String last = null;
        for (int i = 0; i < 10_001; i++) {
            String id = entries.nextId(5000);
            if (last != null) {
                assertTrue(id.compareTo(last) > 0, last + " then " + id);
            }
            last = id;
        }
        assertEquals(5001L, AuditEntries.millisOf(last).orElseThrow());
    }
}
