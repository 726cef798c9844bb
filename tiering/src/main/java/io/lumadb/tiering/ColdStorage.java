package io.lumadb.tiering;

import io.lumadb.shards.ColdDataUnavailableException;
import io.lumadb.shards.store.ColdTier;
import io.lumadb.tiering.erasure.ErasureCoder;
import io.lumadb.tiering.fragment.FragmentStoreException;
import io.lumadb.tiering.fragment.FragmentedSegments;
import io.lumadb.tiering.fragment.ScrubReport;
import io.lumadb.tiering.fragment.SegmentDamagedException;
import io.lumadb.tiering.fragment.SegmentDescriptor;
import io.lumadb.tiering.segment.BuiltSegment;
import io.lumadb.tiering.segment.CorruptSegmentException;
import io.lumadb.tiering.segment.SegmentReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * This node's access to the cold tier: reads of cold documents (the {@link ColdTier} every shard
 * store resolves pointers through), with the hot cache in front; sealing next to a shard's
 * store; and the fragment work of the coordinator's jobs (scrub, delete, reading a segment's
 * pointers back). Segment descriptors come from the coordinator and are cached; a read that
 * fails with a cached descriptor asks for a fresh one (a repair may have moved a fragment).
 */
final class ColdStorage implements ColdTier {

    static final int FRAGMENTS = ErasureCoder.TOTAL;

    private final ActorSystem<?> system;
    private final ErasureCoder coder;
    private final FragmentStores stores;
    private final FragmentedSegments segments;
    private final Sealer sealer;
    private final Executor executor;
    private final HotCache hot;
    private final Duration timeout;
    private final Map<String, SegmentDescriptor> descriptors = new ConcurrentHashMap<>();
    private volatile ActorRef<TieringCoordinator.Command> coordinator;
    final AtomicLong coldReads = new AtomicLong();
    final AtomicLong degradedReads = new AtomicLong();
    final AtomicLong failedReads = new AtomicLong();

    ColdStorage(
            ActorSystem<?> system,
            ErasureCoder coder,
            FragmentStores stores,
            Executor executor,
            long hotCacheBytes,
            Duration timeout) {
        this.system = system;
        this.coder = coder;
        this.stores = stores;
        this.segments = new FragmentedSegments(coder, stores.resolver(), degraded -> degradedReads.incrementAndGet());
        // The shard's reads of what it just sealed find the descriptor here, without asking the
        // coordinator from the shard's thread.
        this.sealer = new Sealer(segments, d -> descriptors.put(d.segmentId(), d));
        this.executor = executor;
        this.hot = new HotCache(hotCacheBytes);
        this.timeout = timeout;
    }

    void coordinator(ActorRef<TieringCoordinator.Command> coordinator) {
        this.coordinator = coordinator;
    }

    String coderName() {
        return coder.name();
    }

    Executor executor() {
        return executor;
    }

    Sealer sealer() {
        return sealer;
    }

    HotCache hot() {
        return hot;
    }

    FragmentStores stores() {
        return stores;
    }

    List<String> placement(int rotation) {
        return stores.placement(rotation);
    }

    // ---- reads

    @Override
    public byte[] cached(String store, String id, long version, byte[] pointer) {
        return hot.get(store, id, version);
    }

    @Override
    public byte[] read(String store, String id, long version, byte[] pointer) {
        byte[] json = hot.get(store, id, version);
        if (json != null) {
            return json;
        }
        ColdPointer at;
        try {
            at = ColdPointer.of(pointer);
        } catch (IllegalArgumentException e) {
            throw new ColdDataUnavailableException("document '" + id + "' of shard " + store + ": " + e.getMessage());
        }
        coldReads.incrementAndGet();
        String segment = at.segment().toString();
        try {
            json = readRecord(descriptor(segment, false), at, id, version);
        } catch (FragmentStoreException | SegmentDamagedException first) {
            // A repair may have placed a fragment elsewhere since the descriptor was cached.
            try {
                json = readRecord(descriptor(segment, true), at, id, version);
            } catch (SegmentDamagedException e) {
                failedReads.incrementAndGet();
                throw new ColdDataUnavailableException(
                        "document '" + id + "' is in cold segment " + segment + ", which has lost more fragments"
                                + " than can be rebuilt (" + e.getMessage() + "); nothing else is affected",
                        e);
            } catch (RuntimeException e) {
                failedReads.incrementAndGet();
                throw new ColdDataUnavailableException(
                        "document '" + id + "' is in cold segment " + segment + ", which cannot be read now: "
                                + e.getMessage(),
                        e);
            }
        }
        hot.put(store, id, version, json);
        return json;
    }

    private byte[] readRecord(SegmentDescriptor descriptor, ColdPointer at, String id, long version) {
        try {
            return segments.readRecord(descriptor, at.offset(), at.length(), id, version)
                    .json();
        } catch (CorruptSegmentException e) {
            // Intact fragments, yet the record does not verify: the pointer does not match the
            // segment. Never answered with other bytes.
            failedReads.incrementAndGet();
            throw new ColdDataUnavailableException(
                    "document '" + id + "' points into cold segment " + descriptor.segmentId()
                            + " at a record that does not verify: " + e.getMessage(),
                    e);
        }
    }

    /** The segment's descriptor, cached unless {@code fresh}. */
    SegmentDescriptor descriptor(String segment, boolean fresh) {
        if (!fresh) {
            SegmentDescriptor known = descriptors.get(segment);
            if (known != null) {
                return known;
            }
        }
        ActorRef<TieringCoordinator.Command> to = coordinator;
        if (to == null) {
            throw new ColdDataUnavailableException("the cold tier is starting; retry");
        }
        TieringCoordinator.Reply reply;
        try {
            reply = AskPattern.<TieringCoordinator.Command, TieringCoordinator.Reply>ask(
                            to, r -> new TieringCoordinator.GetSegment(segment, r), timeout, system.scheduler())
                    .toCompletableFuture()
                    .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ColdDataUnavailableException("interrupted while looking up cold segment " + segment, e);
        } catch (Exception e) {
            throw new ColdDataUnavailableException(
                    "the cold tier's manifest did not answer for segment " + segment + "; retry", e);
        }
        if (!(reply instanceof TieringCoordinator.SegmentFound found)) {
            throw new ColdDataUnavailableException("cold segment " + segment + " is unknown: " + reply);
        }
        descriptors.put(segment, found.descriptor());
        return found.descriptor();
    }

    /** Forgets a cached descriptor (the manifest changed it). */
    void forget(String segment) {
        descriptors.remove(segment);
    }

    // ---- the coordinator's jobs

    /** The pointers of every document of a segment, read from its fragments. */
    List<ColdTier.Entry> entries(SegmentDescriptor descriptor) {
        SegmentReader reader = segments.openSegment(descriptor);
        UUID id = UUID.fromString(descriptor.segmentId());
        List<ColdTier.Entry> out = new ArrayList<>(reader.documentCount());
        for (BuiltSegment.Entry e : reader.entries()) {
            out.add(new ColdTier.Entry(e.id(), e.version(), new ColdPointer(id, e.offset(), e.length()).bytes()));
        }
        return out;
    }

    /** What a scrub of one segment found: the descriptor after it, fragments repaired, damage (null: none). */
    record ScrubOutcome(SegmentDescriptor descriptor, int repaired, String damage) {}

    ScrubOutcome scrub(SegmentDescriptor descriptor) {
        ScrubReport report = segments.scrub(descriptor, index -> replacement(descriptor, index));
        if (!report.descriptor().equals(descriptor)) {
            forget(descriptor.segmentId());
        }
        String damage = null;
        if (report.damaged()) {
            damage = "fewer than 6 of 9 fragments intact: " + report.problems();
        } else if (!report.unrepaired().isEmpty()) {
            damage = "fragments not repaired: " + report.unrepaired();
        }
        return new ScrubOutcome(report.descriptor(), report.repaired().size(), damage);
    }

    /**
     * Where a fragment goes when its store cannot take it back: a store of a node that holds no
     * other fragment of the segment if there is one, else of the node holding the fewest.
     */
    private String replacement(SegmentDescriptor descriptor, int index) {
        List<FragmentStores.Host> hosts = stores.hosts();
        FragmentStores.Host best = null;
        long bestCount = Long.MAX_VALUE;
        for (FragmentStores.Host host : hosts) {
            String prefix = host.nodeId() + "/";
            long count = descriptor.placement().stream()
                    .filter(p -> p.startsWith(prefix))
                    .count();
            if (count < bestCount) {
                best = host;
                bestCount = count;
            }
        }
        if (best == null) {
            return descriptor.store(index);
        }
        return FragmentStores.name(best.nodeId(), index % best.stores());
    }

    /**
     * Deletes the fragments, older than {@code graceMillis}, of segments that are not in {@code
     * known}: left by a seal that a crash interrupted before its segment was recorded (or by a
     * repair that moved a fragment while its old store was away). Answers how many it deleted.
     */
    int deleteOrphans(java.util.Set<String> known, long graceMillis) {
        int deleted = 0;
        for (String line : stores.listOld(graceMillis)) {
            String[] parts = line.split(" ");
            if (parts.length != 3 || known.contains(parts[1])) {
                continue;
            }
            try {
                if (stores.store(parts[0])
                        .delete(new io.lumadb.tiering.fragment.FragmentId(parts[1], Integer.parseInt(parts[2])))) {
                    deleted++;
                }
            } catch (RuntimeException e) {
                // Deleted at the next scrub.
            }
        }
        return deleted;
    }

    void delete(SegmentDescriptor descriptor) {
        segments.delete(descriptor);
        forget(descriptor.segmentId());
    }
}
