package io.lumadb.shards.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.query.KeyCodec;
import io.lumadb.shards.query.Path;
import io.lumadb.shards.query.Paths;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * The entries a document puts into a secondary index: the cartesian product of the index
 * values ({@link Paths#indexValues}) of its paths, each encoded with {@link KeyCodec} in the
 * path's direction. So a document with an array on an indexed path has one entry per element
 * (a multikey entry), and a missing path is indexed as null, which is how an index can answer
 * every filter it is used for.
 */
public final class IndexEntries {

    /** Most entries one document may put into one index; a write over it is refused. */
    public static final int MAX_ENTRIES_PER_DOCUMENT = 1_000;

    /** The entries of one document: distinct keys (without the id), in byte order. */
    public record Entries(List<byte[]> keys, boolean multikey) {
        public static final Entries NONE = new Entries(List.of(), false);
    }

    /** A document had more entries than {@link #MAX_ENTRIES_PER_DOCUMENT} for an index. */
    public static final class TooManyEntriesException extends RuntimeException {
        TooManyEntriesException(String message) {
            super(message);
        }
    }

    private final IndexDefinition definition;
    private final List<Path> paths;

    public IndexEntries(IndexDefinition definition) {
        this.definition = definition;
        this.paths = definition.fields().stream()
                .map(f -> Path.parse(f.path(), "/fields"))
                .toList();
    }

    public IndexDefinition definition() {
        return definition;
    }

    /** The entries of {@code document} (a parsed stored document), or {@link Entries#NONE} for null. */
    public Entries of(JsonNode document) {
        if (document == null) {
            return Entries.NONE;
        }
        List<byte[]> keys = List.of(new byte[0]);
        boolean multikey = false;
        for (int i = 0; i < paths.size(); i++) {
            Paths.IndexValues values = Paths.indexValues(document, paths.get(i));
            multikey |= values.multikey();
            long product = (long) keys.size() * values.values().size();
            if (product > MAX_ENTRIES_PER_DOCUMENT) {
                throw new TooManyEntriesException("the document would put " + product + " entries into index '"
                        + definition.name() + "' (at most " + MAX_ENTRIES_PER_DOCUMENT
                        + "): arrays on its paths are too long");
            }
            boolean descending = definition.fields().get(i).descending();
            List<byte[]> next = new ArrayList<>((int) product);
            for (JsonNode value : values.values()) {
                for (byte[] prefix : keys) {
                    ByteArrayOutputStream key = new ByteArrayOutputStream(prefix.length + 16);
                    key.writeBytes(prefix);
                    KeyCodec.encode(value, descending, key);
                    next.add(key.toByteArray());
                }
            }
            keys = next;
        }
        TreeSet<byte[]> distinct = new TreeSet<>(Arrays::compareUnsigned);
        distinct.addAll(keys);
        return new Entries(List.copyOf(distinct), multikey);
    }
}
