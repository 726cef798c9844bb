package io.lumadb.multijvm;

import io.lumadb.testkit.Ports;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.TestPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A CDS archive of the classes a node loads ({@code -XX:SharedArchiveFile}), made once per
 * build of the jar by starting one node with {@code -XX:ArchiveClassesAtExit} and stopping it.
 * Nodes then start in about half the time, which matters when the tests start some twenty of
 * them on two cores. It changes nothing but class loading; if it cannot be made, nodes start
 * without it (slower) and the reason is printed.
 */
final class ClassArchive {

    private static List<String> options;

    private ClassArchive() {}

    /** The JVM options that make a node use the archive (empty when there is none). */
    static synchronized List<String> options(String jar) {
        if (options == null) {
            options = create(Path.of(jar));
        }
        return options;
    }

    private static List<String> create(Path jar) {
        String configured = System.getProperty("lumadb.cds");
        if (configured == null || configured.isBlank() || configured.equals("off")) {
            return List.of();
        }
        Path archive = Path.of(configured);
        try {
            if (Files.exists(archive)
                    && Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(jar)) > 0) {
                return use(archive);
            }
            long started = System.nanoTime();
            dump(jar, archive);
            System.out.println("[ClassArchive] made " + archive + " in "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
            return use(archive);
        } catch (Exception e) {
            System.out.println("[ClassArchive] nodes start without a class archive: " + e);
            return List.of();
        }
    }

    /**
     * The archive was dumped with the same {@code --enable-native-access}, yet the JVM reports
     * (as an "error") that it disables its optimized module handling and then maps the archive
     * anyway; its CDS messages are silenced so that node logs show no false errors.
     */
    private static List<String> use(Path archive) {
        return List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds*=off", "-Xlog:aot*=off");
    }

    /** Runs one cluster-mode node on a database of its own until it is ready, then stops it: the JVM writes the archive at exit. */
    private static void dump(Path jar, Path archive) throws Exception {
        Files.createDirectories(archive.toAbsolutePath().getParent());
        Path partial = archive.resolveSibling(archive.getFileName() + ".partial");
        Files.deleteIfExists(partial);
        TestPostgres.ensureRunning();
        String database = TestPostgres.createDatabase();
        Path dir = Files.createTempDirectory("lumadb-cds-");
        Process p = null;
        try {
            int management = Ports.free();
            int cluster = Ports.free();
            String java = ProcessHandle.current().info().command().orElse("java");
            List<String> command = new ArrayList<>(List.of(
                    java,
                    "-XX:ArchiveClassesAtExit=" + partial,
                    "--enable-native-access=ALL-UNNAMED",
                    "--add-modules",
                    "jdk.incubator.vector",
                    "-Xmx384m",
                    "-Dlumadb.data-dir=" + dir.resolve("data"),
                    "-Dlumadb.http.port=" + Ports.free()));
            command.addAll(ClusterNode.clusterOptions(
                    cluster, List.of("127.0.0.1:" + cluster), TestPostgres.jdbcUrl(database), management));
            command.addAll(List.of("-jar", jar.toString()));
            p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("node.log").toFile())
                    .start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!(TestHttp.attemptGet(
                                    "http://127.0.0.1:" + management + ClusterNode.READY_PATH, Duration.ofSeconds(2))
                            instanceof TestHttp.Answered a
                    && a.response().status() == 200)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("the node that makes the class archive did not get ready: "
                            + Files.readString(dir.resolve("node.log")));
                }
                Thread.sleep(200);
            }
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new IOException("the node that makes the class archive did not stop");
            }
            if (!Files.exists(partial)) {
                throw new IOException("the JVM wrote no archive: " + Files.readString(dir.resolve("node.log")));
            }
            Files.move(partial, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
            TestPostgres.dropDatabase(database);
            TestFiles.deleteRecursively(dir);
            Files.deleteIfExists(partial);
        }
    }
}
