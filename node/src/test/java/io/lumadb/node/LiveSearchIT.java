package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.cdc.ResumeToken;
import io.lumadb.testkit.SseClient;
import io.lumadb.testkit.SseRecorder;
import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.WsClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Live top k over SSE and WebSocket under a running writer: the client keeps a model of the top
 * k from the initial {@code result} rows and the {@code added}, {@code changed} and {@code
 * removed} rows (each row must make sense against the model: nothing added twice, nothing removed
 * or changed that is not there), and whenever the writer pauses and the stream has passed the
 * writes, the model equals a fresh search: the same documents, in the same order, at the same
 * versions.
 */
@Timeout(180)
class LiveSearchIT {

    private static final String KNN = "{\"knn\":{\"index\":\"v\",\"vector\":[0,0]},\"k\":5}";
    private static final String TEXT = "{\"text\":{\"index\":\"t\",\"query\":\"alpha OR beta\"},\"k\":4}";

    /** One member of the client's model. */
    private record Member(int rank, long version) {}

    /** The client's model, fed by one subscription's rows. */
    private static final class Model {
        final Map<String, Member> members = new TreeMap<>();
        final List<String> problems = new ArrayList<>();
        String token;
        int applied;
        int moves;

        void apply(String type, JsonNode data) {
            String id = data.path("id").asText();
            switch (type) {
                case "result", "added" -> {
                    if (members.containsKey(id)) {
                        problems.add(type + " of " + id + ", already in the top k");
                    }
                    members.put(
                            id,
                            new Member(
                                    data.path("rank").asInt(),
                                    data.path("version").asLong()));
                }
                case "changed" -> {
                    if (!members.containsKey(id)) {
                        problems.add("changed " + id + ", not in the top k");
                    }
                    members.put(
                            id,
                            new Member(
                                    data.path("rank").asInt(),
                                    data.path("version").asLong()));
                }
                case "removed" -> {
                    if (members.remove(id) == null) {
                        problems.add("removed " + id + ", not in the top k");
                    }
                }
                default -> {}
            }
            if (data.has("token")) {
                token = data.path("token").asText();
            }
            if (type.equals("added") || type.equals("changed") || type.equals("removed")) {
                moves++;
            }
        }

        /** The ids in rank order. */
        List<String> ranked() {
            List<Map.Entry<String, Member>> all = new ArrayList<>(members.entrySet());
            all.sort(java.util.Comparator.comparingInt(e -> e.getValue().rank()));
            return all.stream().map(Map.Entry::getKey).toList();
        }
    }

    private static void feed(Model model, SseRecorder sse) throws Exception {
        List<SseClient.Event> events = sse.events();
        for (int i = model.applied; i < events.size(); i++) {
            SseClient.Event e = events.get(i);
            model.apply(e.type(), TestHttp.JSON.readTree(e.data()));
        }
        model.applied = events.size();
    }

    private static boolean reached(String token, JsonNode positions) {
        if (token == null) {
            return false;
        }
        long[] seqs = ResumeToken.decode(token).seqs();
        for (var e : positions.properties()) {
            if (seqs[Integer.parseInt(e.getKey())] < e.getValue().asLong()) {
                return false;
            }
        }
        return true;
    }

    private static String vector(Random random) {
        return "[" + (random.nextInt(200) - 100) / 10.0 + "," + (random.nextInt(200) - 100) / 10.0 + "]";
    }

    @Test
    void theTopKOfALiveSearchAlwaysEqualsAFreshSearchOnceTheStreamPassedTheWrites() throws Exception {
        try (InProcessServer node = new InProcessServer(
                Map.of("lumadb.cdc.heartbeat", "200ms", "lumadb.search.refresh-interval", "200ms"))) {
            TestHttp http = node.http();
            String c = http.freshCollection("live", 2);
            assertEquals(
                    201,
                    http.put(
                                    c + "/_indexes/v",
                                    "{\"type\":\"vector\",\"path\":\"v\",\"dimension\":2,\"similarity\":\"euclidean\"}")
                            .status());
            assertEquals(
                    201,
                    http.put(c + "/_indexes/t", "{\"type\":\"text\",\"path\":\"t\"}")
                            .status());
            Random random = new Random(11);
            String[] words = {"alpha", "beta", "gamma", "delta"};
            for (int i = 0; i < 30; i++) {
                http.putDocument(
                        c,
                        "d" + i,
                        "{\"v\":" + vector(random) + ",\"t\":\"" + words[i % 4] + " " + words[(i / 4) % 4] + "\"}");
            }
            Map<String, String> searches = new LinkedHashMap<>();
            searches.put("knn", KNN);
            searches.put("text", TEXT);
            Map<String, SseRecorder> streams = new LinkedHashMap<>();
            Map<String, Model> models = new LinkedHashMap<>();
            WsClient ws = new WsClient(node.port());
            try {
                for (var s : searches.entrySet()) {
                    streams.put(
                            s.getKey(),
                            new SseRecorder(
                                    http.url(c + "/_live?search="
                                            + URLEncoder.encode(s.getValue(), StandardCharsets.UTF_8)),
                                    null));
                    models.put(s.getKey(), new Model());
                }
                ws.send("{\"op\":\"subscribe\",\"sub\":\"w\",\"type\":\"live\",\"db\":\"" + c.split("/")[3]
                        + "\",\"collection\":\"c\",\"search\":" + KNN + "}");
                Model wsModel = new Model();
                models.put("ws", wsModel);

                AtomicBoolean writing = new AtomicBoolean();
                int next = 30;
                for (int round = 0; round < 8; round++) {
                    // A burst of writes: inserts, moves toward and away from the query, deletes, text edits.
                    writing.set(true);
                    for (int w = 0; w < 25; w++) {
                        int op = random.nextInt(10);
                        String id = "d" + random.nextInt(next);
                        if (op < 3) {
                            id = "d" + next++;
                            http.putDocument(
                                    c, id, "{\"v\":" + vector(random) + ",\"t\":\"" + words[random.nextInt(4)] + "\"}");
                        } else if (op < 7) {
                            http.method(
                                    "PATCH",
                                    c + "/" + id,
                                    "application/merge-patch+json",
                                    "{\"v\":" + vector(random) + "}");
                        } else if (op < 8) {
                            http.method(
                                    "PATCH",
                                    c + "/" + id,
                                    "application/merge-patch+json",
                                    "{\"t\":\"" + words[random.nextInt(4)] + " " + words[random.nextInt(4)] + "\"}");
                        } else {
                            http.delete(c + "/" + id);
                        }
                    }
                    writing.set(false);
                    // The writer pauses: every model must come to equal a fresh search.
                    for (var s : searches.entrySet()) {
                        check(
                                http,
                                c,
                                s.getValue(),
                                models.get(s.getKey()),
                                () -> feed(models.get(s.getKey()), streams.get(s.getKey())));
                    }
                    check(http, c, KNN, wsModel, () -> {
                        JsonNode m;
                        while ((m = ws.poll("w", java.time.Duration.ofMillis(50))) != null) {
                            wsModel.apply(m.path("event").asText(), m);
                        }
                    });
                }
                for (var m : models.entrySet()) {
                    assertEquals(List.of(), m.getValue().problems, m.getKey());
                    assertTrue(m.getValue().moves > 10, m.getKey() + " saw only " + m.getValue().moves + " rows move");
                }
                assertFalse(writing.get());
            } finally {
                for (SseRecorder r : streams.values()) {
                    r.close();
                }
                ws.close();
            }
        }
    }

    @FunctionalInterface
    private interface Feed {
        void run() throws Exception;
    }

    private static void check(TestHttp http, String c, String search, Model model, Feed feed) throws Exception {
        var fresh = http.method("POST", c + "/_search", "application/json", withWait(search));
        assertEquals(200, fresh.status(), fresh.toString());
        List<String> expected = new ArrayList<>();
        Map<String, Long> versions = new LinkedHashMap<>();
        fresh.json().path("hits").forEach(h -> {
            expected.add(h.path("_id").asText());
            versions.put(
                    h.path("_id").asText(), h.path("document").path("_version").asLong());
        });
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (true) {
            feed.run();
            if (reached(model.token, fresh.json().path("positions"))
                    && model.ranked().equals(expected)) {
                break;
            }
            assertTrue(
                    System.nanoTime() < deadline,
                    "the live top k " + model.ranked() + " (at " + model.token + ") never equalled a fresh search "
                            + expected + " at " + fresh.json().path("positions"));
            Thread.sleep(50);
        }
        for (String id : expected) {
            assertEquals(versions.get(id), model.members.get(id).version(), id + " in " + search);
        }
        assertEquals(List.of(), model.problems, search);
    }

    private static String withWait(String search) {
        return search.substring(0, search.length() - 1) + ",\"wait\":true}";
    }
}
