package io.lumadb.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.security.SecurityCatalogEntity.Outcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The security catalog and a node's view of it, on a real single-node cluster (sharding, the
 * event-sourced entity, the change topic) with Pekko's in-memory journal, and every message
 * serialized as it would be between nodes.
 */
@Timeout(120)
class SecurityTest {

    private static ActorTestKit kit;
    private static Security security;

    @BeforeAll
    static void start() throws Exception {
        kit = io.lumadb.testkit.TestClusters.singleNode(Map.of());
        security = Security.start(
                kit.system(),
                new SecuritySettings(
                        true,
                        "first-admin-pw",
                        new PasswordHasher.Cost(1024, 1, 1),
                        100,
                        2,
                        Duration.ofMinutes(5),
                        Duration.ofSeconds(20)));
        assertEquals(Optional.empty(), await(security.bootstrap()), "a configured password is not echoed");
    }

    @AfterAll
    static void stop() {
        security.close();
        kit.shutdownTestKit();
    }

    static <T> T await(CompletionStage<T> stage) throws Exception {
        try {
            return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }

    private static Optional<String> basic(String user, String password) {
        return Optional.of("Basic "
                + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }

    private static Principal login(String user, String password) throws Exception {
        return await(security.authenticate(basic(user, password)));
    }

    @Test
    void theFirstAdminIsCreatedOnceWithTheConfiguredPassword() throws Exception {
        Principal admin = login("admin", "first-admin-pw");
        assertEquals("admin", admin.name());
        assertTrue(security.state().isClusterAdmin(admin.roles()));
        assertEquals(Optional.empty(), await(security.bootstrap()), "users exist: nothing is created");
        assertThrows(AuthenticationException.class, () -> login("admin", "wrong-password"));
    }

    @Test
    void rolesWithRulesOfEveryShapeCrossToAnotherNodeIntact() throws Exception {
        // Nodes receive the catalog's state over the cluster, and the journal gives its events
        // back on recovery: both go through Pekko's serialization, which every rule must survive.
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        List<RowRule> rules = List.of(
                new RowRule("db:ser/a", mapper.readTree("{\"owner\":\"$claims.sub\"}"), null, List.of()),
                new RowRule("db:ser/b", null, mapper.readTree("{\"open\":true}"), List.of()),
                new RowRule("db:ser/c", null, null, List.of("secret")));
        Role role = new Role("serRules", List.of(Grant.of("db:ser", Action.READ)), false, rules);
        SecurityState state = await(security.putRole(role)).state();
        var serialization = org.apache.pekko.serialization.SerializationExtension.get(
                org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(kit.system()));
        for (Object message : List.of(new SecurityCatalogEntity.Changed(state), state)) {
            byte[] bytes = serialization.serialize(message).get();
            var serializer = serialization.findSerializerFor(message);
            String manifest = org.apache.pekko.serialization.Serializers.manifestFor(serializer, message);
            Object back = serialization
                    .deserialize(bytes, serializer.identifier(), manifest)
                    .get();
            SecurityState received = back instanceof SecurityCatalogEntity.Changed c ? c.state() : (SecurityState) back;
            assertEquals(
                    rules,
                    received.roles().get("serRules").rules(),
                    message.getClass().getSimpleName());
        }
    }

    @Test
    void wrongUnknownMalformedAndMissingCredentialsAreRefused() throws Exception {
        await(security.putUser("carol", "carol-pw-1", List.of(RoleBinding.everywhere("read"))));
        assertThrows(AuthenticationException.class, () -> login("carol", "carol-pw-2"));
        assertThrows(AuthenticationException.class, () -> login("nobody", "carol-pw-1"));
        for (Optional<String> header : List.of(
                Optional.<String>empty(),
                Optional.of("Basic !!!"),
                Optional.of("Basic " + Base64.getEncoder().encodeToString("no-colon".getBytes())),
                Optional.of("Digest x"),
                Optional.of("Bearer not-a-key"),
                Optional.of("Bearer luma_aaaaaaaaaaaa_" + "A".repeat(43)))) {
            assertThrows(AuthenticationException.class, () -> await(security.authenticate(header)), header.toString());
        }
        assertEquals("carol", login("carol", "carol-pw-1").name());
    }

    @Test
    void aChangedPasswordStopsTheRememberedOneAtOnce() throws Exception {
        await(security.putUser("dave", "dave-pw-old", List.of(RoleBinding.everywhere("read"))));
        assertEquals("dave", login("dave", "dave-pw-old").name());
        assertEquals("dave", login("dave", "dave-pw-old").name(), "remembered");
        await(security.putUser("dave", "dave-pw-new", List.of(RoleBinding.everywhere("read"))));
        assertThrows(AuthenticationException.class, () -> login("dave", "dave-pw-old"));
        assertEquals("dave", login("dave", "dave-pw-new").name());
        // Updating roles without a password keeps it.
        await(security.putUser("dave", null, List.of(RoleBinding.everywhere("readWrite"))));
        Principal dave = login("dave", "dave-pw-new");
        assertEquals(List.of(RoleBinding.everywhere("readWrite")), dave.roles());
        await(security.deleteUser("dave"));
        assertThrows(AuthenticationException.class, () -> login("dave", "dave-pw-new"));
    }

    @Test
    void apiKeysWorkUntilRevokedAndExpiredOnesAreRefused() throws Exception {
        await(security.putUser("erin", "erin-pw-12", List.of(RoleBinding.everywhere("read"))));
        var created = await(security.createKey("erin", "ci", List.of(RoleBinding.in("readWrite", "shop")), 0));
        assertTrue(created.secret().startsWith("luma_" + created.key().id() + "_"));
        assertEquals(64, created.key().secretHash().length(), "only the SHA-256 of the secret is kept");
        Principal p = await(security.authenticate(Optional.of("Bearer " + created.secret())));
        assertEquals(Principal.Kind.API_KEY, p.kind());
        assertEquals("erin", p.name());
        assertTrue(security.allows(
                p, Permission.of(Action.WRITE, Scope.COLLECTION), Map.of("db", "shop", "collection", "c")));
        assertThrows(
                AccessDeniedException.class,
                () -> security.authorize(
                        p, Permission.of(Action.WRITE, Scope.COLLECTION), Map.of("db", "other", "collection", "c")));
        // A wrong secret for an existing id.
        String forged = created.secret().substring(0, created.secret().length() - 1)
                + (created.secret().endsWith("A") ? "B" : "A");
        assertThrows(
                AuthenticationException.class, () -> await(security.authenticate(Optional.of("Bearer " + forged))));

        await(security.revokeKey(created.key().id()));
        assertThrows(
                AuthenticationException.class,
                () -> await(security.authenticate(Optional.of("Bearer " + created.secret()))));
        var e = assertThrows(
                SecurityCatalogException.class,
                () -> await(security.revokeKey(created.key().id())));
        assertEquals(Outcome.NOT_FOUND, e.outcome());

        var expiring = await(security.createKey(
                "erin", "soon", List.of(RoleBinding.everywhere("read")), System.currentTimeMillis() + 300));
        Thread.sleep(400);
        var expired = assertThrows(
                AuthenticationException.class,
                () -> await(security.authenticate(Optional.of("Bearer " + expiring.secret()))));
        assertTrue(expired.getMessage().contains("expired"), expired.getMessage());
    }

    @Test
    void droppingAUserRevokesItsKeys() throws Exception {
        await(security.putUser("fred", "fred-pw-12", List.of(RoleBinding.everywhere("read"))));
        var key = await(security.createKey("fred", "k", List.of(RoleBinding.everywhere("read")), 0));
        await(security.deleteUser("fred"));
        assertThrows(
                AuthenticationException.class,
                () -> await(security.authenticate(Optional.of("Bearer " + key.secret()))));
        var e = assertThrows(
                SecurityCatalogException.class,
                () -> await(security.createKey("fred", "k2", List.of(RoleBinding.everywhere("read")), 0)));
        assertEquals(Outcome.UNKNOWN_OWNER, e.outcome());
    }

    @Test
    void theCatalogStaysConsistent() throws Exception {
        var unknown = assertThrows(
                SecurityCatalogException.class,
                () -> await(security.putUser("gina", "gina-pw-12", List.of(RoleBinding.everywhere("nope")))));
        assertEquals(Outcome.UNKNOWN_ROLE, unknown.outcome());
        var noPassword = assertThrows(
                SecurityCatalogException.class,
                () -> await(security.putUser("gina", null, List.of(RoleBinding.everywhere("read")))));
        assertEquals(Outcome.PASSWORD_REQUIRED, noPassword.outcome());
        // The only admin can be neither demoted nor dropped.
        var demote = assertThrows(
                SecurityCatalogException.class,
                () -> await(security.putUser("admin", null, List.of(RoleBinding.everywhere("read")))));
        assertEquals(Outcome.LAST_ADMIN, demote.outcome());
        assertEquals(
                Outcome.LAST_ADMIN,
                assertThrows(SecurityCatalogException.class, () -> await(security.deleteUser("admin")))
                        .outcome());
        // Built-in roles are fixed; a custom role in use cannot be dropped.
        assertEquals(
                Outcome.BUILT_IN,
                assertThrows(SecurityCatalogException.class, () -> await(security.deleteRole("read")))
                        .outcome());
        Role auditor = new Role("auditor", List.of(Grant.of("db:audit", Action.READ, Action.QUERY)), false);
        assertEquals(Outcome.CREATED, await(security.putRole(auditor)).outcome());
        await(security.putUser("hal", "hal-pw-123", List.of(RoleBinding.everywhere("auditor"))));
        assertEquals(
                Outcome.ROLE_IN_USE,
                assertThrows(SecurityCatalogException.class, () -> await(security.deleteRole("auditor")))
                        .outcome());
        await(security.deleteUser("hal"));
        assertEquals(Outcome.DELETED, await(security.deleteRole("auditor")).outcome());
    }

    @Test
    void aRoleChangeAppliesToTheNextCheck() throws Exception {
        await(security.putRole(new Role("shopReader", List.of(Grant.of("db:shop", Action.READ)), false)));
        await(security.putUser("ivy", "ivy-pw-123", List.of(RoleBinding.everywhere("shopReader"))));
        Principal ivy = login("ivy", "ivy-pw-123");
        Permission write = Permission.of(Action.WRITE, Scope.COLLECTION);
        Map<String, String> shop = Map.of("db", "shop", "collection", "c");
        assertThrows(AccessDeniedException.class, () -> security.authorize(ivy, write, shop));
        await(security.putRole(new Role("shopReader", List.of(Grant.of("db:shop", Action.READ, Action.WRITE)), false)));
        security.authorize(ivy, write, shop);
    }

    @Test
    void everyChangeIsPublishedToEveryNode() throws Exception {
        TestProbe<SecurityCatalogEntity.Changed> probe = kit.createTestProbe();
        var topic = kit.spawn(SecurityCatalogEntity.topic());
        topic.tell(Topic.subscribe(probe.getRef()));
        // The subscription travels through the receptionist; keep changing until one arrives.
        long before = security.state().version();
        SecurityCatalogEntity.Changed changed = null;
        for (int i = 0; i < 20 && changed == null; i++) {
            await(security.putUser("jo" + i, "jo-pw-1234", List.of(RoleBinding.everywhere("read"))));
            try {
                changed = probe.expectMessageClass(SecurityCatalogEntity.Changed.class, Duration.ofMillis(500));
            } catch (AssertionError notYet) {
                // not subscribed yet
            }
        }
        assertInstanceOf(SecurityCatalogEntity.Changed.class, changed);
        assertTrue(changed.state().version() > before);
        assertTrue(changed.state().users().keySet().stream().anyMatch(u -> u.startsWith("jo")));
    }
}
