package io.lumadb.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.cdc.ResumeToken;
import io.lumadb.chaos.check.ChangeStreamChecker;
import io.lumadb.chaos.check.LinearizabilityChecker;
import io.lumadb.chaos.check.LiveQueryChecker;
import io.lumadb.chaos.check.SetChecker;
import io.lumadb.chaos.history.ChangeSeen;
import io.lumadb.chaos.history.History;
import io.lumadb.chaos.history.Op;
import io.lumadb.chaos.history.Verdict;
import io.lumadb.chaos.hosts.ChaosCluster;
import io.lumadb.chaos.hosts.ChaosNode;
import io.lumadb.chaos.hosts.SlowNetwork;
import io.lumadb.chaos.nemesis.Nemesis;
import io.lumadb.chaos.nemesis.Plan;
import io.lumadb.chaos.report.ReportWriter;
import io.lumadb.chaos.workload.ChangeConsumer;
import io.lumadb.chaos.workload.LiveQuery;
import io.lumadb.chaos.workload.NodeApi;
import io.lumadb.chaos.workload.Registers;
import io.lumadb.chaos.workload.Sets;
import io.lumadb.chaos.workload.Target;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One chaos run: a fresh cluster on test hosts, the workloads on every node, the nemesis
 * following the scenario's plan, then healing, the final reads and the checks, and a report
 * directory. Everything the run made is removed at its end, whatever happened.
 */
public final class ChaosRun {

    /** How a run is set up. */
    public record Settings(
            Path jar,
            int nodes,
            int shards,
            int registerClientsPerNode,
            int registerSlots,
            int opsPerKey,
            Duration requestTimeout,
            Path reports) {}

    /** What a run concluded: its verdicts and where its report is. */
    public record Result(String scenario, long seed, List<Verdict> verdicts, Path report, String text) {
        /** Whether every guarantee held (observations of documented trade-offs do not count). */
        public boolean valid() {
            return verdicts.stream()
                    .filter(v -> !v.check().startsWith(OBSERVED))
                    .allMatch(Verdict::valid);
        }
    }

    static final String DB = "chaos";
    static final String COLLECTION = "data";
    static final String LIVE_FILTER = "{\"kind\":\"" + Registers.KIND + "\"}";

    private final Settings settings;
    private final Consumer<String> log;

    public ChaosRun(Settings settings, Consumer<String> log) {
        this.settings = settings;
        this.log = log;
    }

    public Result run(Scenario scenario, long seed, Duration length) throws Exception {
        Plan plan = scenario.plan(seed, length, settings.nodes());
        log.accept("scenario " + scenario.name() + ", seed " + seed + ": "
                + plan.faults().size() + " faults over " + plan.endMillis() / 1000 + " s on " + settings.nodes()
                + " nodes");
        Path report = settings.reports().resolve(scenario.name() + "-" + seed + "-" + System.currentTimeMillis());
        Files.createDirectories(report);
        try (ChaosCluster cluster =
                ChaosCluster.create(settings.jar(), settings.nodes(), scenario.needsSmallDisk() ? "384m" : null, log)) {
            SlowNetwork slow = scenario.needsSlowNetwork() ? SlowNetwork.prepare(cluster.runDir()) : null;
            try {
                return run(scenario, plan, cluster, slow, report);
            } finally {
                cluster.copyLogs(report.resolve("logs"));
            }
        }
    }

    private Result run(Scenario scenario, Plan plan, ChaosCluster cluster, SlowNetwork slow, Path report)
            throws Exception {
        log.accept("starting " + settings.nodes() + " nodes");
        cluster.startAll(Duration.ofSeconds(240));
        Map<String, String> bases = new LinkedHashMap<>();
        for (ChaosNode n : cluster.nodes()) {
            bases.put(n.name(), "http://" + n.ip() + ":" + ChaosNode.HTTP_PORT);
        }
        NodeApi api = new NodeApi(settings.requestTimeout());
        Target target = new Target(api, bases, DB, COLLECTION);
        createCollection(target, cluster.node(0).name());

        History history = new History();
        List<String> nodes = List.copyOf(bases.keySet());
        List<ChangeConsumer> consumers = new ArrayList<>();
        List<LiveQuery> lives = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (String node : nodes) {
            ChangeConsumer c = new ChangeConsumer(node, target, history, Duration.ofSeconds(15));
            consumers.add(c);
            threads.add(Thread.ofPlatform().name("changes-" + node).start(c));
            LiveQuery l = new LiveQuery(node, target, LIVE_FILTER, Duration.ofSeconds(15));
            lives.add(l);
            threads.add(Thread.ofPlatform().name("live-" + node).start(l));
        }

        ScheduledExecutorService supervisor = Executors.newSingleThreadScheduledExecutor();
        supervisor.scheduleWithFixedDelay(
                () -> {
                    try {
                        for (String restarted : cluster.restartExited()) {
                            log.accept(restarted + " had exited; started it again");
                        }
                    } catch (IOException | RuntimeException e) {
                        log.accept("restarting a node failed: " + e);
                    }
                    consumers.forEach(ChangeConsumer::watchdog);
                    lives.forEach(LiveQuery::watchdog);
                },
                1,
                1,
                TimeUnit.SECONDS);

        Registers registers = new Registers(target, history, settings.registerSlots(), settings.opsPerKey());
        Nemesis nemesis = new Nemesis(cluster, plan, history, slow, log, System.nanoTime());
        Sets sets = new Sets(target, history, nemesis::diskFull);
        SplittableRandom random = new SplittableRandom(plan.seed());
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<Thread> clients = new ArrayList<>();
        int process = 0;
        for (String node : nodes) {
            for (int k = 0; k < settings.registerClientsPerNode(); k++) {
                clients.add(Thread.ofPlatform()
                        .name("registers-" + process)
                        .start(registers.client(process, node, random.split(), stop::get)));
                process++;
            }
            clients.add(Thread.ofPlatform()
                    .name("sets-" + process)
                    .start(sets.client(process, node, random.split(), stop::get)));
            process++;
        }

        Thread nemesisThread = Thread.ofPlatform().name("nemesis").start(nemesis);
        try {
            nemesisThread.join();
        } finally {
            nemesis.healAll();
        }
        long healedAt = history.now();
        log.accept("plan done; waiting for every node to be a healthy member");
        cluster.awaitHealthy(Duration.ofSeconds(240));
        log.accept("healthy after " + (history.now() - healedAt) / 1_000_000_000L + " s; stopping the clients");
        stop.set(true);
        for (Thread t : clients) {
            t.join();
        }

        // The final reads, once the cluster is whole again and no client writes.
        String via = nodes.getFirst();
        List<ChangeSeen> reference = new ArrayList<>();
        String end = readWholeStream(target, via, reference);
        log.accept("the change stream holds " + reference.size() + " changes");
        awaitPosition(
                end,
                consumers.stream().map(c -> new Position(c.name(), c::token)).toList(),
                "change consumer");
        consumers.forEach(ChangeConsumer::stop);
        // A live query's position moves past the changes its filter leaves out only with its next
        // heartbeat, so it is done when it reached the end or already shows the query's answer.
        Map<String, Long> answer = queryAnswer(target, via);
        awaitPosition(
                end,
                lives.stream()
                        .map(l -> new Position(l.name(), () -> l.result().equals(answer) ? end : l.token()))
                        .toList(),
                "live query");
        Map<String, Map<String, Long>> liveFinal = new TreeMap<>();
        lives.forEach(l -> liveFinal.put(l.name(), l.result()));
        lives.forEach(LiveQuery::stop);
        Map<String, Set<String>> finalSets = new TreeMap<>();
        for (String node : nodes) {
            finalSets.put(node, setIds(target, node));
        }
        supervisor.shutdownNow();
        for (Thread t : threads) {
            t.join(5_000);
        }

        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("nodes", settings.nodes());
        figures.put("operations", history.ops().size());
        figures.put("changes in the stream", reference.size());
        figures.put(
                "consumer reconnects",
                consumers.stream().mapToInt(ChangeConsumer::reconnects).sum());
        figures.put(
                "live query reconnects",
                lives.stream().mapToInt(LiveQuery::reconnects).sum());
        figures.put(
                "live query restarts (fresh result)",
                lives.stream().mapToInt(LiveQuery::restarts).sum());
        figures.put(
                "node starts",
                cluster.nodes().stream().mapToInt(ChaosNode::starts).sum());
        if (nemesis.failure() != null) {
            figures.put("nemesis failure", nemesis.failure());
        }
        List<Verdict> verdicts = check(history, finalSets, reference, liveFinal, answer);
        String text = writeReport(report, scenario, plan, history, verdicts, figures);
        return new Result(scenario.name(), plan.seed(), verdicts, report, text);
    }

    // ---- check and report: filled in with the checker and the report writer

    /**
     * The guarantees (README "Consistency"): registers linearizable with linearizable reads and
     * for every write, no lost insert, the change stream complete and exactly once, tokens that
     * never rewind, live queries that converge. Then, as an observation that does not fail a
     * run, the registers with local reads, which a partition or a pause may make stale.
     */
    private static List<Verdict> check(
            History history,
            Map<String, Set<String>> finalSets,
            List<ChangeSeen> reference,
            Map<String, Map<String, Long>> liveFinal,
            Map<String, Long> answer) {
        List<Op> ops = history.ops();
        List<Verdict> registers = registerVerdicts(ops);
        List<Verdict> verdicts = new ArrayList<>();
        verdicts.add(registers.getFirst());
        verdicts.add(new SetChecker().check(ops, finalSets));
        verdicts.addAll(new ChangeStreamChecker().check(history.changes(), reference, ops));
        verdicts.add(new LiveQueryChecker().check(liveFinal, answer));
        verdicts.add(registers.getLast());
        return verdicts;
    }

    /**
     * The register verdicts: first the guarantee (keys read linearizably, and every write and
     * compare-and-set), then the observation (keys read locally, reads included).
     */
    static List<Verdict> registerVerdicts(List<Op> ops) {
        LinearizabilityChecker registers = new LinearizabilityChecker();
        List<Op> guaranteed = ops.stream()
                .filter(o -> o.key().startsWith(Registers.LINEARIZABLE_PREFIX)
                        || (o.key().startsWith(Registers.LOCAL_PREFIX) && o.type() != Op.Type.READ))
                .toList();
        List<Op> local = ops.stream()
                .filter(o -> o.key().startsWith(Registers.LOCAL_PREFIX))
                .toList();
        return List.of(
                named(registers.check(guaranteed), "linearizable registers (linearizable reads, all writes)"),
                named(registers.check(local), OBSERVED + "registers with local reads"));
    }

    /** The prefix of a verdict that is an observation of a documented trade-off, not a guarantee. */
    public static final String OBSERVED = "observed, not guaranteed: ";

    private static Verdict named(Verdict v, String check) {
        return new Verdict(check, v.valid(), v.summary(), v.anomalies(), v.smallestFailing());
    }

    private String writeReport(
            Path report,
            Scenario scenario,
            Plan plan,
            History history,
            List<Verdict> verdicts,
            Map<String, Object> figures)
            throws IOException {
        return ReportWriter.write(report, scenario.name(), plan.seed(), plan, history, verdicts, figures)
                .terminalText();
    }

    // ---- setup and final reads

    private void createCollection(Target target, String node) throws InterruptedException {
        put(target, node, "/api/v1/" + DB, "");
        put(target, node, "/api/v1/" + DB + "/" + COLLECTION, "{\"shards\":" + settings.shards() + "}");
    }

    private void put(Target target, String node, String path, String body) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            NodeApi.Outcome o = target.api().put(target.baseUrls().get(node) + path, body);
            if (o instanceof NodeApi.Answered a && (a.status() == 201 || a.status() == 200)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("PUT " + path + " on " + node + ": " + NodeApi.describe(o));
            }
            Thread.sleep(500);
        }
    }

    /** Reads the whole change stream by HTTP pull into {@code into}; returns the position after it. */
    private String readWholeStream(Target target, String node, List<ChangeSeen> into) throws InterruptedException {
        String from = "beginning";
        while (true) {
            String url = target.collectionUrl(node) + "/_changes?limit=1000&from=" + enc(from);
            NodeApi.Answered page = answered(target, url);
            String next = page.header("LumaDB-Next-Token");
            int lines = 0;
            for (String line : page.body().split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                lines++;
                JsonNode c = read(line);
                JsonNode s = c.path("source");
                into.add(new ChangeSeen(
                        "reference",
                        s.path("shard").asInt(),
                        s.path("seq").asLong(),
                        s.path("index").asInt(),
                        s.path("id").asText(),
                        s.path("version").asLong(),
                        c.path("token").asText(),
                        0));
            }
            if (next == null) {
                throw new IllegalStateException("a change page without LumaDB-Next-Token from " + url);
            }
            from = next;
            if (lines == 0) {
                return next;
            }
        }
    }

    private Map<String, Long> queryAnswer(Target target, String node) throws InterruptedException {
        Map<String, Long> out = new TreeMap<>();
        String after = null;
        do {
            String body = "{\"filter\":" + LIVE_FILTER + ",\"limit\":500"
                    + (after == null ? "" : ",\"after\":" + NodeApi.JSON.valueToTree(after)) + "}";
            NodeApi.Answered a = answeredPost(target, target.collectionUrl(node) + "/_query", body);
            JsonNode j = a.json();
            for (JsonNode d : j.path("documents")) {
                out.put(d.path("_id").asText(), d.path("_version").asLong());
            }
            after = j.hasNonNull("next") ? j.path("next").asText() : null;
        } while (after != null);
        return out;
    }

    private Set<String> setIds(Target target, String node) throws InterruptedException {
        Set<String> ids = new HashSet<>();
        String after = null;
        do {
            String url =
                    target.collectionUrl(node) + "/_docs?limit=1000" + (after == null ? "" : "&after=" + enc(after));
            JsonNode j = answered(target, url).json();
            for (JsonNode d : j.path("docs")) {
                if (Sets.KIND.equals(d.path("kind").asText())) {
                    ids.add(d.path("_id").asText());
                }
            }
            after = j.hasNonNull("next") ? j.path("next").asText() : null;
        } while (after != null);
        return ids;
    }

    /** A GET that must answer 200; retried for a minute (the cluster was just healed). */
    private static NodeApi.Answered answered(Target target, String url) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            NodeApi.Outcome o = target.api().get(url);
            if (o instanceof NodeApi.Answered a && a.status() == 200) {
                return a;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("GET " + url + ": " + NodeApi.describe(o));
            }
            Thread.sleep(500);
        }
    }

    private static NodeApi.Answered answeredPost(Target target, String url, String body) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            NodeApi.Outcome o = target.api().post(url, body);
            if (o instanceof NodeApi.Answered a && a.status() == 200) {
                return a;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("POST " + url + ": " + NodeApi.describe(o));
            }
            Thread.sleep(500);
        }
    }

    /** A subscriber's current position, by name. */
    private record Position(String name, java.util.function.Supplier<String> token) {}

    /** Waits until every subscriber's position reached {@code end}, at most a minute; logs those that did not. */
    private void awaitPosition(String end, List<Position> positions, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!positions.stream().allMatch(p -> reached(p.token().get(), end))) {
            if (System.nanoTime() > deadline) {
                for (Position p : positions) {
                    if (!reached(p.token().get(), end)) {
                        log.accept("the " + what + " on " + p.name() + " is at "
                                + describe(p.token().get()) + ", not at the end of the stream " + describe(end)
                                + ", after 60 s");
                    }
                }
                return;
            }
            Thread.sleep(250);
        }
    }

    private static String describe(String token) {
        return token == null ? "nothing yet" : ResumeToken.decode(token).toString();
    }

    /** Whether position {@code token} is at or past {@code end} on every shard. */
    static boolean reached(String token, String end) {
        if (token == null) {
            return false;
        }
        ResumeToken t = ResumeToken.decode(token);
        ResumeToken e = ResumeToken.decode(end);
        long[] ts = t.seqs();
        long[] es = e.seqs();
        int[] tk = t.skips();
        int[] ek = e.skips();
        for (int i = 0; i < es.length; i++) {
            if (ts[i] < es[i] || (ts[i] == es[i] && tk[i] < ek[i])) {
                return false;
            }
        }
        return true;
    }

    private static JsonNode read(String json) {
        try {
            return NodeApi.JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + json, e);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
