package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code lumadb.http.rate-limits}: the defaults, and a clear error naming the key for a bad value. */
class RateLimitSettingsTest {

    private static RateLimitSettings with(String key, Object value) {
        return HttpSettings.from(ConfigFactory.parseMap(Map.of("lumadb.http.rate-limits." + key, value))
                        .withFallback(ConfigFactory.load()))
                .rateLimits();
    }

    @Test
    void defaultsAreOnGenerousAndExemptLoopback() {
        RateLimitSettings s = HttpSettings.from(ConfigFactory.load()).rateLimits();
        assertTrue(s.enabled());
        assertFalse(s.limitLoopback());
        assertEquals(2000, s.perAddress().perSecond());
        assertEquals(4000, s.perAddress().burst());
        assertEquals(10000, s.perPrincipal().perSecond());
        assertEquals(10.0 / 60, s.failedLogins().perSecond(), 1e-12, "10 a minute");
        assertEquals(10, s.failedLogins().burst());
        assertEquals(1000, s.maxSubscriptionsPerPrincipal());
        assertEquals(100000, s.maxTrackedKeys());
    }

    @Test
    void zeroMeansNoLimit() {
        assertFalse(with("per-address.requests-per-second", 0).perAddress().limited());
        assertFalse(with("failed-logins.per-minute", 0).failedLogins().limited());
        assertEquals(0, with("max-subscriptions-per-principal", 0).maxSubscriptionsPerPrincipal());
    }

    @Test
    void badValuesStopTheNodeNamingTheKey() {
        Map<String, Object> bad = Map.of(
                "per-address.requests-per-second", -1,
                "per-principal.burst", 0,
                "failed-logins.per-minute", "lots",
                "max-subscriptions-per-principal", -5,
                "max-tracked-keys", 0);
        for (var e : bad.entrySet()) {
            ConfigException refused = assertThrows(ConfigException.class, () -> with(e.getKey(), e.getValue()));
            assertTrue(
                    refused.getMessage().contains("lumadb.http.rate-limits." + e.getKey()),
                    e.getKey() + ": " + refused.getMessage());
        }
    }
}
