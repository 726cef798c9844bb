package io.lumadb.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code lumadb}, the command line of LumaDB. Every subcommand answers {@code --help}; exit
 * statuses are {@link ExitCodes}, the same for all of them.
 */
@Command(
        name = "lumadb",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        scope = CommandLine.ScopeType.INHERIT,
        versionProvider = LumaDbCli.Version.class,
        description = "The LumaDB command line: shell, queries, documents, import and export, backup and restore,"
                + " change tails and administration.",
        footer = {
            "",
            ExitCodes.HELP,
            "",
            "Connection: flags, then LUMADB_URL / LUMADB_USER / LUMADB_PASSWORD /"
                    + " LUMADB_API_KEY / LUMADB_CA_CERT, then the profile file ~/.config/lumadb/config."
        },
        subcommands = {
            ShellCommand.class,
            QueryCommand.class,
            SqlCommand.class,
            DocumentCommands.Get.class,
            DocumentCommands.Put.class,
            DocumentCommands.Patch.class,
            DocumentCommands.Delete.class,
            ImportCommand.class,
            ExportCommand.class,
            TailCommand.class,
            BackupCommand.class,
            RestoreCommand.class,
            AdminCommands.Databases.class,
            AdminCommands.Collections.class,
            AdminCommands.Indexes.class,
            AdminCommands.Cluster.class,
            AdminCommands.Health.class,
            AdminCommands.Users.class,
            AdminCommands.Keys.class,
            AdminCommands.Roles.class,
            AutoComplete.GenerateCompletion.class,
        })
public final class LumaDbCli implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    private final Map<String, String> env;
    private final PrintStream out;
    private final PrintStream err;
    private NodeApi api;

    LumaDbCli(Map<String, String> env, PrintStream out, PrintStream err) {
        this.env = env;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(
                new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8);
        PrintStream err =
                new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true, StandardCharsets.UTF_8);
        int status = run(System.getenv(), out, err, args);
        out.flush();
        err.flush();
        System.exit(status);
    }

    /** Runs one command line; answers its exit status. */
    static int run(Map<String, String> env, PrintStream out, PrintStream err, String... args) {
        LumaDbCli root = new LumaDbCli(env, out, err);
        CommandLine cli = commandLine(root);
        try {
            return cli.execute(args);
        } finally {
            root.close();
        }
    }

    static CommandLine commandLine(LumaDbCli root) {
        CommandLine cli = new CommandLine(root);
        cli.setOut(new PrintWriter(root.out, true));
        cli.setErr(new PrintWriter(root.err, true));
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            root.out.flush();
            if (e instanceof CliException c) {
                root.err.println("lumadb: " + c.getMessage());
                return c.exitCode();
            }
            if (e instanceof java.io.UncheckedIOException u && u.getCause() != null) {
                root.err.println("lumadb: " + u.getCause().getMessage());
                return ExitCodes.FAILED;
            }
            root.err.println("lumadb: unexpected failure: " + e);
            e.printStackTrace(root.err);
            return ExitCodes.FAILED;
        });
        cli.getSubcommands()
                .get("generate-completion")
                .getCommandSpec()
                .usageMessage()
                .hidden(false);
        return cli;
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, out);
        return ExitCodes.USAGE;
    }

    /** The connection to the node, made on first use from the connection options. */
    NodeApi api() {
        if (api == null) {
            api = new NodeApi(connection.resolve(env));
        }
        return api;
    }

    Map<String, String> env() {
        return env;
    }

    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }

    void close() {
        if (api != null) {
            api.close();
        }
    }

    /** The version of the command line, from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = LumaDbCli.class.getPackage().getImplementationVersion();
            return new String[] {"lumadb " + (v == null ? "0.1.0-SNAPSHOT" : v)};
        }
    }
}
