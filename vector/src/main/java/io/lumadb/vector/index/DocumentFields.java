package io.lumadb.vector.index;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.SearchSpec;
import io.lumadb.shards.query.Path;
import io.lumadb.shards.query.Paths;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.IndexOptions;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.util.BytesRef;

/**
 * What one search index takes from a stored document: the vector at its path, or the strings at
 * its paths; why a document cannot be indexed; and the Lucene document that holds it.
 *
 * <p>Paths are read as JQL reads them ({@link Paths#value}): a numeric segment indexes an array,
 * any other segment through an array of objects collects the elements' values. A missing or null
 * value is not a problem: the document simply has no entry in the index.
 */
final class DocumentFields {

    /**
     * The id field: indexed (for updates, deletes and filters) and as doc values (to read a hit's
     * id). {@code $} cannot start a path segment, so no indexed path can be named like it.
     */
    static final String ID = "$id";

    /** Words between two values of a multi-valued text path, so that no phrase spans both. */
    static final int POSITION_GAP = 100;

    private final IndexDefinition definition;
    private final SearchSpec spec;
    private final List<Path> paths;
    private final FieldType vectorType;
    private final FieldType textType;

    DocumentFields(IndexDefinition definition) {
        this.definition = definition;
        this.spec = definition.search();
        this.paths = spec.paths().stream().map(p -> Path.parse(p, "/paths")).toList();
        if (spec.kind() == SearchSpec.Kind.VECTOR) {
            vectorType = KnnFloatVectorField.createFieldType(spec.dimension(), similarity(spec.similarity()));
            textType = null;
        } else {
            vectorType = null;
            FieldType text = new FieldType(spec.stored() ? TextField.TYPE_STORED : TextField.TYPE_NOT_STORED);
            if (spec.stored()) {
                // Offsets in the postings let the highlighter find matches without re-analysing.
                text.setIndexOptions(IndexOptions.DOCS_AND_FREQS_AND_POSITIONS_AND_OFFSETS);
            }
            text.freeze();
            textType = text;
        }
    }

    /**
     * Lucene's similarity for ours. DOT_PRODUCT is Lucene's MAXIMUM_INNER_PRODUCT: Lucene's
     * DOT_PRODUCT requires unit vectors (and scores others wrongly), MAXIMUM_INNER_PRODUCT ranks by
     * the plain dot product of any vectors.
     */
    static VectorSimilarityFunction similarity(SearchSpec.Similarity similarity) {
        return switch (similarity) {
            case COSINE -> VectorSimilarityFunction.COSINE;
            case DOT_PRODUCT -> VectorSimilarityFunction.MAXIMUM_INNER_PRODUCT;
            case EUCLIDEAN -> VectorSimilarityFunction.EUCLIDEAN;
        };
    }

    /** The Lucene field of the vector path, or of a text path: the path as written. */
    String vectorField() {
        return spec.paths().get(0);
    }

    /** Why this stored document cannot be indexed, or null if it can (also when it has no value). */
    String problem(byte[] json) {
        JsonNode doc;
        try {
            doc = DocumentJson.mapper().readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return "the document is not valid JSON: " + e.getOriginalMessage();
        } catch (IOException e) {
            return "the document is not valid JSON: " + e.getMessage();
        }
        if (doc == null || !doc.isObject()) {
            return "the document is not a JSON object";
        }
        return spec.kind() == SearchSpec.Kind.VECTOR ? vectorProblem(Paths.value(doc, paths.get(0))) : textProblem(doc);
    }

    /**
     * The Lucene document for a stored document, or null when it has nothing to index here: no
     * value at the paths, a value that {@link #problem} rejects, or JSON that cannot be read.
     */
    Document document(String id, byte[] json) {
        JsonNode doc;
        try {
            doc = DocumentJson.mapper().readTree(json);
        } catch (IOException e) {
            return null;
        }
        if (doc == null || !doc.isObject()) {
            return null;
        }
        Document out = new Document();
        if (spec.kind() == SearchSpec.Kind.VECTOR) {
            JsonNode value = Paths.value(doc, paths.get(0));
            if (value.isNull() || vectorProblem(value) != null) {
                return null;
            }
            float[] vector = new float[spec.dimension()];
            for (int i = 0; i < vector.length; i++) {
                vector[i] = value.get(i).floatValue();
            }
            out.add(new KnnFloatVectorField(vectorField(), vector, vectorType));
        } else {
            boolean any = false;
            List<String> strings = new ArrayList<>();
            for (Path path : paths) {
                JsonNode value = Paths.value(doc, path);
                if (notAString(value) != null) {
                    return null;
                }
                strings.clear();
                collectStrings(value, strings);
                for (String s : strings) {
                    out.add(new Field(path.text(), s, textType));
                    any = true;
                }
            }
            if (!any) {
                return null;
            }
        }
        out.add(new StringField(ID, id, Field.Store.NO));
        out.add(new SortedDocValuesField(ID, new BytesRef(id)));
        return out;
    }

    private String vectorProblem(JsonNode value) {
        String path = spec.paths().get(0);
        if (value.isNull()) {
            return null;
        }
        if (!value.isArray()) {
            return "path '" + path + "' is not an array of numbers; index '" + definition.name() + "' needs "
                    + spec.dimension() + " numbers there";
        }
        if (value.size() != spec.dimension()) {
            return "path '" + path + "' has " + value.size() + " numbers; index '" + definition.name() + "' needs "
                    + spec.dimension();
        }
        boolean allZero = true;
        for (int i = 0; i < value.size(); i++) {
            JsonNode element = value.get(i);
            if (!element.isNumber()) {
                return "path '" + path + "' is not an array of numbers: element " + i + " is " + describe(element);
            }
            float f = element.floatValue();
            if (!Float.isFinite(f)) {
                return "path '" + path + "' element " + i + " (" + element.asText()
                        + ") is not a finite 32-bit float (NaN or beyond ±3.4e38)";
            }
            allZero &= f == 0f;
        }
        if (allZero && spec.similarity() == SearchSpec.Similarity.COSINE) {
            return "path '" + path + "' is a zero vector, which has no direction; index '" + definition.name()
                    + "' compares vectors by cosine";
        }
        return null;
    }

    private String textProblem(JsonNode doc) {
        for (Path path : paths) {
            JsonNode value = Paths.value(doc, path);
            JsonNode bad = notAString(value);
            if (bad != null) {
                String what = bad == value ? describe(value) : "an array holding " + describe(bad);
                return "path '" + path.text() + "' is " + what + "; index '" + definition.name()
                        + "' needs a string or an array of strings there";
            }
        }
        return null;
    }

    /**
     * The first value that makes {@code value} unfit for a text path, or null if it is null, a
     * string, or an array (nested arrays too) of strings and nulls.
     */
    private static JsonNode notAString(JsonNode value) {
        if (value.isNull() || value.isTextual()) {
            return null;
        }
        if (!value.isArray()) {
            return value;
        }
        for (JsonNode element : value) {
            JsonNode bad = notAString(element);
            if (bad != null) {
                return bad;
            }
        }
        return null;
    }

    private static void collectStrings(JsonNode value, List<String> out) {
        if (value.isTextual()) {
            out.add(value.textValue());
        } else if (value.isArray()) {
            for (JsonNode element : value) {
                collectStrings(element, out);
            }
        }
    }

    private static String describe(JsonNode value) {
        return switch (value.getNodeType()) {
            case ARRAY -> "an array";
            case BOOLEAN -> "a boolean";
            case NUMBER -> "a number";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NULL, MISSING -> "null";
            case BINARY, POJO -> "not a JSON value";
        };
    }
}
