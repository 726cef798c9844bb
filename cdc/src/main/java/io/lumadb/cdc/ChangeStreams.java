package io.lumadb.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.cdc.groups.ConsumerGroups;
import io.lumadb.shards.Catalog;
import io.lumadb.shards.Queries;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.query.Deadline;
import io.lumadb.shards.query.Filter;
import io.lumadb.shards.query.QueryException;
import io.lumadb.shards.query.QuerySpec;
import io.lumadb.shards.query.RowAccess;
import io.lumadb.streams.SubscriberBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The change streams and live queries of this node's collections. A subscription is a Pekko
 * Streams {@link Source} of {@link StreamItem}s that starts at a resume position and delivers
 * every later change of the collection exactly once per shard, in shard sequence order, until
 * it is cancelled, overflows or meets lost history.
 */
public final class ChangeStreams {

    /**
     * How often this node compares its open subscriptions with its catalog cache: a drop made
     * through this node reaches its subscribers within this.
     */
    private static final Duration DROP_CHECK = Duration.ofMillis(200);

    private final ActorSystem<?> system;
    private final Catalog catalog;
    private final Queries queries;
    private final CdcSettings settings;
    private final ChangeFeeds feeds;
    private final ConsumerGroups groups;
    private final AtomicLong buffered = new AtomicLong();
    private final java.util.Set<ChangeSubscription> open = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final AtomicLong overflows = new AtomicLong();
    private volatile long checkedCatalogVersion = -1;

    private ChangeStreams(ActorSystem<?> system, Catalog catalog, Queries queries, CdcSettings settings) {
        this.system = system;
        this.catalog = catalog;
        this.queries = queries;
        this.settings = settings;
        this.feeds = new ChangeFeeds(system, settings.readJournal(), settings.ringSize());
        this.groups = ConsumerGroups.start(system);
        // A dropped collection ends its subscriptions. Drops made through this node are in the
        // catalog cache at once; those made on other nodes arrive with the refresh, so while
        // subscriptions are open the cache is refreshed every heartbeat.
        system.scheduler().scheduleWithFixedDelay(DROP_CHECK, DROP_CHECK, this::endDropped, system.executionContext());
        system.scheduler()
                .scheduleWithFixedDelay(
                        settings.heartbeat(), settings.heartbeat(), this::refreshCatalog, system.executionContext());
    }

    private void refreshCatalog() {
        if (!open.isEmpty()) {
            catalog.refresh(); // a failure is retried at the next heartbeat
        }
    }

    /** Ends the subscriptions whose collection (that incarnation of it) the catalog no longer has. */
    private void endDropped() {
        if (open.isEmpty()) {
            return;
        }
        io.lumadb.shards.catalog.CatalogSnapshot snapshot = catalog.cached();
        if (snapshot.version() == checkedCatalogVersion) {
            return;
        }
        checkedCatalogVersion = snapshot.version();
        for (ChangeSubscription s : open) {
            endIfDropped(s, snapshot);
        }
    }

    private static void endIfDropped(ChangeSubscription s, io.lumadb.shards.catalog.CatalogSnapshot snapshot) {
        CollectionInfo info = s.collection();
        if (!snapshot.isLive(info.database(), info.name(), info.incarnation())) {
            s.dropped();
        }
    }

    public static ChangeStreams create(ActorSystem<?> system, Catalog catalog, Queries queries) {
        return new ChangeStreams(
                system,
                catalog,
                queries,
                CdcSettings.fromConfig(system.settings().config()));
    }

    public CdcSettings settings() {
        return settings;
    }

    /** Shard events waiting in subscriber buffers on this node (a metric). */
    public long bufferedEvents() {
        return buffered.get();
    }

    /** Open subscriptions on this node (a metric). */
    public int subscriptions() {
        return open.size();
    }

    /**
     * The largest lag of a subscription on this node: shard events its live shards have not yet
     * delivered (a metric; a shard still catching up from the journal is not counted).
     */
    public long maxLagEvents() {
        long max = 0;
        for (ChangeSubscription s : open) {
            max = Math.max(max, s.lag());
        }
        return max;
    }

    /** Subscriptions closed for overflowing since this node started (a metric). */
    public long overflows() {
        return overflows.get();
    }

    /** Live journal feeds on this node (a metric). */
    public int feeds() {
        return feeds.running();
    }

    /**
     * A change stream ready to run: where it starts and the items from there, as a stream ({@code
     * items}) or as a {@link ChangeCursor} its caller drives ({@code cursor}); either, once.
     */
    public record Subscription(
            CollectionInfo collection,
            ResumeToken start,
            Source<StreamItem, NotUsed> items,
            Supplier<ChangeCursor> cursor) {}

    /**
     * A collection's change stream from {@code from}: {@code beginning}, {@code now} or a resume
     * token. {@code filter} (JQL, may be null) is evaluated on the document after the change, or
     * before it for a delete. Once caught up, a quiet subscription sends a heartbeat every
     * {@code heartbeat}.
     *
     * @throws InvalidStreamRequestException (in the stage) for a bad position or filter
     */
    public CompletionStage<Subscription> changes(
            String database, String collection, String from, JsonNode filter, Duration heartbeat) {
        return changes(
                database,
                collection,
                from,
                filter,
                heartbeat,
                false,
                null,
                ConsumerGroups.Member.ALL,
                () -> RowAccess.ALL);
    }

    /**
     * Like {@link #changes}, as member {@code member} of consumer group {@code group} (null: no
     * group): without {@code from}, it starts at the group's committed position (the beginning
     * before the group's first commit), and it reads only the shards the member owns. With {@code
     * pull} (one HTTP pull page), once caught up the subscription sends a heartbeat at once if it
     * has delivered a change, else after {@code heartbeat} (the long-poll wait).
     */
    public CompletionStage<Subscription> changes(
            String database,
            String collection,
            String from,
            JsonNode filter,
            Duration heartbeat,
            boolean pull,
            String group,
            ConsumerGroups.Member member,
            Supplier<RowAccess> access) {
        Filter parsed = filter(filter);
        // The access is asked for every change: a rule or role change applies from the next
        // change on, and a revoked caller's stream fails there (the supplier throws).
        Function<ChangeEvent, StreamItem.Change> classify = original -> {
            ChangeEvent event = original.seenThrough(access.get());
            if (event == null) {
                return null;
            }
            JsonNode doc = event.after() != null ? event.after() : event.before();
            return doc == null || parsed.matches(doc, Deadline.none())
                    ? new StreamItem.Change("change", event, null)
                    : null;
        };
        if (group != null) {
            ConsumerGroups.checkName(group);
        }
        return catalog.resolve(database, collection, false).thenCompose(info -> {
            CompletionStage<ResumeToken> start = group != null && from == null
                    ? groups.position(info, group).thenCompose(committed -> committed
                            .<CompletionStage<ResumeToken>>map(CompletableFuture::completedFuture)
                            .orElseGet(() -> start(info, "beginning")))
                    : start(info, from);
            return start.thenApply(s -> {
                Supplier<ChangeCursor> cursor = () -> cursor(info, s, classify, heartbeat, pull, member);
                return new Subscription(info, s, items(cursor), cursor);
            });
        });
    }

    /** The consumer groups of change streams. */
    public ConsumerGroups groups() {
        return groups;
    }

    /**
     * Resolves a collection and a token of it (for group commits); a bad token is reported at
     * {@code pointer}, the request field that carried it.
     */
    public CompletionStage<java.util.Map.Entry<io.lumadb.shards.catalog.CollectionInfo, ResumeToken>> token(
            String database, String collection, String encoded, String pointer) {
        return catalog.resolve(database, collection, false)
                .thenApply(info -> java.util.Map.entry(info, token(info, encoded, pointer)));
    }

    /** Resolves a collection. */
    public CompletionStage<io.lumadb.shards.catalog.CollectionInfo> collection(String database, String collection) {
        return catalog.resolve(database, collection, false);
    }

    /** A live query: its initial result (empty when resumed), its position, and its changes. */
    public record LiveQuery(
            CollectionInfo collection,
            List<byte[]> initial,
            boolean resumed,
            ResumeToken start,
            Source<StreamItem, NotUsed> items) {}

    /**
     * A live query over {@code filter} (JQL, may be null) with an optional {@code sort} for the
     * initial result. Without {@code resumeToken} the result is read from one snapshot per shard
     * and the changes start exactly at those snapshots; with it, changes resume there and no
     * result is read. A document is {@code added} when it starts to match, {@code changed} when
     * it matches before and after, {@code removed} when it stops matching or is deleted.
     */
    public CompletionStage<LiveQuery> liveQuery(
            String database, String collection, JsonNode filter, JsonNode sort, String resumeToken) {
        return liveQuery(database, collection, filter, sort, null, resumeToken, () -> RowAccess.ALL);
    }

    /**
     * Like {@link #liveQuery(String, String, JsonNode, JsonNode, String)}, over the first {@code
     * limit} matches in {@code sort} order (null: all matches). A limited live query keeps its
     * window on the server, so it always starts with a fresh result: {@code resumeToken} is
     * ignored and the answer says {@code resumed} false.
     */
    public CompletionStage<LiveQuery> liveQuery(
            String database,
            String collection,
            JsonNode filter,
            JsonNode sort,
            Integer limit,
            String resumeToken,
            Supplier<RowAccess> access) {
        if (limit != null && (limit < 1 || limit > settings.maxLiveQueryResult())) {
            throw new InvalidStreamRequestException(
                    "/limit",
                    "limit must be from 1 to " + settings.maxLiveQueryResult() + " (lumadb.cdc.max-live-query-result)");
        }
        Filter parsed = filter(filter);
        RowAccess initialAccess = access.get();
        // A document the caller may not see is outside the result like one the filter leaves out:
        // it is "removed" when it leaves the caller's view, "added" when it enters it.
        Function<ChangeEvent, StreamItem.Change> classify = event -> {
            RowAccess seen = access.get();
            boolean after =
                    event.after() != null && seen.sees(event.after()) && parsed.matches(event.after(), Deadline.none());
            boolean before = event.hasBefore()
                    ? seen.sees(event.before()) && parsed.matches(event.before(), Deadline.none())
                    : event.op() != DocumentChange.Op.CREATED && seen.unrestricted(); // unknown: assume it did
            String kind = after ? (before ? "changed" : "added") : before ? "removed" : null;
            return kind == null ? null : new StreamItem.Change(kind, event.stripped(seen), null);
        };
        return catalog.resolve(database, collection, false).thenCompose(info -> {
            if (resumeToken != null && limit == null) {
                ResumeToken start = token(info, resumeToken, "/from");
                return CompletableFuture.completedFuture(new LiveQuery(
                        info,
                        List.of(),
                        true,
                        start,
                        items(() -> cursor(
                                info, start, classify, settings.heartbeat(), false, ConsumerGroups.Member.ALL))));
            }
            ObjectNode body = DocumentJson.mapper().createObjectNode();
            JsonNode rowFilter = initialAccess.filterJson();
            if (filter != null && rowFilter != null) {
                ObjectNode and = DocumentJson.mapper().createObjectNode();
                and.putArray("$and").add(filter).add(rowFilter);
                body.set("filter", and);
            } else if (filter != null || rowFilter != null) {
                body.set("filter", filter != null ? filter : rowFilter);
            }
            if (sort != null) {
                body.set("sort", sort);
            }
            body.put("limit", limit != null ? limit : settings.maxLiveQueryResult());
            QuerySpec spec;
            try {
                spec = queries.parse(body);
            } catch (QueryException e) {
                throw new InvalidStreamRequestException(e.pointer(), e.getMessage());
            }
            return queries.query(database, collection, spec).thenCompose(result -> {
                // With a limit, a window on the server turns the changes into rows of the first N.
                UnaryOperator<Source<StreamItem, NotUsed>> rows = items -> items;
                if (limit != null) {
                    LiveWindow window = new LiveWindow(spec, result, () -> queries.query(database, collection, spec));
                    rows = items -> items.mapAsync(1, window::process)
                            .mapConcat(r -> r)
                            .map(item -> stripped(item, access.get()));
                } else if (result.next() != null) {
                    throw new InvalidStreamRequestException(
                            "/filter",
                            "the live query matches more than " + settings.maxLiveQueryResult()
                                    + " documents (lumadb.cdc.max-live-query-result); narrow its filter");
                }
                UnaryOperator<Source<StreamItem, NotUsed>> toRows = rows;
                return snapshotPositions(info, result.positions())
                        .thenApply(start -> new LiveQuery(
                                info,
                                result.documents().stream()
                                        .map(initialAccess::strip)
                                        .toList(),
                                false,
                                start,
                                toRows.apply(items(() -> cursor(
                                        info,
                                        start,
                                        classify,
                                        settings.heartbeat(),
                                        false,
                                        ConsumerGroups.Member.ALL)))));
            });
        });
    }

    /** A row with the fields the caller may not see removed from its document; other items as they are. */
    private static StreamItem stripped(StreamItem item, RowAccess access) {
        return item instanceof StreamItem.Row row && row.document() != null
                ? new StreamItem.Row(
                        row.kind(),
                        row.id(),
                        row.version(),
                        access.strip(row.document()),
                        row.rank(),
                        row.score(),
                        row.position())
                : item;
    }

    /** A live search: its initial top k as rows (kind {@code result}), its position, and the rows that follow. */
    public record LiveSearch(
            CollectionInfo collection,
            List<StreamItem.Row> initial,
            ResumeToken start,
            Source<StreamItem, NotUsed> items) {
        public LiveSearch {
            initial = List.copyOf(initial);
        }
    }

    /**
     * A live search ({@link LiveRanking}): the current top k of {@code ranking}, then {@code
     * added}, {@code removed} and {@code changed} rows as writes move it, each with the resume
     * token of the position it reflects. Like a limited live query it keeps its state on the
     * server, so it always starts with a fresh ranking. {@code ranking} applies the caller's row
     * rules itself (at every ranking, so a changed rule holds at once); {@code access} strips the
     * hidden fields from the documents.
     */
    public CompletionStage<LiveSearch> liveSearch(
            String database, String collection, Ranking ranking, Supplier<RowAccess> access) {
        // Any change may move a ranking (BM25 statistics, a deletion letting the next one in).
        Function<ChangeEvent, StreamItem.Change> every = event -> new StreamItem.Change("changed", event, null);
        return catalog.resolve(database, collection, false)
                .thenCompose(info -> ranking.rank().thenCompose(initial -> snapshotPositions(info, initial.positions())
                        .thenApply(start -> {
                            LiveRanking live = new LiveRanking(ranking, initial, info.shards());
                            RowAccess now = access.get();
                            return new LiveSearch(
                                    info,
                                    LiveRanking.rows(initial, start).stream()
                                            .map(row -> (StreamItem.Row) stripped(row, now))
                                            .toList(),
                                    start,
                                    items(() -> cursor(
                                                    info,
                                                    start,
                                                    every,
                                                    settings.heartbeat(),
                                                    false,
                                                    ConsumerGroups.Member.ALL))
                                            .mapAsync(1, live::process)
                                            .mapConcat(r -> r)
                                            .map(item -> stripped(item, access.get())));
                        })));
    }

    /** The snapshot's per-shard positions; shards the query did not ask start at their current position. */
    private CompletionStage<ResumeToken> snapshotPositions(CollectionInfo info, Map<Integer, Long> positions) {
        if (positions.size() == info.shards()) {
            long[] seqs = new long[info.shards()];
            positions.forEach((shard, seq) -> seqs[shard] = seq);
            return CompletableFuture.completedFuture(ResumeToken.at(info.incarnation(), seqs));
        }
        return queries.positions(info).thenApply(now -> {
            long[] seqs = now.clone();
            positions.forEach((shard, seq) -> seqs[shard] = seq);
            return ResumeToken.at(info.incarnation(), seqs);
        });
    }

    private Filter filter(JsonNode filter) {
        if (filter == null || filter.isNull()) {
            return Filter.parse(
                    DocumentJson.mapper().createObjectNode(),
                    "/filter",
                    catalog.settings().queryLimits());
        }
        try {
            return Filter.parse(filter, "/filter", catalog.settings().queryLimits());
        } catch (QueryException e) {
            throw new InvalidStreamRequestException(e.pointer(), e.getMessage());
        }
    }

    private CompletionStage<ResumeToken> start(CollectionInfo info, String from) {
        if (from == null || from.equals("now")) {
            return queries.positions(info).thenApply(seqs -> ResumeToken.at(info.incarnation(), seqs));
        }
        if (from.equals("beginning")) {
            return CompletableFuture.completedFuture(ResumeToken.beginning(info.incarnation(), info.shards()));
        }
        return CompletableFuture.completedFuture(token(info, from, "/from"));
    }

    private static ResumeToken token(CollectionInfo info, String encoded, String pointer) {
        ResumeToken token;
        try {
            token = ResumeToken.decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new InvalidStreamRequestException(pointer, e.getMessage());
        }
        if (token.incarnation() < info.incarnation()) {
            // Incarnations only grow: the token's collection was created before this one.
            throw new CollectionDroppedException(info.database(), info.name(), pointer);
        }
        if (token.incarnation() != info.incarnation() || token.shards() != info.shards()) {
            throw new InvalidStreamRequestException(pointer, "the resume token belongs to another collection");
        }
        return token;
    }

    /** A subscription as a stream: {@code cursor} opens it when the stream starts. */
    private static Source<StreamItem, NotUsed> items(Supplier<ChangeCursor> cursor) {
        return Source.fromGraph(new CursorSource(cursor));
    }

    private ChangeCursor cursor(
            CollectionInfo info,
            ResumeToken start,
            Function<ChangeEvent, StreamItem.Change> classify,
            Duration heartbeat,
            boolean pull,
            ConsumerGroups.Member member) {
        // A new subscription, registered among the open ones (for drops, lag and the count).
        ChangeSubscription subscription = new ChangeSubscription(
                info,
                start,
                feeds,
                classify,
                new SubscriberBuffer<>(settings.bufferSize(), buffered, overflows),
                settings.catchUpPage(),
                settings.maxPullBytes(),
                heartbeat,
                pull,
                member);
        open.add(subscription);
        // Dropped between resolving the collection and now: the periodic check may already have
        // passed this catalog version.
        endIfDropped(subscription, catalog.cached());
        return subscription.cursor(() -> open.remove(subscription));
    }
}
