package io.lumadb.tiering;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.StoredDocument;
import io.lumadb.shards.query.Deadline;
import io.lumadb.shards.query.Filter;
import io.lumadb.shards.query.QueryLimits;
import io.lumadb.shards.query.QuerySpec;
import io.lumadb.shards.store.ColdTier;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.tiering.fragment.FragmentedSegments;
import io.lumadb.tiering.fragment.SegmentDescriptor;
import io.lumadb.tiering.segment.BuiltSegment;
import io.lumadb.tiering.segment.SegmentWriter;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The shard's side of a migration, run next to the shard's store: reads its warm documents in id
 * order from a cursor, keeps those the request selects, writes them as segments (fragments written
 * and verified on their stores) and answers the segments with the pointer of every document. It
 * changes nothing in the store: the coordinator records the segments, then has the shard persist
 * the pointers ({@code ShardEntity.Cool}).
 */
final class Sealer {

    /** Documents read from the store per step. */
    private static final int PAGE = 256;

    /**
     * What to seal: documents after {@code after} (null: from the first) that are warm and
     * selected: all of them ({@code all}), or those at or below {@code maxVersion} (not written
     * since the policy's age; -1: no such rule), or whose {@code timePath} value is before {@code
     * olderThanEpochMillis}; and, with a {@code filter} (JQL, as JSON text), only its matches.
     * Stops after {@code maxSegments} segments of about {@code segmentBytes}, or after reading
     * {@code scanLimit} documents.
     */
    record Request(
            String after,
            boolean all,
            long maxVersion,
            String timePath,
            long olderThanEpochMillis,
            String filter,
            int maxSegments,
            long segmentBytes,
            long scanLimit,
            List<String> placement) {}

    /** The sealed segments, and where to go on ({@code next}; null: the shard has been read to its end). */
    record Answer(List<Sealed> segments, String next) {}

    /** One segment and the pointers of its documents. */
    record Sealed(SegmentDescriptor descriptor, List<ColdTier.Entry> entries) {}

    private final FragmentedSegments segments;
    private final java.util.function.Consumer<SegmentDescriptor> written;

    /** @param written told of each segment written, so that reads next to the shard need not ask for it */
    Sealer(FragmentedSegments segments, java.util.function.Consumer<SegmentDescriptor> written) {
        this.segments = segments;
        this.written = written;
    }

    Answer seal(ShardStore store, Request request) {
        Filter filter = filter(request.filter());
        Deadline deadline = Deadline.none();
        List<Sealed> sealed = new ArrayList<>();
        SegmentWriter writer = null;
        UUID id = null;
        String after = request.after();
        long scanned = 0;
        try {
            while (true) {
                List<StoredDocument> page = store.scan(after, PAGE);
                if (page.isEmpty()) {
                    after = null;
                    break;
                }
                for (StoredDocument document : page) {
                    if (ColdTier.isPointer(document.json()) || !selected(document, request, filter, deadline)) {
                        after = document.id();
                        scanned++;
                        continue;
                    }
                    if (writer != null && !writer.wouldFit(document.id(), document.json().length)) {
                        sealed.add(write(id, store.name(), writer, request.placement()));
                        writer = null;
                    }
                    if (writer == null) {
                        if (sealed.size() == request.maxSegments()) {
                            // Resumes with this document, the first of the next segment.
                            return new Answer(sealed, after);
                        }
                        id = UUID.randomUUID();
                        long now = System.currentTimeMillis();
                        writer = new SegmentWriter(id.toString(), store.name(), now, request.segmentBytes());
                        if (!writer.wouldFit(document.id(), document.json().length)) {
                            // A document bigger than a segment gets a segment of its own.
                            long room = request.segmentBytes() + 2L * document.json().length + 256 * 1024;
                            writer = new SegmentWriter(id.toString(), store.name(), now, room);
                        }
                    }
                    writer.add(document.id(), document.version(), document.json());
                    after = document.id();
                    scanned++;
                }
                if (scanned >= request.scanLimit()) {
                    break;
                }
            }
            if (writer != null && !writer.isEmpty()) {
                sealed.add(write(id, store.name(), writer, request.placement()));
            }
            return new Answer(sealed, after);
        } catch (RuntimeException e) {
            // The segments written so far are recorded nowhere: remove their fragments.
            sealed.forEach(s -> segments.delete(s.descriptor()));
            throw e;
        }
    }

    private Sealed write(UUID id, String shard, SegmentWriter writer, List<String> placement) {
        BuiltSegment built = writer.finish();
        SegmentDescriptor descriptor = segments.write(id.toString(), shard, built, placement);
        written.accept(descriptor);
        List<ColdTier.Entry> entries = new ArrayList<>(built.entries().size());
        for (BuiltSegment.Entry e : built.entries()) {
            entries.add(new ColdTier.Entry(e.id(), e.version(), new ColdPointer(id, e.offset(), e.length()).bytes()));
        }
        return new Sealed(descriptor, entries);
    }

    private static boolean selected(StoredDocument document, Request request, Filter filter, Deadline deadline) {
        JsonNode parsed = null;
        boolean chosen = request.all() || (request.maxVersion() >= 0 && document.version() <= request.maxVersion());
        if (!chosen && request.timePath() != null) {
            parsed = parse(document);
            chosen = olderThan(parsed.at(request.timePath()), request.olderThanEpochMillis());
        }
        if (!chosen) {
            return false;
        }
        if (filter == null) {
            return true;
        }
        return filter.matches(parsed != null ? parsed : parse(document), deadline);
    }

    /** Whether a time value (ISO-8601 instant, or epoch milliseconds) lies before {@code cutoff}. */
    static boolean olderThan(JsonNode value, long cutoff) {
        if (value.isIntegralNumber()) {
            return value.asLong() < cutoff;
        }
        if (value.isTextual()) {
            try {
                return Instant.parse(value.asText()).toEpochMilli() < cutoff;
            } catch (DateTimeParseException e) {
                return false;
            }
        }
        return false;
    }

    private static JsonNode parse(StoredDocument document) {
        try {
            return DocumentJson.mapper().readTree(document.json());
        } catch (IOException e) {
            throw new IllegalStateException("document '" + document.id() + "' is not JSON", e);
        }
    }

    private static Filter filter(String json) {
        if (json == null) {
            return null;
        }
        try {
            return QuerySpec.ofFilter(DocumentJson.mapper().readTree(json), QueryLimits.DEFAULTS)
                    .filter();
        } catch (IOException e) {
            throw new IllegalArgumentException("the filter is not JSON", e);
        }
    }
}
