package io.lumadb.security.tokens;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.lumadb.security.RoleBinding;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Settings under {@code lumadb.security.jwt}: LumaDB's own access and refresh tokens, and an
 * external identity provider whose tokens LumaDB accepts (documented in the security module's
 * {@code reference.conf}). {@link #from} checks them all and names the key of a bad value.
 *
 * @param issuer {@code iss} of LumaDB's access tokens
 * @param audience {@code aud} of LumaDB's access tokens
 * @param accessTokenLifetime how long an access token is valid
 * @param refreshTokenLifetime how long a refresh token is valid (each use gives a new one)
 * @param clockSkew how far clocks may disagree when {@code exp} and {@code nbf} are checked
 * @param maxSessionsPerUser refresh-token families a user may have; a new sign-in ends the oldest
 * @param external the external identity provider
 */
public record JwtSettings(
        String issuer,
        String audience,
        Duration accessTokenLifetime,
        Duration refreshTokenLifetime,
        Duration clockSkew,
        int maxSessionsPerUser,
        External external) {

    /**
     * An external identity provider (OpenID Connect or any issuer of JWTs signed with keys it
     * publishes as a JWKS).
     *
     * @param jwksUrl where its JWKS is fetched (cached for {@code jwksCacheLifetime}; an unknown
     *     {@code kid} fetches it again), or empty
     * @param jwksFile a JWKS file read at start, or null
     * @param rolesClaim the claim holding the provider's roles (a string or an array of strings); a
     *     dotted name reaches into objects ({@code realm_access.roles})
     * @param roleMapping the provider's role names to LumaDB role bindings; other roles grant nothing
     */
    public record External(
            boolean enabled,
            String jwksUrl,
            Path jwksFile,
            String issuer,
            String audience,
            String rolesClaim,
            Map<String, List<RoleBinding>> roleMapping,
            Duration jwksCacheLifetime) {
        public External {
            roleMapping = Map.copyOf(roleMapping);
        }

        public static final External OFF =
                new External(false, "", null, "", "", "roles", Map.of(), Duration.ofMinutes(5));
    }

    public static final JwtSettings DEFAULTS = new JwtSettings(
            "lumadb", "lumadb", Duration.ofMinutes(15), Duration.ofDays(30), Duration.ofSeconds(30), 100, External.OFF);

    private static final String KEY = "lumadb.security.jwt";

    /** Reads {@code lumadb.security.jwt} of {@code root}, refusing bad values with the key that holds them. */
    public static JwtSettings from(Config root) {
        Config c = root.getConfig(KEY);
        String issuer = nonEmpty(c, "issuer");
        String audience = nonEmpty(c, "audience");
        Duration access = c.getDuration("access-token-lifetime");
        Duration refresh = c.getDuration("refresh-token-lifetime");
        if (access.compareTo(Duration.ofSeconds(1)) < 0 || access.compareTo(Duration.ofDays(1)) > 0) {
            throw bad("access-token-lifetime", "must lie between 1s and 1d, got " + access);
        }
        if (refresh.compareTo(access) <= 0) {
            throw bad("refresh-token-lifetime", "must be longer than access-token-lifetime (" + access + ")");
        }
        Duration skew = c.getDuration("clock-skew");
        if (skew.isNegative() || skew.compareTo(Duration.ofMinutes(5)) > 0) {
            throw bad("clock-skew", "must lie between 0s and 5m, got " + skew);
        }
        int sessions = c.getInt("max-sessions-per-user");
        if (sessions < 1) {
            throw bad("max-sessions-per-user", "must be 1 or more, got " + sessions);
        }
        External external = external(c.getConfig("external"));
        if (external.enabled() && external.issuer().equals(issuer)) {
            throw bad("external.issuer", "must differ from " + KEY + ".issuer ('" + issuer + "')");
        }
        return new JwtSettings(issuer, audience, access, refresh, skew, sessions, external);
    }

    private static External external(Config c) {
        if (!c.getBoolean("enabled")) {
            return External.OFF;
        }
        String url = c.getString("jwks-url").strip();
        String file = c.getString("jwks-file").strip();
        if (url.isEmpty() == file.isEmpty()) {
            throw bad("external.jwks-url", "set exactly one of external.jwks-url and external.jwks-file");
        }
        if (!url.isEmpty()) {
            try {
                URI uri = new URI(url);
                if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme()) || uri.getHost() == null) {
                    throw new URISyntaxException(url, "not an http(s) URL");
                }
            } catch (URISyntaxException e) {
                throw bad("external.jwks-url", "is not an http(s) URL: " + url);
            }
        }
        Path path = file.isEmpty() ? null : Path.of(file);
        if (path != null && !Files.isReadable(path)) {
            throw bad("external.jwks-file", "cannot be read: " + file);
        }
        String rolesClaim = c.getString("roles-claim").strip();
        if (rolesClaim.isEmpty()) {
            throw bad("external.roles-claim", "must name a claim");
        }
        Duration cache = c.getDuration("jwks-cache-lifetime");
        if (cache.compareTo(Duration.ofSeconds(1)) < 0) {
            throw bad("external.jwks-cache-lifetime", "must be 1s or more, got " + cache);
        }
        return new External(
                true,
                url,
                path,
                nonEmpty(c, "issuer", "external.issuer"),
                nonEmpty(c, "audience", "external.audience"),
                rolesClaim,
                roleMapping(c.getObject("role-mapping").entrySet()),
                cache);
    }

    /**
     * {@code "idp-role" = "readWrite"}, {@code = {role = "read", database = "shop"}}, or a list
     * of those.
     */
    private static Map<String, List<RoleBinding>> roleMapping(Iterable<Map.Entry<String, ConfigValue>> entries) {
        Map<String, List<RoleBinding>> mapping = new LinkedHashMap<>();
        for (var e : entries) {
            String key = "external.role-mapping.\"" + e.getKey() + "\"";
            List<Object> items = e.getValue().valueType() == ConfigValueType.LIST
                    ? new ArrayList<>((List<?>) e.getValue().unwrapped())
                    : List.of(e.getValue().unwrapped());
            List<RoleBinding> bindings = new ArrayList<>();
            for (Object item : items) {
                try {
                    if (item instanceof String role) {
                        bindings.add(RoleBinding.everywhere(role));
                    } else if (item instanceof Map<?, ?> m
                            && m.get("role") instanceof String role
                            && (m.get("database") == null || m.get("database") instanceof String)
                            && m.keySet().stream().allMatch(k -> k.equals("role") || k.equals("database"))) {
                        bindings.add(new RoleBinding(role, (String) m.get("database")));
                    } else {
                        throw bad(key, "maps to a role name, {role = ..., database = ...}, or a list of those");
                    }
                } catch (IllegalArgumentException invalid) {
                    throw bad(key, invalid.getMessage());
                }
            }
            mapping.put(e.getKey(), List.copyOf(bindings));
        }
        return mapping;
    }

    private static String nonEmpty(Config c, String path) {
        return nonEmpty(c, path, path);
    }

    private static String nonEmpty(Config c, String path, String name) {
        String value = c.getString(path).strip();
        if (value.isEmpty()) {
            throw bad(name, "must not be empty");
        }
        return value;
    }

    private static ConfigException bad(String key, String why) {
        return new ConfigException.BadValue(KEY + "." + key, why);
    }
}
