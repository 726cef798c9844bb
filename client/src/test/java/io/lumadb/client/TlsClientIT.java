package io.lumadb.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.lumadb.node.LumaDbServer;
import io.lumadb.testkit.TestCertificates;
import io.lumadb.testkit.TestCertificates.Issued;
import io.lumadb.testkit.TestCertificates.KeyForm;
import io.lumadb.testkit.TestCertificates.KeyType;
import io.lumadb.testkit.TestFiles;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The client over HTTPS to a real TLS node, trusting the node's CA from a PEM file. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TlsClientIT {

    @Test
    void theClientTalksHttpsToATlsNodeWithTheCaFromAPemFile() throws Exception {
        Path dir = Files.createTempDirectory("lumadb-client-tls");
        ActorSystem system = ActorSystem.create("tls-client-it");
        LumaDbServer server = null;
        try {
            TestCertificates ca = TestCertificates.authority(dir, "client test CA");
            Issued node = ca.issue(dir, "node", "localhost", KeyType.EC, KeyForm.PKCS8);
            server = LumaDbServer.start(ConfigFactory.parseMap(Map.of(
                    "lumadb.data-dir",
                    dir.resolve("data").toString(),
                    "lumadb.http.port",
                    0,
                    // This test is about TLS; SecuredClientIT signs in.
                    "lumadb.security.enabled",
                    false,
                    "lumadb.http.tls.enabled",
                    true,
                    "lumadb.http.tls.certificate-chain",
                    node.certificate().toString(),
                    "lumadb.http.tls.private-key",
                    node.privateKey().toString())));
            URI base = URI.create("https://localhost:" + server.port());
            try (LumaDbClient client =
                    LumaDbClient.builder(base).caCertificate(ca.caFile()).build()) {
                // The node answered over TLS: a typed 404 for a collection that does not exist.
                Throwable missing = TestLumaDb.streamFailure(client, "nodb", "nocoll", system);
                LumaDbException answered = assertInstanceOf(LumaDbException.class, missing, String.valueOf(missing));
                assertEquals(404, answered.status());
            }
            try (LumaDbClient untrusting = LumaDbClient.builder(base).build()) {
                Throwable refused = TestLumaDb.streamFailure(untrusting, "nodb", "nocoll", system);
                assertTrue(
                        !(refused instanceof LumaDbException) || refused instanceof LumaDbUnavailableException,
                        String.valueOf(refused));
            }
            IllegalArgumentException badFile =
                    assertThrows(IllegalArgumentException.class, () -> LumaDbClient.builder(base)
                            .caCertificate(dir.resolve("missing.crt"))
                            .build());
            assertTrue(badFile.getMessage().contains("missing.crt"), badFile.getMessage());
        } finally {
            if (server != null) {
                server.stop();
            }
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            TestFiles.deleteRecursively(dir);
        }
    }
}
