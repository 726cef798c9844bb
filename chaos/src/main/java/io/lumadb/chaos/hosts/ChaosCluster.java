package io.lumadb.chaos.hosts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A LumaDB cluster of a chaos run, on test hosts of its own: the network namespaces ({@link
 * ChaosNet}), the journal's PostgreSQL ({@link JournalPostgres}) and the nodes ({@link ChaosNode}),
 * all under one run directory. Nodes that exit on their own (a node the split-brain resolver
 * downed stops itself) are started again by {@link #restartExited}, as a service manager would.
 *
 * <p>{@link #close} removes everything it made, also after a failure half-way: processes, the
 * small disk's mount, PostgreSQL, the namespaces and the run directory (node logs are copied out
 * first when asked). A JVM shutdown hook does the same if the harness itself is stopped, and
 * {@link #sweepStale} clears what a harness killed with {@code SIGKILL} left behind.
 */
public final class ChaosCluster implements AutoCloseable {

    private static final String RUN_DIR_PREFIX = "lumadb-chaos-";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path runDir;
    private final ChaosNet net;
    private final JournalPostgres journal;
    private final List<ChaosNode> nodes = new CopyOnWriteArrayList<>();
    private final Set<Integer> heldDown = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Thread cleanupOnExit;
    private Path smallDiskMount;
    private boolean closed;

    private ChaosCluster(Path runDir, ChaosNet net, JournalPostgres journal) {
        this.runDir = runDir;
        this.net = net;
        this.journal = journal;
        this.cleanupOnExit = new Thread(this::cleanup, "chaos-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupOnExit);
    }

    /**
     * Makes the hosts, the journal and {@code size} nodes (not started). With {@code smallDisk},
     * the last node's data directory is a tmpfs of that size (such as {@code 384m}), so that a
     * fault can fill it.
     */
    public static ChaosCluster create(Path jar, int size, String smallDisk, Consumer<String> log) throws IOException {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("the node jar " + jar + " is missing; build it with"
                    + " 'mvn -B -q package -DskipTests -pl node -am'");
        }
        sweepStale(log);
        Path runDir = Files.createTempDirectory(
                RUN_DIR_PREFIX + ProcessHandle.current().pid() + "-");
        // PostgreSQL runs as its own user, which must be able to reach its directory.
        Sh.run("chmod", "755", runDir.toString());
        ChaosNet net = null;
        JournalPostgres journal = null;
        ChaosCluster cluster = null;
        try {
            net = ChaosNet.create(size);
            log.accept("hosts: " + net);
            journal = JournalPostgres.create(runDir.resolve("pg"), net.hostIp(), io.lumadb.testkit.Ports.free());
            log.accept("journal: " + journal.jdbcUrl());
            cluster = new ChaosCluster(runDir, net, journal);
            for (int i = 0; i < size; i++) {
                cluster.addNode(jar, i, smallDisk != null && i == size - 1 ? smallDisk : null);
            }
            return cluster;
        } catch (IOException | RuntimeException e) {
            if (cluster != null) {
                cluster.close();
            } else {
                if (journal != null) {
                    journal.close();
                }
                if (net != null) {
                    net.close();
                }
                deleteTree(runDir);
            }
            throw e;
        }
    }

    private void addNode(Path jar, int i, String smallDisk) throws IOException {
        Path data = runDir.resolve("n" + (i + 1));
        Files.createDirectories(data);
        if (smallDisk != null) {
            Sh.run("mount", "-t", "tmpfs", "-o", "size=" + smallDisk, "tmpfs", data.toString());
            smallDiskMount = data;
        }
        List<String> seeds = new ArrayList<>();
        for (int s = 0; s < Math.min(2, net.size()); s++) {
            seeds.add(net.ip(s) + ":" + ChaosNode.CLUSTER_PORT);
        }
        List<String> options = new ArrayList<>(List.of(
                "-Dlumadb.mode=cluster",
                "-Dlumadb.cluster.host=" + net.ip(i),
                "-Dlumadb.cluster.port=" + ChaosNode.CLUSTER_PORT,
                "-Dlumadb.cluster.seeds=" + String.join(",", seeds),
                "-Dlumadb.cluster.postgres.url=" + journal.jdbcUrl(),
                "-Dlumadb.cluster.postgres.user=postgres",
                "-Dlumadb.cluster.postgres.password=",
                "-Dlumadb.management.port=" + ChaosNode.MANAGEMENT_PORT,
                "-Dlumadb.http.host=" + net.ip(i),
                // The API listens on the namespace's address, reachable only from this machine's bridge.
                "-Dlumadb.security.allow-off-on-non-loopback=on"));
        if (smallDisk != null) {
            // Memtables sized for a small disk: RocksDB sets a memtable's worth of WAL aside, and
            // resumes after a full disk once that much is free again.
            options.add("-Dlumadb.persistence.rocksdb.write-buffer-size=4m");
            options.add("-Dlumadb.persistence.rocksdb.total-write-buffer-size=32m");
        }
        nodes.add(new ChaosNode(
                i,
                net.ip(i),
                jar,
                data,
                runDir.resolve("n" + (i + 1) + ".log"),
                net.exec(i),
                options,
                smallDisk != null));
    }

    public List<ChaosNode> nodes() {
        return List.copyOf(nodes);
    }

    public ChaosNode node(int i) {
        return nodes.get(i);
    }

    public ChaosNet net() {
        return net;
    }

    public JournalPostgres journal() {
        return journal;
    }

    public Path runDir() {
        return runDir;
    }

    /** Starts every node that is not running and waits until all are ready members of one cluster. */
    public void startAll(Duration timeout) throws IOException, InterruptedException {
        for (ChaosNode n : nodes) {
            if (!n.alive()) {
                n.start();
            }
        }
        awaitHealthy(timeout);
    }

    /** Keeps node {@code i} down (the nemesis killed it) until {@link #release}: {@link #restartExited} leaves it. */
    public void holdDown(int i) {
        heldDown.add(i);
    }

    public void release(int i) {
        heldDown.remove(i);
    }

    /** Starts the nodes that exited and are not held down; returns their names. */
    public List<String> restartExited() throws IOException {
        List<String> restarted = new ArrayList<>();
        for (ChaosNode n : nodes) {
            if (!n.alive() && !heldDown.contains(n.index()) && !closed) {
                n.start();
                restarted.add(n.name());
            }
        }
        return restarted;
    }

    /**
     * Waits until every node is ready and sees every node as an Up, reachable member; fails with
     * what was missing when {@code timeout} passes.
     */
    public void awaitHealthy(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "nothing checked yet";
        while (System.nanoTime() < deadline) {
            last = unhealthy();
            if (last == null) {
                return;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the cluster is not healthy after " + timeout.toSeconds() + " s: " + last);
    }

    /** Null when every node is ready and sees all nodes Up and reachable; else what is missing. */
    public String unhealthy() {
        Set<String> all = new TreeSet<>(nodes.stream().map(ChaosNode::address).toList());
        for (ChaosNode n : nodes) {
            if (!n.alive()) {
                return n.name() + " is not running";
            }
            JsonNode view;
            try {
                HttpResponse<String> ready = get(n.managementUrl("/ready"));
                if (ready.statusCode() != 200) {
                    return n.name() + " /ready: " + ready.statusCode();
                }
                HttpResponse<String> cluster = get(n.url("/api/v1/_cluster"));
                if (cluster.statusCode() != 200) {
                    return n.name() + " /api/v1/_cluster: " + cluster.statusCode();
                }
                view = JSON.readTree(cluster.body());
            } catch (IOException e) {
                return n.name() + ": " + e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
            Set<String> up = new TreeSet<>();
            for (JsonNode m : view.path("members")) {
                if ("Up".equals(m.path("status").asText())
                        && m.path("reachable").asBoolean(false)) {
                    up.add(m.path("address").asText());
                }
            }
            if (!up.equals(all)) {
                return n.name() + " sees Up and reachable " + up + ", expected " + all;
            }
        }
        return null;
    }

    /**
     * The storage condition node {@code i}'s {@code /ready} reports ({@code no-space}, {@code
     * io-error}), or null while its storage takes writes or the node does not answer.
     */
    public String storageCondition(int i) throws InterruptedException {
        try {
            HttpResponse<String> ready = get(nodes.get(i).url("/ready"));
            if (ready.statusCode() != 503 || !ready.body().contains("storage-unavailable")) {
                return null;
            }
            return JSON.readTree(ready.body()).path("condition").asText("unknown");
        } catch (IOException e) {
            return null;
        }
    }

    private HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(3))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Copies the node and PostgreSQL logs into {@code target}. */
    public void copyLogs(Path target) throws IOException {
        Files.createDirectories(target);
        for (ChaosNode n : nodes) {
            if (Files.exists(n.log())) {
                Files.copy(n.log(), target.resolve(n.log().getFileName()));
            }
        }
        Path pgLog = runDir.resolve("pg/server.log");
        if (Files.exists(pgLog)) {
            Files.copy(pgLog, target.resolve("postgresql.log"));
        }
    }

    @Override
    public void close() {
        cleanup();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    private synchronized void cleanup() {
        if (closed) {
            return;
        }
        closed = true;
        nodes.forEach(ChaosNode::destroy);
        net.heal();
        journal.close();
        if (smallDiskMount != null
                && !Sh.attempt("umount", smallDiskMount.toString()).ok()) {
            Sh.attempt("umount", "-l", smallDiskMount.toString());
        }
        net.close();
        deleteTree(runDir);
    }

    /**
     * Removes what harnesses that are gone left behind: their PostgreSQL servers, mounts, run
     * directories and network namespaces.
     */
    public static void sweepStale(Consumer<String> log) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (Stream<Path> dirs = Files.list(tmp)) {
            for (Path dir : dirs.filter(d -> d.getFileName().toString().startsWith(RUN_DIR_PREFIX))
                    .toList()) {
                String rest = dir.getFileName().toString().substring(RUN_DIR_PREFIX.length());
                String pid = rest.contains("-") ? rest.substring(0, rest.indexOf('-')) : rest;
                if (pid.equals(Long.toString(ProcessHandle.current().pid())) || Files.exists(Path.of("/proc", pid))) {
                    continue;
                }
                JournalPostgres.stopLeftover(dir.resolve("pg"));
                for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
                    String[] f = line.split(" ");
                    if (f.length > 1 && f[1].startsWith(dir.toString())) {
                        Sh.attempt("umount", "-l", f[1]);
                    }
                }
                deleteTree(dir);
                log.accept("removed the leftovers of an earlier run: " + dir);
            }
        } catch (IOException e) {
            log.accept("could not look for leftovers of earlier runs in " + tmp + ": " + e);
        }
        for (String removed : ChaosNet.sweepStale()) {
            log.accept("removed the leftover network namespace or link " + removed);
        }
    }

    private static void deleteTree(Path dir) {
        Sh.attempt("rm", "-rf", "--one-file-system", dir.toString());
    }
}
