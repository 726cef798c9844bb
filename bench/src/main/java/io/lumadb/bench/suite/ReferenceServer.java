package io.lumadb.bench.suite;

import io.lumadb.bench.streams.BroadcastServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The change-stream benchmark's reference, {@link BroadcastServer}, as its own process started
 * exactly like the LumaDB node: behind the same command prefix (the server CPU) and with the
 * same JVM options ({@link LumaDbNode#JVM_OPTIONS}), on a free port. Closing stops it.
 */
final class ReferenceServer implements AutoCloseable {

    private final int port;
    private final Process process;
    private final Path log;

    ReferenceServer(List<String> prefix, Path logDir) throws IOException, InterruptedException {
        try (ServerSocket s = new ServerSocket(0)) {
            this.port = s.getLocalPort();
        }
        List<String> command = new ArrayList<>(prefix);
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(LumaDbNode.JVM_OPTIONS);
        command.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                BroadcastServer.class.getName(),
                "--port",
                Integer.toString(port)));
        this.log = logDir.resolve("reference-server.log");
        this.process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        awaitReady();
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    private void awaitReady() throws IOException, InterruptedException {
        HttpClient client = HttpClient.newHttpClient();
        for (int i = 0; i < 300; i++) {
            if (!process.isAlive()) {
                throw new IOException(
                        "the reference server exited with " + process.exitValue() + " while starting; see " + log);
            }
            try {
                HttpResponse<Void> r = client.send(
                        HttpRequest.newBuilder(URI.create(url() + "/ready"))
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        close();
        throw new IOException("the reference server was not ready within 30 s; see " + log);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
