package io.lumadb.security.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jwt.SignedJWT;
import io.lumadb.security.AuthenticationException;
import io.lumadb.security.PasswordHasher;
import io.lumadb.security.Principal;
import io.lumadb.security.RoleBinding;
import io.lumadb.security.Security;
import io.lumadb.security.SecuritySettings;
import io.lumadb.security.SecurityState;
import io.lumadb.security.tokens.TokenService.InvalidGrantException;
import io.lumadb.security.tokens.TokenService.Tokens;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The token grants on a real single-node cluster (sharding, the event-sourced security catalog,
 * Pekko's in-memory journal, every message serialized): sign-in, refresh-token rotation, reuse
 * detection ending the whole family, and the events that end sign-ins (new password, user
 * deleted).
 */
@Timeout(120)
class TokenGrantTest {

    private static ActorTestKit kit;
    private static Security security;
    private static TokenService tokens;

    @BeforeAll
    static void start() throws Exception {
        kit = io.lumadb.testkit.TestClusters.singleNode(Map.of());
        security = Security.start(
                kit.system(),
                new SecuritySettings(
                        true,
                        "first-admin-pw",
                        new PasswordHasher.Cost(1024, 1, 1),
                        100,
                        2,
                        Duration.ofMinutes(5),
                        Duration.ofSeconds(20),
                        new JwtSettings(
                                "lumadb",
                                "lumadb",
                                Duration.ofMinutes(15),
                                Duration.ofDays(30),
                                Duration.ofSeconds(5),
                                3,
                                JwtSettings.External.OFF)));
        await(security.bootstrap());
        tokens = security.tokens().orElseThrow();
    }

    @AfterAll
    static void stop() {
        security.close();
        kit.shutdownTestKit();
    }

    static <T> T await(CompletionStage<T> stage) throws Exception {
        try {
            return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }

    private static Principal bearer(String accessToken) throws Exception {
        return await(security.authenticate(Optional.of("Bearer " + accessToken)));
    }

    private static void refusedGrant(CompletionStage<?> grant, String reason) {
        var e = assertThrows(InvalidGrantException.class, () -> await(grant));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void aPasswordGrantGivesTokensThatAuthenticate() throws Exception {
        await(security.putUser("ann", "ann-pw-123", List.of(RoleBinding.in("readWrite", "shop"))));
        Tokens t = await(tokens.passwordGrant("ann", "ann-pw-123"));
        assertEquals(900, t.expiresInSeconds());
        assertEquals(30L * 24 * 3600, t.refreshExpiresInSeconds(), 2);
        assertTrue(t.refreshToken().startsWith("lumart_"), t.refreshToken());
        SignedJWT jwt = SignedJWT.parse(t.accessToken());
        assertEquals("HS256", jwt.getHeader().getAlgorithm().getName());
        assertEquals(
                security.state().signingKeys().getFirst().kid(), jwt.getHeader().getKeyID());
        var claims = jwt.getJWTClaimsSet();
        assertEquals("lumadb", claims.getIssuer());
        assertEquals(List.of("lumadb"), claims.getAudience());
        assertEquals("ann", claims.getSubject());
        assertTrue(claims.getJWTID() != null && claims.getIssueTime() != null && claims.getNotBeforeTime() != null);
        assertEquals(List.of("readWrite@shop"), claims.getStringListClaim("roles"));

        Principal p = bearer(t.accessToken());
        assertEquals(Principal.Kind.TOKEN, p.kind());
        assertEquals("ann", p.name());
        assertEquals(List.of(RoleBinding.in("readWrite", "shop")), p.roles());
        assertEquals("ann", p.claims().get("sub"));
        assertEquals(claims.getExpirationTime().getTime(), p.expiresAtMillis());

        // A role change applies to the very next request with the same token.
        await(security.putUser("ann", null, List.of(RoleBinding.everywhere("read"))));
        assertEquals(
                List.of(RoleBinding.everywhere("read")), bearer(t.accessToken()).roles());

        refusedGrant(tokens.passwordGrant("ann", "wrong-password"), "wrong user name or password");
        refusedGrant(tokens.passwordGrant("nobody", "ann-pw-123"), "wrong user name or password");
    }

    @Test
    void refreshTokensRotateAndAReusedOneEndsTheWholeFamily() throws Exception {
        await(security.putUser("bea", "bea-pw-123", List.of(RoleBinding.everywhere("read"))));
        Tokens first = await(tokens.passwordGrant("bea", "bea-pw-123"));
        Tokens second = await(tokens.refreshGrant(first.refreshToken()));
        assertNotEquals(first.refreshToken(), second.refreshToken());
        assertNotEquals(first.accessToken(), second.accessToken());
        assertEquals("bea", bearer(second.accessToken()).name());
        Tokens third = await(tokens.refreshGrant(second.refreshToken()));
        assertEquals("bea", bearer(third.accessToken()).name());

        // The first token again: somebody kept a copy. The family ends: its newest refresh token
        // and every access token of it stop working too.
        refusedGrant(tokens.refreshGrant(first.refreshToken()), "used before");
        refusedGrant(tokens.refreshGrant(third.refreshToken()), "unknown, revoked or expired");
        var e = assertThrows(AuthenticationException.class, () -> bearer(third.accessToken()));
        assertTrue(e.getMessage().contains("sign-in has ended"), e.getMessage());
        // Other sign-ins of the same user are not affected.
        Tokens other = await(tokens.passwordGrant("bea", "bea-pw-123"));
        assertEquals("bea", bearer(other.accessToken()).name());
        refusedGrant(tokens.refreshGrant("lumart_garbage"), "malformed");
        refusedGrant(tokens.refreshGrant("lumart_0123456789abcdef_" + "A".repeat(43)), "unknown, revoked or expired");
        // A wrong secret for a live family is refused without ending it.
        String forged = other.refreshToken().substring(0, other.refreshToken().length() - 1)
                + (other.refreshToken().endsWith("A") ? "B" : "A");
        refusedGrant(tokens.refreshGrant(forged), "unknown, revoked or expired");
        assertEquals(
                "bea",
                await(security.authenticate(Optional.of("Bearer " + other.accessToken())))
                        .name());
        await(tokens.refreshGrant(other.refreshToken()));
    }

    @Test
    void aNewPasswordOrADeletedUserEndsItsSignIns() throws Exception {
        await(security.putUser("cid", "cid-pw-123", List.of(RoleBinding.everywhere("read"))));
        Tokens t = await(tokens.passwordGrant("cid", "cid-pw-123"));
        await(security.putUser("cid", "cid-pw-456", List.of(RoleBinding.everywhere("read"))));
        refusedGrant(tokens.refreshGrant(t.refreshToken()), "unknown, revoked or expired");
        assertThrows(AuthenticationException.class, () -> bearer(t.accessToken()));

        Tokens again = await(tokens.passwordGrant("cid", "cid-pw-456"));
        assertEquals("cid", bearer(again.accessToken()).name());
        await(security.deleteUser("cid"));
        var e = assertThrows(AuthenticationException.class, () -> bearer(again.accessToken()));
        assertTrue(e.getMessage().contains("no longer exists"), e.getMessage());
        refusedGrant(tokens.refreshGrant(again.refreshToken()), "unknown, revoked or expired");
        assertFalse(security.state().refreshFamilies().values().stream()
                .anyMatch(f -> f.user().equals("cid")));
    }

    @Test
    void aUserKeepsAtMostTheConfiguredNumberOfSignIns() throws Exception {
        await(security.putUser("dan", "dan-pw-123", List.of(RoleBinding.everywhere("read"))));
        Tokens oldest = await(tokens.passwordGrant("dan", "dan-pw-123"));
        for (int i = 0; i < 3; i++) {
            await(tokens.passwordGrant("dan", "dan-pw-123"));
        }
        assertEquals(
                3,
                security.state().refreshFamilies().values().stream()
                        .filter(f -> f.user().equals("dan"))
                        .count());
        refusedGrant(tokens.refreshGrant(oldest.refreshToken()), "unknown, revoked or expired");
    }

    @Test
    void aRotatedSigningKeyStillVerifiesTheTokensItSigned() throws Exception {
        await(security.putUser("eve", "eve-pw-123", List.of(RoleBinding.everywhere("read"))));
        Tokens before = await(tokens.passwordGrant("eve", "eve-pw-123"));
        String oldKid = SignedJWT.parse(before.accessToken()).getHeader().getKeyID();
        TokenService.Rotation rotation = await(tokens.rotateSigningKey());
        String kid = rotation.kid();
        assertEquals(oldKid, rotation.previousKid());
        assertEquals(
                rotation.createdAtMillis()
                        + Duration.ofMinutes(15).plusSeconds(5).toMillis(),
                rotation.previousVerifiesUntilMillis(),
                "one access-token lifetime and the clock skew");
        assertEquals(
                List.of(kid, oldKid),
                security.state().signingKeys().stream()
                        .map(SecurityState.SigningKey::kid)
                        .toList());
        Tokens after = await(tokens.refreshGrant(before.refreshToken()));
        assertEquals(kid, SignedJWT.parse(after.accessToken()).getHeader().getKeyID());
        assertNotEquals(kid, SignedJWT.parse(before.accessToken()).getHeader().getKeyID());
        assertEquals("eve", bearer(before.accessToken()).name());
        assertEquals("eve", bearer(after.accessToken()).name());
        // Two rotations later the first key is gone, and so are the tokens it signed.
        await(tokens.rotateSigningKey());
        await(tokens.rotateSigningKey());
        assertThrows(AuthenticationException.class, () -> bearer(before.accessToken()));
        assertEquals(
                Optional.of(new TokenService.SignedOut("eve", familyOf(after))),
                await(tokens.revoke(after.refreshToken())),
                "signing out");
        assertThrows(AuthenticationException.class, () -> bearer(after.accessToken()));
    }

    private static String familyOf(Tokens t) {
        return RefreshTokens.parse(t.refreshToken()).orElseThrow().familyId();
    }

    @Test
    void signingOutEndsTheWholeSignInAndAnUnknownTokenEndsNothing() throws Exception {
        await(security.putUser("fay", "fay-pw-123", List.of(RoleBinding.everywhere("read"))));
        Tokens first = await(tokens.passwordGrant("fay", "fay-pw-123"));
        Tokens second = await(tokens.refreshGrant(first.refreshToken()));
        Tokens other = await(tokens.passwordGrant("fay", "fay-pw-123"));

        // Nothing ends for a token that is malformed, unknown, or a wrong secret of a live sign-in.
        assertEquals(Optional.empty(), await(tokens.revoke("lumart_garbage")));
        assertEquals(Optional.empty(), await(tokens.revoke("lumart_0123456789abcdef_" + "A".repeat(43))));
        String forged = second.refreshToken().substring(0, second.refreshToken().length() - 1)
                + (second.refreshToken().endsWith("A") ? "B" : "A");
        assertEquals(Optional.empty(), await(tokens.revoke(forged)));
        assertEquals("fay", bearer(second.accessToken()).name());

        // The current refresh token ends its sign-in: every token of it stops, at once.
        assertEquals(
                Optional.of(new TokenService.SignedOut("fay", familyOf(second))),
                await(tokens.revoke(second.refreshToken())));
        refusedGrant(tokens.refreshGrant(second.refreshToken()), "unknown, revoked or expired");
        var e = assertThrows(AuthenticationException.class, () -> bearer(second.accessToken()));
        assertTrue(e.getMessage().contains("sign-in has ended"), e.getMessage());
        assertThrows(AuthenticationException.class, () -> bearer(first.accessToken()));
        assertFalse(security.state().refreshFamilies().containsKey(familyOf(second)));
        // Again: nothing left to end.
        assertEquals(Optional.empty(), await(tokens.revoke(second.refreshToken())));

        // The user's other sign-in lives on; signing out with a token it replaced ends it too.
        assertEquals("fay", bearer(other.accessToken()).name());
        Tokens renewed = await(tokens.refreshGrant(other.refreshToken()));
        assertEquals(
                Optional.of(new TokenService.SignedOut("fay", familyOf(other))),
                await(tokens.revoke(other.refreshToken())));
        refusedGrant(tokens.refreshGrant(renewed.refreshToken()), "unknown, revoked or expired");
        assertThrows(AuthenticationException.class, () -> bearer(renewed.accessToken()));
    }
}
