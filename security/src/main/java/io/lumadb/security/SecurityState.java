package io.lumadb.security;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.security.audit.AuditLog;
import io.lumadb.shards.CborSerializable;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.query.QueryLimits;
import io.lumadb.shards.query.RowAccess;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The security catalog at one version: users, API keys and custom roles, and for bearer tokens
 * LumaDB's signing keys and the refresh-token families. Immutable; the {@link
 * SecurityCatalogEntity} makes the next one from each event, and every node keeps the newest it
 * has seen.
 *
 * @param signingKeys the keys that sign LumaDB's access tokens, newest (the one that signs) first
 * @param refreshFamilies the live refresh-token families by id (see {@link RefreshFamily})
 */
public record SecurityState(
        long version,
        Map<String, User> users,
        Map<String, ApiKey> keys,
        Map<String, Role> roles,
        List<SigningKey> signingKeys,
        Map<String, RefreshFamily> refreshFamilies)
        implements CborSerializable {

    /**
     * A user: its name, its password as an Argon2id PHC string ({@link PasswordHasher}), its roles,
     * and its password's SCRAM-SHA-256 verifier ({@link Scram}) for the PostgreSQL protocol. The
     * verifier is null for users whose password was last set before verifiers were kept; they sign
     * in over the PostgreSQL protocol once their password is set again.
     */
    public record User(
            String name, String passwordHash, List<RoleBinding> roles, long createdAtMillis, String scramVerifier)
            implements CborSerializable {
        public User {
            roles = List.copyOf(roles);
        }

        /** A user without a SCRAM verifier. */
        public User(String name, String passwordHash, List<RoleBinding> roles, long createdAtMillis) {
            this(name, passwordHash, roles, createdAtMillis, null);
        }
    }

    /**
     * An API key, without its secret: the SHA-256 of the secret ({@link ApiKeySecrets}), its
     * owner, its own roles, and when it expires (0: never).
     */
    public record ApiKey(
            String id,
            String name,
            String owner,
            String secretHash,
            List<RoleBinding> roles,
            long createdAtMillis,
            long expiresAtMillis)
            implements CborSerializable {
        public ApiKey {
            roles = List.copyOf(roles);
        }

        public boolean expiredAt(long nowMillis) {
            return expiresAtMillis != 0 && nowMillis >= expiresAtMillis;
        }
    }

    /**
     * A key that signs LumaDB's access tokens (HS256): its id ({@code kid} in the token's header)
     * and its 256-bit secret in Base64url.
     */
    public record SigningKey(String kid, String secret, long createdAtMillis) implements CborSerializable {
        @Override
        public String toString() {
            return "SigningKey[kid=" + kid + ", createdAtMillis=" + createdAtMillis + "]";
        }
    }

    /**
     * The refresh tokens issued from one sign-in: only the current token is valid; each use
     * replaces it (rotation). The SHA-256 of the current token's secret is kept, and of the last
     * few replaced ones, so that a replaced token presented again is recognised as a reuse (the
     * token was copied) and ends the family. Access tokens name their family ({@code sid}), so
     * they stop too.
     *
     * @param user the user signed in
     * @param tokenHash SHA-256 (hex) of the current refresh token's secret
     * @param usedHashes hashes of the last replaced tokens, newest first
     * @param expiresAtMillis when the current refresh token expires
     */
    public record RefreshFamily(
            String id,
            String user,
            String tokenHash,
            List<String> usedHashes,
            long createdAtMillis,
            long expiresAtMillis)
            implements CborSerializable {
        public RefreshFamily {
            usedHashes = List.copyOf(usedHashes);
        }
    }

    public static final SecurityState EMPTY = new SecurityState(0, Map.of(), Map.of(), Map.of(), List.of(), Map.of());

    public SecurityState {
        users = Map.copyOf(users);
        keys = Map.copyOf(keys);
        roles = Map.copyOf(roles);
        // Absent in snapshots written before tokens existed.
        signingKeys = signingKeys == null ? List.of() : List.copyOf(signingKeys);
        refreshFamilies = refreshFamilies == null ? Map.of() : Map.copyOf(refreshFamilies);
    }

    /** The role called {@code name}: built in or custom. */
    public Optional<Role> role(String name) {
        Role builtIn = Role.BUILT_IN.get(name);
        return builtIn != null ? Optional.of(builtIn) : Optional.ofNullable(roles.get(name));
    }

    /** Every role, built-in ones first, then custom ones by name. */
    public List<Role> allRoles() {
        var all = new java.util.ArrayList<Role>(List.of(Role.ADMIN, Role.READ_WRITE, Role.READ));
        all.addAll(new TreeMap<>(roles).values());
        return all;
    }

    /** The grants {@code bindings} give, each confined to its database where bound to one. */
    public List<Grant> grants(List<RoleBinding> bindings) {
        var grants = new java.util.ArrayList<Grant>();
        for (RoleBinding b : bindings) {
            for (Grant g : role(b.role()).map(Role::grants).orElse(List.of())) {
                if (b.database() == null) {
                    grants.add(g);
                } else {
                    g.within(b.database()).ifPresent(grants::add);
                }
            }
        }
        return grants;
    }

    /**
     * Whether {@code principal} may do {@code action} on the resource of {@code scope} named by
     * {@code names} (path parameters {@code db}, {@code collection}, {@code topic}). Roles that
     * no longer exist grant nothing.
     */
    public boolean allows(Principal principal, Action action, Scope scope, Map<String, String> names) {
        if (principal.kind() == Principal.Kind.UNRESTRICTED || action == Action.NONE) {
            return true;
        }
        if (action == Action.SIGNED_IN) {
            return true;
        }
        if (inSystemDatabase(scope, names)) {
            return allowsInSystemDatabase(principal, action, scope, names);
        }
        for (Grant g : grants(principal.roles())) {
            if (g.allows(action, scope, names)) {
                return true;
            }
        }
        return false;
    }

    private static boolean inSystemDatabase(Scope scope, Map<String, String> names) {
        return (scope == Scope.DATABASE || scope == Scope.COLLECTION)
                && AuditLog.DATABASE.equals(names.get(Permission.DB));
    }

    /**
     * The database {@code system} holds the audit log, which only the node's audit writer
     * changes: through the API nobody, not even an admin, may write to it, delete from it,
     * create or drop it or its collections, or index it, so that an entry cannot be forged or
     * erased. Reading, querying and subscribing need a grant that names the database (a role
     * bound to it, {@code db:system}, {@code db:system/audit}) or admin on everything: a plain
     * {@code read} or {@code readWrite} everywhere does not reach it.
     */
    private boolean allowsInSystemDatabase(Principal principal, Action action, Scope scope, Map<String, String> names) {
        if (action != Action.READ && action != Action.QUERY && action != Action.SUBSCRIBE) {
            return false;
        }
        for (Grant g : grants(principal.roles())) {
            boolean explicit = !g.resource().equals("*") || g.actions().contains(Action.ADMIN);
            if (explicit && g.allows(action, scope, names)) {
                return true;
            }
        }
        return false;
    }

    /** A filter no document matches: the rule of a caller lacking a claim its rule names. */
    private static final JsonNode NOTHING = DocumentJson.mapper()
            .createObjectNode()
            .set(
                    "_id",
                    DocumentJson.mapper()
                            .createObjectNode()
                            .set("$in", DocumentJson.mapper().createArrayNode()));

    /**
     * What {@code principal} may see of (or, with {@code write}, change in) collection {@code
     * db/collection} through the roles that grant it {@code action} there: the OR of those roles'
     * row filters (a role without a rule for the collection allows every row) with its claims
     * filled in, hiding the fields every one of those roles hides. {@link RowAccess#ALL} when no
     * rule applies.
     */
    public RowAccess access(Principal principal, Action action, boolean write, String db, String collection) {
        if (principal.kind() == Principal.Kind.UNRESTRICTED) {
            return RowAccess.ALL;
        }
        Map<String, String> names = Map.of(Permission.DB, db, Permission.COLLECTION, collection);
        List<JsonNode> filters = new java.util.ArrayList<>();
        boolean everyRow = false;
        java.util.Set<String> hidden = null;
        for (RoleBinding b : principal.roles()) {
            Role role = role(b.role()).orElse(null);
            if (role == null) {
                continue;
            }
            List<Grant> grants = b.database() == null
                    ? role.grants()
                    : role.grants().stream()
                            .flatMap(g -> g.within(b.database()).stream())
                            .toList();
            if (grants.stream().noneMatch(g -> g.allows(action, Scope.COLLECTION, names))) {
                continue;
            }
            List<RowRule> rules = (b.database() == null
                            ? role.rules()
                            : role.rules().stream()
                                    .flatMap(r -> r.within(b.database()).stream())
                                    .toList())
                    .stream().filter(r -> r.covers(db, collection)).toList();
            List<JsonNode> mine = new java.util.ArrayList<>();
            java.util.Set<String> roleHidden = new java.util.HashSet<>();
            boolean[] missing = new boolean[1];
            for (RowRule r : rules) {
                JsonNode f = write ? r.write() : r.read();
                if (f != null) {
                    mine.add(RowRule.substitute(f, principal.claims(), missing));
                }
                if (!write) {
                    roleHidden.addAll(r.hide());
                }
            }
            if (missing[0]) {
                filters.add(NOTHING);
            } else if (mine.isEmpty()) {
                everyRow = true;
            } else if (mine.size() == 1) {
                filters.add(mine.get(0));
            } else {
                var and = DocumentJson.mapper().createObjectNode();
                and.putArray("$and").addAll(mine);
                filters.add(and);
            }
            if (hidden == null) {
                hidden = roleHidden;
            } else {
                hidden.retainAll(roleHidden);
            }
        }
        if (hidden == null) {
            // No role grants the action here: the caller sees nothing (authorization refuses it first).
            return RowAccess.of(NOTHING, java.util.Set.of(), QueryLimits.DEFAULTS);
        }
        JsonNode combined = null;
        if (!everyRow) {
            if (filters.size() == 1) {
                combined = filters.get(0);
            } else {
                var or = DocumentJson.mapper().createObjectNode();
                or.putArray("$or").addAll(filters);
                combined = or;
            }
        }
        return RowAccess.of(combined, hidden, QueryLimits.DEFAULTS);
    }

    /** Whether {@code bindings} make their holder an administrator of the whole cluster. */
    public boolean isClusterAdmin(List<RoleBinding> bindings) {
        return grants(bindings).stream()
                .anyMatch(g -> g.resource().equals("*") && g.actions().contains(Action.ADMIN));
    }

    /** How many users administer the whole cluster (the last one cannot be removed or demoted). */
    public long clusterAdmins() {
        return users.values().stream().filter(u -> isClusterAdmin(u.roles())).count();
    }

    /** The name of a role {@code bindings} name that does not exist, if any. */
    public Optional<String> unknownRole(List<RoleBinding> bindings) {
        return bindings.stream()
                .map(RoleBinding::role)
                .filter(r -> role(r).isEmpty())
                .findFirst();
    }

    /** Roles in use by a user or a key. */
    public boolean roleInUse(String name) {
        return users.values().stream()
                        .anyMatch(u -> u.roles().stream().anyMatch(b -> b.role().equals(name)))
                || keys.values().stream()
                        .anyMatch(k -> k.roles().stream().anyMatch(b -> b.role().equals(name)));
    }

    SecurityState next(Map<String, User> users, Map<String, ApiKey> keys, Map<String, Role> roles) {
        return new SecurityState(version + 1, users, keys, roles, signingKeys, refreshFamilies);
    }

    SecurityState nextTokens(List<SigningKey> signingKeys, Map<String, RefreshFamily> refreshFamilies) {
        return new SecurityState(version + 1, users, keys, roles, signingKeys, refreshFamilies);
    }
}
