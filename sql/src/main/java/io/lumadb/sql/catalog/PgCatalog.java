package io.lumadb.sql.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.collect.ImmutableMultimap;
import com.google.common.collect.Multimap;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.catalog.DatabaseInfo;
import io.lumadb.shards.model.CollectionSchema;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.sql.pgwire.PgType;
import io.lumadb.sql.schema.Column;
import io.lumadb.sql.schema.ColumnInference;
import io.lumadb.sql.schema.SqlBackend;
import io.lumadb.sql.schema.SqlSession;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.calcite.DataContext;
import org.apache.calcite.linq4j.Enumerable;
import org.apache.calcite.linq4j.Linq4j;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.schema.ScannableTable;
import org.apache.calcite.schema.Table;
import org.apache.calcite.schema.impl.AbstractSchema;
import org.apache.calcite.schema.impl.AbstractTable;
import org.apache.calcite.schema.impl.ScalarFunctionImpl;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * The system catalogs PostgreSQL clients read to list and describe tables ({@code psql}'s
 * {@code \l}, {@code \dt}, {@code \d}; the JDBC driver's {@code DatabaseMetaData}), computed from
 * LumaDB's catalog whenever they are read: {@code pg_catalog}'s {@code pg_namespace},
 * {@code pg_class}, {@code pg_attribute}, {@code pg_type}, {@code pg_index}, {@code pg_constraint},
 * {@code pg_am}, {@code pg_database} and (empty, as LumaDB has no such objects) {@code
 * pg_attrdef}, {@code pg_description}, {@code pg_collation}; {@code information_schema}'s {@code
 * tables} and {@code columns}; and the functions those queries call.
 *
 * <p>A database is the schema {@code public}. Every table has the columns a statement sees
 * ({@code _id}, {@code _version}, {@code doc}, then its declared or sampled fields) and a
 * primary key: its {@code PRIMARY KEY} column if declared, else {@code _id}. Secondary indexes
 * are btree indexes. A table the caller may not read is not listed, as its columns are not
 * shown to it elsewhere. OIDs are stable while the object lives: a table's is 16384 plus its
 * collection's incarnation, an index's 16384 plus its id (both unique catalog versions).
 */
public final class PgCatalog {

    static final int PG_CATALOG = 11;
    static final int PUBLIC = 2200;
    static final int INFORMATION_SCHEMA = 13_000;
    static final int OWNER = 10;
    static final int HEAP = 2;
    static final int BTREE = 403;
    static final int USER_OIDS = 16_384;
    private static final int PRIMARY_KEY_INDEXES = 1_000_000_000;
    private static final int PRIMARY_KEYS = 1_500_000_000;

    /** Index and constraint definitions by OID, as the last read of the catalogs found them. */
    private static final Map<Integer, String> INDEX_DEFINITIONS = new ConcurrentHashMap<>();

    private static final Map<Integer, String> CONSTRAINT_DEFINITIONS = new ConcurrentHashMap<>();

    /** The collation of a type's values: 100 (default) for text, 0 (none) for the others. */
    static int collation(PgType t) {
        return t == PgType.TEXT || t == PgType.VARCHAR || t == PgType.BPCHAR ? 100 : 0;
    }

    /** A column as the catalogs describe it: type OID and modifier ({@code varchar(n)}: n + 4). */
    record PgColumn(String name, PgType type, int typmod, boolean notNull) {}

    /** A table with its OID and, read only when asked for, its columns. */
    record PgTable(CollectionInfo info, int oid) {
        String primaryKey() {
            CollectionSchema schema = info.declaredSchema();
            return schema == null || schema.primaryKey() == null ? "_id" : schema.primaryKey();
        }
    }

    private PgCatalog() {}

    // ---- schemas

    /** {@code pg_catalog} of {@code database}. */
    public static AbstractSchema pgCatalog(String database, SqlBackend backend, ColumnInference inference) {
        View view = new View(database, backend, inference);
        Map<String, Table> tables = new LinkedHashMap<>();
        tables.put("pg_namespace", table(NAMESPACE_COLUMNS, v -> v.namespaces(), view));
        tables.put("pg_class", table(CLASS_COLUMNS, View::classes, view));
        tables.put("pg_attribute", table(ATTRIBUTE_COLUMNS, View::attributes, view));
        tables.put("pg_type", table(TYPE_COLUMNS, v -> v.types(), view));
        tables.put("pg_index", table(INDEX_COLUMNS, View::indexes, view));
        tables.put("pg_constraint", table(CONSTRAINT_COLUMNS, View::constraints, view));
        tables.put("pg_am", table(AM_COLUMNS, v -> v.ams(), view));
        tables.put("pg_database", table(DATABASE_COLUMNS, View::databases, view));
        tables.put("pg_attrdef", table(ATTRDEF_COLUMNS, v -> List.of(), view));
        tables.put("pg_description", table(DESCRIPTION_COLUMNS, v -> List.of(), view));
        tables.put("pg_collation", table(COLLATION_COLUMNS, v -> v.collations(), view));
        ImmutableMultimap.Builder<String, org.apache.calcite.schema.Function> functions = ImmutableMultimap.builder();
        for (java.lang.reflect.Method m : PgFunctions.class.getMethods()) {
            if (m.getDeclaringClass() == PgFunctions.class && java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
                functions.put(m.getName(), ScalarFunctionImpl.create(m));
            }
        }
        Multimap<String, org.apache.calcite.schema.Function> built = functions.build();
        return new AbstractSchema() {
            @Override
            protected Map<String, Table> getTableMap() {
                return tables;
            }

            @Override
            protected Multimap<String, org.apache.calcite.schema.Function> getFunctionMultimap() {
                return built;
            }
        };
    }

    /** {@code information_schema} of {@code database}: {@code tables} and {@code columns}. */
    public static AbstractSchema informationSchema(String database, SqlBackend backend, ColumnInference inference) {
        View view = new View(database, backend, inference);
        Map<String, Table> tables = Map.of(
                "tables", table(INFO_TABLES_COLUMNS, View::infoTables, view),
                "columns", table(INFO_COLUMNS_COLUMNS, View::infoColumns, view));
        return new AbstractSchema() {
            @Override
            protected Map<String, Table> getTableMap() {
                return tables;
            }
        };
    }

    // ---- the tables' columns

    private record Col(String name, SqlTypeName type) {}

    private static List<Col> cols(Object... nameType) {
        List<Col> out = new ArrayList<>();
        for (int i = 0; i < nameType.length; i += 2) {
            out.add(new Col((String) nameType[i], (SqlTypeName) nameType[i + 1]));
        }
        return out;
    }

    private static final SqlTypeName INT = SqlTypeName.INTEGER;
    private static final SqlTypeName TEXT = SqlTypeName.VARCHAR;
    private static final SqlTypeName BOOL = SqlTypeName.BOOLEAN;
    private static final SqlTypeName SMALL = SqlTypeName.SMALLINT;

    private static final List<Col> NAMESPACE_COLUMNS =
            cols("oid", INT, "nspname", TEXT, "nspowner", INT, "nspacl", TEXT);
    private static final List<Col> CLASS_COLUMNS = cols(
            "oid",
            INT,
            "relname",
            TEXT,
            "relnamespace",
            INT,
            "reltype",
            INT,
            "relowner",
            INT,
            "relam",
            INT,
            "relfilenode",
            INT,
            "reltablespace",
            INT,
            "reltuples",
            SqlTypeName.REAL,
            "reltoastrelid",
            INT,
            "relhasindex",
            BOOL,
            "relisshared",
            BOOL,
            "relpersistence",
            TEXT,
            "relkind",
            TEXT,
            "relnatts",
            SMALL,
            "relchecks",
            SMALL,
            "relhasrules",
            BOOL,
            "relhastriggers",
            BOOL,
            "relhassubclass",
            BOOL,
            "relrowsecurity",
            BOOL,
            "relforcerowsecurity",
            BOOL,
            "relispopulated",
            BOOL,
            "relreplident",
            TEXT,
            "relispartition",
            BOOL,
            "reloftype",
            INT,
            "reloptions",
            TEXT,
            "relpartbound",
            TEXT,
            "relacl",
            TEXT);
    private static final List<Col> ATTRIBUTE_COLUMNS = cols(
            "attrelid",
            INT,
            "attname",
            TEXT,
            "atttypid",
            INT,
            "attlen",
            SMALL,
            "attnum",
            SMALL,
            "atttypmod",
            INT,
            "attndims",
            SMALL,
            "attnotnull",
            BOOL,
            "atthasdef",
            BOOL,
            "atthasmissing",
            BOOL,
            "attidentity",
            TEXT,
            "attgenerated",
            TEXT,
            "attisdropped",
            BOOL,
            "attislocal",
            BOOL,
            "attcollation",
            INT,
            "attacl",
            TEXT,
            "attoptions",
            TEXT);
    private static final List<Col> TYPE_COLUMNS = cols(
            "oid",
            INT,
            "typname",
            TEXT,
            "typnamespace",
            INT,
            "typowner",
            INT,
            "typlen",
            SMALL,
            "typbyval",
            BOOL,
            "typtype",
            TEXT,
            "typcategory",
            TEXT,
            "typisdefined",
            BOOL,
            "typdelim",
            TEXT,
            "typrelid",
            INT,
            "typelem",
            INT,
            "typarray",
            INT,
            "typnotnull",
            BOOL,
            "typbasetype",
            INT,
            "typtypmod",
            INT,
            "typndims",
            INT,
            "typcollation",
            INT);
    private static final List<Col> INDEX_COLUMNS = cols(
            "indexrelid",
            INT,
            "indrelid",
            INT,
            "indnatts",
            SMALL,
            "indnkeyatts",
            SMALL,
            "indisunique",
            BOOL,
            "indisprimary",
            BOOL,
            "indisexclusion",
            BOOL,
            "indimmediate",
            BOOL,
            "indisclustered",
            BOOL,
            "indisvalid",
            BOOL,
            "indcheckxmin",
            BOOL,
            "indisready",
            BOOL,
            "indislive",
            BOOL,
            "indisreplident",
            BOOL,
            "indkey",
            TEXT,
            "indexprs",
            TEXT,
            "indpred",
            TEXT);
    private static final List<Col> CONSTRAINT_COLUMNS = cols(
            "oid",
            INT,
            "conname",
            TEXT,
            "connamespace",
            INT,
            "contype",
            TEXT,
            "condeferrable",
            BOOL,
            "condeferred",
            BOOL,
            "convalidated",
            BOOL,
            "conrelid",
            INT,
            "contypid",
            INT,
            "conindid",
            INT,
            "confrelid",
            INT,
            "conkey",
            TEXT,
            "confkey",
            TEXT,
            "conislocal",
            BOOL);
    private static final List<Col> AM_COLUMNS = cols("oid", INT, "amname", TEXT, "amhandler", TEXT, "amtype", TEXT);
    private static final List<Col> DATABASE_COLUMNS = cols(
            "oid",
            INT,
            "datname",
            TEXT,
            "datdba",
            INT,
            "encoding",
            INT,
            "datlocprovider",
            TEXT,
            "datistemplate",
            BOOL,
            "datallowconn",
            BOOL,
            "datconnlimit",
            INT,
            "datcollate",
            TEXT,
            "datctype",
            TEXT,
            "daticulocale",
            TEXT,
            "datcollversion",
            TEXT,
            "datacl",
            TEXT,
            "dattablespace",
            INT);
    private static final List<Col> ATTRDEF_COLUMNS = cols("oid", INT, "adrelid", INT, "adnum", SMALL, "adbin", TEXT);
    private static final List<Col> DESCRIPTION_COLUMNS =
            cols("objoid", INT, "classoid", INT, "objsubid", INT, "description", TEXT);
    private static final List<Col> COLLATION_COLUMNS = cols("oid", INT, "collname", TEXT, "collnamespace", INT);
    private static final List<Col> INFO_TABLES_COLUMNS =
            cols("table_catalog", TEXT, "table_schema", TEXT, "table_name", TEXT, "table_type", TEXT);
    private static final List<Col> INFO_COLUMNS_COLUMNS = cols(
            "table_catalog",
            TEXT,
            "table_schema",
            TEXT,
            "table_name",
            TEXT,
            "column_name",
            TEXT,
            "ordinal_position",
            INT,
            "column_default",
            TEXT,
            "is_nullable",
            TEXT,
            "data_type",
            TEXT,
            "character_maximum_length",
            INT,
            "udt_name",
            TEXT);

    private static Table table(List<Col> columns, Function<View, List<Object[]>> rows, View view) {
        return new CatalogTable(columns, rows, view);
    }

    private static final class CatalogTable extends AbstractTable implements ScannableTable {
        private final List<Col> columns;
        private final Function<View, List<Object[]>> rows;
        private final View view;

        CatalogTable(List<Col> columns, Function<View, List<Object[]>> rows, View view) {
            this.columns = columns;
            this.rows = rows;
            this.view = view;
        }

        @Override
        public RelDataType getRowType(RelDataTypeFactory types) {
            RelDataTypeFactory.Builder row = types.builder();
            for (Col c : columns) {
                row.add(c.name(), types.createTypeWithNullability(types.createSqlType(c.type()), true));
            }
            return row.build();
        }

        @Override
        public Enumerable<Object[]> scan(DataContext root) {
            return Linq4j.asEnumerable(rows.apply(view));
        }
    }

    // ---- the rows, from LumaDB's catalog

    /** LumaDB's catalog as the system catalogs show it to the current caller. */
    private static final class View {
        private final String database;
        private final SqlBackend backend;
        private final ColumnInference inference;

        View(String database, SqlBackend backend, ColumnInference inference) {
            this.database = database;
            this.backend = backend;
            this.inference = inference;
        }

        /** The tables the caller may read, in name order. */
        List<PgTable> tables() {
            List<PgTable> out = new ArrayList<>();
            DatabaseInfo db = backend.catalog().database(database).orElse(null);
            if (db == null) {
                return out;
            }
            SqlSession session = SqlSession.current();
            for (CollectionInfo info : new java.util.TreeMap<>(db.collections()).values()) {
                try {
                    session.sight().of(database, info.name());
                } catch (RuntimeException forbidden) {
                    continue;
                }
                out.add(new PgTable(info, USER_OIDS + (int) info.incarnation()));
            }
            return out;
        }

        List<PgColumn> columns(CollectionInfo info) {
            List<PgColumn> out = new ArrayList<>();
            out.add(new PgColumn("_id", PgType.TEXT, -1, true));
            out.add(new PgColumn("_version", PgType.INT8, -1, true));
            out.add(new PgColumn("doc", PgType.JSONB, -1, true));
            CollectionSchema schema = info.declaredSchema();
            if (schema != null) {
                for (CollectionSchema.Property p : schema.properties()) {
                    out.add(declared(p, schema.propertySchema(p.name())));
                }
                return out;
            }
            for (Column c : inference
                    .columns(info, SqlSession.current().deadlineNanos())
                    .columns()) {
                if (c.kind() != Column.Kind.FIELD) {
                    continue;
                }
                PgType type =
                        switch (c.type()) {
                            case BIGINT -> PgType.INT8;
                            case DOUBLE -> PgType.FLOAT8;
                            case BOOLEAN -> PgType.BOOL;
                            case JSON -> PgType.JSONB;
                            default -> PgType.TEXT;
                        };
                out.add(new PgColumn(c.name(), type, -1, false));
            }
            return out;
        }

        /** The SQL type a declared property stands for (the one CREATE TABLE declared it with). */
        private static PgColumn declared(CollectionSchema.Property p, JsonNode schema) {
            String format = schema == null ? null : schema.path("format").asText(null);
            PgType type;
            int typmod = -1;
            switch (p.type() == null ? "" : p.type()) {
                case "integer" -> {
                    long min = schema.path("minimum").asLong(Long.MIN_VALUE);
                    long max = schema.path("maximum").asLong(Long.MAX_VALUE);
                    type = min >= Short.MIN_VALUE && max <= Short.MAX_VALUE
                            ? PgType.INT2
                            : min >= Integer.MIN_VALUE && max <= Integer.MAX_VALUE ? PgType.INT4 : PgType.INT8;
                }
                case "number" ->
                    type = "float".equals(format)
                            ? PgType.FLOAT4
                            : "decimal".equals(format) ? PgType.NUMERIC : PgType.FLOAT8;
                case "boolean" -> type = PgType.BOOL;
                case "string" -> {
                    if ("uuid".equals(format)) {
                        type = PgType.UUID_TYPE;
                    } else if (schema.has("maxLength")) {
                        type = PgType.VARCHAR;
                        typmod = schema.get("maxLength").asInt() + 4;
                    } else {
                        type = PgType.TEXT;
                    }
                }
                default -> type = PgType.JSONB;
            }
            return new PgColumn(p.name(), type, typmod, p.required());
        }

        List<Object[]> namespaces() {
            return List.of(
                    new Object[] {PG_CATALOG, "pg_catalog", OWNER, null},
                    new Object[] {PUBLIC, "public", OWNER, null},
                    new Object[] {INFORMATION_SCHEMA, "information_schema", OWNER, null});
        }

        List<Object[]> classes() {
            List<Object[]> out = new ArrayList<>();
            for (PgTable t : tables()) {
                int indexes = t.info().indexes().size() + 1;
                out.add(classRow(t.oid(), t.info().name(), "r", HEAP, indexes > 0));
                out.add(classRow(PRIMARY_KEY_INDEXES + (int) t.info().incarnation(), pkeyName(t), "i", BTREE, false));
                for (IndexDefinition index : t.info().indexes()) {
                    if (!index.hasSearch()) {
                        out.add(classRow(USER_OIDS + (int) index.id(), index.name(), "i", BTREE, false));
                    }
                }
            }
            return out;
        }

        private static Object[] classRow(int oid, String name, String kind, int am, boolean hasIndex) {
            return new Object[] {
                oid, name, PUBLIC, 0, OWNER, am, oid, 0, -1f, 0, hasIndex, false, "p", kind, (short) 0, (short) 0,
                false, false, false, false, false, true, "d", false, 0, null, null, null
            };
        }

        List<Object[]> attributes() {
            List<Object[]> out = new ArrayList<>();
            for (PgTable t : tables()) {
                short n = 0;
                for (PgColumn c : columns(t.info())) {
                    PgType type = c.type();
                    out.add(new Object[] {
                        t.oid(),
                        c.name(),
                        type.oid(),
                        (short) type.length(),
                        ++n,
                        c.typmod(),
                        (short) 0,
                        c.notNull(),
                        false,
                        false,
                        "",
                        "",
                        false,
                        true,
                        collation(type),
                        null,
                        null
                    });
                }
            }
            return out;
        }

        List<Object[]> types() {
            List<Object[]> out = new ArrayList<>();
            for (PgType t : PgType.values()) {
                if (t == PgType.UNKNOWN) {
                    continue;
                }
                out.add(new Object[] {
                    t.oid(),
                    t.pgName(),
                    PG_CATALOG,
                    OWNER,
                    (short) t.length(),
                    t.length() > 0,
                    "b",
                    "U",
                    true,
                    ",",
                    0,
                    0,
                    0,
                    false,
                    0,
                    -1,
                    0,
                    collation(t)
                });
            }
            return out;
        }

        List<Object[]> indexes() {
            List<Object[]> out = new ArrayList<>();
            for (PgTable t : tables()) {
                List<PgColumn> columns = columns(t.info());
                int pkey = PRIMARY_KEY_INDEXES + (int) t.info().incarnation();
                String key = t.primaryKey();
                INDEX_DEFINITIONS.put(
                        pkey,
                        "CREATE UNIQUE INDEX " + pkeyName(t) + " ON public."
                                + t.info().name() + " USING btree (" + quote(key) + ")");
                out.add(indexRow(pkey, t.oid(), true, Integer.toString(attnum(columns, key))));
                for (IndexDefinition index : t.info().indexes()) {
                    if (index.hasSearch()) {
                        continue;
                    }
                    int oid = USER_OIDS + (int) index.id();
                    List<String> parts = new ArrayList<>();
                    List<String> keys = new ArrayList<>();
                    for (IndexDefinition.Field f : index.fields()) {
                        parts.add(quote(f.path()) + (f.descending() ? " DESC" : ""));
                        keys.add(Integer.toString(attnum(columns, f.path())));
                    }
                    INDEX_DEFINITIONS.put(
                            oid,
                            "CREATE INDEX " + index.name() + " ON public."
                                    + t.info().name() + " USING btree (" + String.join(", ", parts) + ")");
                    out.add(indexRow(oid, t.oid(), false, String.join(" ", keys)));
                }
            }
            return out;
        }

        private static Object[] indexRow(int oid, int table, boolean primary, String keys) {
            short n = (short) keys.split(" ").length;
            return new Object[] {
                oid, table, n, n, primary, primary, false, true, false, true, false, true, true, false, keys, null, null
            };
        }

        List<Object[]> constraints() {
            List<Object[]> out = new ArrayList<>();
            for (PgTable t : tables()) {
                int oid = PRIMARY_KEYS + (int) t.info().incarnation();
                String key = t.primaryKey();
                CONSTRAINT_DEFINITIONS.put(oid, "PRIMARY KEY (" + quote(key) + ")");
                out.add(new Object[] {
                    oid,
                    pkeyName(t),
                    PUBLIC,
                    "p",
                    false,
                    false,
                    true,
                    t.oid(),
                    0,
                    PRIMARY_KEY_INDEXES + (int) t.info().incarnation(),
                    0,
                    "{" + attnum(columns(t.info()), key) + "}",
                    null,
                    true
                });
            }
            return out;
        }

        List<Object[]> ams() {
            return List.of(
                    new Object[] {HEAP, "heap", "heap_tableam_handler", "t"},
                    new Object[] {BTREE, "btree", "bthandler", "i"});
        }

        List<Object[]> collations() {
            return List.<Object[]>of(new Object[] {100, "default", PG_CATALOG});
        }

        List<Object[]> databases() {
            List<Object[]> out = new ArrayList<>();
            for (String name :
                    new java.util.TreeSet<>(backend.catalog().databases().keySet())) {
                out.add(new Object[] {
                    databaseOid(name), name, OWNER, 6, "c", false, true, -1, "C", "C", null, null, null, 1663
                });
            }
            return out;
        }

        List<Object[]> infoTables() {
            List<Object[]> out = new ArrayList<>();
            for (PgTable t : tables()) {
                out.add(new Object[] {database, "public", t.info().name(), "BASE TABLE"});
            }
            return out;
        }

        List<Object[]> infoColumns() {
            List<Object[]> out = new ArrayList<>();
            for (PgTable t : tables()) {
                int n = 0;
                for (PgColumn c : columns(t.info())) {
                    out.add(new Object[] {
                        database,
                        "public",
                        t.info().name(),
                        c.name(),
                        ++n,
                        null,
                        c.notNull() ? "NO" : "YES",
                        PgFunctions.format_type(c.type().oid(), -1),
                        c.typmod() > 0 ? c.typmod() - 4 : null,
                        c.type().pgName()
                    });
                }
            }
            return out;
        }

        private static String pkeyName(PgTable t) {
            return t.info().name() + "_pkey";
        }

        private static int attnum(List<PgColumn> columns, String name) {
            for (int i = 0; i < columns.size(); i++) {
                if (columns.get(i).name().equals(name)) {
                    return i + 1;
                }
            }
            return 0;
        }
    }

    static int databaseOid(String name) {
        return 100_000 + Math.floorMod(name.hashCode(), 1_000_000);
    }

    static String quote(String name) {
        return name.matches("[a-z_][a-z0-9_]*") ? name : "\"" + name.replace("\"", "\"\"") + "\"";
    }

    static String indexDefinition(int oid) {
        return INDEX_DEFINITIONS.get(oid);
    }

    static String constraintDefinition(int oid) {
        return CONSTRAINT_DEFINITIONS.get(oid);
    }
}
