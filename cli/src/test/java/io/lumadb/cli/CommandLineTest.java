package io.lumadb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parts of the command line that need no server: targets, profiles, the shell's statement ends. */
class CommandLineTest {

    @TempDir
    Path home;

    @Test
    void targetsAreParsedAndEncodedPerSegment() {
        assertEquals(new Target("shop", "users", "a/b c"), Target.document("shop/users/a/b c"));
        assertEquals(
                "/api/v1/shop/users/a%2Fb%20c",
                Target.document("shop/users/a/b c").path());
        assertEquals("/api/v1/shop/users/_bulk", Target.collection("shop/users").path("_bulk"));
        for (String bad : List.of("shop", "shop/", "/users", "shop/users/x")) {
            CliException e = assertThrows(CliException.class, () -> Target.collection(bad));
            assertEquals(ExitCodes.USAGE, e.exitCode());
        }
        assertThrows(CliException.class, () -> Target.document("shop/users"));
    }

    @Test
    void settingsComeFromFlagsThenEnvironmentThenProfile() throws Exception {
        Path config = home.resolve("lumadb/config");
        Files.createDirectories(config.getParent());
        Files.writeString(
                config,
                "# LumaDB\n[default]\nurl = http://db:1\nuser = alice\npassword = pw1\n\n[ci]\napi-key = luma_k\n");
        Map<String, String> env = Map.of("XDG_CONFIG_HOME", home.toString());
        ConnectionOptions o = new ConnectionOptions();
        ConnectionOptions.Resolved r = o.resolve(env);
        assertEquals("http://db:1", r.url());
        assertEquals("alice", r.user());
        assertEquals("pw1", r.password());

        r = o.resolve(
                Map.of("XDG_CONFIG_HOME", home.toString(), "LUMADB_URL", "http://env:2", "LUMADB_PASSWORD", "pw2"));
        assertEquals("http://env:2", r.url());
        assertEquals("pw2", r.password());

        o.url = "http://flag:3";
        o.profile = "ci";
        r = o.resolve(env);
        assertEquals("http://flag:3", r.url());
        assertEquals("luma_k", r.apiKey());
        assertEquals(null, r.user());

        o.profile = "missing";
        assertEquals(
                ExitCodes.USAGE,
                assertThrows(CliException.class, () -> o.resolve(env)).exitCode());

        Files.writeString(config, "[default]\ncolour = red\n");
        CliException e = assertThrows(CliException.class, () -> new ConnectionOptions().resolve(env));
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("colour"), e.getMessage());

        ConnectionOptions none = new ConnectionOptions();
        assertEquals(
                ConnectionOptions.DEFAULT_URL,
                none.resolve(Map.of("XDG_CONFIG_HOME", home.resolve("no").toString()))
                        .url());
    }

    @Test
    void aStatementEndsAtASemicolonOutsideQuotes() {
        assertFalse(ShellCommand.StatementParser.complete("SELECT 1"));
        assertTrue(ShellCommand.StatementParser.complete("SELECT 1;"));
        assertTrue(ShellCommand.StatementParser.complete("SELECT 1;  "));
        assertFalse(ShellCommand.StatementParser.complete("SELECT ';"));
        assertTrue(ShellCommand.StatementParser.complete("SELECT ';';"));
        assertFalse(ShellCommand.StatementParser.complete("find c {\"filter\": {\"a\": \"x;\"}"));
        assertTrue(ShellCommand.StatementParser.complete("\\timing"));
        assertTrue(ShellCommand.StatementParser.complete(""));
    }

    @Test
    void idsSortInUtf8ByteOrderAsTheNodeListsThem() {
        List<String> ids = new ArrayList<>(List.of("b", "\uD83D\uDE00", "\uFF21", "a", "ab"));
        ids.sort(ExportCommand.ID_ORDER);
        // U+1F600 (4 UTF-8 bytes starting F0) after U+FF21 (EF BC A1), unlike Java's UTF-16 order
        assertEquals(List.of("a", "ab", "b", "\uFF21", "\uD83D\uDE00"), ids);
    }

    @Test
    void everyCommandHasHelpAndUsageErrorsExitWith2() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        for (String command : List.of(
                "shell",
                "query",
                "sql",
                "get",
                "put",
                "patch",
                "delete",
                "import",
                "export",
                "tail",
                "backup",
                "restore",
                "db",
                "collection",
                "index",
                "cluster",
                "health",
                "user",
                "key",
                "role")) {
            out.reset();
            assertEquals(0, LumaDbCli.run(Map.of(), o, e, command, "--help"), command);
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("Usage: lumadb " + command), out.toString());
        }
        assertEquals(ExitCodes.USAGE, LumaDbCli.run(Map.of(), o, e, "get"));
        assertEquals(ExitCodes.USAGE, LumaDbCli.run(Map.of(), o, e, "frobnicate"));
        assertEquals(ExitCodes.USAGE, LumaDbCli.run(Map.of(), o, e, "import", "shop/users", "--batch-size", "0"));
        out.reset();
        assertEquals(0, LumaDbCli.run(Map.of(), o, e, "generate-completion"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("complete -F"), "a bash completion script");
    }
}
