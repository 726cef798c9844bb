package io.lumadb.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.TestHttp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A load client: {@code threads} threads writing documents to one collection continuously,
 * each sending its requests to the nodes in turn. A write that is not acknowledged is retried
 * on the next node until one acknowledges it. Every attempt writes a distinct value ({@code
 * {"w": thread, "n": attempt}}), so a value read back names the attempt that wrote it.
 *
 * <p>It records every attempt and every acknowledgement (id, attempt, {@code _version}). An
 * acknowledged write must be readable exactly (value and version) unless a later attempt on the
 * same id had an unknown outcome (a 503, a timeout, a broken connection): such an attempt may
 * take effect at any time after, so then the document may hold it instead, at a higher version.
 * A refused connection means the request never reached a node, so it is certain not to apply.
 *
 * <p>Outcomes are counted by kind and by whether the node that answered was {@link
 * ClusterNode.State#UP up} both when the request was sent and when it ended, so that a test can
 * tell failures from nodes that stayed up from failures of the node it is stopping or killing.
 */
final class Writers implements AutoCloseable {

    /** How a write request ended. */
    enum Kind {
        /** 200 or 201 with a {@code _version}. */
        ACK,
        /** 503: retry; the outcome is unknown. */
        UNAVAILABLE,
        /** Another 5xx: a failure; the outcome is unknown. */
        OTHER_5XX,
        /** A 4xx: the write was refused; no 4xx is expected from these writes. */
        REJECTED_4XX,
        /** Connection refused: the node is down; nothing was sent. */
        REFUSED,
        /** No answer (timeout, connection broken after sending): the outcome is unknown. */
        LOST
    }

    /** One acknowledged attempt. */
    record Ack(long n, long version) {}

    /** Everything attempted and acknowledged on one document id. */
    static final class Doc {
        private final List<Long> attempts = new ArrayList<>();
        private final List<Long> unknown = new ArrayList<>();
        private final List<Ack> acks = new ArrayList<>();

        synchronized void attempted(long n) {
            attempts.add(n);
        }

        synchronized void unknown(long n) {
            unknown.add(n);
        }

        synchronized void acked(long n, long version) {
            acks.add(new Ack(n, version));
        }

        synchronized List<Ack> acks() {
            return List.copyOf(acks);
        }

        synchronized Ack lastAck() {
            return acks.isEmpty() ? null : acks.getLast();
        }

        /**
         * What is wrong with reading {@code n} at {@code version} (n = -1 and version = -1: the
         * document is missing), or null if that read is allowed.
         */
        synchronized String check(long n, long version) {
            Ack last = lastAck();
            if (n < 0) {
                return last == null ? null : "acknowledged write missing (last ack " + last + ")";
            }
            if (!attempts.contains(n)) {
                return "holds n=" + n + " that was never written to it (attempts " + attempts + ")";
            }
            if (last == null) {
                // Only unknown attempts: any of them may have applied.
                return unknown.contains(n) ? null : "holds n=" + n + " whose write was refused";
            }
            if (n == last.n()) {
                return version == last.version()
                        ? null
                        : "holds the last acknowledged write n=" + n + " at version " + version + ", acknowledged as "
                                + last.version();
            }
            // Not the last acknowledged value: only an attempt with an unknown outcome may have
            // overtaken it, and then at a higher version.
            if (!unknown.contains(n)) {
                return "holds n=" + n + " instead of the last acknowledged write " + last + " (acks " + acks + ")";
            }
            return version > last.version()
                    ? null
                    : "holds unknown-outcome attempt n=" + n + " at version " + version
                            + ", not above the last acknowledged " + last;
        }
    }

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
    /** After {@link #stop}, how long a thread may keep retrying the write it was in. */
    private static final Duration FINISH_TIMEOUT = Duration.ofSeconds(60);

    private final TestCluster cluster;
    private final String path;
    private final int threads;
    private final Duration pause;
    private final Map<String, Doc> docs = new ConcurrentHashMap<>();
    private final AtomicLong attemptCounter = new AtomicLong();
    private final Map<Kind, AtomicLong> fromUpNodes = new EnumMap<>(Kind.class);
    private final Map<Kind, AtomicLong> fromOtherNodes = new EnumMap<>(Kind.class);
    private final List<String> failuresFromUpNodes = java.util.Collections.synchronizedList(new ArrayList<>());
    private final List<String> rejections = java.util.Collections.synchronizedList(new ArrayList<>());
    private final List<Thread> workers = new ArrayList<>();
    private final AtomicLong maxAckMillis = new AtomicLong();
    private volatile boolean running;
    private volatile long stopDeadline = Long.MAX_VALUE;

    /** Writers to {@code /api/v1/{db}/{coll}}; {@code pause} is each thread's rest between writes. */
    Writers(TestCluster cluster, String db, String coll, int threads, Duration pause) {
        this.cluster = cluster;
        this.path = "/api/v1/" + db + "/" + coll + "/";
        this.threads = threads;
        this.pause = pause;
        for (Kind k : Kind.values()) {
            fromUpNodes.put(k, new AtomicLong());
            fromOtherNodes.put(k, new AtomicLong());
        }
    }

    void start() {
        running = true;
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread worker = new Thread(() -> run(thread), "writer-" + t);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
    }

    /** Stops the threads after each has finished (acknowledged) the write it is in; waits for them. */
    void stop() throws InterruptedException {
        if (!running) {
            return;
        }
        stopDeadline = System.nanoTime() + FINISH_TIMEOUT.toNanos();
        running = false;
        for (Thread w : workers) {
            w.join(FINISH_TIMEOUT.toMillis() + 20_000);
            if (w.isAlive()) {
                throw new AssertionError(w.getName() + " did not finish its last write");
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        stopDeadline = System.nanoTime();
        for (Thread w : workers) {
            w.interrupt();
            w.join(REQUEST_TIMEOUT.toMillis() + 5_000);
        }
    }

    private void run(int thread) {
        List<String> mine = new ArrayList<>();
        int next = 0;
        int node = thread;
        try {
            while (running) {
                String id;
                if (!mine.isEmpty() && ThreadLocalRandom.current().nextInt(4) == 0) {
                    id = mine.get(ThreadLocalRandom.current().nextInt(mine.size()));
                } else {
                    id = "w" + thread + "-" + next++;
                    mine.add(id);
                }
                node = writeUntilAcknowledged(thread, id, node);
                if (pause.isPositive()) {
                    TimeUnit.NANOSECONDS.sleep(pause.toNanos());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Returns the index of the node to use next. */
    private int writeUntilAcknowledged(int thread, String id, int nodeIndex) throws InterruptedException {
        Doc doc = docs.computeIfAbsent(id, k -> new Doc());
        while (System.nanoTime() < stopDeadline) {
            List<ClusterNode> nodes = cluster.nodes();
            ClusterNode node = null;
            for (int i = 0; i < nodes.size() && node == null; i++) {
                ClusterNode candidate = nodes.get(Math.floorMod(nodeIndex++, nodes.size()));
                ClusterNode.State s = candidate.state();
                if (s == ClusterNode.State.UP || s == ClusterNode.State.STOPPING) {
                    node = candidate;
                }
            }
            if (node == null) {
                TimeUnit.MILLISECONDS.sleep(100);
                continue;
            }
            long n = attemptCounter.incrementAndGet();
            doc.attempted(n);
            boolean upBefore = node.state() == ClusterNode.State.UP;
            long started = System.nanoTime();
            TestHttp.Outcome outcome =
                    TestHttp.attemptPut(node.url(path + id), "{\"w\":" + thread + ",\"n\":" + n + "}", REQUEST_TIMEOUT);
            boolean upThroughout = upBefore && node.state() == ClusterNode.State.UP;
            Kind kind = classify(outcome);
            (upThroughout ? fromUpNodes : fromOtherNodes).get(kind).incrementAndGet();
            switch (kind) {
                case ACK -> {
                    long version = ((TestHttp.Answered) outcome)
                            .response()
                            .json()
                            .path("_version")
                            .asLong(-1);
                    if (version < 1) {
                        rejections.add(node.name() + " acknowledged " + id + " without a version: " + outcome);
                    }
                    doc.acked(n, version);
                    maxAckMillis.accumulateAndGet(
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), Math::max);
                    return nodeIndex;
                }
                case REFUSED -> {
                    // nothing was sent: certainly not applied
                }
                case REJECTED_4XX -> rejections.add(node.name() + " refused " + id + ": " + outcome.answer());
                default -> {
                    doc.unknown(n);
                    if (upThroughout) {
                        failuresFromUpNodes.add(
                                System.currentTimeMillis() + " " + node.name() + " " + id + ": " + describe(outcome));
                    }
                }
            }
            TimeUnit.MILLISECONDS.sleep(kind == Kind.REFUSED ? 20 : 100);
        }
        return nodeIndex;
    }

    private static Kind classify(TestHttp.Outcome outcome) {
        return switch (outcome) {
            case TestHttp.Refused r -> Kind.REFUSED;
            case TestHttp.Lost l -> Kind.LOST;
            case TestHttp.Answered a -> {
                int s = a.response().status();
                if (s == 200 || s == 201) {
                    yield Kind.ACK;
                } else if (s == 503) {
                    yield Kind.UNAVAILABLE;
                } else if (s >= 500) {
                    yield Kind.OTHER_5XX;
                } else {
                    yield Kind.REJECTED_4XX;
                }
            }
        };
    }

    private static String describe(TestHttp.Outcome outcome) {
        return switch (outcome) {
            case TestHttp.Answered a -> a.response().toString();
            case TestHttp.Refused r -> "refused";
            case TestHttp.Lost l -> "lost: " + l.cause();
        };
    }

    /** Every acknowledged attempt: id to its acknowledgements in order. */
    Map<String, List<Ack>> acknowledged() {
        Map<String, List<Ack>> out = new TreeMap<>();
        docs.forEach((id, doc) -> {
            List<Ack> acks = doc.acks();
            if (!acks.isEmpty()) {
                out.put(id, acks);
            }
        });
        return out;
    }

    long acknowledgedCount() {
        return acknowledged().values().stream().mapToLong(List::size).sum();
    }

    Set<String> ids() {
        return Set.copyOf(docs.keySet());
    }

    /** What reading {@code id} as ({@code n}, {@code version}) violates, or null (-1, -1: missing). */
    String check(String id, long n, long version) {
        Doc doc = docs.get(id);
        if (doc == null) {
            return n < 0 ? null : "holds n=" + n + " but was never written";
        }
        return doc.check(n, version);
    }

    /** Requests that ended with {@code kind} at nodes that were up throughout. */
    long fromUpNodes(Kind kind) {
        return fromUpNodes.get(kind).get();
    }

    /** Requests that ended with {@code kind} at nodes that were starting, stopping or down. */
    long fromOtherNodes(Kind kind) {
        return fromOtherNodes.get(kind).get();
    }

    /** Failed (503, other 5xx, lost) requests to nodes that were up throughout, with details. */
    List<String> failuresFromUpNodes() {
        synchronized (failuresFromUpNodes) {
            return List.copyOf(failuresFromUpNodes);
        }
    }

    /** 4xx answers and acknowledgements without a version: none is expected. */
    List<String> rejections() {
        synchronized (rejections) {
            return List.copyOf(rejections);
        }
    }

    /** A one-line account of the outcomes. */
    String summary() {
        Map<String, Long> up = new HashMap<>();
        Map<String, Long> other = new HashMap<>();
        for (Kind k : Kind.values()) {
            up.put(k.name(), fromUpNodes(k));
            other.put(k.name(), fromOtherNodes(k));
        }
        return "documents " + docs.size() + ", acknowledged writes " + acknowledgedCount() + ", attempts "
                + attemptCounter.get() + ", slowest acknowledgement " + maxAckMillis.get()
                + " ms; outcomes at nodes up throughout " + new TreeMap<>(up) + "; at starting/stopping/down nodes "
                + new TreeMap<>(other);
    }

    /**
     * Reads every document through {@code node}: a full listing ({@code _docs}) checked for every
     * written id, and a point {@code GET} of {@code sample} random acknowledged ids. Returns what
     * is wrong (empty when everything acknowledged is there, exactly).
     */
    List<String> verifyThrough(ClusterNode node, int sample) {
        List<String> problems = new ArrayList<>();
        Map<String, long[]> listed = new HashMap<>();
        String after = null;
        while (true) {
            String url =
                    node.url(path + "_docs?limit=1000" + (after == null ? "" : "&after=" + TestHttp.encode(after)));
            TestHttp.Response page =
                    TestHttp.attemptGet(url, Duration.ofSeconds(30)).answer();
            if (page.status() != 200) {
                problems.add("listing through " + node.name() + " failed: " + page);
                return problems;
            }
            JsonNode json = page.json();
            for (JsonNode d : json.path("docs")) {
                listed.put(
                        d.path("_id").asText(),
                        new long[] {d.path("n").asLong(-1), d.path("_version").asLong(-1)});
            }
            JsonNode nextCursor = json.path("next");
            if (nextCursor.isNull() || nextCursor.isMissingNode()) {
                break;
            }
            after = nextCursor.asText();
        }
        for (String id : docs.keySet()) {
            long[] read = listed.getOrDefault(id, new long[] {-1, -1});
            String problem = check(id, read[0], read[1]);
            if (problem != null) {
                problems.add("listing through " + node.name() + ": " + id + " " + problem);
            }
        }
        for (String id : listed.keySet()) {
            if (!docs.containsKey(id) && !id.startsWith(ServingProbe.ID_PREFIX)) {
                problems.add("listing through " + node.name() + " holds " + id + ", never written");
            }
        }
        List<String> ids = new ArrayList<>(acknowledged().keySet());
        java.util.Collections.shuffle(ids);
        for (String id : ids.subList(0, Math.min(sample, ids.size()))) {
            TestHttp.Response r = TestHttp.attemptGet(node.url(path + id), Duration.ofSeconds(30))
                    .answer();
            long n = -1;
            long version = -1;
            if (r.status() == 200) {
                n = r.json().path("n").asLong(-1);
                version = r.json().path("_version").asLong(-1);
            } else if (r.status() != 404) {
                problems.add("GET " + id + " through " + node.name() + ": " + r);
                continue;
            }
            String problem = check(id, n, version);
            if (problem != null) {
                problems.add("GET through " + node.name() + ": " + id + " " + problem);
            }
        }
        return problems;
    }
}
