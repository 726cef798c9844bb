package io.lumadb.shards.model;

import io.lumadb.shards.CborSerializable;
import java.util.List;

/**
 * What a search index (an {@link IndexDefinition} with a {@code search} part) indexes and how:
 * a vector index over one path holding an array of floats, or a full-text index over one or
 * more string paths. The shards store and report these definitions like every index; the
 * {@code vector} module maintains them, per shard, in Lucene.
 *
 * @param kind vector or text
 * @param paths the indexed paths: exactly one for a vector index, one or more for a text index
 * @param dimension the number of floats of every vector (vector only, else 0)
 * @param similarity how vectors are compared (vector only, else null)
 * @param m the HNSW graph's maximum connections per node (vector only, else 0)
 * @param efConstruction the HNSW candidate list size while building (vector only, else 0)
 * @param quantization how vectors are quantized in the graph (vector only, else null)
 * @param analyzer the analyzer's name (text only, else null): {@code standard}, {@code keyword}
 *     or one of the language analyzers ({@code english}, {@code german}, ...)
 * @param stored whether the text is stored in the index for highlighting (text only)
 */
public record SearchSpec(
        Kind kind,
        List<String> paths,
        int dimension,
        Similarity similarity,
        int m,
        int efConstruction,
        Quantization quantization,
        String analyzer,
        boolean stored)
        implements CborSerializable {

    /** The largest vector dimension accepted (beyond Lucene's default limit of 1024). */
    public static final int MAX_DIMENSION = 4096;
    /** The most paths of one text index. */
    public static final int MAX_TEXT_PATHS = 16;

    /** Defaults of the HNSW parameters, Lucene's own. */
    public static final int DEFAULT_M = 16;

    public static final int DEFAULT_EF_CONSTRUCTION = 100;

    /** The kind of search index. */
    public enum Kind {
        VECTOR,
        TEXT
    }

    /** Vector similarity functions. */
    public enum Similarity {
        COSINE,
        DOT_PRODUCT,
        EUCLIDEAN
    }

    /** Vector quantization in the HNSW index: none (32-bit floats), 8-bit, 4-bit or 1-bit. */
    public enum Quantization {
        NONE,
        INT8,
        INT4,
        BINARY
    }

    public SearchSpec {
        if (kind == null) {
            throw new IllegalArgumentException("kind must be given");
        }
        paths = List.copyOf(paths);
        switch (kind) {
            case VECTOR -> {
                if (paths.size() != 1) {
                    throw new IllegalArgumentException("a vector index has exactly one path, was " + paths.size());
                }
                if (dimension < 1 || dimension > MAX_DIMENSION) {
                    throw new IllegalArgumentException(
                            "dimension must be 1 to " + MAX_DIMENSION + ", was " + dimension);
                }
                if (similarity == null || quantization == null) {
                    throw new IllegalArgumentException("a vector index needs a similarity and a quantization");
                }
                if (m < 2 || m > 512) {
                    throw new IllegalArgumentException("m must be 2 to 512, was " + m);
                }
                if (efConstruction < 1 || efConstruction > 3200) {
                    throw new IllegalArgumentException("efConstruction must be 1 to 3200, was " + efConstruction);
                }
            }
            case TEXT -> {
                if (paths.isEmpty() || paths.size() > MAX_TEXT_PATHS) {
                    throw new IllegalArgumentException(
                            "a text index has 1 to " + MAX_TEXT_PATHS + " paths, was " + paths.size());
                }
                if (analyzer == null || analyzer.isEmpty()) {
                    throw new IllegalArgumentException("a text index needs an analyzer");
                }
            }
        }
    }

    /** A vector index over {@code path}. */
    public static SearchSpec vector(
            String path, int dimension, Similarity similarity, int m, int efConstruction, Quantization quantization) {
        return new SearchSpec(
                Kind.VECTOR, List.of(path), dimension, similarity, m, efConstruction, quantization, null, false);
    }

    /** A full-text index over {@code paths}. */
    public static SearchSpec text(List<String> paths, String analyzer, boolean stored) {
        return new SearchSpec(Kind.TEXT, paths, 0, null, 0, 0, null, analyzer, stored);
    }
}
