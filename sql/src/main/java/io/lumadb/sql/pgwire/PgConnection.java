package io.lumadb.sql.pgwire;

import io.lumadb.security.AuthenticationException;
import io.lumadb.security.Principal;
import io.lumadb.security.Scram;
import io.lumadb.sql.Cancellation;
import io.lumadb.sql.SqlEngine;
import io.lumadb.sql.SqlException;
import io.lumadb.sql.SqlResult;
import io.lumadb.sql.schema.SqlSession;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection speaking the PostgreSQL protocol, version 3: startup (encryption
 * requests are declined, the client goes on in the clear), SCRAM-SHA-256 against LumaDB's users
 * (or no password with security off), then the simple query protocol and the extended one
 * (Parse, Bind, Describe, Execute with row limits, Sync, Close, Flush) over the SQL engine.
 *
 * <p>Messages are handled one at a time, in order: each becomes a source of the bytes it answers,
 * and the next message is read once they are sent, so a client that stops reading holds up only
 * its own statement. Rows stream from the statement's thread through a small bounded queue.
 */
final class PgConnection {

    private static final Logger log = LoggerFactory.getLogger(PgConnection.class);

    /** Marks the end of the connection in the outgoing stream; never sent. */
    private static final ByteString CLOSE = ByteString.fromArray(new byte[] {'X'});

    /** Marks the end of the time to sign in; never sent. */
    private static final ByteString LOGIN_TIMEOUT = ByteString.fromArray(new byte[] {'T'});

    /** Rows are sent in pieces of about this many bytes. */
    private static final int CHUNK_BYTES = 32 * 1024;

    private enum Phase {
        STARTUP,
        SASL_FIRST,
        SASL_FINAL,
        READY
    }

    private final PgServer server;
    private final int processId;
    private final int secret;
    private final String client;
    private final PgFrames frames;

    private Phase phase = Phase.STARTUP;
    private String user;
    private String database;
    private Scram.Exchange scram;
    private volatile Principal principal;
    private PgParameters parameters;
    private final Map<String, String> startupParameters = new HashMap<>();

    private final Map<String, Prepared> statements = new HashMap<>();
    private final Map<String, Portal> portals = new HashMap<>();
    private boolean skipUntilSync;
    /** {@code I} idle, {@code T} in a block, {@code E} in a failed block. */
    private char transaction = 'I';

    private volatile Cancellation running;

    PgConnection(PgServer server, int processId, int secret, String client) {
        this.server = server;
        this.processId = processId;
        this.secret = secret;
        this.client = client;
        this.frames = new PgFrames(server.settings().maxMessageBytes());
    }

    int secret() {
        return secret;
    }

    void cancelRunning() {
        Cancellation c = running;
        if (c != null) {
            c.cancel();
        }
    }

    void closed() {
        cancelRunning();
    }

    /** The connection: the client's bytes in, the answers out. */
    Flow<ByteString, ByteString, NotUsed> flow() {
        Source<ByteString, NotUsed> loginTimer = Source.single(LOGIN_TIMEOUT)
                .initialDelay(server.settings().authenticationTimeout())
                .concat(Source.never());
        return Flow.of(ByteString.class)
                .mapConcat(this::frames)
                .flatMapConcat(this::handle)
                .merge(loginTimer, true)
                .mapConcat(b -> {
                    if (b != LOGIN_TIMEOUT) {
                        return List.of(b);
                    }
                    return phase == Phase.READY
                            ? List.<ByteString>of()
                            : List.of(
                                    new PgOut()
                                            .problem('E', PgError.fatal("08006", "the client did not sign in in time"))
                                            .take(),
                                    CLOSE);
                })
                .takeWhile(b -> b != CLOSE)
                .batchWeighted(256 * 1024, b -> (long) b.size(), b -> b, ByteString::concat);
    }

    private List<PgFrames.Frame> frames(ByteString chunk) {
        try {
            return frames.feed(chunk);
        } catch (PgFrames.ProtocolViolation e) {
            return List.of(
                    new PgFrames.Frame('!', ByteBuffer.wrap(e.getMessage().getBytes(StandardCharsets.UTF_8))));
        }
    }

    private Source<ByteString, NotUsed> handle(PgFrames.Frame frame) {
        try {
            if (frame.type() == '!') {
                return fatal(PgError.fatal(
                        "08P01", StandardCharsets.UTF_8.decode(frame.body()).toString()));
            }
            return switch (phase) {
                case STARTUP -> startup(frame.body());
                case SASL_FIRST, SASL_FINAL -> sasl(frame);
                case READY -> ready(frame);
            };
        } catch (PgError e) {
            return e.fatal() ? fatal(e) : failed(e);
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
            return fatal(PgError.fatal(
                    "08P01", "invalid message format" + (e.getMessage() == null ? "" : ": " + e.getMessage())));
        } catch (RuntimeException e) {
            log.error("Connection {} failed on a message of type '{}'", processId, frame.type(), e);
            return fatal(PgError.fatal("XX000", "internal error: " + e));
        }
    }

    private static Source<ByteString, NotUsed> fatal(PgError e) {
        return Source.from(List.of(new PgOut().problem('E', e).take(), CLOSE));
    }

    // ---- startup and sign-in

    private Source<ByteString, NotUsed> startup(ByteBuffer body) {
        int code = body.getInt();
        if (code == PgFrames.SSL_REQUEST || code == PgFrames.GSSENC_REQUEST) {
            return Source.single(ByteString.fromArray(new byte[] {'N'}));
        }
        if (code == PgFrames.CANCEL_REQUEST) {
            server.cancel(body.getInt(), body.getInt());
            return Source.single(CLOSE);
        }
        int major = code >>> 16;
        int minor = code & 0xFFFF;
        if (major != 3) {
            throw PgError.fatal(
                    "0A000", "unsupported frontend protocol " + major + "." + minor + ": server supports 3.0 to 3.0");
        }
        List<String> unknownOptions = new ArrayList<>();
        while (true) {
            String key = cstring(body);
            if (key.isEmpty()) {
                break;
            }
            String value = cstring(body);
            if (key.startsWith("_pq_.")) {
                unknownOptions.add(key);
            } else {
                startupParameters.put(key, value);
            }
        }
        PgOut out = new PgOut();
        if (minor > 0 || !unknownOptions.isEmpty()) {
            out.negotiateProtocolVersion(0, unknownOptions);
        }
        user = startupParameters.get("user");
        if (user == null || user.isEmpty()) {
            throw PgError.fatal("28000", "no PostgreSQL user name specified in startup packet");
        }
        database = startupParameters.getOrDefault("database", "");
        if (database.isEmpty()) {
            database = user;
        }
        if (startupParameters.containsKey("replication")
                && !startupParameters.get("replication").equalsIgnoreCase("false")) {
            throw PgError.fatal("0A000", "replication connections are not supported");
        }
        if (!server.security().enabled()) {
            principal = Principal.UNRESTRICTED;
            return Source.single(out.take()).concat(signedIn(new PgOut().authenticationOk()));
        }
        phase = Phase.SASL_FIRST;
        out.authenticationSasl(Scram.MECHANISM);
        return Source.single(out.take());
    }

    private Source<ByteString, NotUsed> sasl(PgFrames.Frame frame) {
        if (frame.type() != 'p') {
            throw PgError.fatal("08P01", "expected SASL response, got message type '" + frame.type() + "'");
        }
        ByteBuffer body = frame.body();
        if (phase == Phase.SASL_FIRST) {
            String mechanism = cstring(body);
            if (!mechanism.equals(Scram.MECHANISM)) {
                throw PgError.fatal("08P01", "client selected an invalid SASL authentication mechanism");
            }
            int length = body.getInt();
            String first = length < 0 ? "" : utf8(body, length);
            return later(server.security().scram(user).thenApply(exchange -> {
                scram = exchange;
                try {
                    String serverFirst = exchange.clientFirst(first);
                    phase = Phase.SASL_FINAL;
                    return List.of(
                            new PgOut().authenticationSaslContinue(serverFirst).take());
                } catch (Scram.ProtocolException e) {
                    return List.of(
                            new PgOut()
                                    .problem('E', PgError.fatal("08P01", e.getMessage()))
                                    .take(),
                            CLOSE);
                }
            }));
        }
        String last = utf8(body, body.remaining());
        String serverFinal;
        try {
            serverFinal = scram.clientFinal(last);
            principal = server.security().scramLogin(user, client);
        } catch (AuthenticationException e) {
            server.security().scramLoginFailed(user, e.getMessage(), client);
            throw PgError.fatal("28P01", "password authentication failed for user \"" + user + "\"");
        } catch (Scram.ProtocolException e) {
            throw PgError.fatal("08P01", e.getMessage());
        }
        return signedIn(new PgOut().authenticationSaslFinal(serverFinal).authenticationOk());
    }

    /** After the password: the database must exist, then the parameters and the first ReadyForQuery. */
    private Source<ByteString, NotUsed> signedIn(PgOut out) {
        return later(server.engine().databaseExists(database).thenApply(exists -> {
            if (!exists) {
                out.problem('E', PgError.fatal("3D000", "database \"" + database + "\" does not exist"));
                return List.of(out.take(), CLOSE);
            }
            parameters =
                    new PgParameters(server.serverVersion(), user, principal.kind() == Principal.Kind.UNRESTRICTED);
            try {
                for (Map.Entry<String, String> p : startupParameters.entrySet()) {
                    switch (p.getKey()) {
                        case "user", "database", "replication" -> {}
                        case "options" -> options(p.getValue());
                        default -> parameters.set(p.getKey(), p.getValue());
                    }
                }
            } catch (PgError e) {
                out.problem('E', new PgError("FATAL", e.sqlState(), e.getMessage(), null, e.hint(), 0));
                return List.of(out.take(), CLOSE);
            }
            for (PgParameters.Report r : parameters.reported()) {
                out.parameterStatus(r.name(), r.value());
            }
            out.backendKeyData(processId, secret).readyForQuery('I');
            phase = Phase.READY;
            return List.of(out.take());
        }));
    }

    /** The startup option string: {@code -c name=value} and {@code --name=value}, as libpq's PGOPTIONS. */
    private void options(String options) {
        String[] words = options.trim().split("\\s+");
        for (int i = 0; i < words.length; i++) {
            String setting = null;
            if (words[i].equals("-c") && i + 1 < words.length) {
                setting = words[++i];
            } else if (words[i].startsWith("-c")) {
                setting = words[i].substring(2);
            } else if (words[i].startsWith("--")) {
                setting = words[i].substring(2);
            } else if (!words[i].isEmpty()) {
                throw PgError.fatal("22023", "unsupported startup option \"" + words[i] + "\"; use -c name=value");
            }
            if (setting != null) {
                int eq = setting.indexOf('=');
                if (eq <= 0) {
                    throw PgError.fatal("22023", "-c " + setting + " needs a value: -c name=value");
                }
                parameters.set(setting.substring(0, eq).replace('-', '_'), setting.substring(eq + 1));
            }
        }
    }

    // ---- after sign-in

    private Source<ByteString, NotUsed> ready(PgFrames.Frame frame) {
        char type = frame.type();
        if (type == 'X') {
            return Source.single(CLOSE);
        }
        if (type == 'S') {
            return Source.single(sync());
        }
        if (skipUntilSync) {
            return Source.empty();
        }
        ByteBuffer body = frame.body();
        return switch (type) {
            case 'Q' -> simpleQuery(cstring(body));
            case 'P' -> parse(body);
            case 'B' -> bind(body);
            case 'D' -> describe(body);
            case 'E' -> execute(body);
            case 'C' -> close(body);
            case 'H' -> Source.empty();
            case 'F' -> failed(PgError.error("0A000", "the function call protocol is not supported"));
            case 'd', 'c', 'f' -> Source.empty(); // COPY data outside COPY is ignored, as PostgreSQL does
            default -> fatal(PgError.fatal("08P01", "invalid frontend message type " + (int) type));
        };
    }

    /** An error in the extended protocol: everything up to the next Sync is skipped. */
    private Source<ByteString, NotUsed> failed(PgError e) {
        skipUntilSync = true;
        failTransaction();
        return Source.single(new PgOut().problem('E', e).take());
    }

    private void failTransaction() {
        if (transaction == 'T') {
            transaction = 'E';
        }
    }

    private ByteString sync() {
        skipUntilSync = false;
        if (transaction == 'I') {
            portals.clear(); // the implicit transaction of the messages since the last Sync ends
        }
        return new PgOut().readyForQuery(transaction).take();
    }

    // ---- the simple query protocol

    private Source<ByteString, NotUsed> simpleQuery(String query) {
        List<PgSql.Piece> pieces = PgSql.split(query);
        if (pieces.isEmpty()) {
            return Source.single(
                    new PgOut().emptyQueryResponse().readyForQuery(transaction).take());
        }
        boolean[] stop = {false};
        return pieces(pieces, 0, stop);
    }

    private Source<ByteString, NotUsed> pieces(List<PgSql.Piece> pieces, int index, boolean[] stop) {
        if (index == pieces.size() || stop[0]) {
            return Source.lazySingle(
                            () -> new PgOut().readyForQuery(transaction).take())
                    .mapMaterializedValue(m -> NotUsed.getInstance());
        }
        PgSql.Piece piece = pieces.get(index);
        Source<ByteString, NotUsed> one;
        try {
            one = simpleStatement(piece, () -> {
                stop[0] = true;
                failTransaction();
            });
        } catch (PgError e) {
            if (e.fatal()) {
                return fatal(e);
            }
            stop[0] = true;
            failTransaction();
            one = Source.single(
                    new PgOut().problem('E', shifted(e, piece.offset())).take());
        }
        return one.concat(Source.lazySource(() -> pieces(pieces, index + 1, stop))
                .mapMaterializedValue(m -> NotUsed.getInstance()));
    }

    private static PgError shifted(PgError e, int offset) {
        return e.position() <= 0
                ? e
                : new PgError(e.severity(), e.sqlState(), e.getMessage(), e.detail(), e.hint(), e.position() + offset);
    }

    private Source<ByteString, NotUsed> simpleStatement(PgSql.Piece piece, Runnable onError) {
        String sql = piece.text();
        PgCommands.Command command = PgCommands.parse(sql);
        refuseInFailedBlock(command);
        if (command != null) {
            PgOut out = new PgOut();
            local(command, out, true);
            return Source.single(out.take());
        }
        PgSql.Positional positional = PgSql.positional(sql, List.of());
        if (positional.parameterCount() > 0) {
            throw new PgError(
                    "ERROR", "42P02", "there is no parameter $" + positional.parameterOf()[0], null, null, 0);
        }
        IntUnaryOperator shift = p -> positional.original(p) + piece.offset();
        return run(positional.text(), List.of(), null, !writes(sql), tag(sql), shift, onError);
    }

    private void refuseInFailedBlock(PgCommands.Command command) {
        if (transaction == 'E'
                && !(command instanceof PgCommands.Rollback)
                && !(command instanceof PgCommands.Commit)) {
            throw PgError.error(
                    "25P02", "current transaction is aborted, commands ignored until end of transaction block");
        }
    }

    private static String tag(String sql) {
        return PgSql.words(sql, 1).equals("EXPLAIN") ? "EXPLAIN" : "SELECT";
    }

    /** Whether {@code sql} writes (and so answers no rows, nor their description). */
    private static boolean writes(String sql) {
        String first = PgSql.words(sql, 1);
        return first.equals("INSERT")
                || first.equals("UPDATE")
                || first.equals("DELETE")
                || first.equals("CREATE")
                || first.equals("DROP")
                || first.equals("ALTER");
    }

    /**
     * PostgreSQL's command tag of a write ({@code INSERT 0 n}, {@code UPDATE n}, {@code DELETE n})
     * or of a definition ({@code CREATE TABLE}: no count).
     */
    private static String tag(SqlResult.Written written) {
        if (written.count() < 0) {
            return written.command();
        }
        return (written.command().equals("INSERT") ? "INSERT 0 " : written.command() + " ") + written.count();
    }

    // ---- commands answered here

    /** Runs {@code command}, writing what it answers (with its row description when {@code describe}). */
    private void local(PgCommands.Command command, PgOut out, boolean describe) {
        switch (command) {
            case PgCommands.Begin b -> {
                if (transaction != 'I') {
                    out.problem(
                            'N',
                            new PgError(
                                    "WARNING", "25001", "there is already a transaction in progress", null, null, 0));
                } else {
                    transaction = 'T';
                }
                out.commandComplete("BEGIN");
            }
            case PgCommands.Commit c -> {
                if (transaction == 'I') {
                    out.problem(
                            'N', new PgError("WARNING", "25P01", "there is no transaction in progress", null, null, 0));
                }
                boolean failedBlock = transaction == 'E';
                endBlock();
                out.commandComplete(failedBlock ? "ROLLBACK" : "COMMIT");
            }
            case PgCommands.Rollback r -> {
                if (transaction == 'I') {
                    out.problem(
                            'N', new PgError("WARNING", "25P01", "there is no transaction in progress", null, null, 0));
                }
                endBlock();
                out.commandComplete("ROLLBACK");
            }
            case PgCommands.Set s -> {
                PgParameters.Report report = parameters.set(s.name(), s.value());
                if (report != null) {
                    out.parameterStatus(report.name(), report.value());
                }
                out.commandComplete("SET");
            }
            case PgCommands.SetNothing s -> out.commandComplete("SET");
            case PgCommands.Reset r -> {
                if (r.name() == null) {
                    parameters.resetAll().forEach(p -> out.parameterStatus(p.name(), p.value()));
                } else {
                    PgParameters.Report report = parameters.set(r.name(), null);
                    if (report != null) {
                        out.parameterStatus(report.name(), report.value());
                    }
                }
                out.commandComplete("RESET");
            }
            case PgCommands.Show s -> {
                List<String[]> rows = s.name() == null
                        ? parameters.all()
                        : List.<String[]>of(new String[] {parameters.get(s.name())});
                if (describe) {
                    out.rowDescription(localColumns(s));
                }
                rows.forEach(row -> dataRow(out, row));
                out.commandComplete("SHOW");
            }
            case PgCommands.Discard d -> {
                statements.clear();
                portals.clear();
                parameters.resetAll().forEach(p -> out.parameterStatus(p.name(), p.value()));
                out.commandComplete("DISCARD ALL");
            }
            case PgCommands.Deallocate d -> {
                if (d.name() == null) {
                    statements.clear();
                } else if (statements.remove(d.name()) == null) {
                    throw PgError.error("26000", "prepared statement \"" + d.name() + "\" does not exist");
                }
                out.commandComplete("DEALLOCATE");
            }
        }
    }

    private void endBlock() {
        transaction = 'I';
        portals.clear();
    }

    private static void dataRow(PgOut out, String[] values) {
        out.begin('D').int16(values.length);
        for (String v : values) {
            byte[] b = v.getBytes(StandardCharsets.UTF_8);
            out.int32(b.length).bytes(b);
        }
        out.end();
    }

    /** The columns of {@code command}'s answer, or null if it answers none. */
    private static List<PgOut.Field> localColumns(PgCommands.Command command) {
        if (command instanceof PgCommands.Show s) {
            return s.name() == null
                    ? List.of(new PgOut.Field("name", PgType.TEXT, 0), new PgOut.Field("setting", PgType.TEXT, 0))
                    : List.of(new PgOut.Field(s.name().toLowerCase(java.util.Locale.ROOT), PgType.TEXT, 0));
        }
        return null;
    }

    // ---- the extended query protocol

    /** A parsed statement: a command answered here, or SQL for the engine with its parameter and column types. */
    private record Prepared(
            String sql,
            PgCommands.Command command,
            PgSql.Positional positional,
            List<PgType> parameterTypes,
            List<PgType> readAs,
            List<PgOut.Field> columns,
            boolean empty) {}

    /** A bound statement, with its parameters and result formats, and the rows not yet sent. */
    private static final class Portal {
        final Prepared statement;
        final List<Object> parameters;
        final int[] resultFormats;
        List<Object[]> buffered;
        int sent;
        boolean done;

        Portal(Prepared statement, List<Object> parameters, int[] resultFormats) {
            this.statement = statement;
            this.parameters = parameters;
            this.resultFormats = resultFormats;
        }
    }

    private Source<ByteString, NotUsed> parse(ByteBuffer body) {
        String name = cstring(body);
        String query = cstring(body);
        int count = body.getShort() & 0xFFFF;
        List<PgType> declared = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int oid = body.getInt();
            PgType type = oid == 0 ? null : PgType.ofOid(oid);
            if (oid != 0 && type == null) {
                return failed(PgError.error("0A000", "parameters of the type with OID " + oid + " are not supported"));
            }
            declared.add(type == PgType.UNKNOWN ? null : type);
        }
        if (!name.isEmpty() && statements.containsKey(name)) {
            return failed(PgError.error("42P05", "prepared statement \"" + name + "\" already exists"));
        }
        List<PgSql.Piece> pieces = PgSql.split(query);
        if (pieces.size() > 1) {
            return failed(PgError.error("42601", "cannot insert multiple commands into a prepared statement"));
        }
        if (pieces.isEmpty()) {
            List<PgType> types =
                    declared.stream().map(t -> t == null ? PgType.TEXT : t).toList();
            statements.put(name, new Prepared(query, null, null, types, types, null, true));
            return Source.single(new PgOut().parseComplete().take());
        }
        PgCommands.Command command = PgCommands.parse(query);
        refuseInFailedBlock(command);
        if (command != null) {
            statements.put(
                    name, new Prepared(query, command, null, List.of(), List.of(), localColumns(command), false));
            return Source.single(new PgOut().parseComplete().take());
        }
        return later(prepare(query, declared, false).handle((prepared, failure) -> {
            if (failure != null) {
                PgError e = errorOf(failure, p -> p);
                skipUntilSync = true;
                failTransaction();
                return List.of(new PgOut().problem('E', e).take());
            }
            statements.put(name, prepared);
            return List.of(new PgOut().parseComplete().take());
        }));
    }

    /**
     * Plans {@code query} for its parameter and column types. A parameter declared with a type
     * other than text is cast to it. One declared as text (drivers declare every string so) or not
     * at all takes the type its use implies, and its text is read as that type: {@code n = $1}
     * with {@code '42'} compares numbers, and {@code 'forty-two'} is refused as PostgreSQL refuses
     * a bad literal. Where the use implies no type ({@code SELECT $1}), such a parameter is text,
     * as in PostgreSQL.
     */
    private CompletionStage<Prepared> prepare(String query, List<PgType> declared, boolean textWhereUnknown) {
        List<String> casts = new ArrayList<>();
        for (PgType t : declared) {
            casts.add(t != null && !t.textual() ? t.sqlCast() : null);
        }
        if (textWhereUnknown) {
            int count = PgSql.positional(query, casts).parameterCount();
            for (int n = 1; n <= count; n++) {
                if (n > casts.size()) {
                    casts.add("VARCHAR");
                } else if (casts.get(n - 1) == null) {
                    casts.set(n - 1, "VARCHAR");
                }
            }
        }
        PgSql.Positional positional = PgSql.positional(query, casts);
        IntUnaryOperator shift = positional::original;
        return server.engine()
                .describe(database, positional.text(), sight())
                .thenApply(description -> prepared(query, positional, declared, description))
                .exceptionallyCompose(failure -> {
                    Throwable cause =
                            failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                                    ? failure.getCause()
                                    : failure;
                    if (!textWhereUnknown
                            && cause instanceof SqlException e
                            && e.getMessage() != null
                            && e.getMessage().contains("dynamic parameter")) {
                        return prepare(query, declared, true);
                    }
                    return CompletableFuture.failedFuture(errorOf(cause, shift));
                });
    }

    private static Prepared prepared(
            String query, PgSql.Positional positional, List<PgType> declared, SqlEngine.Description description) {
        List<PgType> reported = new ArrayList<>();
        List<PgType> readAs = new ArrayList<>();
        int[] of = positional.parameterOf();
        for (int n = 1; n <= positional.parameterCount(); n++) {
            PgType given = n <= declared.size() ? declared.get(n - 1) : null;
            PgType implied = null;
            for (int k = 0; k < of.length && implied == null; k++) {
                if (of[k] == n && k < description.parameters().size()) {
                    implied = PgType.ofSql(description.parameters().get(k).type());
                }
            }
            PgType type = given != null && !given.textual() ? given : implied != null ? implied : PgType.TEXT;
            readAs.add(type);
            reported.add(given != null ? given : type);
        }
        List<PgOut.Field> columns = new ArrayList<>();
        for (SqlResult.Column c : description.columns()) {
            columns.add(new PgOut.Field(c.name(), PgType.ofSql(c.type()), 0));
        }
        if (!description.rows()) {
            columns = null; // a write: NoData
        }
        return new Prepared(
                query,
                null,
                positional,
                List.copyOf(reported),
                List.copyOf(readAs),
                columns == null ? null : List.copyOf(columns),
                false);
    }

    private Source<ByteString, NotUsed> bind(ByteBuffer body) {
        String portalName = cstring(body);
        String statementName = cstring(body);
        Prepared statement = statements.get(statementName);
        if (statement == null) {
            return failed(PgError.error(
                    "26000",
                    statementName.isEmpty()
                            ? "unnamed prepared statement does not exist"
                            : "prepared statement \"" + statementName + "\" does not exist"));
        }
        if (!portalName.isEmpty() && portals.containsKey(portalName)) {
            return failed(PgError.error("42P03", "portal \"" + portalName + "\" already exists"));
        }
        int formatCount = body.getShort() & 0xFFFF;
        int[] formats = new int[formatCount];
        for (int i = 0; i < formatCount; i++) {
            formats[i] = body.getShort();
        }
        int count = body.getShort() & 0xFFFF;
        int expected = statement.parameterTypes().size();
        if (count != expected) {
            return failed(PgError.error(
                    "08P01",
                    "bind message supplies " + count + " parameters, but prepared statement \"" + statementName
                            + "\" requires " + expected));
        }
        if (formatCount > 1 && formatCount != count) {
            return failed(PgError.error(
                    "08P01", "bind message has " + formatCount + " parameter formats but " + count + " parameters"));
        }
        List<Object> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int length = body.getInt();
            if (length < -1 || length > body.remaining()) {
                throw PgError.fatal("08P01", "invalid parameter length " + length);
            }
            if (length == -1) {
                values.add(null);
                continue;
            }
            ByteBuffer value = body.slice(body.position(), length);
            body.position(body.position() + length);
            int format = formatCount == 0 ? 0 : formats[formatCount == 1 ? 0 : i];
            PgType type = format == 0
                    ? statement.readAs().get(i)
                    : statement.parameterTypes().get(i);
            try {
                values.add(
                        format == 0
                                ? type.parseText(
                                        StandardCharsets.UTF_8.decode(value).toString())
                                : type.parseBinary(value));
            } catch (PgError e) {
                return failed(new PgError(
                        "ERROR", e.sqlState(), e.getMessage() + " (parameter $" + (i + 1) + ")", null, null, 0));
            }
        }
        int resultCount = body.getShort() & 0xFFFF;
        int[] resultFormats = new int[resultCount];
        for (int i = 0; i < resultCount; i++) {
            resultFormats[i] = body.getShort();
            if (resultFormats[i] != 0 && resultFormats[i] != 1) {
                return failed(PgError.error("22023", "unsupported format code: " + resultFormats[i]));
            }
        }
        List<PgOut.Field> columns = statement.columns();
        if (columns != null && resultCount > 1 && resultCount != columns.size()) {
            return failed(PgError.error(
                    "08P01",
                    "bind message has " + resultCount + " result formats but query has " + columns.size()
                            + " columns"));
        }
        // The engine's parameters in the order of the statement's '?'.
        List<Object> positional = new ArrayList<>();
        if (statement.positional() != null) {
            for (int n : statement.positional().parameterOf()) {
                positional.add(values.get(n - 1));
            }
        }
        portals.put(portalName, new Portal(statement, positional, resultFormats));
        return Source.single(new PgOut().bindComplete().take());
    }

    private Source<ByteString, NotUsed> describe(ByteBuffer body) {
        char kind = (char) body.get();
        String name = cstring(body);
        PgOut out = new PgOut();
        if (kind == 'S') {
            Prepared statement = statements.get(name);
            if (statement == null) {
                return failed(PgError.error("26000", "prepared statement \"" + name + "\" does not exist"));
            }
            out.parameterDescription(statement.parameterTypes());
            rowDescription(out, statement.columns(), new int[0]);
        } else if (kind == 'P') {
            Portal portal = portals.get(name);
            if (portal == null) {
                return failed(PgError.error("34000", "portal \"" + name + "\" does not exist"));
            }
            rowDescription(out, portal.statement.columns(), portal.resultFormats);
        } else {
            return fatal(PgError.fatal("08P01", "invalid DESCRIBE message subtype " + (int) kind));
        }
        return Source.single(out.take());
    }

    private static void rowDescription(PgOut out, List<PgOut.Field> columns, int[] formats) {
        if (columns == null) {
            out.noData();
            return;
        }
        List<PgOut.Field> fields = new ArrayList<>(columns.size());
        for (int i = 0; i < columns.size(); i++) {
            PgOut.Field c = columns.get(i);
            fields.add(new PgOut.Field(c.name(), c.type(), format(formats, i)));
        }
        out.rowDescription(fields);
    }

    private static int format(int[] formats, int column) {
        return formats.length == 0 ? 0 : formats[formats.length == 1 ? 0 : column];
    }

    private Source<ByteString, NotUsed> execute(ByteBuffer body) {
        String name = cstring(body);
        int maxRows = body.getInt();
        Portal portal = portals.get(name);
        if (portal == null) {
            return failed(PgError.error("34000", "portal \"" + name + "\" does not exist"));
        }
        Prepared statement = portal.statement;
        if (statement.empty()) {
            return Source.single(new PgOut().emptyQueryResponse().take());
        }
        if (statement.command() != null) {
            PgOut out = new PgOut();
            local(statement.command(), out, false);
            return Source.single(out.take());
        }
        if (transaction == 'E') {
            return failed(PgError.error(
                    "25P02", "current transaction is aborted, commands ignored until end of transaction block"));
        }
        if (portal.done) {
            return Source.single(
                    new PgOut().commandComplete(tag(statement.sql()) + " 0").take());
        }
        if (portal.buffered != null) {
            return Source.single(nextRows(portal, maxRows));
        }
        IntUnaryOperator shift = statement.positional()::original;
        Runnable onError = () -> {
            skipUntilSync = true;
            failTransaction();
        };
        if (maxRows <= 0 || statement.columns() == null) {
            // Everything at once: no row limit, or a write (which answers no rows to limit).
            portal.done = true;
            return run(
                    statement.positional().text(),
                    portal.parameters,
                    portal,
                    false,
                    tag(statement.sql()),
                    shift,
                    onError);
        }
        // A row limit: the answer is read whole into the portal (up to lumadb.sql.max-rows) and
        // handed out in pieces of the size asked for.
        Collecting all = new Collecting(server.engine().settings().maxRows());
        Cancellation cancellation = new Cancellation();
        running = cancellation;
        return later(server.engine().stream(
                        database, statement.positional().text(), portal.parameters, sight(), all, cancellation)
                .handle((read, failure) -> {
                    if (failure != null) {
                        onError.run();
                        return List.of(new PgOut()
                                .problem('E', errorOf(failure, shift))
                                .take());
                    }
                    portal.buffered = all.rows;
                    return List.of(nextRows(portal, maxRows));
                }));
    }

    private ByteString nextRows(Portal portal, int maxRows) {
        PgOut out = new PgOut();
        List<PgOut.Field> columns = portal.statement.columns();
        int end = maxRows <= 0 ? portal.buffered.size() : Math.min(portal.buffered.size(), portal.sent + maxRows);
        for (int i = portal.sent; i < end; i++) {
            Rows.dataRow(out, columns, portal.resultFormats, portal.buffered.get(i));
        }
        portal.sent = end;
        if (end < portal.buffered.size()) {
            out.portalSuspended();
        } else {
            portal.done = true;
            out.commandComplete(tag(portal.statement.sql()) + " " + portal.buffered.size());
            portal.buffered = List.of();
        }
        return out.take();
    }

    private Source<ByteString, NotUsed> close(ByteBuffer body) {
        char kind = (char) body.get();
        String name = cstring(body);
        if (kind == 'S') {
            statements.remove(name);
        } else if (kind == 'P') {
            portals.remove(name);
        } else {
            return fatal(PgError.fatal("08P01", "invalid CLOSE message subtype " + (int) kind));
        }
        return Source.single(new PgOut().closeComplete().take());
    }

    // ---- running statements

    /** What the signed-in user may see now (its roles as the catalog has them at this moment). */
    private SqlSession.Sight sight() {
        try {
            principal = server.security().current(principal);
        } catch (AuthenticationException e) {
            throw PgError.fatal("28000", e.getMessage());
        }
        return SqlSession.Sight.of(server.security(), principal);
    }

    private PgError errorOf(Throwable failure, IntUnaryOperator shift) {
        PgError e = PgError.of(failure, shift);
        if (PgError.isInternal(e)) {
            log.error("A statement over the PostgreSQL protocol failed (connection {})", processId, failure);
        }
        return e;
    }

    /**
     * Runs {@code sql} and streams its answer: the row description when {@code describe}, the rows
     * in the portal's formats (text without a portal), then the command tag, or the error.
     */
    private Source<ByteString, NotUsed> run(
            String sql,
            List<Object> params,
            Portal portal,
            boolean describe,
            String tag,
            IntUnaryOperator shift,
            Runnable onError) {
        SqlSession.Sight sight = sight();
        Cancellation cancellation = new Cancellation();
        running = cancellation;
        long patience = server.engine().settings().timeout().toMillis();
        return Source.<ByteString>queue(4, OverflowStrategy.backpressure()).mapMaterializedValue(queue -> {
            Rows rows = new Rows(queue, describe, portal == null ? new int[0] : portal.resultFormats, patience) {
                @Override
                public void finish(Long read, Throwable failure) {
                    try {
                        if (failure == null) {
                            out.commandComplete(written != null ? tag(written) : tag + " " + count);
                        } else {
                            onError.run();
                            out.problem('E', errorOf(failure, shift));
                        }
                        flush();
                    } catch (Exception gone) {
                        // the client went away; nobody to tell
                    } finally {
                        queue.complete();
                    }
                }
            };
            // The sink's last words are written on the statement's thread (finish), never here:
            // this is the stream's thread, which must go on to take what the sink offers.
            server.engine().stream(database, sql, params, sight, rows, cancellation);
            return NotUsed.getInstance();
        });
    }

    /** A sink that keeps a statement's raw rows, up to a limit. */
    private static final class Collecting implements SqlEngine.RowSink {
        private final int max;
        final List<Object[]> rows = new ArrayList<>();

        Collecting(int max) {
            this.max = max;
        }

        @Override
        public void columns(List<SqlResult.Column> columns) {}

        @Override
        public void row(Object[] row) {
            if (rows.size() == max) {
                throw new SqlException(
                        SqlException.Kind.TOO_LARGE,
                        "54000",
                        "the answer has more than " + max + " rows (lumadb.sql.max-rows), too many to fetch in"
                                + " pieces; fetch it whole (no row limit on Execute), which streams any number");
            }
            rows.add(row);
        }

        @Override
        public boolean raw() {
            return true;
        }
    }

    /** Rows from the statement's thread, encoded there, into the connection's queue in pieces. */
    private static class Rows implements SqlEngine.RowSink {
        final SourceQueueWithComplete<ByteString> queue;
        final PgOut out = new PgOut(CHUNK_BYTES + 1024);
        final boolean describe;
        final int[] formats;
        final long patienceMillis;
        List<PgOut.Field> columns;
        long count;
        SqlResult.Written written;

        @Override
        public void written(SqlResult.Written done) {
            written = done;
        }

        @Override
        public void notice(String message) {
            out.problem('N', new PgError("NOTICE", "00000", message, null, null, 0));
        }

        Rows(SourceQueueWithComplete<ByteString> queue, boolean describe, int[] formats, long patienceMillis) {
            this.queue = queue;
            this.describe = describe;
            this.formats = formats;
            this.patienceMillis = patienceMillis;
        }

        @Override
        public boolean raw() {
            return true;
        }

        @Override
        public void columns(List<SqlResult.Column> given) {
            List<PgOut.Field> fields = new ArrayList<>(given.size());
            for (SqlResult.Column c : given) {
                fields.add(new PgOut.Field(c.name(), PgType.ofSql(c.type()), 0));
            }
            columns = fields;
            if (describe) {
                rowDescription(out, fields, formats);
            }
        }

        @Override
        public void row(Object[] row) throws Exception {
            dataRow(out, columns, formats, row);
            count++;
            if (out.size() >= CHUNK_BYTES) {
                flush();
            }
        }

        static void dataRow(PgOut out, List<PgOut.Field> columns, int[] formats, Object[] row) {
            out.begin('D').int16(row.length);
            for (int i = 0; i < row.length; i++) {
                Object v = row[i];
                if (v == null) {
                    out.int32(-1);
                    continue;
                }
                PgType type = columns.get(i).type();
                byte[] bytes =
                        format(formats, i) == 1 ? type.binary(v) : type.text(v).getBytes(StandardCharsets.UTF_8);
                out.int32(bytes.length).bytes(bytes);
            }
            out.end();
        }

        void flush() throws Exception {
            if (out.size() == 0) {
                return;
            }
            QueueOfferResult result =
                    queue.offer(out.take()).toCompletableFuture().get(patienceMillis, TimeUnit.MILLISECONDS);
            if (!(result instanceof QueueOfferResult.Enqueued$)) {
                throw new java.util.concurrent.CancellationException("the client went away");
            }
        }
    }

    // ---- helpers

    /**
     * The bytes a stage answers, as a source (a {@link #CLOSE} among them ends the connection); a
     * stage that fails where it should have answered an error ends the connection with one.
     */
    private Source<ByteString, NotUsed> later(CompletionStage<List<ByteString>> answer) {
        return Source.completionStage(answer.exceptionally(failure -> {
                    PgError e = errorOf(failure, p -> p);
                    return List.of(
                            new PgOut()
                                    .problem('E', new PgError("FATAL", e.sqlState(), e.getMessage(), null, null, 0))
                                    .take(),
                            CLOSE);
                }))
                .mapConcat(list -> list);
    }

    private static String cstring(ByteBuffer b) {
        int start = b.position();
        int end = start;
        while (end < b.limit() && b.get(end) != 0) {
            end++;
        }
        if (end == b.limit()) {
            throw new IllegalArgumentException("a string is not terminated");
        }
        String s = new String(b.array(), b.arrayOffset() + start, end - start, StandardCharsets.UTF_8);
        b.position(end + 1);
        return s;
    }

    private static String utf8(ByteBuffer b, int length) {
        if (length > b.remaining()) {
            throw new IllegalArgumentException("a length runs past the end of the message");
        }
        String s = new String(b.array(), b.arrayOffset() + b.position(), length, StandardCharsets.UTF_8);
        b.position(b.position() + length);
        return s;
    }
}
