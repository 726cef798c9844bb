package io.lumadb.security;

import io.lumadb.security.tokens.TokenVerifier;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Turns an {@code Authorization} header into a {@link Principal}, against the security catalog
 * of the moment:
 *
 * <ul>
 *   <li>{@code Basic} (user and password): the password is checked against the user's Argon2id
 *       hash on a small pool of its own, never on a request thread. A verified credential is
 *       remembered under a salted SHA-256 of name and password together with the hash it
 *       matched, so the next request with it costs a map lookup; it stops matching as soon as
 *       the user's password changes or the user is gone. An unknown user costs a hash
 *       verification too, so response times do not tell which names exist.
 *   <li>{@code Bearer luma_...} (an API key): the key's id finds it, the SHA-256 of its secret is
 *       compared in constant time, and an expired or revoked key is refused.
 *   <li>Any other {@code Bearer} value is a JWT, checked by the {@link TokenVerifier}.
 * </ul>
 */
public final class Authenticator implements AutoCloseable {

    /** Thrown when too many password checks are waiting (the caller should retry later). */
    public static final class Busy extends RuntimeException {
        Busy() {
            super("too many logins are being checked at once; retry in a moment", null, false, false);
        }
    }

    private final Supplier<SecurityState> state;
    private final int cacheSize;
    private final ThreadPoolExecutor hashing;
    private final ConcurrentHashMap<String, String> verified = new ConcurrentHashMap<>();
    private final byte[] cacheSalt = new byte[32];
    private final String dummyHash;
    private final TokenVerifier tokens;

    public Authenticator(Supplier<SecurityState> state, PasswordHasher hasher, int cacheSize, int hashThreads) {
        this(state, hasher, cacheSize, hashThreads, null);
    }

    /** @param tokens checks bearer JWTs; null refuses them */
    public Authenticator(
            Supplier<SecurityState> state,
            PasswordHasher hasher,
            int cacheSize,
            int hashThreads,
            TokenVerifier tokens) {
        this.state = state;
        this.tokens = tokens;
        this.cacheSize = cacheSize;
        new SecureRandom().nextBytes(cacheSalt);
        this.dummyHash = hasher.hash("not a password of anybody");
        this.hashing = new ThreadPoolExecutor(
                hashThreads, hashThreads, 1, TimeUnit.MINUTES, new ArrayBlockingQueue<>(1024), r -> {
                    Thread t = new Thread(r, "lumadb-password-check");
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * The caller named by {@code authorization} (the header's value), or a failed stage with
     * {@link AuthenticationException} (missing or wrong credentials) or {@link Busy}.
     */
    public CompletionStage<Principal> authenticate(Optional<String> authorization) {
        if (authorization.isEmpty()) {
            return CompletableFuture.failedFuture(new AuthenticationException(
                    "this needs credentials: HTTP Basic (user and password) or an API key as a Bearer token"));
        }
        String header = authorization.get().trim();
        int space = header.indexOf(' ');
        String scheme = space < 0 ? header : header.substring(0, space);
        String value = space < 0 ? "" : header.substring(space + 1).trim();
        if (scheme.equalsIgnoreCase("Basic")) {
            return basic(value);
        }
        if (scheme.equalsIgnoreCase("Token") && value.indexOf(':') > 0 && !value.startsWith(ApiKeySecrets.PREFIX)) {
            // InfluxDB 1.8's 2.x compatibility: "Token user:password".
            return basic(java.util.Base64.getEncoder()
                    .encodeToString(value.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        if (scheme.equalsIgnoreCase("Bearer") || scheme.equalsIgnoreCase("Token")) {
            // "Token" is InfluxDB 2.x's name for a bearer token, which its clients send.
            if (tokens != null && !value.startsWith(ApiKeySecrets.PREFIX)) {
                return tokens.verify(value);
            }
            try {
                return CompletableFuture.completedFuture(apiKey(value, System.currentTimeMillis()));
            } catch (AuthenticationException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return CompletableFuture.failedFuture(new AuthenticationException(
                "unsupported authorization scheme '" + scheme + "'; use Basic or Bearer (or Token)"));
    }

    /** The principal of an API key ({@code luma_<id>_<secret>}), or {@link AuthenticationException}. */
    public Principal apiKey(String key, long nowMillis) {
        var presented = ApiKeySecrets.parse(key)
                .orElseThrow(() -> new AuthenticationException("the bearer token is not a LumaDB API key (luma_...)"));
        SecurityState.ApiKey stored = state.get().keys().get(presented.id());
        if (stored == null || !ApiKeySecrets.matches(presented.secret(), stored.secretHash())) {
            throw new AuthenticationException("unknown or revoked API key");
        }
        if (stored.expiredAt(nowMillis)) {
            throw new AuthenticationException("the API key " + stored.id() + " has expired");
        }
        // One principal per key while the key stays as it is, so the caches keyed by principals
        // (what it may see) find it without comparing role lists on every request.
        KnownKey known = keyPrincipals.get(stored.id());
        if (known != null && known.key().equals(stored)) {
            return known.principal();
        }
        Principal principal = new Principal(
                Principal.Kind.API_KEY,
                stored.owner(),
                stored.id(),
                stored.roles(),
                java.util.Map.of("sub", stored.owner(), "key", stored.id()),
                stored.expiresAtMillis());
        if (keyPrincipals.size() >= Math.max(1000, cacheSize)) {
            keyPrincipals.clear();
        }
        keyPrincipals.put(stored.id(), new KnownKey(stored, principal));
        return principal;
    }

    /** The principal made for an API key as the catalog had it. */
    private record KnownKey(SecurityState.ApiKey key, Principal principal) {}

    private final java.util.concurrent.ConcurrentHashMap<String, KnownKey> keyPrincipals =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Runs password work (hashing a new password, deriving its SCRAM verifier) on the password
     * threads, as logins are checked, never on a shared pool, where tens of milliseconds of
     * Argon2id per call would hold up unrelated work; fails with {@link Busy} when they are
     * saturated.
     */
    public <T> CompletionStage<T> offload(java.util.function.Supplier<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            hashing.execute(() -> {
                try {
                    result.complete(work.get());
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new Busy());
        }
        return result;
    }

    /**
     * Checks {@code password} against the user's hash (off the caller's thread), answering the
     * user record it matched, or failing with {@link AuthenticationException} or {@link Busy}.
     */
    public CompletionStage<SecurityState.User> verifyPassword(String name, String password) {
        SecurityState.User user = state.get().users().get(name);
        CompletableFuture<SecurityState.User> result = new CompletableFuture<>();
        try {
            hashing.execute(() -> {
                if (PasswordHasher.verify(password, user != null ? user.passwordHash() : dummyHash) && user != null) {
                    result.complete(user);
                } else {
                    result.completeExceptionally(new AuthenticationException("wrong user name or password"));
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new Busy());
        }
        return result;
    }

    private CompletionStage<Principal> basic(String encoded) {
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new AuthenticationException("malformed Basic credentials"));
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            return CompletableFuture.failedFuture(new AuthenticationException("malformed Basic credentials"));
        }
        String name = decoded.substring(0, colon);
        String password = decoded.substring(colon + 1);
        String cacheKey = cacheKey(name, password);
        SecurityState.User user = state.get().users().get(name);
        String remembered = verified.get(cacheKey);
        if (user != null && remembered != null && remembered.equals(user.passwordHash())) {
            return CompletableFuture.completedFuture(principal(user));
        }
        CompletableFuture<Principal> result = new CompletableFuture<>();
        try {
            hashing.execute(() -> {
                String hash = user != null ? user.passwordHash() : dummyHash;
                if (PasswordHasher.verify(password, hash) && user != null) {
                    if (verified.size() >= cacheSize) {
                        verified.clear();
                    }
                    if (cacheSize > 0) {
                        verified.put(cacheKey, hash);
                    }
                    result.complete(principal(user));
                } else {
                    result.completeExceptionally(new AuthenticationException("wrong user name or password"));
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new Busy());
        }
        return result;
    }

    private static Principal principal(SecurityState.User user) {
        return new Principal(Principal.Kind.USER, user.name(), null, user.roles());
    }

    private String cacheKey(String name, String password) {
        return Secrets.sha256Hex(
                cacheSalt,
                name.getBytes(StandardCharsets.UTF_8),
                new byte[] {0},
                password.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        hashing.shutdownNow();
    }
}
