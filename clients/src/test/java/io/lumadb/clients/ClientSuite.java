package io.lumadb.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The harness of a client library's own test suite, the same for every language: a real node
 * (security on) on a free port in a temporary directory, an admin API key made for the suite, a
 * control endpoint on 127.0.0.1 through which the suite restarts the node, and the suite's
 * command run with all of that in its environment. Closing it stops the control endpoint and
 * the node and deletes the directory, also when the suite or the start failed.
 *
 * <p>The suite's environment:
 *
 * <ul>
 *   <li>{@code LUMADB_URL}, {@code LUMADB_API_KEY} (an admin key), {@code LUMADB_USER} and
 *       {@code LUMADB_PASSWORD} (the first admin);
 *   <li>{@code LUMADB_TEST_CONTROL}: {@code POST /restart} stops the node (SIGTERM) and starts
 *       it again on the same port and data directory, answering once it is ready; {@code
 *       /stop}, {@code /start} and {@code /status} do what they say. Each answers the node's
 *       {@code {"pid", "starts", "alive"}};
 *   <li>{@code LUMADB_TEST_MAX_STREAMS} and {@code LUMADB_TEST_MAX_CONNECTIONS}: the node's
 *       streams per principal and connections per address (loopback included), small enough
 *       for a suite to reach them and see the node's 429 and 503.
 * </ul>
 */
final class ClientSuite implements AutoCloseable {

    /** Streams one principal may hold open ({@code lumadb.http.rate-limits.max-subscriptions-per-principal}). */
    static final int MAX_STREAMS = 8;

    /** Connections one address may hold ({@code lumadb.http.max-connections-per-address}), loopback too. */
    static final int MAX_CONNECTIONS = 16;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final NodeProcess node;
    private final String password;
    private final String apiKey;
    private final HttpServer control;

    private ClientSuite(Path dir, NodeProcess node, String password, String apiKey, HttpServer control) {
        this.dir = dir;
        this.node = node;
        this.password = password;
        this.apiKey = apiKey;
        this.control = control;
    }

    /** Starts a node and the control endpoint for the suite {@code name}; cleans up if that fails. */
    static ClientSuite start(String name) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("lumadb-clients-" + name);
        NodeProcess node = null;
        HttpServer control = null;
        try {
            // A copy of the distribution: a build that replaces node/target/lumadb.jar while the
            // suite runs would leave the node without classes it has not loaded yet.
            Path jar = Files.copy(NodeProcess.distributionJar(), dir.resolve("lumadb.jar"));
            node = NodeProcess.builder(dir.resolve("data"))
                    .name(name + " node")
                    .jar(jar)
                    .securityOn()
                    .heap("1g")
                    .jvmOptions(
                            "-Dlumadb.http.rate-limits.max-subscriptions-per-principal=" + MAX_STREAMS,
                            "-Dlumadb.http.max-connections-per-address=" + MAX_CONNECTIONS,
                            "-Dlumadb.http.limit-loopback-connections=on")
                    .build();
            node.start();
            awaitReady(node, Duration.ofSeconds(60));
            String password =
                    Files.readString(dir.resolve("data/initial-admin-password")).strip();
            String apiKey = createAdminKey(node, password, name);
            control = controlEndpoint(node);
            return new ClientSuite(dir, node, password, apiKey, control);
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            if (control != null) {
                control.stop(0);
            }
            if (node != null) {
                node.destroy();
            }
            TestFiles.deleteRecursively(dir);
            throw e;
        }
    }

    /** The {@code clients/} folder of the project (system property {@code lumadb.clients.dir}). */
    static Path clientsDir() {
        return Path.of(System.getProperty("lumadb.clients.dir", "."))
                .toAbsolutePath()
                .normalize();
    }

    /**
     * The absolute path of {@code command} on the PATH; fails with what to install when it is
     * missing, instead of a test failing later for a reason that hides it.
     */
    static String requireTool(String command, String install) {
        for (String entry : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(entry.isEmpty() ? "." : entry, command);
            if (Files.isExecutable(candidate)) {
                return candidate.toAbsolutePath().toString();
            }
        }
        throw new AssertionError(command + " is not on the PATH (" + System.getenv("PATH") + "); this client's tests"
                + " need it: " + install);
    }

    /** The environment the suite runs with (see the class comment). */
    Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("LUMADB_URL", node.baseUrl().toString());
        env.put("LUMADB_API_KEY", apiKey);
        env.put("LUMADB_USER", "admin");
        env.put("LUMADB_PASSWORD", password);
        env.put(
                "LUMADB_TEST_CONTROL",
                "http://127.0.0.1:" + control.getAddress().getPort());
        env.put("LUMADB_TEST_MAX_STREAMS", Integer.toString(MAX_STREAMS));
        env.put("LUMADB_TEST_MAX_CONNECTIONS", Integer.toString(MAX_CONNECTIONS));
        return env;
    }

    /** What a run of the suite's command did: its exit status and its output (stdout and stderr). */
    record Result(int exit, String output, Duration took) {}

    /**
     * Runs {@code command} in {@code directory} with {@link #environment()} added to {@code
     * extraEnv}, forwarding each line of its output to this test's output as it comes. Kills it
     * (and its children) after {@code timeout}.
     */
    Result run(Path directory, Map<String, String> extraEnv, Duration timeout, List<String> command)
            throws IOException, InterruptedException {
        Map<String, String> env = new LinkedHashMap<>(extraEnv);
        env.putAll(environment());
        return runCommand(directory, env, timeout, command);
    }

    /**
     * Runs {@code command} in {@code directory} with {@code env} and without any other {@code
     * LUMADB_} variable, forwarding each line of its output to this test's output as it comes: for
     * what needs no node (an install or a build) as much as for a suite. Kills it (and its
     * children) after {@code timeout}.
     */
    static Result runCommand(Path directory, Map<String, String> env, Duration timeout, List<String> command)
            throws IOException, InterruptedException {
        ProcessBuilder pb =
                new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("LUMADB_"));
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        String prefix = "[" + Path.of(command.getFirst()).getFileName() + "] ";
        System.out.println(prefix + "running " + String.join(" ", command) + " in " + directory);
        long started = System.nanoTime();
        Process process = pb.start();
        StringBuilder output = new StringBuilder();
        Thread pump = Thread.ofPlatform().name("suite output").start(() -> {
            try (BufferedReader lines =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    System.out.println(prefix + line);
                    synchronized (output) {
                        output.append(line).append('\n');
                    }
                }
            } catch (IOException ignored) {
                // the process was killed: its output ends here
            }
        });
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                pump.join(5_000);
                synchronized (output) {
                    throw new AssertionError(String.join(" ", command) + " did not end within " + timeout.toSeconds()
                            + " s; its output:\n" + output);
                }
            }
            pump.join(10_000);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            System.out.println(prefix + String.join(" ", command) + " took " + took.toMillis() + " ms");
            synchronized (output) {
                return new Result(process.exitValue(), output.toString(), took);
            }
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    /** The node's log, for a failure message. */
    String nodeLog() {
        try {
            return Files.readString(node.log());
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws IOException {
        try {
            control.stop(0);
        } finally {
            try {
                node.close();
            } finally {
                TestFiles.deleteRecursively(dir);
            }
        }
    }

    // ---- the node

    private static String createAdminKey(NodeProcess node, String password, String name)
            throws IOException, InterruptedException {
        String body = JSON.writeValueAsString(Map.of("name", name + "-suite", "roles", List.of("admin")));
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(node.url("/api/v1/_security/keys")))
                            .header("Authorization", TestHttp.basic("admin", password))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 201 && r.statusCode() != 200) {
                throw new IllegalStateException("creating the suite's API key: " + r.statusCode() + " " + r.body());
            }
            JsonNode secret = JSON.readTree(r.body()).path("secret");
            if (!secret.isTextual()) {
                throw new IllegalStateException("the node made a key without a secret: " + r.body());
            }
            return secret.asText();
        }
    }

    /** Waits until {@code /ready} answers 200: the catalog answers and writes can be made durable. */
    private static void awaitReady(NodeProcess node, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (HttpClient http = HttpClient.newHttpClient()) {
            String last = "no answer";
            while (System.nanoTime() < deadline) {
                try {
                    HttpResponse<String> r = http.send(
                            HttpRequest.newBuilder(URI.create(node.url("/ready")))
                                    .timeout(Duration.ofSeconds(2))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) {
                        return;
                    }
                    last = r.statusCode() + " " + r.body();
                } catch (IOException notYet) {
                    last = notYet.toString();
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException(
                    node.name() + " was not ready within " + timeout.toSeconds() + " s: " + last);
        }
    }

    // ---- the control endpoint

    /** Restart, stop, start and status of {@code node}, one at a time, on a free port of 127.0.0.1. */
    private static HttpServer controlEndpoint(NodeProcess node) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newSingleThreadExecutor(r ->
                Thread.ofPlatform().name("client suite control").daemon(true).unstarted(r)));
        server.createContext("/", exchange -> {
            try {
                if (!exchange.getRequestMethod().equals("POST")) {
                    answer(exchange, 405, Map.of("error", "POST only"));
                    return;
                }
                String action = exchange.getRequestURI().getPath();
                switch (action) {
                    case "/restart" -> {
                        node.stop(Duration.ofSeconds(30));
                        startAndAwaitReady(node);
                    }
                    case "/stop" -> node.stop(Duration.ofSeconds(30));
                    case "/start" -> startAndAwaitReady(node);
                    case "/status" -> {}
                    default -> {
                        answer(exchange, 404, Map.of("error", "unknown action " + action));
                        return;
                    }
                }
                System.out.println("[control] " + action + ": " + status(node));
                answer(exchange, 200, status(node));
            } catch (IOException | InterruptedException | RuntimeException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                try {
                    answer(exchange, 500, Map.of("error", String.valueOf(e)));
                } catch (IOException ignored) {
                    // the suite went away; it fails on its own
                }
            } finally {
                exchange.close();
            }
        });
        server.start();
        return server;
    }

    private static void startAndAwaitReady(NodeProcess node) throws IOException, InterruptedException {
        node.start();
        awaitReady(node, Duration.ofSeconds(60));
    }

    private static Map<String, Object> status(NodeProcess node) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("pid", node.pid());
        status.put("starts", node.starts());
        status.put("alive", node.alive());
        return status;
    }

    private static void answer(HttpExchange exchange, int status, Map<String, ?> body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public String toString() {
        return "ClientSuite(" + node + ", control " + control.getAddress() + ")";
    }

    /** The lines of {@code output} that a failure message should show first (the last ones). */
    static String tail(String output, int lines) {
        List<String> all = new ArrayList<>(List.of(output.split("\n")));
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    // ---- npm suites (node:test's TAP output)

    /** The closing counters of the TAP reporter: {@code # pass 57}, {@code # skipped 0}, ... */
    private static final java.util.regex.Pattern TAP_COUNTER = java.util.regex.Pattern.compile(
            "^# (tests|pass|fail|cancelled|skipped|todo) (\\d+)$", java.util.regex.Pattern.MULTILINE);

    /** The last value of each TAP counter; a counter missing from the output is missing from the map. */
    static Map<String, Integer> tapCounters(String output) {
        Map<String, Integer> counters = new java.util.TreeMap<>();
        java.util.regex.Matcher m = TAP_COUNTER.matcher(output);
        while (m.find()) {
            counters.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        return counters;
    }

    /**
     * Asserts that a node:test run passed every test and at least {@code atLeast} of them, and that
     * none failed, was cancelled, skipped or left to do: a skipped test would hide a gap.
     */
    static void assertAllPassed(String output, int atLeast, String failure) {
        Map<String, Integer> counters = tapCounters(output);
        org.junit.jupiter.api.Assertions.assertTrue(
                counters.getOrDefault("pass", 0) >= Math.max(1, atLeast),
                () -> "fewer than " + Math.max(1, atLeast) + " tests passed: " + counters + "\n" + failure);
        org.junit.jupiter.api.Assertions.assertEquals(
                counters.get("tests"), counters.get("pass"), () -> "not every test passed\n" + failure);
        for (String none : List.of("fail", "cancelled", "skipped", "todo")) {
            org.junit.jupiter.api.Assertions.assertEquals(
                    0, counters.get(none), () -> "# " + none + " is not 0: " + counters + "\n" + failure);
        }
    }

    /** Starts the suite's node in the background, while the caller installs and builds. */
    static java.util.concurrent.CompletableFuture<ClientSuite> startAsync(String name) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return start(name);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the node started", e);
            }
        });
    }

    /** The started suite, or what made its start fail. */
    static ClientSuite started(java.util.concurrent.CompletableFuture<ClientSuite> starting) throws Exception {
        try {
            return starting.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** Stops the node once its start (which cleans up after itself when it fails) has ended. */
    static void closeOnceStarted(java.util.concurrent.CompletableFuture<ClientSuite> starting) throws IOException {
        ClientSuite suite = starting.handle((started, e) -> started).join();
        if (suite != null) {
            suite.close();
        }
    }
}
