package io.lumadb.bench.suite;

import io.lumadb.bench.streams.BroadcastServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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
        ChildProcesses.awaitReady(process, url(), log, "the reference server", Duration.ofSeconds(30), this::close);
    }

    @Override
    public void close() {
        ChildProcesses.stop(process, Duration.ofSeconds(10));
    }
}
