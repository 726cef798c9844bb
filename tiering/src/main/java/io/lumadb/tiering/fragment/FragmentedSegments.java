package io.lumadb.tiering.fragment;

import io.lumadb.tiering.erasure.ErasureCoder;
import io.lumadb.tiering.segment.BuiltSegment;
import io.lumadb.tiering.segment.CorruptSegmentException;
import io.lumadb.tiering.segment.SegmentDocument;
import io.lumadb.tiering.segment.SegmentReader;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Segments stored as 9 erasure-coded fragments on fragment stores: writing them, reading documents
 * and byte ranges back, scrubbing (verify and repair) and deleting them.
 *
 * <p>A point read fetches only the byte range of the record, from the one or two data fragments
 * covering it, and decodes nothing. Only when one of those is missing, short or unreadable, or the
 * record does not verify, does it fall back to rebuilding: it fetches whole fragments, data first,
 * keeps those whose crc32c matches the descriptor, stops at 6, and rebuilds the missing data
 * fragments with the coder. Such a read is reported to the degraded-read listener so that the segment
 * gets scrubbed.
 *
 * <p>Stores are looked up by name through the function given to the constructor; a name it does not
 * know (null, or an exception) counts as a store that is gone. Every call is synchronous and does
 * blocking I/O: run it on a dispatcher meant for that. Thread-safe when the coder and stores are.
 */
public final class FragmentedSegments {

    private final FragmentCodec codec;
    private final Function<String, FragmentStore> stores;
    private final Consumer<DegradedRead> onDegradedRead;

    /** Without a degraded-read listener. */
    public FragmentedSegments(ErasureCoder coder, Function<String, FragmentStore> stores) {
        this(coder, stores, degraded -> {});
    }

    /**
     * @param coder the erasure coder
     * @param stores the fragment stores by name
     * @param onDegradedRead told of every read that had to rebuild (its exceptions are ignored: the
     *     read was answered)
     */
    public FragmentedSegments(
            ErasureCoder coder, Function<String, FragmentStore> stores, Consumer<DegradedRead> onDegradedRead) {
        if (stores == null || onDegradedRead == null) {
            throw new IllegalArgumentException("stores and onDegradedRead must not be null");
        }
        this.codec = new FragmentCodec(coder);
        this.stores = stores;
        this.onDegradedRead = onDegradedRead;
    }

    /**
     * Stores a built segment as 9 fragments, fragment {@code i} on store {@code placement.get(i)}, and
     * reads each back to verify it before returning. On any failure, deletes what it wrote and throws.
     *
     * @param segmentId the segment's id, which its header must carry; unique: fragments of an earlier
     *     segment with the same id are replaced
     * @param shard the shard, which its header must carry
     * @param placement 9 store names, data fragments first (distinct stores, for the segment to
     *     survive the loss of 3)
     * @return the descriptor for the manifest
     * @throws CorruptSegmentException when the bytes are not an intact segment {@code segmentId}
     * @throws FragmentStoreException when a store is unknown, or a put or its verification fails
     */
    public SegmentDescriptor write(String segmentId, String shard, BuiltSegment segment, List<String> placement) {
        if (placement == null || placement.size() != ErasureCoder.TOTAL || placement.contains(null)) {
            throw new IllegalArgumentException(
                    "placement must name " + ErasureCoder.TOTAL + " stores, got " + placement);
        }
        if (segment == null) {
            throw new IllegalArgumentException("segment must not be null");
        }
        new FragmentId(segmentId, 0); // validates the id before anything is written
        SegmentReader reader = SegmentReader.open(segmentId, segment.bytes());
        if (!reader.shard().equals(shard)) {
            throw new IllegalArgumentException("segment '" + segmentId + "' holds documents of shard '" + reader.shard()
                    + "', not of shard '" + shard + "'");
        }
        byte[] bytes = segment.bytes();
        SegmentLayout layout = SegmentLayout.of(bytes.length);
        byte[][] fragments = codec.encode(bytes);
        List<Integer> crcs = new ArrayList<>(ErasureCoder.TOTAL);
        for (byte[] fragment : fragments) {
            crcs.add(FragmentCodec.crc32c(fragment));
        }
        List<Integer> written = new ArrayList<>(ErasureCoder.TOTAL);
        try {
            for (int i = 0; i < ErasureCoder.TOTAL; i++) {
                FragmentId id = new FragmentId(segmentId, i);
                FragmentStore store = store(placement.get(i), id);
                written.add(i); // before the put: a put that failed half-way is cleaned up as well
                store.put(id, fragments[i]);
            }
            for (int i = 0; i < ErasureCoder.TOTAL; i++) {
                FragmentId id = new FragmentId(segmentId, i);
                String problem = check(store(placement.get(i), id).get(id), layout.fragmentSize(), crcs.get(i));
                if (problem != null) {
                    throw new FragmentStoreException(
                            placement.get(i), id, "read back right after writing: " + problem, null);
                }
            }
        } catch (RuntimeException e) {
            for (int i : written) {
                try {
                    FragmentId id = new FragmentId(segmentId, i);
                    store(placement.get(i), id).delete(id);
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
        return new SegmentDescriptor(
                segmentId, shard, bytes.length, layout.fragmentSize(), reader.documentCount(), crcs, placement);
    }

    /**
     * The segment's bytes {@code [offset, offset + length)}, from the data fragments covering them,
     * rebuilt when one of those cannot be read. The bytes are not verified: use {@link #readRecord}
     * for documents.
     *
     * @throws SegmentDamagedException when a fragment covering the range cannot be read and fewer
     *     than 6 fragments are intact
     */
    public byte[] readRange(SegmentDescriptor descriptor, long offset, int length) {
        descriptor.layout().checkRange(offset, length);
        byte[] fast = fetchRange(descriptor, offset, length);
        if (fast != null) {
            return fast;
        }
        return descriptor.layout().copyRange(recover(descriptor), offset, length);
    }

    /**
     * The document whose record lies at {@code [offset, offset + length)} (a {@link
     * BuiltSegment.Entry}), verified: its crc32c, id and version. Rebuilds from the other fragments
     * when the record cannot be read or does not verify.
     *
     * @throws SegmentDamagedException when the record cannot be read or verified and fewer than 6
     *     fragments are intact
     * @throws CorruptSegmentException when even the segment rebuilt from intact fragments holds no
     *     such record there: the pointer is wrong
     */
    public SegmentDocument readRecord(SegmentDescriptor descriptor, long offset, int length, String id, long version) {
        descriptor.layout().checkRange(offset, length);
        byte[] fast = fetchRange(descriptor, offset, length);
        if (fast != null) {
            try {
                return SegmentReader.readRecord(descriptor.segmentId(), fast, 0, length, id, version);
            } catch (CorruptSegmentException corrupt) {
                // a fragment's bytes went bad since they were written; whole fragments tell which
            }
        }
        byte[] rebuilt = descriptor.layout().copyRange(recover(descriptor), offset, length);
        try {
            return SegmentReader.readRecord(descriptor.segmentId(), rebuilt, 0, length, id, version);
        } catch (CorruptSegmentException e) {
            throw new CorruptSegmentException(
                    descriptor.segmentId(),
                    "the record at offset " + offset + " (length "
                            + length + ") does not verify even from intact fragments, so the pointer is wrong: "
                            + e.problem());
        }
    }

    /**
     * The whole segment: its 6 data fragments joined, each verified against its crc32c, or rebuilt
     * when some are not intact.
     *
     * @throws SegmentDamagedException when fewer than 6 fragments are intact
     */
    public byte[] readSegment(SegmentDescriptor descriptor) {
        return FragmentCodec.join(recover(descriptor), descriptor.segmentLength());
    }

    /** The whole segment, opened ({@link #readSegment}). */
    public SegmentReader openSegment(SegmentDescriptor descriptor) {
        return SegmentReader.open(descriptor.segmentId(), readSegment(descriptor));
    }

    /**
     * Reads all 9 fragments, verifies their crc32c, and when 6 or more are intact rebuilds the bad
     * ones and writes them back: to their own store, or, when that fails (the store is gone or cannot
     * be written), to the store {@code replacementPlacement} names for that fragment index (null: no
     * replacement). Every fragment written is read back and verified. With fewer than 6 intact
     * fragments nothing is written and the report says damaged.
     *
     * @param replacementPlacement the store to move fragment {@code i} to when its own store fails, or
     *     null
     * @return the findings and the descriptor to record from now on
     */
    public ScrubReport scrub(SegmentDescriptor descriptor, Function<Integer, String> replacementPlacement) {
        int size = descriptor.fragmentSize();
        byte[][] fragments = new byte[ErasureCoder.TOTAL][];
        SortedMap<Integer, String> problems = new TreeMap<>();
        for (int i = 0; i < ErasureCoder.TOTAL; i++) {
            String problem = fetch(descriptor, i, fragments);
            if (problem != null) {
                problems.put(i, problem);
            }
        }
        if (problems.isEmpty()) {
            return new ScrubReport(descriptor, false, problems, List.of(), new TreeMap<>());
        }
        if (ErasureCoder.TOTAL - problems.size() < ErasureCoder.DATA) {
            return new ScrubReport(descriptor, true, problems, List.of(), problems);
        }
        codec.rebuild(fragments, size);
        SortedMap<Integer, String> unrepaired = new TreeMap<>();
        for (int i : problems.keySet()) {
            int crc = FragmentCodec.crc32c(fragments[i]);
            if (crc != descriptor.fragmentCrc(i)) {
                unrepaired.put(
                        i,
                        "rebuilt with crc32c " + hex(crc) + ", the descriptor records "
                                + hex(descriptor.fragmentCrc(i)));
            }
        }
        if (!unrepaired.isEmpty()) {
            // the intact fragments disagree with the descriptor: writing a guess would hide it
            return new ScrubReport(descriptor, true, problems, List.of(), unrepaired);
        }
        SegmentDescriptor current = descriptor;
        List<Integer> repaired = new ArrayList<>();
        for (int i : problems.keySet()) {
            FragmentId id = descriptor.fragment(i);
            String original = descriptor.store(i);
            String failure = putVerified(original, id, fragments[i], descriptor.fragmentCrc(i));
            if (failure == null) {
                repaired.add(i);
                continue;
            }
            String replacement = replacement(replacementPlacement, i);
            if (replacement == null || replacement.equals(original)) {
                unrepaired.put(i, failure + "; no replacement store");
                continue;
            }
            String replacementFailure = putVerified(replacement, id, fragments[i], descriptor.fragmentCrc(i));
            if (replacementFailure != null) {
                unrepaired.put(i, failure + "; replacement: " + replacementFailure);
                continue;
            }
            current = current.withStore(i, replacement);
            repaired.add(i);
            deleteQuietly(original, id); // the bad copy, if its store still answers
        }
        return new ScrubReport(current, false, problems, repaired, unrepaired);
    }

    /**
     * Deletes the segment's fragments from their stores; fragments already gone are fine.
     *
     * @throws FragmentStoreException when a store is unknown or fails (the others are still deleted;
     *     call again later)
     */
    public void delete(SegmentDescriptor descriptor) {
        RuntimeException failure = null;
        for (int i = 0; i < ErasureCoder.TOTAL; i++) {
            FragmentId id = descriptor.fragment(i);
            try {
                store(descriptor.store(i), id).delete(id);
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** The range from the data fragments covering it, or null when one of them cannot be read. */
    private byte[] fetchRange(SegmentDescriptor descriptor, long offset, int length) {
        List<SegmentLayout.Piece> pieces = descriptor.layout().pieces(offset, length);
        if (pieces.size() == 1) {
            return fetchPiece(descriptor, pieces.getFirst());
        }
        byte[] out = new byte[length];
        for (SegmentLayout.Piece piece : pieces) {
            byte[] part = fetchPiece(descriptor, piece);
            if (part == null) {
                return null;
            }
            System.arraycopy(part, 0, out, piece.targetOffset(), piece.length());
        }
        return out;
    }

    private byte[] fetchPiece(SegmentDescriptor descriptor, SegmentLayout.Piece piece) {
        FragmentId id = descriptor.fragment(piece.fragment());
        try {
            byte[] bytes =
                    store(descriptor.store(piece.fragment()), id).read(id, piece.fragmentOffset(), piece.length());
            return bytes != null && bytes.length == piece.length() ? bytes : null;
        } catch (RuntimeException unreadable) {
            return null; // missing store, short fragment, I/O error: the rebuild path finds out which
        }
    }

    /**
     * The fragments of a segment with all 6 data fragments filled in: intact ones fetched (data
     * first, stopping at 6), the others rebuilt.
     */
    private byte[][] recover(SegmentDescriptor descriptor) {
        byte[][] fragments = new byte[ErasureCoder.TOTAL][];
        SortedMap<Integer, String> problems = new TreeMap<>();
        int good = 0;
        for (int i = 0; i < ErasureCoder.TOTAL && good < ErasureCoder.DATA; i++) {
            String problem = fetch(descriptor, i, fragments);
            if (problem == null) {
                good++;
            } else {
                problems.put(i, problem);
            }
        }
        if (good < ErasureCoder.DATA) {
            throw new SegmentDamagedException(descriptor.segmentId(), good, problems);
        }
        if (!problems.isEmpty()) {
            codec.rebuild(fragments, descriptor.fragmentSize());
            try {
                onDegradedRead.accept(new DegradedRead(descriptor, problems));
            } catch (RuntimeException ignored) {
                // the read was answered; a failing listener must not turn it into an error
            }
        }
        return fragments;
    }

    /** Fetches fragment {@code i} whole into {@code into[i]} if intact; otherwise what is wrong. */
    private String fetch(SegmentDescriptor descriptor, int i, byte[][] into) {
        String storeName = descriptor.store(i);
        FragmentId id = descriptor.fragment(i);
        try {
            byte[] bytes = store(storeName, id).get(id);
            String problem = check(bytes, descriptor.fragmentSize(), descriptor.fragmentCrc(i));
            if (problem != null) {
                return "store '" + storeName + "': " + problem;
            }
            into[i] = bytes;
            return null;
        } catch (RuntimeException e) {
            return failure(storeName, e);
        }
    }

    /** What is wrong with a fragment's bytes, or null when they are intact. */
    private static String check(byte[] bytes, int size, int crc) {
        if (bytes == null) {
            return "missing";
        }
        if (bytes.length != size) {
            return bytes.length + " bytes, expected " + size;
        }
        int actual = FragmentCodec.crc32c(bytes);
        return actual == crc ? null : "crc32c " + hex(actual) + ", expected " + hex(crc);
    }

    /** Writes a fragment and reads it back; null when it verified, otherwise what went wrong. */
    private String putVerified(String storeName, FragmentId id, byte[] bytes, int crc) {
        try {
            FragmentStore store = store(storeName, id);
            store.put(id, bytes);
            String problem = check(store.get(id), bytes.length, crc);
            return problem == null ? null : "store '" + storeName + "': read back " + problem;
        } catch (RuntimeException e) {
            return failure(storeName, e);
        }
    }

    private static String failure(String storeName, RuntimeException e) {
        return e instanceof FragmentStoreException ? e.getMessage() : "store '" + storeName + "': " + e;
    }

    private void deleteQuietly(String storeName, FragmentId id) {
        try {
            store(storeName, id).delete(id);
        } catch (RuntimeException ignored) {
            // the store is gone or broken; the descriptor no longer points there
        }
    }

    private static String replacement(Function<Integer, String> replacementPlacement, int index) {
        if (replacementPlacement == null) {
            return null;
        }
        try {
            return replacementPlacement.apply(index);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private FragmentStore store(String name, FragmentId id) {
        FragmentStore store;
        try {
            store = stores.apply(name);
        } catch (RuntimeException e) {
            throw new FragmentStoreException(name, id, "store is not available: " + e, e);
        }
        if (store == null) {
            throw new FragmentStoreException(name, id, "no such store", null);
        }
        return store;
    }

    private static String hex(int value) {
        return String.format("%08x", value);
    }
}
