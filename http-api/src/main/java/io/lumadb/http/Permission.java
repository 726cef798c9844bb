package io.lumadb.http;

/**
 * What a caller must be allowed to do for a route to run: an action on a resource. Every route
 * declares one in the route table, so access control can be checked in one place before any
 * handler runs. The resource a scoped permission names comes from the route's path parameters:
 * {@code DATABASE} needs {@code {db}}, {@code COLLECTION} needs {@code {db}} and {@code
 * {collection}}, {@code TOPIC} needs {@code {topic}} ({@link RouteTable} refuses a route that
 * does not have them).
 */
public record Permission(Action action, Scope scope) {

    /** The actions a role can grant. */
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
        ADMIN
    }

    /** The kind of resource the action applies to. */
    public enum Scope {
        CLUSTER,
        DATABASE,
        COLLECTION,
        TOPIC
    }

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
    java.util.List<String> parameters() {
        return switch (scope) {
            case CLUSTER -> java.util.List.of();
            case DATABASE -> java.util.List.of(Call.DB);
            case COLLECTION -> java.util.List.of(Call.DB, Call.COLLECTION);
            case TOPIC -> java.util.List.of("topic");
        };
    }

    @Override
    public String toString() {
        return action == Action.NONE ? "public" : action.name().toLowerCase(java.util.Locale.ROOT) + " on " + scope;
    }
}
