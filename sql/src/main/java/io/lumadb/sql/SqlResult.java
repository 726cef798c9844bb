package io.lumadb.sql;

import java.util.List;

/**
 * The answer to a statement: its columns and rows (values as {@link Boolean}, {@link Long},
 * {@link Integer}, {@link Double}, {@link java.math.BigDecimal}, {@link String}, or null;
 * dates and times as ISO-8601 text), and how many documents the statement read from the shards.
 */
public record SqlResult(List<Column> columns, List<Object[]> rows, long documentsRead) {

    public SqlResult {
        columns = List.copyOf(columns);
        rows = List.copyOf(rows);
    }

    /**
     * A result column.
     *
     * @param type the SQL type name ({@code VARCHAR}, {@code BIGINT}, {@code DOUBLE}, ...)
     */
    public record Column(String name, String type, boolean nullable) {}
}
