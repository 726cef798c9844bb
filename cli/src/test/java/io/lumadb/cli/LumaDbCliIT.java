package io.lumadb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The real {@code bin/lumadb} against a real node (security on): every subcommand's happy path
 * and its main error paths with their exit statuses, import and export round trips of 1,000,000
 * NDJSON documents and 100,000 CSV rows, bad lines, a consistent export under writes, a tail
 * across a restart of the node, and the shell driven through tmux.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class LumaDbCliIT {
    private CliFixture f;

    @BeforeAll
    void start() throws Exception {
        f = new CliFixture("cli-it");
    }

    @AfterAll
    void stop() throws IOException {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void documentsQueriesSqlAndAdministrationWithTheirExitStatuses() throws Exception {
        f.lumadb("db", "create", "shop").ok();
        f.lumadb("collection", "create", "shop/users", "--shards", "2").ok();
        assertEquals(
                1,
                f.lumadb("put", "shop/users/ada", "{\"name\":\"Ada\",\"age\":36}")
                        .ok()
                        .json()
                        .path("_version")
                        .asLong());
        Path body = f.dir.resolve("bob.json");
        Files.writeString(body, "{\"name\":\"Bob\",\"age\":17}");
        f.lumadbWithInput(body, "put", "shop/users/bob").ok();
        f.lumadb("put", "shop/users/cy", "--file", body.toString()).ok();
        assertEquals(
                "Ada",
                f.lumadb("get", "shop/users/ada").ok().json().path("name").asText());
        assertEquals(
                37,
                f.lumadb("patch", "shop/users/ada", "{\"age\":37}")
                        .ok()
                        .json()
                        .path("age")
                        .asInt());
        f.lumadb("put", "shop/users/ada", "{\"x\":1}", "--if-match", "1").exits(ExitCodes.FAILED);
        f.lumadb("put", "shop/users/ada", "{\"x\":1}", "--create-only").exits(ExitCodes.FAILED);
        f.lumadb("delete", "shop/users/cy").ok();
        CliFixture.Run missing = f.lumadb("get", "shop/users/cy").exits(ExitCodes.NOT_FOUND);
        assertTrue(missing.err().contains("cy"), missing.err());
        f.lumadb("get", "shop/nothing/x").exits(ExitCodes.NOT_FOUND);
        f.lumadb("put", "shop/users/bad", "{not json").exits(ExitCodes.USAGE);
        f.lumadb("get", "shop/users").exits(ExitCodes.USAGE);

        // queries: JQL in every format, then SQL; versions grow per shard, not by one per
        // document, so they are left out of the comparisons
        assertEquals(
                "[\n{\"_id\":\"ada\",\"_version\":V,\"name\":\"Ada\",\"age\":37}\n]\n",
                noVersions(f.lumadb("query", "shop/users", "{\"filter\":{\"age\":{\"$gte\":18}}}")
                        .ok()
                        .out()));
        assertEquals(
                "{\"_id\":\"bob\",\"_version\":V,\"name\":\"Bob\",\"age\":17}\n",
                noVersions(f.lumadb("query", "shop/users", "--filter", "{\"age\":17}", "-o", "ndjson")
                        .ok()
                        .out()));
        assertEquals(
                "_id,_version,name,age\nada,V,Ada,37\nbob,V,Bob,17\n",
                noVersions(f.lumadb("query", "shop/users", "{\"sort\":[\"_id\"]}", "-o", "csv")
                        .ok()
                        .out()));
        assertEquals(
                "{\"count\":2}\n",
                f.lumadb("query", "shop/users", "{\"count\":true}").ok().out());
        CliFixture.Run table = f.lumadb("sql", "shop", "SELECT name, age FROM users ORDER BY age")
                .ok();
        assertEquals(" name | age\n------+-----\n Bob  | 17\n Ada  | 37\n(2 rows)\n", table.out());
        assertTrue(
                f.lumadb("sql", "shop", "INSERT INTO users (_id, name, age) VALUES ('dee', 'Dee', ?)", "--param", "51")
                        .ok()
                        .err()
                        .contains("INSERT 1"));
        assertEquals(
                "[\n{\"n\":3}\n]\n",
                f.lumadb("sql", "shop", "SELECT count(*) AS n FROM users", "-o", "json")
                        .ok()
                        .out());
        CliFixture.Run syntax = f.lumadb("sql", "shop", "SELEC 1").exits(ExitCodes.FAILED);
        assertTrue(syntax.err().contains("SQLSTATE 42601"), syntax.err());

        // indexes, with the build awaited
        CliFixture.Run index = f.lumadb(
                        "index", "create", "shop/users", "by_age", "age:desc", "--wait", "--progress", "none")
                .ok();
        assertEquals("ready", index.json().path("state").asText());
        assertTrue(f.lumadb("index", "list", "shop/users", "-o", "csv")
                .ok()
                .out()
                .contains("by_age,-age,ready,\"100% (3/3)\""));
        f.lumadb("index", "show", "shop/users", "nope").exits(ExitCodes.NOT_FOUND);

        // listings, cluster, health
        assertTrue(f.lumadb("db", "list", "-o", "csv").ok().out().contains("\nshop,1,"));
        assertTrue(
                f.lumadb("collection", "list", "shop", "-o", "csv").ok().out().contains("\nusers,2,"));
        assertEquals(
                3,
                f.lumadb("collection", "show", "shop/users")
                        .ok()
                        .json()
                        .path("documentCount")
                        .asInt());
        assertFalse(
                f.lumadb("cluster", "-o", "json").ok().json().path("members").isEmpty());
        assertTrue(f.lumadb("health").ok().out().contains("ready: yes"));

        // security: users, keys, roles; refused credentials; a key used instead of a user
        f.lumadb("user", "create", "reader", "--role", "read@shop", "--new-password", "reader-password-1")
                .ok();
        assertTrue(f.lumadb("user", "list", "-o", "csv").ok().out().contains("reader"));
        String secret = f.lumadb("key", "create", "ci", "--role", "readWrite@shop")
                .ok()
                .json()
                .path("secret")
                .asText();
        assertTrue(secret.startsWith("luma_"), secret);
        Map<String, String> byKey = Map.of("LUMADB_URL", f.node.baseUrl().toString(), "LUMADB_API_KEY", secret);
        assertEquals(
                "Ada",
                f.run(byKey, null, "get", "shop/users/ada")
                        .ok()
                        .json()
                        .path("name")
                        .asText());
        assertTrue(f.lumadb("role", "list").ok().out().contains("readWrite"));
        Map<String, String> reader = Map.of(
                "LUMADB_URL",
                f.node.baseUrl().toString(),
                "LUMADB_USER",
                "reader",
                "LUMADB_PASSWORD",
                "reader-password-1");
        f.run(reader, null, "get", "shop/users/ada").ok();
        f.run(reader, null, "put", "shop/users/x", "{}").exits(ExitCodes.DENIED);
        Map<String, String> wrong = new HashMap<>(f.env());
        wrong.put("LUMADB_PASSWORD", "wrong");
        CliFixture.Run refused = f.run(wrong, null, "db", "list").exits(ExitCodes.DENIED);
        assertTrue(refused.err().contains("refused the credentials"), refused.err());
        Map<String, String> nowhere = new HashMap<>(f.env());
        nowhere.put("LUMADB_URL", "http://127.0.0.1:1");
        CliFixture.Run unreachable = f.run(nowhere, null, "db", "list").exits(ExitCodes.UNREACHABLE);
        assertTrue(unreachable.err().contains("cannot reach LumaDB at http://127.0.0.1:1"), unreachable.err());

        // the profile file, when nothing else says how to connect
        Path config = f.home.resolve(".config/lumadb/config");
        Files.createDirectories(config.getParent());
        Files.writeString(
                config, "[default]\nurl = " + f.node.baseUrl() + "\nuser = admin\npassword = " + f.password + "\n");
        Files.setPosixFilePermissions(config, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertEquals(
                "Ada",
                f.run(Map.of(), null, "get", "shop/users/ada")
                        .ok()
                        .json()
                        .path("name")
                        .asText());
        f.run(Map.of(), null, "--profile", "other", "db", "list").exits(ExitCodes.USAGE);
        Files.delete(config);

        f.lumadb(
                        "key",
                        "revoke",
                        f.lumadb("key", "list", "-o", "json")
                                .ok()
                                .json()
                                .path(0)
                                .path("id")
                                .asText())
                .ok();
        f.run(byKey, null, "get", "shop/users/ada").exits(ExitCodes.DENIED);
        f.lumadb("user", "drop", "reader").ok();

        // drops need a confirmation: --yes when not on a terminal
        f.lumadb("db", "create", "scratch").ok();
        f.lumadb("db", "drop", "scratch").exits(ExitCodes.USAGE);
        f.lumadb("db", "drop", "scratch", "--yes").ok();
        f.lumadb("db", "show", "scratch").exits(ExitCodes.NOT_FOUND);
    }

    @Test
    void oneMillionNdjsonDocumentsRoundTrip() throws Exception {
        Path in = f.dir.resolve("million.ndjson");
        try (BufferedWriter w = Files.newBufferedWriter(in)) {
            for (int i = 0; i < 1_000_000; i++) {
                w.write("{\"_id\":\"d" + String.format("%07d", i) + "\",\"n\":" + i + ",\"even\":" + (i % 2 == 0)
                        + ",\"tag\":\"t" + (i % 100) + "\"}\n");
            }
        }
        CliFixture.Run imported = f.lumadb("import", "bulk/million", in.toString(), "--progress", "plain")
                .ok();
        assertTrue(imported.err().contains("imported 1,000,000 documents"), imported.err());
        assertTrue(imported.err().contains("docs/s"), "plain progress lines: " + imported.err());
        Path out = f.dir.resolve("million-out.ndjson");
        CliFixture.Run exported = f.lumadb("export", "bulk/million", out.toString(), "--progress", "none")
                .ok();
        assertTrue(exported.err().contains("exported 1,000,000 documents"), exported.err());
        try (BufferedReader a = Files.newBufferedReader(in);
                BufferedReader b = Files.newBufferedReader(out)) {
            long lines = 0;
            for (String x = a.readLine(); x != null; x = a.readLine()) {
                ObjectNode y = (ObjectNode) CliFixture.JSON.readTree(b.readLine());
                assertEquals(1, y.remove("_version").asLong() > 0 ? 1 : 0);
                assertEquals(CliFixture.JSON.readTree(x), y, "line " + (lines + 1));
                lines++;
            }
            assertEquals(null, b.readLine(), "the export has more documents than the import");
            assertEquals(1_000_000, lines);
        }
        Files.delete(in);
        Files.delete(out);
    }

    @Test
    void oneHundredThousandCsvRowsRoundTrip() throws Exception {
        Path in = f.dir.resolve("rows.csv");
        List<ObjectNode> expected = new ArrayList<>();
        Random random = new Random(7);
        try (BufferedWriter w = Files.newBufferedWriter(in)) {
            w.write("_id,sku,qty,price,active,note,tags\n");
            for (int i = 0; i < 100_000; i++) {
                String id = String.format("r%06d", i);
                String sku = String.format("%05d", random.nextInt(100_000)); // leading zeros: text
                int qty = random.nextInt(1000) - 500;
                double price = Math.round(random.nextDouble() * 100_000) / 100.0;
                boolean active = random.nextBoolean();
                String note = i % 3 == 0 ? "says \"hi\", then\nleaves" : i % 3 == 1 ? "plain" : null;
                w.write(id + "," + sku + "," + qty + "," + price + "," + active + ","
                        + (note == null ? "" : "\"" + note.replace("\"", "\"\"") + "\"") + ",\"[1,\"\"x\"\"]\"\n");
                ObjectNode doc = CliFixture.JSON.createObjectNode();
                doc.put("_id", id)
                        .put("sku", sku)
                        .put("qty", qty)
                        .put("price", price)
                        .put("active", active);
                if (note != null) {
                    doc.put("note", note);
                }
                doc.putArray("tags").add(1).add("x");
                expected.add(doc);
            }
        }
        f.lumadb("import", "rows/a", in.toString(), "--columns", "sku:string", "--progress", "none")
                .ok();
        Path csv = f.dir.resolve("rows-out.csv");
        f.lumadb(
                        "export",
                        "rows/a",
                        csv.toString(),
                        "--columns",
                        "_id,sku,qty,price,active,note,tags",
                        "--progress",
                        "none")
                .ok();
        f.lumadb("import", "rows/b", csv.toString(), "--columns", "sku:string", "--progress", "none")
                .ok();
        Path back = f.dir.resolve("rows-b.ndjson");
        f.lumadb("export", "rows/b", back.toString(), "--progress", "none").ok();
        List<String> lines = Files.readAllLines(back);
        assertEquals(expected.size(), lines.size());
        for (int i = 0; i < lines.size(); i++) {
            ObjectNode doc = (ObjectNode) CliFixture.JSON.readTree(lines.get(i));
            doc.remove("_version");
            assertEquals(expected.get(i), doc, "row " + i);
        }
    }

    @Test
    void badLinesStopTheImportOrAreSkippedByLineNumber() throws Exception {
        Path in = f.dir.resolve("bad.ndjson");
        Files.writeString(
                in, "{\"_id\":\"a\"}\n{\"_id\":\"b\"}\n{\"_id\": oops}\n{\"_id\":\"c\"}\n[1]\n{\"_id\":\"d\"}\n");
        CliFixture.Run stopped = f.lumadb("import", "bad/stop", in.toString(), "--progress", "none")
                .exits(ExitCodes.BAD_INPUT);
        assertTrue(stopped.err().contains("line 3: not JSON"), stopped.err());
        assertTrue(stopped.err().contains("stopped at line 3"), stopped.err());
        assertEquals("a\nb\n", ids("bad/stop"));

        CliFixture.Run skipped = f.lumadb("import", "bad/skip", in.toString(), "--skip-bad", "--progress", "none")
                .ok();
        assertTrue(
                skipped.err().contains("line 3: not JSON")
                        && skipped.err().contains("line 5: a document is a JSON object"),
                skipped.err());
        assertTrue(skipped.err().contains("skipped 2 bad lines"), skipped.err());
        assertEquals("a\nb\nc\nd\n", ids("bad/skip"));

        // a document the node refuses (a schema violation) is a bad line too
        Path schema = f.dir.resolve("schema.json");
        Files.writeString(schema, "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}}");
        f.lumadb("collection", "create", "bad/typed", "--schema", schema.toString())
                .ok();
        Path typed = f.dir.resolve("typed.ndjson");
        Files.writeString(typed, "{\"_id\":\"a\",\"n\":1}\n{\"_id\":\"b\",\"n\":\"two\"}\n{\"_id\":\"c\",\"n\":3}\n");
        CliFixture.Run refused = f.lumadb("import", "bad/typed", typed.toString(), "--skip-bad", "--progress", "none")
                .ok();
        assertTrue(refused.err().contains("line 2:") && refused.err().contains("/n"), refused.err());
        assertEquals("a\nc\n", ids("bad/typed"));

        // CSV: a cell that does not fit its declared type; a JSON array broken in the middle
        Path csv = f.dir.resolve("bad.csv");
        Files.writeString(csv, "_id,qty\nx,1\ny,two\nz,3\n");
        CliFixture.Run cell = f.lumadb(
                        "import", "bad/csv", csv.toString(), "--columns", "qty:integer", "--progress", "none")
                .exits(ExitCodes.BAD_INPUT);
        assertTrue(cell.err().contains("line 3: column qty: 'two' is not an integer"), cell.err());
        assertEquals("x\n", ids("bad/csv"));
        Path json = f.dir.resolve("bad.json");
        Files.writeString(json, "[\n{\"_id\":\"p\"},\n{\"_id\":\"q\",}\n,{\"_id\":\"r\"}]");
        CliFixture.Run array = f.lumadb("import", "bad/json", json.toString(), "--skip-bad", "--progress", "none")
                .exits(ExitCodes.BAD_INPUT);
        assertTrue(array.err().contains("line 3: not JSON"), array.err());
        assertEquals("p\n", ids("bad/json"));
        f.lumadb("import", "bad/none", f.dir.resolve("missing.ndjson").toString())
                .exits(ExitCodes.USAGE);
    }

    /** {@code _version} values replaced by {@code V}, in JSON and in the second column of CSV. */
    private static String noVersions(String text) {
        return text.replaceAll("\"_version\":\\d+", "\"_version\":V").replaceAll("(?m)^([^,\\n]*),\\d+,", "$1,V,");
    }

    private String ids(String target) throws Exception {
        return f.lumadb("query", target, "{\"fields\":[\"_id\"],\"sort\":[\"_id\"]}", "-o", "csv")
                .ok()
                .out()
                .replaceFirst("^_id(,_version)?\n", "")
                .replaceAll(",\\d+\n", "\n");
    }

    @Test
    void anExportIsOneConsistentSnapshotWhileWritesGoOn() throws Exception {
        f.api("PUT", "/api/v1/live", "{}");
        f.api("PUT", "/api/v1/live/items", "{\"shards\":4}");
        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            bulk.append("{\"doc\":{\"_id\":\"i").append(i).append("\",\"v\":0}}\n");
        }
        Path seed = f.dir.resolve("seed.ndjson");
        Files.writeString(seed, bulk.toString().replace("{\"doc\":", "").replace("}}\n", "}\n"));
        f.lumadb("import", "live/items", seed.toString(), "--progress", "none").ok();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            Random r = new Random(3);
            for (int round = 1; writing.get() && failure.get() == null; round++) {
                try {
                    if (round % 5 == 0) {
                        f.api("DELETE", "/api/v1/live/items/i" + r.nextInt(25_000), null);
                    } else {
                        f.api("PUT", "/api/v1/live/items/i" + r.nextInt(25_000), "{\"v\":" + round + "}");
                    }
                } catch (AssertionError e) {
                    if (!String.valueOf(e.getMessage()).contains(": 404 ")) {
                        failure.set(e); // a delete of a missing document is a 404: anything else is not
                    }
                } catch (Exception e) {
                    failure.set(e);
                }
            }
        });
        writer.start();
        Path out = f.dir.resolve("live.ndjson");
        CliFixture.Run exported;
        try {
            Thread.sleep(300);
            exported = f.lumadb("export", "live/items", out.toString(), "--progress", "none")
                    .ok();
        } finally {
            writing.set(false);
            writer.join();
        }
        String position = exported.err()
                .lines()
                .filter(l -> l.startsWith("snapshot position: "))
                .findFirst()
                .orElseThrow()
                .substring("snapshot position: ".length());
        assertEquals(null, failure.get());
        Map<String, JsonNode> atPosition = f.fold("live", "items", position);
        Map<String, JsonNode> exportedDocs = new HashMap<>();
        for (String line : Files.readAllLines(out)) {
            ObjectNode doc = (ObjectNode) CliFixture.JSON.readTree(line);
            doc.remove("_version");
            exportedDocs.put(doc.path("_id").asText(), doc);
        }
        assertEquals(atPosition.size(), exportedDocs.size());
        assertEquals(atPosition, exportedDocs);
    }

    @Test
    void tailFollowsChangesAndResumesAcrossARestartOfTheNode() throws Exception {
        f.api("PUT", "/api/v1/feed", "{}");
        f.api("PUT", "/api/v1/feed/events", "{}");
        Process tail = f.process(f.env(), "tail", "feed/events", "--from", "beginning", "-o", "ndjson", "--limit", "6")
                .redirectError(f.dir.resolve("tail.err").toFile())
                .start();
        try (BufferedReader lines =
                new BufferedReader(new InputStreamReader(tail.getInputStream(), StandardCharsets.UTF_8))) {
            for (int i = 1; i <= 3; i++) {
                f.api("PUT", "/api/v1/feed/events/e" + i, "{\"n\":" + i + "}");
            }
            List<JsonNode> seen = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                seen.add(CliFixture.JSON.readTree(lines.readLine()));
            }
            f.node.stop(java.time.Duration.ofSeconds(20));
            f.node.start();
            for (int i = 4; i <= 6; i++) {
                f.api("PUT", "/api/v1/feed/events/e" + i, "{\"n\":" + i + "}");
            }
            for (int i = 0; i < 3; i++) {
                seen.add(CliFixture.JSON.readTree(lines.readLine()));
            }
            assertTrue(tail.waitFor(60, TimeUnit.SECONDS), "tail --limit 6 ends after six changes");
            assertEquals(0, tail.exitValue(), Files.readString(f.dir.resolve("tail.err")));
            List<String> ids = seen.stream()
                    .map(c -> c.path("id").asText() + ":" + c.path("op").asText())
                    .toList();
            // The stream orders changes per shard, not across shards: each half, written
            // before it was read, arrives whole and once, in any interleaving of shards.
            assertEquals(
                    List.of("e1:c", "e2:c", "e3:c"),
                    ids.subList(0, 3).stream().sorted().toList());
            assertEquals(
                    List.of("e4:c", "e5:c", "e6:c"),
                    ids.subList(3, 6).stream().sorted().toList());
            assertTrue(Files.readString(f.dir.resolve("tail.err"))
                    .contains("resume with: --from " + seen.get(5).path("token").asText()));
        } finally {
            tail.destroyForcibly();
        }
        f.lumadb("tail", "feed/missing").exits(ExitCodes.NOT_FOUND);
    }

    @Test
    void aNodeOverTlsIsReachedWithItsCaCertificateAndRefusedWithoutIt() throws Exception {
        Path dir = Files.createDirectories(f.dir.resolve("tls"));
        io.lumadb.testkit.TestCertificates ca = io.lumadb.testkit.TestCertificates.authority(dir, "cli test CA");
        io.lumadb.testkit.TestCertificates.Issued issued = ca.issue(
                dir,
                "node",
                "localhost",
                io.lumadb.testkit.TestCertificates.KeyType.EC,
                io.lumadb.testkit.TestCertificates.KeyForm.PKCS8);
        io.lumadb.node.LumaDbServer server =
                io.lumadb.node.LumaDbServer.start(com.typesafe.config.ConfigFactory.parseMap(Map.of(
                        "lumadb.data-dir",
                        dir.resolve("data").toString(),
                        "lumadb.http.port",
                        0,
                        "lumadb.security.enabled",
                        false,
                        "lumadb.sql.postgres.enabled",
                        "off",
                        "lumadb.http.tls.enabled",
                        true,
                        "lumadb.http.tls.certificate-chain",
                        issued.certificate().toString(),
                        "lumadb.http.tls.private-key",
                        issued.privateKey().toString())));
        try {
            String url = "https://localhost:" + server.port();
            f.lumadb(
                            "db",
                            "create",
                            "secure",
                            "--url",
                            url,
                            "--ca-cert",
                            ca.caFile().toString())
                    .ok();
            f.lumadb(
                            "put",
                            "secure/notes/n1",
                            "{\"text\":\"over TLS\"}",
                            "--url",
                            url,
                            "--ca-cert",
                            ca.caFile().toString())
                    .ok();
            assertEquals(
                    "over TLS",
                    f.lumadb(
                                    "get",
                                    "secure/notes/n1",
                                    "--url",
                                    url,
                                    "--ca-cert",
                                    ca.caFile().toString())
                            .ok()
                            .json()
                            .path("text")
                            .asText());
            CliFixture.Run untrusted =
                    f.lumadb("get", "secure/notes/n1", "--url", url).exits(ExitCodes.UNREACHABLE);
            assertTrue(
                    untrusted.err().contains("TLS failed") && untrusted.err().contains("--ca-cert"), untrusted.err());
            f.lumadb(
                            "get",
                            "secure/notes/n1",
                            "--url",
                            url,
                            "--ca-cert",
                            dir.resolve("missing.pem").toString())
                    .exits(ExitCodes.USAGE);
        } finally {
            server.stop();
        }
    }

    @Test
    @org.junit.jupiter.api.Tag("services") // tmux, which bin/test installs
    void theShellRunsAMultiLineQueryWithCompletionInATerminal() throws Exception {
        f.api("PUT", "/api/v1/term", "{}");
        f.api("PUT", "/api/v1/term/planets/mars", "{\"name\":\"Mars\",\"moons\":2}");
        f.api("PUT", "/api/v1/term/planets/earth", "{\"name\":\"Earth\",\"moons\":1}");
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            many.add(String.format("{\"doc\":{\"_id\":\"m%03d\",\"n\":%d}}", i, i));
        }
        f.api("POST", "/api/v1/term/many/_bulk", "[" + String.join(",", many) + "]");
        Tmux tmux = new Tmux(f);
        try {
            tmux.start("shell", "term");
            tmux.awaitScreen("term>"); // capture-pane drops trailing spaces
            tmux.keys("SELECT name, moons", "Enter");
            tmux.awaitScreen("->");
            tmux.keys("FROM planets ORDER BY moons DESC\\;", "Enter");
            tmux.awaitScreen("(2 rows)");
            tmux.keys("find pla", "Tab");
            tmux.awaitScreen("find planets");
            tmux.keys(" {\"filter\": {\"moons\": {\"$lt", "Tab");
            tmux.awaitScreen("$lte");
            tmux.keys("e\": 1}}}\\;", "Enter");
            tmux.awaitScreen("(1 row)");
            // A result longer than the screen (50 lines) goes through less: one page, then q.
            tmux.keys("SELECT _id FROM many ORDER BY _id\\;", "Enter");
            tmux.awaitScreen(" m040");
            Thread.sleep(500); // without a pager the rest would be printed by now
            String paged = tmux.screen();
            assertFalse(paged.contains("m079") || paged.contains("(80 rows)"), paged);
            tmux.keys("q");
            tmux.keys("\\pager off", "Enter");
            tmux.keys("SELECT _id FROM many ORDER BY _id\\;", "Enter");
            assertTrue(tmux.awaitScreen("(80 rows)").contains(" m079"));
            tmux.keys("\\timing", "Enter");
            tmux.keys("get planets nope\\;", "Enter");
            tmux.awaitScreen("ERROR: Document not found");
            tmux.keys("\\q", "Enter");
            String screen = tmux.awaitScreen("[exited]");
            assertTrue(screen.contains(" Mars | 2\n Earth | 1") || screen.contains(" Mars  | 2\n Earth | 1"), screen);
            assertTrue(screen.matches("(?s).*\\n earth \\| \\d+ +\\| Earth \\| 1\\n\\(1 row\\).*"), screen);
            assertTrue(screen.contains("Time: "), screen);
            String history = Files.readString(f.home.resolve(".state/lumadb/history"));
            assertTrue(history.contains("SELECT name, moons\\nFROM planets ORDER BY moons DESC;"), history);
        } finally {
            tmux.close();
        }
        // On a terminal an import draws its progress as a bar (elsewhere it prints plain lines).
        Path file = f.dir.resolve("term.ndjson");
        try (var out = Files.newBufferedWriter(file)) {
            for (int i = 0; i < 20_000; i++) {
                out.write("{\"_id\":\"p" + i + "\",\"n\":" + i + "}\n");
            }
        }
        Tmux importing = new Tmux(f);
        try {
            importing.start("import", "term/imported", file.toString());
            String screen = importing.awaitScreen("[exited]");
            assertTrue(
                    screen.matches(
                            "(?s).*\\[=+\\] 100% 20,000 docs +[0-9.]+ [KM]B / [0-9.]+ [KM]B +[0-9,]+ docs/s +[0-9.]+ s\\n.*"),
                    screen);
        } finally {
            importing.close();
        }
    }

    @Test
    void aBackupUnderWritesRestoresItsPositionAndAPointInTime() throws Exception {
        f.api("PUT", "/api/v1/safe", "{}");
        f.api("PUT", "/api/v1/safe/ledger", "{\"shards\":2}");
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // Once, the writer pauses for 600 ms: the middle of the pause is a time that no commit is
        // near, for a point-in-time restore by time.
        java.util.concurrent.CompletableFuture<Long> quietTime = new java.util.concurrent.CompletableFuture<>();
        Thread writer = new Thread(() -> {
            for (int i = 0; writing.get() && failure.get() == null; i++) {
                try {
                    f.api("PUT", "/api/v1/safe/ledger/k" + (i % 300), "{\"i\":" + i + "}");
                    if (i == 200) {
                        Thread.sleep(300);
                        quietTime.complete(System.currentTimeMillis());
                        Thread.sleep(300);
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }
        });
        writer.start();
        Path backup = f.dir.resolve("backup");
        CliFixture.Run created;
        try {
            quietTime.get(60, java.util.concurrent.TimeUnit.SECONDS);
            Thread.sleep(1000);
            created = f.lumadb("backup", "create", backup.toString(), "--progress", "none")
                    .ok();
            Thread.sleep(500);
        } finally {
            writing.set(false);
            writer.join();
        }
        assertEquals(null, failure.get());
        JsonNode manifest =
                CliFixture.JSON.readTree(backup.resolve("manifest.json").toFile());
        String position = manifest.path("position")
                .path("collections")
                .path("safe/ledger")
                .asText();
        assertTrue(created.err().contains("safe/ledger " + position), created.err());
        assertTrue(f.lumadb("backup", "verify", backup.toString()).ok().out().contains("files match their checksums"));
        assertTrue(f.lumadb("backup", "list").ok().json().path("backups").isEmpty(), "the node's copy is deleted");

        // a damaged copy fails verification and is not restored
        Path damaged = f.dir.resolve("damaged");
        copyTree(backup, damaged);
        Path sst;
        try (var files = Files.walk(damaged.resolve("rocksdb"))) {
            sst = files.filter(p -> p.toString().endsWith(".sst")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(sst);
        bytes[bytes.length / 2] ^= 1;
        Files.write(sst, bytes);
        CliFixture.Run bad = f.lumadb("backup", "verify", damaged.toString()).exits(ExitCodes.BAD_INPUT);
        assertTrue(bad.err().contains("checksum differs: rocksdb/" + sst.getFileName()), bad.err());
        f.lumadb(
                        "restore",
                        damaged.toString(),
                        "--data-dir",
                        f.dir.resolve("never").toString())
                .exits(ExitCodes.BAD_INPUT);
        assertFalse(Files.exists(f.dir.resolve("never")));

        // the whole backup: exactly the changes up to its recorded position
        assertEquals(f.fold("safe", "ledger", position), restoredLedger(backup, "whole"));

        // a point in time: exactly the changes up to a token from the middle of the run
        String middle = middleToken(position);
        assertEquals(
                f.fold("safe", "ledger", middle),
                restoredLedger(backup, "middle", "--to-token", "safe/ledger=" + middle));
        // a point in time given as a time: exactly the changes committed up to it
        long quiet = quietTime.get();
        assertEquals(
                f.foldUntil("safe", "ledger", quiet),
                restoredLedger(
                        backup,
                        "time",
                        "--to-time",
                        java.time.Instant.ofEpochMilli(quiet).toString()));
        assertTrue(f.foldUntil("safe", "ledger", quiet).size() > 150);
        f.lumadb(
                        "restore",
                        backup.toString(),
                        "--data-dir",
                        f.dir.resolve("x").toString(),
                        "--to-token",
                        "safe/nope=abc")
                .exits(ExitCodes.USAGE);
        f.lumadb("restore", backup.toString(), "--data-dir", f.dir.resolve("x").toString(), "--to-time", "yesterday")
                .exits(ExitCodes.USAGE);
    }

    /** Restores the backup into a fresh data directory, starts a node on it and reads the ledger. */
    private Map<String, JsonNode> restoredLedger(Path backup, String name, String... options) throws Exception {
        Path data = f.dir.resolve("restored-" + name);
        List<String> args = new ArrayList<>(List.of("restore", backup.toString(), "--data-dir", data.toString()));
        args.addAll(List.of(options));
        f.lumadb(args.toArray(String[]::new)).ok();
        try (io.lumadb.testkit.NodeProcess restored = io.lumadb.testkit.NodeProcess.builder(data)
                .name("restored-" + name)
                .securityOn()
                .deleteDataDirOnClose()
                .build()) {
            restored.start();
            Map<String, String> env = new HashMap<>(f.env());
            env.put("LUMADB_URL", restored.baseUrl().toString());
            Map<String, JsonNode> docs = new HashMap<>();
            for (String line : f.run(env, null, "export", "safe/ledger", "-", "--progress", "none")
                    .ok()
                    .out()
                    .split("\n")) {
                if (!line.isBlank()) {
                    ObjectNode doc = (ObjectNode) CliFixture.JSON.readTree(line);
                    doc.remove("_version");
                    docs.put(doc.path("_id").asText(), doc);
                }
            }
            return docs;
        }
    }

    /**
     * The token of a change about halfway to {@code position} in the original node's change
     * stream, the last change of its shard event (a token inside a bulk event cannot be restored to:
     * the event is restored whole or not at all).
     */
    private String middleToken(String position) throws Exception {
        long[] end = io.lumadb.cdc.ResumeToken.decode(position).seqs();
        List<JsonNode> before = new ArrayList<>();
        Map<String, Integer> lastIndex = new HashMap<>();
        for (JsonNode c : f.changes("safe", "ledger")) {
            // a change's token holds every shard's position after it: all of them within the backup
            long[] at =
                    io.lumadb.cdc.ResumeToken.decode(c.path("token").asText()).seqs();
            boolean within = true;
            for (int s = 0; s < at.length; s++) {
                within &= at[s] <= end[s];
            }
            if (within) {
                JsonNode source = c.path("source");
                before.add(c);
                lastIndex.merge(
                        source.path("shard").asText() + "/" + source.path("seq").asText(),
                        source.path("index").asInt(),
                        Math::max);
            }
        }
        for (int i = before.size() / 2; i < before.size(); i++) {
            JsonNode source = before.get(i).path("source");
            if (source.path("index").asInt()
                    == lastIndex.get(source.path("shard").asText() + "/"
                            + source.path("seq").asText())) {
                return before.get(i).path("token").asText();
            }
        }
        throw new AssertionError("no change in the middle of the run: " + before.size() + " changes");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
