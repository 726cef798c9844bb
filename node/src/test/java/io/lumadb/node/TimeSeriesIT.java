package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.testkit.NodeProcess;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Time-series collections on a real node with security on, spoken to as InfluxDB clients and
 * LumaDB users would: creation and its option errors, line-protocol writes with InfluxDB's
 * credentials (v2 {@code Token}, v1 {@code u}/{@code p}), precisions, gzip, partial writes, JSON
 * points, {@code _tsquery} answers checked against values computed here, the refusals between
 * the documents and time-series APIs, and points surviving a restart. Every refusal must be a
 * problem document; no request may end in a 5xx.
 */
@Timeout(180)
class TimeSeriesIT {

    private static final String ADMIN_PASSWORD = "admin-pw-1234";
    private static final long SECOND = 1_000_000_000L;

    /** A whole hour, one to two hours ago: every time written lies in [T0, T0 + 1h), before now. */
    private static final long T0 = Instant.now()
                    .truncatedTo(ChronoUnit.HOURS)
                    .minus(2, ChronoUnit.HOURS)
                    .getEpochSecond()
            * SECOND;

    private static final AtomicInteger DATABASES = new AtomicInteger();

    private static Path dir;
    private static NodeProcess node;
    private static TestHttp anonymous;
    private static TestHttp admin;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("lumadb-ts-it");
        node = NodeProcess.builder(dir.resolve("data"))
                .name("time-series node")
                .securityOn()
                .jvmOptions(
                        "-Dlumadb.security.admin-password=" + ADMIN_PASSWORD,
                        // A cheap password hash, so the test does not wait on Argon2id.
                        "-Dlumadb.security.password-hash.memory=1 MiB",
                        "-Dlumadb.security.password-hash.iterations=1")
                .build();
        node.start();
        anonymous = new TestHttp(node.port());
        admin = anonymous.asUser("admin", ADMIN_PASSWORD);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (node != null) {
                node.close();
            }
        } finally {
            if (dir != null) {
                TestFiles.deleteRecursively(dir);
            }
        }
    }

    // ---- creation

    @Test
    void createsTimeSeriesCollectionsWithTheirOptionsAndRefusesBadOnes() throws Exception {
        String db = database();
        TestHttp.Response created = admin.put("/api/v1/" + db + "/cpu", """
                {"kind":"timeseries","shards":2,"timeseries":{"precision":"ms","tags":["host"],
                 "retention":"30d","blockDuration":"1h","lateness":"10m"}}""");
        assertEquals(201, created.status(), created.toString());
        JsonNode options = json("""
                {"precision":"ms","timeField":"time","measurement":"cpu","tags":["host"],
                 "retention":"30d","blockDuration":"1h","lateness":"10m"}""");
        assertEquals("timeseries", created.json().path("kind").asText(), created.toString());
        assertEquals(2, created.json().path("shards").asInt(), created.toString());
        assertEquals(options, created.json().path("timeseries"), created.toString());
        TestHttp.Response got = admin.get("/api/v1/" + db + "/cpu");
        assertEquals(200, got.status(), got.toString());
        assertEquals("timeseries", got.json().path("kind").asText(), got.toString());
        assertEquals(options, got.json().path("timeseries"), got.toString());

        // Every default spelled out.
        TestHttp.Response defaults = admin.put("/api/v1/" + db + "/plain", "{\"kind\":\"timeseries\"}");
        assertEquals(201, defaults.status(), defaults.toString());
        assertEquals(json("""
                        {"precision":"ns","timeField":"time","measurement":"plain","tags":[],
                         "retention":null,"blockDuration":"1h","lateness":"10m"}"""), defaults.json().path("timeseries"), defaults.toString());

        // Bad options: a 400 naming the option, and no collection.
        Map<String, List<String>> bad = new LinkedHashMap<>();
        bad.put(
                "{\"kind\":\"timeseries\",\"timeseries\":{\"bogus\":1}}",
                List.of("invalid-option", "/timeseries/bogus"));
        bad.put("{\"kind\":\"timeseries\",\"colour\":\"red\"}", List.of("unknown-option", "/colour"));
        bad.put(
                "{\"kind\":\"timeseries\",\"timeseries\":{\"retention\":\"10 days\"}}",
                List.of("invalid-option", "/timeseries/retention"));
        bad.put(
                "{\"kind\":\"timeseries\",\"timeseries\":{\"lateness\":\"0s\"}}",
                List.of("invalid-option", "/timeseries/lateness"));
        bad.put(
                "{\"kind\":\"timeseries\",\"timeseries\":{\"blockDuration\":\"7m\"}}",
                List.of("invalid-option", "/timeseries/blockDuration"));
        bad.put(
                "{\"kind\":\"timeseries\",\"timeseries\":{\"retention\":\"10m\",\"blockDuration\":\"1h\"}}",
                List.of("invalid-option", "/timeseries/retention"));
        bad.put(
                "{\"kind\":\"timeseries\",\"timeseries\":{\"precision\":\"seconds\"}}",
                List.of("invalid-option", "/timeseries/precision"));
        bad.put(
                "{\"kind\":\"timeseries\",\"timeseries\":{\"tags\":[\"time\"]}}",
                List.of("invalid-option", "/timeseries/tags/0"));
        bad.put(
                "{\"kind\":\"timeseries\",\"timeseries\":{\"downsampling\":[{\"every\":\"1h\",\"aggregates\":[\"median\"]}]}}",
                List.of("invalid-option", "/timeseries/downsampling/0/aggregates/0"));
        bad.put(
                "{\"kind\":\"timeseries\",\"timeseries\":{\"downsampling\":[{\"every\":\"1h\"},{\"every\":\"1m\"}]}}",
                List.of("invalid-option", "/timeseries/downsampling/1/every"));
        bad.put("{\"kind\":\"timeseries\",\"schema\":{\"type\":\"object\"}}", List.of("invalid-option", "/schema"));
        bad.put("{\"kind\":\"timeseries\",\"preImages\":true}", List.of("invalid-option", "/preImages"));
        bad.put("{\"kind\":\"graph\"}", List.of("invalid-option", "/kind"));
        bad.put("{\"timeseries\":{\"precision\":\"s\"}}", List.of("invalid-option", "/timeseries"));
        for (var e : bad.entrySet()) {
            TestHttp.Response r = admin.put("/api/v1/" + db + "/bad", e.getKey());
            problem(r, 400, e.getValue().get(0), e.getValue().get(1));
        }
        problem(admin.get("/api/v1/" + db + "/bad"), 404, "collection-not-found", null);

        // The kind is fixed at creation: re-creating as the other kind is a conflict, as the same a no-op.
        problem(admin.put("/api/v1/" + db + "/cpu", "{}"), 409, "conflict", "/kind");
        problem(admin.put("/api/v1/" + db + "/cpu", "{\"kind\":\"documents\"}"), 409, "conflict", "/kind");
        assertEquals(201, admin.put("/api/v1/" + db + "/docs", "{}").status());
        problem(admin.put("/api/v1/" + db + "/docs", "{\"kind\":\"timeseries\"}"), 409, "conflict", "/kind");
        TestHttp.Response same = admin.put("/api/v1/" + db + "/cpu", "{\"kind\":\"timeseries\"}");
        assertEquals(200, same.status(), same.toString());
        assertEquals(options, same.json().path("timeseries"), same.toString());
        // So are the time-series options: a client asking for seconds must not write into milliseconds.
        problem(
                admin.put("/api/v1/" + db + "/cpu", "{\"kind\":\"timeseries\",\"timeseries\":{\"precision\":\"s\"}}"),
                409,
                "conflict",
                "/timeseries");
        assertEquals(options, admin.get("/api/v1/" + db + "/cpu").json().path("timeseries"));
        assertEquals(
                "documents",
                admin.get("/api/v1/" + db + "/docs").json().path("kind").asText());
    }

    // ---- line protocol: credentials and permissions

    @Test
    void lineProtocolWritesTakeInfluxCredentialsAndCheckPermissions() throws Exception {
        String db = database();
        createTimeSeries(db, "cpu", "{}");
        user("rw-" + db, "{\"role\":\"readWrite\",\"database\":\"" + db + "\"}");
        user("ro-" + db, "{\"role\":\"read\",\"database\":\"" + db + "\"}");
        TestHttp.Response key = admin.method(
                "POST",
                "/api/v1/_security/keys",
                "application/json",
                "{\"name\":\"telegraf-" + db + "\",\"roles\":[{\"role\":\"readWrite\",\"database\":\"" + db + "\"}]}");
        assertEquals(201, key.status(), key.toString());
        String secret = key.json().path("secret").asText();
        String v2 = "/api/v2/write?org=ignored&bucket=" + db + "/cpu";
        String v1 = "/write?db=" + db + "&rp=cpu";

        written(anonymous.as("Token " + secret), v2, "cpu,via=key v=1i " + (T0 + 1));
        written(anonymous.as("Token rw-" + db + ":rw-password"), v2, "cpu,via=token-user v=2i " + (T0 + 2));
        written(anonymous, v1 + "&u=rw-" + db + "&p=rw-password", "cpu,via=v1 v=3i " + (T0 + 3));
        written(anonymous.asUser("rw-" + db, "rw-password"), v1, "cpu,via=basic v=4i " + (T0 + 4));

        // No credentials, wrong ones, and a user who may only read: refused, nothing written.
        TestHttp.Response none = write(anonymous, v2, "cpu,via=none v=5i " + (T0 + 5));
        problem(none, 401, "unauthorized", null);
        assertNotNull(none.header("WWW-Authenticate"), none.toString());
        problem(write(anonymous, v1, "cpu,via=none v=5i " + (T0 + 5)), 401, "unauthorized", null);
        problem(
                write(anonymous, v1 + "&u=rw-" + db + "&p=wrong", "cpu,via=wrong v=6i " + (T0 + 6)),
                401,
                "unauthorized",
                null);
        problem(
                write(anonymous.as("Token luma_nosuchkey0000_" + "A".repeat(43)), v2, "cpu,via=bogus v=6i " + (T0 + 6)),
                401,
                "unauthorized",
                null);
        problem(
                write(anonymous.as("Token ro-" + db + ":ro-password"), v2, "cpu,via=reader v=7i " + (T0 + 7)),
                403,
                "forbidden",
                null);
        problem(
                write(anonymous, v1 + "&u=ro-" + db + "&p=ro-password", "cpu,via=reader v=7i " + (T0 + 7)),
                403,
                "forbidden",
                null);
        problem(
                anonymous
                        .as("Token ro-" + db + ":ro-password")
                        .method(
                                "POST",
                                "/api/v1/" + db + "/cpu/_points",
                                "application/json",
                                "[{\"fields\":{\"v\":8},\"time\":" + (T0 + 8) + "}]"),
                403,
                "forbidden",
                null);
        // A key of another database may not write here.
        user("other-" + db, "{\"role\":\"readWrite\",\"database\":\"elsewhere\"}");
        problem(
                write(anonymous.as("Token other-" + db + ":other-password"), v2, "cpu,via=other v=9i " + (T0 + 9)),
                403,
                "forbidden",
                null);

        // The reader may query: exactly the four accepted writes.
        TestHttp reader = anonymous.as("Token ro-" + db + ":ro-password");
        List<JsonNode> rows = rows(reader, db, "cpu", "{\"from\":" + T0 + ",\"to\":" + (T0 + 3600 * SECOND) + "}");
        Map<String, String> expected = Map.of(
                "key", "1@" + (T0 + 1), "token-user", "2@" + (T0 + 2), "v1", "3@" + (T0 + 3), "basic", "4@" + (T0 + 4));
        Map<String, String> actual = new TreeMap<>();
        for (JsonNode row : rows) {
            assertTrue(row.path("v").isIntegralNumber(), "an integer field stays an integer: " + row);
            actual.put(row.path("tags").path("via").asText(), row.path("v").asLong() + "@" + nanos(row));
        }
        assertEquals(new TreeMap<>(expected), actual);
    }

    // ---- precision

    @Test
    void eachPrecisionScalesTimesAndTheCollectionsPrecisionIsTheDefault() throws Exception {
        String db = database();
        createTimeSeries(db, "p", "{\"precision\":\"ms\"}");
        String v2 = "/api/v2/write?bucket=" + db + "/p";
        String v1 = "/write?db=" + db + "&rp=p";
        Map<String, Long> expected = new TreeMap<>();
        // Each unit: a time in that unit, not a whole number of the next larger one.
        long us = T0 / 1_000 + 2_000_001;
        long ms = T0 / 1_000_000 + 3_001;
        long s = T0 / SECOND + 4;
        long m = T0 / (60 * SECOND) + 5;
        long h = T0 / (3600 * SECOND);
        written(admin, v2 + "&precision=ns", "p,unit=ns v=1 " + (T0 + 1_000_000_123));
        expected.put("ns", T0 + 1_000_000_123);
        written(admin, v2 + "&precision=us", "p,unit=us v=1 " + us);
        expected.put("us", us * 1_000);
        written(admin, v2 + "&precision=ms", "p,unit=ms v=1 " + ms);
        expected.put("ms", ms * 1_000_000);
        written(admin, v2 + "&precision=s", "p,unit=s v=1 " + s);
        expected.put("s", s * SECOND);
        // InfluxDB 1.x's names, and its minutes and hours.
        written(admin, v1 + "&precision=n", "p,unit=v1n v=1 " + (T0 + 7));
        expected.put("v1n", T0 + 7);
        written(admin, v1 + "&precision=u", "p,unit=v1u v=1 " + us);
        expected.put("v1u", us * 1_000);
        written(admin, v1 + "&precision=m", "p,unit=v1m v=1 " + m);
        expected.put("v1m", m * 60 * SECOND);
        written(admin, v1 + "&precision=h", "p,unit=v1h v=1 " + h);
        expected.put("v1h", h * 3600 * SECOND);
        // No precision: the collection's (milliseconds), for line protocol and JSON points alike.
        written(admin, v2, "p,unit=default2 v=1 " + ms);
        expected.put("default2", ms * 1_000_000);
        written(admin, v1, "p,unit=default1 v=1 " + (ms + 1));
        expected.put("default1", (ms + 1) * 1_000_000);
        TestHttp.Response points = admin.method(
                "POST",
                "/api/v1/" + db + "/p/_points",
                "application/json",
                "[{\"tags\":{\"unit\":\"json\"},\"fields\":{\"v\":1},\"time\":" + (ms + 2) + "}]");
        assertEquals(200, points.status(), points.toString());
        assertEquals(1, points.json().path("written").asInt(), points.toString());
        expected.put("json", (ms + 2) * 1_000_000);

        // v2 knows only ns, us, ms and s; an unknown precision is refused before anything is written.
        problem(write(admin, v2 + "&precision=m", "p,unit=bad v=1 " + m), 400, "invalid-precision", null);
        problem(write(admin, v2 + "&precision=h", "p,unit=bad v=1 " + h), 400, "invalid-precision", null);
        problem(write(admin, v1 + "&precision=fortnight", "p,unit=bad v=1 1"), 400, "invalid-precision", null);

        Map<String, Long> actual = new TreeMap<>();
        for (JsonNode row : rows(admin, db, "p", "{\"from\":" + T0 + ",\"to\":" + (T0 + 7200 * SECOND) + "}")) {
            actual.put(row.path("tags").path("unit").asText(), nanos(row));
        }
        assertEquals(expected, actual);
    }

    // ---- bodies: gzip, bad lines, type conflicts

    @Test
    void gzipBodiesAreReadAndBodiesThatLieAboutTheirEncodingAreRefused() throws Exception {
        String db = database();
        createTimeSeries(db, "g", "{}");
        String v2 = "/api/v2/write?bucket=" + db + "/g";
        String lines = "g,n=1 v=1.5 " + (T0 + 1) + "\ng,n=2 v=2.5 " + (T0 + 2) + "\n";
        TestHttp.Response zipped = send(admin.request(v2)
                .header("Content-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(gzip(lines)))
                .build());
        assertEquals(204, zipped.status(), zipped.toString());
        TestHttp.Response v1zipped = send(admin.request("/write?db=" + db + "&rp=g")
                .header("Content-Encoding", "GZIP")
                .POST(HttpRequest.BodyPublishers.ofByteArray(gzip("g,n=3 v=3.5 " + (T0 + 3))))
                .build());
        assertEquals(204, v1zipped.status(), v1zipped.toString());

        problem(write(admin, v2, "g,n=4 v=4.5 " + (T0 + 4), "Content-Encoding", "gzip"), 400, "invalid-gzip", null);
        problem(
                write(admin, v2, "g,n=5 v=5.5 " + (T0 + 5), "Content-Encoding", "br"),
                415,
                "unsupported-encoding",
                "Content-Encoding");

        Map<String, Double> actual = new TreeMap<>();
        for (JsonNode row : rows(admin, db, "g", "{\"from\":" + T0 + "}")) {
            actual.put(row.path("tags").path("n").asText(), row.path("v").asDouble());
        }
        assertEquals(Map.of("1", 1.5, "2", 2.5, "3", 3.5), actual);
    }

    @Test
    void badLinesAreNamedByLineAndColumnAndTheGoodOnesStored() throws Exception {
        String db = database();
        createTimeSeries(db, "cpu", "{}");
        String body = String.join(
                "\n",
                "cpu,host=a usage=1.5 " + (T0 + 1),
                "cpu,host=a usage=abc " + (T0 + 2), // column 18: a value that is none
                "cpu,host=b", // column 11: the line ends before its fields
                "",
                "cpu,host=c usage=2i,idle=true,note=\"x y\" " + (T0 + 3));
        TestHttp.Response r = write(admin, "/api/v2/write?bucket=" + db + "/cpu", body);
        problem(r, 400, "partial-write", "body");
        JsonNode p = r.json();
        assertEquals("invalid", p.path("code").asText(), r.toString());
        assertEquals(2, p.path("written").asInt(), r.toString());
        String message = p.path("message").asText();
        assertTrue(message.startsWith("partial write: 2 points not written, 2 written; "), message);
        assertTrue(message.contains("line 2, column 18: "), message);
        assertTrue(message.contains("line 3, column 11: "), message);
        assertEquals(message, p.path("error").asText(), "InfluxDB 1.x clients show error");
        assertEquals(2, p.path("errors").size(), r.toString());
        assertEquals(2, p.path("errors").get(0).path("line").asInt(), r.toString());
        assertEquals(18, p.path("errors").get(0).path("column").asInt(), r.toString());
        assertTrue(p.path("errors").get(0).path("message").asText().contains("usage"), r.toString());
        assertEquals(3, p.path("errors").get(1).path("line").asInt(), r.toString());
        assertEquals(11, p.path("errors").get(1).path("column").asInt(), r.toString());

        List<JsonNode> rows = rows(admin, db, "cpu", "{\"from\":" + T0 + "}");
        assertEquals(2, rows.size(), rows.toString());
        assertEquals(T0 + 1, nanos(rows.get(0)));
        assertEquals("a", rows.get(0).path("tags").path("host").asText());
        assertEquals(1.5, rows.get(0).path("usage").doubleValue());
        JsonNode c = rows.get(1);
        assertEquals(T0 + 3, nanos(c));
        assertEquals(json("{\"host\":\"c\"}"), c.path("tags"));
        assertTrue(c.path("usage").isIntegralNumber(), c.toString());
        assertEquals(2, c.path("usage").asLong());
        assertEquals(true, c.path("idle").asBoolean());
        assertEquals("x y", c.path("note").asText());
    }

    @Test
    void aFieldTypeConflictIsAPartialWriteNamingThePoint() throws Exception {
        String db = database();
        createTimeSeries(db, "mem", "{}");
        String v2 = "/api/v2/write?bucket=" + db + "/mem";
        written(admin, v2, "mem,host=a used=1i " + (T0 + 1));
        TestHttp.Response r = write(
                admin,
                v2,
                "mem,host=a used=2i " + (T0 + 2) + "\nmem,host=a used=\"full\" " + (T0 + 3)
                        + "\nmem,host=b used=\"full\" " + (T0 + 4));
        problem(r, 400, "partial-write", "body");
        JsonNode p = r.json();
        assertEquals(2, p.path("written").asInt(), r.toString());
        assertEquals(1, p.path("rejected").size(), r.toString());
        assertEquals(2, p.path("rejected").get(0).path("line").asInt(), "refused points are named by line: " + r);
        String why = p.path("rejected").get(0).path("message").asText();
        assertTrue(why.contains("'used'") && why.contains("INTEGER") && why.contains("STRING"), why);
        assertTrue(p.path("message").asText().contains("line 2: "), r.toString());
        assertEquals(0, p.path("errors").size(), "no line was malformed: " + r);

        // JSON numbers are floats: a float into the integer field is refused too, by its position.
        TestHttp.Response json = admin.method(
                "POST",
                "/api/v1/" + db + "/mem/_points",
                "application/json",
                "[{\"tags\":{\"host\":\"b\"},\"fields\":{\"free\":1},\"time\":" + (T0 + 5)
                        + "},{\"tags\":{\"host\":\"a\"},\"fields\":{\"used\":5.5},\"time\":" + (T0 + 6) + "}]");
        problem(json, 400, "partial-write", "/1");
        assertEquals(1, json.json().path("written").asInt(), json.toString());
        assertEquals(1, json.json().path("rejected").get(0).path("point").asInt(), json.toString());

        List<String> actual = new ArrayList<>();
        for (JsonNode row : rows(admin, db, "mem", "{\"from\":" + T0 + "}")) {
            actual.add(row.path("tags").path("host").asText() + "@" + (nanos(row) - T0) + ":"
                    + (row.has("used") ? row.get("used") : "") + "/" + (row.has("free") ? row.get("free") : ""));
        }
        assertEquals(List.of("a@1:1/", "a@2:2/", "b@4:\"full\"/", "b@5:/1.0"), actual);
    }

    // ---- JSON points

    @Test
    void jsonPointsExplicitAndFlatAreStoredAndBadOnesWriteNothing() throws Exception {
        String db = database();
        createTimeSeries(
                db,
                "env",
                "{\"precision\":\"s\",\"tags\":[\"room\"],\"timeField\":\"ts\",\"measurement\":\"climate\"}");
        String points = "/api/v1/" + db + "/env/_points";
        Instant explicitTime = Instant.ofEpochSecond(T0 / SECOND + 90, 250_000_000);
        String withOffset =
                OffsetDateTime.ofInstant(explicitTime, ZoneOffset.ofHours(1)).toString();
        assertTrue(withOffset.endsWith("+01:00"), withOffset);
        TestHttp.Response written = admin.method(
                "POST",
                points,
                "application/json",
                "[{\"measurement\":\"power\",\"tags\":{\"room\":\"a\"},\"fields\":{\"w\":21.5,\"on\":true,\"s\":\"x\"},"
                        + "\"time\":\"" + withOffset + "\"},"
                        + "{\"room\":\"b\",\"ts\":" + (T0 / SECOND + 5) + ",\"t\":19,\"note\":null}]");
        assertEquals(200, written.status(), written.toString());
        assertEquals(json("{\"written\":2}"), written.json());
        TestHttp.Response wrapped = admin.method(
                "POST",
                points,
                "application/json",
                "{\"points\":[{\"room\":\"c\",\"ts\":\"" + Instant.ofEpochSecond(T0 / SECOND + 7) + "\",\"t\":-1.25,"
                        + "\"ok\":false}]}");
        assertEquals(200, wrapped.status(), wrapped.toString());
        assertEquals(1, wrapped.json().path("written").asInt());

        // A bad point anywhere: 400 pointing at it, and none of the batch is written.
        String good = "{\"room\":\"z\",\"ts\":" + (T0 / SECOND + 9) + ",\"t\":1}";
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("[" + good + ",{\"room\":\"z\",\"ts\":\"yesterday\",\"t\":1}]", "/1/ts");
        bad.put("[" + good + ",{\"fields\":{\"a\":1},\"time\":\"2026-13-01T00:00:00Z\"}]", "/1/time");
        bad.put("[" + good + ",{\"tags\":{\"room\":\"z\"},\"fields\":{\"a\":[1]}}]", "/1/fields/a");
        bad.put("[" + good + ",{\"tags\":{\"room\":5},\"fields\":{\"a\":1}}]", "/1/tags/room");
        bad.put("[" + good + ",{\"fields\":{}}]", "/1");
        bad.put("[" + good + ",{\"room\":\"z\",\"ts\":5}]", "/1");
        bad.put("[" + good + ",7]", "/1");
        bad.put("{\"points\":[" + good + ",{\"room\":\"z\",\"fields\":{\"a\":1}}]}", "/points/1/room");
        for (var e : bad.entrySet()) {
            problem(admin.method("POST", points, "application/json", e.getKey()), 400, "invalid-point", e.getValue());
        }
        problem(admin.method("POST", points, "application/json", "{\"room\":\"z\"}"), 400, "invalid-points", "body");

        List<JsonNode> rows = rows(admin, db, "env", "{\"from\":" + T0 + "}");
        assertEquals(3, rows.size(), "only the good batches: " + rows);
        JsonNode flat = rows.get(0);
        assertEquals(T0 + 5 * SECOND, nanos(flat));
        assertEquals("climate", flat.path("measurement").asText());
        assertEquals(json("{\"room\":\"b\"}"), flat.path("tags"));
        assertTrue(flat.path("t").isDouble(), "JSON numbers are floats: " + flat);
        assertEquals(19.0, flat.path("t").doubleValue());
        assertFalse(flat.has("note"), "a null member is no field: " + flat);
        JsonNode rfc = rows.get(1);
        assertEquals(T0 + 7 * SECOND, nanos(rfc));
        assertEquals(json("{\"room\":\"c\"}"), rfc.path("tags"));
        assertEquals(-1.25, rfc.path("t").doubleValue());
        assertEquals(false, rfc.path("ok").asBoolean(true));
        JsonNode explicit = rows.get(2);
        assertEquals(explicitTime, Instant.parse(explicit.path("time").asText()));
        assertEquals("power", explicit.path("measurement").asText());
        assertEquals(json("{\"room\":\"a\"}"), explicit.path("tags"));
        assertEquals(21.5, explicit.path("w").doubleValue());
        assertEquals(true, explicit.path("on").asBoolean());
        assertEquals("x", explicit.path("s").asText());
    }

    // ---- queries

    /** One written point of the query test. */
    private record Sample(String host, String region, long time, double usage, long n) {}

    @Test
    void queriesAnswerRawAggregateAndLastAsComputedFromWhatWasWritten() throws Exception {
        String db = database();
        createTimeSeries(db, "cpu", "{\"tags\":[\"host\",\"region\"]}");
        Random random = new Random(22);
        List<Sample> samples = new ArrayList<>();
        StringBuilder lines = new StringBuilder();
        for (String host : List.of("a", "b", "c")) {
            String region = host.equals("c") ? "us" : "eu";
            for (int i = 0; i < 60; i++) {
                // Quarters: every sum below is exact in a double, whatever order the shards add in.
                Sample s = new Sample(
                        host, region, T0 + i * 10 * SECOND, random.nextInt(400) / 4.0, random.nextInt(1000) - 500);
                samples.add(s);
                lines.append("cpu,region=")
                        .append(region)
                        .append(",host=")
                        .append(host)
                        .append(" usage=")
                        .append(s.usage())
                        .append(",n=")
                        .append(s.n())
                        .append("i ")
                        .append(s.time())
                        .append('\n');
            }
        }
        // Another measurement, which the queries below must leave out.
        lines.append("mem,host=a usage=1000 ").append(T0 + 5).append('\n');
        written(admin, "/api/v2/write?bucket=" + db + "/cpu", lines.toString());
        long to = T0 + 3600 * SECOND;

        // Raw: one host's rows in time order, every value exact.
        JsonNode raw = query(
                admin,
                db,
                "cpu",
                "{\"measurement\":\"cpu\",\"from\":" + T0 + ",\"to\":" + to + ",\"tags\":{\"host\":\"b\"}}");
        assertFalse(raw.path("truncated").asBoolean(true), raw.toString());
        List<JsonNode> rows = new ArrayList<>();
        raw.path("groups").forEach(g -> g.path("rows").forEach(rows::add));
        List<Sample> b = samples.stream().filter(s -> s.host().equals("b")).toList();
        assertEquals(b.size(), rows.size(), raw.toString());
        for (int i = 0; i < b.size(); i++) {
            JsonNode row = rows.get(i);
            assertEquals(b.get(i).time(), nanos(row), row.toString());
            assertEquals(json("{\"host\":\"b\",\"region\":\"eu\"}"), row.path("tags"), row.toString());
            assertEquals(b.get(i).usage(), row.path("usage").doubleValue(), row.toString());
            assertEquals(b.get(i).n(), row.path("n").longValue(), row.toString());
        }
        // The limit cuts the answer and says so.
        JsonNode limited =
                query(admin, db, "cpu", "{\"measurement\":\"cpu\",\"from\":" + T0 + ",\"to\":" + to + ",\"limit\":7}");
        assertTrue(limited.path("truncated").asBoolean(), limited.toString());
        assertEquals(7, limited.path("groups").get(0).path("rows").size(), limited.toString());

        // Aggregates per region and minute.
        JsonNode agg = query(
                admin,
                db,
                "cpu",
                "{\"measurement\":\"cpu\",\"from\":" + T0 + ",\"to\":" + (T0 + 600 * SECOND)
                        + ",\"groupBy\":[\"region\"],\"window\":\"1m\",\"fields\":[\"usage\"],"
                        + "\"aggregates\":[\"count\",\"sum\",\"min\",\"max\",\"mean\",\"first\",\"last\"]}");
        assertEquals(2, agg.path("groups").size(), agg.toString());
        for (int g = 0; g < 2; g++) {
            String region = g == 0 ? "eu" : "us";
            JsonNode group = agg.path("groups").get(g);
            assertEquals(json("{\"region\":\"" + region + "\"}"), group.path("tags"), group.toString());
            assertEquals(10, group.path("rows").size(), group.toString());
            for (int w = 0; w < 10; w++) {
                long start = T0 + w * 60 * SECOND;
                List<Sample> in = samples.stream()
                        .filter(s -> s.region().equals(region) && s.time() >= start && s.time() < start + 60 * SECOND)
                        .toList();
                double sum = 0;
                double min = Double.MAX_VALUE;
                double max = -Double.MAX_VALUE;
                for (Sample s : in) {
                    sum += s.usage();
                    min = Math.min(min, s.usage());
                    max = Math.max(max, s.usage());
                }
                // Equal times in several series: first is the series whose key sorts first, last the one sorting last.
                Sample first = in.stream()
                        .min((x, y) -> x.time() != y.time()
                                ? Long.compare(x.time(), y.time())
                                : x.host().compareTo(y.host()))
                        .orElseThrow();
                Sample last = in.stream()
                        .max((x, y) -> x.time() != y.time()
                                ? Long.compare(x.time(), y.time())
                                : x.host().compareTo(y.host()))
                        .orElseThrow();
                JsonNode row = group.path("rows").get(w);
                assertEquals(start, nanos(row), row.toString());
                JsonNode usage = row.path("usage");
                String at = region + " window " + w + ": " + row;
                assertEquals(in.size(), usage.path("count").asInt(), at);
                assertEquals(sum, usage.path("sum").doubleValue(), at);
                assertEquals(min, usage.path("min").doubleValue(), at);
                assertEquals(max, usage.path("max").doubleValue(), at);
                assertEquals(sum / in.size(), usage.path("mean").doubleValue(), at);
                assertEquals(first.usage(), usage.path("first").doubleValue(), at);
                assertEquals(last.usage(), usage.path("last").doubleValue(), at);
            }
        }

        // A row filter and a tag condition, one window over the whole range, one group per series.
        JsonNode filtered = query(
                admin,
                db,
                "cpu",
                "{\"measurement\":\"cpu\",\"from\":" + T0 + ",\"to\":" + to
                        + ",\"tags\":{\"host\":{\"$in\":[\"a\",\"c\"]}},"
                        + "\"filter\":{\"usage\":{\"$gte\":50}},\"groupBy\":\"*\",\"fields\":[\"n\"],"
                        + "\"aggregates\":[\"count\",\"sum\"]}");
        Map<String, String> expectedFiltered = new TreeMap<>();
        for (String host : List.of("a", "c")) {
            List<Sample> in = samples.stream()
                    .filter(s -> s.host().equals(host) && s.usage() >= 50)
                    .toList();
            expectedFiltered.put(
                    host, in.size() + "/" + in.stream().mapToLong(Sample::n).sum());
        }
        Map<String, String> actualFiltered = new TreeMap<>();
        for (JsonNode group : filtered.path("groups")) {
            assertEquals("cpu", group.path("measurement").asText(), group.toString());
            JsonNode n = group.path("rows").get(0).path("n");
            actualFiltered.put(
                    group.path("tags").path("host").asText(),
                    n.path("count").asInt() + "/" + (long) n.path("sum").doubleValue());
        }
        assertEquals(expectedFiltered, actualFiltered, filtered.toString());

        // Last: the newest row of each series, in series-key order.
        JsonNode last = query(
                admin, db, "cpu", "{\"measurement\":\"cpu\",\"from\":" + T0 + ",\"to\":" + to + ",\"last\":true}");
        List<JsonNode> lastRows = new ArrayList<>();
        last.path("groups").forEach(g -> g.path("rows").forEach(lastRows::add));
        assertEquals(3, lastRows.size(), last.toString());
        for (int i = 0; i < 3; i++) {
            String host = List.of("a", "b", "c").get(i);
            Sample newest = samples.stream()
                    .filter(s -> s.host().equals(host))
                    .reduce((x, y) -> y)
                    .orElseThrow();
            JsonNode row = lastRows.get(i);
            assertEquals(host, row.path("tags").path("host").asText(), last.toString());
            assertEquals(newest.time(), nanos(row), row.toString());
            assertEquals(newest.usage(), row.path("usage").doubleValue(), row.toString());
            assertEquals(newest.n(), row.path("n").longValue(), row.toString());
        }

        // Bad queries are 400s naming the member.
        problem(
                admin.method("POST", "/api/v1/" + db + "/cpu/_tsquery", "application/json", "{\"to\":1}"),
                400,
                "invalid-query",
                "/from");
        problem(
                admin.method(
                        "POST",
                        "/api/v1/" + db + "/cpu/_tsquery",
                        "application/json",
                        "{\"from\":0,\"aggregates\":[\"mean\"],\"last\":true}"),
                400,
                "invalid-query",
                null);
        problem(
                admin.method("POST", "/api/v1/" + db + "/cpu/_tsquery", "application/json", "{\"from\":0,\"x\":1}"),
                400,
                "invalid-query",
                "/x");
    }

    // ---- kinds and missing collections

    @Test
    void eachApiRefusesTheOtherKindOfCollectionAndMissingOnesAre404() throws Exception {
        String db = database();
        createTimeSeries(db, "ts", "{}");
        assertEquals(201, admin.put("/api/v1/" + db + "/docs", "{}").status());
        admin.putDocument("/api/v1/" + db + "/docs", "d1", "{\"x\":1}");
        String ts = "/api/v1/" + db + "/ts";
        written(admin, "/api/v2/write?bucket=" + db + "/ts", "ts v=1 " + (T0 + 1));

        // The documents API on a time-series collection.
        problem(admin.put(ts + "/d1", "{\"x\":1}"), 409, "not-documents", null);
        problem(admin.get(ts + "/d1"), 409, "not-documents", null);
        problem(admin.delete(ts + "/d1"), 409, "not-documents", null);
        problem(admin.get(ts + "/_docs"), 409, "not-documents", null);
        problem(admin.method("POST", ts + "/_query", "application/json", "{}"), 409, "not-documents", null);
        problem(admin.put(ts + "/_indexes/by_x", "{\"fields\":[\"x\"]}"), 409, "not-documents", null);

        // The time-series API on a collection of documents.
        problem(
                write(admin, "/api/v2/write?bucket=" + db + "/docs", "docs v=1 " + (T0 + 1)),
                409,
                "not-time-series",
                null);
        problem(write(admin, "/write?db=" + db + "&rp=docs", "docs v=1 " + (T0 + 1)), 409, "not-time-series", null);
        problem(
                admin.method("POST", "/api/v1/" + db + "/docs/_points", "application/json", "[{\"fields\":{\"v\":1}}]"),
                409,
                "not-time-series",
                null);
        problem(
                admin.method("POST", "/api/v1/" + db + "/docs/_tsquery", "application/json", "{\"from\":0}"),
                409,
                "not-time-series",
                null);
        assertEquals(200, admin.get("/api/v1/" + db + "/docs/d1").status(), "the documents are untouched");

        // Missing collections and databases.
        problem(write(admin, "/api/v2/write?bucket=" + db + "/nope", "x v=1"), 404, "collection-not-found", null);
        problem(write(admin, "/write?db=" + db + "&rp=nope", "x v=1"), 404, "collection-not-found", null);
        problem(write(admin, "/api/v2/write?bucket=nodb" + db + "/x", "x v=1"), 404, "database-not-found", null);
        problem(
                admin.method("POST", "/api/v1/" + db + "/nope/_points", "application/json", "[{\"fields\":{\"v\":1}}]"),
                404,
                "collection-not-found",
                null);
        problem(
                admin.method("POST", "/api/v1/" + db + "/nope/_tsquery", "application/json", "{\"from\":0}"),
                404,
                "collection-not-found",
                null);
        assertEquals(404, admin.get("/api/v1/" + db + "/nope").status(), "a write never creates a collection");
        // Buckets that name no collection.
        problem(write(admin, "/api/v2/write", "x v=1"), 400, "missing-bucket", null);
        problem(write(admin, "/api/v2/write?bucket=" + db, "x v=1"), 400, "invalid-bucket", null);
        problem(write(admin, "/write?db=" + db, "x v=1"), 400, "missing-collection", null);
        assertEquals(1, rows(admin, db, "ts", "{\"from\":" + T0 + "}").size());
    }

    // ---- restart

    @Test
    void pointsOptionsAndFieldTypesSurviveARestart() throws Exception {
        String db = database();
        createTimeSeries(db, "r", "{\"precision\":\"s\",\"tags\":[\"host\"],\"blockDuration\":\"10m\"}");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            // Forty minutes of points: some blocks sealed, the newest still open.
            lines.append("r,host=h")
                    .append(i % 4)
                    .append(" v=")
                    .append(i)
                    .append("i,f=")
                    .append(i / 8.0)
                    .append(' ')
                    .append(T0 / SECOND + i * 12)
                    .append('\n');
        }
        written(admin, "/api/v2/write?bucket=" + db + "/r", lines.toString());
        assertEquals(
                200,
                admin.method(
                                "POST",
                                "/api/v1/" + db + "/r/_points",
                                "application/json",
                                "[{\"host\":\"json\",\"time\":" + (T0 / SECOND + 1) + ",\"f\":0.5}]")
                        .status());
        String rawQuery = "{\"from\":" + T0 + "}";
        String aggQuery = "{\"from\":" + T0 + ",\"window\":\"10m\",\"groupBy\":[\"host\"],"
                + "\"aggregates\":[\"count\",\"sum\",\"first\",\"last\"]}";
        JsonNode raw = query(admin, db, "r", rawQuery);
        JsonNode agg = query(admin, db, "r", aggQuery);
        assertEquals(201, raw.path("groups").get(0).path("rows").size(), raw.toString());
        JsonNode options = admin.get("/api/v1/" + db + "/r").json().path("timeseries");

        node.terminate();
        assertTrue(
                Files.readString(node.log()).contains("Closed RocksDB"),
                "SIGTERM did not shut the node down cleanly (RocksDB was not closed)");
        node.start();

        assertEquals(raw, query(admin, db, "r", rawQuery));
        assertEquals(agg, query(admin, db, "r", aggQuery));
        TestHttp.Response described = admin.get("/api/v1/" + db + "/r");
        assertEquals("timeseries", described.json().path("kind").asText(), described.toString());
        assertEquals(options, described.json().path("timeseries"));
        // The series' field types came back too: an integer field still refuses a float.
        TestHttp.Response conflict =
                write(admin, "/api/v2/write?bucket=" + db + "/r", "r,host=h0 v=1.5 " + (T0 / SECOND + 3000));
        problem(conflict, 400, "partial-write", "body");
        assertEquals(0, conflict.json().path("written").asInt(), conflict.toString());
        // And the collection's precision (seconds) still applies to writes without one.
        written(admin, "/api/v2/write?bucket=" + db + "/r", "r,host=new v=1i " + (T0 / SECOND + 3001));
        JsonNode newest = query(admin, db, "r", "{\"from\":" + T0 + ",\"tags\":{\"host\":\"new\"}}");
        assertEquals(
                T0 + 3001 * SECOND,
                nanos(newest.path("groups").get(0).path("rows").get(0)),
                newest.toString());
    }

    // ---- helpers

    /** A fresh database, created by the admin. */
    private static String database() {
        String db = "ts" + DATABASES.incrementAndGet();
        TestHttp.Response r = admin.method("PUT", "/api/v1/" + db, null, null);
        assertEquals(201, r.status(), r.toString());
        return db;
    }

    private static void createTimeSeries(String db, String coll, String options) {
        TestHttp.Response r =
                admin.put("/api/v1/" + db + "/" + coll, "{\"kind\":\"timeseries\",\"timeseries\":" + options + "}");
        assertEquals(201, r.status(), r.toString());
    }

    private static void user(String name, String role) {
        String password = name.substring(0, name.indexOf('-')) + "-password";
        TestHttp.Response r = admin.put(
                "/api/v1/_security/users/" + name, "{\"password\":\"" + password + "\",\"roles\":[" + role + "]}");
        assertEquals(201, r.status(), r.toString());
    }

    /** A line-protocol POST, as InfluxDB clients send it, with extra header pairs. */
    private static TestHttp.Response write(TestHttp who, String path, String body, String... headers) {
        return who.method("POST", path, "text/plain; charset=utf-8", body, headers);
    }

    /** A line-protocol POST that must be written whole (204). */
    private static void written(TestHttp who, String path, String body) {
        TestHttp.Response r = write(who, path, body);
        assertEquals(204, r.status(), r.toString());
    }

    private static TestHttp.Response send(HttpRequest request) {
        return admin.send(request);
    }

    /** The answer of {@code _tsquery}, which must be 200. */
    private static JsonNode query(TestHttp who, String db, String coll, String query) {
        TestHttp.Response r = who.method("POST", "/api/v1/" + db + "/" + coll + "/_tsquery", "application/json", query);
        assertEquals(200, r.status(), query + " -> " + r);
        return r.json();
    }

    /** Every row of a raw query's answer, which must not be truncated. */
    private static List<JsonNode> rows(TestHttp who, String db, String coll, String query) {
        JsonNode answer = query(who, db, coll, query);
        assertFalse(answer.path("truncated").asBoolean(true), answer.toString());
        List<JsonNode> rows = new ArrayList<>();
        answer.path("groups").forEach(g -> g.path("rows").forEach(rows::add));
        return rows;
    }

    /** A row's RFC 3339 time in nanoseconds since the epoch. */
    private static long nanos(JsonNode row) {
        Instant t = Instant.parse(row.path("time").asText());
        return t.getEpochSecond() * SECOND + t.getNano();
    }

    /**
     * An error answer: the status, a problem document of the type (and the field, when given),
     * without a stack trace.
     */
    private static void problem(TestHttp.Response r, int status, String type, String field) {
        assertEquals(status, r.status(), r.toString());
        // InfluxDB's clients read an error's code and message only from application/json, so the
        // line-protocol write endpoints send their own problems (all but the sign-in's 401) as that.
        String path = r.raw().request().uri().getPath();
        boolean influx = (path.equals("/write") || path.equals("/api/v2/write")) && status != 401;
        String mediaType = influx ? "application/json" : "application/problem+json";
        assertTrue(
                r.contentType() != null && r.contentType().startsWith(mediaType),
                "a problem document as " + mediaType + ": " + r.contentType() + " " + r);
        JsonNode p = r.json();
        assertEquals("urn:lumadb:problem:" + type, p.path("type").asText(), r.toString());
        assertEquals(status, p.path("status").asInt(), r.toString());
        assertFalse(p.path("title").asText().isBlank(), r.toString());
        assertFalse(p.path("detail").asText().isBlank(), r.toString());
        if (field != null) {
            assertEquals(field, p.path("field").asText(), r.toString());
        }
        assertFalse(r.body().contains("Exception") || r.body().contains("\tat "), "no stack traces: " + r.body());
    }

    private static JsonNode json(String text) throws IOException {
        return TestHttp.JSON.readTree(text);
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
