package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.security.ApiKeySecrets;
import io.lumadb.security.Permission;
import io.lumadb.security.audit.AuditEvent;
import io.lumadb.security.tokens.TokenService;
import io.lumadb.security.tokens.TokenService.InvalidGrantException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * Signing in and out with tokens: {@code POST /api/v1/_auth/token} (public: it is how a caller
 * gets credentials) answers the OAuth 2.0 grants of RFC 6749, {@code password} and {@code
 * refresh_token}, as a JSON or form-encoded body, with an access token (a JWT for {@code
 * Authorization: Bearer}) and a rotating refresh token; {@code POST /api/v1/_auth/revoke} signs
 * out (RFC 7009 token revocation of a refresh token). Refusals are problems like every LumaDB
 * error, with the RFCs' error codes as slugs ({@code invalid-grant}, {@code
 * unsupported-grant-type}, {@code unsupported-token-type}).
 */
final class AuthResource implements Resource {

    private static final Set<String> MEDIA_TYPES = Set.of("application/json", "application/x-www-form-urlencoded");
    private static final long MAX_BODY = 16 * 1024;
    /** The form of a JWS in compact serialization: three Base64url parts. */
    private static final Pattern JWT = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*");

    private final ApiContext api;

    AuthResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.post("/api/v1/_auth/token", "issueToken", Permission.PUBLIC, this::token),
                // Public, like the token route: RFC 7009 has the client authenticate, but LumaDB's
                // clients have no credentials of their own, and a refresh token is a bearer secret
                // of 256 bits, so holding it is the proof of the right to end its sign-in (whoever
                // holds it could end the sign-in anyway, by presenting it twice to the token route).
                // Asking for an access token too would keep a client whose access token expired
                // from signing out without refreshing first.
                Route.post("/api/v1/_auth/revoke", "revokeToken", Permission.PUBLIC, this::revoke));
    }

    private CompletionStage<Map<String, String>> params(Call call, List<String> strings) {
        return api.bodies()
                .read(call.request(), MAX_BODY, MEDIA_TYPES)
                .thenApply(bytes -> Bodies.mediaType(call.request()).equals("application/json")
                        ? json(bytes, strings)
                        : form(new String(bytes, StandardCharsets.UTF_8)));
    }

    private CompletionStage<HttpResponse> token(Call call) {
        return params(call, List.of("grant_type", "username", "password", "refresh_token"))
                .thenCompose(params -> {
                    String grant = params.get("grant_type");
                    CompletionStage<TokenService.Tokens> issued =
                            switch (grant == null ? "" : grant) {
                                case "password" -> {
                                    String user = required(params, "username");
                                    String password = required(params, "password");
                                    yield tokens().passwordGrant(user, password);
                                }
                                case "refresh_token" -> {
                                    String refreshToken = required(params, "refresh_token");
                                    yield tokens().refreshGrant(refreshToken);
                                }
                                case "" ->
                                    throw ApiException.badRequest(
                                            "invalid-request",
                                            "Invalid request",
                                            "grant_type is missing: password or refresh_token",
                                            "/grant_type");
                                default ->
                                    throw ApiException.badRequest(
                                            "unsupported-grant-type",
                                            "Unsupported grant type",
                                            "grant_type '" + grant + "' is not supported: password or refresh_token",
                                            "/grant_type");
                            };
                    return issued.handle(AuthResource::answer);
                });
    }

    /**
     * RFC 7009: the same answer whether a sign-in ended or the token was unknown, expired or
     * revoked before (the client could do nothing else about it), so the route tells nobody
     * whether a token was good. Only a token of a type LumaDB does not revoke here is refused, so
     * that a client sending its access token or an API key does not take the 200 for a sign-out.
     */
    private CompletionStage<HttpResponse> revoke(Call call) {
        return params(call, List.of("token", "token_type_hint")).thenCompose(params -> {
            String token = params.get("token");
            if (token == null || token.isEmpty()) {
                throw ApiException.badRequest(
                        "invalid-request",
                        "Invalid request",
                        "token is missing: the refresh token to revoke",
                        "/token");
            }
            // token_type_hint (RFC 7009 2.1) is accepted and not needed: the token's form says what it is.
            if (ApiKeySecrets.parse(token).isPresent()) {
                throw unsupportedTokenType("an API key is revoked by an administrator with DELETE"
                        + " /api/v1/_security/keys/{key}; this route revokes refresh tokens");
            }
            if (JWT.matcher(token).matches()) {
                throw unsupportedTokenType("access tokens are not revoked one by one: revoke the refresh token of"
                        + " their sign-in, which ends its access tokens too");
            }
            var tokens = api.security().tokens();
            if (tokens.isEmpty()) {
                // Security is off: no token was issued, so there is no sign-in to end.
                return CompletableFuture.completedFuture(revoked());
            }
            return tokens.get().revoke(token).thenApply(ended -> {
                ended.ifPresent(out -> api.security()
                        .audit()
                        .record(AuditEvent.signOut(out.user(), out.familyId(), Audits.client(call.request()))));
                return revoked();
            });
        });
    }

    private static HttpResponse revoked() {
        return JsonResponses.json(StatusCodes.OK, JsonResponses.object())
                .addHeader(RawHeader.create("Cache-Control", "no-store"));
    }

    private static ApiException unsupportedTokenType(String detail) {
        return ApiException.badRequest("unsupported-token-type", "Unsupported token type", detail, "/token");
    }

    private TokenService tokens() {
        return api.security()
                .tokens()
                .orElseThrow(() -> invalidGrant(
                        "security is off (lumadb.security.enabled): requests need no token, so none is issued"));
    }

    private static HttpResponse answer(TokenService.Tokens t, Throwable failure) {
        if (failure != null) {
            Throwable e =
                    failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            if (e instanceof InvalidGrantException invalid) {
                throw invalidGrant(invalid.getMessage());
            }
            throw e instanceof RuntimeException r ? r : new CompletionException(e);
        }
        ObjectNode body = JsonResponses.object();
        body.put("access_token", t.accessToken());
        body.put("token_type", "Bearer");
        body.put("expires_in", t.expiresInSeconds());
        body.put("refresh_token", t.refreshToken());
        body.put("refresh_token_expires_in", t.refreshExpiresInSeconds());
        // RFC 6749 5.1: answers carrying tokens are not cached.
        return JsonResponses.json(StatusCodes.OK, body)
                .addHeader(RawHeader.create("Cache-Control", "no-store"))
                .addHeader(RawHeader.create("Pragma", "no-cache"));
    }

    private static ApiException invalidGrant(String detail) {
        return ApiException.badRequest("invalid-grant", "Invalid grant", detail, null);
    }

    private static String required(Map<String, String> params, String name) {
        String value = params.get(name);
        if (value == null || value.isEmpty()) {
            throw ApiException.badRequest(
                    "invalid-request", "Invalid request", name + " is missing for this grant_type", "/" + name);
        }
        return value;
    }

    /**
     * The body's string members; other members are left out, as RFC 6749 ignores unknown
     * parameters, but one of {@code strings} that is not a string is refused.
     */
    private static Map<String, String> json(byte[] bytes, List<String> strings) {
        ObjectNode body = JsonBodies.requireObject(JsonBodies.parse(bytes, "body"), "");
        Map<String, String> params = new HashMap<>();
        for (var e : body.properties()) {
            JsonNode v = e.getValue();
            if (v.isTextual()) {
                params.put(e.getKey(), v.textValue());
            } else if (strings.contains(e.getKey())) {
                throw ApiException.badRequest(
                        "invalid-request", "Invalid request", e.getKey() + " must be a string", "/" + e.getKey());
            }
        }
        return params;
    }

    private static Map<String, String> form(String body) {
        Map<String, String> params = new HashMap<>();
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                if (params.putIfAbsent(name, value) != null) {
                    // RFC 6749 3.2: parameters must not be repeated.
                    throw ApiException.badRequest(
                            "invalid-request", "Invalid request", name + " is given twice", "/" + name);
                }
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(
                        "invalid-request", "Invalid request", "the form body is not URL-encoded: " + pair, "body");
            }
        }
        return params;
    }
}
