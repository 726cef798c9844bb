package io.lumadb.security;

import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.shards.model.Names;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Actions on one resource, as a role grants them. A resource is written as:
 *
 * <ul>
 *   <li>{@code *}: everything (the cluster, every database, collection and topic);
 *   <li>{@code cluster}: what belongs to no database (listing databases, cluster status,
 *       metrics, users and keys);
 *   <li>{@code db:<database>}: a database and all its collections;
 *   <li>{@code db:<database>/<collection>}: one collection;
 *   <li>{@code topic:<pattern>}: the topics whose names match the pattern, where {@code *}
 *       stands for any run of characters ({@code orders.*}).
 * </ul>
 *
 * <p>{@code admin} in a grant means every action on its resource.
 */
public record Grant(Set<Action> actions, String resource) {

    private static final Pattern TOPIC_PATTERN = Pattern.compile("[A-Za-z0-9._*-]{1,200}");

    public Grant {
        if (actions == null || actions.isEmpty()) {
            throw new IllegalArgumentException("a grant names at least one action");
        }
        for (Action a : actions) {
            if (!a.grantable()) {
                throw new IllegalArgumentException("'" + a.jsonName() + "' cannot be granted");
            }
        }
        actions = Set.copyOf(EnumSet.copyOf(actions));
        checkResource(resource);
    }

    public static Grant of(String resource, Action... actions) {
        return new Grant(Set.of(actions), resource);
    }

    /** Checks the resource syntax and names, with a message saying what is wrong. */
    static void checkResource(String resource) {
        if (resource == null || resource.isEmpty()) {
            throw new IllegalArgumentException(
                    "a grant names its resource: *, cluster, db:<database>, db:<database>/<collection> or topic:<pattern>");
        }
        if (resource.equals("*") || resource.equals("cluster")) {
            return;
        }
        if (resource.startsWith("db:")) {
            String rest = resource.substring(3);
            int slash = rest.indexOf('/');
            Names.checkDatabase(slash < 0 ? rest : rest.substring(0, slash));
            if (slash >= 0) {
                Names.checkCollection(rest.substring(slash + 1));
            }
            return;
        }
        if (resource.startsWith("topic:")) {
            if (!TOPIC_PATTERN.matcher(resource.substring(6)).matches()) {
                throw new IllegalArgumentException(
                        "a topic pattern is 1 to 200 of A-Z a-z 0-9 . _ - and *: " + resource);
            }
            return;
        }
        throw new IllegalArgumentException("unknown resource '" + resource
                + "'; a resource is *, cluster, db:<database>, db:<database>/<collection> or topic:<pattern>");
    }

    /** Whether this grant allows {@code action} on the resource of {@code scope} named by {@code names}. */
    public boolean allows(Action action, Scope scope, Map<String, String> names) {
        if (!actions.contains(Action.ADMIN) && !actions.contains(action)) {
            return false;
        }
        if (resource.equals("*")) {
            return true;
        }
        return switch (scope) {
            case CLUSTER -> resource.equals("cluster");
            case DATABASE -> resource.equals("db:" + names.get(Permission.DB));
            case COLLECTION ->
                resource.equals("db:" + names.get(Permission.DB))
                        || resource.equals("db:" + names.get(Permission.DB) + "/" + names.get(Permission.COLLECTION));
            case TOPIC ->
                resource.startsWith("topic:") && globMatches(resource.substring(6), names.get(Permission.TOPIC));
        };
    }

    /** Whether this grant allows {@code action} on at least some collection of {@code database}. */
    public boolean allowsSomewhereIn(Action action, String database) {
        return (actions.contains(Action.ADMIN) || actions.contains(action))
                && (resource.equals("*")
                        || resource.equals("db:" + database)
                        || resource.startsWith("db:" + database + "/"));
    }

    /**
     * This grant confined to one database, as a role bound to it grants: {@code *} becomes the
     * database, grants on it or its collections stay, anything else (other databases, the
     * cluster, topics) is gone.
     */
    public Optional<Grant> within(String database) {
        if (resource.equals("*")) {
            return Optional.of(new Grant(actions, "db:" + database));
        }
        if (resource.equals("db:" + database) || resource.startsWith("db:" + database + "/")) {
            return Optional.of(this);
        }
        return Optional.empty();
    }

    static boolean globMatches(String pattern, String name) {
        if (name == null) {
            return false;
        }
        return globMatches(pattern, 0, name, 0);
    }

    private static boolean globMatches(String p, int pi, String s, int si) {
        while (pi < p.length()) {
            char c = p.charAt(pi);
            if (c == '*') {
                for (int k = si; k <= s.length(); k++) {
                    if (globMatches(p, pi + 1, s, k)) {
                        return true;
                    }
                }
                return false;
            }
            if (si >= s.length() || s.charAt(si) != c) {
                return false;
            }
            pi++;
            si++;
        }
        return si == s.length();
    }

    /** The actions' names, sorted, for rendering. */
    public List<String> actionNames() {
        return EnumSet.copyOf(actions).stream().map(Action::jsonName).toList();
    }
}
