package io.lumadb.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.Ports;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import io.lumadb.testkit.TestPostgres;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Real LumaDB node processes forming a Pekko cluster on 127.0.0.1, with a fresh PostgreSQL
 * database of their own as the shared journal. Starts, stops (SIGTERM), kills (SIGKILL) and
 * restarts nodes (same data directory and ports), waits until they are ready, Up members, and
 * answers where the shards of a collection live. {@link #close()} kills every process, drops
 * the database and deletes the temporary directory, whatever state the test left them in.
 */
final class TestCluster implements AutoCloseable {

    /** How long a node may take from start to ready, Up member (three JVMs start on two cores). */
    static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private static final String ISLAND = "alone in a cluster of its own: ";

    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);

    private final String jar;
    private final Path dir;
    private final String database;
    private final boolean eachNodeItsOwnSeed;
    private final int seedCount;
    private final Map<String, String> extraProperties;
    private final String authorization;
    private final List<ClusterNode> nodes = new CopyOnWriteArrayList<>();
    private final Thread killOnExit;
    private boolean closed;
    private volatile boolean failed;

    private TestCluster(
            String jar,
            Path dir,
            String database,
            int seedCount,
            boolean eachNodeItsOwnSeed,
            Map<String, String> extraProperties) {
        this.jar = jar;
        this.dir = dir;
        this.database = database;
        this.seedCount = seedCount;
        this.eachNodeItsOwnSeed = eachNodeItsOwnSeed;
        this.extraProperties = Map.copyOf(extraProperties);
        // With security on (the nodes' first admin given by the test), the probes sign in as it.
        String adminPassword = extraProperties.get("lumadb.security.admin-password");
        this.authorization = adminPassword == null ? null : TestHttp.basic("admin", adminPassword);
        // If the test JVM itself is stopped, the nodes must not outlive it.
        this.killOnExit = new Thread(() -> nodes.forEach(ClusterNode::destroy), "kill-cluster-nodes");
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /**
     * A cluster of {@code size} nodes (not started) whose seeds are its first {@code seedCount}
     * nodes, each listed by every node.
     */
    static TestCluster create(String testName, int size, int seedCount) throws Exception {
        return create(testName, size, seedCount, false, Map.of());
    }

    /**
     * {@code eachNodeItsOwnSeed}: every node is its own only seed, so the nodes form separate
     * one-node clusters on the same journal (a split brain on purpose).
     */
    static TestCluster create(
            String testName, int size, int seedCount, boolean eachNodeItsOwnSeed, Map<String, String> extraProperties)
            throws Exception {
        String jar = System.getProperty("lumadb.jar");
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException("the distribution jar is missing (lumadb.jar=" + jar
                    + "); build it with 'mvn verify -pl multi-jvm-tests -am'");
        }
        TestPostgres.ensureRunning();
        String database = TestPostgres.createDatabase();
        Path dir;
        try {
            dir = Files.createTempDirectory("lumadb-" + testName + "-");
        } catch (IOException e) {
            TestPostgres.dropDatabase(database);
            throw e;
        }
        TestCluster cluster = new TestCluster(jar, dir, database, seedCount, eachNodeItsOwnSeed, extraProperties);
        for (int i = 0; i < size; i++) {
            cluster.newNode();
        }
        System.out.println("[" + testName + "] journal database " + database + ", node directories under " + dir);
        return cluster;
    }

    /** Adds a node (not started) with fresh ports and data directory. */
    ClusterNode newNode() throws IOException {
        String name = "node" + nodes.size();
        ClusterNode node = new ClusterNode(
                name,
                Path.of(jar),
                Ports.free(),
                Ports.free(),
                Ports.free(),
                dir.resolve(name),
                dir.resolve(name + ".log"));
        nodes.add(node);
        return node;
    }

    String database() {
        return database;
    }

    ClusterNode node(int i) {
        return nodes.get(i);
    }

    List<ClusterNode> nodes() {
        return List.copyOf(nodes);
    }

    /** The nodes the test considers ready, Up members. */
    List<ClusterNode> upNodes() {
        return nodes.stream().filter(n -> n.state() == ClusterNode.State.UP).toList();
    }

    /** A random ready node, to send setup and check requests to. */
    ClusterNode anyUp() {
        List<ClusterNode> up = upNodes();
        if (up.isEmpty()) {
            throw new AssertionError("no node is up: " + nodes);
        }
        return up.get(ThreadLocalRandom.current().nextInt(up.size()));
    }

    /** Starts every node that is not running, all at once, and waits until all are ready, Up members. */
    void startAll() throws Exception {
        for (ClusterNode n : nodes) {
            if (!n.alive()) {
                launch(n);
            }
        }
        awaitUp(nodes);
    }

    /** Starts {@code node} (its first start, or a restart with the same ports and data) and waits until it is Up. */
    void start(ClusterNode node) throws Exception {
        launch(node);
        List<ClusterNode> expected = eachNodeItsOwnSeed ? List.of(node) : membersAfterStarting(node);
        boolean joiningExisting = !eachNodeItsOwnSeed && expected.size() > 1;
        awaitUp(expected, joiningExisting ? node : null);
    }

    /** Starts the process only. */
    void launch(ClusterNode node) throws IOException {
        node.start(seedsFor(node), TestPostgres.jdbcUrl(database), extraProperties);
    }

    /** SIGKILL, waiting until the process is gone. */
    void kill9(ClusterNode node) throws InterruptedException {
        node.kill9();
    }

    /** SIGTERM, then waits until the process has exited; returns the exit code. */
    int stopGracefully(ClusterNode node, long seconds) throws InterruptedException {
        node.terminate();
        return node.awaitExit(seconds);
    }

    private List<String> seedsFor(ClusterNode node) {
        if (eachNodeItsOwnSeed) {
            return List.of(node.address());
        }
        return nodes.subList(0, Math.min(seedCount, nodes.size())).stream()
                .map(ClusterNode::address)
                .toList();
    }

    private List<ClusterNode> membersAfterStarting(ClusterNode node) {
        List<ClusterNode> expected = new ArrayList<>(upNodes());
        if (!expected.contains(node)) {
            expected.add(node);
        }
        return expected;
    }

    /**
     * Waits until every node of {@code expected} is ready (Pekko Management {@code /ready}) and
     * its {@code /api/v1/_cluster} lists exactly the addresses of {@code expected} (or, for
     * separate one-node clusters, itself), all Up and reachable; then marks them {@link
     * ClusterNode.State#UP}.
     */
    void awaitUp(Collection<ClusterNode> expected) throws Exception {
        awaitUp(expected, null);
    }

    /**
     * As {@link #awaitUp(Collection)}; {@code joiner}, if not null, is joining a running cluster,
     * so a view in which it is the only member means it formed a cluster of its own (a split
     * brain): that fails at once.
     */
    private void awaitUp(Collection<ClusterNode> expected, ClusterNode joiner) throws Exception {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        for (ClusterNode node : expected) {
            Set<String> members = eachNodeItsOwnSeed
                    ? Set.of(node.address())
                    : new TreeSet<>(expected.stream().map(ClusterNode::address).toList());
            String last = "nothing yet";
            while (true) {
                if (!node.alive()) {
                    throw new AssertionError(node + " exited while starting; " + logTail(node, 60));
                }
                last = readiness(node, members);
                // The joiner is watched while any node is waited for: the others cannot see it as a
                // member while it is dead or in a cluster of its own, so that is where it shows.
                String joinerView = node == joiner ? last : joiner == null ? null : readiness(joiner, members);
                if (joiner != null && !joiner.alive()) {
                    throw new AssertionError(joiner + " exited while joining; " + logTail(joiner, 60));
                }
                if (joinerView != null && joinerView.startsWith(ISLAND)) {
                    throw new AssertionError(joiner + " was restarted to join the running cluster of " + members
                            + " but formed a cluster of its own instead: " + joinerView);
                }
                if (last == null) {
                    node.state(ClusterNode.State.UP);
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(node + " is not a ready member of " + members + " within "
                            + START_TIMEOUT.toSeconds() + " s; last: " + last);
                }
                Thread.sleep(200);
            }
        }
    }

    /** A GET of {@code path} on {@code node}'s API, as the first admin when security is on. */
    private TestHttp.Outcome apiGet(ClusterNode node, String path, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url(path)))
                .timeout(timeout)
                .GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return TestHttp.attempt(b.build());
    }

    /** Null when {@code node} is ready and sees exactly {@code members} Up; else what is missing. */
    private String readiness(ClusterNode node, Set<String> members) {
        TestHttp.Outcome ready = TestHttp.attemptGet(node.managementUrl(ClusterNode.READY_PATH), PROBE_TIMEOUT);
        if (!(ready instanceof TestHttp.Answered a) || a.response().status() != 200) {
            return ClusterNode.READY_PATH + ": " + describe(ready);
        }
        TestHttp.Outcome view = apiGet(node, "/api/v1/_cluster", PROBE_TIMEOUT);
        if (!(view instanceof TestHttp.Answered v) || v.response().status() != 200) {
            return "/api/v1/_cluster: " + describe(view);
        }
        JsonNode json = v.response().json();
        Set<String> up = new TreeSet<>();
        Set<String> all = new TreeSet<>();
        for (JsonNode m : json.path("members")) {
            String address = m.path("address").asText();
            all.add(address);
            if ("Up".equals(m.path("status").asText()) && m.path("reachable").asBoolean(false)) {
                up.add(address);
            }
        }
        if (members.size() > 1 && all.equals(Set.of(node.address())) && up.equals(all)) {
            return ISLAND + json;
        }
        if (!up.equals(members) || !all.equals(members)) {
            return "members " + json.path("members") + ", expected Up and reachable: " + members;
        }
        return null;
    }

    /** {@code /api/v1/_cluster} as {@code node} answers it. */
    JsonNode clusterView(ClusterNode node) {
        TestHttp.Response r =
                apiGet(node, "/api/v1/_cluster", Duration.ofSeconds(10)).answer();
        if (r.status() != 200) {
            throw new AssertionError("GET /api/v1/_cluster on " + node + ": " + r);
        }
        return r.json();
    }

    /**
     * Where the shard entities of {@code db/coll} run, as {@code node} sees it: entity id
     * ({@code db/coll/incarnation/n}) to the addresses of the members that list it (a correct
     * cluster lists each on exactly one member).
     */
    Map<String, List<String>> shardHosts(ClusterNode node, String db, String coll) {
        Map<String, List<String>> hosts = new HashMap<>();
        for (JsonNode m : clusterView(node).path("members")) {
            for (JsonNode shard : m.path("shards")) {
                String id = shard.asText();
                if (id.startsWith(db + "/" + coll + "/")) {
                    hosts.computeIfAbsent(id, k -> new ArrayList<>())
                            .add(m.path("address").asText());
                }
            }
        }
        return hosts;
    }

    /**
     * Creates database {@code db} and its collection {@code coll} of {@code shards} shards
     * through {@code node}, retrying while the cluster answers 503 (its catalog may still be
     * starting).
     */
    static void createCollection(ClusterNode node, String db, String coll, int shards) throws InterruptedException {
        putUntil(node, "/api/v1/" + db, "", 201);
        putUntil(node, "/api/v1/" + db + "/" + coll, "{\"shards\":" + shards + "}", 201);
    }

    /** PUTs {@code body} to {@code path} on {@code node} until it answers {@code status} (503s retried for 60 s). */
    static TestHttp.Response putUntil(ClusterNode node, String path, String body, int status)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            TestHttp.Outcome outcome = TestHttp.attemptPut(node.url(path), body, Duration.ofSeconds(15));
            if (outcome instanceof TestHttp.Answered a && a.response().status() == status) {
                return a.response();
            }
            boolean retry =
                    !(outcome instanceof TestHttp.Answered a) || a.response().status() == 503;
            if (!retry || System.nanoTime() > deadline) {
                throw new AssertionError(
                        "PUT " + path + " on " + node + ": " + describe(outcome) + ", expected " + status);
            }
            Thread.sleep(250);
        }
    }

    /** How many shards of {@code db/coll} each member runs (members without any included), as {@code node} sees it. */
    Map<String, Integer> shardsPerNode(ClusterNode node, String db, String coll) {
        Map<String, Integer> out = new java.util.TreeMap<>();
        for (JsonNode m : clusterView(node).path("members")) {
            int count = 0;
            for (JsonNode shard : m.path("shards")) {
                if (shard.asText().startsWith(db + "/" + coll + "/")) {
                    count++;
                }
            }
            out.merge(m.path("address").asText(), count, Integer::sum);
        }
        return out;
    }

    /**
     * Waits until the shards of {@code db/coll} stay where they are: all {@code shards} hosted,
     * each by one member, and the same on every member for {@code quiet} (longer than Pekko's
     * rebalance interval, so no rebalance is under way). Returns that placement (member to count).
     */
    Map<String, Integer> awaitSettledShards(String db, String coll, int shards, Duration quiet, Duration bound)
            throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        Map<String, List<String>> last = null;
        long since = System.nanoTime();
        while (true) {
            Map<String, List<String>> now = shardHosts(anyUp(), db, coll);
            boolean complete = now.size() == shards && now.values().stream().allMatch(on -> on.size() == 1);
            if (!complete || !now.equals(last)) {
                last = now;
                since = System.nanoTime();
            } else if (System.nanoTime() - since >= quiet.toNanos()) {
                return shardsPerNode(anyUp(), db, coll);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the shards of " + db + "/" + coll + " did not settle within "
                        + bound.toSeconds() + " s; last: " + now);
            }
            Thread.sleep(500);
        }
    }

    /** The node of this cluster with cluster address {@code address}. */
    ClusterNode byAddress(String address) {
        return nodes.stream()
                .filter(n -> n.address().equals(address))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no node has address " + address + ": " + nodes));
    }

    /** The last {@code lines} lines of every node's log, for a failure message. */
    String logTails(int lines) {
        StringBuilder out = new StringBuilder();
        for (ClusterNode n : nodes) {
            out.append(logTail(n, lines));
        }
        return out.toString();
    }

    static String logTail(ClusterNode node, int lines) {
        StringBuilder out = new StringBuilder("---- last " + lines + " lines of " + node + " log " + node.log() + "\n");
        try {
            if (Files.exists(node.log())) {
                List<String> all = Files.readAllLines(node.log());
                all.subList(Math.max(0, all.size() - lines), all.size())
                        .forEach(l -> out.append(l).append('\n'));
            }
        } catch (IOException e) {
            out.append("(unreadable: ").append(e).append(")\n");
        }
        return out.toString();
    }

    /**
     * For a failed test: prints the tail of every node's log to stdout, and has {@link #close()}
     * keep the whole logs under {@code -Dlumadb.it.logs} (multi-jvm-tests/target/node-logs).
     */
    void failed(int lines) {
        failed = true;
        System.out.println(logTails(lines));
    }

    /** Copies the node logs out of the temporary directory, which close() deletes. */
    private void keepLogs() {
        String into = System.getProperty("lumadb.it.logs");
        if (into == null) {
            return;
        }
        try {
            Path target = Path.of(into).resolve(dir.getFileName());
            Files.createDirectories(target);
            for (ClusterNode n : nodes) {
                if (Files.exists(n.log())) {
                    Files.copy(n.log(), target.resolve(n.log().getFileName()));
                }
            }
            System.out.println("node logs kept in " + target);
        } catch (IOException e) {
            System.out.println("could not keep the node logs: " + e);
        }
    }

    @Override
    public void close() throws Exception {
        if (closed) {
            return;
        }
        closed = true;
        // A test that timed out arrives here interrupted; cleaning up must still wait for processes.
        boolean interrupted = Thread.interrupted();
        try {
            nodes.forEach(ClusterNode::destroy);
            if (failed || Boolean.getBoolean("lumadb.it.keep-logs")) {
                keepLogs();
            }
            Exception failure = null;
            try {
                TestPostgres.dropDatabase(database);
            } catch (Exception e) {
                failure = e;
            }
            try {
                TestFiles.deleteRecursively(dir);
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
            try {
                Runtime.getRuntime().removeShutdownHook(killOnExit);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
            if (failure != null) {
                throw failure;
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String describe(TestHttp.Outcome outcome) {
        return switch (outcome) {
            case TestHttp.Answered a -> a.response().toString();
            case TestHttp.Refused r -> "refused";
            case TestHttp.Lost l -> "no answer (" + l.cause() + ")";
        };
    }

    static void sleep(Duration d) throws InterruptedException {
        TimeUnit.NANOSECONDS.sleep(d.toNanos());
    }
}
