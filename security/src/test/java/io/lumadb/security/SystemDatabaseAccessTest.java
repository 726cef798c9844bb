package io.lumadb.security;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The audit log's database {@code system}: read with an explicit grant, changed by nobody through the API. */
class SystemDatabaseAccessTest {

    private static final Map<String, String> AUDIT = Map.of("db", "system", "collection", "audit");
    private static final Map<String, String> SYSTEM = Map.of("db", "system");

    private static final Role AUDITOR =
            new Role("auditor", List.of(Grant.of("db:system/audit", Action.READ, Action.QUERY, Action.WRITE)), false);
    private static final Role EVERYTHING_READ = new Role("allRead", List.of(Grant.of("*", Action.READ)), false);

    private static final SecurityState STATE = new SecurityState(
            1,
            Map.of(),
            Map.of(),
            Map.of(AUDITOR.name(), AUDITOR, EVERYTHING_READ.name(), EVERYTHING_READ),
            List.of(),
            Map.of());

    private static Principal user(RoleBinding... roles) {
        return new Principal(Principal.Kind.USER, "u", null, List.of(roles));
    }

    private static boolean allows(Principal p, Action a, Scope s, Map<String, String> names) {
        return STATE.allows(p, a, s, names);
    }

    @Test
    void adminReadsQueriesAndSubscribesButChangesNothing() {
        Principal admin = user(RoleBinding.everywhere("admin"));
        for (Action a : List.of(Action.READ, Action.QUERY, Action.SUBSCRIBE)) {
            assertTrue(allows(admin, a, Scope.COLLECTION, AUDIT), a.jsonName());
        }
        assertTrue(allows(admin, Action.READ, Scope.DATABASE, SYSTEM));
        for (Action a : List.of(Action.WRITE, Action.DELETE, Action.INDEX, Action.ADMIN)) {
            assertFalse(allows(admin, a, Scope.COLLECTION, AUDIT), a.jsonName());
        }
        assertFalse(allows(admin, Action.MANAGE_DATABASES, Scope.DATABASE, SYSTEM), "no drop, no new collections");
        assertTrue(allows(admin, Action.WRITE, Scope.COLLECTION, Map.of("db", "shop", "collection", "audit")));
    }

    @Test
    void rolesEverywhereDoNotReachItButGrantsNamingItDo() {
        assertFalse(allows(user(RoleBinding.everywhere("readWrite")), Action.READ, Scope.COLLECTION, AUDIT));
        assertFalse(allows(user(RoleBinding.everywhere("read")), Action.QUERY, Scope.COLLECTION, AUDIT));
        assertFalse(allows(user(RoleBinding.everywhere("allRead")), Action.READ, Scope.COLLECTION, AUDIT));
        assertTrue(allows(user(RoleBinding.everywhere("auditor")), Action.QUERY, Scope.COLLECTION, AUDIT));
        assertFalse(
                allows(user(RoleBinding.everywhere("auditor")), Action.WRITE, Scope.COLLECTION, AUDIT),
                "a grant naming the database still cannot write");
        Principal boundToSystem = user(new RoleBinding("read", "system"));
        assertTrue(allows(boundToSystem, Action.SUBSCRIBE, Scope.COLLECTION, AUDIT));
        Principal writerInSystem = user(new RoleBinding("readWrite", "system"));
        assertFalse(allows(writerInSystem, Action.DELETE, Scope.COLLECTION, AUDIT));
    }

    @Test
    void securityOffIsUnrestrictedEverywhere() {
        assertTrue(allows(Principal.UNRESTRICTED, Action.WRITE, Scope.COLLECTION, AUDIT));
    }
}
