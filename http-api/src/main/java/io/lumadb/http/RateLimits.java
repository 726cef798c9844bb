package io.lumadb.http;

import io.lumadb.security.AuthenticationException;
import io.lumadb.security.Principal;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.RemoteAddress;

/**
 * The API's request budgets, as token buckets ({@link RateLimitSettings}): every request spends
 * a token of its client address before it is routed, so floods are refused before they cost
 * anything; an authenticated request also spends one of its principal's; and credentials that do
 * not hold spend the failed-login budget of the address, which, once empty, refuses every request
 * with credentials from that address before its password is checked (a check costs an Argon2id
 * hash). A refusal is a {@code 429} problem whose {@code Retry-After} is the time until the
 * bucket has a token again, in whole seconds rounded up.
 *
 * <p>Client addresses are the TCP peer's (never a forwarded header, which clients can forge);
 * IPv6 addresses count by their /64 prefix, the block one subscriber usually gets. Loopback
 * addresses are exempt from the address budgets unless {@code limit-loopback} is on. Principal
 * budgets apply wherever the request comes from; with security off there are no principals to
 * count. Each node keeps its own buckets.
 */
final class RateLimits {

    static final String ADDRESS = "address";
    static final String PRINCIPAL = "principal";
    static final String FAILED_LOGINS = "failed-logins";

    private final RateLimitSettings settings;
    private final RequestObserver observer;
    private final LongSupplier clock;
    private final TokenBuckets perAddress;
    private final TokenBuckets perPrincipal;
    private final TokenBuckets failedLogins;

    RateLimits(RateLimitSettings settings, RequestObserver observer) {
        this(settings, observer, System::nanoTime);
    }

    /** @param clock nanoseconds of a monotonic clock; the tests pass their own */
    RateLimits(RateLimitSettings settings, RequestObserver observer, LongSupplier clock) {
        this.settings = settings;
        this.observer = observer;
        this.clock = clock;
        this.perAddress = buckets(settings, settings.perAddress());
        this.perPrincipal = buckets(settings, settings.perPrincipal());
        this.failedLogins = buckets(settings, settings.failedLogins());
    }

    private static TokenBuckets buckets(RateLimitSettings settings, RateLimitSettings.Budget budget) {
        return settings.enabled() && budget.limited()
                ? new TokenBuckets(budget.perSecond(), budget.burst(), settings.maxTrackedKeys())
                : null;
    }

    /** Spends a token of the request's client address; a 429 {@link ApiException} if it has none. */
    void admitAddress(HttpRequest request) {
        if (perAddress == null) {
            return;
        }
        String address = addressKey(request);
        if (address == null) {
            return;
        }
        long wait = perAddress.get(address, clock.getAsLong()).take(clock.getAsLong());
        if (wait > 0) {
            observer.limited(ADDRESS);
            throw rateLimited("too many requests from " + address, settings.perAddress(), wait);
        }
    }

    /**
     * Runs {@code authenticate} under the failed-login budget of the request's address: refused at
     * once (429) while the budget is spent, and charged when credentials were presented and did
     * not hold. Requests without credentials are not login attempts and cost nothing here.
     */
    CompletionStage<Principal> authenticate(HttpRequest request, Supplier<CompletionStage<Principal>> authenticate) {
        if (failedLogins == null || request.getHeader("Authorization").isEmpty()) {
            return authenticate.get();
        }
        String address = addressKey(request);
        if (address == null) {
            return authenticate.get();
        }
        TokenBucket spent = failedLogins.find(address);
        long wait = spent == null ? 0 : spent.waitFor(clock.getAsLong());
        if (wait > 0) {
            observer.limited(FAILED_LOGINS);
            long seconds = TokenBucket.retryAfterSeconds(wait);
            return CompletableFuture.failedFuture(new ApiException(
                    429,
                    "too-many-failed-logins",
                    "Too many failed logins",
                    "too many failed logins from " + address + " (" + describe(settings.failedLogins())
                            + "); requests with credentials from it are refused for " + seconds + " s",
                    "Authorization",
                    Map.of("retryAfter", seconds)));
        }
        return authenticate.get().whenComplete((principal, failure) -> {
            if (unwrap(failure) instanceof AuthenticationException) {
                long now = clock.getAsLong();
                failedLogins.get(address, now).charge(now);
            }
        });
    }

    /** Spends a token of {@code principal}; a 429 {@link ApiException} if it has none. */
    void admitPrincipal(Principal principal) {
        if (perPrincipal == null) {
            return;
        }
        String key = principalKey(principal);
        if (key == null) {
            return;
        }
        long wait = perPrincipal.get(key, clock.getAsLong()).take(clock.getAsLong());
        if (wait > 0) {
            observer.limited(PRINCIPAL);
            throw rateLimited("too many requests by " + principal.describe(), settings.perPrincipal(), wait);
        }
    }

    private static ApiException rateLimited(String what, RateLimitSettings.Budget budget, long waitNanos) {
        long seconds = TokenBucket.retryAfterSeconds(waitNanos);
        return new ApiException(
                429,
                "rate-limited",
                "Rate limited",
                what + " (" + describe(budget) + "); retry in " + seconds + " s",
                null,
                Map.of("retryAfter", seconds));
    }

    private static String describe(RateLimitSettings.Budget budget) {
        double perSecond = budget.perSecond();
        String rate = perSecond >= 1 || perSecond * 60 < 1
                ? number(perSecond) + " per second"
                : number(perSecond * 60) + " per minute";
        return budget.key() + ": " + rate + ", burst " + budget.burst();
    }

    private static String number(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.format(Locale.ROOT, "%.3f", d);
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /**
     * The key of the request's client address for the address budgets, or null when they do not
     * apply to it: loopback (unless {@code limit-loopback}), or no address known.
     */
    String addressKey(HttpRequest request) {
        InetAddress address = clientAddress(request).orElse(null);
        if (address == null || (address.isLoopbackAddress() && !settings.limitLoopback())) {
            return null;
        }
        return addressKey(address);
    }

    /** The TCP peer of the request, as the HTTP edge recorded it. */
    static Optional<InetAddress> clientAddress(HttpRequest request) {
        return request.getAttribute(AttributeKeys.remoteAddress).flatMap(RemoteAddress::getAddress);
    }

    /** An IPv4 address as it is; an IPv6 address as its /64 prefix. */
    static String addressKey(InetAddress address) {
        if (address instanceof Inet6Address && !address.isLoopbackAddress()) {
            byte[] prefix = new byte[16];
            System.arraycopy(address.getAddress(), 0, prefix, 0, 8);
            try {
                return InetAddress.getByAddress(prefix).getHostAddress() + "/64";
            } catch (UnknownHostException e) {
                throw new IllegalStateException("16 bytes are an IPv6 address", e);
            }
        }
        return address.getHostAddress();
    }

    /**
     * The key of a principal's budgets: the user, the API key (each key has its own), or the
     * token's subject; null with security off, where every caller is the same anonymous one.
     */
    static String principalKey(Principal principal) {
        return switch (principal.kind()) {
            case USER -> "user:" + principal.name();
            case API_KEY -> "key:" + principal.keyId();
            case TOKEN -> "token:" + principal.name();
            case UNRESTRICTED -> null;
        };
    }
}
