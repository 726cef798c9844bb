package io.lumadb.vector.index;

import static io.lumadb.vector.index.Docs.created;
import static io.lumadb.vector.index.Docs.stored;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.SearchSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.queryparser.classic.MultiFieldQueryParser;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextSearchTest {

    @TempDir
    Path tmp;

    /** id, title, body */
    private static final String[][] CORPUS = {
        {"d1", "The quick brown fox", "A quick brown fox jumps over the lazy dog."},
        {"d2", "Lazy dogs", "Dogs sleep all day. The dog is lazy and the fox is not."},
        {"d3", "Running shoes", "She was running every morning before work."},
        {"d4", "Cats and foxes", "Cats are not foxes, but a fox may chase a cat."},
        {"d5", "Brown bread", "Bake the brown bread quickly; the quick way is the best."},
        {"d6", "Fox news", "The fox, the fox and the fox again: three foxes in one sentence."},
        {"d7", "Slow turtle", "A turtle is neither quick nor brown, and never jumps."},
        {"d8", "Dog training", "Train the dog to fetch; a trained dog is a happy dog."},
    };

    private static String json(String title, String body) {
        return "{\"title\":" + quote(title) + ",\"body\":" + quote(body) + "}";
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private ShardSearchIndex open(String name, String analyzer, boolean stored, List<String> paths) {
        return ShardSearchIndex.open(
                tmp.resolve(name), IndexDefinition.search("t", 3, SearchSpec.text(paths, analyzer, stored)));
    }

    private ShardSearchIndex corpusIndex(String analyzer, boolean stored) {
        ShardSearchIndex index = open(analyzer + stored, analyzer, stored, List.of("title", "body"));
        List<DocumentChange> changes = new ArrayList<>();
        for (String[] doc : CORPUS) {
            changes.add(created(doc[0], stored(doc[0], 1, json(doc[1], doc[2]))));
        }
        index.apply(1, changes);
        index.refresh();
        return index;
    }

    private static List<String> ids(List<ShardSearchIndex.Hit> hits) {
        return hits.stream().map(ShardSearchIndex.Hit::id).toList();
    }

    private static Set<String> idSet(List<ShardSearchIndex.Hit> hits) {
        return hits.stream().map(ShardSearchIndex.Hit::id).collect(Collectors.toSet());
    }

    @Test
    void bm25ScoresEqualThoseOfLuceneUsedDirectly() throws Exception {
        List<String> queries = List.of(
                "fox",
                "quick brown",
                "title:lazy",
                "\"brown fox\"",
                "dog AND NOT cat",
                "foxes jumping",
                "body:dog^2 fox");
        try (ShardSearchIndex index = corpusIndex("english", true);
                Analyzer analyzer = Analyzers.named("english");
                ByteBuffersDirectory dir = new ByteBuffersDirectory()) {
            try (IndexWriter writer =
                    new IndexWriter(dir, new IndexWriterConfig(analyzer).setSimilarity(new BM25Similarity()))) {
                for (String[] doc : CORPUS) {
                    Document d = new Document();
                    d.add(new StringField("id", doc[0], Field.Store.YES));
                    d.add(new TextField("title", doc[1], Field.Store.NO));
                    d.add(new TextField("body", doc[2], Field.Store.NO));
                    writer.addDocument(d);
                }
            }
            try (DirectoryReader reader = DirectoryReader.open(dir)) {
                IndexSearcher searcher = new IndexSearcher(reader);
                searcher.setSimilarity(new BM25Similarity());
                for (String q : queries) {
                    TopDocs top = searcher.search(
                            new MultiFieldQueryParser(new String[] {"title", "body"}, analyzer).parse(q), 10);
                    Map<String, Float> expected = new LinkedHashMap<>();
                    for (ScoreDoc sd : top.scoreDocs) {
                        expected.put(searcher.storedFields().document(sd.doc).get("id"), sd.score);
                    }
                    Map<String, Float> actual = new LinkedHashMap<>();
                    index.text(q, 10, false).forEach(h -> actual.put(h.id(), h.score()));
                    assertFalse(expected.isEmpty(), q);
                    assertEquals(expected, actual, q);
                }
            }
        }
    }

    @Test
    void aSingleTermScoresByTheBm25Formula() throws IOException {
        // title:fox in the corpus, computed from the analysed token counts: BM25 with k1 = 1.2,
        // b = 0.75, idf = ln(1 + (N - n + 0.5) / (n + 0.5)), tf part freq / (freq + k1 (1 - b + b dl / avgdl))
        try (ShardSearchIndex index = corpusIndex("english", false);
                Analyzer analyzer = Analyzers.named("english")) {
            Map<String, List<String>> titles = new HashMap<>();
            long total = 0;
            for (String[] doc : CORPUS) {
                List<String> tokens = tokens(analyzer, "title", doc[1]);
                titles.put(doc[0], tokens);
                total += tokens.size();
            }
            double avgdl = (double) total / CORPUS.length;
            long n = titles.values().stream().filter(t -> t.contains("fox")).count();
            double idf = Math.log(1 + (CORPUS.length - n + 0.5) / (n + 0.5));
            Map<String, Float> expected = new HashMap<>();
            titles.forEach((id, tokens) -> {
                long freq = tokens.stream().filter("fox"::equals).count();
                if (freq > 0) {
                    double tf = freq / (freq + 1.2 * (1 - 0.75 + 0.75 * tokens.size() / avgdl));
                    expected.put(id, (float) (idf * tf));
                }
            });
            assertEquals(Set.of("d1", "d4", "d6"), expected.keySet(), "foxes stems to fox");
            List<ShardSearchIndex.Hit> hits = index.text("title:fox", 10, false);
            assertEquals(expected.keySet(), idSet(hits));
            for (ShardSearchIndex.Hit hit : hits) {
                assertEquals(expected.get(hit.id()), hit.score(), 1e-5, hit.id());
            }
        }
    }

    private static List<String> tokens(Analyzer analyzer, String field, String text) throws IOException {
        List<String> out = new ArrayList<>();
        try (TokenStream ts = analyzer.tokenStream(field, text)) {
            var term = ts.addAttribute(org.apache.lucene.analysis.tokenattributes.CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                out.add(term.toString());
            }
            ts.end();
        }
        return out;
    }

    @Test
    void phrasesMatchWordsInOrderOnly() {
        try (ShardSearchIndex index = corpusIndex("standard", false)) {
            assertEquals(Set.of("d1"), idSet(index.text("\"quick brown fox\"", 10, false)));
            assertEquals(Set.of("d1", "d5", "d7"), idSet(index.text("quick AND brown", 10, false)));
            assertEquals(Set.of(), idSet(index.text("\"brown quick\"", 10, false)));
            assertEquals(Set.of("d7"), idSet(index.text("\"quick brown\"~2 AND turtle", 10, false)));
        }
    }

    @Test
    void booleansCombineTerms() {
        try (ShardSearchIndex index = corpusIndex("standard", false)) {
            assertEquals(Set.of("d1", "d2"), idSet(index.text("fox AND dog", 10, false)));
            assertEquals(Set.of("d4", "d8"), idSet(index.text("cat OR training", 10, false)));
            assertEquals(Set.of("d4", "d6"), idSet(index.text("fox NOT dog", 10, false)));
            assertEquals(Set.of("d4", "d6"), idSet(index.text("+fox -lazy", 10, false)));
            assertEquals(
                    Set.of("d1", "d2", "d4", "d6", "d8"), idSet(index.text("fox dog", 10, false)), "OR by default");
            assertEquals(Set.of("d1", "d2"), idSet(index.text("(fox OR cat) AND lazy", 10, false)));
            assertEquals(Set.of("d4"), idSet(index.text("(fox OR cat) AND NOT lazy AND NOT title:fox", 10, false)));
        }
    }

    @Test
    void fieldQualifiedTermsSearchOnePath() {
        try (ShardSearchIndex index = corpusIndex("standard", false)) {
            assertEquals(Set.of("d1", "d6"), idSet(index.text("title:fox", 10, false)));
            assertEquals(Set.of("d1", "d2", "d4", "d6"), idSet(index.text("body:fox", 10, false)));
            assertEquals(Set.of("d8"), idSet(index.text("title:dog", 10, false)));
        }
    }

    @Test
    void theEnglishAnalyzerStems() {
        try (ShardSearchIndex english = corpusIndex("english", false);
                ShardSearchIndex standard = corpusIndex("standard", false)) {
            assertEquals(Set.of("d3"), idSet(english.text("run", 10, false)));
            assertEquals(Set.of("d3"), idSet(english.text("runs", 10, false)));
            assertEquals(Set.of(), idSet(standard.text("run", 10, false)));
            assertTrue(idSet(english.text("fox", 10, false)).contains("d4"), "foxes");
        }
    }

    @Test
    void theKeywordAnalyzerMatchesWholeValuesOnly() {
        try (ShardSearchIndex index = open("k", "keyword", false, List.of("city"))) {
            index.apply(
                    1,
                    List.of(
                            created("a", stored("a", 1, "{\"city\":\"New York\"}")),
                            created("b", stored("b", 1, "{\"city\":\"new york\"}")),
                            created("c", stored("c", 1, "{\"city\":[\"York\",\"Paris\"]}"))));
            index.refresh();
            assertEquals(List.of("a"), ids(index.text("\"New York\"", 10, false)));
            assertEquals(List.of("b"), ids(index.text("\"new york\"", 10, false)));
            assertEquals(List.of(), ids(index.text("New", 10, false)));
            assertEquals(List.of("c"), ids(index.text("Paris", 10, false)));
        }
    }

    @Test
    void aPhraseNeverSpansTwoValuesOfAnArray() {
        try (ShardSearchIndex index = open("m", "standard", true, List.of("tags"))) {
            index.apply(
                    1,
                    List.of(
                            created("a", stored("a", 1, "{\"tags\":[\"red apple\",\"green pear\"]}")),
                            created("b", stored("b", 1, "{\"tags\":[\"apple green\"]}"))));
            index.refresh();
            assertEquals(List.of("b"), ids(index.text("\"apple green\"", 10, false)));
            assertEquals(Set.of("a", "b"), idSet(index.text("apple AND green", 10, false)));
            ShardSearchIndex.Hit a = index.text("pear", 10, true).get(0);
            assertEquals(Map.of("tags", List.of("green <em>pear</em>")), a.highlights());
        }
    }

    @Test
    void highlightsWrapMatchesInEmTagsAndEscapeTheText() {
        try (ShardSearchIndex index = corpusIndex("english", true)) {
            List<ShardSearchIndex.Hit> hits = index.text("fox", 3, true);
            ShardSearchIndex.Hit d6 =
                    hits.stream().filter(h -> h.id().equals("d6")).findFirst().orElseThrow();
            assertEquals(List.of("<em>Fox</em> news"), d6.highlights().get("title"));
            assertEquals(
                    List.of("The <em>fox</em>, the <em>fox</em> and the <em>fox</em> again: three <em>foxes</em> in one"
                            + " sentence."),
                    d6.highlights().get("body"));
            ShardSearchIndex.Hit title = index.text("title:lazy", 1, true).get(0);
            assertEquals(Set.of("title"), title.highlights().keySet(), "only the queried path");
            // without highlight requested: none
            assertTrue(index.text("fox", 3, false).get(0).highlights().isEmpty());

            index.apply(2, List.of(created("x", stored("x", 1, json("<b>bold</b> & \"quoted\"", "plain")))));
            index.refresh();
            assertEquals(
                    List.of("&lt;b&gt;<em>bold</em>&lt;&#x2F;b&gt; &amp; &quot;quoted&quot;"),
                    index.text("bold", 1, true).get(0).highlights().get("title"));
        }
        try (ShardSearchIndex notStored = corpusIndex("english", false)) {
            List<ShardSearchIndex.Hit> hits = notStored.text("fox", 3, true);
            assertEquals(3, hits.size());
            assertTrue(hits.stream().allMatch(h -> h.highlights().isEmpty()), "no stored text, no highlights");
        }
    }

    @Test
    void badSyntaxIsASearchQueryException() {
        try (ShardSearchIndex index = corpusIndex("standard", false)) {
            for (String bad : List.of("fox AND (", "\"unclosed", "title:", "AND", "fox^", "[a TO", "")) {
                SearchQueryException e =
                        assertThrows(SearchQueryException.class, () -> index.text(bad, 10, false), bad);
                assertFalse(e.getMessage().isBlank());
            }
            SearchQueryException e = assertThrows(SearchQueryException.class, () -> index.text("*ox", 10, false));
            assertTrue(e.getMessage().contains("not allowed as first character"), e.getMessage());
        }
    }

    @Test
    void aFieldThatIsNotAPathOfTheIndexIsASearchQueryException() {
        try (ShardSearchIndex index = corpusIndex("standard", false)) {
            for (String q :
                    List.of("author:bob", "fox AND author:bob", "author:\"a b\"", "author:bo*", "author:[a TO b]")) {
                SearchQueryException e = assertThrows(SearchQueryException.class, () -> index.text(q, 10, false), q);
                assertEquals(
                        "field 'author' is not a path of text index 't'; its paths are body, title", e.getMessage());
            }
            assertEquals(CORPUS.length, index.text("*:*", 100, false).size());
            assertEquals(Set.of("d1", "d5", "d7"), idSet(index.text("quic*", 10, false)));
        }
    }

    @Test
    void dottedPathsAreFieldsToo() {
        try (ShardSearchIndex index = open("p", "standard", false, List.of("meta.title", "comments.text"))) {
            index.apply(
                    1,
                    List.of(
                            created(
                                    "a",
                                    stored(
                                            "a",
                                            1,
                                            "{\"meta\":{\"title\":\"hello world\"},\"comments\":[{\"text\":\"first\"},{\"text\":\"second\"}]}"))));
            index.refresh();
            assertEquals(List.of("a"), ids(index.text("meta.title:hello", 10, false)));
            assertEquals(List.of("a"), ids(index.text("comments.text:second", 10, false)));
        }
    }

    @Test
    void everyAnalyzerNameMakesAnAnalyzerAndUnknownNamesAreListed() throws IOException {
        assertTrue(Analyzers.names()
                .containsAll(Set.of(
                        "standard", "keyword", "simple", "whitespace", "english", "german", "french", "spanish")));
        for (String name : Analyzers.names()) {
            try (Analyzer analyzer = Analyzers.named(name)) {
                assertFalse(tokens(analyzer, "f", "Searching 123 documents").isEmpty(), name);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Analyzers.named("klingon"));
        assertTrue(
                e.getMessage().startsWith("unknown analyzer 'klingon'; known analyzers: arabic, armenian"),
                e.getMessage());
    }
}
