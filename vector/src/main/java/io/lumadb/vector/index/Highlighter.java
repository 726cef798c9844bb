package io.lumadb.vector.index;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.uhighlight.DefaultPassageFormatter;
import org.apache.lucene.search.uhighlight.Passage;
import org.apache.lucene.search.uhighlight.PassageFormatter;
import org.apache.lucene.search.uhighlight.UnifiedHighlighter;

/**
 * Lucene's unified highlighter returning, per path and hit, the list of best passages (at most
 * {@link #MAX_PASSAGES}, in text order) of stored text. A passage is HTML: the text is escaped and
 * each match is wrapped in {@code <em>...</em>}, so it can be shown in a page as it is. A path with
 * no match gets no passages.
 */
final class Highlighter extends UnifiedHighlighter {

    static final int MAX_PASSAGES = 3;

    static final String PRE_TAG = "<em>";
    static final String POST_TAG = "</em>";

    Highlighter(Builder builder) {
        super(builder.withFormatter(new Passages()).withMaxNoHighlightPassages(0));
    }

    /** For each path, the passages of each doc of {@code docIds}, in their order (null where none). */
    @SuppressWarnings("unchecked")
    Map<String, List<List<String>>> passages(String[] paths, Query query, int[] docIds) throws IOException {
        int[] max = new int[paths.length];
        Arrays.fill(max, MAX_PASSAGES);
        Map<String, Object[]> raw = highlightFieldsAsObjects(paths, query, docIds, max);
        Map<String, List<List<String>>> out = new HashMap<>();
        for (Map.Entry<String, Object[]> e : raw.entrySet()) {
            List<List<String>> perDoc = new ArrayList<>(e.getValue().length);
            for (Object passages : e.getValue()) {
                perDoc.add((List<String>) passages); // what Passages.format returns
            }
            out.put(e.getKey(), perDoc);
        }
        return out;
    }

    /** Each passage formatted on its own by Lucene's default formatter, with our tags and escaping. */
    private static final class Passages extends PassageFormatter {
        private final DefaultPassageFormatter one = new DefaultPassageFormatter(PRE_TAG, POST_TAG, "", true);

        @Override
        public Object format(Passage[] passages, String content) {
            if (passages.length == 0) {
                return null;
            }
            List<String> out = new ArrayList<>(passages.length);
            for (Passage passage : passages) {
                if (passage.getNumMatches() > 0) {
                    out.add(one.format(new Passage[] {passage}, content).strip());
                }
            }
            return out.isEmpty() ? null : List.copyOf(out);
        }
    }
}
