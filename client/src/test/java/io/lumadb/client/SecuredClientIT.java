package io.lumadb.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.lumadb.node.LumaDbServer;
import io.lumadb.testkit.TestFiles;
import io.lumadb.testkit.TestHttp;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The client against a node with security on: signed in with a password or an API key, or refused. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SecuredClientIT {

    private static final String ADMIN_PASSWORD = "client-admin-pw";

    @Test
    void theClientSignsInWithAPasswordOrAKeyAndARevokedKeyEndsTheStream() throws Exception {
        Path dir = Files.createTempDirectory("lumadb-client-security");
        ActorSystem system = ActorSystem.create("secured-client-it");
        LumaDbServer server = null;
        try {
            server = LumaDbServer.start(ConfigFactory.parseMap(Map.of(
                    "lumadb.data-dir",
                    dir.toString(),
                    "lumadb.http.port",
                    0,
                    "lumadb.security.enabled",
                    true,
                    "lumadb.security.admin-password",
                    ADMIN_PASSWORD)));
            TestHttp admin = new TestHttp(server.port()).asUser("admin", ADMIN_PASSWORD);
            assertEquals(201, admin.method("PUT", "/api/v1/shop", null, null).status());
            admin.putDocument("/api/v1/shop/orders", "o1", "{\"total\":1}");
            admin.putDocument("/api/v1/shop/orders", "o2", "{\"total\":2}");
            var key = admin.method(
                    "POST", "/api/v1/_security/keys", "application/json", "{\"name\":\"reader\",\"roles\":[\"read\"]}");
            assertEquals(201, key.status(), key.toString());
            String secret = key.json().path("secret").asText();
            URI base = URI.create("http://127.0.0.1:" + server.port());

            try (LumaDbClient client = LumaDbClient.builder(base)
                    .credentials("admin", ADMIN_PASSWORD)
                    .build()) {
                assertEquals(java.util.Set.of("o1", "o2"), new java.util.HashSet<>(ids(client, system)));
            }
            try (LumaDbClient client = LumaDbClient.builder(base).apiKey(secret).build()) {
                assertEquals(java.util.Set.of("o1", "o2"), new java.util.HashSet<>(ids(client, system)));
            }
            try (LumaDbClient anonymous = LumaDbClient.create(base)) {
                assertEquals(401, failure(anonymous, system).status());
            }
            try (LumaDbClient wrong =
                    LumaDbClient.builder(base).credentials("admin", "not-it").build()) {
                assertEquals(401, failure(wrong, system).status());
            }
            String id = key.json().path("id").asText();
            assertEquals(200, admin.delete("/api/v1/_security/keys/" + id).status());
            try (LumaDbClient revoked =
                    LumaDbClient.builder(base).apiKey(secret).build()) {
                LumaDbException e = failure(revoked, system);
                assertEquals(401, e.status());
                assertTrue(e.problemType().endsWith("unauthorized"), e.problemType());
            }
        } finally {
            if (server != null) {
                server.stop();
            }
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            TestFiles.deleteRecursively(dir);
        }
    }

    private static List<String> ids(LumaDbClient client, ActorSystem system) throws Exception {
        return client.changes("shop", "orders", StartPosition.beginning())
                .take(2)
                .map(ChangeEnvelope::id)
                .runWith(Sink.seq(), system)
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    private static LumaDbException failure(LumaDbClient client, ActorSystem system) {
        Throwable cause = TestLumaDb.streamFailure(client, "shop", "orders", system);
        return assertInstanceOf(LumaDbException.class, cause, String.valueOf(cause));
    }
}
