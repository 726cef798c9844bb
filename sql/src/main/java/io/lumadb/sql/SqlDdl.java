package io.lumadb.sql;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.catalog.CatalogEntity;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.CollectionSchema;
import io.lumadb.shards.model.IndexDefinition;
import io.lumadb.shards.model.InvalidNameException;
import io.lumadb.shards.model.Names;
import io.lumadb.sql.SqlException.Kind;
import io.lumadb.sql.schema.SqlBackend;
import io.lumadb.sql.schema.SqlSession;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * SQL's data definition over collections: {@code CREATE TABLE} creates a collection with a
 * declared schema (its columns' types, {@code NOT NULL} as required, the {@code PRIMARY KEY}
 * column's value also the document's {@code _id}); {@code DROP TABLE} drops collections; {@code
 * ALTER TABLE ... ADD COLUMN} adds a property to the declared schema; {@code CREATE INDEX} defines
 * a secondary index, built in the background.
 *
 * <p>The statements are PostgreSQL's, in the subset these four take. They are parsed here, not by
 * Calcite: the Calcite LumaDB builds on parses queries and DML, and its DDL parser (a separate
 * module) has neither {@code CREATE INDEX} nor {@code ALTER TABLE}. The grammar is small and fixed,
 * and what it does not take is refused with SQLSTATE {@code 0A000} or {@code 42601} naming the
 * word, never ignored.
 */
final class SqlDdl {

    private static final long WAIT_SECONDS = 30;

    private final SqlBackend backend;
    private final java.util.function.BiConsumer<String, String> changed;

    /** @param changed told of each collection whose columns a statement changed */
    SqlDdl(SqlBackend backend, java.util.function.BiConsumer<String, String> changed) {
        this.backend = backend;
        this.changed = changed;
    }

    /** Whether a statement starting with {@code first} (upper case) is one of these. */
    static boolean isDdl(String first) {
        return first.equals("CREATE") || first.equals("DROP") || first.equals("ALTER");
    }

    SqlResult.Written run(String database, String sql, SqlSession session, java.util.function.Consumer<String> notice)
            throws Exception {
        Tokens t = new Tokens(sql);
        t.expectWord("CREATE", "DROP", "ALTER");
        String verb = t.previous().upper();
        return switch (verb) {
            case "CREATE" -> {
                if (t.acceptWord("TABLE")) {
                    yield createTable(database, t, session);
                }
                boolean unique = t.acceptWord("UNIQUE");
                if (t.acceptWord("INDEX")) {
                    if (unique) {
                        throw unsupported(t.at(1), "UNIQUE indexes are not supported: _id is the one unique key");
                    }
                    yield createIndex(database, t, session, notice);
                }
                throw unsupported(
                        t.peekPosition(),
                        "CREATE " + t.peekText() + " is not supported; LumaDB takes"
                                + " CREATE TABLE and CREATE INDEX");
            }
            case "DROP" -> {
                if (t.acceptWord("TABLE")) {
                    yield dropTable(database, t, session, notice);
                }
                throw unsupported(
                        t.peekPosition(),
                        "DROP " + t.peekText() + " is not supported; LumaDB takes"
                                + " DROP TABLE (drop an index with DELETE /api/v1/{db}/{collection}/_indexes/{name})");
            }
            default -> {
                t.expectWord("TABLE");
                yield alterTable(database, t, session, notice);
            }
        };
    }

    // ---- CREATE TABLE

    private SqlResult.Written createTable(String database, Tokens t, SqlSession session) throws Exception {
        boolean ifNotExists = ifExists(t, true);
        Token nameToken = t.peek();
        String name = tableName(database, t);
        session.sight().define(database, name, false);
        t.expect("(");
        ObjectNode properties = JsonNodeFactory.instance.objectNode();
        List<String> required = new ArrayList<>();
        String primaryKey = null;
        int primaryKeyAt = 0;
        do {
            if (t.acceptWord("PRIMARY")) {
                int at = t.previous().position();
                t.expectWord("KEY");
                t.expect("(");
                String column = t.identifier("a column name");
                if (t.accept(",")) {
                    throw unsupported(at, "a primary key of several columns is not supported: it becomes the _id");
                }
                t.expect(")");
                if (primaryKey != null) {
                    throw bad("42P16", at, "multiple primary keys for table \"" + name + "\" are not allowed");
                }
                primaryKey = column;
                primaryKeyAt = at;
                continue;
            }
            if (t.peekIs("CONSTRAINT", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE", "LIKE")) {
                throw unsupported(t.peekPosition(), "table constraint " + t.peekText() + " is not supported");
            }
            Token columnToken = t.peek();
            ColumnDef column = columnDef(t);
            if (properties.has(column.name())) {
                throw bad("42701", columnToken.position(), "column \"" + column.name() + "\" specified more than once");
            }
            properties.set(column.name(), column.schema());
            if (column.primaryKey()) {
                if (primaryKey != null) {
                    throw bad(
                            "42P16",
                            columnToken.position(),
                            "multiple primary keys for table \"" + name + "\" are not allowed");
                }
                primaryKey = column.name();
                primaryKeyAt = columnToken.position();
            }
            if (column.notNull() || column.primaryKey()) {
                required.add(column.name());
            }
        } while (t.accept(","));
        t.expect(")");
        t.end();
        ObjectNode schema = JsonNodeFactory.instance.objectNode();
        schema.put("type", "object");
        schema.set("properties", properties);
        if (primaryKey != null) {
            if (!properties.has(primaryKey)) {
                throw bad("42703", primaryKeyAt, "column \"" + primaryKey + "\" named in key does not exist");
            }
            if (!required.contains(primaryKey)) {
                required.add(primaryKey);
            }
            // A primary key is never null, whatever its type said.
            ObjectNode key = (ObjectNode) properties.get(primaryKey);
            if (key.get("type") != null && key.get("type").isArray()) {
                key.put("type", key.get("type").get(0).textValue());
            }
            schema.put(CollectionSchema.PRIMARY_KEY, primaryKey);
        }
        if (!required.isEmpty()) {
            var list = schema.putArray("required");
            required.forEach(list::add);
        }
        CollectionSchema declared;
        try {
            declared = CollectionSchema.of(schema);
        } catch (CollectionSchema.InvalidSchemaException e) {
            throw bad("42601", nameToken.position(), "the table cannot be declared: " + e.getMessage());
        }
        CatalogEntity.Result r = await(backend.createCollection(database, name, declared));
        switch (r.outcome()) {
            case EXISTS -> {
                if (!ifNotExists) {
                    throw bad("42P07", nameToken.position(), "relation \"" + name + "\" already exists");
                }
            }
            case DATABASE_NOT_FOUND ->
                throw new SqlException(Kind.NOT_FOUND, "3D000", "database \"" + database + "\" does not exist");
            default -> changed.accept(database, name);
        }
        return new SqlResult.Written("CREATE TABLE", -1);
    }

    /** A column: its name, the JSON Schema of its values, and its constraints. */
    private record ColumnDef(String name, ObjectNode schema, boolean notNull, boolean primaryKey) {}

    private static ColumnDef columnDef(Tokens t) {
        int nameAt = t.peekPosition();
        String name = t.identifier("a column name");
        if (name.equals("doc") || name.startsWith("_") || name.contains(".") || name.startsWith("$")) {
            throw bad(
                    "42939",
                    nameAt,
                    "column name \"" + name + "\" is reserved or not a field name: doc is the whole"
                            + " document, names starting with _ belong to the database, and . and $ have meanings in paths");
        }
        int typeAt = t.peekPosition();
        StringBuilder type = new StringBuilder(t.word("a type name"));
        // Types of two words: DOUBLE PRECISION, CHARACTER VARYING.
        if (t.peekIs("PRECISION", "VARYING")) {
            type.append(' ').append(t.word("a type name"));
        }
        List<Integer> modifiers = new ArrayList<>();
        if (t.accept("(")) {
            do {
                modifiers.add(t.integer());
            } while (t.accept(","));
            t.expect(")");
        }
        if (t.accept("[")) {
            throw unsupported(typeAt, "array column types are not supported; declare the column JSONB");
        }
        ObjectNode schema = schemaOf(type.toString().toUpperCase(Locale.ROOT), modifiers, typeAt);
        boolean notNull = false;
        boolean primaryKey = false;
        while (true) {
            if (t.acceptWord("NOT")) {
                t.expectWord("NULL");
                notNull = true;
            } else if (t.acceptWord("NULL")) {
                notNull = false;
            } else if (t.acceptWord("PRIMARY")) {
                t.expectWord("KEY");
                primaryKey = true;
            } else if (t.peekIs("DEFAULT", "UNIQUE", "CHECK", "REFERENCES", "GENERATED", "COLLATE", "CONSTRAINT")) {
                throw unsupported(t.peekPosition(), "column constraint " + t.peekText() + " is not supported");
            } else {
                break;
            }
        }
        if (!notNull && !primaryKey && schema.has("type")) {
            // A nullable column holds null too (an INSERT writes it as null).
            String single = schema.get("type").textValue();
            schema.putArray("type").add(single).add("null");
        }
        return new ColumnDef(name, schema, notNull, primaryKey);
    }

    /** The JSON Schema of a SQL column type's values. */
    private static ObjectNode schemaOf(String type, List<Integer> modifiers, int at) {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        switch (type) {
            case "SMALLINT", "INT2" ->
                s.put("type", "integer").put("minimum", Short.MIN_VALUE).put("maximum", Short.MAX_VALUE);
            case "INTEGER", "INT", "INT4" ->
                s.put("type", "integer").put("minimum", Integer.MIN_VALUE).put("maximum", Integer.MAX_VALUE);
            case "BIGINT", "INT8" -> s.put("type", "integer");
            // format says which SQL type declared the number, for the catalogs (an annotation only).
            case "REAL", "FLOAT4" -> s.put("type", "number").put("format", "float");
            case "FLOAT8", "FLOAT", "DOUBLE PRECISION", "DOUBLE" ->
                s.put("type", "number").put("format", "double");
            case "NUMERIC", "DECIMAL" -> s.put("type", "number").put("format", "decimal");
            case "TEXT" -> s.put("type", "string");
            case "VARCHAR", "CHARACTER VARYING", "CHAR", "CHARACTER", "BPCHAR" -> {
                s.put("type", "string");
                if (!modifiers.isEmpty()) {
                    s.put("maxLength", modifiers.getFirst());
                }
            }
            case "BOOLEAN", "BOOL" -> s.put("type", "boolean");
            case "UUID" ->
                s.put("type", "string")
                        .put("format", "uuid")
                        .put(
                                "pattern",
                                "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
            case "JSON", "JSONB" -> {
                // Any JSON value.
            }
            default ->
                throw unsupported(
                        at,
                        "column type " + type + " is not supported in CREATE TABLE; LumaDB takes SMALLINT, INTEGER,"
                                + " BIGINT, REAL, DOUBLE PRECISION, NUMERIC, TEXT, VARCHAR(n), CHAR(n), BOOLEAN, UUID,"
                                + " JSON and JSONB (keep dates and times as TEXT in ISO 8601)");
        }
        return s;
    }

    // ---- DROP TABLE

    private SqlResult.Written dropTable(
            String database, Tokens t, SqlSession session, java.util.function.Consumer<String> notice)
            throws Exception {
        boolean ifExists = ifExists(t, false);
        Map<String, Integer> names = new LinkedHashMap<>();
        do {
            int at = t.peekPosition();
            names.put(tableName(database, t), at);
        } while (t.accept(","));
        if (t.acceptWord("CASCADE")) {
            throw unsupported(
                    t.previous().position(),
                    "DROP TABLE ... CASCADE is not supported: nothing depends on a" + " table");
        }
        t.acceptWord("RESTRICT");
        t.end();
        // Every name is checked before anything is dropped, as PostgreSQL drops all or none.
        var catalog = backend.refreshCatalog().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        List<String> present = new ArrayList<>();
        for (var e : names.entrySet()) {
            session.sight().define(database, e.getKey(), false);
            if (catalog.collection(database, e.getKey()).isPresent()) {
                present.add(e.getKey());
            } else if (ifExists) {
                notice.accept("table \"" + e.getKey() + "\" does not exist, skipping");
            } else {
                throw bad("42P01", e.getValue(), "table \"" + e.getKey() + "\" does not exist");
            }
        }
        for (String name : present) {
            await(backend.dropCollection(database, name));
            changed.accept(database, name);
        }
        return new SqlResult.Written("DROP TABLE", -1);
    }

    // ---- ALTER TABLE ... ADD COLUMN

    private SqlResult.Written alterTable(
            String database, Tokens t, SqlSession session, java.util.function.Consumer<String> notice)
            throws Exception {
        boolean ifExists = ifExists(t, false);
        t.acceptWord("ONLY");
        int nameAt = t.peekPosition();
        String name = tableName(database, t);
        if (!t.acceptWord("ADD")) {
            throw unsupported(
                    t.peekPosition(),
                    "ALTER TABLE " + t.peekText() + " is not supported; LumaDB takes" + " ALTER TABLE ... ADD COLUMN");
        }
        t.acceptWord("COLUMN");
        boolean ifNotExists = ifExists(t, true);
        int columnAt = t.peekPosition();
        ColumnDef column = columnDef(t);
        t.end();
        session.sight().define(database, name, false);
        if (column.primaryKey()) {
            throw unsupported(columnAt, "a primary key cannot be added to a table with rows: it is the _id");
        }
        if (column.notNull()) {
            throw unsupported(
                    columnAt,
                    "ADD COLUMN ... NOT NULL needs a value for the rows there are, and LumaDB"
                            + " has no DEFAULT; add the column nullable");
        }
        var catalog = backend.refreshCatalog().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        var info = catalog.collection(database, name);
        if (info.isEmpty()) {
            if (ifExists) {
                notice.accept("relation \"" + name + "\" does not exist, skipping");
                return new SqlResult.Written("ALTER TABLE", -1);
            }
            throw bad("42P01", nameAt, "relation \"" + name + "\" does not exist");
        }
        CollectionInfo collection = info.get();
        if (collection.schema() == null) {
            throw unsupported(
                    nameAt,
                    "table \"" + name + "\" declares no schema: its columns are its documents' fields,"
                            + " so a new column appears when documents hold the field (declare a schema with CREATE TABLE"
                            + " or PUT /api/v1/" + database + "/" + name + "/_schema)");
        }
        CollectionSchema current = collection.declaredSchema();
        if (current.properties().stream().anyMatch(p -> p.name().equals(column.name()))) {
            if (ifNotExists) {
                notice.accept("column \"" + column.name() + "\" of relation \"" + name + "\" already exists, skipping");
                return new SqlResult.Written("ALTER TABLE", -1);
            }
            throw bad(
                    "42701", columnAt, "column \"" + column.name() + "\" of relation \"" + name + "\" already exists");
        }
        CollectionSchema next;
        try {
            next = current.withProperty(column.name(), column.schema(), false);
        } catch (CollectionSchema.InvalidSchemaException e) {
            throw bad("42601", columnAt, "the column cannot be declared: " + e.getMessage());
        }
        await(backend.setSchema(database, name, next));
        changed.accept(database, name);
        return new SqlResult.Written("ALTER TABLE", -1);
    }

    // ---- CREATE INDEX

    private SqlResult.Written createIndex(
            String database, Tokens t, SqlSession session, java.util.function.Consumer<String> notice)
            throws Exception {
        if (t.peekIs("CONCURRENTLY")) {
            t.next(); // every index is built concurrently with writes
        }
        boolean ifNotExists = ifExists(t, true);
        String index = null;
        int indexAt = t.peekPosition();
        if (!t.peekIs("ON")) {
            index = t.identifier("an index name");
        }
        t.expectWord("ON");
        t.acceptWord("ONLY");
        int tableAt = t.peekPosition();
        String table = tableName(database, t);
        if (t.acceptWord("USING")) {
            String method = t.word("an index method");
            if (!method.equalsIgnoreCase("btree")) {
                throw unsupported(
                        t.previous().position(),
                        "index method " + method + " is not supported; LumaDB's"
                                + " secondary indexes are ordered (btree); search indexes are created over HTTP");
            }
        }
        t.expect("(");
        List<IndexDefinition.Field> fields = new ArrayList<>();
        List<String> columns = new ArrayList<>();
        do {
            int at = t.peekPosition();
            String column = t.identifier("a column name");
            boolean descending = false;
            if (t.acceptWord("DESC")) {
                descending = true;
            } else {
                t.acceptWord("ASC");
            }
            if (t.peekIs("NULLS")) {
                throw unsupported(t.peekPosition(), "NULLS FIRST/LAST is not supported in an index");
            }
            if (column.equals("_id") || column.equals("_version") || column.equals("doc")) {
                throw unsupported(at, "column " + column + " cannot be indexed: _id is always indexed");
            }
            fields.add(new IndexDefinition.Field(column, descending));
            columns.add(column);
        } while (t.accept(","));
        t.expect(")");
        if (t.peekIs("WHERE", "INCLUDE", "WITH")) {
            throw unsupported(t.peekPosition(), t.peekText() + " is not supported in CREATE INDEX");
        }
        t.end();
        if (index == null) {
            // PostgreSQL's name for an unnamed index.
            index = table + "_" + String.join("_", columns) + "_idx";
        }
        try {
            Names.checkIndex(index);
        } catch (InvalidNameException e) {
            throw bad("42602", indexAt, e.getMessage());
        }
        session.sight().define(database, table, true);
        var catalog = backend.refreshCatalog().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        var info = catalog.collection(database, table);
        if (info.isEmpty()) {
            throw bad("42P01", tableAt, "relation \"" + table + "\" does not exist");
        }
        if (info.get().index(index).isPresent()) {
            if (ifNotExists) {
                notice.accept("relation \"" + index + "\" already exists, skipping");
                return new SqlResult.Written("CREATE INDEX", -1);
            }
            throw bad("42P07", indexAt, "relation \"" + index + "\" already exists");
        }
        try {
            await(backend.createIndex(database, table, index, fields));
        } catch (io.lumadb.shards.IndexConflictException e) {
            throw bad("42P07", indexAt, "relation \"" + index + "\" already exists");
        }
        return new SqlResult.Written("CREATE INDEX", -1);
    }

    // ---- shared

    /** {@code IF NOT EXISTS} ({@code not} true) or {@code IF EXISTS}, if next. */
    private static boolean ifExists(Tokens t, boolean not) {
        if (!t.acceptWord("IF")) {
            return false;
        }
        if (not) {
            t.expectWord("NOT");
        }
        t.expectWord("EXISTS");
        return true;
    }

    /** A table's name, qualified by the database or by {@code public} or not at all. */
    private static String tableName(String database, Tokens t) {
        int at = t.peekPosition();
        String name = t.identifier("a table name");
        if (t.accept(".")) {
            if (!name.equals(database) && !name.equals("public")) {
                throw bad("3F000", at, "schema \"" + name + "\" does not exist");
            }
            name = t.identifier("a table name");
        }
        try {
            Names.checkCollection(name);
        } catch (InvalidNameException e) {
            throw bad("42602", at, e.getMessage());
        }
        return name;
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        try {
            return stage.toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private static SqlException bad(String state, int position, String message) {
        return new SqlException(Kind.BAD_STATEMENT, state, message, position, 0, 0, null);
    }

    private static SqlException unsupported(int position, String message) {
        return new SqlException(Kind.UNSUPPORTED, "0A000", message, position, 0, 0, null);
    }

    // ---- tokens

    /** A word, a quoted identifier, a number or one punctuation character, with its 1-based position. */
    private record Token(String text, boolean quoted, int position) {
        String upper() {
            return text.toUpperCase(Locale.ROOT);
        }

        boolean isWord() {
            return !quoted && !text.isEmpty() && (Character.isLetter(text.charAt(0)) || text.charAt(0) == '_');
        }
    }

    /** The statement's tokens; comments and white space are skipped, a trailing {@code ;} is dropped. */
    private static final class Tokens {
        private static final Set<String> PUNCTUATION = Set.of("(", ")", ",", ".", "[", "]", ";");

        private final List<Token> tokens = new ArrayList<>();
        private final int endPosition;
        private int next;

        Tokens(String sql) {
            int i = 0;
            int n = sql.length();
            while (i < n) {
                char c = sql.charAt(i);
                if (Character.isWhitespace(c)) {
                    i++;
                } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                    while (i < n && sql.charAt(i) != '\n') {
                        i++;
                    }
                } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                    int close = sql.indexOf("*/", i + 2);
                    i = close < 0 ? n : close + 2;
                } else if (c == '"') {
                    StringBuilder name = new StringBuilder();
                    int start = i++;
                    while (true) {
                        if (i >= n) {
                            throw bad("42601", start + 1, "unterminated quoted identifier");
                        }
                        if (sql.charAt(i) == '"') {
                            if (i + 1 < n && sql.charAt(i + 1) == '"') {
                                name.append('"');
                                i += 2;
                                continue;
                            }
                            i++;
                            break;
                        }
                        name.append(sql.charAt(i++));
                    }
                    tokens.add(new Token(name.toString(), true, start + 1));
                } else if (Character.isLetterOrDigit(c) || c == '_') {
                    int start = i;
                    while (i < n
                            && (Character.isLetterOrDigit(sql.charAt(i))
                                    || sql.charAt(i) == '_'
                                    || sql.charAt(i) == '$')) {
                        i++;
                    }
                    tokens.add(new Token(sql.substring(start, i), false, start + 1));
                } else if (PUNCTUATION.contains(String.valueOf(c))) {
                    tokens.add(new Token(String.valueOf(c), false, i + 1));
                    i++;
                } else {
                    throw bad("42601", i + 1, "syntax error at or near \"" + c + "\"");
                }
            }
            if (!tokens.isEmpty()
                    && tokens.getLast().text().equals(";")
                    && !tokens.getLast().quoted()) {
                tokens.removeLast();
            }
            endPosition = n + 1;
        }

        Token peek() {
            return next < tokens.size() ? tokens.get(next) : new Token("", false, endPosition);
        }

        int peekPosition() {
            return peek().position();
        }

        String peekText() {
            return next < tokens.size() ? peek().text() : "end of input";
        }

        Token previous() {
            return tokens.get(next - 1);
        }

        int at(int back) {
            return tokens.get(Math.max(0, next - back)).position();
        }

        Token next() {
            Token t = peek();
            if (next < tokens.size()) {
                next++;
            }
            return t;
        }

        boolean peekIs(String... words) {
            Token t = peek();
            if (!t.isWord()) {
                return false;
            }
            for (String w : words) {
                if (t.upper().equals(w)) {
                    return true;
                }
            }
            return false;
        }

        boolean acceptWord(String word) {
            if (peekIs(word)) {
                next++;
                return true;
            }
            return false;
        }

        void expectWord(String... words) {
            if (!peekIs(words)) {
                throw syntax();
            }
            next++;
        }

        boolean accept(String punctuation) {
            Token t = peek();
            if (!t.quoted() && t.text().equals(punctuation) && next < tokens.size()) {
                next++;
                return true;
            }
            return false;
        }

        void expect(String punctuation) {
            if (!accept(punctuation)) {
                throw syntax();
            }
        }

        /** An identifier: unquoted folds to lower case, as PostgreSQL folds it; quoted is exact. */
        String identifier(String what) {
            Token t = peek();
            if (t.quoted()) {
                next++;
                return t.text();
            }
            if (!t.isWord()) {
                throw bad("42601", t.position(), "syntax error at or near \"" + peekText() + "\": expected " + what);
            }
            next++;
            return t.text().toLowerCase(Locale.ROOT);
        }

        String word(String what) {
            Token t = peek();
            if (!t.isWord()) {
                throw bad("42601", t.position(), "syntax error at or near \"" + peekText() + "\": expected " + what);
            }
            next++;
            return t.text();
        }

        int integer() {
            Token t = peek();
            try {
                int value = Integer.parseInt(t.text());
                next++;
                return value;
            } catch (NumberFormatException e) {
                throw bad("42601", t.position(), "syntax error at or near \"" + peekText() + "\": expected a number");
            }
        }

        void end() {
            if (next < tokens.size()) {
                throw syntax();
            }
        }

        SqlException syntax() {
            return bad("42601", peekPosition(), "syntax error at or near \"" + peekText() + "\"");
        }
    }
}
