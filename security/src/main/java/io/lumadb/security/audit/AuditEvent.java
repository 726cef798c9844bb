package io.lumadb.security.audit;

import io.lumadb.security.Permission;
import io.lumadb.security.Principal;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One thing the audit log records: a login, a failed login, a denial or an administrative
 * change, with who did it and from where. Never carries a secret (a password, an API key's
 * secret, a hash): the factories take names and ids only.
 *
 * @param timeMillis when it happened (epoch milliseconds)
 * @param kind what happened
 * @param who the caller, or null when nobody could be named (a request without credentials)
 * @param client the client's IP address, or null if unknown
 * @param details what the kind says more: the operation, its target, the reason, ... (JSON values:
 *     strings, numbers, booleans, lists and maps of them)
 */
public record AuditEvent(long timeMillis, Kind kind, Who who, String client, Map<String, Object> details) {

    /** The kinds of entries, each with the outcome it stands for. */
    public enum Kind {
        /** A credential verified for the first time on this node (see README "Audit log"). */
        LOGIN("success"),
        /** Missing, malformed, unknown or wrong credentials (401). */
        LOGIN_FAILED("failure"),
        /** An authenticated caller without the permission a request needs (403). */
        DENIED("denied"),
        /**
         * A user, role or API key created, changed, deleted or revoked; a sign-in ended; the
         * token signing key rotated.
         */
        SECURITY_CHANGE("success"),
        /** A database, collection or index created or dropped. */
        DATA_DEFINITION("success");

        private final String outcome;

        Kind(String outcome) {
            this.outcome = outcome;
        }

        /** The name stored in entries: {@code login}, {@code login-failed}, {@code denied}, ... */
        public String jsonName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** {@code success}, {@code failure} or {@code denied}. */
        public String outcome() {
            return outcome;
        }
    }

    /**
     * Who: a name, how it signed in ({@code user}, {@code api-key}, {@code token}, or {@code
     * refresh-token} for a sign-out, where presenting it is the proof), and an API key's id. For
     * a failed login, the name (or key id) that was tried.
     */
    public record Who(String name, String kind, String keyId) {

        /** The caller behind {@code principal}. */
        public static Who of(Principal principal) {
            return new Who(
                    principal.name(),
                    principal.kind().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                    principal.keyId());
        }
    }

    public AuditEvent {
        if (kind == null) {
            throw new IllegalArgumentException("an audit event has a kind");
        }
        // Insertion order is kept (LinkedHashMap) so that entries read in the order they were built.
        details = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    /** A credential verified for the first time on this node. */
    public static AuditEvent login(Principal principal, String client) {
        return new AuditEvent(now(), Kind.LOGIN, Who.of(principal), client, Map.of());
    }

    /**
     * A refused login.
     *
     * @param tried what the credentials named: a user name, an API key's id, or null
     * @param scheme {@code basic}, {@code bearer}, the scheme sent, or {@code none}
     */
    public static AuditEvent loginFailed(Who tried, String scheme, String reason, String client) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("scheme", scheme);
        details.put("reason", reason);
        return new AuditEvent(now(), Kind.LOGIN_FAILED, tried, client, details);
    }

    /**
     * A request refused for lack of a permission.
     *
     * @param names the resource's names (path parameters {@code db}, {@code collection}, {@code topic})
     * @param route the route, as {@code METHOD /template}, or null outside a route (a WebSocket operation)
     */
    public static AuditEvent denied(
            Principal principal, Permission permission, Map<String, String> names, String route, String client) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("permission", permission.action().jsonName());
        details.put("resource", resource(permission, names));
        if (route != null) {
            details.put("route", route);
        }
        return new AuditEvent(now(), Kind.DENIED, Who.of(principal), client, details);
    }

    /**
     * A change to the security catalog.
     *
     * @param operation {@code create-user}, {@code update-user}, {@code delete-user}, {@code
     *     put-role}, {@code delete-role}, {@code create-key}, {@code revoke-key}, {@code
     *     rotate-signing-key}, ...
     * @param details its target and what changed, never a secret
     */
    public static AuditEvent securityChange(
            Principal principal, String client, String operation, Map<String, Object> details) {
        return change(Kind.SECURITY_CHANGE, principal, client, operation, details);
    }

    /**
     * A sign-out: the holder of one of {@code user}'s refresh tokens ended that sign-in (the
     * refresh-token family {@code familyId}, the {@code sid} of its access tokens). Never the
     * token itself.
     */
    public static AuditEvent signOut(String user, String familyId, String client) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("operation", "sign-out");
        details.put("sid", familyId);
        return new AuditEvent(now(), Kind.SECURITY_CHANGE, new Who(user, "refresh-token", null), client, details);
    }

    /**
     * A database, collection or index created or dropped.
     *
     * @param operation {@code create-database}, {@code drop-database}, {@code create-collection},
     *     {@code drop-collection}, {@code create-index}, {@code drop-index}
     */
    public static AuditEvent dataDefinition(
            Principal principal, String client, String operation, Map<String, Object> details) {
        return change(Kind.DATA_DEFINITION, principal, client, operation, details);
    }

    private static AuditEvent change(
            Kind kind, Principal principal, String client, String operation, Map<String, Object> details) {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("operation", operation);
        all.putAll(details);
        return new AuditEvent(now(), kind, principal == null ? null : Who.of(principal), client, all);
    }

    /** The resource in the syntax of grants: {@code cluster}, {@code db:shop}, {@code db:shop/orders}, {@code topic:t}. */
    static String resource(Permission permission, Map<String, String> names) {
        return switch (permission.scope()) {
            case CLUSTER -> "cluster";
            case DATABASE -> "db:" + names.get(Permission.DB);
            case COLLECTION -> "db:" + names.get(Permission.DB) + "/" + names.get(Permission.COLLECTION);
            case TOPIC -> "topic:" + names.get(Permission.TOPIC);
        };
    }

    /** One line for logs: {@code denied by user 'ada' from 10.0.0.7 {permission=write, ...}}. */
    public String summary() {
        return kind.jsonName() + " by " + (who == null ? "nobody" : who.kind() + " '" + who.name() + "'")
                + (who != null && who.keyId() != null ? " (key " + who.keyId() + ")" : "")
                + (client == null ? "" : " from " + client) + " at "
                + java.time.Instant.ofEpochMilli(timeMillis) + " " + details;
    }

    private static long now() {
        return System.currentTimeMillis();
    }
}
