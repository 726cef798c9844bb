package io.lumadb.http;

/** Receives one call per answered request, for metrics; must be cheap and thread-safe. */
@FunctionalInterface
public interface RequestObserver {
    /**
     * @param route the route template, such as {@code /api/v1/{db}/{collection}/{id}}
     */
    void record(String route, String method, int status, long nanos);

    /**
     * One request refused by a rate limit: {@code address}, {@code principal}, {@code
     * failed-logins} or {@code subscriptions} ({@link RateLimits}, {@link SubscriptionLimits}).
     */
    default void limited(String kind) {}

    RequestObserver NONE = (route, method, status, nanos) -> {};
}
