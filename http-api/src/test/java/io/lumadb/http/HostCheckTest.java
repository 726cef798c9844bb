package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.Test;

class HostCheckTest {

    private final HostCheck check = new HostCheck("127.0.0.1", List.of("db.example.com"));

    @Test
    void servesAddressesLocalhostAndConfiguredNames() {
        for (String host : List.of(
                "127.0.0.1:8080",
                "10.1.2.3",
                "[::1]:8080",
                "localhost",
                "LocalHost:1",
                "app.localhost:3000",
                "db.example.com",
                "DB.example.com:443")) {
            assertTrue(check.allowsHost(host), host);
        }
    }

    @Test
    void refusesOtherNames() {
        for (String host : List.of("evil.example", "evil.example:8080", "localhost.evil.example", "example.com")) {
            assertFalse(check.allowsHost(host), host);
        }
        assertTrue(new HostCheck("127.0.0.1", List.of("*")).allowsHost("evil.example"));
        assertTrue(new HostCheck("node1", List.of()).allowsHost("NODE1:8080"));
    }

    @Test
    void refusesMisspelledConfiguration() {
        assertThrows(IllegalArgumentException.class, () -> HostCheck.checkNames(List.of("http://db.example.com")));
        assertThrows(IllegalArgumentException.class, () -> HostCheck.checkNames(List.of("db.example.com:80")));
    }

    @Test
    void webSocketOriginsMustBeTheNodeItselfOrAllowedByCors() {
        Cors off = new Cors(List.of(), Duration.ofMinutes(1));
        assertTrue(HostCheck.allowsWebSocketOrigin(upgrade(null, "127.0.0.1:8080"), off));
        assertTrue(HostCheck.allowsWebSocketOrigin(upgrade("http://127.0.0.1:8080", "127.0.0.1:8080"), off));
        assertTrue(HostCheck.allowsWebSocketOrigin(upgrade("http://db.example.com", "db.example.com:80"), off));
        assertTrue(HostCheck.allowsWebSocketOrigin(upgrade("https://db.example.com", "db.example.com"), off));
        assertFalse(HostCheck.allowsWebSocketOrigin(upgrade("http://127.0.0.1:3000", "127.0.0.1:8080"), off));
        assertFalse(HostCheck.allowsWebSocketOrigin(upgrade("https://evil.example", "127.0.0.1:8080"), off));
        assertFalse(HostCheck.allowsWebSocketOrigin(upgrade("null", "127.0.0.1:8080"), off));
        Cors app = new Cors(List.of("http://127.0.0.1:3000"), Duration.ofMinutes(1));
        assertTrue(HostCheck.allowsWebSocketOrigin(upgrade("http://127.0.0.1:3000", "127.0.0.1:8080"), app));
    }

    private static HttpRequest upgrade(String origin, String host) {
        HttpRequest r = HttpRequest.GET("/api/v1/_ws").addHeader(RawHeader.create("Host", host));
        return origin == null ? r : r.addHeader(RawHeader.create("Origin", origin));
    }
}
