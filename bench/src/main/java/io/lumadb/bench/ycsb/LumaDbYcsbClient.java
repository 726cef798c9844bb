package io.lumadb.bench.ycsb;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.lumadb.bench.HttpConnection;
import io.lumadb.bench.RequestBytes;
import java.io.EOFException;
import java.io.IOException;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.Vector;
import site.ycsb.ByteIterator;
import site.ycsb.DB;
import site.ycsb.DBException;
import site.ycsb.Status;

/**
 * YCSB binding for LumaDB's HTTP/JSON API: one keep-alive HTTP/1.1 connection per YCSB client thread
 * (an {@link HttpConnection}, no connection pool, no pipelining). The YCSB table is a collection of
 * database {@code lumadb.database}; a record is a document whose id is the YCSB key and whose fields
 * are JSON strings (see {@link FieldBytes}: bytes round-trip exactly).
 *
 * <ul>
 *   <li>insert: {@code PUT} (create or replace, like the other bindings' upserts);
 *   <li>update: {@code PATCH} with an RFC 7396 merge patch of the changed fields; NOT_FOUND if the
 *       document does not exist;
 *   <li>read: {@code GET}; NOT_FOUND on 404;
 *   <li>delete: {@code DELETE}; NOT_FOUND on 404;
 *   <li>scan: {@code GET _docs?after=&limit=}, which lists ids strictly after {@code after}. The
 *       scan is made inclusive of {@code startkey} in one request: {@code after} is a string just
 *       below {@code startkey} (see {@link #cursorBefore}), documents below {@code startkey} are
 *       dropped and further pages are fetched until {@code count} records or the end, so the result
 *       is exact: the first {@code count} records with key {@code >= startkey} in UTF-8 byte order.
 * </ul>
 *
 * <p>Properties: {@code lumadb.url} (default {@value #DEFAULT_URL}), {@code lumadb.database} (default
 * {@value #DEFAULT_DATABASE}), {@code lumadb.shards} (used only by {@link #reset}), {@code
 * lumadb.timeout.ms} (connect and read timeout, default 30000), {@code lumadb.maxlistlimit} (largest
 * page the server allows, default 1000). {@link #init} fails if the collection does not exist: create
 * it with {@link #reset} (YcsbRunner.reset does), so that a misconfigured run fails at once instead of
 * counting thousands of 404s. Not thread-safe: YCSB makes one instance per thread.
 */
public final class LumaDbYcsbClient extends DB {

    public static final String URL_PROPERTY = "lumadb.url";
    public static final String DATABASE_PROPERTY = "lumadb.database";
    public static final String SHARDS_PROPERTY = "lumadb.shards";
    public static final String TIMEOUT_PROPERTY = "lumadb.timeout.ms";
    public static final String MAX_LIST_LIMIT_PROPERTY = "lumadb.maxlistlimit";
    public static final String DEFAULT_URL = "http://127.0.0.1:8080";
    public static final String DEFAULT_DATABASE = "ycsb";

    private static final JsonFactory JSON = new JsonFactory();
    private static final String JSON_TYPE = "application/json";
    private static final String MERGE_PATCH_TYPE = "application/merge-patch+json";
    /** The largest code point, appended to make a cursor that sorts after nearly every real id. */
    private static final String MAX_CODE_POINT = new String(Character.toChars(Character.MAX_CODE_POINT));

    private static final String HEX_UPPER = "0123456789ABCDEF";
    /** Unexpected responses printed per client, enough to diagnose without flooding the log. */
    private static final int MAX_REPORTED_ERRORS = 10;

    private HttpConnection connection;
    private String host;
    private String basePath;
    private String database;
    private int maxListLimit;
    private final RequestBytes request = new RequestBytes(4096);
    private final RequestBytes body = new RequestBytes(2048);
    private String lastTable;
    private String lastTablePath;
    private int reportedErrors;

    @Override
    public void init() throws DBException {
        Properties p = getProperties();
        Endpoint endpoint = Endpoint.of(p);
        host = endpoint.hostHeader();
        basePath = endpoint.basePath();
        database = p.getProperty(DATABASE_PROPERTY, DEFAULT_DATABASE);
        maxListLimit = Integer.parseInt(p.getProperty(MAX_LIST_LIMIT_PROPERTY, "1000"));
        connection = new HttpConnection(endpoint.address(), endpoint.timeoutMillis());
        String table = p.getProperty("table", "usertable");
        String path = tablePath(table);
        // Connecting here keeps connection setup out of the first measured operation.
        try {
            int status = send("GET", path.substring(0, path.length() - 1), null, null);
            if (status != 200) {
                throw new DBException("LumaDB collection " + database + "/" + table + " at " + endpoint.url()
                        + " is not usable: GET answered " + status + " " + connection.bodyString()
                        + " (create it first, e.g. with YcsbRunner.reset)");
            }
        } catch (IOException e) {
            throw new DBException("cannot reach LumaDB at " + endpoint.url() + ": " + e, e);
        }
    }

    @Override
    public void cleanup() {
        if (connection != null) {
            connection.close();
        }
    }

    @Override
    public Status read(String table, String key, Set<String> fields, Map<String, ByteIterator> result) {
        String path = tablePath(table) + encode(key);
        try {
            int status = send("GET", path, null, null);
            if (status != 200) {
                return failure("GET", path, status);
            }
            try (JsonParser parser = JSON.createParser(connection.body(), 0, connection.bodyLength())) {
                if (parser.nextToken() != JsonToken.START_OBJECT) {
                    return protocolError("GET", path, "expected a JSON object");
                }
                readDocument(parser, fields, result);
            }
            return Status.OK;
        } catch (IOException e) {
            return exception("GET", path, e);
        }
    }

    @Override
    public Status scan(
            String table,
            String startkey,
            int recordcount,
            Set<String> fields,
            Vector<HashMap<String, ByteIterator>> result) {
        String listPath = tablePath(table) + "_docs?limit=";
        String after = cursorBefore(startkey);
        int remaining = recordcount;
        String path = listPath;
        try {
            while (remaining > 0) {
                int limit = Math.min(remaining, maxListLimit);
                path = listPath + limit + (after == null ? "" : "&after=" + encode(after));
                int status = send("GET", path, null, null);
                if (status != 200) {
                    return failure("GET", path, status);
                }
                after = null;
                try (JsonParser parser = JSON.createParser(connection.body(), 0, connection.bodyLength())) {
                    if (parser.nextToken() != JsonToken.START_OBJECT) {
                        return protocolError("GET", path, "expected a JSON object");
                    }
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        String name = parser.currentName();
                        JsonToken value = parser.nextToken();
                        if (name.equals("docs") && value == JsonToken.START_ARRAY) {
                            while (parser.nextToken() == JsonToken.START_OBJECT) {
                                HashMap<String, ByteIterator> record = new HashMap<>();
                                String id = readDocument(parser, fields, record);
                                // Only the first page can hold ids below startkey (the cursor sits just
                                // under it); dropping them is what makes the scan exact.
                                if (remaining > 0 && id != null && compareUtf8(id, startkey) >= 0) {
                                    result.add(record);
                                    remaining--;
                                }
                            }
                        } else if (name.equals("next") && value == JsonToken.VALUE_STRING) {
                            after = parser.getText();
                        } else {
                            parser.skipChildren();
                        }
                    }
                }
                if (after == null) {
                    break; // the end of the collection
                }
            }
            return Status.OK;
        } catch (IOException e) {
            return exception("GET", path, e);
        }
    }

    @Override
    public Status update(String table, String key, Map<String, ByteIterator> values) {
        String path = tablePath(table) + encode(key);
        try {
            writeJsonObject(values);
            int status = send("PATCH", path, MERGE_PATCH_TYPE, body);
            return status == 200 ? Status.OK : failure("PATCH", path, status);
        } catch (IOException e) {
            return exception("PATCH", path, e);
        }
    }

    @Override
    public Status insert(String table, String key, Map<String, ByteIterator> values) {
        String path = tablePath(table) + encode(key);
        try {
            writeJsonObject(values);
            int status = send("PUT", path, JSON_TYPE, body);
            return status == 200 || status == 201 ? Status.OK : failure("PUT", path, status);
        } catch (IOException e) {
            return exception("PUT", path, e);
        }
    }

    @Override
    public Status delete(String table, String key) {
        String path = tablePath(table) + encode(key);
        try {
            int status = send("DELETE", path, null, null);
            return status == 200 || status == 204 ? Status.OK : failure("DELETE", path, status);
        } catch (IOException e) {
            return exception("DELETE", path, e);
        }
    }

    /**
     * Drops database {@code lumadb.database} (with its collections) if it exists, then creates it and
     * collection {@code table} (default usertable) with {@code lumadb.shards} shards if given, else
     * the server's default.
     */
    public static void reset(Properties p) throws IOException {
        Endpoint endpoint = Endpoint.of(p);
        String db = p.getProperty(DATABASE_PROPERTY, DEFAULT_DATABASE);
        String table = p.getProperty("table", "usertable");
        String shards = p.getProperty(SHARDS_PROPERTY);
        String dbPath = endpoint.basePath() + "/api/v1/" + encode(db);
        try (HttpConnection c = new HttpConnection(endpoint.address(), endpoint.timeoutMillis())) {
            expect(c, RequestBytes.request("DELETE", endpoint.hostHeader(), dbPath), "DELETE " + dbPath, 200, 404);
            expect(c, RequestBytes.request("PUT", endpoint.hostHeader(), dbPath), "PUT " + dbPath, 200, 201);
            String collectionPath = dbPath + "/" + encode(table);
            byte[] create = shards == null || shards.isBlank()
                    ? RequestBytes.request("PUT", endpoint.hostHeader(), collectionPath)
                    : RequestBytes.request(
                            "PUT",
                            endpoint.hostHeader(),
                            collectionPath,
                            JSON_TYPE,
                            ("{\"shards\":" + Integer.parseInt(shards.strip()) + "}")
                                    .getBytes(StandardCharsets.US_ASCII));
            // 201 only: a 200 would mean the drop above did not take and old documents could remain.
            expect(c, create, "PUT " + collectionPath, 201);
        }
    }

    private static void expect(HttpConnection c, byte[] request, String what, int... statuses) throws IOException {
        int status = c.exchange(request);
        for (int s : statuses) {
            if (status == s) {
                return;
            }
        }
        throw new IOException("LumaDB reset: " + what + " answered " + status + ": " + c.bodyString());
    }

    // ---- scan cursor and id order

    /**
     * A cursor for {@code _docs?after=} that lists {@code key} itself and, in practice, nothing below
     * it: {@code key} with its last code point decremented and U+10FFFF appended. Only ids between the
     * two strings (starting with that very prefix) could come back below {@code key}, and {@link
     * #scan} drops any that do. Null means "from the start".
     */
    static String cursorBefore(String key) {
        if (key == null || key.isEmpty()) {
            return null;
        }
        int last = key.offsetByCodePoints(key.length(), -1);
        int cp = key.codePointAt(last);
        String prefix = key.substring(0, last);
        if (cp == 0) {
            // Nothing sorts between a string and the same string followed by U+0000.
            return prefix.isEmpty() ? null : prefix;
        }
        int before = cp - 1;
        if (before >= Character.MIN_SURROGATE && before <= Character.MAX_SURROGATE) {
            before = Character.MIN_SURROGATE - 1; // surrogates are not characters; skip below them
        }
        return prefix + new String(Character.toChars(before)) + MAX_CODE_POINT;
    }

    /** Compares as UTF-8 bytes do, which is code point order (String.compareTo is UTF-16 order). */
    static int compareUtf8(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    // ---- HTTP

    private String tablePath(String table) {
        if (!table.equals(lastTable)) {
            lastTable = table;
            lastTablePath = basePath + "/api/v1/" + encode(database) + "/" + encode(table) + "/";
        }
        return lastTablePath;
    }

    /** One exchange; retried once on a fresh connection if a kept-alive one turned out closed. */
    private int send(String method, String path, String contentType, RequestBytes content) throws IOException {
        request.clear();
        if (content == null) {
            request.append(method)
                    .append(" ")
                    .append(path)
                    .append(" HTTP/1.1\r\nHost: ")
                    .append(host)
                    .append("\r\nUser-Agent: lumadb-ycsb\r\n\r\n");
        } else {
            // A PATCH needs only the new version back, not the whole merged document.
            String extra = method.equals("PATCH") ? "Prefer: return=minimal\r\n" : "";
            request.appendHead(method, host, path, contentType, content.length(), extra)
                    .append(content);
        }
        long connectsBefore = connection.connects();
        try {
            return connection.exchange(request.array(), 0, request.length());
        } catch (EOFException e) {
            if (connection.connects() != connectsBefore) {
                throw e; // a fresh connection failed: the server is the problem, not an idle close
            }
            return connection.exchange(request.array(), 0, request.length());
        }
    }

    /** Writes {@code values} as a JSON object of strings into {@link #body}. */
    private void writeJsonObject(Map<String, ByteIterator> values) {
        body.clear().appendByte('{');
        boolean first = true;
        for (Map.Entry<String, ByteIterator> e : values.entrySet()) {
            if (!first) {
                body.appendByte(',');
            }
            first = false;
            appendJsonString(body, e.getKey().getBytes(StandardCharsets.UTF_8), true);
            body.appendByte(':');
            appendJsonString(body, e.getValue().toArray(), false);
        }
        body.appendByte('}');
    }

    /**
     * Appends a JSON string. Field names are UTF-8 and copied as is (but for escapes); values map
     * byte to code point (see {@link FieldBytes}), so bytes from 0x7F up are written as escapes.
     */
    static void appendJsonString(RequestBytes out, byte[] bytes, boolean utf8) {
        out.appendByte('"');
        for (byte value : bytes) {
            int b = value & 0xFF;
            if (b == '"' || b == '\\') {
                out.appendByte('\\').appendByte(b);
            } else if (b < 0x20 || (!utf8 && b >= 0x7F)) {
                out.append("\\u00").appendByte(hex(b >> 4)).appendByte(hex(b & 0xF));
            } else {
                out.appendByte(b);
            }
        }
        out.appendByte('"');
    }

    private static int hex(int nibble) {
        return nibble < 10 ? '0' + nibble : 'a' + nibble - 10;
    }

    /**
     * Reads the fields of the object whose START_OBJECT the parser is on into {@code into}, keeping
     * only {@code fields} (all when null) and never {@code _id}/{@code _version}; returns {@code _id}.
     */
    private static String readDocument(JsonParser parser, Set<String> fields, Map<String, ByteIterator> into)
            throws IOException {
        String id = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken token = parser.nextToken();
            if (name.equals("_id")) {
                id = parser.getText();
            } else if (name.equals("_version") || (fields != null && !fields.contains(name))) {
                parser.skipChildren();
            } else if (token == JsonToken.VALUE_STRING) {
                into.put(name, FieldBytes.iterator(parser.getText()));
            } else {
                // Not written by this binding: keep the value's JSON text rather than drop it.
                StringWriter json = new StringWriter();
                try (JsonGenerator g = JSON.createGenerator(json)) {
                    g.copyCurrentStructure(parser);
                }
                into.put(name, FieldBytes.iterator(json.toString()));
            }
        }
        return id;
    }

    /** Percent-encodes all but RFC 3986 unreserved characters, as UTF-8. */
    static String encode(String s) {
        int i = 0;
        while (i < s.length() && isUnreserved(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (byte value : s.substring(i).getBytes(StandardCharsets.UTF_8)) {
            int b = value & 0xFF;
            if (isUnreserved((char) b)) {
                out.append((char) b);
            } else {
                // Upper-case hex digits, as RFC 3986 recommends.
                out.append('%').append(HEX_UPPER.charAt(b >> 4)).append(HEX_UPPER.charAt(b & 0xF));
            }
        }
        return out.toString();
    }

    private static boolean isUnreserved(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '-'
                || c == '.'
                || c == '_'
                || c == '~';
    }

    // ---- outcomes

    private Status failure(String method, String path, int status) {
        if (status == 404) {
            return Status.NOT_FOUND;
        }
        report(method + " " + path + " answered " + status + ": " + connection.bodyString());
        return status == 503 ? Status.SERVICE_UNAVAILABLE : Status.ERROR;
    }

    private Status protocolError(String method, String path, String what) {
        report(method + " " + path + ": " + what + ": " + connection.bodyString());
        return Status.ERROR;
    }

    private Status exception(String method, String path, IOException e) {
        report(method + " " + path + " failed: " + e);
        return Status.ERROR;
    }

    private void report(String message) {
        // YCSB counts errors but never says what they were; a few samples on stderr end up in the log.
        if (reportedErrors < MAX_REPORTED_ERRORS) {
            reportedErrors++;
            System.err.println("LumaDbYcsbClient: " + message
                    + (reportedErrors == MAX_REPORTED_ERRORS ? " (further errors of this thread not shown)" : ""));
        }
    }

    /** Where the server is, from {@code lumadb.url}. */
    private record Endpoint(
            String url, InetSocketAddress address, String hostHeader, String basePath, int timeoutMillis) {

        static Endpoint of(Properties p) {
            String url = p.getProperty(URL_PROPERTY, DEFAULT_URL);
            URI uri = URI.create(url);
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException(URL_PROPERTY + " must be an http:// URL, got '" + url + "'");
            }
            int port = uri.getPort() < 0 ? 80 : uri.getPort();
            String path = uri.getRawPath() == null ? "" : uri.getRawPath();
            while (path.endsWith("/")) {
                path = path.substring(0, path.length() - 1);
            }
            int timeout = Integer.parseInt(p.getProperty(TIMEOUT_PROPERTY, "30000"));
            return new Endpoint(
                    url, new InetSocketAddress(uri.getHost(), port), uri.getHost() + ":" + port, path, timeout);
        }
    }
}
