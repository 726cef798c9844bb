package io.lumadb.node;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * A seeded generator of the requests a careless or hostile client sends: bodies that are not
 * JSON, not UTF-8 or not what the route takes; headers that lie about the body; chunked framing
 * that is broken; request targets with dot segments, bad escapes or reserved names; query
 * parameters out of range. Every request is raw bytes for one connection, so nothing a client
 * library would refuse to send is out of reach. Writes only ever address the database and
 * collections the caller names; nothing generated drops a database or collection.
 */
final class MalformedRequests {

    /** One generated request: what it is (for failure messages) and its bytes. */
    record Case(String kind, String method, String target, byte[] bytes) {
        /** Whether an acknowledged answer to this request stands for writes (counted by the caller). */
        boolean writes() {
            return !method.equals("GET") && !method.equals("HEAD") && !kind.startsWith("topic");
        }

        String printable() {
            StringBuilder out = new StringBuilder();
            for (byte b : bytes.length > 600 ? java.util.Arrays.copyOf(bytes, 600) : bytes) {
                int c = b & 0xFF;
                out.append(c >= 0x20 && c < 0x7F ? String.valueOf((char) c) : String.format("\\x%02x", c));
            }
            return kind + ": " + out + (bytes.length > 600 ? "... (" + bytes.length + " bytes)" : "");
        }
    }

    private final Random random;
    private final String host;
    private final String db;
    private final List<String> collections;
    private final List<Supplier<Case>> kinds = new ArrayList<>();

    MalformedRequests(long seed, int port, String db, List<String> collections) {
        this.random = new Random(seed);
        this.host = "127.0.0.1:" + port;
        this.db = db;
        this.collections = List.copyOf(collections);
        kinds.add(this::documentBody);
        kinds.add(this::patchBody);
        kinds.add(this::bulkArray);
        kinds.add(this::bulkNdjson);
        kinds.add(this::queryBody);
        kinds.add(this::indexBody);
        kinds.add(this::groupCommit);
        kinds.add(this::topicPublish);
        kinds.add(this::collectionOptions);
        kinds.add(this::badHeaders);
        kinds.add(this::badChunked);
        kinds.add(this::badTarget);
        kinds.add(this::badQueryParameters);
        kinds.add(this::badRequestLine);
    }

    Case next() {
        return kinds.get(random.nextInt(kinds.size())).get();
    }

    // ---- bodies

    private String collection() {
        return "/api/v1/" + db + "/" + collections.get(random.nextInt(collections.size()));
    }

    private String id() {
        return "d" + random.nextInt(50);
    }

    private Case documentBody() {
        return json("document", random.nextBoolean() ? "PUT" : "POST", collection() + "/" + id(), badJson());
    }

    private Case patchBody() {
        return withType(
                "patch",
                "PATCH",
                collection() + "/" + id(),
                random.nextBoolean() ? "application/merge-patch+json" : "application/json",
                badJson());
    }

    private Case bulkArray() {
        byte[] item = badJson();
        byte[] body = concat(ascii("[{\"id\":\"" + id() + "\",\"doc\":"), item, ascii("}]"));
        return json("bulk-array", "POST", collection() + "/_bulk", random.nextBoolean() ? body : badJson());
    }

    private Case bulkNdjson() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int lines = 1 + random.nextInt(4);
        for (int i = 0; i < lines; i++) {
            if (random.nextInt(3) == 0) {
                body.writeBytes(ascii("{\"doc\":{\"_id\":\"" + id() + "\",\"n\":" + i + "}}"));
            } else {
                body.writeBytes(badLine());
            }
            body.write('\n');
        }
        return withType("bulk-ndjson", "POST", collection() + "/_bulk", "application/x-ndjson", body.toByteArray());
    }

    private Case queryBody() {
        byte[] body = random.nextBoolean()
                ? badJson()
                : ascii("{\"filter\":{\"s\":{\"$regex\":\""
                        + pick("^(a|b)*$", "(a*)*b", "\\\\1", "[", "(?<=a)b", "a{99999}") + "\"}},\"limit\":"
                        + pick("0", "-1", "1e9", "\"x\"", "10"));
        return json("query", "POST", collection() + "/_query", body);
    }

    private Case indexBody() {
        return json("index", "PUT", collection() + "/_indexes/i" + random.nextInt(3), badJson());
    }

    private Case groupCommit() {
        byte[] body = random.nextBoolean()
                ? badJson()
                : ascii("{\"token\":" + pick("\"\"", "\"AAAA\"", "1", "null", "\"%%%\"", "\"AQICAgAAAA\"")
                        + ",\"member\":" + pick("0", "-1", "5", "\"a\"") + ",\"members\":" + pick("1", "0", "2") + "}");
        return json("group", "POST", collection() + "/_changes/groups/g" + random.nextInt(3), body);
    }

    private Case topicPublish() {
        return json("topic", "POST", "/api/v1/_topics/t" + random.nextInt(3), badJson());
    }

    private Case collectionOptions() {
        byte[] body = random.nextBoolean()
                ? badJson()
                : ascii("{\"shards\":" + pick("0", "-1", "1.5", "\"2\"", "100000", "null") + "}");
        // Only names that do not exist: an existing collection answers 409 or 200 without writing.
        return json("collection-options", "PUT", "/api/v1/" + db + "/new" + random.nextInt(1000), body);
    }

    /** A body that is not one valid UTF-8 JSON object. */
    private byte[] badJson() {
        return switch (random.nextInt(14)) {
            case 0 -> truncate(validObject());
            case 1 -> flip(validObject());
            case 2 -> concat(ascii("{\"s\":\""), invalidUtf8(), ascii("\"}"));
            case 3 -> concat(ascii("{\""), invalidUtf8(), ascii("\":1}"));
            case 4 -> utf16or32(validObject());
            case 5 -> nulsAndControls();
            case 6 -> ascii("[".repeat(2000 + random.nextInt(50000)));
            case 7 -> ascii("{\"n\":1" + "0".repeat(2000 + random.nextInt(5000)) + "}");
            case 8 ->
                ascii(pick("", " ", "null", "[]", "1", "\"x\"", "true", "{}{}", "{\"a\":1}x", "{'a':1}", "{a:1}"));
            case 9 -> ascii("{\"_id\":" + pick("1", "\"..\"", "\".\"", "\"_x\"", "\"a/b\"", "null", "\"\"") + "}");
            case 10 ->
                ascii("{\"_version\":\"x\",\"a\":" + pick("NaN", "Infinity", "-", "01", "1.", ".5", "0x10") + "}");
            case 11 -> concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, validObject());
            case 12 -> ascii("{\"a\":\"\\u" + pick("d800", "DFFF", "zzzz", "12", "d83d\\u0041") + "\"}");
            default -> {
                byte[] b = new byte[1 + random.nextInt(64)];
                random.nextBytes(b);
                yield b;
            }
        };
    }

    /** An NDJSON line that is not one valid bulk item. */
    private byte[] badLine() {
        return switch (random.nextInt(5)) {
            case 0 -> new byte[random.nextInt(8) + 1];
            case 1 -> nulsAndControls();
            case 2 -> concat(ascii("{\"doc\":{\"s\":\""), invalidUtf8(), ascii("\"}}"));
            case 3 -> ascii("{\"op\":\"" + pick("drop", "", "PUT", "delete\u0000") + "\",\"id\":\"x\"}");
            default -> badJson();
        };
    }

    private byte[] validObject() {
        return ("{\"name\":\"v" + random.nextInt(100) + "\",\"tags\":[\"a\",\"é\",\"🙂\"],\"n\":" + random.nextInt(1000)
                        + ",\"o\":{\"x\":null,\"y\":true}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private byte[] truncate(byte[] b) {
        return java.util.Arrays.copyOf(b, random.nextInt(b.length));
    }

    private byte[] flip(byte[] b) {
        byte[] out = b.clone();
        for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
            out[random.nextInt(out.length)] = (byte) random.nextInt(256);
        }
        return out;
    }

    private byte[] invalidUtf8() {
        return switch (random.nextInt(8)) {
            case 0 -> new byte[] {(byte) 0xC0, (byte) 0xAF}; // overlong '/'
            case 1 -> new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}; // overlong, 3 bytes
            case 2 -> new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}; // a surrogate, U+D800
            case 3 -> new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}; // U+110000
            case 4 -> new byte[] {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}; // 5 bytes
            case 5 -> new byte[] {(byte) 0xE2, (byte) 0x82}; // truncated
            case 6 -> new byte[] {(byte) 0x80}; // a lone continuation byte
            default -> new byte[] {(byte) 0xFF, (byte) 0xFE};
        };
    }

    private byte[] utf16or32(byte[] utf8) {
        String text = new String(utf8, StandardCharsets.UTF_8);
        return switch (random.nextInt(4)) {
            case 0 -> text.getBytes(StandardCharsets.UTF_16BE);
            case 1 -> text.getBytes(StandardCharsets.UTF_16LE);
            case 2 -> text.getBytes(StandardCharsets.UTF_16); // with a byte order mark
            default -> text.getBytes(java.nio.charset.Charset.forName("UTF-32"));
        };
    }

    private byte[] nulsAndControls() {
        byte[] b = new byte[1 + random.nextInt(32)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) random.nextInt(0x20);
        }
        return b;
    }

    // ---- headers, framing, targets

    private Case badHeaders() {
        String target = collection() + "/" + id();
        byte[] body = validObject();
        String header =
                switch (random.nextInt(12)) {
                    case 0 -> "Content-Type: application/json\r\nContent-Length: " + body.length + " " + body.length;
                    case 1 ->
                        "Content-Type: application/json; charset=" + pick("latin1", "utf-16", "x", "\"\"", "UTF-32");
                    case 2 ->
                        "Content-Type: " + pick("text/plain", "application/xml", "", "application/", "*/*", ";;;");
                    case 3 ->
                        "Content-Type: application/json\r\nContent-Length: "
                                + pick("-1", "abc", "99999999999999999999", "");
                    case 4 ->
                        "Content-Type: application/json\r\nIf-Match: "
                                + pick("\"0\"", "soon", "\"-1\"", "W/", "\"1\", \"x");
                    case 5 -> "Content-Type: application/json\r\nIf-Match: \"1\"\r\nIf-None-Match: *";
                    case 6 -> "Content-Type: application/json\r\nIf-None-Match: " + pick("\"1\"", "x", "");
                    case 7 ->
                        "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\nContent-Length: "
                                + (body.length + 1);
                    case 8 ->
                        "Content-Type: application/json\r\nContent-Length: " + body.length
                                + "\r\nTransfer-Encoding: chunked";
                    case 9 -> "Content-Type: application/json\r\nX-" + "a".repeat(random.nextInt(20000)) + ": 1";
                    case 10 ->
                        "Content-Type: application/json\r\nContent-Encoding: " + pick("gzip", "br", "deflate", "x");
                    default -> "Content-Type: application/json\r\nExpect: " + pick("100-continue", "nonsense");
                };
        boolean lengthGiven = header.contains("Content-Length") || header.contains("Transfer-Encoding");
        String method = random.nextBoolean() ? "PUT" : "PATCH";
        String head = method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n" + header + "\r\n"
                + (lengthGiven ? "" : "Content-Length: " + body.length + "\r\n") + "Connection: close\r\n\r\n";
        return new Case("header", method, target, concat(ascii(head), body));
    }

    private Case badChunked() {
        String target = collection() + "/_bulk";
        String chunks =
                switch (random.nextInt(8)) {
                    case 0 -> "zz\r\n[]\r\n0\r\n\r\n";
                    case 1 -> "2;" + "x".repeat(10000 + random.nextInt(100000)) + "\r\n[]\r\n0\r\n\r\n";
                    case 2 -> "2\r\n[]0\r\n\r\n";
                    case 3 ->
                        "2\r\n[]\r\n0\r\n" + ("X-T: " + "y".repeat(1000) + "\r\n").repeat(50 + random.nextInt(200))
                                + "\r\n";
                    case 4 -> "-2\r\n[]\r\n0\r\n\r\n";
                    case 5 -> "ffffffffffffffff\r\n[]\r\n0\r\n\r\n";
                    case 6 -> "2\n[]\n0\n\n";
                    default -> "2 \r\n[]\r\n0\r\n\r\n";
                };
        String head = "POST " + target + " HTTP/1.1\r\nHost: " + host
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        return new Case("chunked", "POST", target, ascii(head + chunks));
    }

    private Case badTarget() {
        String c = collection();
        String target =
                switch (random.nextInt(12)) {
                    case 0 -> c + "/" + pick("..", ".", "%2e%2e", "%2E", ".%2e");
                    case 1 -> c + "/" + pick("%zz", "%", "%f", "%ff", "%c0%ae", "%ed%a0%80", "%00");
                    case 2 -> c + "/" + pick("", "/", "//x", "x/", "x/..", "_x", "_bulk/x");
                    case 3 -> c + "/" + "a".repeat(600 + random.nextInt(20000));
                    case 4 ->
                        "/api/v1/" + db + "/" + pick("..", ".", "_x", "a b", "%2e%2e", "é", "x".repeat(70)) + "/d";
                    case 5 -> "/api/v1/" + pick("..", ".", "%2e%2e", "_x", "") + "/c/d";
                    case 6 -> c + "/_indexes/" + pick("..", "_x", "%2e", "a/b");
                    case 7 -> "/api/v1/_topics/" + pick("..", "%ff", "", "a".repeat(300), "_x");
                    case 8 -> c + "/d?" + pick("a=%zz", "%%%", "a=\u0001", "x=" + "y".repeat(5000));
                    case 9 -> pick("*", "api/v1", "http://evil.example/api/v1", "//api/v1", "/api/v1/../../etc/passwd");
                    case 10 -> c + "/" + pick("a%2Fb", "a%5Cb", "a\\b", "a%09b", "%E2%80%AE");
                    default -> c + "/d#frag";
                };
        String method = pick("GET", "PUT", "PATCH", "DELETE", "POST", "HEAD");
        if (method.equals("DELETE") && !target.startsWith(c + "/")) {
            method = "GET"; // a DELETE never aims at a database or collection on purpose
        }
        byte[] body =
                method.equals("GET") || method.equals("HEAD") || method.equals("DELETE") ? new byte[0] : validObject();
        String head = method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        return new Case("target", method, target, concat(head.getBytes(StandardCharsets.UTF_8), body));
    }

    private Case badQueryParameters() {
        String c = collection();
        String target =
                switch (random.nextInt(8)) {
                    case 0 -> c + "/_docs?limit=" + pick("0", "-1", "x", "1e3", "99999999999", "");
                    case 1 ->
                        c + "/_changes?from="
                                + pick("x", "AAAA", "%ff", "beginning&limit=0", "now&wait=-1", "now&wait=x");
                    case 2 -> c + "/_changes?limit=" + pick("0", "-5", "100000000", "a") + "&from=beginning";
                    case 3 ->
                        c + "/_live?filter=" + pick("%7B", "x", "%7B%22a%22%3A%7B%22%24regex%22%3A%22(%22%7D%7D")
                                + "&limit=1";
                    case 4 ->
                        c + "/_changes?group=" + pick("", "_x", "a".repeat(300)) + "&member=" + pick("2", "-1", "x");
                    case 5 -> c + "/_changes?before=" + pick("maybe", "1", "") + "&from=now&limit=1";
                    case 6 -> c + "/_docs?after=" + pick("%ff", "%00", "") + "&limit=" + pick("1", "0");
                    default -> c + "/_changes?filter=" + pick("%7B%7D%7D", "x") + "&from=now&limit=1";
                };
        String head = "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
        return new Case("parameters", "GET", target, ascii(head));
    }

    private Case badRequestLine() {
        String c = collection() + "/" + id();
        String line =
                switch (random.nextInt(8)) {
                    case 0 -> pick("GETT", "PUTS", "BREW", "get", "G E T") + " " + c + " HTTP/1.1";
                    case 1 -> "GET " + c + " HTTP/" + pick("1.2", "2.0", "0.9", "x", "");
                    case 2 -> "GET " + c;
                    case 3 -> "GET  " + c + "  HTTP/1.1";
                    case 4 -> "GET " + c + " HTTP/1.1 extra";
                    case 5 -> "\u0000\u0001\u0002";
                    case 6 -> "GET " + c + "\tHTTP/1.1";
                    default -> "GET " + c + " HTTP/1.1\r\nHost: " + host + "\r\nBad Header Line";
                };
        String head = line + "\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
        return new Case("request-line", "GET", c, ascii(head));
    }

    // ---- helpers

    private Case json(String kind, String method, String target, byte[] body) {
        return withType(kind, method, target, "application/json", body);
    }

    private Case withType(String kind, String method, String target, String type, byte[] body) {
        String head = method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: " + type
                + "\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        return new Case(kind, method, target, concat(ascii(head), body));
    }

    @SafeVarargs
    private <T> T pick(T... choices) {
        return choices[random.nextInt(choices.length)];
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
