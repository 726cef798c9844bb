package io.lumadb.timeseries;

/**
 * A field's entry in a block header: its type and the aggregates a query can take from the header
 * without decoding the column.
 *
 * @param name the field key
 * @param type its type in this block
 * @param count how many rows carry the field
 * @param min for FLOAT, INTEGER and UNSIGNED, the smallest value (for FLOAT ignoring NaN, NaN when
 *     every value is NaN); null for the other types
 * @param max the largest value, like {@code min}
 * @param sum for FLOAT the double sum; for INTEGER and UNSIGNED the exact sum, or null when it
 *     overflowed 64 bits; for BOOLEAN the number of {@code true} values; null for STRING
 */
public record FieldSummary(String name, FieldType type, long count, FieldValue min, FieldValue max, FieldValue sum) {}
