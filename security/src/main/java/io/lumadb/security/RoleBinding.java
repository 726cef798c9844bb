package io.lumadb.security;

import io.lumadb.shards.model.Names;

/**
 * A role held by a user or key, everywhere ({@code database} null) or confined to one database
 * (see {@link Grant#within}).
 */
public record RoleBinding(String role, String database) {

    public RoleBinding {
        Role.checkName(role);
        if (database != null) {
            Names.checkDatabase(database);
        }
    }

    public static RoleBinding everywhere(String role) {
        return new RoleBinding(role, null);
    }

    public static RoleBinding in(String role, String database) {
        return new RoleBinding(role, database);
    }

    @Override
    public String toString() {
        return database == null ? role : role + " on " + database;
    }
}
