package io.lumadb.sql.catalog;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.lumadb.sql.SqlException;
import io.lumadb.sql.pgwire.PgType;

/**
 * The functions of {@code pg_catalog} that clients' catalog queries call, as Calcite functions
 * (public static methods, registered by {@link PgCatalog}). Regular expressions run with RE2, in
 * time linear in their input.
 */
public final class PgFunctions {

    private PgFunctions() {}

    /** LumaDB has no owners of objects: every object belongs to {@code lumadb}. */
    public static String pg_get_userbyid(Integer oid) {
        return oid == null ? null : "lumadb";
    }

    /** Every table of the database is in the one schema on the search path. */
    public static Boolean pg_table_is_visible(Integer oid) {
        return oid == null ? null : true;
    }

    /** A type's name as SQL writes it ({@code integer}, {@code character varying(12)}). */
    public static String format_type(Integer oid, Integer typmod) {
        if (oid == null) {
            return null;
        }
        PgType type = PgType.ofOid(oid);
        if (type == null) {
            return "???";
        }
        int n = typmod == null ? -1 : typmod - 4;
        return switch (type) {
            case BOOL -> "boolean";
            case INT2 -> "smallint";
            case INT4 -> "integer";
            case INT8 -> "bigint";
            case FLOAT4 -> "real";
            case FLOAT8 -> "double precision";
            case VARCHAR -> n > 0 ? "character varying(" + n + ")" : "character varying";
            case BPCHAR -> n > 0 ? "character(" + n + ")" : "bpchar";
            case TIME -> "time without time zone";
            case TIMESTAMP -> "timestamp without time zone";
            case TIMESTAMPTZ -> "timestamp with time zone";
            default -> type.pgName();
        };
    }

    /** LumaDB keeps no expressions (defaults, partition bounds, policies): always null. */
    public static String pg_get_expr(String expression, Integer relation) {
        return null;
    }

    public static String pg_get_expr(String expression, Integer relation, Boolean pretty) {
        return null;
    }

    public static String pg_get_indexdef(Integer oid, Integer column, Boolean pretty) {
        return oid == null ? null : PgCatalog.indexDefinition(oid);
    }

    public static String pg_get_indexdef(Integer oid) {
        return oid == null ? null : PgCatalog.indexDefinition(oid);
    }

    public static String pg_get_constraintdef(Integer oid, Boolean pretty) {
        return oid == null ? null : PgCatalog.constraintDefinition(oid);
    }

    public static String pg_get_constraintdef(Integer oid) {
        return oid == null ? null : PgCatalog.constraintDefinition(oid);
    }

    public static String pg_encoding_to_char(Integer encoding) {
        return encoding == null ? null : encoding == 6 ? "UTF8" : "SQL_ASCII";
    }

    /** Arrays are kept as their text: the text is the joined array. */
    public static String array_to_string(String array, String separator) {
        return array;
    }

    public static String obj_description(Integer oid, String catalog) {
        return null;
    }

    public static String col_description(Integer oid, Integer column) {
        return null;
    }

    public static String shobj_description(Integer oid, String catalog) {
        return null;
    }

    /** The OID of a system catalog named in {@code 'pg_class'::regclass}. */
    public static Integer pg_regclass(String name) {
        if (name == null) {
            return null;
        }
        return switch (name.replace("pg_catalog.", "")) {
            case "pg_class" -> 1259;
            case "pg_type" -> 1247;
            case "pg_attribute" -> 1249;
            case "pg_namespace" -> 2615;
            case "pg_constraint" -> 2606;
            case "pg_index" -> 2610;
            case "pg_database" -> 1262;
            case "pg_am" -> 2601;
            default ->
                throw new SqlException(
                        SqlException.Kind.BAD_STATEMENT, "42P01", "relation \"" + name + "\" does not exist");
        };
    }

    /** PostgreSQL's {@code ~} ({@code caseInsensitive}: {@code ~*}). */
    public static Boolean pg_regex(String value, String pattern, Boolean caseInsensitive) {
        if (value == null || pattern == null) {
            return null;
        }
        try {
            int flags = Boolean.TRUE.equals(caseInsensitive) ? Pattern.CASE_INSENSITIVE : 0;
            return Pattern.compile(pattern, flags).matcher(value).find();
        } catch (PatternSyntaxException e) {
            throw new SqlException(
                    SqlException.Kind.BAD_STATEMENT, "2201B", "invalid regular expression: " + e.getDescription());
        }
    }
}
