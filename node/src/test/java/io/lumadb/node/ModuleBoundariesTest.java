package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Enforces the module table of ARCHITECTURE.md on the main sources of every module:
 * dependencies point down the table, only storage internals touch RocksDB, only vector/ touches
 * Lucene, only node/ touches Kamon.
 */
class ModuleBoundariesTest {

    /** The package of each module of the table, in table order. */
    private static final Map<String, String> MODULE_PACKAGES = Map.of(
            "persistence-plugins", "io.lumadb.persistence",
            "shards", "io.lumadb.shards",
            "streams", "io.lumadb.streams",
            "cdc", "io.lumadb.cdc",
            "vector", "io.lumadb.vector",
            "tiering", "io.lumadb.tiering",
            "http-api", "io.lumadb.http",
            "node", "io.lumadb.node");

    /**
     * For each module, the packages its main code must not reference: every other module's but
     * those it may depend on (shards reads persistence-plugins' configuration only, never its
     * code), and the listed libraries.
     */
    private static final Map<String, List<String>> FORBIDDEN = Map.of(
            "persistence-plugins", forbidden("persistence-plugins", List.of(), "org.apache.lucene", "kamon"),
            "shards", forbidden("shards", List.of(), "org.apache.lucene", "kamon"),
            "streams",
                    forbidden(
                            "streams",
                            List.of(),
                            "org.apache.pekko.persistence",
                            "org.apache.pekko.cluster",
                            "org.rocksdb",
                            "org.apache.lucene",
                            "kamon"),
            "cdc", forbidden("cdc", List.of("shards", "streams"), "org.rocksdb", "org.apache.lucene", "kamon"),
            "http-api",
                    forbidden(
                            "http-api",
                            List.of("shards", "cdc", "vector", "tiering"),
                            "org.rocksdb",
                            "org.apache.lucene",
                            "kamon"),
            "node", forbidden("node", List.copyOf(MODULE_PACKAGES.keySet()), "org.apache.lucene", "org.rocksdb"),
            // The Java client talks to servers over HTTP only: no server module's code, no storage.
            "client", forbidden("client", List.of(), "org.rocksdb", "org.apache.lucene", "kamon"));

    private static List<String> forbidden(String module, List<String> allowed, String... libraries) {
        List<String> out = new ArrayList<>();
        MODULE_PACKAGES.forEach((name, pkg) -> {
            if (!name.equals(module) && !allowed.contains(name)) {
                out.add(pkg);
            }
        });
        out.addAll(List.of(libraries));
        return List.copyOf(out);
    }

    /** In shards/, RocksDB is for the state store internals only. */
    private static final String SHARDS_ROCKSDB_PACKAGE = "io/lumadb/shards/store/internal/";

    private static final Pattern REFERENCE = Pattern.compile(
            "\\b(io\\.lumadb\\.[a-z]+|org\\.rocksdb|org\\.apache\\.lucene|org\\.apache\\.pekko\\.[a-z]+|kamon)\\.[A-Za-z]");

    private static Path root() {
        String configured = System.getProperty("lumadb.root");
        Path start = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath();
        for (Path p = start.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("persistence-plugins")) && Files.exists(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the repository root from " + start);
    }

    /** Code without comments and string literals, so prose cannot trip the check. */
    static String code(String source) {
        return source.replaceAll("(?s)/\\*.*?\\*/", " ")
                .replaceAll("//[^\\n]*", " ")
                .replaceAll("\"(?:\\\\.|[^\"\\\\])*\"", "\"\"");
    }

    static List<String> violations(String module, String relativePath, String source) {
        List<String> found = new ArrayList<>();
        Matcher m = REFERENCE.matcher(code(source));
        while (m.find()) {
            String ref = m.group(1);
            for (String forbidden : FORBIDDEN.getOrDefault(module, List.of())) {
                if (ref.equals(forbidden) || ref.startsWith(forbidden + ".")) {
                    found.add(module + "/" + relativePath + " references " + ref);
                }
            }
            if (module.equals("shards")
                    && ref.equals("org.rocksdb")
                    && !relativePath.startsWith(SHARDS_ROCKSDB_PACKAGE)) {
                found.add(module + "/" + relativePath + " uses RocksDB outside the state store internals");
            }
        }
        return found;
    }

    @Test
    void everyModuleKeepsToItsAllowedDependencies() throws IOException {
        Path root = root();
        List<String> violations = new ArrayList<>();
        int files = 0;
        for (String module : FORBIDDEN.keySet()) {
            Path src = root.resolve(module).resolve("src/main/java");
            assertTrue(Files.isDirectory(src), "missing " + src);
            try (Stream<Path> paths = Files.walk(src)) {
                for (Path file :
                        paths.filter(p -> p.toString().endsWith(".java")).toList()) {
                    files++;
                    violations.addAll(violations(
                            module, src.relativize(file).toString().replace('\\', '/'), Files.readString(file)));
                }
            }
        }
        assertTrue(files > 20, "scanned only " + files + " files");
        assertEquals(List.of(), violations);
    }

    @Test
    void theCheckCatchesForbiddenReferences() {
        assertEquals(
                1,
                violations("shards", "io/lumadb/shards/X.java", "import io.lumadb.http.ApiHandler;")
                        .size());
        assertEquals(
                1,
                violations("shards", "io/lumadb/shards/shard/X.java", "import org.rocksdb.RocksDB;")
                        .size());
        assertEquals(
                0,
                violations("shards", "io/lumadb/shards/store/internal/X.java", "import org.rocksdb.RocksDB;")
                        .size());
        assertEquals(
                1,
                violations("http-api", "io/lumadb/http/X.java", "var x = new io.lumadb.node.LumaDbServer();")
                        .size());
        assertEquals(
                1,
                violations("persistence-plugins", "X.java", "kamon.Kamon.init();")
                        .size());
        assertEquals(
                1,
                violations("streams", "X.java", "import org.apache.pekko.cluster.typed.Cluster;")
                        .size());
        assertEquals(
                0,
                violations("streams", "X.java", "import org.apache.pekko.stream.javadsl.Source;")
                        .size());
        assertEquals(
                List.of(),
                violations("shards", "X.java", "// see io.lumadb.http.ApiHandler\nString s = \"org.rocksdb.X\";"));
    }
}
