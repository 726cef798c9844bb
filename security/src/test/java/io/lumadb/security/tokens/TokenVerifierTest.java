package io.lumadb.security.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.lumadb.security.AuthenticationException;
import io.lumadb.security.Principal;
import io.lumadb.security.RoleBinding;
import io.lumadb.security.SecurityState;
import io.lumadb.security.SecurityState.RefreshFamily;
import io.lumadb.security.SecurityState.SigningKey;
import io.lumadb.security.SecurityState.User;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verifier of bearer JWTs against hand-made catalogs and tokens: LumaDB's own (HS256 with the
 * catalog's key) and an external provider's, with its JWKS in a file and behind a real HTTP
 * server. Every refusal is checked for the reason it gives.
 */
class TokenVerifierTest {

    private static final String SECRET = Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
    private static final SigningKey KEY = new SigningKey("k1", SECRET, 0);
    private static final SecurityState STATE = new SecurityState(
            7,
            Map.of("ada", new User("ada", "hash", List.of(RoleBinding.in("readWrite", "shop")), 0)),
            Map.of(),
            Map.of(),
            List.of(KEY),
            Map.of("fam1", new RefreshFamily("fam1", "ada", "h", List.of(), 0, Long.MAX_VALUE)));

    private static final RSAKey IDP_RSA = generateRsa("idp-rsa");
    private static final ECKey IDP_EC = generateEc("idp-ec");

    private static RSAKey generateRsa(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static ECKey generateEc(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static TokenVerifier verifier(JwtSettings settings, SecurityState state) {
        return new TokenVerifier(settings, () -> state, () -> CompletableFuture.completedFuture(state));
    }

    private static JwtSettings settings(String overrides) {
        return JwtSettings.from(ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()));
    }

    private static Principal verify(TokenVerifier v, String token) throws Exception {
        try {
            return v.verify(token).toCompletableFuture().get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }

    private static void refused(TokenVerifier v, String token, String reason) {
        var e = assertThrows(AuthenticationException.class, () -> verify(v, token));
        assertTrue(e.getMessage().contains(reason), "expected '" + reason + "' in: " + e.getMessage());
    }

    private static JWTClaimsSet.Builder claims(String issuer, String audience) {
        long now = System.currentTimeMillis();
        return new JWTClaimsSet.Builder()
                .issuer(issuer)
                .audience(audience)
                .subject("ada")
                .issueTime(new Date(now - 60_000))
                .notBeforeTime(new Date(now - 60_000))
                .expirationTime(new Date(now + 600_000))
                .jwtID("j1")
                .claim("sid", "fam1");
    }

    private static String sign(JWSSigner signer, JWSAlgorithm alg, String kid, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(alg).keyID(kid).type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    private static String local(Consumer<JWTClaimsSet.Builder> change) throws Exception {
        var b = claims("lumadb", "lumadb");
        change.accept(b);
        return sign(new MACSigner(Base64.getUrlDecoder().decode(SECRET)), JWSAlgorithm.HS256, "k1", b.build());
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    // ---- LumaDB's own tokens

    @Test
    void aGoodTokenGivesTheUsersCurrentRolesAndTheTokensClaims() throws Exception {
        try (TokenVerifier v = verifier(JwtSettings.DEFAULTS, STATE)) {
            Principal p =
                    verify(v, local(b -> b.claim("roles", List.of("admin")).claim("obj", Map.of("a", 1))));
            assertEquals(Principal.Kind.TOKEN, p.kind());
            assertEquals("ada", p.name());
            assertEquals(
                    List.of(RoleBinding.in("readWrite", "shop")), p.roles(), "from the user record, not the token");
            assertEquals("ada", p.claims().get("sub"));
            assertEquals("fam1", p.claims().get("sid"));
            assertEquals(List.of("lumadb"), p.claims().get("aud"));
            assertEquals(List.of("admin"), p.claims().get("roles"));
            assertTrue(p.claims().get("exp") instanceof Long);
            assertTrue(!p.claims().containsKey("obj"), "objects are left out");
            assertTrue(p.expiresAtMillis() > System.currentTimeMillis());
        }
    }

    @Test
    void unsignedMalformedAndForgedTokensAreRefused() throws Exception {
        try (TokenVerifier v = verifier(JwtSettings.DEFAULTS, STATE)) {
            String good = local(b -> {});
            String payload = good.split("\\.")[1];
            refused(v, b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + payload + ".", "alg: none");
            refused(v, b64("{\"alg\":\"none\"}") + "." + payload + ".", "alg: none");
            refused(v, "not-a-jwt", "well-formed JWT");
            refused(
                    v,
                    b64("{\"alg\":\"HS256\",\"kid\":\"k1\"}") + "." + b64("[1,2]") + ".c2ln",
                    "claims are malformed");
            // The same key id, another secret.
            String forged = sign(
                    new MACSigner("another-secret-of-32-bytes-length!!".getBytes(StandardCharsets.US_ASCII)),
                    JWSAlgorithm.HS256,
                    "k1",
                    claims("lumadb", "lumadb").build());
            refused(v, forged, "signature is not valid");
            // A claim changed after signing.
            String[] parts = good.split("\\.");
            String tampered = parts[0] + "."
                    + b64(claims("lumadb", "lumadb").subject("admin").build().toString()) + "." + parts[2];
            refused(v, tampered, "signature is not valid");
            refused(
                    v,
                    sign(
                            new MACSigner(Base64.getUrlDecoder().decode(SECRET)),
                            JWSAlgorithm.HS256,
                            "k9",
                            claims("lumadb", "lumadb").build()),
                    "'k9' is unknown");
            refused(
                    v,
                    sign(
                            new RSASSASigner(IDP_RSA),
                            JWSAlgorithm.RS256,
                            "k1",
                            claims("lumadb", "lumadb").build()),
                    "signed with HS256");
        }
    }

    @Test
    void expiredNotYetValidWrongIssuerAndWrongAudienceAreRefused() throws Exception {
        long now = System.currentTimeMillis();
        try (TokenVerifier v = verifier(JwtSettings.DEFAULTS, STATE)) {
            refused(v, local(b -> b.expirationTime(new Date(now - 31_000))), "expired");
            // Within the clock skew (30 s) it is still good.
            assertEquals(
                    "ada",
                    verify(v, local(b -> b.expirationTime(new Date(now - 20_000))))
                            .name());
            refused(v, local(b -> b.expirationTime(null)), "no expiry");
            refused(v, local(b -> b.notBeforeTime(new Date(now + 60_000))), "not valid before");
            refused(v, local(b -> b.issuer("evil")), "issuer 'evil' is not trusted");
            refused(v, local(b -> b.issuer(null)), "no issuer");
            refused(v, local(b -> b.audience("other")), "audience [other]");
            refused(v, local(b -> b.audience((String) null)), "no audience");
            refused(v, local(b -> b.subject("bob")), "'bob' no longer exists");
            refused(v, local(b -> b.claim("sid", "gone")), "sign-in has ended");
        }
    }

    @Test
    void aReplacedKeyVerifiesForOneAccessTokenLifetimeAndNoLonger() throws Exception {
        long now = System.currentTimeMillis();
        String newSecret = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString("fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.US_ASCII));
        // Default lifetime 15 minutes, clock skew 30 s: k1 verifies until 15.5 minutes after k2 replaced it.
        for (long replacedAgo : List.of(60_000L, 929_000L, 931_000L, 86_400_000L)) {
            SecurityState rotated = new SecurityState(
                    8,
                    STATE.users(),
                    Map.of(),
                    Map.of(),
                    List.of(new SigningKey("k2", newSecret, now - replacedAgo), KEY),
                    STATE.refreshFamilies());
            try (TokenVerifier v = verifier(JwtSettings.DEFAULTS, rotated)) {
                // Signed by the old key and claiming to be valid for ten more minutes.
                String old = local(b -> {});
                if (replacedAgo < 930_000L) {
                    assertEquals("ada", verify(v, old).name(), "replaced " + replacedAgo + " ms ago");
                } else {
                    refused(v, old, "signing key 'k1' was replaced");
                }
                String fresh = sign(
                        new MACSigner(Base64.getUrlDecoder().decode(newSecret)),
                        JWSAlgorithm.HS256,
                        "k2",
                        claims("lumadb", "lumadb").build());
                assertEquals("ada", verify(v, fresh).name());
            }
        }
        assertEquals(
                1_000L + 900_000L + 30_000L,
                TokenVerifier.retiredUntil(JwtSettings.DEFAULTS, 1_000L),
                "the lifetime and the skew after the replacement");
    }

    @Test
    void aTokenIssuedAMomentAgoOnAnotherNodeRereadsTheCatalogOnce() throws Exception {
        SecurityState before = new SecurityState(1, STATE.users(), Map.of(), Map.of(), List.of(), Map.of());
        AtomicInteger reloads = new AtomicInteger();
        try (TokenVerifier v = new TokenVerifier(JwtSettings.DEFAULTS, () -> before, () -> {
            reloads.incrementAndGet();
            return CompletableFuture.completedFuture(STATE);
        })) {
            long now = System.currentTimeMillis();
            assertEquals(
                    "ada", verify(v, local(b -> b.issueTime(new Date(now)))).name());
            assertEquals(1, reloads.get());
            // An old token naming an unknown key does not make the node ask the catalog.
            refused(v, local(b -> b.issueTime(new Date(now - 60_000))), "unknown");
            assertEquals(1, reloads.get());
            // Nor does a flood of fresh ones naming unknown keys (unsigned by anybody known): at most one a second.
            String unknownKey = sign(
                    new MACSigner(Base64.getUrlDecoder().decode(SECRET)),
                    JWSAlgorithm.HS256,
                    "k9",
                    claims("lumadb", "lumadb").issueTime(new Date(now)).build());
            for (int i = 0; i < 5; i++) {
                refused(v, unknownKey, "'k9' is unknown");
            }
            assertEquals(1, reloads.get());
        }
    }

    // ---- an external identity provider

    private static String external(JWSSigner signer, JWSAlgorithm alg, String kid, Consumer<JWTClaimsSet.Builder> c)
            throws Exception {
        var b = claims("https://idp.example", "lumadb-api").subject("ext-user").claim("sid", null);
        c.accept(b);
        return sign(signer, alg, kid, b.build());
    }

    private static String externalConfig(String source) {
        return "lumadb.security.jwt.external { enabled = on, " + source
                + ", issuer = \"https://idp.example\", audience = \"lumadb-api\""
                + ", roles-claim = \"realm_access.roles\""
                + ", role-mapping { writers = \"readWrite\", \"shop-readers\" = [{role = read, database = shop}] } }";
    }

    @Test
    void anExternalProvidersTokensAreCheckedAgainstItsJwksFile(@TempDir Path dir) throws Exception {
        Path jwks = dir.resolve("jwks.json");
        Files.writeString(
                jwks, new JWKSet(List.of(IDP_RSA, IDP_EC)).toPublicJWKSet().toString());
        try (TokenVerifier v = verifier(settings(externalConfig("jwks-file = \"" + jwks + "\"")), STATE)) {
            Principal p = verify(v, external(new RSASSASigner(IDP_RSA), JWSAlgorithm.RS256, "idp-rsa", b -> b.claim(
                            "realm_access", Map.of("roles", List.of("shop-readers", "unknown")))
                    .claim("email", "e@example.com")
                    .claim("tenant", 42)));
            assertEquals(Principal.Kind.TOKEN, p.kind());
            assertEquals("ext-user", p.name());
            assertEquals(List.of(RoleBinding.in("read", "shop")), p.roles(), "unknown roles grant nothing");
            assertEquals("e@example.com", p.claims().get("email"));
            assertEquals(42L, ((Number) p.claims().get("tenant")).longValue());
            assertEquals("https://idp.example", p.claims().get("iss"));

            Principal ec = verify(
                    v,
                    external(
                            new ECDSASigner(IDP_EC),
                            JWSAlgorithm.ES256,
                            "idp-ec",
                            b -> b.claim("realm_access", Map.of("roles", List.of("writers")))));
            assertEquals(List.of(RoleBinding.everywhere("readWrite")), ec.roles());
            assertEquals(
                    List.of(),
                    verify(v, external(new RSASSASigner(IDP_RSA), JWSAlgorithm.RS256, "idp-rsa", b -> {}))
                            .roles());

            // HS256 with the provider's public key as the HMAC secret (algorithm confusion).
            byte[] publicKey = IDP_RSA.toRSAPublicKey().getEncoded();
            refused(
                    v,
                    external(new MACSigner(publicKey), JWSAlgorithm.HS256, "idp-rsa", b -> {}),
                    "HS256 is not accepted");
            String[] good = external(new RSASSASigner(IDP_RSA), JWSAlgorithm.RS256, "idp-rsa", b -> {})
                    .split("\\.");
            refused(v, b64("{\"alg\":\"none\"}") + "." + good[1] + ".", "alg: none");
            refused(v, external(new RSASSASigner(IDP_RSA), JWSAlgorithm.RS256, "nope", b -> {}), "kid 'nope'");
            refused(
                    v,
                    external(new RSASSASigner(generateRsa("idp-rsa")), JWSAlgorithm.RS256, "idp-rsa", b -> {}),
                    "signature is not valid");
            long now = System.currentTimeMillis();
            refused(
                    v,
                    external(
                            new RSASSASigner(IDP_RSA),
                            JWSAlgorithm.RS256,
                            "idp-rsa",
                            b -> b.expirationTime(new Date(now - 120_000))),
                    "expired");
            refused(
                    v,
                    external(
                            new RSASSASigner(IDP_RSA),
                            JWSAlgorithm.RS256,
                            "idp-rsa",
                            b -> b.notBeforeTime(new Date(now + 120_000))),
                    "not valid before");
            refused(
                    v,
                    external(new RSASSASigner(IDP_RSA), JWSAlgorithm.RS256, "idp-rsa", b -> b.audience("lumadb")),
                    "not 'lumadb-api'");
            refused(
                    v,
                    external(new RSASSASigner(IDP_RSA), JWSAlgorithm.RS256, "idp-rsa", b -> b.issuer("https://evil")),
                    "'https://evil' is not trusted");
            // The provider's key cannot sign a token that claims to be LumaDB's.
            refused(
                    v,
                    external(new RSASSASigner(IDP_RSA), JWSAlgorithm.RS256, "k1", b -> b.issuer("lumadb")
                            .audience("lumadb")),
                    "signed with HS256");
        }
    }

    @Test
    void anExternalProvidersJwksIsFetchedFromItsUrlAndCached() throws Exception {
        AtomicInteger fetches = new AtomicInteger();
        byte[] body = new JWKSet(IDP_RSA).toPublicJWKSet().toString().getBytes(StandardCharsets.UTF_8);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/jwks", exchange -> {
            fetches.incrementAndGet();
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks";
        try (TokenVerifier v = verifier(settings(externalConfig("jwks-url = \"" + url + "\"")), STATE)) {
            for (int i = 0; i < 3; i++) {
                Principal p = verify(
                        v,
                        external(
                                new RSASSASigner(IDP_RSA),
                                JWSAlgorithm.RS256,
                                "idp-rsa",
                                b -> b.claim("realm_access", Map.of("roles", "writers"))));
                assertEquals(List.of(RoleBinding.everywhere("readWrite")), p.roles());
            }
            assertEquals(1, fetches.get(), "the JWKS is cached");
            refused(
                    v,
                    external(
                            new MACSigner(IDP_RSA.toRSAPublicKey().getEncoded()),
                            JWSAlgorithm.HS256,
                            "idp-rsa",
                            b -> {}),
                    "HS256 is not accepted");
        } finally {
            server.stop(0);
        }
    }

    // ---- configuration

    @Test
    void badSettingsNameTheirKey(@TempDir Path dir) {
        Map<String, String> cases = Map.of(
                "lumadb.security.jwt.access-token-lifetime = 0s",
                "access-token-lifetime",
                "lumadb.security.jwt.refresh-token-lifetime = 1m",
                "refresh-token-lifetime",
                "lumadb.security.jwt.issuer = \"\"",
                "jwt.issuer",
                externalConfig("jwks-url = \"\""),
                "external.jwks-url",
                externalConfig("jwks-url = \"ftp://x\""),
                "external.jwks-url",
                externalConfig("jwks-file = \"" + dir.resolve("missing.json") + "\""),
                "external.jwks-file",
                "lumadb.security.jwt.external { enabled = on, jwks-url = \"https://idp/jwks\", issuer = x,"
                        + " audience = \"\" }",
                "external.audience",
                externalConfig("jwks-url = \"https://idp/jwks\"").replace("writers = \"readWrite\"", "writers = 3"),
                "role-mapping");
        cases.forEach((config, key) -> {
            var e = assertThrows(ConfigException.class, () -> settings(config), config);
            assertTrue(e.getMessage().contains(key), e.getMessage());
        });
    }

    @Test
    void aJwksFileThatIsNoJwksStopsTheStartNamingTheSetting(@TempDir Path dir) throws Exception {
        Path jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, "{\"keys\": 3}");
        JwtSettings s = settings(externalConfig("jwks-file = \"" + jwks + "\""));
        var e = assertThrows(ConfigException.class, () -> verifier(s, STATE));
        assertTrue(e.getMessage().contains("external.jwks-file"), e.getMessage());
        assertEquals(Duration.ofMinutes(15), s.accessTokenLifetime());
    }
}
