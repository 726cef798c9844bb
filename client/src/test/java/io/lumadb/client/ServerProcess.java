package io.lumadb.client;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real LumaDB distribution ({@code node/target/lumadb.jar}, path in system property {@code
 * lumadb.jar}) as a child process on its own port and data directory, which survive restarts.
 * Tests must {@link #close()} it; close kills it. (The minimal part of node's test helper of the
 * same name: node's test classes are package-private.)
 */
final class ServerProcess implements AutoCloseable {

    private final Path dataDir;
    private final Path log;
    private final int port;
    private Process process;

    ServerProcess(Path dataDir) throws IOException {
        this.dataDir = dataDir;
        this.log = dataDir.resolve("server.log");
        try (ServerSocket s = new ServerSocket(0)) {
            this.port = s.getLocalPort();
        }
    }

    URI baseUrl() {
        return URI.create("http://127.0.0.1:" + port);
    }

    Path dataDir() {
        return dataDir;
    }

    /** Starts the server and waits until {@code /health} answers. */
    void start() throws Exception {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("the server is running already");
        }
        String jar = System.getProperty("lumadb.jar");
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException("the distribution jar is missing (lumadb.jar=" + jar
                    + "); build it in the reactor: mvn verify -pl client -am");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(List.of(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-Xmx512m",
                // A short-lived test server: C1 only and the serial collector start faster on a busy machine.
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                // Pull pages of at most 2 KiB (a few changes): the client must follow short pages.
                "-Dlumadb.cdc.max-pull-bytes=2KiB",
                "-jar",
                jar));
        pb.environment().put("LUMADB_HTTP_PORT", Integer.toString(port));
        pb.environment().put("LUMADB_DATA_DIR", dataDir.toString());
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        process = pb.start();
        try (HttpClient client = HttpClient.newHttpClient()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException(
                            "server exited with " + process.exitValue() + "; log:\n" + Files.readString(log));
                }
                try {
                    HttpResponse<String> r = client.send(
                            HttpRequest.newBuilder(baseUrl().resolve("/health"))
                                    .timeout(Duration.ofSeconds(2))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) {
                        return;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("server did not start within 60 s; log:\n" + Files.readString(log));
    }

    /** SIGKILL, then waits for the process to be gone (it holds the RocksDB lock until then). */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("server did not die within 30 s of SIGKILL");
        }
    }

    /** SIGTERM (a clean shutdown that flushes RocksDB), then waits for the exit. */
    void terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("server did not stop within 60 s of SIGTERM");
        }
    }

    /** Kills the server if it runs, and waits for it to be gone. */
    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
