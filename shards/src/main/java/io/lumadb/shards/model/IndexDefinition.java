package io.lumadb.shards.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import io.lumadb.shards.CborSerializable;
import java.util.List;

/**
 * A secondary index of a collection as the catalog defines it: a name, the catalog-assigned id
 * (unique for the life of the catalog, so an index dropped and created again under the same
 * name never sees its predecessor's entries) and the indexed paths in key order.
 *
 * <p>A search index (vector or full-text) also has its {@link SearchSpec}; its {@code fields}
 * are its paths. The shard stores keep only the indexes without one; the {@code vector} module
 * keeps the others in Lucene.
 *
 * @param search what a search index indexes and how, or null for a secondary index
 */
public record IndexDefinition(String name, long id, List<Field> fields, SearchSpec search) implements CborSerializable {

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

    @JsonCreator
    public IndexDefinition {
        if (id < 1) {
            throw new IllegalArgumentException("id must be >= 1, was " + id);
        }
        fields = List.copyOf(fields);
        if (fields.isEmpty() || fields.size() > MAX_FIELDS) {
            throw new IllegalArgumentException("an index has 1 to " + MAX_FIELDS + " fields, was " + fields.size());
        }
    }

    /** A secondary index. */
    public IndexDefinition(String name, long id, List<Field> fields) {
        this(name, id, fields, null);
    }

    /** A search index: its fields are its paths. */
    public static IndexDefinition search(String name, long id, SearchSpec search) {
        return new IndexDefinition(
                name, id, search.paths().stream().map(p -> new Field(p, false)).toList(), search);
    }

    /**
     * Whether this is a search (vector or full-text) index. Not named like a bean property: Jackson
     * would take {@code isSearch} for the property {@code search} and mix the two up.
     */
    public boolean hasSearch() {
        return search != null;
    }

    /** Whether {@code other} indexes the same paths in the same directions. */
    public boolean sameKeyAs(List<Field> other) {
        return fields.equals(other);
    }

    /** Whether this index has the same key and the same search definition as the given ones. */
    public boolean sameAs(List<Field> otherFields, SearchSpec otherSearch) {
        return fields.equals(otherFields) && java.util.Objects.equals(search, otherSearch);
    }
}
