package io.lumadb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every subcommand shares: the root command (connection, streams) and reading bodies. */
abstract class Base {
    @Spec
    CommandSpec spec;

    LumaDbCli root() {
        return (LumaDbCli) spec.root().userObject();
    }

    NodeApi api() {
        return root().api();
    }

    PrintStream out() {
        return root().out();
    }

    PrintStream err() {
        return root().err();
    }

    /** A JSON body from {@code inline} text, else {@code file} ({@code -} for stdin), else stdin. */
    static JsonNode jsonBody(String inline, String file, String what) {
        try {
            if (inline != null) {
                return NodeApi.JSON.readTree(inline);
            }
            InputStream in = file == null || file.equals("-") ? System.in : Files.newInputStream(Path.of(file));
            try (in) {
                JsonNode n = NodeApi.JSON.readTree(in);
                if (n == null || n.isMissingNode()) {
                    throw new CliException(ExitCodes.USAGE, what + ": no JSON given (argument, --file or stdin)");
                }
                return n;
            }
        } catch (NoSuchFileException e) {
            throw new CliException(ExitCodes.USAGE, "no such file: " + file);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CliException(ExitCodes.USAGE, what + " is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot read " + what + ": " + e.getMessage());
        }
    }

    /** Prints a JSON answer: indented for a person, one line for a pipe. */
    void printJson(JsonNode n) {
        try {
            out().println(
                            Terminals.stdoutIsTerminal()
                                    ? NodeApi.JSON
                                            .writerWithDefaultPrettyPrinter()
                                            .writeValueAsString(n)
                                    : NodeApi.JSON.writeValueAsString(n));
            out().flush();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
