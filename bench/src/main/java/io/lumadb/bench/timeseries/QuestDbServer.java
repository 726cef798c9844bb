package io.lumadb.bench.timeseries;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.testkit.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * QuestDB, the timeseries section's reference, as a process of its own: its server jar (copied
 * from Maven Central into {@code bench/target/questdb} by the build) run by a JDK it supports, on a
 * fresh root directory, with HTTP on a free loopback port and every other listener (PostgreSQL
 * wire, ILP over TCP and UDP, the "min" health server) and telemetry off. {@link #close} stops it
 * by its pid (SIGTERM, a clean shutdown that truncates its column files, then SIGKILL after 30 s),
 * and so does a shutdown hook if the JVM ends first.
 */
public final class QuestDbServer implements AutoCloseable {

    /** QuestDB's JVM options: its own script's collector, and a heap like the LumaDB node's. */
    public static final List<String> JVM_OPTIONS = List.of("-Xmx2g", "-XX:+UseParallelGC", "-Dfile.encoding=UTF-8");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path root;
    private final int port;
    private final Thread stopOnExit;
    private final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private QuestDbServer(Process process, Path root, int port) {
        this.process = process;
        this.root = root;
        this.port = port;
        this.stopOnExit = new Thread(process::destroyForcibly, "stop-questdb");
        Runtime.getRuntime().addShutdownHook(stopOnExit);
    }

    /**
     * Starts QuestDB from {@code jar} with {@code java} behind {@code prefix} (may be empty) on
     * {@code root} (created; must not hold a database yet), its output into {@code log}, and waits
     * until it answers SQL, at most {@code timeout}.
     */
    public static QuestDbServer start(Path jar, Path java, List<String> prefix, Path root, Path log, Duration timeout)
            throws IOException, InterruptedException {
        if (!Files.isRegularFile(jar)) {
            throw new IOException(
                    "QuestDB's jar " + jar + " is missing; the build copies it there: mvn package -pl bench");
        }
        if (Files.exists(root.resolve("db"))) {
            throw new IOException(
                    "QuestDB's root " + root + " already holds a database; the section needs a fresh one");
        }
        Files.createDirectories(root.resolve("conf"));
        Files.createDirectories(root.resolve("tmp"));
        int port = Ports.free();
        Files.writeString(root.resolve("conf/server.conf"), serverConf(port));
        List<String> command = new ArrayList<>(prefix);
        command.add(java.toString());
        command.addAll(JVM_OPTIONS);
        command.addAll(List.of(
                "-Djava.io.tmpdir=" + root.resolve("tmp"),
                "-cp",
                jar.toString(),
                "io.questdb.ServerMain",
                "-d",
                root.toString()));
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        QuestDbServer server = new QuestDbServer(p, root, port);
        try {
            server.awaitReady(timeout, log);
            return server;
        } catch (IOException | InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** server.conf: HTTP on 127.0.0.1:{@code port}, everything else that listens or reports off. */
    static String serverConf(int port) {
        return String.join(
                "\n",
                "# Written by LumaDB's benchmark suite (the timeseries section): one HTTP listener on loopback.",
                "http.bind.to=127.0.0.1:" + port,
                "http.min.enabled=false",
                "pg.enabled=false",
                "line.tcp.enabled=false",
                "line.udp.enabled=false",
                "telemetry.enabled=false",
                "");
    }

    private void awaitReady(Duration timeout, Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("QuestDB exited during startup (status " + process.exitValue() + "); see " + log);
            }
            try {
                if (exec("SELECT 1").path("dataset").path(0).path(0).asInt() == 1) {
                    return;
                }
            } catch (IOException e) {
                // Not listening yet.
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("QuestDB did not answer SQL within " + timeout.toSeconds() + " s; see " + log);
            }
            Thread.sleep(100);
        }
    }

    /** {@code http://127.0.0.1:<port>}. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    public Path root() {
        return root;
    }

    /** The answer of {@code sql} over {@code GET /exec}, errors included (a JSON "error" field). */
    public JsonNode exec(String sql) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(
                                URI.create(url() + "/exec?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8)))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    /** The directory of {@code table} under {@code root/db}, as QuestDB names it ({@code cpu~6}). */
    public Path tableDirectory(String table) throws IOException, InterruptedException {
        JsonNode answer = exec("SELECT directoryName FROM tables() WHERE table_name = '" + table + "'");
        String error = Answers.questDbError(answer);
        String name = answer.path("dataset").path(0).path(0).asText(null);
        if (error != null || name == null) {
            throw new IOException("QuestDB did not name the directory of table " + table + ": " + answer);
        }
        return root.resolve("db").resolve(name);
    }

    /** Stops QuestDB: SIGTERM, then SIGKILL if it still runs after 30 s; returns whether it stopped cleanly. */
    public boolean stop() throws InterruptedException {
        if (!process.isAlive()) {
            return process.exitValue() == 0;
        }
        process.destroy();
        if (process.waitFor(30, TimeUnit.SECONDS)) {
            return true;
        }
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        return false;
    }

    @Override
    public void close() throws InterruptedException {
        try {
            stop();
        } finally {
            http.close();
            try {
                Runtime.getRuntime().removeShutdownHook(stopOnExit);
            } catch (IllegalStateException e) {
                // The JVM is shutting down: the hook runs anyway.
            }
        }
    }

    /**
     * A JDK that runs QuestDB's jar (built for Java 17): {@code given} if set, else the first JDK
     * 17, then 21, under {@code jvmDirs}, else this JVM's own java (any feature release from 17 on).
     */
    public static Path java(Path given, List<Path> jvmDirs) {
        if (given != null) {
            return given;
        }
        for (int wanted : List.of(17, 21)) {
            for (Path dir : jvmDirs) {
                Optional<Path> found = jdk(dir, wanted);
                if (found.isPresent()) {
                    return found.get();
                }
            }
        }
        return Path.of(ProcessHandle.current().info().command().orElse("java"));
    }

    private static Optional<Path> jdk(Path dir, int feature) {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(dir)) {
            return homes.sorted()
                    .filter(h -> Files.isExecutable(h.resolve("bin/java")))
                    .filter(h -> feature(h) == feature)
                    .map(h -> h.resolve("bin/java"))
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The feature release of the JDK at {@code home} from its release file, or -1. */
    static int feature(Path home) {
        try {
            for (String line : Files.readAllLines(home.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    String first = v.split("[.+-]")[0];
                    return Integer.parseInt(first.equals("1") ? v.split("\\.")[1] : first);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
