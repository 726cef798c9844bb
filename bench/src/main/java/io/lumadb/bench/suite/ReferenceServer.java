package io.lumadb.bench.suite;

import io.lumadb.bench.streams.BroadcastServer;
import io.lumadb.testkit.Ports;
import java.io.IOException;
import java.nio.file.Path;
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
        this.port = Ports.free();
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

    /** Waits until it accepts connections (it serves them as soon as it does), at most 30 s. */
    private void awaitReady() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Ports.listening("127.0.0.1", port)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                close();
                throw new IOException("the reference server did not start; see " + log);
            }
            Thread.sleep(100);
        }
    }

    /** SIGTERM, then SIGKILL if it still runs after 10 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
