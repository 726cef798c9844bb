package io.lumadb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.EOFError;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.ParsedLine;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lumadb shell}: an interactive prompt (JLine) with history, completion and multi-line
 * input. A statement ends with {@code ;}; backslash commands are one line.
 */
@Command(
        name = "shell",
        description = {
            "An interactive prompt: SQL statements and JQL queries, ended by ';' (they may span lines).",
            "  SELECT ... ;                    SQL over the current database (also INSERT, UPDATE, DELETE, CREATE TABLE...)",
            "  find COLL {JQL query} ;         a JQL query ({\"filter\": ..., \"sort\": ...}); {} or nothing for all",
            "  get COLL ID ;                   one document",
            "  \\use DB   \\dbs   \\colls   \\timing   \\format table|json|ndjson|csv   \\pager   \\help   \\q",
            "Tab completes commands, databases, collections and JQL operators. History is kept in"
                    + " ~/.local/state/lumadb/history."
        })
final class ShellCommand extends Base implements Callable<Integer> {
    static final List<String> JQL_WORDS = List.of(
            "\"filter\"",
            "\"sort\"",
            "\"limit\"",
            "\"fields\"",
            "\"count\"",
            "\"aggregate\"",
            "\"distinct\"",
            "\"hint\"",
            "\"explain\"",
            "\"$eq\"",
            "\"$ne\"",
            "\"$gt\"",
            "\"$gte\"",
            "\"$lt\"",
            "\"$lte\"",
            "\"$in\"",
            "\"$nin\"",
            "\"$and\"",
            "\"$or\"",
            "\"$not\"",
            "\"$nor\"",
            "\"$exists\"",
            "\"$type\"",
            "\"$regex\"",
            "\"$size\"",
            "\"$all\"",
            "\"$elemMatch\"",
            "\"$startsWith\"");
    static final List<String> SQL_WORDS = List.of(
            "SELECT",
            "FROM",
            "WHERE",
            "GROUP BY",
            "ORDER BY",
            "HAVING",
            "LIMIT",
            "OFFSET",
            "JOIN",
            "LEFT JOIN",
            "ON",
            "AND",
            "OR",
            "NOT",
            "INSERT INTO",
            "VALUES",
            "UPDATE",
            "SET",
            "DELETE FROM",
            "CREATE TABLE",
            "CREATE INDEX",
            "DROP TABLE",
            "EXPLAIN",
            "COUNT(*)",
            "DISTINCT",
            "UNION",
            "CASE",
            "WHEN",
            "THEN",
            "ELSE",
            "END",
            "AS");
    static final List<String> COMMANDS =
            List.of("find", "get", "\\use", "\\dbs", "\\colls", "\\timing", "\\format", "\\pager", "\\help", "\\q");

    @Parameters(arity = "0..1", paramLabel = "DB", description = "the database to start in")
    String db;

    @Option(
            names = {"-o", "--output"},
            defaultValue = "table",
            description = "table, json, ndjson or csv (default ${DEFAULT-VALUE})")
    Rows.Format format;

    private boolean timing;
    private boolean pager = true;
    private final List<String> databases = new ArrayList<>();
    private final List<String> collections = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        NodeApi api = api();
        api.get("/api/v1"); // fail now, with the reason, if the node is unreachable or refuses us
        refreshDatabases();
        if (db != null) {
            use(db);
        }
        Path history = historyFile();
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            DefaultParser parser = new StatementParser();
            LineReader reader = LineReaderBuilder.builder()
                    .terminal(terminal)
                    .appName("lumadb")
                    .parser(parser)
                    .completer(new ShellCompleter())
                    .variable(LineReader.HISTORY_FILE, history)
                    .variable(LineReader.SECONDARY_PROMPT_PATTERN, "%P -> ")
                    .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                    .build();
            PrintStream out = new PrintStream(terminal.output(), true, StandardCharsets.UTF_8);
            out.println("LumaDB shell on " + api.base() + ". End statements with ';'. \\help for help, \\q to quit.");
            while (true) {
                String line;
                try {
                    line = reader.readLine(prompt());
                } catch (UserInterruptException e) {
                    continue; // Ctrl-C drops the statement being typed
                } catch (EndOfFileException e) {
                    break; // Ctrl-D
                }
                String statement = line.strip();
                if (statement.isEmpty()) {
                    continue;
                }
                if (statement.equals("\\q")
                        || statement.equalsIgnoreCase("quit;")
                        || statement.equalsIgnoreCase("exit;")) {
                    break;
                }
                long start = System.nanoTime();
                try {
                    run(statement, out, terminal);
                } catch (CliException e) {
                    out.println("ERROR: " + e.getMessage());
                } catch (RuntimeException e) {
                    out.println("ERROR: " + e);
                }
                if (timing) {
                    out.printf(Locale.ROOT, "Time: %.3f ms%n", (System.nanoTime() - start) / 1e6);
                }
            }
            reader.getHistory().save();
        }
        return ExitCodes.OK;
    }

    private String prompt() {
        return (db == null ? "lumadb" : db) + "> ";
    }

    private void run(String statement, PrintStream out, Terminal terminal) {
        if (statement.startsWith("\\")) {
            backslash(statement, out);
            return;
        }
        String s = statement.endsWith(";")
                ? statement.substring(0, statement.length() - 1).strip()
                : statement;
        String word = s.split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        switch (word) {
            case "find" -> find(s, buffer);
            case "get" -> get(s, buffer);
            case "use" -> use(s.substring(3).strip());
            default -> {
                requireDb();
                Results.sql(api(), db, s, null, format, buffer, out);
                String first = word.toLowerCase(Locale.ROOT);
                if (first.equals("create") || first.equals("drop")) {
                    refreshCollections();
                }
            }
        }
        show(buffer.toByteArray(), out, terminal);
    }

    private void find(String s, OutputStream out) {
        requireDb();
        String[] parts = s.split("\\s+", 3);
        if (parts.length < 2) {
            throw new CliException(ExitCodes.USAGE, "find COLLECTION {query};");
        }
        JsonNode q = parts.length == 3 ? jsonBody(parts[2], null, "the query") : NodeApi.object();
        if (!q.isObject()) {
            throw new CliException(ExitCodes.USAGE, "a query is a JSON object such as {\"filter\": {...}}");
        }
        Results.jql(api(), new Target(db, parts[1], null), (ObjectNode) q, format, 0, out);
    }

    private void get(String s, OutputStream out) {
        requireDb();
        String[] parts = s.split("\\s+", 3);
        if (parts.length < 3) {
            throw new CliException(ExitCodes.USAGE, "get COLLECTION ID;");
        }
        JsonNode doc = api().get(new Target(db, parts[1], parts[2]).path());
        try (Rows rows = Rows.open(format, out, null)) {
            rows.write(List.of((ObjectNode) doc));
        }
    }

    private void backslash(String statement, PrintStream out) {
        String[] parts = statement.split("\\s+", 2);
        String arg = parts.length > 1 ? parts[1].strip() : null;
        switch (parts[0]) {
            case "\\use", "\\c", "\\connect" -> {
                if (arg == null) {
                    throw new CliException(ExitCodes.USAGE, "\\use DB");
                }
                use(arg);
                out.println("now in database " + db);
            }
            case "\\dbs", "\\l" -> {
                refreshDatabases();
                databases.forEach(out::println);
            }
            case "\\colls", "\\dt" -> {
                requireDb();
                refreshCollections();
                collections.forEach(out::println);
            }
            case "\\timing" -> {
                timing = arg == null ? !timing : arg.equals("on");
                out.println("Timing is " + (timing ? "on." : "off."));
            }
            case "\\format" -> {
                try {
                    format = Rows.Format.valueOf(arg == null ? "" : arg);
                } catch (IllegalArgumentException e) {
                    throw new CliException(ExitCodes.USAGE, "\\format table|json|ndjson|csv");
                }
                out.println("Output format is " + format + ".");
            }
            case "\\pager" -> {
                pager = arg == null ? !pager : arg.equals("on");
                out.println("Pager is " + (pager ? "on." : "off."));
            }
            case "\\help", "\\?", "\\h" ->
                out.println(String.join("\n", spec.usageMessage().description()));
            default -> throw new CliException(ExitCodes.USAGE, "unknown command " + parts[0] + " (\\help lists them)");
        }
    }

    /** Prints a result, through {@code less} when it is longer than the screen (like psql). */
    private void show(byte[] result, PrintStream out, Terminal terminal) {
        int lines = 0;
        for (byte b : result) {
            if (b == '\n') {
                lines++;
            }
        }
        if (pager && lines >= terminal.getHeight() - 1 && terminal.getHeight() > 0 && lessAvailable()) {
            try {
                Process less = new ProcessBuilder("less", "-FRSX")
                        .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
                try (OutputStream in = less.getOutputStream()) {
                    in.write(result);
                } catch (IOException ignored) {
                    // the user quit the pager early
                }
                less.waitFor();
                return;
            } catch (IOException e) {
                // no pager after all: print below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        out.write(result, 0, result.length);
        out.flush();
    }

    private static boolean lessAvailable() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, "less"))) {
                return true;
            }
        }
        return false;
    }

    private void use(String name) {
        Target.database(name);
        api().get(NodeApi.path(name));
        db = name;
        refreshCollections();
    }

    private void requireDb() {
        if (db == null) {
            throw new CliException(ExitCodes.USAGE, "no database: \\use DB first");
        }
    }

    private void refreshDatabases() {
        databases.clear();
        api().get("/api/v1")
                .path("databases")
                .forEach(d -> databases.add(d.path("name").asText()));
    }

    private void refreshCollections() {
        collections.clear();
        if (db != null) {
            api().get(NodeApi.path(db))
                    .path("collections")
                    .forEach(c -> collections.add(c.path("name").asText()));
        }
    }

    private Path historyFile() throws IOException {
        String state = root().env().get("XDG_STATE_HOME");
        Path dir = state != null && !state.isBlank()
                ? Path.of(state, "lumadb")
                : Path.of(System.getProperty("user.home"), ".local", "state", "lumadb");
        Files.createDirectories(dir);
        return dir.resolve("history");
    }

    /** A statement is complete at a {@code ;} outside quotes; a backslash command at the end of its line. */
    static final class StatementParser extends DefaultParser {
        StatementParser() {
            escapeChars(new char[0]);
            quoteChars(new char[0]);
        }

        @Override
        public ParsedLine parse(String line, int cursor, ParseContext context) {
            if (context == ParseContext.ACCEPT_LINE && !complete(line)) {
                throw new EOFError(-1, -1, "statement not ended with ;", "");
            }
            return super.parse(line, cursor, context);
        }

        static boolean complete(String text) {
            String s = text.strip();
            if (s.isEmpty() || s.startsWith("\\") || s.equalsIgnoreCase("quit") || s.equalsIgnoreCase("exit")) {
                return true;
            }
            boolean single = false;
            boolean dbl = false;
            char last = 0;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '\'' && !dbl) {
                    single = !single;
                } else if (c == '"' && !single && (i == 0 || s.charAt(i - 1) != '\\')) {
                    dbl = !dbl;
                }
                if (!Character.isWhitespace(c)) {
                    last = c;
                }
            }
            return !single && !dbl && last == ';';
        }
    }

    /** Completes commands and SQL words, database and collection names, and JQL's words. */
    final class ShellCompleter implements Completer {
        @Override
        public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
            List<String> words = line.words();
            int index = line.wordIndex();
            String first = words.isEmpty() ? "" : words.get(0);
            if (index == 0) {
                COMMANDS.forEach(c -> candidates.add(new Candidate(c)));
                SQL_WORDS.forEach(w -> candidates.add(new Candidate(w.split(" ")[0])));
                return;
            }
            String word = line.word();
            if (first.equals("\\use") || first.equals("\\c")) {
                databases.forEach(d -> candidates.add(new Candidate(d)));
                return;
            }
            if ((first.equals("find") || first.equals("get")) && index == 1) {
                collections.forEach(c -> candidates.add(new Candidate(c)));
                return;
            }
            if (first.equals("find") || word.startsWith("{") || word.startsWith("\"")) {
                String prefix = word.replaceAll("^[{\\[,:]*", "");
                String head = word.substring(0, word.length() - prefix.length());
                JQL_WORDS.forEach(w -> candidates.add(new Candidate(head + w, w, null, null, null, null, false)));
                return;
            }
            collections.forEach(c -> candidates.add(new Candidate(c)));
            SQL_WORDS.forEach(w -> candidates.add(new Candidate(w.split(" ")[0])));
        }
    }
}
