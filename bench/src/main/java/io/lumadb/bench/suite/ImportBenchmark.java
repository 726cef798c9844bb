package io.lumadb.bench.suite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.testkit.NodeProcess;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.postgresql.copy.CopyManager;
import org.postgresql.core.BaseConnection;

/**
 * Import throughput: the same NDJSON file of small documents loaded into LumaDB by the command
 * line ({@code lumadb import}: bulk requests, each acknowledged once its shards' journal writes are
 * fsynced) and into PostgreSQL by {@code COPY} into a table keyed by the document's {@code _id}
 * (a {@code jsonb} column and a generated primary key, as mongoimport-style loading does;
 * committed with {@code synchronous_commit = on}). Both are timed from the start of the load to
 * its end, and both counts are checked.
 */
final class ImportBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What one run measured. */
    record Result(long documents, long fileBytes, double lumadbSeconds, double postgresSeconds, String failure) {
        double lumadbPerSecond() {
            return documents / lumadbSeconds;
        }

        double postgresPerSecond() {
            return documents / postgresSeconds;
        }

        double ratio() {
            return failure == null ? lumadbPerSecond() / postgresPerSecond() : Double.NaN;
        }

        List<String> lines() {
            if (failure != null) {
                return List.of("import: the benchmark failed: " + failure);
            }
            return List.of(String.format(
                    Locale.ROOT,
                    "import: %,d documents (%.1f MB of NDJSON): lumadb import %,.0f docs/s (%.1f s), PostgreSQL COPY"
                            + " %,.0f docs/s (%.1f s); LumaDB / PostgreSQL %.2fx",
                    documents,
                    fileBytes / 1e6,
                    lumadbPerSecond(),
                    lumadbSeconds,
                    postgresPerSecond(),
                    postgresSeconds,
                    ratio()));
        }

        SuiteResults.Target target() {
            return new SuiteResults.Target(
                    "import of NDJSON, durable: lumadb import / PostgreSQL COPY (docs/s)", ratio(), 0.5);
        }
    }

    private ImportBenchmark() {}

    static Result run(
            Path nodeJar,
            Path cliJar,
            List<String> serverPrefix,
            List<String> clientPrefix,
            List<String> nodeOptions,
            Path out,
            long documents)
            throws IOException, InterruptedException {
        Path file = out.resolve("import.ndjson");
        try {
            write(file, documents);
            long bytes = Files.size(file);
            double lumadb;
            try (NodeProcess node = LumaDbNode.builder(
                            nodeJar, serverPrefix, out.resolve("import-node.log"), nodeOptions)
                    .build()) {
                LumaDbNode.launch(node, Duration.ofSeconds(60));
                lumadb = lumadbImport(node, cliJar, clientPrefix, file, out.resolve("import-cli.log"));
                long stored = count(node);
                if (stored != documents) {
                    return new Result(
                            documents,
                            bytes,
                            lumadb,
                            Double.NaN,
                            "LumaDB holds " + stored + " documents, not " + documents);
                }
            }
            double postgres = postgresCopy(file, documents);
            return new Result(documents, bytes, lumadb, postgres, null);
        } catch (SQLException | RuntimeException e) {
            return new Result(documents, 0, Double.NaN, Double.NaN, e.toString());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Small documents of a few field types, about 120 bytes each, in _id order. */
    static void write(Path file, long documents) throws IOException {
        Random random = new Random(11);
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (long i = 0; i < documents; i++) {
                w.write(String.format(
                        Locale.ROOT,
                        "{\"_id\":\"user%09d\",\"name\":\"name %d\",\"age\":%d,\"score\":%.4f,\"active\":%b,\"tags\":[\"t%d\",\"t%d\"]}%n",
                        i,
                        i,
                        18 + random.nextInt(60),
                        random.nextDouble() * 100,
                        random.nextBoolean(),
                        random.nextInt(20),
                        random.nextInt(20)));
            }
        }
    }

    private static double lumadbImport(NodeProcess node, Path cliJar, List<String> clientPrefix, Path file, Path log)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(clientPrefix);
        command.addAll(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow",
                "-jar",
                cliJar.toString(),
                "import",
                "bench/import",
                file.toString(),
                "--progress",
                "plain"));
        ProcessBuilder pb =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("LUMADB_URL", node.baseUrl().toString());
        long start = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("lumadb import did not end in 30 minutes (" + log + ")");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (p.exitValue() != 0) {
            throw new IllegalStateException(
                    "lumadb import exited with " + p.exitValue() + ": " + Files.readString(log));
        }
        return seconds;
    }

    private static long count(NodeProcess node) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(node.url("/api/v1/bench/import")))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body = JSON.readTree(r.body());
            return body.path("documentCount").asLong(-1);
        }
    }

    /**
     * {@code COPY} of the file into a fresh table, one line per row into a {@code jsonb} column
     * (CSV mode with quote and delimiter characters that JSON text never holds, so each line arrives
     * untouched), with the primary key generated from {@code _id}.
     */
    private static double postgresCopy(Path file, long documents) throws SQLException, IOException {
        try (Connection c = DriverManager.getConnection(Services.PG_URL, Services.PG_USER, "");
                Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS lumadb_import_bench");
            s.execute("CREATE TABLE lumadb_import_bench (id text PRIMARY KEY GENERATED ALWAYS AS (doc->>'_id') STORED,"
                    + " doc jsonb NOT NULL)");
            s.execute("SET synchronous_commit = on");
            CopyManager copy = new CopyManager(c.unwrap(BaseConnection.class));
            long start = System.nanoTime();
            long rows;
            try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                rows = copy.copyIn(
                        "COPY lumadb_import_bench (doc) FROM STDIN WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')",
                        in);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            try (ResultSet r = s.executeQuery("SELECT count(*) FROM lumadb_import_bench")) {
                r.next();
                if (rows != documents || r.getLong(1) != documents) {
                    throw new IllegalStateException("PostgreSQL copied " + rows + " rows, holds " + r.getLong(1));
                }
            }
            s.execute("DROP TABLE lumadb_import_bench");
            return seconds;
        }
    }
}
