package io.lumadb.vector.index;

import io.lumadb.shards.model.SearchSpec;
import java.io.IOException;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.KnnVectorsWriter;
import org.apache.lucene.codecs.lucene104.Lucene104Codec;
import org.apache.lucene.codecs.lucene104.Lucene104HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.index.SegmentReadState;
import org.apache.lucene.index.SegmentWriteState;
import org.apache.lucene.util.quantization.QuantizedByteVectorValues.ScalarEncoding;

/**
 * Lucene's default codec with the vector format of one {@link SearchSpec}: HNSW with the spec's
 * {@code m} and {@code efConstruction}, over 32-bit floats ({@link Lucene99HnswVectorsFormat}) or
 * over vectors quantized by Lucene's optimized scalar quantization ({@link
 * Lucene104HnswScalarQuantizedVectorsFormat}: INT8 is {@link ScalarEncoding#UNSIGNED_BYTE}, INT4
 * {@link ScalarEncoding#PACKED_NIBBLE}, BINARY {@link ScalarEncoding#SINGLE_BIT_QUERY_NIBBLE}, 1 bit
 * per dimension with 4-bit queries). The quantized formats keep the float vectors too, which
 * {@link ShardSearchIndex} uses to rescore candidates exactly.
 *
 * <p>Only writing needs this class: the codec's name and each format's name are those of the
 * default Lucene classes, which are what Lucene looks up (by name, through its service loader) to
 * read a segment, so an index written here is an ordinary Lucene index. The HNSW parameters and
 * the dimension limit matter only while writing and merging.
 */
final class SearchCodec extends Lucene104Codec {

    private final KnnVectorsFormat vectors;

    SearchCodec(SearchSpec spec) {
        this.vectors = spec.kind() == SearchSpec.Kind.VECTOR ? new HighDimensions(format(spec)) : null;
    }

    private static KnnVectorsFormat format(SearchSpec spec) {
        return switch (spec.quantization()) {
            case NONE -> new Lucene99HnswVectorsFormat(spec.m(), spec.efConstruction());
            case INT8 ->
                new Lucene104HnswScalarQuantizedVectorsFormat(
                        ScalarEncoding.UNSIGNED_BYTE, spec.m(), spec.efConstruction());
            case INT4 ->
                new Lucene104HnswScalarQuantizedVectorsFormat(
                        ScalarEncoding.PACKED_NIBBLE, spec.m(), spec.efConstruction());
            case BINARY ->
                new Lucene104HnswScalarQuantizedVectorsFormat(
                        ScalarEncoding.SINGLE_BIT_QUERY_NIBBLE, spec.m(), spec.efConstruction());
        };
    }

    @Override
    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
        return vectors != null ? vectors : super.getKnnVectorsFormatForField(field);
    }

    /**
     * A format as the given one, but accepting vectors of up to {@link SearchSpec#MAX_DIMENSION}
     * dimensions instead of Lucene's default limit of 1024 (common embeddings have 1536 or 3072).
     * It has the delegate's name, so segments it writes are read by the delegate's class.
     */
    private static final class HighDimensions extends KnnVectorsFormat {
        private final KnnVectorsFormat delegate;

        HighDimensions(KnnVectorsFormat delegate) {
            super(delegate.getName());
            this.delegate = delegate;
        }

        @Override
        public KnnVectorsWriter fieldsWriter(SegmentWriteState state) throws IOException {
            return delegate.fieldsWriter(state);
        }

        @Override
        public KnnVectorsReader fieldsReader(SegmentReadState state) throws IOException {
            return delegate.fieldsReader(state);
        }

        @Override
        public int getMaxDimensions(String fieldName) {
            return SearchSpec.MAX_DIMENSION;
        }

        @Override
        public String toString() {
            return "HighDimensions(" + delegate + ")";
        }
    }
}
