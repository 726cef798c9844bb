package io.lumadb.bench.ycsb;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import io.lumadb.bench.HttpConnection;
import io.lumadb.bench.RequestBytes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.Vector;
import site.ycsb.ByteIterator;
import site.ycsb.DBException;
import site.ycsb.Status;

/**
 * YCSB binding for LumaDB's HTTP/JSON API: one keep-alive HTTP/1.1 connection per YCSB client thread
 * (an {@link HttpConnection}, no connection pool, no pipelining). The YCSB table is a collection of
 * database {@code lumadb.database}; a record is a document whose id is the YCSB key and whose fields
 * are JSON strings (see {@link Binding}: bytes round-trip exactly).
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
 * page the server allows, default 1000), {@code lumadb.authorization} (the whole value of an {@code
 * Authorization} header sent with every request, such as {@code Bearer luma_<id>_<secret>} or {@code
 * Basic <base64>}, for a node with security on; default none, and then requests are byte for byte
 * what they were before the option existed). {@link #init} fails if the collection does not exist: create
 * it with {@link #reset} (YcsbRunner.reset does), so that a misconfigured run fails at once instead of
 * counting thousands of 404s. Not thread-safe: YCSB makes one instance per thread.
 */
public final class LumaDbYcsbClient extends Binding {

    public static final String URL_PROPERTY = "lumadb.url";
    public static final String DATABASE_PROPERTY = "lumadb.database";
    public static final String SHARDS_PROPERTY = "lumadb.shards";
    public static final String TIMEOUT_PROPERTY = "lumadb.timeout.ms";
    public static final String MAX_LIST_LIMIT_PROPERTY = "lumadb.maxlistlimit";
    public static final String AUTHORIZATION_PROPERTY = "lumadb.authorization";
    public static final String DEFAULT_URL = "http://127.0.0.1:8080";
    public static final String DEFAULT_DATABASE = "ycsb";

    /** Values map byte to code point (see {@link Binding}), so the JSON escapes everything from 0x80 up. */
    private static final JsonFactory JSON =
            JsonFactory.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();
    /** The largest code point, appended to make a cursor that sorts after nearly every real id. */
    private static final String MAX_CODE_POINT = new String(Character.toChars(Character.MAX_CODE_POINT));

    private LumaDbHttp api;
    private HttpConnection connection;
    private String database;
    private int maxListLimit;
    private final RequestBytes request = new RequestBytes(4096);
    private final Buffer body = new Buffer();
    private String lastTable;
    private String lastTablePath;
    /** Null without {@code lumadb.authorization}, so that requests without it are built exactly as before. */
    private String authorizationLine;
    /** The extra header lines of a PATCH and of another write, built once. */
    private String patchHeaders = PREFER_MINIMAL;

    private String writeHeaders = "";

    private static final String PREFER_MINIMAL = "Prefer: return=minimal\r\n";

    @Override
    public void init() throws DBException {
        Properties p = getProperties();
        try {
            api = api(p);
        } catch (IllegalArgumentException e) {
            throw new DBException("bad LumaDB binding property: " + e.getMessage(), e);
        }
        if (!api.authorizationLine().isEmpty()) {
            authorizationLine = api.authorizationLine();
            patchHeaders = PREFER_MINIMAL + authorizationLine;
            writeHeaders = authorizationLine;
        }
        connection = api.connection();
        database = p.getProperty(DATABASE_PROPERTY, DEFAULT_DATABASE);
        maxListLimit = Integer.parseInt(p.getProperty(MAX_LIST_LIMIT_PROPERTY, "1000"));
        String table = p.getProperty("table", "usertable");
        // Connecting here keeps connection setup out of the first measured operation.
        try {
            int status = send("GET", api.path(database, table), false);
            if (status != 200) {
                throw new DBException("LumaDB collection " + database + "/" + table + " at " + api.url()
                        + " is not usable: GET answered " + status + " " + connection.bodyString()
                        + " (create it first, e.g. with YcsbRunner.reset)");
            }
        } catch (IOException e) {
            throw new DBException("cannot reach LumaDB at " + api.url() + ": " + e, e);
        }
    }

    @Override
    public void cleanup() {
        if (api != null) {
            api.close();
        }
    }

    @Override
    public Status read(String table, String key, Set<String> fields, Map<String, ByteIterator> result) {
        String path = tablePath(table) + LumaDbHttp.encode(key);
        try {
            int status = send("GET", path, false);
            if (status != 200) {
                return failure("GET", path, status);
            }
            try (JsonParser parser = JSON.createParser(connection.body(), 0, connection.bodyLength())) {
                if (parser.nextToken() != JsonToken.START_OBJECT) {
                    return error("GET " + path + ": expected a JSON object: " + connection.bodyString());
                }
                readDocument(parser, fields, result);
            }
            return Status.OK;
        } catch (IOException e) {
            return error("GET " + path + " failed: " + e);
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
                path = listPath + limit + (after == null ? "" : "&after=" + LumaDbHttp.encode(after));
                int status = send("GET", path, false);
                if (status != 200) {
                    return failure("GET", path, status);
                }
                after = null;
                try (JsonParser parser = JSON.createParser(connection.body(), 0, connection.bodyLength())) {
                    if (parser.nextToken() != JsonToken.START_OBJECT) {
                        return error("GET " + path + ": expected a JSON object: " + connection.bodyString());
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
            return error("GET " + path + " failed: " + e);
        }
    }

    @Override
    public Status update(String table, String key, Map<String, ByteIterator> values) {
        return write("PATCH", table, key, values, 200);
    }

    @Override
    public Status insert(String table, String key, Map<String, ByteIterator> values) {
        return write("PUT", table, key, values, 201);
    }

    @Override
    public Status delete(String table, String key) {
        return write("DELETE", table, key, null, 204);
    }

    /** One write of {@code values} (null for none); OK on 200 or {@code alsoOk}. */
    private Status write(String method, String table, String key, Map<String, ByteIterator> values, int alsoOk) {
        String path = tablePath(table) + LumaDbHttp.encode(key);
        try {
            if (values != null) {
                body.reset();
                writeJson(body, values);
            }
            int status = send(method, path, values != null);
            return status == 200 || status == alsoOk ? Status.OK : failure(method, path, status);
        } catch (IOException e) {
            return error(method + " " + path + " failed: " + e);
        }
    }

    /**
     * Drops database {@code lumadb.database} (with its collections) if it exists, then creates it and
     * collection {@code table} (default usertable) with {@code lumadb.shards} shards if given, else
     * the server's default.
     */
    public static void reset(Properties p) throws IOException {
        String table = p.getProperty("table", "usertable");
        String shards = p.getProperty(SHARDS_PROPERTY);
        try (LumaDbHttp api = api(p)) {
            String db = api.path(p.getProperty(DATABASE_PROPERTY, DEFAULT_DATABASE));
            api.expect("DELETE", db, null, 200, 404);
            api.expect("PUT", db, null, 200, 201);
            String json =
                    shards == null || shards.isBlank() ? null : "{\"shards\":" + Integer.parseInt(shards.strip()) + "}";
            // 201 only: a 200 would mean the drop above did not take and old documents could remain.
            api.expect("PUT", db + "/" + LumaDbHttp.encode(table), json, 201);
        }
    }

    /**
     * @throws IllegalArgumentException naming {@code lumadb.authorization} if its value cannot be a
     *     header
     */
    private static LumaDbHttp api(Properties p) {
        String url = p.getProperty(URL_PROPERTY, DEFAULT_URL);
        int timeout = Integer.parseInt(p.getProperty(TIMEOUT_PROPERTY, "30000"));
        try {
            return new LumaDbHttp(url, timeout, p.getProperty(AUTHORIZATION_PROPERTY));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(AUTHORIZATION_PROPERTY + ": " + e.getMessage(), e);
        }
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

    // ---- HTTP and JSON

    private String tablePath(String table) {
        if (!table.equals(lastTable)) {
            lastTable = table;
            lastTablePath = api.path(database, table) + "/";
        }
        return lastTablePath;
    }

    /** One exchange, {@link #body} sent if {@code withBody}; retried once if a kept-alive connection turned out closed. */
    private int send(String method, String path, boolean withBody) throws IOException {
        if (!withBody) {
            byte[] head = authorizationLine == null
                    ? RequestBytes.request(method, api.host(), path)
                    : RequestBytes.request(method, api.host(), path, authorizationLine);
            return LumaDbHttp.exchange(connection, head, head.length, false);
        }
        // A PATCH needs only the new version back, not the whole merged document.
        boolean patch = method.equals("PATCH");
        String type = patch ? "application/merge-patch+json" : "application/json";
        request.clear()
                .appendHead(method, api.host(), path, type, body.size(), patch ? patchHeaders : writeHeaders)
                .append(body.array(), 0, body.size());
        return LumaDbHttp.exchange(connection, request.array(), request.length(), false);
    }

    /** Writes {@code values} as a JSON object of strings, one character per byte (see {@link Binding#text}). */
    static void writeJson(OutputStream out, Map<String, ByteIterator> values) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            for (Map.Entry<String, ByteIterator> e : values.entrySet()) {
                g.writeStringField(e.getKey(), text(e.getValue()));
            }
            g.writeEndObject();
        }
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
                into.put(name, value(parser.getText()));
            } else {
                // Not written by this binding: keep the value's JSON text rather than drop it.
                StringWriter json = new StringWriter();
                try (JsonGenerator g = JSON.createGenerator(json)) {
                    g.copyCurrentStructure(parser);
                }
                into.put(name, value(json.toString()));
            }
        }
        return id;
    }

    private Status failure(String method, String path, int status) {
        if (status == 404) {
            return Status.NOT_FOUND;
        }
        error(method + " " + path + " answered " + status + ": " + connection.bodyString());
        return status == 503 ? Status.SERVICE_UNAVAILABLE : Status.ERROR;
    }

    /** A reusable body buffer whose bytes go into the request without a copy. */
    private static final class Buffer extends ByteArrayOutputStream {
        byte[] array() {
            return buf;
        }
    }
}
