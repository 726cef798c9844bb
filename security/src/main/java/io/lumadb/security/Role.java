package io.lumadb.security;

import io.lumadb.security.Permission.Action;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A named set of {@link Grant}s. Three are built in and cannot be changed: {@code admin}
 * (everything), {@code readWrite} (read, write, delete, query, subscribe, publish and index
 * everywhere) and {@code read} (read, query and subscribe everywhere); a user or key bound to
 * one of them for a single database gets it only there (see {@link RoleBinding}). A custom role
 * may also carry {@link RowRule}s that narrow what its grants reach in a collection.
 */
public record Role(String name, List<Grant> grants, boolean builtIn, List<RowRule> rules) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");

    public static final Role ADMIN = new Role("admin", List.of(Grant.of("*", Action.ADMIN)), true);
    public static final Role READ_WRITE = new Role(
            "readWrite",
            List.of(Grant.of(
                    "*",
                    Action.READ,
                    Action.WRITE,
                    Action.DELETE,
                    Action.QUERY,
                    Action.SUBSCRIBE,
                    Action.PUBLISH,
                    Action.INDEX)),
            true);
    public static final Role READ =
            new Role("read", List.of(Grant.of("*", Action.READ, Action.QUERY, Action.SUBSCRIBE)), true);

    /** The built-in roles by name. */
    public static final Map<String, Role> BUILT_IN =
            Map.of(ADMIN.name(), ADMIN, READ_WRITE.name(), READ_WRITE, READ.name(), READ);

    public Role {
        checkName(name);
        grants = List.copyOf(grants);
        rules = List.copyOf(rules == null ? List.of() : rules);
    }

    /** A role without row- or field-level rules. */
    public Role(String name, List<Grant> grants, boolean builtIn) {
        this(name, grants, builtIn, List.of());
    }

    /** Checks a role name: a letter, then up to 63 letters, digits, {@code _ . -}. */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "a role name is a letter followed by up to 63 letters, digits, '_', '.' or '-': " + name);
        }
        return name;
    }
}
