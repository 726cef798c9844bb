package io.lumadb.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The local Redis that comparisons with LumaDB use: 127.0.0.1:6379, no password. {@link
 * #ensureRunning} starts an installed but stopped server (no snapshots, no append-only file, its
 * files in Redis's own directory) and {@link #stopIfStarted} stops it again.
 */
public final class TestRedis {

    public static final String HOST = "127.0.0.1";
    public static final int PORT = 6379;

    private static boolean started;

    private TestRedis() {}

    /** Whether something accepts connections on 127.0.0.1:6379. */
    public static boolean listening() {
        return Ports.listening(HOST, PORT);
    }

    /** Makes sure Redis answers on 127.0.0.1:6379; fails with a clear message if it cannot. */
    public static synchronized void ensureRunning() throws IOException, InterruptedException {
        if (listening()) {
            return;
        }
        if (!Commands.onPath("redis-server")) {
            throw new AssertionError(
                    "Redis is not listening on 127.0.0.1:6379 and is not installed here (no redis-server)");
        }
        Path dir = Path.of("/var/lib/redis");
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            dir = Files.createTempDirectory("lumadb-redis");
        }
        Commands.run(
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                HOST,
                "--port",
                Integer.toString(PORT),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                dir.toString());
        started = true;
        Commands.awaitListening("Redis", PORT, 20);
    }

    /** Stops the server {@link #ensureRunning} started, if it did (with redis-cli, without saving). */
    public static synchronized void stopIfStarted() throws IOException, InterruptedException {
        if (started) {
            Commands.run("redis-cli", "-h", HOST, "-p", Integer.toString(PORT), "shutdown", "nosave");
            started = false;
        }
    }
}
