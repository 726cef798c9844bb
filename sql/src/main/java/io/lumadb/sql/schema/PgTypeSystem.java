package io.lumadb.sql.schema;

import org.apache.calcite.rel.type.RelDataTypeSystemImpl;

/**
 * Calcite's type system with PostgreSQL's rule for strings of different lengths meeting in a
 * {@code CASE} or {@code UNION}: the result is {@code VARCHAR}, not a {@code CHAR} that pads the
 * shorter ones with spaces ({@code CASE ... THEN 'table' ELSE 'materialized view' END} answers
 * {@code table}, as PostgreSQL does, not {@code table} and twelve spaces).
 */
public final class PgTypeSystem extends RelDataTypeSystemImpl {

    /** What the planner connections use ({@code typeSystem=...PgTypeSystem#INSTANCE}). */
    public static final PgTypeSystem INSTANCE = new PgTypeSystem();

    private PgTypeSystem() {}

    @Override
    public boolean shouldConvertRaggedUnionTypesToVarying() {
        return true;
    }
}
