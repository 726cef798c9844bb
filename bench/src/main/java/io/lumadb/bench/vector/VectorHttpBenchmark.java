package io.lumadb.bench.vector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.bench.Cli;
import io.lumadb.bench.Stats;
import io.lumadb.bench.streams.ProcessProbe;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * LumaDB's vector search over HTTP, end to end, against a running node: per shard count, a
 * collection is bulk-loaded with the section's vectors ({@code POST _bulk}), a vector index is
 * created over them and built in the background ({@code PUT _indexes/emb}, then {@code GET} until
 * it is ready and holds every document), recall@10 is measured over every query, and then the
 * queries per second of 1 and of several concurrent clients, each sending one {@code _search} at
 * a time with the ids only ({@code "fields": ["_id"]}). Run by the suite pinned like a load
 * generator; writes its {@link Result} as JSON.
 */
@Command(
        name = "VectorHttpBenchmark",
        mixinStandardHelpOptions = true,
        description = "LumaDB's kNN search over HTTP: bulk load, background index build, recall, queries/s.")
public final class VectorHttpBenchmark implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--url", required = true, description = "the node, e.g. http://127.0.0.1:8080")
    String url;

    @Option(names = "--data", required = true, description = "the vector data file (VectorData.write)")
    Path data;

    @Option(names = "--json", required = true, description = "where the result goes")
    Path json;

    @Option(names = "--num-candidates", required = true, description = "numCandidates of every search")
    int numCandidates;

    @Option(names = "--shards", split = ",", description = "shard counts, a collection each (default 1)")
    List<Integer> shards = List.of(1);

    @Option(names = "--clients", split = ",", description = "concurrent clients to measure (default 1,4)")
    List<Integer> clients = List.of(1, 4);

    @Option(names = "--duration", description = "time per client count (default 10s)")
    Duration duration = Duration.ofSeconds(10);

    @Option(
            names = "--warm-up",
            description = "one client searching, unmeasured, before the measured runs (default: --duration)")
    Duration warmUp;

    @Option(names = "--batch", description = "documents per bulk request (default 1000)")
    int batch = 1_000;

    @Option(names = "--loaders", description = "concurrent bulk requests (default 2)")
    int loaders = 2;

    @Option(names = "--db", description = "the database (default vbench)")
    String db = "vbench";

    @Option(names = "--node-pid", description = "the node's process id, to read its CPU time (default: not read)")
    long nodePid = -1;

    @Option(
            names = "--profile",
            description = "record the node (JFR, through jcmd) while one client searches the first collection, into"
                    + " this file (needs --node-pid)")
    Path profile;

    /**
     * Concurrent clients' queries per second and latency (send to whole answer read).
     *
     * @param nodeCpuQps queries per CPU-second of the node (all its threads), NaN if not read
     * @param errors answers other than 200
     */
    public record Rate(
            int clients,
            double qps,
            double nodeCpuQps,
            double p50Ms,
            double p99Ms,
            long requests,
            long errors,
            double seconds) {}

    /**
     * One collection.
     *
     * @param loadSeconds the bulk load of every vector
     * @param readySeconds from creating the index to its state {@code ready}
     * @param searchableSeconds from creating it until every document is searchable (at least {@code readySeconds})
     * @param buildPerSecond documents per second of {@code searchableSeconds}
     * @param recall mean recall@10 over every query at {@code numCandidates}
     * @param rates one per client count
     * @param profile where the node's time went while one client searched (a run apart from {@code
     *     rates}), or null
     * @param index the index's description when it was searchable ({@code GET _indexes/emb})
     */
    public record Collection(
            int shards,
            int documents,
            double loadSeconds,
            double loadPerSecond,
            double readySeconds,
            double searchableSeconds,
            double buildPerSecond,
            int numCandidates,
            double recall,
            List<Rate> rates,
            NodeProfile.Summary profile,
            JsonNode index) {}

    /** Every collection measured. */
    public record Result(List<Collection> collections) {}

    public static void main(String[] args) {
        Cli.exit(new VectorHttpBenchmark(), args);
    }

    @Override
    public Integer call() throws Exception {
        VectorData d = VectorData.read(data);
        HttpClient http = client();
        int created = send(http, "PUT", "/api/v1/" + db, null).statusCode();
        if (created / 100 != 2 && created != 409) {
            throw new IOException("cannot create database " + db + ": HTTP " + created);
        }
        List<Collection> out = new ArrayList<>();
        for (int s : shards) {
            out.add(collection(http, d, s));
            JSON.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), new Result(out));
        }
        return 0;
    }

    private static HttpClient client() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    private HttpResponse<String> send(HttpClient http, String method, String path, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofMinutes(5));
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> expect(HttpClient http, String method, String path, String body, int... ok)
            throws IOException, InterruptedException {
        HttpResponse<String> r = send(http, method, path, body);
        if (Arrays.stream(ok).noneMatch(s -> s == r.statusCode())) {
            throw new IOException(method + " " + path + ": HTTP " + r.statusCode() + " " + abbreviate(r.body()));
        }
        return r;
    }

    private static String abbreviate(String s) {
        return s.length() > 500 ? s.substring(0, 500) + "..." : s;
    }

    private Collection collection(HttpClient http, VectorData d, int shards) throws Exception {
        String coll = "/api/v1/" + db + "/v" + shards;
        expect(http, "PUT", coll, "{\"shards\":" + shards + "}", 200, 201);
        System.out.printf("%d shard(s): loading %,d vectors%n", shards, d.count());
        long t = System.nanoTime();
        load(d, coll);
        double loadSeconds = (System.nanoTime() - t) / 1e9;
        System.out.printf("  loaded in %.1f s (%,.0f/s)%n", loadSeconds, d.count() / loadSeconds);

        String definition =
                "{\"type\":\"vector\",\"path\":\"" + VectorEngineBenchmark.PATH + "\",\"dimension\":" + d.dimension()
                        + ",\"similarity\":\"cosine\",\"m\":16,\"efConstruction\":100,\"quantization\":\"none\"}";
        String index = coll + "/_indexes/" + VectorEngineBenchmark.PATH;
        t = System.nanoTime();
        expect(http, "PUT", index, definition, 200, 201, 202);
        double ready = Double.NaN;
        JsonNode state;
        long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
        while (true) {
            state = JSON.readTree(expect(http, "GET", index, null, 200).body());
            String phase = state.path("state").asText();
            if (phase.equalsIgnoreCase("failed")) {
                throw new IOException("the index build failed: " + state);
            }
            if (phase.equalsIgnoreCase("ready") && Double.isNaN(ready)) {
                ready = (System.nanoTime() - t) / 1e9;
            }
            if (!Double.isNaN(ready) && searchable(state) >= d.count()) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the index was not ready and searchable within 30 minutes: " + state);
            }
            Thread.sleep(50);
        }
        double searchable = (System.nanoTime() - t) / 1e9;
        System.out.printf("  index ready after %.1f s, searchable after %.1f s%n", ready, searchable);

        String[] bodies = new String[d.queryCount()];
        for (int q = 0; q < bodies.length; q++) {
            StringBuilder b = new StringBuilder("{\"knn\":{\"index\":\"")
                    .append(VectorEngineBenchmark.PATH)
                    .append("\",\"vector\":");
            VectorData.appendArray(b, d.queries(), q * d.dimension(), d.dimension());
            b.append(",\"k\":")
                    .append(VectorEngineBenchmark.K)
                    .append(",\"numCandidates\":")
                    .append(numCandidates)
                    .append("},\"fields\":[\"_id\"]}");
            bodies[q] = b.toString();
        }
        String search = coll + "/_search";
        double recall = 0;
        for (int q = 0; q < bodies.length; q++) {
            JsonNode hits = JSON.readTree(
                            expect(http, "POST", search, bodies[q], 200).body())
                    .path("hits");
            int[] found = new int[hits.size()];
            for (int i = 0; i < found.length; i++) {
                found[i] = VectorData.index(hits.get(i).path("_id").asText(""));
            }
            recall += d.recall(q, found);
        }
        recall /= bodies.length;
        System.out.printf("  recall@%d at numCandidates %d: %.4f%n", VectorEngineBenchmark.K, numCandidates, recall);
        // The node compiles its search path as it serves it: measure once that is done.
        rate(search, bodies, 1, warmUp == null ? duration : warmUp);
        List<Rate> rates = new ArrayList<>();
        for (int c : clients) {
            Rate r = rate(search, bodies, c, duration);
            System.out.printf(
                    "  %d client(s): %,.0f queries/s (%,.0f per node CPU-second), p50 %.2f ms, p99 %.2f ms, %d errors%n",
                    c, r.qps(), r.nodeCpuQps(), r.p50Ms(), r.p99Ms(), r.errors());
            rates.add(r);
        }
        // Profiled apart from the measured runs, so that the recording costs them nothing.
        NodeProfile.Summary summary = null;
        if (profile != null && nodePid > 0 && shards == this.shards.get(0) && NodeProfile.start(nodePid)) {
            rate(search, bodies, 1, duration);
            if (NodeProfile.stop(nodePid, profile)) {
                summary = NodeProfile.summarize(profile, 15);
                System.out.printf("  profiled one client's searches: %d samples in %s%n", summary.samples(), profile);
            }
        }
        return new Collection(
                shards,
                d.count(),
                loadSeconds,
                d.count() / loadSeconds,
                ready,
                searchable,
                d.count() / searchable,
                numCandidates,
                recall,
                rates,
                summary,
                state);
    }

    /**
     * The documents the index's shards hold as searches see them, summed, when the node reports
     * it ({@code shards[].indexedDocuments}); otherwise the whole count, trusting {@code ready}.
     */
    private static long searchable(JsonNode state) {
        JsonNode shards = state.path("shards");
        if (!shards.isArray() || shards.isEmpty() || !shards.get(0).has("indexedDocuments")) {
            return Long.MAX_VALUE;
        }
        long sum = 0;
        for (JsonNode s : shards) {
            if (s.path("searchablePosition").asLong() < s.path("indexPosition").asLong()) {
                return 0; // applied but not yet refreshed
            }
            sum += s.path("indexedDocuments").asLong();
        }
        return sum;
    }

    /** Loads every vector with {@link #loaders} concurrent bulk requests of {@link #batch} documents; every item must succeed. */
    private void load(VectorData d, String coll) throws Exception {
        AtomicInteger next = new AtomicInteger();
        Callable<Void> loader = () -> {
            HttpClient http = client();
            for (int from = next.getAndAdd(batch); from < d.count(); from = next.getAndAdd(batch)) {
                StringBuilder b = new StringBuilder(batch * (d.dimension() * 12 + 40)).append('[');
                for (int i = from; i < Math.min(d.count(), from + batch); i++) {
                    if (i > from) {
                        b.append(',');
                    }
                    b.append("{\"id\":\"")
                            .append(VectorData.id(i))
                            .append("\",\"doc\":")
                            .append(d.documentJson(VectorEngineBenchmark.PATH, i))
                            .append('}');
                }
                JsonNode answer = JSON.readTree(
                        expect(http, "POST", coll + "/_bulk", b.append(']').toString(), 200)
                                .body());
                for (JsonNode item : answer.path("items")) {
                    if (item.path("status").asInt() / 100 != 2) {
                        throw new IOException("bulk item failed: " + item);
                    }
                }
                if (answer.path("items").size() != Math.min(batch, d.count() - from)) {
                    throw new IOException(
                            "the bulk answer lists " + answer.path("items").size() + " items");
                }
            }
            return null;
        };
        run(loaders, loader);
    }

    /** {@code clients} clients sending searches one at a time for {@code time}, each starting at another query. */
    private Rate rate(String search, String[] bodies, int clients, Duration time) throws Exception {
        long end = System.nanoTime() + time.toNanos();
        List<long[]> latencies = new ArrayList<>();
        long[] errors = new long[clients];
        double cpuStart = nodeCpu();
        long start = System.nanoTime();
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            long[] mine = new long[1 << 20];
            latencies.add(mine);
            tasks.add(() -> {
                HttpClient http = client();
                HttpRequest.Builder base =
                        HttpRequest.newBuilder(URI.create(url + search)).header("Content-Type", "application/json");
                int q = client * bodies.length / clients;
                int n = 0;
                while (System.nanoTime() < end && n < mine.length - 1) {
                    long t = System.nanoTime();
                    HttpResponse<String> r = http.send(
                            base.copy()
                                    .POST(HttpRequest.BodyPublishers.ofString(bodies[q]))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    mine[++n] = System.nanoTime() - t;
                    if (r.statusCode() != 200) {
                        errors[client]++;
                    }
                    q = (q + 1) % bodies.length;
                }
                mine[0] = n;
                return null;
            });
        }
        run(clients, tasks);
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = nodeCpu() - cpuStart;
        int total = latencies.stream().mapToInt(l -> (int) l[0]).sum();
        long[] all = new long[total];
        int at = 0;
        for (long[] l : latencies) {
            System.arraycopy(l, 1, all, at, (int) l[0]);
            at += (int) l[0];
        }
        Stats.sort(all, total);
        return new Rate(
                clients,
                total / seconds,
                cpuSeconds > 0 ? total / cpuSeconds : Double.NaN,
                Stats.percentile(all, total, 50) / 1e6,
                Stats.percentile(all, total, 99) / 1e6,
                total,
                Arrays.stream(errors).sum(),
                seconds);
    }

    /** The node's CPU seconds so far, or NaN if its process id was not given. */
    private double nodeCpu() {
        return nodePid > 0 ? ProcessProbe.cpuSeconds(nodePid) : Double.NaN;
    }

    private static void run(int threads, Callable<Void> task) throws Exception {
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            tasks.add(task);
        }
        run(threads, tasks);
    }

    private static void run(int threads, List<Callable<Void>> tasks) throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (Future<Void> f : pool.invokeAll(tasks)) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception x ? x : e;
                }
            }
        }
    }
}
