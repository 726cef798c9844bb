package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecurityStartupTest {

    private static Config config(boolean enabled, String host, boolean allow) {
        return ConfigFactory.parseMap(Map.of(
                        "lumadb.security.enabled", enabled,
                        "lumadb.http.host", host,
                        "lumadb.security.allow-off-on-non-loopback", allow))
                .withFallback(ConfigFactory.load());
    }

    @Test
    void securityOffIsRefusedOnAnAddressOtherThanLoopbackUnlessAllowed() {
        var refused = assertThrows(
                StartupChecks.StartupException.class,
                () -> StartupChecks.securityOffOnlyOnLoopback(config(false, "0.0.0.0", false)));
        assertTrue(refused.getMessage().contains("lumadb.security.allow-off-on-non-loopback"), refused.getMessage());
        assertDoesNotThrow(() -> StartupChecks.securityOffOnlyOnLoopback(config(false, "0.0.0.0", true)));
        assertDoesNotThrow(() -> StartupChecks.securityOffOnlyOnLoopback(config(false, "127.0.0.1", false)));
        assertDoesNotThrow(() -> StartupChecks.securityOffOnlyOnLoopback(config(false, "localhost", false)));
        assertDoesNotThrow(() -> StartupChecks.securityOffOnlyOnLoopback(config(true, "0.0.0.0", false)));
    }
}
