package io.lumadb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lumadb get|put|patch|delete DB/COLLECTION/ID}: one document, for scripts. */
final class DocumentCommands {
    private DocumentCommands() {}

    @Command(name = "get", description = "Print a document as JSON (exit status 5 if it does not exist).")
    static final class Get extends Base implements Callable<Integer> {
        @Parameters(paramLabel = "DB/COLLECTION/ID")
        String target;

        @Override
        public Integer call() {
            printJson(api().get(Target.document(target).path()));
            return ExitCodes.OK;
        }
    }

    /** What put and patch share: the body and the precondition. */
    abstract static class Write extends Base implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DB/COLLECTION/ID")
        String target;

        @Parameters(
                index = "1",
                arity = "0..1",
                paramLabel = "JSON",
                description = "the body (default: --file or stdin)")
        String json;

        @Option(
                names = {"-f", "--file"},
                paramLabel = "FILE",
                description = "read the body from this file (- for stdin)")
        String file;

        @Option(
                names = "--if-match",
                paramLabel = "VERSION",
                description = "write only if the document is at this version")
        Long ifMatch;

        String[] headers(String... more) {
            List<String> h = new ArrayList<>(List.of(more));
            if (ifMatch != null) {
                h.add("If-Match");
                h.add("\"" + ifMatch + "\"");
            }
            return h.toArray(String[]::new);
        }

        JsonNode body() {
            JsonNode body = jsonBody(json, file, "the document");
            if (!body.isObject()) {
                throw new CliException(ExitCodes.USAGE, "the document must be a JSON object");
            }
            return body;
        }
    }

    @Command(name = "put", description = "Create or replace a document; prints its id and new version.")
    static final class Put extends Write {
        @Option(names = "--create-only", description = "fail (exit 1, 412) if the document exists")
        boolean createOnly;

        @Override
        public Integer call() {
            byte[] bytes = NodeApi.bytes(body());
            String[] h = createOnly ? headers("If-None-Match", "*") : headers();
            printJson(NodeApi.json(api().send("PUT", Target.document(target).path(), bytes, "application/json", h)));
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "patch",
            description = "Merge-patch a document (RFC 7396: fields set to null are removed); prints the result.")
    static final class Patch extends Write {
        @Override
        public Integer call() {
            byte[] bytes = NodeApi.bytes(body());
            printJson(NodeApi.json(api().send(
                            "PATCH",
                            Target.document(target).path(),
                            bytes,
                            "application/merge-patch+json",
                            headers())));
            return ExitCodes.OK;
        }
    }

    @Command(name = "delete", description = "Delete a document (exit status 5 if it does not exist).")
    static final class Delete extends Base implements Callable<Integer> {
        @Parameters(paramLabel = "DB/COLLECTION/ID")
        String target;

        @Option(
                names = "--if-match",
                paramLabel = "VERSION",
                description = "delete only if the document is at this version")
        Long ifMatch;

        @Override
        public Integer call() {
            String[] h = ifMatch == null ? new String[0] : new String[] {"If-Match", "\"" + ifMatch + "\""};
            JsonNode answer =
                    NodeApi.json(api().send("DELETE", Target.document(target).path(), null, null, h));
            if (!answer.isEmpty()) {
                printJson(answer);
            }
            return ExitCodes.OK;
        }
    }
}
