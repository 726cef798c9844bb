package io.lumadb.node;

import com.typesafe.config.ConfigFactory;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A real LumaDB node in the test's JVM, on a free port (unless the settings name {@code
 * lumadb.http.port}) and its own data directory; close stops it and deletes the directory.
 */
final class InProcessServer implements AutoCloseable {

    private final Path dir;
    private final boolean ownsDir;
    private final LumaDbServer server;
    private final TestHttp http;

    /**
     * Settings of a node with security on, its first admin's password {@code adminPassword}, and
     * password hashing cheap enough for tests (a mutable map: add to it).
     */
    static Map<String, Object> secured(String adminPassword) {
        Map<String, Object> s = new HashMap<>();
        s.put("lumadb.security.enabled", true);
        s.put("lumadb.security.admin-password", adminPassword);
        s.put("lumadb.security.password-hash.memory", "1 MiB");
        s.put("lumadb.security.password-hash.iterations", 1);
        return s;
    }

    /** Starts a node with these settings on top of the defaults (the data directory is set here). */
    InProcessServer(Map<String, Object> settings) throws Exception {
        this(settings, Files.createTempDirectory("lumadb-it"), true);
    }

    /**
     * Starts a node on an existing data directory, which {@link #close} leaves in place (a
     * restart test deletes it itself).
     */
    static InProcessServer on(Path dir, Map<String, Object> settings) throws Exception {
        return new InProcessServer(settings, dir, false);
    }

    private InProcessServer(Map<String, Object> settings, Path dir, boolean ownsDir) throws Exception {
        this.dir = dir;
        this.ownsDir = ownsDir;
        Map<String, Object> config = new HashMap<>(settings);
        config.put("lumadb.data-dir", dir.toString());
        // A restart test passes the port its clients already use.
        config.putIfAbsent("lumadb.http.port", 0);
        // Security is on by default; tests that are about something else speak without credentials.
        config.putIfAbsent("lumadb.security.enabled", false);
        // The PostgreSQL protocol only for tests that ask for it (port 0: any free one).
        config.putIfAbsent("lumadb.sql.postgres.enabled", "off");
        try {
            server = LumaDbServer.start(ConfigFactory.parseMap(config));
        } catch (RuntimeException e) {
            if (ownsDir) {
                TestFiles.deleteRecursively(dir);
            }
            throw e;
        }
        http = new TestHttp(server.port());
    }

    /** The port the API listens on. */
    int port() {
        return server.port();
    }

    /** The port the PostgreSQL protocol listens on. */
    int postgresPort() {
        return server.postgresPort().orElseThrow(() -> new IllegalStateException("no PostgreSQL protocol"));
    }

    TestHttp http() {
        return http;
    }

    /** The node's data directory. */
    Path dir() {
        return dir;
    }

    @Override
    public void close() throws Exception {
        try {
            server.stop();
        } finally {
            if (ownsDir) {
                TestFiles.deleteRecursively(dir);
            }
        }
    }
}
