package io.lumadb.sql.schema;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.security.Permission;
import io.lumadb.security.Principal;
import io.lumadb.security.Security;
import io.lumadb.shards.query.RowAccess;
import io.lumadb.sql.Cancellation;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one statement runs with: whose rows it may see, until when it may run, and whether its
 * scans report what the shards did ({@code EXPLAIN ANALYZE}). The engine binds it around
 * planning and executing ({@link #CURRENT}), so that a cached plan, shared by every caller, reads
 * each caller's rows with that caller's rules.
 */
public final class SqlSession {

    /** The session of the statement running on this thread. */
    public static final ScopedValue<SqlSession> CURRENT = ScopedValue.newInstance();

    /** What a caller may see of a collection; throws if it may not read it at all. */
    @FunctionalInterface
    public interface Sight {
        RowAccess of(String database, String collection);

        /**
         * Checks that the caller may write ({@code delete} false: insert and update) or delete
         * documents of a collection through SQL, and throws if not.
         */
        default void write(String database, String collection, boolean delete) {}

        /**
         * Checks that the caller may define a collection ({@code index} false: create, drop or
         * change its schema, as {@code manage-databases} on the database) or an index of it ({@code
         * index} on the collection), and throws if not.
         */
        default void define(String database, String collection, boolean index) {}

        /** Every row and field of every collection. */
        Sight ALL = (database, collection) -> RowAccess.ALL;

        /**
         * What {@code principal} may see: a collection needs {@code query} on it, as a JQL query
         * does, and is read with the caller's row rules and without its hidden fields.
         */
        static Sight of(Security security, Principal principal) {
            return new Sight() {
                @Override
                public RowAccess of(String db, String collection) {
                    security.authorize(
                            principal,
                            Permission.of(Permission.Action.QUERY, Permission.Scope.COLLECTION),
                            Map.of(Permission.DB, db, Permission.COLLECTION, collection));
                    return security.access(principal, Permission.Action.READ, false, db, collection);
                }

                /**
                 * {@code write} or {@code delete} on the collection, as the document API asks. A
                 * caller with write rules or hidden fields there writes through the document and
                 * bulk APIs, which judge every document against them; SQL refuses rather than
                 * write past them.
                 */
                @Override
                public void define(String db, String collection, boolean index) {
                    security.authorize(
                            principal,
                            index
                                    ? Permission.of(Permission.Action.INDEX, Permission.Scope.COLLECTION)
                                    : Permission.of(Permission.Action.MANAGE_DATABASES, Permission.Scope.DATABASE),
                            Map.of(Permission.DB, db, Permission.COLLECTION, collection));
                }

                @Override
                public void write(String db, String collection, boolean delete) {
                    Permission.Action action = delete ? Permission.Action.DELETE : Permission.Action.WRITE;
                    security.authorize(
                            principal,
                            Permission.of(action, Permission.Scope.COLLECTION),
                            Map.of(Permission.DB, db, Permission.COLLECTION, collection));
                    boolean rules = security.access(principal, action, true, db, collection)
                                            .filterJson()
                                    != null
                            || !security.access(principal, Permission.Action.READ, false, db, collection)
                                    .hiddenFields()
                                    .isEmpty()
                            || !security.access(principal, Permission.Action.WRITE, false, db, collection)
                                    .hiddenFields()
                                    .isEmpty();
                    if (rules) {
                        throw new io.lumadb.security.AccessDeniedException(principal.describe()
                                + " has row rules or hidden fields in '" + db + "/" + collection
                                + "'; SQL does not write there for it: use the document or bulk API, which"
                                + " judge each document by them");
                    }
                }
            };
        }
    }

    /**
     * What the shards did for the scans of one collection, summed over its pages and over every
     * scan of it in the statement.
     */
    public record ScanStats(
            String collection,
            List<String> plans,
            long pages,
            long keysExamined,
            long documentsExamined,
            long documentsReturned) {}

    private final Sight sight;
    private final long deadlineNanos;
    private final boolean analyze;
    private final Cancellation cancellation;
    private final Set<String> planned = new TreeSet<>();
    private final AtomicLong documentsRead = new AtomicLong();
    private final Map<String, Counters> scans = new LinkedHashMap<>();

    public SqlSession(Sight sight, long deadlineNanos, boolean analyze) {
        this(sight, deadlineNanos, analyze, new Cancellation());
    }

    public SqlSession(Sight sight, long deadlineNanos, boolean analyze, Cancellation cancellation) {
        this.sight = sight;
        this.deadlineNanos = deadlineNanos;
        this.analyze = analyze;
        this.cancellation = cancellation;
    }

    /** Notes that planning the statement used {@code collection}. */
    void planned(String collection) {
        synchronized (planned) {
            planned.add(collection);
        }
    }

    /** The collections planning the statement used, so far. */
    public Set<String> plannedCollections() {
        synchronized (planned) {
            return Set.copyOf(planned);
        }
    }

    /** Where a cancel request for this statement arrives. */
    public Cancellation cancellation() {
        return cancellation;
    }

    public Sight sight() {
        return sight;
    }

    public long deadlineNanos() {
        return deadlineNanos;
    }

    /** Whether scans ask the shards to explain what they did. */
    public boolean analyze() {
        return analyze;
    }

    /** Documents the shards returned to this statement's scans. */
    public long documentsRead() {
        return documentsRead.get();
    }

    /** The session of the statement running on this thread. */
    public static SqlSession current() {
        if (!CURRENT.isBound()) {
            throw new IllegalStateException("a collection is read outside a SQL statement");
        }
        return CURRENT.get();
    }

    /** Milliseconds left until the deadline, at least 1. */
    long remainingMillis() {
        return Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000L);
    }

    /** Counts a page of {@code collection}'s scan, with the shards' explain when analysing. */
    void page(String collection, int documents, JsonNode explain) {
        documentsRead.addAndGet(documents);
        if (!analyze) {
            return;
        }
        synchronized (scans) {
            Counters c = scans.computeIfAbsent(collection, k -> new Counters());
            c.pages++;
            c.returned += documents;
            if (explain != null) {
                c.keys += explain.path("keysExamined").asLong();
                c.docs += explain.path("documentsExamined").asLong();
                for (JsonNode shard : explain.path("shards")) {
                    String index = shard.path("index").asText(null);
                    c.plans.add(shard.path("plan").asText() + (index == null ? "" : " " + index));
                }
            }
        }
    }

    /** What the scans of each collection did, in the order they were first read. */
    public List<ScanStats> scans() {
        synchronized (scans) {
            return scans.entrySet().stream()
                    .map(e -> new ScanStats(
                            e.getKey(),
                            List.copyOf(e.getValue().plans),
                            e.getValue().pages,
                            e.getValue().keys,
                            e.getValue().docs,
                            e.getValue().returned))
                    .toList();
        }
    }

    private static final class Counters {
        final TreeSet<String> plans = new TreeSet<>();
        long pages;
        long keys;
        long docs;
        long returned;
    }
}
