package io.lumadb.bench.suite;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.bench.Cli;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestHttp;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * Many collections on one node: creates {@code count} collections of the default shard count
 * through the HTTP API, each followed by one bulk write of 8 documents (which starts its shards),
 * and reports the rate per block of 1,000 (so a slowdown as collections accumulate shows), the
 * node's open files and column families, and how long a restart with all of them takes (until
 * {@code /ready}, and until a document of the last collection reads back).
 *
 * <p>Runs in the suite ({@code bin/bench --sections collections}) or alone: {@code java -cp
 * lumadb-bench.jar io.lumadb.bench.suite.CollectionsBenchmark [--collections N] [--clients N]
 * [--node-jar FILE] [--out DIR] [--ulimit "-n 1024"]} (the last starts the node under that limit).
 */
public final class CollectionsBenchmark {

    private static final Pattern OPENED = Pattern.compile("Opened RocksDB at \\S+ with (\\d+) column families");
    private static final int BLOCK = 1_000;

    /** What one run measured. */
    public record Result(
            int collections,
            int clients,
            List<Double> perSecondByBlock,
            double overallPerSecond,
            int failures,
            long openFilesAfterCreation,
            long openFilesAfterRestart,
            String openFileLimit,
            int columnFamiliesAtRestart,
            double restartToReadySeconds,
            double restartToFirstReadSeconds,
            long dataDirectoryBytes) {

        /** One line per figure, for the suite's notes. */
        List<String> lines() {
            String blocks = IntStream.range(0, perSecondByBlock.size())
                    .mapToObj(i -> String.format(" %d: %.1f;", (i + 1) * BLOCK, perSecondByBlock.get(i)))
                    .collect(Collectors.joining("", "collections: created per second, per 1,000:", ""));
            return List.of(
                    String.format(
                            "collections: %,d collections (default shard count, each with one 8-document bulk write)"
                                    + " by %d clients at %.1f/s overall; %d failed requests",
                            collections, clients, overallPerSecond, failures),
                    blocks,
                    String.format(
                            "collections: restart with %,d collections: ready after %.1f s, first read of the last"
                                    + " collection after %.1f s; %d column families at open",
                            collections, restartToReadySeconds, restartToFirstReadSeconds, columnFamiliesAtRestart),
                    String.format(
                            "collections: open files %d after creation, %d after the restart (limit %s); data"
                                    + " directory %.1f MB",
                            openFilesAfterCreation, openFilesAfterRestart, openFileLimit, dataDirectoryBytes / 1e6));
        }
    }

    private final NodeProcess node;
    private final TestHttp http;

    private CollectionsBenchmark(NodeProcess node) {
        this.node = node;
        this.http = new TestHttp(node.port());
    }

    /**
     * Runs the benchmark against a node started from {@code jar} behind {@code prefix}, under
     * {@code ulimit} options unless null; the node logs to {@code logDir}/collections-node.log.
     */
    public static Result run(Path jar, List<String> prefix, String ulimit, Path logDir, int collections, int clients)
            throws IOException, InterruptedException {
        NodeProcess.Builder b = LumaDbNode.builder(jar, prefix, logDir.resolve("collections-node.log"), List.of());
        if (ulimit != null) {
            b.ulimit(ulimit);
        }
        try (NodeProcess node = b.build()) {
            return new CollectionsBenchmark(node).measure(collections, clients);
        }
    }

    private int send(String method, String path, String body) {
        HttpRequest.Builder b = http.request(path).timeout(Duration.ofSeconds(60));
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        return http.send(b.build()).status();
    }

    private static String bulk(int collection) {
        return IntStream.range(0, 8)
                .mapToObj(d -> "{\"doc\":{\"_id\":\"d" + d + "\",\"c\":" + collection + "}}")
                .collect(Collectors.joining(",", "[", "]"));
    }

    private Result measure(int collections, int clients) throws IOException, InterruptedException {
        LumaDbNode.launch(node, Duration.ofMinutes(5));
        if (send("PUT", "/api/v1/many", null) / 100 != 2) {
            throw new IOException("cannot create database 'many'");
        }
        int blocks = (collections + BLOCK - 1) / BLOCK;
        AtomicLongArray blockDone = new AtomicLongArray(blocks);
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        long t0 = System.nanoTime();
        Callable<Void> client = () -> {
            for (int i = next.getAndIncrement(); i < collections; i = next.getAndIncrement()) {
                String c = "/api/v1/many/c" + i;
                if (send("PUT", c, null) != 201) {
                    failures.incrementAndGet();
                }
                if (send("POST", c + "/_bulk", bulk(i)) != 200) {
                    failures.incrementAndGet();
                }
                int n = done.incrementAndGet();
                if (n % BLOCK == 0 || n == collections) {
                    blockDone.set((n - 1) / BLOCK, System.nanoTime());
                }
            }
            return null;
        };
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            for (Future<Void> f : pool.invokeAll(Collections.nCopies(clients, client))) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    throw new IOException(
                            "a client failed after " + done.get() + " collections: " + e.getCause(), e.getCause());
                }
            }
        }
        long t1 = System.nanoTime();
        List<Double> perBlock = new ArrayList<>();
        long previous = t0;
        for (int b = 0; b < blocks; b++) {
            int size = Math.min(BLOCK, collections - b * BLOCK);
            perBlock.add(size / ((blockDone.get(b) - previous) / 1e9));
            previous = blockDone.get(b);
        }
        long openAfterCreation = openFiles(node.pid());
        String limit = openFileLimit(node.pid());
        node.stop(Duration.ofSeconds(60));

        long restart = System.nanoTime();
        LumaDbNode.launch(node, Duration.ofMinutes(5));
        double toReady = (System.nanoTime() - restart) / 1e9;
        String last = "/api/v1/many/c" + (collections - 1) + "/d3";
        while (send("GET", last, null) != 200) {
            Thread.sleep(20);
        }
        double toRead = (System.nanoTime() - restart) / 1e9;
        long openAfterRestart = openFiles(node.pid());
        // The log holds both starts: the restart's count is the last.
        Matcher m = OPENED.matcher(Files.readString(node.log()));
        int columnFamilies = -1;
        while (m.find()) {
            columnFamilies = Integer.parseInt(m.group(1));
        }
        node.stop(Duration.ofSeconds(60));
        return new Result(
                collections,
                clients,
                perBlock,
                collections / ((t1 - t0) / 1e9),
                failures.get(),
                openAfterCreation,
                openAfterRestart,
                limit,
                columnFamilies,
                toReady,
                toRead,
                size(node.dataDir()));
    }

    private static long openFiles(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.count();
        }
    }

    private static String openFileLimit(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/limits"))) {
            if (line.startsWith("Max open files")) {
                String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                return f[0] + " soft / " + f[1] + " hard";
            }
        }
        return "unknown";
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }

    /** Writes the result as {@code collections.md} and {@code collections.json} into {@code out}. */
    static void write(Result r, Path out) throws IOException {
        Markdown md = new Markdown().line("# Many collections on one node%n");
        md.table("rr", "collections created | per second in that block");
        for (int i = 0; i < r.perSecondByBlock().size(); i++) {
            md.line(
                    "| %,d | %.1f |",
                    Math.min((i + 1) * BLOCK, r.collections()),
                    r.perSecondByBlock().get(i));
        }
        md.line("");
        r.lines().forEach(l -> md.line("- %s", l));
        Files.writeString(out.resolve("collections.md"), md.toString());
        new ObjectMapper()
                .writerWithDefaultPrettyPrinter()
                .writeValue(out.resolve("collections.json").toFile(), Map.of("result", r));
    }

    public static void main(String[] args) {
        Cli.exit(new Command(), args);
    }

    @CommandLine.Command(
            name = "CollectionsBenchmark",
            mixinStandardHelpOptions = true,
            description = "Creates many collections on a fresh node and writes collections.md and .json.")
    private static final class Command implements Callable<Integer> {
        @Option(names = "--collections", description = "collections to create (default 10000)")
        int collections = 10_000;

        @Option(names = "--clients", description = "concurrent clients (default 8)")
        int clients = 8;

        @Option(names = "--node-jar", description = "the node's jar (default node/target/lumadb.jar)")
        Path jar = Path.of("node/target/lumadb.jar");

        @Option(names = "--out", description = "where the results go (default bench/results)")
        Path out = Path.of("bench/results");

        @Option(names = "--ulimit", description = "ulimit options for the node, e.g. '-n 4096'")
        String ulimit;

        @Override
        public Integer call() throws Exception {
            Files.createDirectories(out);
            Result r = run(jar, List.of(), ulimit, out, collections, clients);
            write(r, out);
            r.lines().forEach(System.out::println);
            return 0;
        }
    }
}
