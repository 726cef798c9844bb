package io.lumadb.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.model.SearchSpec;
import io.lumadb.shards.query.QueryException;
import java.util.List;
import org.junit.jupiter.api.Test;

class SearchIndexBodiesTest {

    private static JsonNode json(String text) throws Exception {
        return DocumentJson.mapper().readTree(text);
    }

    private static void refused(String body, String pointer, String words) throws Exception {
        QueryException e = assertThrows(QueryException.class, () -> SearchIndexBodies.parse(json(body)));
        assertEquals(pointer, e.pointer(), e.getMessage());
        assertTrue(e.getMessage().contains(words), e.getMessage());
    }

    @Test
    void aVectorIndexTakesItsDefaultsFromLucene() throws Exception {
        SearchSpec spec = SearchIndexBodies.parse(json("{\"type\":\"vector\",\"path\":\"a.emb\",\"dimension\":1536}"));
        assertEquals(SearchSpec.Kind.VECTOR, spec.kind());
        assertEquals(List.of("a.emb"), spec.paths());
        assertEquals(1536, spec.dimension());
        assertEquals(SearchSpec.Similarity.COSINE, spec.similarity());
        assertEquals(SearchSpec.Quantization.NONE, spec.quantization());
        assertEquals(16, spec.m());
        assertEquals(100, spec.efConstruction());
        SearchSpec tuned = SearchIndexBodies.parse(json("{\"type\":\"vector\",\"path\":\"v\",\"dimension\":3072,"
                + "\"similarity\":\"dot_product\",\"m\":32,\"efConstruction\":200,\"quantization\":\"int8\"}"));
        assertEquals(SearchSpec.Similarity.DOT_PRODUCT, tuned.similarity());
        assertEquals(SearchSpec.Quantization.INT8, tuned.quantization());
        assertEquals(32, tuned.m());
        assertEquals(200, tuned.efConstruction());
    }

    @Test
    void aTextIndexTakesOneOrMorePathsAndAKnownAnalyzer() throws Exception {
        SearchSpec one = SearchIndexBodies.parse(json("{\"type\":\"text\",\"path\":\"body\"}"));
        assertEquals(List.of("body"), one.paths());
        assertEquals("standard", one.analyzer());
        assertTrue(one.stored());
        SearchSpec two = SearchIndexBodies.parse(
                json("{\"type\":\"text\",\"paths\":[\"title\",\"body\"],\"analyzer\":\"german\",\"stored\":false}"));
        assertEquals(List.of("title", "body"), two.paths());
        assertEquals("german", two.analyzer());
        assertFalse(two.stored());
    }

    @Test
    void everyMistakeNamesItsField() throws Exception {
        assertTrue(SearchIndexBodies.isSearch(json("{\"type\":\"vector\"}")));
        assertFalse(SearchIndexBodies.isSearch(json("{\"fields\":[\"a\"]}")));
        refused("{\"type\":\"vectors\"}", "/type", "vector");
        refused("{\"type\":\"vector\",\"dimension\":3}", "/path", "path");
        refused("{\"type\":\"vector\",\"path\":\"v\"}", "/dimension", "dimension");
        refused("{\"type\":\"vector\",\"path\":\"v\",\"dimension\":4097}", "/dimension", "4096");
        refused("{\"type\":\"vector\",\"path\":\"v\",\"dimension\":2.5}", "/dimension", "integer");
        refused("{\"type\":\"vector\",\"path\":\"v\",\"dimension\":3,\"similarity\":\"l1\"}", "/similarity", "cosine");
        refused(
                "{\"type\":\"vector\",\"path\":\"v\",\"dimension\":3,\"quantization\":\"int2\"}",
                "/quantization",
                "int8");
        refused("{\"type\":\"vector\",\"path\":\"v\",\"dimension\":3,\"m\":1}", "/m", "2 to 512");
        refused(
                "{\"type\":\"vector\",\"path\":\"v\",\"dimension\":3,\"analyzer\":\"english\"}",
                "/analyzer",
                "unknown field");
        refused("{\"type\":\"vector\",\"path\":\"_id\",\"dimension\":3}", "/path", "_id");
        refused("{\"type\":\"text\"}", "", "either");
        refused("{\"type\":\"text\",\"path\":\"a\",\"paths\":[\"b\"]}", "", "either");
        refused("{\"type\":\"text\",\"paths\":[]}", "/paths", "1 to 16");
        refused("{\"type\":\"text\",\"paths\":[\"a\",\"a\"]}", "/paths/1", "twice");
        refused("{\"type\":\"text\",\"path\":\"a\",\"analyzer\":\"klingon\"}", "/analyzer", "english");
        refused("{\"type\":\"text\",\"path\":\"a\",\"stored\":\"yes\"}", "/stored", "true or false");
    }
}
