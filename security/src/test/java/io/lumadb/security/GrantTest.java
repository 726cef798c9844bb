package io.lumadb.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GrantTest {

    private static final Map<String, String> SHOP_USERS = Map.of("db", "shop", "collection", "users");
    private static final Map<String, String> SHOP = Map.of("db", "shop");
    private static final Map<String, String> OTHER_USERS = Map.of("db", "other", "collection", "users");

    @Test
    void everythingCoversEveryScope() {
        Grant g = Grant.of("*", Action.READ);
        assertTrue(g.allows(Action.READ, Scope.CLUSTER, Map.of()));
        assertTrue(g.allows(Action.READ, Scope.DATABASE, SHOP));
        assertTrue(g.allows(Action.READ, Scope.COLLECTION, SHOP_USERS));
        assertTrue(g.allows(Action.READ, Scope.TOPIC, Map.of("topic", "t")));
        assertFalse(g.allows(Action.WRITE, Scope.COLLECTION, SHOP_USERS), "only the granted actions");
    }

    @Test
    void aDatabaseGrantCoversItsCollectionsAndNothingElse() {
        Grant g = Grant.of("db:shop", Action.WRITE);
        assertTrue(g.allows(Action.WRITE, Scope.DATABASE, SHOP));
        assertTrue(g.allows(Action.WRITE, Scope.COLLECTION, SHOP_USERS));
        assertFalse(g.allows(Action.WRITE, Scope.COLLECTION, OTHER_USERS));
        assertFalse(g.allows(Action.WRITE, Scope.CLUSTER, Map.of()));
        assertFalse(g.allows(Action.WRITE, Scope.DATABASE, Map.of("db", "shopping")), "no prefix matches");
    }

    @Test
    void aCollectionGrantCoversOnlyThatCollection() {
        Grant g = Grant.of("db:shop/users", Action.READ);
        assertTrue(g.allows(Action.READ, Scope.COLLECTION, SHOP_USERS));
        assertFalse(g.allows(Action.READ, Scope.COLLECTION, Map.of("db", "shop", "collection", "orders")));
        assertFalse(g.allows(Action.READ, Scope.DATABASE, SHOP), "the database as a whole is more than it");
    }

    @Test
    void adminMeansEveryActionOnTheResource() {
        Grant g = Grant.of("db:shop", Action.ADMIN);
        for (Action a : Action.values()) {
            if (a.grantable()) {
                assertTrue(g.allows(a, Scope.COLLECTION, SHOP_USERS), a.name());
            }
        }
        assertFalse(g.allows(Action.MANAGE_USERS, Scope.CLUSTER, Map.of()));
    }

    @Test
    void topicPatternsMatchWholeNamesWithStars() {
        Grant g = Grant.of("topic:orders.*", Action.PUBLISH);
        assertTrue(g.allows(Action.PUBLISH, Scope.TOPIC, Map.of("topic", "orders.eu")));
        assertTrue(g.allows(Action.PUBLISH, Scope.TOPIC, Map.of("topic", "orders.")));
        assertFalse(g.allows(Action.PUBLISH, Scope.TOPIC, Map.of("topic", "orders")));
        assertFalse(g.allows(Action.PUBLISH, Scope.TOPIC, Map.of("topic", "xorders.eu")));
        assertTrue(Grant.globMatches("a*b*c", "axxbyyc"));
        assertFalse(Grant.globMatches("a*b*c", "axxbyy"));
        assertFalse(g.allows(Action.PUBLISH, Scope.COLLECTION, SHOP_USERS));
    }

    @Test
    void confiningToADatabaseNarrowsEverythingAndDropsTheRest() {
        assertEquals(
                Optional.of(Grant.of("db:shop", Action.READ)),
                Grant.of("*", Action.READ).within("shop"));
        assertEquals(
                Optional.of(Grant.of("db:shop/users", Action.READ)),
                Grant.of("db:shop/users", Action.READ).within("shop"));
        assertEquals(Optional.empty(), Grant.of("db:other", Action.READ).within("shop"));
        assertEquals(Optional.empty(), Grant.of("db:shopping", Action.READ).within("shop"));
        assertEquals(Optional.empty(), Grant.of("cluster", Action.READ).within("shop"));
        assertEquals(Optional.empty(), Grant.of("topic:*", Action.READ).within("shop"));
    }

    @Test
    void badGrantsAreRefusedWithTheReason() {
        assertThrows(IllegalArgumentException.class, () -> Grant.of("db:", Action.READ));
        assertThrows(IllegalArgumentException.class, () -> Grant.of("db:_system", Action.READ));
        assertThrows(IllegalArgumentException.class, () -> Grant.of("table:x", Action.READ));
        assertThrows(IllegalArgumentException.class, () -> Grant.of("topic:a b", Action.READ));
        assertThrows(IllegalArgumentException.class, () -> Grant.of("*", Action.SIGNED_IN));
        assertThrows(IllegalArgumentException.class, () -> Grant.of("*"));
        var e = assertThrows(IllegalArgumentException.class, () -> Action.fromJsonName("fly"));
        assertTrue(e.getMessage().contains("manage-databases"), e.getMessage());
        assertEquals(Action.MANAGE_USERS, Action.fromJsonName("manage-users"));
    }

    @Test
    void builtInRolesBoundToADatabaseGrantOnlyThere() {
        SecurityState s = SecurityState.EMPTY;
        Principal shopWriter =
                new Principal(Principal.Kind.USER, "w", null, List.of(RoleBinding.in("readWrite", "shop")));
        assertTrue(s.allows(shopWriter, Action.WRITE, Scope.COLLECTION, SHOP_USERS));
        assertFalse(s.allows(shopWriter, Action.WRITE, Scope.COLLECTION, OTHER_USERS));
        assertFalse(s.allows(shopWriter, Action.MANAGE_DATABASES, Scope.DATABASE, SHOP));
        assertFalse(s.allows(shopWriter, Action.READ, Scope.CLUSTER, Map.of()));
        assertFalse(s.allows(shopWriter, Action.PUBLISH, Scope.TOPIC, Map.of("topic", "t")));
        Principal reader = new Principal(Principal.Kind.USER, "r", null, List.of(RoleBinding.everywhere("read")));
        assertTrue(s.allows(reader, Action.QUERY, Scope.COLLECTION, OTHER_USERS));
        assertFalse(s.allows(reader, Action.WRITE, Scope.COLLECTION, OTHER_USERS));
        Principal ghost = new Principal(Principal.Kind.USER, "g", null, List.of(RoleBinding.everywhere("gone")));
        assertFalse(s.allows(ghost, Action.READ, Scope.COLLECTION, SHOP_USERS), "a missing role grants nothing");
        assertTrue(s.allows(ghost, Action.SIGNED_IN, Scope.CLUSTER, Map.of()));
    }
}
