package io.lumadb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Administration: databases, collections, indexes (with build progress), the cluster and its
 * shard placement, health, and users, API keys and roles. Listings print as a table on a terminal
 * and as JSON otherwise ({@code -o} says which).
 */
final class AdminCommands {
    private AdminCommands() {}

    /** A listing's rows: the array field {@code field} of {@code answer}, with {@code columns}. */
    abstract static class Listing extends Base {
        @Option(
                names = {"-o", "--output"},
                description = "table, json, ndjson or csv (default: table on a terminal, else json)")
        Rows.Format output;

        void list(JsonNode answer, String field, List<String> columns) {
            Rows.Format f =
                    output != null ? output : Terminals.stdoutIsTerminal() ? Rows.Format.table : Rows.Format.json;
            List<ObjectNode> rows = new ArrayList<>();
            for (JsonNode row : answer.path(field)) {
                rows.add((ObjectNode) row);
            }
            try (Rows printer = Rows.open(f, out(), f == Rows.Format.table || f == Rows.Format.csv ? columns : null)) {
                printer.write(rows);
            }
        }
    }

    /** {@code --yes}, or a typed confirmation on a terminal, before anything is dropped. */
    static void confirm(boolean yes, String what) {
        if (yes) {
            return;
        }
        if (System.console() == null || !Terminals.stdoutIsTerminal()) {
            throw new CliException(ExitCodes.USAGE, "dropping " + what + " needs --yes when not asked on a terminal");
        }
        String answer = System.console().readLine("Drop %s and everything in it? Type its name to confirm: ", what);
        if (answer == null || !answer.strip().equals(what)) {
            throw new CliException(ExitCodes.FAILED, "not confirmed; nothing was dropped");
        }
    }

    @Command(
            name = "db",
            description = "Databases: list, show, create, drop.",
            subcommands = {Databases.List.class, Databases.Show.class, Databases.Create.class, Databases.Drop.class})
    static final class Databases {
        @Command(name = "list", description = "List the databases.")
        static final class List extends Listing implements Callable<Integer> {
            @Override
            public Integer call() {
                list(api().get("/api/v1"), "databases", java.util.List.of("name", "collectionCount", "createdAt"));
                return ExitCodes.OK;
            }
        }

        @Command(name = "show", description = "A database and its collections.")
        static final class Show extends Listing implements Callable<Integer> {
            @Parameters(paramLabel = "DB")
            String db;

            @Override
            public Integer call() {
                JsonNode answer = api().get(Target.database(db).path());
                list(answer, "collections", java.util.List.of("name", "shards", "createdAt"));
                return ExitCodes.OK;
            }
        }

        @Command(name = "create", description = "Create a database (nothing happens if it exists).")
        static final class Create extends Base implements Callable<Integer> {
            @Parameters(paramLabel = "DB")
            String db;

            @Override
            public Integer call() {
                printJson(api().put(Target.database(db).path(), NodeApi.object()));
                return ExitCodes.OK;
            }
        }

        @Command(name = "drop", description = "Drop a database and every collection in it.")
        static final class Drop extends Base implements Callable<Integer> {
            @Parameters(paramLabel = "DB")
            String db;

            @Option(names = "--yes", description = "do not ask for confirmation")
            boolean yes;

            @Override
            public Integer call() {
                Target t = Target.database(db);
                confirm(yes, db);
                printJson(api().delete(t.path()));
                return ExitCodes.OK;
            }
        }
    }

    @Command(
            name = "collection",
            description = "Collections: list, show (with document count), create, drop, schema.",
            subcommands = {
                Collections.List.class,
                Collections.Show.class,
                Collections.Create.class,
                Collections.Drop.class,
                Collections.Schema.class
            })
    static final class Collections {
        @Command(name = "list", description = "List a database's collections.")
        static final class List extends Listing implements Callable<Integer> {
            @Parameters(paramLabel = "DB")
            String db;

            @Override
            public Integer call() {
                list(
                        api().get(Target.database(db).path()),
                        "collections",
                        java.util.List.of("name", "shards", "createdAt"));
                return ExitCodes.OK;
            }
        }

        @Command(name = "show", description = "A collection: shards, document count.")
        static final class Show extends Base implements Callable<Integer> {
            @Parameters(paramLabel = "DB/COLLECTION")
            String target;

            @Override
            public Integer call() {
                printJson(api().get(Target.collection(target).path()));
                return ExitCodes.OK;
            }
        }

        @Command(name = "create", description = "Create a collection (and its database if needed).")
        static final class Create extends Base implements Callable<Integer> {
            @Parameters(paramLabel = "DB/COLLECTION")
            String target;

            @Option(names = "--shards", paramLabel = "N", description = "shard count (default: the node's)")
            Integer shards;

            @Option(names = "--schema", paramLabel = "FILE", description = "a JSON Schema the documents must satisfy")
            String schema;

            @Override
            public Integer call() {
                Target t = Target.collection(target);
                ObjectNode body = NodeApi.object();
                if (shards != null) {
                    body.put("shards", shards);
                }
                if (schema != null) {
                    body.set("schema", jsonBody(null, schema, "the schema"));
                }
                api().put(NodeApi.path(t.db()), NodeApi.object());
                printJson(api().put(t.path(), body));
                return ExitCodes.OK;
            }
        }

        @Command(name = "drop", description = "Drop a collection and its documents.")
        static final class Drop extends Base implements Callable<Integer> {
            @Parameters(paramLabel = "DB/COLLECTION")
            String target;

            @Option(names = "--yes", description = "do not ask for confirmation")
            boolean yes;

            @Override
            public Integer call() {
                Target t = Target.collection(target);
                confirm(yes, t.toString());
                printJson(api().delete(t.path()));
                return ExitCodes.OK;
            }
        }

        @Command(name = "schema", description = "Print a collection's declared schema, or set it with --set FILE.")
        static final class Schema extends Base implements Callable<Integer> {
            @Parameters(paramLabel = "DB/COLLECTION")
            String target;

            @Option(names = "--set", paramLabel = "FILE", description = "declare this JSON Schema (- for stdin)")
            String set;

            @Override
            public Integer call() {
                Target t = Target.collection(target);
                printJson(
                        set == null
                                ? api().get(t.path("_schema"))
                                : api().put(t.path("_schema"), jsonBody(null, set, "the schema")));
                return ExitCodes.OK;
            }
        }
    }

    @Command(
            name = "index",
            description =
                    "Secondary indexes: list, show (with build progress), create (optionally waiting for the build), drop.",
            subcommands = {Indexes.List.class, Indexes.Show.class, Indexes.Create.class, Indexes.Drop.class})
    static final class Indexes {
        @Command(name = "list", description = "A collection's indexes with their state and build progress.")
        static final class List extends Listing implements Callable<Integer> {
            @Parameters(paramLabel = "DB/COLLECTION")
            String target;

            @Override
            public Integer call() {
                JsonNode answer = api().get(Target.collection(target).path("_indexes"));
                for (JsonNode i : answer.path("indexes")) {
                    ObjectNode o = (ObjectNode) i;
                    o.put("progress", progress(i));
                    o.put("fields", fields(i));
                }
                list(answer, "indexes", java.util.List.of("name", "fields", "state", "progress"));
                return ExitCodes.OK;
            }
        }

        @Command(name = "show", description = "An index, each shard's part and its build progress.")
        static final class Show extends Base implements Callable<Integer> {
            @Parameters(index = "0", paramLabel = "DB/COLLECTION")
            String target;

            @Parameters(index = "1", paramLabel = "NAME")
            String name;

            @Override
            public Integer call() {
                printJson(api().get(Target.collection(target).path("_indexes", name)));
                return ExitCodes.OK;
            }
        }

        @Command(
                name = "create",
                description = {
                    "Create a secondary index over FIELD... (field:desc for descending, or -field after --); built in the background.",
                    "Example: lumadb index create shop/users by_city_age city age:desc --wait"
                })
        static final class Create extends Base implements Callable<Integer> {
            @Parameters(index = "0", paramLabel = "DB/COLLECTION")
            String target;

            @Parameters(index = "1", paramLabel = "NAME")
            String name;

            @Parameters(index = "2..*", arity = "1..*", paramLabel = "FIELD")
            java.util.List<String> fields;

            @Option(names = "--wait", description = "wait until every shard's part is built, showing progress")
            boolean await;

            @Option(names = "--progress", defaultValue = "auto", description = "with --wait: auto, bar, plain or none")
            Progress.Mode progressMode;

            @Override
            public Integer call() throws InterruptedException {
                Target t = Target.collection(target);
                ObjectNode body = NodeApi.object();
                ArrayNode f = body.putArray("fields");
                for (String field : fields) {
                    f.add(
                            field.endsWith(":desc")
                                    ? "-" + field.substring(0, field.length() - 5)
                                    : field.endsWith(":asc") ? field.substring(0, field.length() - 4) : field);
                }
                JsonNode answer = api().put(t.path("_indexes", name), body);
                if (!await) {
                    printJson(answer);
                    return ExitCodes.OK;
                }
                Progress progress = null;
                while (true) {
                    JsonNode status = api().get(t.path("_indexes", name));
                    long total = status.path("progress").path("total").asLong();
                    long indexed = status.path("progress").path("indexed").asLong();
                    if (progress == null) {
                        progress = new Progress(err(), progressMode, "indexed", 0);
                    }
                    String state = status.path("state").asText();
                    if (!state.equals("building")) {
                        progress.finish(indexed, 0);
                        printJson(status);
                        return state.equals("ready") ? ExitCodes.OK : ExitCodes.FAILED;
                    }
                    progress.update(indexed, 0);
                    if (total == 0) {
                        Thread.sleep(50);
                    } else {
                        Thread.sleep(250);
                    }
                }
            }
        }

        @Command(name = "drop", description = "Drop an index.")
        static final class Drop extends Base implements Callable<Integer> {
            @Parameters(index = "0", paramLabel = "DB/COLLECTION")
            String target;

            @Parameters(index = "1", paramLabel = "NAME")
            String name;

            @Override
            public Integer call() {
                printJson(api().delete(Target.collection(target).path("_indexes", name)));
                return ExitCodes.OK;
            }
        }

        static String progress(JsonNode index) {
            JsonNode p = index.path("progress");
            return String.format(
                    Locale.ROOT,
                    "%.0f%% (%,d/%,d)",
                    p.path("fraction").asDouble() * 100,
                    p.path("indexed").asLong(),
                    p.path("total").asLong());
        }

        static String fields(JsonNode index) {
            java.util.List<String> f = new ArrayList<>();
            for (JsonNode field : index.path("fields")) {
                f.add(
                        field.isTextual()
                                ? field.asText()
                                : (field.path("order").asText().equals("desc") ? "-" : "")
                                        + field.path("path").asText());
            }
            return String.join(", ", f);
        }
    }

    @Command(name = "cluster", description = "The cluster's members, their state, and the shards each hosts.")
    static final class Cluster extends Listing implements Callable<Integer> {
        @Override
        public Integer call() {
            JsonNode answer = api().get("/api/v1/_cluster");
            if (output == Rows.Format.json || (output == null && !Terminals.stdoutIsTerminal())) {
                printJson(answer);
                return ExitCodes.OK;
            }
            out().println("this node: " + answer.path("self").asText() + "   leader: "
                    + answer.path("leader").asText("-"));
            for (JsonNode m : answer.path("members")) {
                ObjectNode o = (ObjectNode) m;
                o.put(
                        "shardCount",
                        m.path("shards").isArray() ? m.path("shards").size() : 0);
                o.put("shards", m.path("shards").isArray() ? join(m.path("shards")) : "");
                o.put("roles", join(m.path("roles")));
            }
            list(
                    answer,
                    "members",
                    java.util.List.of("address", "status", "reachable", "roles", "shardCount", "shards"));
            return ExitCodes.OK;
        }

        private static String join(JsonNode array) {
            java.util.List<String> s = new ArrayList<>();
            array.forEach(n -> s.add(n.asText()));
            return String.join(" ", s);
        }
    }

    @Command(
            name = "health",
            description = "Whether the node is live and ready (exit status 0 when ready, 1 when not).")
    static final class Health extends Base implements Callable<Integer> {
        @Override
        public Integer call() {
            int live = api().status("/health");
            int ready = api().status("/ready");
            out().println("live:  " + (live == 200 ? "yes" : "no (HTTP " + live + ")"));
            out().println("ready: " + (ready == 200 ? "yes" : "no (HTTP " + ready + ")"));
            return live == 200 && ready == 200 ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }

    /** {@code role} or {@code role@db}, as the API's role bindings. */
    static ArrayNode roles(java.util.List<String> roles) {
        ArrayNode a = NodeApi.JSON.createArrayNode();
        for (String r : roles) {
            int at = r.indexOf('@');
            if (at < 0) {
                a.add(r);
            } else {
                ObjectNode o = a.addObject();
                o.put("role", r.substring(0, at));
                o.put("database", r.substring(at + 1));
            }
        }
        return a;
    }

    @Command(
            name = "user",
            description = "Users: list, create or update (--role, asks for the password), drop.",
            subcommands = {Users.List.class, Users.Create.class, Users.Drop.class})
    static final class Users {
        @Command(name = "list", description = "List users.")
        static final class List extends Listing implements Callable<Integer> {
            @Override
            public Integer call() {
                JsonNode answer = api().get("/api/v1/_security/users");
                answer.path("users").forEach(u -> ((ObjectNode) u)
                        .put("roles", u.path("roles").toString()));
                list(answer, "users", java.util.List.of("name", "roles", "created"));
                return ExitCodes.OK;
            }
        }

        @Command(name = "create", description = "Create or update a user: --role admin, --role readWrite@shop ...")
        static final class Create extends Base implements Callable<Integer> {
            @Parameters(paramLabel = "NAME")
            String name;

            @Option(
                    names = "--role",
                    required = true,
                    paramLabel = "ROLE[@DB]",
                    description = "a role, everywhere or in one database")
            java.util.List<String> role;

            @Option(
                    names = "--new-password",
                    arity = "0..1",
                    interactive = true,
                    paramLabel = "PASSWORD",
                    description = "the user's password (asked for when given without a value)")
            char[] newPassword;

            @Override
            public Integer call() {
                ObjectNode body = NodeApi.object();
                if (newPassword != null) {
                    body.put("password", new String(newPassword));
                }
                body.set("roles", roles(role));
                printJson(api().put(NodeApi.path("_security", "users", name), body));
                return ExitCodes.OK;
            }
        }

        @Command(name = "drop", description = "Drop a user and revoke its API keys.")
        static final class Drop extends Base implements Callable<Integer> {
            @Parameters(paramLabel = "NAME")
            String name;

            @Override
            public Integer call() {
                printJson(api().delete(NodeApi.path("_security", "users", name)));
                return ExitCodes.OK;
            }
        }
    }

    @Command(
            name = "key",
            description = "API keys: list, create (prints the secret once), revoke.",
            subcommands = {Keys.List.class, Keys.Create.class, Keys.Revoke.class})
    static final class Keys {
        @Command(name = "list", description = "List API keys (never their secrets).")
        static final class List extends Listing implements Callable<Integer> {
            @Override
            public Integer call() {
                JsonNode answer = api().get("/api/v1/_security/keys");
                answer.path("keys").forEach(k -> ((ObjectNode) k)
                        .put("roles", k.path("roles").toString()));
                list(answer, "keys", java.util.List.of("id", "name", "owner", "roles", "expires"));
                return ExitCodes.OK;
            }
        }

        @Command(name = "create", description = "Create an API key; its secret is printed only now.")
        static final class Create extends Base implements Callable<Integer> {
            @Parameters(paramLabel = "NAME", description = "what the key is for")
            String name;

            @Option(names = "--role", required = true, paramLabel = "ROLE[@DB]")
            java.util.List<String> role;

            @Option(names = "--expires", paramLabel = "WHEN", description = "an instant or a duration (P30D, PT12H)")
            String expires;

            @Override
            public Integer call() {
                ObjectNode body = NodeApi.object();
                body.put("name", name);
                body.set("roles", roles(role));
                if (expires != null) {
                    body.put("expires", expires);
                }
                printJson(api().post("/api/v1/_security/keys", body));
                return ExitCodes.OK;
            }
        }

        @Command(name = "revoke", description = "Revoke an API key.")
        static final class Revoke extends Base implements Callable<Integer> {
            @Parameters(paramLabel = "ID")
            String id;

            @Override
            public Integer call() {
                printJson(api().delete(NodeApi.path("_security", "keys", id)));
                return ExitCodes.OK;
            }
        }
    }

    @Command(
            name = "role",
            description = "Roles: list, show.",
            subcommands = {Roles.List.class, Roles.Show.class})
    static final class Roles {
        @Command(name = "list", description = "List roles, built-in ones first.")
        static final class List extends Base implements Callable<Integer> {
            @Override
            public Integer call() {
                printJson(api().get("/api/v1/_security/roles"));
                return ExitCodes.OK;
            }
        }

        @Command(name = "show", description = "A role and what it grants.")
        static final class Show extends Base implements Callable<Integer> {
            @Parameters(paramLabel = "ROLE")
            String role;

            @Override
            public Integer call() {
                printJson(api().get(NodeApi.path("_security", "roles", role)));
                return ExitCodes.OK;
            }
        }
    }
}
