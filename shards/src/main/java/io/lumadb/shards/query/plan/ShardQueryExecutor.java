package io.lumadb.shards.query.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.query.AggregateSpec;
import io.lumadb.shards.query.Deadline;
import io.lumadb.shards.query.KeyCodec;
import io.lumadb.shards.query.QueryLimits;
import io.lumadb.shards.query.QuerySpec;
import io.lumadb.shards.query.SortSpec;
import io.lumadb.shards.store.ReadView;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Runs a query on one shard, over one consistent {@link ReadView}: plans it ({@link Planner}),
 * reads the candidates, applies the whole filter to each, and returns the first rows after the
 * cursor in sort order (or the count, or the aggregation state). Rows are ordered by their key:
 * the encoded sort values followed by the id, a total order that makes cursors exact.
 */
public final class ShardQueryExecutor {

    /** The shard's store began to close while the query ran; the query may be retried. */
    public static final class ShardClosingException extends RuntimeException {
        public ShardClosingException() {
            super("the shard is closing", null, false, false);
        }
    }

    private static final Comparator<Candidate> BY_KEY = (a, b) -> Arrays.compareUnsigned(a.key, b.key);
    private static final int CHECK_EVERY = 64;

    private final ReadView view;
    private final QuerySpec spec;
    private final QueryCursor after;
    private final byte[] afterKey;
    private final Deadline deadline;
    private final long maxResultBytes;
    private final int shard;
    private final boolean idDescendingLast;
    private long keysExamined;
    private long documentsExamined;
    private long matched;

    private ShardQueryExecutor(
            int shard, ReadView view, QuerySpec spec, QueryCursor after, Deadline deadline, long maxResultBytes) {
        this.shard = shard;
        this.view = view;
        this.spec = spec;
        this.after = after;
        this.afterKey = after == null ? null : after.key();
        this.deadline = deadline;
        this.maxResultBytes = maxResultBytes;
        SortSpec.Key last = spec.sort().keys().getLast();
        this.idDescendingLast = last.path().text().equals(DocumentJson.ID) && last.descending();
    }

    /**
     * @param after the cursor of the previous page, or null
     * @param maxResultBytes the rows' documents together stay within this (at least one row is
     *     returned when there is one)
     */
    public static ShardQueryResult execute(
            int shard,
            ReadView view,
            QuerySpec spec,
            QueryCursor after,
            Deadline deadline,
            long maxResultBytes,
            QueryLimits limits) {
        return new ShardQueryExecutor(shard, view, spec, after, deadline, maxResultBytes).run(limits);
    }

    /** What {@link #forEachMatch} did: its plan's kind and index, and its counters. */
    public record MatchStats(String plan, String index, long keysExamined, long documentsExamined, long matched) {}

    /**
     * Hands every document of {@code view} that matches the query's filter to {@code sink}, in no
     * particular order, planned like a query (by id, through a ready secondary index, or by a
     * scan): the pre-filter of a search. Only the filter and the hint of {@code spec} count.
     *
     * @throws QueryTimeoutException when the deadline passes
     * @throws ShardClosingException when the store begins to close
     */
    public static MatchStats forEachMatch(
            int shard,
            ReadView view,
            QuerySpec spec,
            Deadline deadline,
            java.util.function.Consumer<StoredDocument> sink) {
        var executor = new ShardQueryExecutor(shard, view, spec, null, deadline, Long.MAX_VALUE);
        ShardPlan plan = Planner.plan(spec.filter(), spec.sort(), view.indexes(), spec.hint(), false);
        Iterator<StoredDocument> candidates = executor.candidates(plan, false);
        while (candidates.hasNext()) {
            StoredDocument document = candidates.next();
            if (spec.filter().matches(parse(document.json()), deadline)) {
                executor.matched++;
                sink.accept(document);
            }
        }
        String index = plan instanceof ShardPlan.IndexScan scan
                ? scan.index().definition().name()
                : null;
        return new MatchStats(plan.kind(), index, executor.keysExamined, executor.documentsExamined, executor.matched);
    }

    /** A matching document on its way into the result. */
    private static final class Candidate {
        final byte[] key;
        final int valuesLength;
        final String id;
        byte[] json;

        Candidate(byte[] key, int valuesLength, String id, byte[] json) {
            this.key = key;
            this.valuesLength = valuesLength;
            this.id = id;
            this.json = json;
        }
    }

    private ShardQueryResult run(QueryLimits limits) {
        long start = System.nanoTime();
        boolean documentQuery = spec.isDocumentQuery();
        ShardPlan plan = Planner.plan(spec.filter(), spec.sort(), view.indexes(), spec.hint(), documentQuery);
        boolean idOrder = plan instanceof ShardPlan.Scan && spec.sort().isIdOrder();
        Iterator<StoredDocument> candidates = candidates(plan, documentQuery && idOrder);
        String order;
        List<ShardQueryResult.Row> rows = List.of();
        boolean exhausted = true;
        byte[] partial = null;
        if (!documentQuery) {
            AggregateSpec.Accumulator accumulator = spec.aggregate() != null
                    ? spec.aggregate().newAccumulator(limits)
                    : spec.distinct() != null ? spec.distinct().newAccumulator(limits) : null;
            while (candidates.hasNext()) {
                StoredDocument document = candidates.next();
                JsonNode parsed = parse(document.json());
                if (spec.filter().matches(parsed, deadline)) {
                    matched++;
                    if (accumulator != null) {
                        accumulator.add(parsed);
                    }
                }
            }
            partial = accumulator == null ? null : accumulator.toBytes();
            order = "none";
        } else {
            boolean ordered = idOrder || (plan instanceof ShardPlan.IndexScan scan && scan.ordered());
            order = idOrder ? "id" : ordered ? "index" : "memory";
            Collected collected = ordered ? collectOrdered(candidates, !idOrder) : collectTopK(candidates);
            exhausted = collected.exhausted;
            rows = materialize(collected.candidates);
            exhausted &= rows.size() == collected.candidates.size();
        }
        ShardPlan.IndexScan indexScan = plan instanceof ShardPlan.IndexScan s ? s : null;
        ShardQueryResult.ShardExplain explain = new ShardQueryResult.ShardExplain(
                shard,
                plan.kind(),
                indexScan == null ? null : indexScan.index().definition().name(),
                indexScan == null ? 0 : indexScan.intervals().size(),
                order,
                keysExamined,
                documentsExamined,
                matched,
                rows.size(),
                (System.nanoTime() - start) / 1_000,
                plan instanceof ShardPlan.Scan scan ? scan.reason() : null);
        return new ShardQueryResult(
                rows, exhausted, matched, partial, explain, view.meta().appliedSeq());
    }

    private record Collected(List<Candidate> candidates, boolean exhausted) {}

    /**
     * Candidates arrive in sort order up to ties (an index in the sort's direction, or ids):
     * take the first {@code limit} rows after the cursor, plus the rest of the last row's tie
     * group when the order only holds up to ties, then sort exactly.
     */
    private Collected collectOrdered(Iterator<StoredDocument> candidates, boolean tiesUnordered) {
        int limit = spec.limit();
        List<Candidate> out = new ArrayList<>(Math.min(limit, 1024));
        boolean exhausted = true;
        while (candidates.hasNext()) {
            Candidate c = match(candidates.next());
            if (c == null) {
                continue;
            }
            if (out.size() >= limit) {
                Candidate last = out.getLast();
                if (!tiesUnordered || !sameValues(last, c)) {
                    exhausted = false;
                    break;
                }
            }
            out.add(c);
        }
        if (tiesUnordered) {
            out.sort(BY_KEY);
        }
        if (out.size() > limit) {
            out = out.subList(0, limit);
            exhausted = false;
        }
        return new Collected(out, exhausted);
    }

    private static boolean sameValues(Candidate a, Candidate b) {
        return Arrays.equals(a.key, 0, a.valuesLength, b.key, 0, b.valuesLength);
    }

    /** Candidates in any order: keep the {@code limit} smallest rows after the cursor. */
    private Collected collectTopK(Iterator<StoredDocument> candidates) {
        int limit = spec.limit();
        PriorityQueue<Candidate> heap = new PriorityQueue<>(Math.min(limit, 1024) + 1, BY_KEY.reversed());
        boolean exhausted = true;
        long keptBytes = 0;
        while (candidates.hasNext()) {
            Candidate c = match(candidates.next());
            if (c == null) {
                continue;
            }
            if (heap.size() == limit) {
                exhausted = false;
                if (BY_KEY.compare(c, heap.peek()) >= 0) {
                    continue;
                }
                Candidate evicted = heap.poll();
                keptBytes -= evicted.json == null ? 0 : evicted.json.length;
            }
            // Documents are kept for the answer while they fit; the rest are read again at the end.
            if (keptBytes + c.json.length > 2 * maxResultBytes) {
                c.json = null;
            } else {
                keptBytes += c.json.length;
            }
            heap.add(c);
        }
        List<Candidate> out = new ArrayList<>(heap);
        out.sort(BY_KEY);
        return new Collected(out, exhausted);
    }

    /** The candidate as a row if it matches the filter and comes after the cursor, else null. */
    private Candidate match(StoredDocument document) {
        JsonNode parsed = parse(document.json());
        if (!spec.filter().matches(parsed, deadline)) {
            return null;
        }
        matched++;
        byte[] values = spec.sort().sortKey(parsed);
        if (idDescendingLast) {
            // sortKey leaves out a trailing _id key; descending, it must still order the rows.
            values = ByteKeys.concat(values, KeyCodec.encode(TextNode.valueOf(document.id()), true));
        }
        byte[] key = ByteKeys.concat(values, document.id().getBytes(StandardCharsets.UTF_8));
        if (afterKey != null && Arrays.compareUnsigned(key, afterKey) <= 0) {
            return null;
        }
        return new Candidate(key, values.length, document.id(), document.json());
    }

    private List<ShardQueryResult.Row> materialize(List<Candidate> candidates) {
        List<ShardQueryResult.Row> rows = new ArrayList<>(candidates.size());
        long bytes = 0;
        for (Candidate c : candidates) {
            byte[] json = c.json;
            if (json == null) {
                StoredDocument again = view.get(c.id);
                json = again.json();
            }
            if (!spec.projection().isAll()) {
                json = DocumentJson.bytes(spec.projection().apply(parse(json)));
            }
            if (!rows.isEmpty() && bytes + json.length > maxResultBytes) {
                break;
            }
            bytes += json.length;
            rows.add(new ShardQueryResult.Row(c.key, c.valuesLength, json));
        }
        return rows;
    }

    private static JsonNode parse(byte[] json) {
        try {
            return DocumentJson.mapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("a stored document is not valid JSON", e);
        }
    }

    // ---- candidates

    private void checkpoint() {
        if (++documentsExamined % CHECK_EVERY == 0) {
            deadline.check();
            if (view.closing()) {
                throw new ShardClosingException();
            }
        }
    }

    private Iterator<StoredDocument> candidates(ShardPlan plan, boolean seekToCursorId) {
        return switch (plan) {
            case ShardPlan.Ids ids ->
                counted(ids.ids().stream()
                        .map(view::get)
                        .filter(java.util.Objects::nonNull)
                        .iterator());
            case ShardPlan.Scan scan -> counted(view.documents(seekToCursorId && after != null ? after.id() : null));
            case ShardPlan.IndexScan scan -> indexCandidates(scan);
        };
    }

    private Iterator<StoredDocument> counted(Iterator<StoredDocument> inner) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return inner.hasNext();
            }

            @Override
            public StoredDocument next() {
                checkpoint();
                return inner.next();
            }
        };
    }

    private Iterator<StoredDocument> indexCandidates(ShardPlan.IndexScan scan) {
        List<ShardPlan.Interval> intervals = new ArrayList<>(scan.intervals());
        if (scan.reverse()) {
            Collections.reverse(intervals);
        }
        if (scan.ordered() && after != null && spec.isDocumentQuery()) {
            intervals = List.of(seekPastCursor(intervals.getFirst(), scan));
        }
        // A document with several entries (arrays, several $in values) is a candidate once.
        Set<String> seen = scan.index().multikey() || intervals.size() > 1 ? new HashSet<>() : null;
        long indexId = scan.index().definition().id();
        Iterator<ShardPlan.Interval> remaining = intervals.iterator();
        return new Iterator<>() {
            Iterator<ReadView.IndexEntry> entries = Collections.emptyIterator();
            StoredDocument next;

            @Override
            public boolean hasNext() {
                while (next == null) {
                    if (!entries.hasNext()) {
                        if (!remaining.hasNext()) {
                            return false;
                        }
                        ShardPlan.Interval interval = remaining.next();
                        entries = view.index(indexId, interval.start(), interval.end(), scan.reverse());
                        continue;
                    }
                    ReadView.IndexEntry entry = entries.next();
                    keysExamined++;
                    if (seen != null && !seen.add(entry.id())) {
                        continue;
                    }
                    checkpoint();
                    next = view.get(entry.id());
                }
                return true;
            }

            @Override
            public StoredDocument next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                StoredDocument out = next;
                next = null;
                return out;
            }
        };
    }

    /**
     * Narrows an ordered scan's interval to the rows at or after the cursor's sort values (the
     * rows with equal values but a smaller id are skipped by key). The index's sort fields
     * follow its equality prefix in the sort's direction (forward) or inverted (reverse).
     */
    private ShardPlan.Interval seekPastCursor(ShardPlan.Interval interval, ShardPlan.IndexScan scan) {
        byte[] values = scan.reverse() ? ByteKeys.invert(after.values()) : after.values();
        byte[] position = ByteKeys.concat(scan.eqPrefix(), values);
        if (scan.reverse()) {
            return new ShardPlan.Interval(
                    interval.start(), ByteKeys.minUpper(interval.end(), ByteKeys.successor(position)));
        }
        return new ShardPlan.Interval(ByteKeys.maxLower(interval.start(), position), interval.end());
    }
}
