package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.TestHttp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Row- and field-level rules hold for searches as for every read: a caller's row filter is part
 * of the search's filter (it never ranks, let alone returns, a document it may not read, and
 * still gets k hits when k of its documents match), hidden fields are stripped, and a search
 * that names a hidden field, or searches an index over one, is refused. Without the query
 * permission a search is refused outright.
 */
@Timeout(120)
class SearchSecurityIT {

    private static final String ADMIN_PASSWORD = "admin-pw-1234";
    private static final String DOCS = "/api/v1/srch/docs";

    private static Map<String, Object> secured() {
        Map<String, Object> s = InProcessServer.secured(ADMIN_PASSWORD);
        return s;
    }

    private static List<String> ids(JsonNode answer) {
        List<String> ids = new ArrayList<>();
        answer.path("hits").forEach(h -> ids.add(h.path("_id").asText()));
        return ids;
    }

    private static void ok(TestHttp.Response r) {
        assertTrue(r.status() == 200 || r.status() == 201, r.toString());
    }

    @Test
    void searchesSeeOnlyWhatTheCallersRulesAllow() throws Exception {
        try (InProcessServer node = new InProcessServer(secured())) {
            TestHttp admin = node.http().asUser("admin", ADMIN_PASSWORD);
            ok(admin.method("PUT", "/api/v1/srch", null, null));
            ok(admin.put(DOCS, "{\"shards\":2}"));
            ok(admin.put(
                    DOCS + "/_indexes/emb",
                    "{\"type\":\"vector\",\"path\":\"emb\",\"dimension\":2,\"similarity\":\"euclidean\"}"));
            ok(admin.put(DOCS + "/_indexes/words", "{\"type\":\"text\",\"path\":\"body\"}"));
            ok(admin.put(DOCS + "/_indexes/secrets", "{\"type\":\"text\",\"path\":\"secret\"}"));
            StringBuilder bulk = new StringBuilder("[");
            for (int i = 0; i < 40; i++) {
                bulk.append(i == 0 ? "" : ",")
                        .append("{\"id\":\"d")
                        .append(i)
                        .append("\",\"doc\":{\"owner\":\"")
                        .append(i % 4 == 0 ? "alice" : "bob")
                        .append("\",\"emb\":[")
                        .append(i)
                        .append(",0],\"body\":\"common words\",\"secret\":\"s")
                        .append(i)
                        .append("\"}}");
            }
            ok(admin.method(
                    "POST",
                    DOCS + "/_bulk",
                    "application/json",
                    bulk.append(']').toString()));
            ok(
                    admin.put(
                            "/api/v1/_security/roles/own",
                            "{\"grants\":[{\"resource\":\"db:srch\",\"actions\":[\"read\",\"query\"]}],"
                                    + "\"rules\":[{\"resource\":\"db:srch/docs\",\"read\":{\"owner\":\"$claims.sub\"},\"hide\":[\"secret\"]}]}"));
            ok(admin.put(
                    "/api/v1/_security/roles/peek",
                    "{\"grants\":[{\"resource\":\"db:srch\",\"actions\":[\"read\"]}]}"));
            ok(admin.put("/api/v1/_security/users/alice", "{\"password\":\"alice-pw-12\",\"roles\":[\"own\"]}"));
            ok(admin.put("/api/v1/_security/users/pete", "{\"password\":\"pete-pw-123\",\"roles\":[\"peek\"]}"));
            TestHttp alice = node.http().asUser("alice", "alice-pw-12");

            // The nearest to [1,0] are d1, d0, d2...; alice owns every fourth: d0, d4, d8.
            var r = alice.method(
                    "POST",
                    DOCS + "/_search",
                    "application/json",
                    "{\"knn\":{\"index\":\"emb\",\"vector\":[1,0]},\"k\":3,\"wait\":true}");
            assertEquals(200, r.status(), r.toString());
            assertEquals(List.of("d0", "d4", "d8"), ids(r.json()), r.toString());
            for (JsonNode hit : r.json().path("hits")) {
                assertEquals("alice", hit.path("document").path("owner").asText());
                assertFalse(hit.path("document").has("secret"), "hidden fields are stripped: " + hit);
            }
            var text = alice.method(
                    "POST",
                    DOCS + "/_search",
                    "application/json",
                    "{\"text\":{\"index\":\"words\",\"query\":\"common\"},\"k\":100,\"wait\":true}");
            assertEquals(10, ids(text.json()).size(), text.toString());
            // The admin sees everything.
            var all = admin.method(
                    "POST",
                    DOCS + "/_search",
                    "application/json",
                    "{\"text\":{\"index\":\"words\",\"query\":\"common\"},\"k\":100,\"wait\":true}");
            assertEquals(40, ids(all.json()).size(), all.toString());

            // Naming a hidden field, or searching an index over one, tells its contents: refused.
            var byIndex = alice.method(
                    "POST",
                    DOCS + "/_search",
                    "application/json",
                    "{\"text\":{\"index\":\"secrets\",\"query\":\"s4\"}}");
            assertEquals(403, byIndex.status(), byIndex.toString());
            assertEquals(
                    "urn:lumadb:problem:hidden-field",
                    byIndex.json().path("type").asText());
            assertEquals("/text/index", byIndex.json().path("field").asText());
            var byFilter = alice.method(
                    "POST",
                    DOCS + "/_search",
                    "application/json",
                    "{\"text\":{\"index\":\"words\",\"query\":\"common\"},\"filter\":{\"secret\":\"s4\"}}");
            assertEquals(403, byFilter.status(), byFilter.toString());
            // Reading is not querying: a search needs the query permission.
            var peek = node.http()
                    .asUser("pete", "pete-pw-123")
                    .method(
                            "POST",
                            DOCS + "/_search",
                            "application/json",
                            "{\"text\":{\"index\":\"words\",\"query\":\"common\"}}");
            assertEquals(403, peek.status(), peek.toString());
            assertEquals(
                    "urn:lumadb:problem:forbidden", peek.json().path("type").asText(), peek.toString());
        }
    }
}
