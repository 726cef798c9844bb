package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.RawHttp;
import io.lumadb.testkit.TestHttp;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Thousands of malformed requests (seeded: {@code -Dfuzz.seed=N} replays a run, {@code
 * -Dfuzz.seed=random} makes a new one, {@code -Dfuzz.requests=N} sets its length) against a real node. Every one must be answered, never
 * with a 5xx, every 4xx must be a problem+json; the only documents written are the ones the
 * node acknowledged (each acknowledged write is exactly one change event); and every stored
 * document reads back as valid UTF-8 JSON.
 */
@Timeout(600)
class FuzzIT {

    /** Fixed by default, so a run in CI is repeatable; {@code -Dfuzz.seed=random} explores. */
    private static final long SEED = seed(System.getProperty("fuzz.seed", "20261202"));

    private static final int REQUESTS = Integer.getInteger("fuzz.requests", 5000);
    private static final String DB = "fuzz";

    private static InProcessServer server;
    private static TestHttp http;

    private static long seed(String value) {
        return value.equals("random") ? System.nanoTime() : Long.parseLong(value);
    }

    @BeforeAll
    static void start() throws Exception {
        server = new InProcessServer(
                Map.of("lumadb.limits.max-document-bytes", "64 KiB", "lumadb.limits.max-request-bytes", "256 KiB"));
        http = server.http();
        assertEquals(201, http.method("PUT", "/api/v1/" + DB, null, null).status());
        for (String c : List.of("a", "b")) {
            assertEquals(
                    201, http.put("/api/v1/" + DB + "/" + c, "{\"shards\":2}").status());
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void malformedRequestsAreAnsweredWith4xxAndWriteNothing() throws Exception {
        System.out.println("FuzzIT seed " + SEED + " (rerun with -Dfuzz.seed=" + SEED + ")");
        MalformedRequests requests = new MalformedRequests(SEED, server.port(), DB, List.of("a", "b"));
        RawHttp raw = new RawHttp(server.port());
        long acknowledgedWrites = 0;
        Map<String, Integer> statuses = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < REQUESTS && failures.size() < 10; i++) {
            MalformedRequests.Case c = requests.next();
            RawHttp.Answer a = raw.exchange(c.bytes(), 15_000);
            statuses.merge(c.kind() + " " + a.status(), 1, Integer::sum);
            if (a.status() < 0) {
                failures.add("#" + i + " no answer (connection closed or silent): " + c.printable());
            } else if (a.status() >= 500) {
                failures.add("#" + i + " " + a.status() + " " + a.text() + " for " + c.printable());
            } else if (a.status() >= 400 && !a.isProblem() && !c.method().equals("HEAD")) {
                failures.add("#" + i + " " + a.status() + " without problem+json (" + a.header("content-type") + "): "
                        + a.text() + " for " + c.printable());
            } else if (a.status() < 300) {
                acknowledgedWrites += documentWrites(c, a);
            }
        }
        System.out.println("FuzzIT answers by kind and status: " + statuses);
        if (!failures.isEmpty()) {
            fail("seed " + SEED + ":\n" + String.join("\n", failures));
        }
        assertEquals(200, http.get("/health").status(), "the node must still be up");
        List<String> collections = collections();
        assertEquals(
                acknowledgedWrites,
                changeEvents(collections),
                "seed " + SEED
                        + ": the change streams must hold exactly the acknowledged writes, nothing from a rejected request");
        for (String c : collections) {
            everyDocumentIsValidUtf8Json("/api/v1/" + DB + "/" + c);
        }
    }

    /** The document writes an acknowledged answer stands for. */
    private static long documentWrites(MalformedRequests.Case c, RawHttp.Answer a) {
        if (!c.writes()) {
            return 0;
        }
        String path = c.target().split("[?#]", 2)[0];
        List<String> segments = List.of(path.split("/", -1));
        // "", "api", "v1", db, collection, id|_bulk
        if (segments.size() != 6 || !segments.get(3).equals(DB)) {
            return 0;
        }
        String last = segments.get(5);
        if (last.equals("_bulk") && c.method().equals("POST")) {
            long written = 0;
            for (JsonNode item : a.json().path("items")) {
                int status = item.path("status").asInt();
                written += status == 200 || status == 201 ? 1 : 0;
            }
            return written;
        }
        return last.startsWith("_") || c.method().equals("POST") ? 0 : 1;
    }

    private static List<String> collections() {
        List<String> names = new ArrayList<>();
        for (JsonNode c : http.get("/api/v1/" + DB).json().path("collections")) {
            names.add(c.path("name").asText());
        }
        return names;
    }

    /** Every change event of these collections, from the beginning. */
    private static long changeEvents(List<String> collections) {
        long events = 0;
        for (String c : collections) {
            String from = "beginning";
            while (true) {
                TestHttp.Response page = http.get("/api/v1/" + DB + "/" + c + "/_changes?from=" + from + "&limit=1000");
                assertEquals(200, page.status(), page.toString());
                long lines = page.body().lines().filter(l -> !l.isBlank()).count();
                events += lines;
                if (lines == 0) {
                    break;
                }
                from = page.header("LumaDB-Next-Token");
            }
        }
        return events;
    }

    private static void everyDocumentIsValidUtf8Json(String collection) throws Exception {
        RawHttp raw = new RawHttp(server.port());
        String after = "";
        while (true) {
            RawHttp.Answer page =
                    raw.send("GET", collection + "/_docs?limit=100&after=" + RequestEncoding.pathSegment(after), null);
            assertEquals(200, page.status(), page.toString());
            JsonNode docs = TestHttp.JSON.readTree(strictUtf8(page.body(), collection + "/_docs"));
            for (JsonNode doc : docs.path("docs")) {
                String id = doc.path("_id").asText();
                RawHttp.Answer one = raw.send("GET", collection + "/" + RequestEncoding.pathSegment(id), null);
                assertEquals(200, one.status(), "document " + id + ": " + one);
                JsonNode parsed = TestHttp.JSON.readTree(strictUtf8(one.body(), collection + "/" + id));
                assertTrue(parsed.isObject(), parsed.toString());
                assertEquals(id, parsed.path("_id").asText());
                assertEquals(doc, parsed, "a document reads back the same through _docs and GET");
            }
            if (docs.path("next").isNull()) {
                return;
            }
            after = docs.path("next").asText();
        }
    }

    /** The bytes as text; fails unless they are valid UTF-8. */
    private static String strictUtf8(byte[] bytes, String what) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new AssertionError(what + " is not valid UTF-8: " + e);
        }
    }

    /** Percent-encoding of a path segment or query value: everything but unreserved characters. */
    private static final class RequestEncoding {
        static String pathSegment(String s) {
            StringBuilder out = new StringBuilder();
            for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                int c = b & 0xFF;
                if ((c >= 'a' && c <= 'z')
                        || (c >= 'A' && c <= 'Z')
                        || (c >= '0' && c <= '9')
                        || "-._~".indexOf(c) >= 0) {
                    out.append((char) c);
                } else {
                    out.append('%').append(String.format("%02X", c));
                }
            }
            return out.toString();
        }
    }
}
