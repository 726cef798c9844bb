package io.lumadb.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.lumadb.client.ChangeEnvelope;
import io.lumadb.client.ChangeStreamSettings;
import io.lumadb.client.LumaDbClient;
import io.lumadb.client.LumaDbException;
import io.lumadb.client.StartPosition;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lumadb tail}: follows a collection's change stream through the Java client, which
 * resumes after a disconnect or a server restart from the last change it delivered, so nothing
 * is printed twice or skipped.
 */
@Command(
        name = "tail",
        description = {
            "Follow a collection's change stream, printing each change as it comes, until interrupted (or --limit).",
            "It resumes by itself after a disconnect or a restart of the server, from the last change printed;"
                    + " on exit it prints the position to resume from (--from TOKEN).",
        })
final class TailCommand extends Base implements Callable<Integer> {

    enum Output {
        text,
        ndjson
    }

    @Parameters(paramLabel = "DB/COLLECTION")
    String target;

    @Option(
            names = "--from",
            defaultValue = "now",
            paramLabel = "POSITION",
            description = "now, beginning or a resume token (default ${DEFAULT-VALUE})")
    String from;

    @Option(
            names = "--filter",
            paramLabel = "JSON",
            description = "only changes whose document matches this JQL filter")
    String filter;

    @Option(names = "--before", description = "also the document before each change")
    boolean before;

    @Option(names = "--limit", paramLabel = "N", description = "stop after N changes")
    long limit;

    @Option(
            names = {"-o", "--output"},
            defaultValue = "text",
            description = "text (one line per change) or ndjson (the change envelopes); default ${DEFAULT-VALUE}")
    Output output;

    @Override
    public Integer call() throws Exception {
        Target t = Target.collection(target);
        api().get(t.path()); // a clear error now for a wrong URL, credentials or collection
        StartPosition start =
                switch (from) {
                    case "now" -> StartPosition.now();
                    case "beginning" -> StartPosition.beginning();
                    default -> StartPosition.after(from);
                };
        ChangeStreamSettings settings = ChangeStreamSettings.defaults()
                .withIncludeBefore(before)
                .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2)
                .withMaxRetries(-1);
        if (filter != null) {
            settings = settings.withFilter(jsonBody(filter, null, "--filter").toString());
        }
        AtomicReference<String> last = new AtomicReference<>(from);
        AtomicLong seen = new AtomicLong();
        ActorSystem system = ActorSystem.create(
                "lumadb-tail",
                ConfigFactory.parseString(
                                "pekko.loglevel = ERROR\npekko.stdout-loglevel = OFF\npekko.log-dead-letters = off")
                        .withFallback(ConfigFactory.load()));
        Thread hook = new Thread(() -> err().println("resume with: --from " + last.get()));
        Runtime.getRuntime().addShutdownHook(hook);
        try (LumaDbClient client = api().client()) {
            var source = client.changes(t.db(), t.collection(), start, settings);
            if (limit > 0) {
                source = source.take(limit);
            }
            CompletionStage<?> done = source.runWith(
                    Sink.foreach(c -> {
                        print(c);
                        last.set(c.token());
                        seen.incrementAndGet();
                    }),
                    system);
            try {
                done.toCompletableFuture().join();
            } catch (CompletionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof LumaDbException l) {
                    throw new CliException(
                            l.status() == 401 || l.status() == 403 ? ExitCodes.DENIED : ExitCodes.FAILED,
                            "the change stream failed: " + l.getMessage());
                }
                throw new CliException(ExitCodes.FAILED, "the change stream failed: " + cause);
            }
        } finally {
            system.terminate();
        }
        return ExitCodes.OK;
    }

    private void print(ChangeEnvelope c) throws IOException {
        if (output == Output.ndjson) {
            ObjectNode o = NodeApi.object();
            o.put("op", c.op().code());
            o.put("id", c.id());
            o.put("version", c.version());
            o.put("ts", Instant.ofEpochMilli(c.committedAtMillis()).toString());
            if (c.before() != null) {
                o.set("before", c.before());
            }
            if (c.after() != null) {
                o.set("after", c.after());
            }
            o.put("token", c.token());
            out().println(NodeApi.JSON.writeValueAsString(o));
        } else {
            String op =
                    switch (c.op()) {
                        case CREATE -> "create";
                        case UPDATE -> "update";
                        case DELETE -> "delete";
                        default -> c.op().name().toLowerCase(java.util.Locale.ROOT);
                    };
            out().println(Instant.ofEpochMilli(c.committedAtMillis()) + " " + op + " " + c.id() + " v" + c.version()
                    + (c.after() == null ? "" : " " + c.after()));
        }
        out().flush();
    }
}
