package io.lumadb.security.tokens;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.lumadb.security.AuthenticationException;
import io.lumadb.security.RoleBinding;
import io.lumadb.security.Secrets;
import io.lumadb.security.SecurityCatalogEntity;
import io.lumadb.security.SecurityCatalogEntity.Outcome;
import io.lumadb.security.SecurityCatalogEntity.Result;
import io.lumadb.security.SecurityState;
import io.lumadb.security.SecurityState.RefreshFamily;
import io.lumadb.security.SecurityState.SigningKey;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Issues LumaDB's tokens (the grants of {@code POST /api/v1/_auth/token}): a short-lived access
 * token, a JWT signed with HS256 by the security catalog's signing key, and an opaque refresh
 * token ({@link RefreshTokens}) that rotates on every use. Everything a node needs to verify them
 * (the signing keys, the refresh-token families) lives in the security catalog, so every node of
 * a cluster accepts the tokens any node issued.
 *
 * <p>HS256 rather than ES256: only LumaDB's own nodes verify these tokens, and they share the
 * catalog anyway, so a public key would buy nothing, while an HMAC costs about a microsecond per
 * request. The secret is 256 random bits, generated when the first token is issued.
 */
public final class TokenService {

    /** A grant the token endpoint refuses (RFC 6749 {@code invalid_grant}). */
    public static final class InvalidGrantException extends RuntimeException {
        public InvalidGrantException(String message) {
            super(message, null, false, false);
        }
    }

    /** What a successful grant answers. */
    public record Tokens(
            String accessToken,
            long expiresInSeconds,
            String refreshToken,
            long refreshExpiresInSeconds,
            String user) {}

    /** Sends a command to the security catalog and returns its result (the node remembers the new state). */
    public interface Catalog {
        CompletionStage<Result> ask(Function<ActorRef<Result>, SecurityCatalogEntity.Command> command);
    }

    private final JwtSettings settings;
    private final Supplier<SecurityState> state;
    private final Catalog catalog;
    private final BiFunction<String, String, CompletionStage<SecurityState.User>> passwords;

    /**
     * @param passwords checks a user's password, answering the user record it matched or failing
     *     with {@link AuthenticationException}
     */
    public TokenService(
            JwtSettings settings,
            Supplier<SecurityState> state,
            Catalog catalog,
            BiFunction<String, String, CompletionStage<SecurityState.User>> passwords) {
        this.settings = settings;
        this.state = state;
        this.catalog = catalog;
        this.passwords = passwords;
    }

    public JwtSettings settings() {
        return settings;
    }

    /** The {@code password} grant: a user's name and password for a new sign-in (refresh-token family). */
    public CompletionStage<Tokens> passwordGrant(String user, String password) {
        return passwords
                .apply(user, password)
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(
                        unwrap(e) instanceof AuthenticationException
                                ? new InvalidGrantException("wrong user name or password")
                                : unwrap(e)))
                .thenCompose(u -> {
                    long now = System.currentTimeMillis();
                    RefreshTokens.Token refresh = RefreshTokens.generate(RefreshTokens.newFamilyId());
                    RefreshFamily family = new RefreshFamily(
                            refresh.familyId(),
                            u.name(),
                            refresh.secretHash(),
                            List.of(),
                            now,
                            now + settings.refreshTokenLifetime().toMillis());
                    return catalog.ask(r -> new SecurityCatalogEntity.StartRefreshFamily(
                                    family, u.passwordHash(), settings.maxSessionsPerUser(), now, r))
                            .thenCompose(result -> granted(result, refresh, now));
                });
    }

    /** The {@code refresh_token} grant: a new access token and a new refresh token; the presented one stops working. */
    public CompletionStage<Tokens> refreshGrant(String refreshToken) {
        var presented = RefreshTokens.parse(refreshToken);
        if (presented.isEmpty()) {
            return CompletableFuture.failedFuture(
                    new InvalidGrantException("the refresh token is malformed (a LumaDB refresh token starts with "
                            + RefreshTokens.PREFIX + ")"));
        }
        long now = System.currentTimeMillis();
        String familyId = presented.get().familyId();
        RefreshTokens.Token next = RefreshTokens.generate(familyId);
        return catalog.ask(r -> new SecurityCatalogEntity.RotateRefreshToken(
                        familyId,
                        presented.get().secretHash(),
                        next.secretHash(),
                        now + settings.refreshTokenLifetime().toMillis(),
                        now,
                        r))
                .thenCompose(result -> granted(result, next, now));
    }

    /** A sign-in ended by {@link #revoke}: its user and its family id (the access tokens' {@code sid}). */
    public record SignedOut(String user, String familyId) {}

    /**
     * Signs out: ends the sign-in (refresh-token family) {@code refreshToken} belongs to, when it
     * is the family's current refresh token or one it replaced. Its refresh tokens and its access
     * tokens stop working on every node. Empty when nothing ended: a token that is malformed,
     * unknown, expired or of a sign-in that ended already.
     */
    public CompletionStage<Optional<SignedOut>> revoke(String refreshToken) {
        var presented = RefreshTokens.parse(refreshToken);
        if (presented.isEmpty()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        String familyId = presented.get().familyId();
        return catalog.ask(r -> new SecurityCatalogEntity.EndRefreshFamily(
                        familyId, presented.get().secretHash(), r))
                .thenApply(result -> result.outcome() == Outcome.DELETED
                        ? Optional.of(new SignedOut(result.detail(), familyId))
                        : Optional.empty());
    }

    /**
     * A rotation of the signing key.
     *
     * @param kid the new signing key's id
     * @param createdAtMillis when it became the signing key
     * @param previousKid the key it replaced, which verifies the tokens it signed for one more
     *     access-token lifetime (null if there was none)
     * @param previousVerifiesUntilMillis until when the previous key verifies (0 if there was none)
     */
    public record Rotation(String kid, long createdAtMillis, String previousKid, long previousVerifiesUntilMillis) {}

    /**
     * Makes a new signing key the one that signs. The previous one still verifies the tokens it
     * signed until they expire (see {@link TokenVerifier}); the one before it, if any, is dropped,
     * and the tokens it signed are refused from now on.
     */
    public CompletionStage<Rotation> rotateSigningKey() {
        SigningKey key = newSigningKey();
        return catalog.ask(r -> new SecurityCatalogEntity.AddSigningKey(key, false, r))
                .thenApply(result -> {
                    List<SigningKey> keys = result.state().signingKeys();
                    SigningKey previous = keys.size() > 1 ? keys.get(1) : null;
                    return new Rotation(
                            key.kid(),
                            key.createdAtMillis(),
                            previous == null ? null : previous.kid(),
                            previous == null ? 0 : TokenVerifier.retiredUntil(settings, key.createdAtMillis()));
                });
    }

    private CompletionStage<Tokens> granted(Result result, RefreshTokens.Token refresh, long now) {
        switch (result.outcome()) {
            case CREATED, UPDATED -> {}
            case TOKEN_REUSED ->
                throw new InvalidGrantException("the refresh token was used before: it may have been copied, so its"
                        + " sign-in has ended and every token of it stops working; sign in again");
            default ->
                throw new InvalidGrantException(
                        result.detail() != null ? result.detail() : "the refresh token is not valid");
        }
        RefreshFamily family = result.state().refreshFamilies().get(refresh.familyId());
        SecurityState.User user = family == null ? null : result.state().users().get(family.user());
        if (user == null) {
            throw new InvalidGrantException("the refresh token's user no longer exists");
        }
        return signingKey(result.state())
                .thenApply(key -> new Tokens(
                        accessToken(key, user, family.id(), now),
                        settings.accessTokenLifetime().toSeconds(),
                        refresh.token(),
                        (family.expiresAtMillis() - now) / 1000,
                        user.name()));
    }

    private CompletionStage<SigningKey> signingKey(SecurityState s) {
        if (!s.signingKeys().isEmpty()) {
            return CompletableFuture.completedFuture(s.signingKeys().getFirst());
        }
        return catalog.ask(r -> new SecurityCatalogEntity.AddSigningKey(newSigningKey(), true, r))
                .thenApply(result -> result.state().signingKeys().getFirst());
    }

    private static SigningKey newSigningKey() {
        return new SigningKey(
                "k" + RefreshTokens.newFamilyId().substring(0, 11),
                Secrets.randomBase64Url(32),
                System.currentTimeMillis());
    }

    private String accessToken(SigningKey key, SecurityState.User user, String familyId, long now) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(settings.issuer())
                .subject(user.name())
                .audience(settings.audience())
                .issueTime(new Date(now))
                .notBeforeTime(new Date(now))
                .expirationTime(new Date(now + settings.accessTokenLifetime().toMillis()))
                .jwtID(UUID.randomUUID().toString())
                .claim("sid", familyId)
                .claim("roles", user.roles().stream().map(TokenService::binding).toList())
                .build();
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.HS256)
                        .keyID(key.kid())
                        .type(JOSEObjectType.JWT)
                        .build(),
                claims);
        try {
            jwt.sign(new MACSigner(Base64.getUrlDecoder().decode(key.secret())));
        } catch (JOSEException e) {
            throw new IllegalStateException("HS256 with a 256-bit key always signs", e);
        }
        return jwt.serialize();
    }

    /** How a role binding appears in the token's informative {@code roles} claim: {@code read} or {@code read@shop}. */
    private static String binding(RoleBinding b) {
        return b.database() == null ? b.role() : b.role() + "@" + b.database();
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }
}
