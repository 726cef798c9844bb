package io.lumadb.security;

import java.util.List;
import java.util.Locale;

/**
 * What a caller must be allowed to do for an operation to run: an action on a resource. Every
 * route of the HTTP API declares one in its route table, so access is checked in one place
 * before any handler runs. The resource a scoped permission names comes from the route's path
 * parameters: {@code DATABASE} needs {@code {db}}, {@code COLLECTION} needs {@code {db}} and
 * {@code {collection}}, {@code TOPIC} needs {@code {topic}}.
 */
public record Permission(Action action, Scope scope) {

    /** The actions a role can grant, plus the two that need no grant ({@link #NONE}, {@link #SIGNED_IN}). */
    public enum Action {
        /** Anyone may call the route, signed in or not (liveness, readiness, the API description). */
        NONE,
        /**
         * Any signed-in caller; what the call then does is checked per operation inside it (the
         * multiplexed WebSocket checks each subscription and publish as it comes).
         */
        SIGNED_IN,
        READ,
        WRITE,
        DELETE,
        QUERY,
        SUBSCRIBE,
        PUBLISH,
        INDEX,
        MANAGE_DATABASES,
        MANAGE_USERS,
        /** Everything, on the resources of the grant. */
        ADMIN;

        /** The name used in role definitions: {@code read}, {@code manage-databases}, ... */
        public String jsonName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** Whether a role may grant this action (all but {@code NONE} and {@code SIGNED_IN}). */
        public boolean grantable() {
            return this != NONE && this != SIGNED_IN;
        }

        /**
         * The grantable action called {@code name} in a role definition.
         *
         * @throws IllegalArgumentException naming the valid actions
         */
        public static Action fromJsonName(String name) {
            for (Action a : values()) {
                if (a.grantable() && a.jsonName().equals(name)) {
                    return a;
                }
            }
            throw new IllegalArgumentException("unknown action '" + name + "'; the actions are " + grantableNames());
        }

        /** The names of the grantable actions, for messages. */
        public static List<String> grantableNames() {
            return java.util.Arrays.stream(values())
                    .filter(Action::grantable)
                    .map(Action::jsonName)
                    .toList();
        }
    }

    /** The kind of resource the action applies to. */
    public enum Scope {
        CLUSTER,
        DATABASE,
        COLLECTION,
        TOPIC
    }

    /** The path parameter naming the database. */
    public static final String DB = "db";
    /** The path parameter naming the collection. */
    public static final String COLLECTION = "collection";
    /** The path parameter naming the topic. */
    public static final String TOPIC = "topic";

    /** A route anyone may call. */
    public static final Permission PUBLIC = new Permission(Action.NONE, Scope.CLUSTER);

    public Permission {
        if (action == null || scope == null) {
            throw new IllegalArgumentException("a permission names an action and a scope");
        }
    }

    public static Permission of(Action action, Scope scope) {
        return new Permission(action, scope);
    }

    /** The path parameters that name the resource of this scope. */
    public List<String> parameters() {
        return switch (scope) {
            case CLUSTER -> List.of();
            case DATABASE -> List.of(DB);
            case COLLECTION -> List.of(DB, COLLECTION);
            case TOPIC -> List.of(TOPIC);
        };
    }

    @Override
    public String toString() {
        return switch (action) {
            case NONE -> "public";
            case SIGNED_IN -> "signed in";
            default -> action.jsonName() + " on " + scope.name().toLowerCase(Locale.ROOT);
        };
    }
}
