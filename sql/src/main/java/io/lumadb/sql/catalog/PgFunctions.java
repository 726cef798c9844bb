package io.lumadb.sql.catalog;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.lumadb.sql.SqlException;

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

    public static String format_type(Integer oid, Integer typmod) {
        if (oid == null) {
            return null;
        }
        PgCatalog.PgType type = PgCatalog.type(oid);
        if (type == null) {
            return "???";
        }
        return switch (type.name()) {
            case "bool" -> "boolean";
            case "int2" -> "smallint";
            case "int4" -> "integer";
            case "int8" -> "bigint";
            case "float4" -> "real";
            case "float8" -> "double precision";
            case "varchar" ->
                typmod != null && typmod > 4 ? "character varying(" + (typmod - 4) + ")" : "character varying";
            default -> type.name();
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
