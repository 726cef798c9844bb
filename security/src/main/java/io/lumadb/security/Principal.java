package io.lumadb.security;

import java.util.List;

/**
 * Who is calling, once authenticated: a user (HTTP Basic), an API key, or nobody in particular
 * when security is off. What it may do is decided by its role bindings against the security
 * catalog of the moment ({@link SecurityState#allows}), so a role change applies to the next
 * request.
 *
 * @param name the user's name; for an API key, its owner
 * @param keyId the API key's id, or null
 */
public record Principal(Kind kind, String name, String keyId, List<RoleBinding> roles) {

    /** How the caller proved who it is. */
    public enum Kind {
        USER,
        API_KEY,
        /** Security is off: every caller may do everything. */
        UNRESTRICTED
    }

    /** Every caller while security is off. */
    public static final Principal UNRESTRICTED = new Principal(Kind.UNRESTRICTED, "anonymous", null, List.of());

    public Principal {
        roles = List.copyOf(roles);
    }

    /** How the caller is named in messages and logs: {@code user 'ada'} or {@code API key luma_x1 of 'ada'}. */
    public String describe() {
        return switch (kind) {
            case USER -> "user '" + name + "'";
            case API_KEY -> "API key " + keyId + " of '" + name + "'";
            case UNRESTRICTED -> "anonymous";
        };
    }
}
