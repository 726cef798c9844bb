package io.lumadb.sql;

import java.util.List;

/**
 * The answer to a statement: its columns and rows (values as {@link Boolean}, {@link Long},
 * {@link Integer}, {@link Double}, {@link java.math.BigDecimal}, {@link String}, or null;
 * dates and times as ISO-8601 text), and how many documents the statement read from the shards.
 */
public record SqlResult(List<Column> columns, List<Object[]> rows, long documentsRead, Written written) {

    /** What a write statement did: its command ({@code INSERT}, {@code UPDATE}, {@code DELETE}) and rows written. */
    public record Written(String command, long count) {}

    public SqlResult {
        columns = List.copyOf(columns);
        rows = List.copyOf(rows);
    }

    /** The answer of a read. */
    public SqlResult(List<Column> columns, List<Object[]> rows, long documentsRead) {
        this(columns, rows, documentsRead, null);
    }

    /** Hands this answer to {@code sink}, columns first. */
    void feed(SqlEngine.RowSink sink) throws Exception {
        sink.columns(columns);
        for (Object[] row : rows) {
            sink.row(row);
        }
    }

    /**
     * A result column.
     *
     * @param type the SQL type name ({@code VARCHAR}, {@code BIGINT}, {@code DOUBLE}, ...)
     */
    public record Column(String name, String type, boolean nullable) {}
}
