package io.lumadb.node;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** A real LumaDB node in the test's JVM, on a free port and its own data directory; close stops it and deletes the directory. */
final class InProcessServer implements AutoCloseable {

    private final Path dir;
    private final LumaDbServer server;
    private final TestHttp http;

    /** Starts a node with these settings on top of the defaults (data directory and port are set here). */
    InProcessServer(Map<String, Object> settings) throws Exception {
        dir = Files.createTempDirectory("lumadb-it");
        Map<String, Object> config = new HashMap<>(settings);
        config.put("lumadb.data-dir", dir.toString());
        config.put("lumadb.http.port", 0);
        try {
            server = LumaDbServer.start(ConfigFactory.parseMap(config));
        } catch (RuntimeException e) {
            TestFiles.deleteRecursively(dir);
            throw e;
        }
        http = new TestHttp(server.port());
    }

    TestHttp http() {
        return http;
    }

    @Override
    public void close() throws Exception {
        try {
            server.stop();
        } finally {
            TestFiles.deleteRecursively(dir);
        }
    }
}
