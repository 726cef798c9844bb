package io.lumadb.timeseries.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.timeseries.query.TsQuery;
import io.lumadb.timeseries.query.TsQueryException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A live window query: the aggregates of each window of a time-series query, delivered once the
 * window has closed (its end plus {@code grace} has passed on the node's clock), and again, as an
 * update, whenever points written later change a window that closed within the last {@code
 * horizon} windows.
 *
 * <p>Every delivery carries a token: the end of the last window delivered and a digest of each of
 * the {@code horizon} windows before it as delivered. A subscription resumed from a token (after a
 * dropped connection or a node restart) delivers every window that closed since, and an update for
 * each window of the horizon whose aggregates now differ from the digest, so a subscriber that
 * keeps the newest token misses nothing, as with the change stream.
 *
 * <p>Windows are computed by the collection's queries ({@code run}): each step reads the horizon
 * and the windows that closed since the last step in one query, so late points are found by
 * reading the horizon again every step, not pushed by the shards.
 */
public final class LiveWindows {

    /** Most windows one step delivers; a subscription far behind catches up over several steps. */
    static final int MAX_WINDOWS_PER_STEP = 1000;

    /** Most windows a token keeps a digest of. */
    public static final int MAX_HORIZON = 1000;

    private static final int TOKEN_VERSION = 1;

    /** A window delivered: new ({@code update} false) or changed by late points. */
    public record Window(long start, long end, boolean update, ArrayNode groups, String token) {}

    private final TsQuery query;
    private final Function<TsQuery, CompletionStage<ObjectNode>> run;
    private final LongSupplier nowNanos;
    private final long window;
    private final long grace;
    private final int horizon;
    private final long queryDigest;

    /** The end of the last window delivered (or passed over at the start). */
    private long lastEnd;
    /** Digests of the {@link #horizon} windows ending at {@link #lastEnd}, oldest first; 0: empty. */
    private long[] digests;

    private boolean baseline;

    /**
     * @param query the live query, with a window and aggregates (its range is ignored)
     * @param run answers a query over the collection
     * @param grace how long after its end a window is delivered, so points a little late still
     *     make its first delivery
     * @param horizon how many delivered windows are read again for late points, and kept in the
     *     token
     * @param resume a token of an earlier subscription to the same query, or null to start with
     *     the next window to close
     * @throws TsQueryException for a query that cannot be live, or a token of another query
     */
    public LiveWindows(
            TsQuery query,
            Function<TsQuery, CompletionStage<ObjectNode>> run,
            LongSupplier nowNanos,
            Duration grace,
            int horizon,
            String resume) {
        if (query.mode() != TsQuery.Mode.AGGREGATE || query.window() <= 0) {
            throw new TsQueryException("/window", "a live query needs a window and aggregates");
        }
        if (!query.json().path("fill").asText("none").equals("none")) {
            throw new TsQueryException(
                    "/fill", "a live query delivers the windows that have points: fill must be none");
        }
        if (horizon < 0 || horizon > MAX_HORIZON) {
            throw new TsQueryException("", "the horizon must be between 0 and " + MAX_HORIZON + " windows");
        }
        this.query = query;
        this.run = run;
        this.nowNanos = nowNanos;
        this.window = query.window();
        this.grace = grace.toNanos();
        this.horizon = horizon;
        this.queryDigest = digest(rangeless(query).toString().getBytes(StandardCharsets.UTF_8));
        if (resume == null) {
            lastEnd = closedUpTo(nowNanos.getAsLong());
            digests = new long[horizon];
            baseline = true;
        } else {
            readToken(resume);
        }
    }

    /** The query without its range: what a token is bound to. */
    private static ObjectNode rangeless(TsQuery query) {
        ObjectNode o = query.json().deepCopy();
        o.remove("from");
        o.remove("to");
        return o;
    }

    /** The end of the newest window that has closed at {@code now}. */
    private long closedUpTo(long now) {
        return Math.floorDiv(now - grace, window) * window;
    }

    /** The length of the query's windows, in nanoseconds. */
    public long windowNanos() {
        return window;
    }

    /** The token of the current position. */
    public String token() {
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + 8 + 8 + 4 + digests.length * 8);
        b.put((byte) TOKEN_VERSION)
                .putLong(queryDigest)
                .putLong(window)
                .putLong(lastEnd)
                .putInt(digests.length);
        for (long d : digests) {
            b.putLong(d);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    private void readToken(String token) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Base64.getUrlDecoder().decode(token));
            if (b.get() != TOKEN_VERSION) {
                throw new IllegalArgumentException("version");
            }
            if (b.getLong() != queryDigest || b.getLong() != window) {
                throw new TsQueryException("/resume", "the token belongs to another live query");
            }
            lastEnd = b.getLong();
            int n = b.getInt();
            if (n < 0 || n > MAX_HORIZON || b.remaining() != n * 8) {
                throw new IllegalArgumentException("length");
            }
            long[] kept = new long[n];
            for (int i = 0; i < n; i++) {
                kept[i] = b.getLong();
            }
            // The horizon may differ from the earlier subscription's: keep the newest windows.
            digests = new long[horizon];
            for (int i = 1; i <= Math.min(n, horizon); i++) {
                digests[horizon - i] = kept[n - i];
            }
        } catch (IllegalArgumentException | java.nio.BufferUnderflowException e) {
            if (e instanceof TsQueryException q) {
                throw q;
            }
            throw new TsQueryException("/resume", "not a live window token");
        }
    }

    /**
     * One step: reads the horizon and the windows that have closed since the last step, and
     * answers what to deliver, in window order (updates first, then new windows). The first step
     * of a subscription without a token delivers nothing: it learns the horizon as it is.
     */
    public CompletionStage<List<Window>> step() {
        long closed = closedUpTo(nowNanos.getAsLong());
        long to = Math.min(closed, lastEnd + MAX_WINDOWS_PER_STEP * window);
        long from = lastEnd - horizon * window;
        if (to <= lastEnd && horizon == 0) {
            return CompletableFuture.completedFuture(List.of());
        }
        long end = Math.max(to, lastEnd);
        ObjectNode json = query.json();
        json.put("from", from);
        json.put("to", end);
        json.put("precision", "ns");
        TsQuery ranged = TsQuery.parse(json, end);
        return run.apply(ranged).thenApply(answer -> deliveries(answer, from, end));
    }

    private List<Window> deliveries(ObjectNode answer, long from, long end) {
        Map<Long, ArrayNode> byWindow = split(answer);
        List<Window> out = new ArrayList<>();
        long[] next = new long[horizon];
        // The horizon: windows already delivered.
        for (int i = 0; i < horizon; i++) {
            long start = from + i * window;
            ArrayNode groups = byWindow.getOrDefault(start, JsonNodeFactory.instance.arrayNode());
            long d = digest(groups);
            next[i] = d;
            if (!baseline && d != digests[i]) {
                out.add(new Window(start, start + window, true, groups, null));
            }
        }
        digests = next;
        baseline = false;
        // The windows closed since: delivered now, and moving into the horizon.
        for (long start = lastEnd; start < end; start += window) {
            ArrayNode groups = byWindow.getOrDefault(start, JsonNodeFactory.instance.arrayNode());
            out.add(new Window(start, start + window, false, groups, null));
            if (horizon > 0) {
                System.arraycopy(digests, 1, digests, 0, horizon - 1);
                digests[horizon - 1] = digest(groups);
            }
            lastEnd = start + window;
        }
        // Each delivery carries the token as of itself: updates the one of the horizon read, new
        // windows the one after them. Both are positions a subscriber may resume from.
        String token = token();
        List<Window> withTokens = new ArrayList<>(out.size());
        for (Window w : out) {
            withTokens.add(new Window(w.start(), w.end(), w.update(), w.groups(), token));
        }
        return withTokens;
    }

    /** The answer's rows by window start: per window, its groups with the row's aggregates. */
    private static Map<Long, ArrayNode> split(ObjectNode answer) {
        Map<Long, ArrayNode> out = new LinkedHashMap<>();
        for (JsonNode group : answer.path("groups")) {
            for (JsonNode row : group.path("rows")) {
                long start = nanos(row.path("time").asText());
                ObjectNode g = JsonNodeFactory.instance.objectNode();
                g.set("tags", group.path("tags"));
                if (group.has("measurement")) {
                    g.set("measurement", group.get("measurement"));
                }
                ObjectNode values = ((ObjectNode) row).deepCopy();
                values.remove("time");
                g.set("values", values);
                out.computeIfAbsent(start, s -> JsonNodeFactory.instance.arrayNode())
                        .add(g);
            }
        }
        return out;
    }

    private static long nanos(String rfc3339) {
        Instant t = Instant.parse(rfc3339);
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    /** A digest of a window's groups as delivered; 0 stands for a window without points. */
    static long digest(ArrayNode groups) {
        return groups.isEmpty() ? 0 : digest(groups.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static long digest(byte[] bytes) {
        try {
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(bytes);
            long d = ByteBuffer.wrap(Arrays.copyOf(sha, 8)).getLong();
            return d == 0 ? 1 : d;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
