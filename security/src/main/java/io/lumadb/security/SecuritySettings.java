package io.lumadb.security;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.lumadb.security.tokens.JwtSettings;
import java.time.Duration;

/**
 * Settings under {@code lumadb.security} (documented in the node's {@code application.conf}).
 *
 * @param enabled whether callers must authenticate and are checked against their roles
 * @param adminPassword the first admin's password on a fresh catalog; empty: generate one
 * @param passwordCost Argon2id cost of new password hashes
 * @param credentialCacheSize how many verified HTTP Basic credentials a node remembers
 * @param hashThreads threads that verify passwords (Argon2id is deliberately slow)
 * @param refreshInterval how often a node re-reads the catalog even without a change notice
 * @param askTimeout how long a node waits for the security catalog
 * @param jwt bearer tokens: LumaDB's own and an external identity provider's
 */
public record SecuritySettings(
        boolean enabled,
        String adminPassword,
        PasswordHasher.Cost passwordCost,
        int credentialCacheSize,
        int hashThreads,
        Duration refreshInterval,
        Duration askTimeout,
        JwtSettings jwt) {

    /** Security off, for tests that build the API without a node. */
    public static final SecuritySettings OFF = new SecuritySettings(
            false, "", PasswordHasher.DEFAULT, 0, 1, Duration.ofSeconds(30), Duration.ofSeconds(10));

    /** Settings with the default token settings. */
    public SecuritySettings(
            boolean enabled,
            String adminPassword,
            PasswordHasher.Cost passwordCost,
            int credentialCacheSize,
            int hashThreads,
            Duration refreshInterval,
            Duration askTimeout) {
        this(
                enabled,
                adminPassword,
                passwordCost,
                credentialCacheSize,
                hashThreads,
                refreshInterval,
                askTimeout,
                JwtSettings.DEFAULTS);
    }

    public static SecuritySettings from(Config root) {
        Config c = root.getConfig("lumadb.security");
        PasswordHasher.Cost cost;
        try {
            cost = new PasswordHasher.Cost(
                    (int) (c.getBytes("password-hash.memory") / 1024),
                    c.getInt("password-hash.iterations"),
                    c.getInt("password-hash.parallelism"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue("lumadb.security.password-hash", e.getMessage());
        }
        String password = c.getString("admin-password");
        if (!password.isEmpty() && password.length() < 8) {
            throw new ConfigException.BadValue(
                    "lumadb.security.admin-password",
                    "the admin password (LUMADB_ADMIN_PASSWORD) needs 8 characters or more");
        }
        return new SecuritySettings(
                c.getBoolean("enabled"),
                password,
                cost,
                c.getInt("credential-cache-size"),
                Math.max(1, c.getInt("hash-threads")),
                c.getDuration("refresh-interval"),
                root.getDuration("lumadb.shards.ask-timeout"),
                JwtSettings.from(root));
    }
}
