package io.lumadb.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

/**
 * Settings of the API's rate limits, from {@code lumadb.http.rate-limits} (README "Rate
 * limits"): token buckets per client address, per authenticated principal and for failed logins
 * per address, and the streams one principal may hold open at once.
 *
 * @param enabled off: no request is rate limited and no stream is counted
 * @param limitLoopback whether the limits keyed by client address apply to loopback addresses
 *     (127.0.0.0/8, ::1) too
 * @param perAddress requests of one client address, authenticated or not
 * @param perPrincipal requests of one principal (a user, an API key, a token subject)
 * @param failedLogins requests with credentials that did not hold, per client address
 * @param maxSubscriptionsPerPrincipal streams (SSE responses and WebSockets) one principal may hold
 *     open on this node; 0: no limit
 * @param maxTrackedKeys buckets kept per kind of budget before idle ones are forgotten
 */
public record RateLimitSettings(
        boolean enabled,
        boolean limitLoopback,
        Budget perAddress,
        Budget perPrincipal,
        Budget failedLogins,
        int maxSubscriptionsPerPrincipal,
        int maxTrackedKeys) {

    private static final String PREFIX = "lumadb.http.rate-limits.";

    /**
     * One token bucket's size: {@code perSecond} tokens a second, at most {@code burst} at once.
     * A rate of 0 means no limit.
     *
     * @param key the configuration key it came from, named in the problems it causes
     */
    public record Budget(double perSecond, int burst, String key) {
        public boolean limited() {
            return perSecond > 0;
        }
    }

    /** No limits at all. */
    public static final RateLimitSettings OFF = new RateLimitSettings(
            false,
            false,
            new Budget(0, 1, PREFIX + "per-address"),
            new Budget(0, 1, PREFIX + "per-principal"),
            new Budget(0, 1, PREFIX + "failed-logins"),
            0,
            1);

    public static RateLimitSettings from(Config http) {
        Config c = http.getConfig("rate-limits");
        int maxKeys = integer(c, "max-tracked-keys");
        if (maxKeys < 1) {
            throw bad(c, "max-tracked-keys", "must be at least 1");
        }
        int maxSubscriptions = integer(c, "max-subscriptions-per-principal");
        if (maxSubscriptions < 0) {
            throw bad(c, "max-subscriptions-per-principal", "must be 0 (no limit) or more");
        }
        return new RateLimitSettings(
                flag(c, "enabled"),
                flag(c, "limit-loopback"),
                budget(c, "per-address", "requests-per-second", 1),
                budget(c, "per-principal", "requests-per-second", 1),
                budget(c, "failed-logins", "per-minute", 60),
                maxSubscriptions,
                maxKeys);
    }

    private static Budget budget(Config c, String name, String rateKey, double perSecondDivisor) {
        double rate = number(c, name + "." + rateKey);
        if (!(rate >= 0) || Double.isInfinite(rate)) {
            throw bad(c, name + "." + rateKey, "must be 0 (no limit) or a positive number");
        }
        int burst = integer(c, name + ".burst");
        if (rate > 0 && burst < 1) {
            throw bad(c, name + ".burst", "must be at least 1");
        }
        return new Budget(rate / perSecondDivisor, Math.max(1, burst), PREFIX + name);
    }

    // Typesafe names a mistyped key relative to the block; these name it in full.

    private static int integer(Config c, String key) {
        try {
            return c.getInt(key);
        } catch (ConfigException.WrongType e) {
            throw bad(c, key, "must be a whole number");
        }
    }

    private static double number(Config c, String key) {
        try {
            return c.getDouble(key);
        } catch (ConfigException.WrongType e) {
            throw bad(c, key, "must be a number");
        }
    }

    private static boolean flag(Config c, String key) {
        try {
            return c.getBoolean(key);
        } catch (ConfigException.WrongType e) {
            throw bad(c, key, "must be on or off");
        }
    }

    private static ConfigException bad(Config c, String key, String why) {
        return new ConfigException.BadValue(c.getValue(key).origin(), PREFIX + key, why);
    }
}
