package io.lumadb.node;

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
 * The real LumaDB distribution ({@code node/target/lumadb.jar}) running as a separate process,
 * with its own port and data directory. Tests must {@link #close()} it; close kills it.
 */
final class ServerProcess implements AutoCloseable {

    private final Path dataDir;
    private final Path log;
    private final int port;
    private Process process;
    private int starts;
    private String ulimit;

    ServerProcess(Path dataDir) throws IOException {
        this.dataDir = dataDir;
        this.log = dataDir.resolve("server.log");
        this.port = freePort();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    int port() {
        return port;
    }

    /** Starts the server under {@code ulimit <arguments>} (for example {@code -n 1024}), through bash. */
    ServerProcess withUlimit(String arguments) {
        this.ulimit = arguments;
        return this;
    }

    /** The server's process id (the JVM's: bash execs it). */
    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    /** Starts the server and waits until {@code /health} answers. */
    void start() throws Exception {
        ProcessBuilder pb = command();
        if (ulimit != null) {
            List<String> wrapped =
                    new java.util.ArrayList<>(List.of("bash", "-c", "ulimit " + ulimit + " && exec \"$@\"", "server"));
            wrapped.addAll(pb.command());
            pb.command(wrapped);
        }
        pb.environment().put("LUMADB_HTTP_PORT", Integer.toString(port));
        pb.environment().put("LUMADB_DATA_DIR", dataDir.toString());
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        process = pb.start();
        starts++;
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "server exited with " + process.exitValue() + "; log:\n" + Files.readString(log));
            }
            try {
                HttpResponse<String> r = client.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
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
        throw new IllegalStateException("server did not start within 60 s; log:\n" + Files.readString(log));
    }

    /** The command that runs the distribution jar (this JVM's java), with {@code args} after the jar. */
    static ProcessBuilder command(String... args) {
        String jar = System.getProperty("lumadb.jar");
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException(
                    "the distribution jar is missing (lumadb.jar=" + jar + "); run 'mvn verify'");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command =
                new java.util.ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx512m"));
        command.addAll(List.of(args));
        command.addAll(List.of("-jar", jar));
        return new ProcessBuilder(command);
    }

    int starts() {
        return starts;
    }

    /** SIGKILL: no shutdown hook, no flush. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, then waits for the exit; returns the exit code. */
    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("server did not stop within 60 s of SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
