package io.lumadb.vector.index;

import java.util.List;
import java.util.Set;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.queryparser.classic.MultiFieldQueryParser;
import org.apache.lucene.queryparser.classic.ParseException;
import org.apache.lucene.queryparser.classic.QueryParser;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;

/**
 * Lucene's classic query syntax over a text index's paths: terms, {@code "phrases"} (with {@code
 * ~slop}), {@code AND}/{@code OR}/{@code NOT}, {@code +}/{@code -}, groups in parentheses, {@code
 * path:term} for one of the index's paths, boosts, and trailing wildcards, fuzzy terms and ranges.
 * An unqualified term is searched in every path (its BM25 scores in the paths add up, as {@link
 * MultiFieldQueryParser} builds it); terms are ORed unless an operator says otherwise. A leading wildcard is refused (it scans every term). A field that is not one of the
 * index's paths is an error, not a silent empty result.
 *
 * <p>Not thread-safe (the Lucene parser keeps state): make one per query.
 */
final class TextQueryParser extends MultiFieldQueryParser {

    private final Set<String> paths;
    private final String indexName;

    TextQueryParser(String indexName, List<String> paths, Analyzer analyzer) {
        super(paths.toArray(String[]::new), analyzer);
        this.paths = Set.copyOf(paths);
        this.indexName = indexName;
        setAllowLeadingWildcard(false);
        setDefaultOperator(QueryParser.OR_OPERATOR);
    }

    /** Parses {@code text}; any problem is a {@link SearchQueryException} saying what is wrong. */
    Query parseQuery(String text) {
        if (text == null || text.isBlank()) {
            throw new SearchQueryException("the text query is empty");
        }
        try {
            return parse(text);
        } catch (ParseException e) {
            throw new SearchQueryException("bad text query: " + e.getMessage(), e);
        } catch (IndexSearcher.TooManyClauses e) {
            throw new SearchQueryException(
                    "the text query has too many clauses (at most " + IndexSearcher.getMaxClauseCount() + ")", e);
        }
    }

    private void check(String field) {
        if (field != null && !paths.contains(field)) {
            throw new SearchQueryException(
                    "field '" + field + "' is not a path of text index '" + indexName + "'; its paths are "
                            + String.join(", ", paths.stream().sorted().toList()));
        }
    }

    @Override
    protected Query getFieldQuery(String field, String queryText, int slop) throws ParseException {
        check(field);
        return super.getFieldQuery(field, queryText, slop);
    }

    @Override
    protected Query getFieldQuery(String field, String queryText, boolean quoted) throws ParseException {
        check(field);
        return super.getFieldQuery(field, queryText, quoted);
    }

    @Override
    protected Query getFuzzyQuery(String field, String termStr, float minSimilarity) throws ParseException {
        check(field);
        return super.getFuzzyQuery(field, termStr, minSimilarity);
    }

    @Override
    protected Query getPrefixQuery(String field, String termStr) throws ParseException {
        check(field);
        return super.getPrefixQuery(field, termStr);
    }

    @Override
    protected Query getWildcardQuery(String field, String termStr) throws ParseException {
        if ("*".equals(field) && "*".equals(termStr)) {
            return super.getWildcardQuery(field, termStr); // *:* matches every document
        }
        check(field);
        return super.getWildcardQuery(field, termStr);
    }

    @Override
    protected Query getRangeQuery(
            String field, String part1, String part2, boolean startInclusive, boolean endInclusive)
            throws ParseException {
        check(field);
        return super.getRangeQuery(field, part1, part2, startInclusive, endInclusive);
    }

    @Override
    protected Query getRegexpQuery(String field, String termStr) throws ParseException {
        check(field);
        return super.getRegexpQuery(field, termStr);
    }
}
