package io.lumadb.security.tokens;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.typesafe.config.ConfigException;
import io.lumadb.security.AuthenticationException;
import io.lumadb.security.Principal;
import io.lumadb.security.RoleBinding;
import io.lumadb.security.SecurityState;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Verifies bearer JWTs and turns them into {@link Principal}s of kind {@code TOKEN}. The token's
 * {@code iss} picks the verifier:
 *
 * <ul>
 *   <li>LumaDB's own issuer: HS256 only, signed by a key of the security catalog named by the
 *       header's {@code kid}; {@code aud} must hold LumaDB's audience. The caller's roles come
 *       from the user's current record, not from the token, so a role change applies to the next
 *       request; a deleted user's token, or one whose sign-in ended ({@code sid}: signed out,
 *       new password, refresh token reused), is refused at once.
 *   <li>The external identity provider's issuer (when enabled): RSA or EC signatures only
 *       (RS256, PS256, ES256 and their longer variants), with a key of its JWKS; roles come from
 *       the configured claim through the role mapping, and unknown roles grant nothing.
 * </ul>
 *
 * <p>Either way {@code alg: none}, encrypted tokens, a bad signature, an unknown {@code kid}, an
 * expired or not-yet-valid token (within the configured clock skew), a wrong issuer or
 * audience and a missing {@code sub} are refused with an {@link AuthenticationException} that
 * says which. The principal's claims are the token's top-level claims that are strings,
 * numbers, booleans or arrays of strings (times as seconds since the epoch).
 *
 * <p>The catalog keeps LumaDB's signing key and the one it replaced ({@code POST
 * /api/v1/_security/signing-keys/_rotate}); the replaced key verifies for one access-token
 * lifetime (plus the clock skew) after its replacement, long enough for every token it signed to
 * expire, and no longer, so that a leaked old key cannot sign new tokens that pass.
 */
public final class TokenVerifier implements AutoCloseable {

    /** The algorithms accepted from the external provider: signatures with public keys, never HMAC. */
    static final Set<JWSAlgorithm> EXTERNAL_ALGORITHMS = externalAlgorithms();

    /** A token issued this recently may name state this node has not seen yet. */
    private static final long FRESH_MILLIS = 10_000;

    /** At most one catalog read per second for unknown key ids, which precede the signature check. */
    private static final long RELOAD_INTERVAL_MILLIS = 1_000;

    private final JwtSettings settings;
    private final Supplier<SecurityState> state;
    private final Supplier<CompletionStage<SecurityState>> reload;
    private final DefaultJWTProcessor<SecurityContext> external;
    private final ThreadPoolExecutor externalChecks;
    private final AtomicLong lastReload = new AtomicLong();

    /**
     * @param state the node's newest security catalog
     * @param reload reads the catalog from its entity, for a token naming a key, user or sign-in
     *     the node has not seen yet (issued a moment ago by another node)
     * @throws ConfigException if the external provider's JWKS file cannot be read
     */
    public TokenVerifier(
            JwtSettings settings, Supplier<SecurityState> state, Supplier<CompletionStage<SecurityState>> reload) {
        this.settings = settings;
        this.state = state;
        this.reload = reload;
        if (settings.external().enabled()) {
            external = new DefaultJWTProcessor<>();
            external.setJWSTypeVerifier(
                    new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, new JOSEObjectType("at+jwt"), null));
            external.setJWSKeySelector(
                    new JWSVerificationKeySelector<>(EXTERNAL_ALGORITHMS, jwks(settings.external())));
            // Times, issuer and audience are checked here, with clearer messages.
            external.setJWTClaimsSetVerifier((claims, context) -> {});
            externalChecks = new ThreadPoolExecutor(2, 2, 1, TimeUnit.MINUTES, new ArrayBlockingQueue<>(1024), r -> {
                Thread t = new Thread(r, "lumadb-token-check");
                t.setDaemon(true);
                return t;
            });
        } else {
            external = null;
            externalChecks = null;
        }
    }

    private static Set<JWSAlgorithm> externalAlgorithms() {
        Set<JWSAlgorithm> algorithms = new LinkedHashSet<>();
        algorithms.addAll(JWSAlgorithm.Family.RSA);
        algorithms.addAll(JWSAlgorithm.Family.EC);
        return Set.copyOf(algorithms);
    }

    private static JWKSource<SecurityContext> jwks(JwtSettings.External ext) {
        if (ext.jwksFile() != null) {
            String key = "lumadb.security.jwt.external.jwks-file";
            JWKSet set;
            try {
                set = JWKSet.load(ext.jwksFile().toFile());
            } catch (IOException | ParseException e) {
                throw new ConfigException.BadValue(key, "is not a readable JWKS (" + e.getMessage() + ")");
            }
            if (set.getKeys().isEmpty()) {
                throw new ConfigException.BadValue(key, "holds no key");
            }
            return new ImmutableJWKSet<>(set.toPublicJWKSet());
        }
        try {
            long ttl = ext.jwksCacheLifetime().toMillis();
            return JWKSourceBuilder.<SecurityContext>create(
                            URI.create(ext.jwksUrl()).toURL())
                    .cache(ttl, JWKSourceBuilder.DEFAULT_CACHE_REFRESH_TIMEOUT)
                    .retrying(true)
                    .build();
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw new ConfigException.BadValue("lumadb.security.jwt.external.jwks-url", e.getMessage());
        }
    }

    /** Whether the external identity provider is configured. */
    public boolean externalEnabled() {
        return external != null;
    }

    /** The principal of {@code token}, or a stage failed with {@link AuthenticationException}. */
    public CompletionStage<Principal> verify(String token) {
        long now = System.currentTimeMillis();
        try {
            SignedJWT jwt = parse(token);
            JWTClaimsSet claims = claims(jwt);
            String issuer = claims.getIssuer();
            if (issuer == null) {
                throw refused("the token names no issuer (iss)");
            }
            if (issuer.equals(settings.issuer())) {
                try {
                    return CompletableFuture.completedFuture(local(jwt, claims, state.get(), now, false));
                } catch (Stale stale) {
                    long last = lastReload.get();
                    if (stale.beforeSignature
                            && (now - last < RELOAD_INTERVAL_MILLIS || !lastReload.compareAndSet(last, now))) {
                        return CompletableFuture.completedFuture(local(jwt, claims, state.get(), now, true));
                    }
                    return reload.get().thenApply(fresh -> local(jwt, claims, fresh, now, true));
                }
            }
            if (external != null && issuer.equals(settings.external().issuer())) {
                CompletableFuture<Principal> result = new CompletableFuture<>();
                try {
                    // Fetching the JWKS blocks: never on a request thread.
                    externalChecks.execute(() -> {
                        try {
                            result.complete(external(jwt, claims, now));
                        } catch (AuthenticationException e) {
                            result.completeExceptionally(e);
                        } catch (RuntimeException e) {
                            result.completeExceptionally(refused("the token could not be checked: " + e.getMessage()));
                        }
                    });
                } catch (RejectedExecutionException e) {
                    throw refused("too many tokens are being checked at once; retry in a moment");
                }
                return result;
            }
            throw refused("the token's issuer '" + issuer + "' is not trusted");
        } catch (AuthenticationException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static SignedJWT parse(String token) {
        JWT jwt;
        try {
            jwt = JWTParser.parse(token);
        } catch (ParseException e) {
            throw refused("the bearer token is neither a LumaDB API key (luma_...) nor a well-formed JWT");
        }
        return switch (jwt) {
            case SignedJWT signed -> signed;
            case PlainJWT plain -> throw refused("unsigned tokens (alg: none) are not accepted");
            case EncryptedJWT encrypted -> throw refused("encrypted tokens are not accepted");
            default -> throw refused("the bearer token is not a signed JWT");
        };
    }

    private static JWTClaimsSet claims(SignedJWT jwt) {
        try {
            return jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw refused("the token's claims are malformed");
        }
    }

    /** Thrown when the token names something this node's catalog may not know yet. */
    private static final class Stale extends RuntimeException {
        /** Whether the signature is still unchecked, so that anybody could have made the token. */
        final boolean beforeSignature;

        Stale(boolean beforeSignature) {
            super(null, null, false, false);
            this.beforeSignature = beforeSignature;
        }
    }

    private Principal local(SignedJWT jwt, JWTClaimsSet claims, SecurityState s, long now, boolean last) {
        boolean mayBeNewer = !last && issuedRecently(claims, now);
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        if (!JWSAlgorithm.HS256.equals(alg)) {
            throw refused("LumaDB's tokens are signed with HS256, this one says " + alg);
        }
        String kid = jwt.getHeader().getKeyID();
        List<SecurityState.SigningKey> keys = s.signingKeys();
        int index = 0;
        while (index < keys.size() && !keys.get(index).kid().equals(kid)) {
            index++;
        }
        SecurityState.SigningKey key = index < keys.size() ? keys.get(index) : null;
        if (key == null) {
            if (mayBeNewer && kid != null) {
                throw new Stale(true);
            }
            throw refused(
                    "the token's signing key id (kid) " + (kid == null ? "is missing" : "'" + kid + "' is unknown"));
        }
        try {
            if (!jwt.verify(new MACVerifier(Base64.getUrlDecoder().decode(key.secret())))) {
                throw refused("the token's signature is not valid");
            }
        } catch (JOSEException e) {
            throw refused("the token's signature cannot be checked: " + e.getMessage());
        }
        checkClaims(claims, now, settings.audience());
        if (index > 0) {
            // A replaced key signed nothing after its successor was made, so every genuine token
            // of it has expired one lifetime later; past that it only verifies forgeries (made
            // with a leaked key), whatever exp they claim.
            long until = retiredUntil(settings, keys.get(index - 1).createdAtMillis());
            if (now >= until) {
                throw refused("the token's signing key '" + kid + "' was replaced, and the tokens it signed expired"
                        + " by " + Instant.ofEpochMilli(until) + "; sign in again");
            }
        }
        String subject = claims.getSubject();
        SecurityState.User user = s.users().get(subject);
        if (user == null) {
            if (mayBeNewer) {
                throw new Stale(false);
            }
            throw refused("the user '" + subject + "' no longer exists");
        }
        Object sid = claims.getClaim("sid");
        SecurityState.RefreshFamily family =
                sid instanceof String id ? s.refreshFamilies().get(id) : null;
        if (family == null || !family.user().equals(subject)) {
            if (mayBeNewer) {
                throw new Stale(false);
            }
            throw refused("the token's sign-in has ended (signed out, password changed, or its refresh token"
                    + " was used twice); sign in again");
        }
        return new Principal(
                Principal.Kind.TOKEN,
                subject,
                null,
                user.roles(),
                principalClaims(claims),
                claims.getExpirationTime().getTime());
    }

    /**
     * Until when a signing key replaced at {@code replacedAtMillis} verifies: the tokens it signed
     * before then expire within one access-token lifetime, plus the clock skew allowed on {@code
     * exp}.
     */
    public static long retiredUntil(JwtSettings settings, long replacedAtMillis) {
        return replacedAtMillis
                + settings.accessTokenLifetime().toMillis()
                + settings.clockSkew().toMillis();
    }

    private static boolean issuedRecently(JWTClaimsSet claims, long now) {
        Date iat = claims.getIssueTime();
        return iat != null && iat.getTime() >= now - FRESH_MILLIS;
    }

    private Principal external(SignedJWT jwt, JWTClaimsSet claims, long now) {
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        if (!EXTERNAL_ALGORITHMS.contains(alg)) {
            throw refused("the identity provider's tokens must be signed with RSA or EC keys (RS256, PS256, ES256,"
                    + " ...); " + alg + " is not accepted");
        }
        try {
            external.process(jwt, null);
        } catch (BadJOSEException e) {
            String kid = jwt.getHeader().getKeyID();
            throw refused(
                    e.getMessage() != null && e.getMessage().contains("Invalid signature")
                            ? "the token's signature is not valid"
                            : "no key of the identity provider's JWKS matches the token (kid "
                                    + (kid == null ? "missing" : "'" + kid + "'") + ", " + alg + ")");
        } catch (JOSEException e) {
            throw refused("the identity provider's keys could not be used: " + e.getMessage());
        }
        checkClaims(claims, now, settings.external().audience());
        return new Principal(
                Principal.Kind.TOKEN,
                claims.getSubject(),
                null,
                mappedRoles(claims.getClaims()),
                principalClaims(claims),
                claims.getExpirationTime().getTime());
    }

    private void checkClaims(JWTClaimsSet claims, long now, String audience) {
        long skew = settings.clockSkew().toMillis();
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            throw refused("the token has no expiry (exp)");
        }
        if (now - skew >= exp.getTime()) {
            throw refused("the token expired at " + exp.toInstant());
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now + skew < nbf.getTime()) {
            throw refused("the token is not valid before " + nbf.toInstant());
        }
        List<String> aud = claims.getAudience();
        if (!aud.contains(audience)) {
            throw refused("the token is meant for " + (aud.isEmpty() ? "no audience" : "audience " + aud) + ", not '"
                    + audience + "'");
        }
        String subject = claims.getSubject();
        if (subject == null || subject.isBlank()) {
            throw refused("the token names no subject (sub)");
        }
    }

    /** The LumaDB role bindings the provider's roles map to; roles without a mapping grant nothing. */
    private List<RoleBinding> mappedRoles(Map<String, Object> claims) {
        Object value = claims;
        for (String part : settings.external().rolesClaim().split("\\.")) {
            value = value instanceof Map<?, ?> m ? m.get(part) : null;
        }
        List<String> names = new ArrayList<>();
        if (value instanceof String one) {
            names.add(one);
        } else if (value instanceof List<?> list) {
            list.stream()
                    .filter(String.class::isInstance)
                    .map(String.class::cast)
                    .forEach(names::add);
        }
        Set<RoleBinding> bindings = new LinkedHashSet<>();
        for (String name : names) {
            bindings.addAll(settings.external().roleMapping().getOrDefault(name, List.of()));
        }
        return List.copyOf(bindings);
    }

    /** The claims row-level rules may read: strings, numbers, booleans, arrays of strings, times in seconds. */
    static Map<String, Object> principalClaims(JWTClaimsSet claims) {
        Map<String, Object> out = new HashMap<>();
        Set<String> times = new HashSet<>(List.of("exp", "nbf", "iat"));
        for (var e : claims.getClaims().entrySet()) {
            Object v = e.getValue();
            if (v instanceof Date d && times.contains(e.getKey())) {
                out.put(e.getKey(), d.getTime() / 1000);
            } else if (v instanceof String || v instanceof Number || v instanceof Boolean) {
                out.put(e.getKey(), v);
            } else if (v instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
                out.put(e.getKey(), List.copyOf(list));
            }
        }
        return out;
    }

    static AuthenticationException refused(String why) {
        return new AuthenticationException(why);
    }

    @Override
    public void close() {
        if (externalChecks != null) {
            externalChecks.shutdownNow();
        }
    }
}
