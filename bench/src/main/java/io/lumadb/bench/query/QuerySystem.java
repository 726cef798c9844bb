package io.lumadb.bench.query;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * One system's side of the query benchmark, as {@link QueryBenchmark} drives each in turn: load
 * the items, build the indexes the queries need, check the plan and the answer of sample queries,
 * hand out one {@link Client} per client thread for each of its {@link Variant}s, and drop what it
 * created.
 */
interface QuerySystem extends AutoCloseable {

    /** The variants it answers, in report order. */
    List<Variant> variants();

    /** What it creates, for messages: "LumaDB database querybench". */
    String created();

    /**
     * Drops what a previous run left, creates the collection or table and loads every item; puts
     * what was loaded where, and in how long, into {@code settings}.
     */
    void load(ItemData data, Map<String, String> settings) throws Exception;

    /**
     * Builds the indexes and waits until they are ready; puts each build's seconds into {@code
     * buildSeconds}, and the indexes and the queries as sent into {@code settings}.
     */
    void index(ItemData data, Map<String, Double> buildSeconds, Map<String, String> settings) throws Exception;

    /** The plan it chose for {@code p} answered as {@code v}; a line goes to {@code failures} unless it is the one expected. */
    QueryReport.PlanCheck plan(QueryParams p, Variant v, List<String> failures) throws Exception;

    /** Its answer to {@code p} answered as {@code v}: the documents, each with its {@code _id}. */
    List<JsonNode> documents(QueryParams p, Variant v) throws Exception;

    /**
     * Its answer to join {@code p} answered as {@code v}: each row as {@code region|count|sum of
     * stock}, in order.
     */
    List<String> rows(QueryParams p, Variant v) throws Exception;

    /** A new client thread's connection, answering as {@code v}. */
    Client client(Variant v) throws Exception;

    /** Drops what it created. */
    void drop() throws Exception;

    @Override
    void close();

    /**
     * One client thread's connection, answering queries the way the benchmark measures them. Not
     * thread-safe: one per thread.
     */
    interface Client extends AutoCloseable {

        /**
         * Runs {@code p} and returns how many documents the answer holds.
         *
         * @throws Exception when the system failed to answer (a non-200 status, a malformed answer,
         *     an SQL or I/O error)
         */
        int run(QueryParams p) throws Exception;

        @Override
        void close();
    }
}
