package io.lumadb.security;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Who is calling, once authenticated: a user (HTTP Basic), an API key, a bearer token, or
 * nobody in particular when security is off. What it may do is decided by its role bindings
 * against the security catalog of the moment ({@link SecurityState#allows}), so a role change
 * applies to the next request.
 *
 * @param name the user's name; for an API key, its owner; for a token, its subject
 * @param keyId the API key's id, or null
 * @param claims what row-level rules may refer to as {@code $claims.<name>}: always {@code sub}
 *     (the name); a token's claims as it carries them
 * @param expiresAtMillis when the credential stops being valid (0: it does not expire by itself)
 */
public record Principal(
        Kind kind,
        String name,
        String keyId,
        List<RoleBinding> roles,
        Map<String, Object> claims,
        long expiresAtMillis) {

    /** How the caller proved who it is. */
    public enum Kind {
        USER,
        API_KEY,
        TOKEN,
        /** Security is off: every caller may do everything. */
        UNRESTRICTED
    }

    /** Every caller while security is off. */
    public static final Principal UNRESTRICTED =
            new Principal(Kind.UNRESTRICTED, "anonymous", null, List.of(), Map.of("sub", "anonymous"), 0);

    public Principal {
        roles = List.copyOf(roles);
        claims = Map.copyOf(claims);
    }

    /** A user or key: its claims are its name as {@code sub}, and the key's id as {@code key}. */
    public Principal(Kind kind, String name, String keyId, List<RoleBinding> roles) {
        this(kind, name, keyId, roles, keyId == null ? Map.of("sub", name) : Map.of("sub", name, "key", keyId), 0);
    }

    /**
     * From the fields that tell callers apart, leaving out the role list and claims: principals
     * key the node's per-request caches (what a caller may see), and hashing those collections on
     * every request was a noticeable part of a request's cost. Equal principals still hash alike.
     */
    @Override
    public int hashCode() {
        return (31 * (31 * kind.hashCode() + name.hashCode()) + Objects.hashCode(keyId)) * 31
                + Long.hashCode(expiresAtMillis);
    }

    /** How the caller is named in messages and logs: {@code user 'ada'} or {@code API key x1 of 'ada'}. */
    public String describe() {
        return switch (kind) {
            case USER -> "user '" + name + "'";
            case API_KEY -> "API key " + keyId + " of '" + name + "'";
            case TOKEN -> "token of '" + name + "'";
            case UNRESTRICTED -> "anonymous";
        };
    }
}
