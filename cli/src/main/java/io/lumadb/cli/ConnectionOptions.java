package io.lumadb.cli;

import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * How to reach a node and who to be. Each setting comes from, in this order: its flag, its
 * environment variable, the profile ({@code --profile}, {@code LUMADB_PROFILE} or {@code
 * default}) in the profile file ({@link Profiles}), and the default.
 */
final class ConnectionOptions {
    static final String DEFAULT_URL = "http://127.0.0.1:8080";

    @Option(
            names = "--url",
            scope = ScopeType.INHERIT,
            paramLabel = "URL",
            description = "the node's HTTP address (env LUMADB_URL; default " + DEFAULT_URL + ")")
    String url;

    @Option(
            names = {"-u", "--user"},
            scope = ScopeType.INHERIT,
            paramLabel = "NAME",
            description = "sign in as this user (env LUMADB_USER)")
    String user;

    @Option(
            names = {"-p", "--password"},
            scope = ScopeType.INHERIT,
            paramLabel = "PASSWORD",
            arity = "0..1",
            interactive = true,
            description = "the user's password; without a value it is asked for (env LUMADB_PASSWORD)")
    char[] password;

    @Option(
            names = "--api-key",
            scope = ScopeType.INHERIT,
            paramLabel = "KEY",
            description = "an API key (luma_...) instead of a user (env LUMADB_API_KEY)")
    String apiKey;

    @Option(
            names = "--ca-cert",
            scope = ScopeType.INHERIT,
            paramLabel = "PEM",
            description = "trust the node's TLS certificate when signed by this CA (env LUMADB_CA_CERT)")
    Path caCert;

    @Option(
            names = "--profile",
            scope = ScopeType.INHERIT,
            paramLabel = "NAME",
            description = "the profile of ~/.config/lumadb/config to use (env LUMADB_PROFILE; default 'default')")
    String profile;

    /** The settings these flags, {@code env} and the profile file give. */
    Resolved resolve(Map<String, String> env) {
        Profiles profiles = Profiles.load(Profiles.location(env));
        String name = first(profile, env.get("LUMADB_PROFILE"));
        if (name != null && !profiles.has(name)) {
            throw new CliException(
                    ExitCodes.USAGE,
                    "no profile '" + name + "' in " + profiles.file() + " (its sections are profiles)");
        }
        Map<String, String> p = profiles.get(name == null ? "default" : name);
        String u = first(user, env.get("LUMADB_USER"), p.get("user"));
        String pw =
                first(password == null ? null : new String(password), env.get("LUMADB_PASSWORD"), p.get("password"));
        String key = first(apiKey, env.get("LUMADB_API_KEY"), p.get("api-key"));
        String ca = first(caCert == null ? null : caCert.toString(), env.get("LUMADB_CA_CERT"), p.get("ca-cert"));
        if (p.containsKey("password") && profiles.readableByOthers()) {
            System.err.println("lumadb: warning: " + profiles.file()
                    + " holds a password and others may read it (chmod 600 " + profiles.file() + ")");
        }
        if (u != null && key != null) {
            throw new CliException(ExitCodes.USAGE, "give a user or an API key, not both");
        }
        if (u != null && pw == null) {
            char[] typed = System.console() == null ? null : System.console().readPassword("Password for %s: ", u);
            if (typed == null) {
                throw new CliException(
                        ExitCodes.USAGE,
                        "no password for user " + u + " (--password, LUMADB_PASSWORD or the profile file)");
            }
            pw = new String(typed);
        }
        String base = first(url, env.get("LUMADB_URL"), p.get("url"), DEFAULT_URL);
        return new Resolved(base, u, pw, key, ca == null ? null : Path.of(ca));
    }

    @SafeVarargs
    private static <T> T first(T... values) {
        for (T v : values) {
            if (v != null && !(v instanceof String s && s.isBlank())) {
                return v;
            }
        }
        return null;
    }

    /** What to connect to and how. */
    record Resolved(String url, String user, String password, String apiKey, Path caCert) {}
}
