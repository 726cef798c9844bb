package io.lumadb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestFiles;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real node (security on) and the real {@code bin/lumadb} run against it as a separate process
 * with its own configuration and state directories. Closing it stops the node and deletes
 * everything it made.
 */
final class CliFixture implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    final NodeProcess node;
    final String password;
    final Path home;
    private final HttpClient http = HttpClient.newHttpClient();

    CliFixture(String name) throws IOException, InterruptedException {
        dir = Files.createTempDirectory("lumadb-cli-" + name);
        home = Files.createDirectories(dir.resolve("home"));
        NodeProcess n = null;
        try {
            n = NodeProcess.builder(dir.resolve("data"))
                    .name(name)
                    .securityOn()
                    .heap("1g")
                    .build();
            n.start();
            password =
                    Files.readString(dir.resolve("data/initial-admin-password")).strip();
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (n != null) {
                n.destroy();
            }
            TestFiles.deleteRecursively(dir);
            throw e;
        }
        node = n;
    }

    /** What a run of bin/lumadb did. */
    record Run(int exit, String out, String err) {
        Run ok() {
            assertEquals(0, exit, () -> "exit " + exit + "\nstdout: " + out + "\nstderr: " + err);
            return this;
        }

        Run exits(int code) {
            assertEquals(code, exit, () -> "exit " + exit + "\nstdout: " + out + "\nstderr: " + err);
            return this;
        }

        JsonNode json() throws IOException {
            return JSON.readTree(out);
        }
    }

    /** The environment of a signed-in admin on this node. */
    Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("LUMADB_URL", node.baseUrl().toString());
        env.put("LUMADB_USER", "admin");
        env.put("LUMADB_PASSWORD", password);
        return env;
    }

    Run lumadb(String... args) throws IOException, InterruptedException {
        return run(env(), null, args);
    }

    Run lumadbWithInput(Path stdin, String... args) throws IOException, InterruptedException {
        return run(env(), stdin, args);
    }

    static Path script() {
        return Path.of(System.getProperty("lumadb.root", ".."))
                .resolve("bin/lumadb")
                .toAbsolutePath();
    }

    Run run(Map<String, String> env, Path stdin, String... args) throws IOException, InterruptedException {
        ProcessBuilder pb = process(env, args);
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.redirectInput(
                stdin == null
                        ? ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))
                        : ProcessBuilder.Redirect.from(stdin.toFile()));
        Process p = pb.start();
        try {
            assertTrue(p.waitFor(10, TimeUnit.MINUTES), "bin/lumadb " + String.join(" ", args) + " did not end");
            return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    ProcessBuilder process(Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>();
        command.add(script().toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("LUMADB_"));
        pb.environment().put("HOME", home.toString());
        pb.environment().put("XDG_CONFIG_HOME", home.resolve(".config").toString());
        pb.environment().put("XDG_STATE_HOME", home.resolve(".state").toString());
        pb.environment().putAll(env);
        return pb;
    }

    /** A direct request to the node (as admin), for setting up and checking outside the command line. */
    JsonNode api(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url(path)))
                .header("Authorization", io.lumadb.testkit.TestHttp.basic("admin", password))
                .header("Content-Type", "application/json")
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertTrue(r.statusCode() < 300, () -> method + " " + path + ": " + r.statusCode() + " " + r.body());
        return r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
    }

    /**
     * The documents of a collection as its change stream says they are after every change up to
     * the position {@code token} (each shard's changes up to the token's sequence number for it):
     * id to document without {@code _version}.
     */
    Map<String, JsonNode> fold(String db, String coll, String token) throws IOException, InterruptedException {
        long[] upTo = io.lumadb.cdc.ResumeToken.decode(token).seqs();
        return fold(
                db,
                coll,
                source ->
                        source.path("seq").asLong() <= upTo[source.path("shard").asInt()]);
    }

    /** As {@link #fold(String, String, String)}, for the changes committed at or before {@code millis}. */
    Map<String, JsonNode> foldUntil(String db, String coll, long millis) throws IOException, InterruptedException {
        return fold(db, coll, source -> source.path("ts_ms").asLong() <= millis);
    }

    private Map<String, JsonNode> fold(String db, String coll, java.util.function.Predicate<JsonNode> sourceIn)
            throws IOException, InterruptedException {
        Map<String, JsonNode> docs = new HashMap<>();
        for (JsonNode c : changes(db, coll)) {
            JsonNode source = c.path("source");
            if (!sourceIn.test(source)) {
                continue;
            }
            String id = source.path("id").asText();
            if (c.path("op").asText().equals("d")) {
                docs.remove(id);
            } else {
                com.fasterxml.jackson.databind.node.ObjectNode after =
                        c.get("after").deepCopy();
                after.remove("_version");
                docs.put(id, after);
            }
        }
        return docs;
    }

    /** Every change of a collection so far, from the beginning, read with the NDJSON pull form. */
    List<JsonNode> changes(String db, String coll) throws IOException, InterruptedException {
        List<JsonNode> changes = new ArrayList<>();
        String from = "beginning";
        while (true) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(
                            node.url("/api/v1/" + db + "/" + coll + "/_changes?from=" + from + "&limit=1000&wait=0")))
                    .header("Authorization", io.lumadb.testkit.TestHttp.basic("admin", password))
                    .header("Accept", "application/x-ndjson")
                    .build();
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            int n = 0;
            for (String line : r.body().split("\n")) {
                if (!line.isBlank()) {
                    changes.add(JSON.readTree(line));
                    n++;
                }
            }
            String next = r.headers().firstValue("LumaDB-Next-Token").orElseThrow();
            if (n == 0 || next.equals(from)) {
                return changes;
            }
            from = next;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            node.destroy();
        } finally {
            TestFiles.deleteRecursively(dir);
        }
    }
}
