package io.lumadb.sql.schema;

/**
 * A column of a collection's table.
 *
 * @param name the column name, which is also the top-level field it reads ({@code doc} excepted)
 * @param type its SQL type
 * @param kind what it reads
 * @param strict every document's value fits {@code type} (so a JQL condition on the field means
 *     exactly what the SQL condition means); true for {@code _id} and {@code _version}
 */
public record Column(String name, ColumnType type, Kind kind, boolean strict) {

    /** What a column reads. */
    public enum Kind {
        /** {@code _id}: the document's id. */
        ID,
        /** {@code _version}: the document's version. */
        VERSION,
        /** {@code doc}: the whole stored document as JSON text. */
        DOC,
        /** A top-level field of the document. */
        FIELD
    }

    /** Whether a JQL condition on this column's field can stand in for a SQL condition on it. */
    public boolean pushable() {
        return kind != Kind.DOC && name.indexOf('.') < 0 && !name.startsWith("$");
    }

    public boolean nullable() {
        return kind == Kind.FIELD;
    }
}
