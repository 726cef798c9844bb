package io.lumadb.shards.model;

import io.lumadb.shards.CborSerializable;
import java.util.List;

/**
 * A secondary index of a collection as the catalog defines it: a name, the catalog-assigned id
 * (unique for the life of the catalog, so an index dropped and created again under the same
 * name never sees its predecessor's entries) and the indexed paths in key order.
 */
public record IndexDefinition(String name, long id, List<Field> fields) implements CborSerializable {

    /** Most paths in one compound index. */
    public static final int MAX_FIELDS = 8;

    /** One indexed path and its direction. */
    public record Field(String path, boolean descending) implements CborSerializable {
        public Field {
            if (path == null || path.isEmpty()) {
                throw new IllegalArgumentException("path must not be empty");
            }
        }
    }

    public IndexDefinition {
        if (id < 1) {
            throw new IllegalArgumentException("id must be >= 1, was " + id);
        }
        fields = List.copyOf(fields);
        if (fields.isEmpty() || fields.size() > MAX_FIELDS) {
            throw new IllegalArgumentException("an index has 1 to " + MAX_FIELDS + " fields, was " + fields.size());
        }
    }

    /** Whether {@code other} indexes the same paths in the same directions. */
    public boolean sameKeyAs(List<Field> other) {
        return fields.equals(other);
    }
}
