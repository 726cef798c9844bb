package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lumadb.testkit.TestCertificates;
import io.lumadb.testkit.TestCertificates.Issued;
import io.lumadb.testkit.TestCertificates.KeyForm;
import io.lumadb.testkit.TestCertificates.KeyType;
import io.lumadb.testkit.TestFiles;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The HTTP API over TLS ({@code lumadb.http.tls}) on a real node, with certificates made at test
 * time: real clients (the JDK's HttpClient, the {@code openssl} command) negotiate TLS 1.3, TLS 1.2
 * is refused, the edge's limits hold over TLS, and bad files stop the node naming the setting.
 * Only public routes ({@code /health}) are used.
 */
@Timeout(120)
class HttpTlsIT {

    private static Path dir;
    private static TestCertificates ca;

    @BeforeAll
    static void certificates() throws IOException {
        dir = Files.createTempDirectory("lumadb-tls-it");
        ca = TestCertificates.authority(dir, "LumaDB test CA");
    }

    @AfterAll
    static void cleanUp() throws IOException {
        TestFiles.deleteRecursively(dir);
    }

    private static Map<String, Object> tls(Issued issued) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("lumadb.http.tls.enabled", true);
        settings.put("lumadb.http.tls.certificate-chain", issued.certificate().toString());
        settings.put("lumadb.http.tls.private-key", issued.privateKey().toString());
        return settings;
    }

    private static HttpResponse<String> health(HttpClient client, int port) throws Exception {
        return client.send(
                HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/health"))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpClient client() {
        return HttpClient.newBuilder()
                .sslContext(ca.clientContext())
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    private static SSLSocket socket(int port, String... protocols) throws IOException {
        SSLContext context = ca.clientContext();
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
        socket.setEnabledProtocols(protocols);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** What the server sends on {@code socket} until it closes (at most 10 s). */
    private static String readAll(SSLSocket socket) throws IOException {
        InputStream in = socket.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void rsaKeyInPkcs1FormServesHealthOverTls13AndRefusesTls12() throws Exception {
        Issued rsa = ca.issue(dir, "rsa-node", "node-rsa.test", KeyType.RSA, KeyForm.TRADITIONAL);
        Map<String, Object> settings = tls(rsa);
        settings.put("lumadb.http.header-timeout", "1s");
        try (InProcessServer node = new InProcessServer(settings);
                HttpClient client = client()) {
            HttpResponse<String> response = health(client, node.port());
            assertEquals(200, response.statusCode(), response.body());
            assertEquals("TLSv1.3", response.sslSession().orElseThrow().getProtocol());

            // A client that offers TLS 1.2 only gets no session.
            try (SSLSocket old = socket(node.port(), "TLSv1.2")) {
                assertThrows(SSLHandshakeException.class, old::startHandshake);
            }

            // The header timeout holds over TLS: a head that never completes is answered 408.
            try (SSLSocket slow = socket(node.port(), "TLSv1.3")) {
                slow.startHandshake();
                slow.getOutputStream()
                        .write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
                slow.getOutputStream().flush();
                String answer = readAll(slow);
                assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
                assertTrue(answer.contains("header-timeout"), answer);
            }

            openssl(node.port());
        }
    }

    /** {@code openssl s_client}: TLS 1.3 is negotiated, TLS 1.2 is refused. */
    private static void openssl(int port) throws Exception {
        assumeTrue(
                onPath("openssl"),
                "the openssl command is not on the PATH: the s_client checks need it (the JDK client checks ran)");
        Run tls13 = run(
                "openssl",
                "s_client",
                "-connect",
                "127.0.0.1:" + port,
                "-tls1_3",
                "-CAfile",
                ca.caFile().toString(),
                "-verify_return_error",
                "-servername",
                "localhost");
        assertEquals(0, tls13.exit(), tls13.output());
        assertTrue(tls13.output().contains("TLSv1.3"), tls13.output());
        assertTrue(tls13.output().contains("Verify return code: 0 (ok)"), tls13.output());

        Run tls12 = run(
                "openssl",
                "s_client",
                "-connect",
                "127.0.0.1:" + port,
                "-tls1_2",
                "-CAfile",
                ca.caFile().toString());
        assertTrue(tls12.exit() != 0, tls12.output());
        assertTrue(
                tls12.output().toLowerCase().contains("alert") || tls12.output().contains("no protocols"),
                tls12.output());
    }

    @Test
    void ecKeyInPkcs8FormServesHealthOverTls13AndKeepsThePerAddressLimit() throws Exception {
        Issued ec = ca.issue(dir, "ec-node", "node-ec.test", KeyType.EC, KeyForm.PKCS8);
        Map<String, Object> settings = tls(ec);
        settings.put("lumadb.http.max-connections-per-address", 1);
        settings.put("lumadb.http.limit-loopback-connections", true);
        try (InProcessServer node = new InProcessServer(settings)) {
            try (HttpClient client = client()) {
                HttpResponse<String> response = health(client, node.port());
                assertEquals(200, response.statusCode(), response.body());
                assertEquals("TLSv1.3", response.sslSession().orElseThrow().getProtocol());
                assertEquals(
                        "EC",
                        response.sslSession()
                                .orElseThrow()
                                .getPeerCertificates()[0]
                                .getPublicKey()
                                .getAlgorithm());
            }
            // One connection holds the address's only slot (once the client's closed connection is gone) ...
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            SSLSocket first;
            while (true) {
                first = socket(node.port(), "TLSv1.3");
                first.getOutputStream()
                        .write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                first.getOutputStream().flush();
                byte[] head = first.getInputStream().readNBytes(12);
                if (new String(head, StandardCharsets.ISO_8859_1).equals("HTTP/1.1 200")) {
                    break;
                }
                first.close();
                assertTrue(System.nanoTime() < deadline, "the address's slot never came free");
                Thread.sleep(100);
            }
            // ... so a second one is answered 503 problem+json, encrypted, and closed.
            try (SSLSocket held = first;
                    SSLSocket second = socket(node.port(), "TLSv1.3")) {
                second.getOutputStream()
                        .write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                String answer = readAll(second);
                assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
                assertTrue(answer.contains("too-many-connections"), answer);
                assertTrue(held.isConnected());
            }
        }
    }

    @Test
    void missingMismatchedOrUnsetFilesStopTheNodeNamingTheSetting() {
        Issued rsa = ca.issue(dir, "bad-rsa", "bad-rsa.test", KeyType.RSA, KeyForm.PKCS8);
        Issued ec = ca.issue(dir, "bad-ec", "bad-ec.test", KeyType.EC, KeyForm.TRADITIONAL);

        Map<String, Object> missingKey = tls(rsa);
        missingKey.put("lumadb.http.tls.private-key", dir.resolve("nope.key").toString());
        assertStartupFails(missingKey, "lumadb.http.tls.private-key", "nope.key", "no such file");

        Map<String, Object> missingChain = tls(rsa);
        missingChain.put(
                "lumadb.http.tls.certificate-chain", dir.resolve("nope.crt").toString());
        assertStartupFails(missingChain, "lumadb.http.tls.certificate-chain", "nope.crt", "no such file");

        Map<String, Object> mismatched = tls(rsa);
        mismatched.put("lumadb.http.tls.private-key", ec.privateKey().toString());
        assertStartupFails(
                mismatched, "lumadb.http.tls.private-key", "lumadb.http.tls.certificate-chain", "not belong");

        Map<String, Object> otherRsaKey = tls(rsa);
        otherRsaKey.put(
                "lumadb.http.tls.private-key",
                ca.issue(dir, "other-rsa", "other.test", KeyType.RSA, KeyForm.TRADITIONAL)
                        .privateKey()
                        .toString());
        assertStartupFails(otherRsaKey, "lumadb.http.tls.private-key", "not belong");

        Map<String, Object> keyAsChain = tls(rsa);
        keyAsChain.put("lumadb.http.tls.certificate-chain", rsa.privateKey().toString());
        assertStartupFails(keyAsChain, "lumadb.http.tls.certificate-chain", "no certificate");

        Map<String, Object> unset = tls(rsa);
        unset.put("lumadb.http.tls.private-key", "");
        assertStartupFails(unset, "lumadb.http.tls.private-key is not set");
    }

    private static void assertStartupFails(Map<String, Object> settings, String... mentions) {
        StartupChecks.StartupException failure =
                assertThrows(StartupChecks.StartupException.class, () -> new InProcessServer(settings).close());
        for (String mention : mentions) {
            assertTrue(
                    failure.getMessage().contains(mention), "'" + mention + "' missing from: " + failure.getMessage());
        }
    }

    private record Run(int exit, String output) {}

    private static Run run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            process.getOutputStream().close(); // s_client ends at end of input
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), String.join(" ", command) + " did not end");
            return new Run(process.exitValue(), output);
        } finally {
            process.destroyForcibly();
        }
    }

    private static boolean onPath(String command) {
        for (String path : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(path, command))) {
                return true;
            }
        }
        return false;
    }
}
