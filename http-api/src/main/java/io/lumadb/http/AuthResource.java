package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.security.Permission;
import io.lumadb.security.tokens.TokenService;
import io.lumadb.security.tokens.TokenService.InvalidGrantException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * Signing in with tokens: {@code POST /api/v1/_auth/token} (public: it is how a caller gets
 * credentials) answers the OAuth 2.0 grants of RFC 6749, {@code password} and {@code
 * refresh_token}, as a JSON or form-encoded body, with an access token (a JWT for {@code
 * Authorization: Bearer}) and a rotating refresh token. Refusals are problems like every LumaDB
 * error, with RFC 6749's error codes as slugs ({@code invalid-grant}, {@code
 * unsupported-grant-type}).
 */
final class AuthResource implements Resource {

    private static final Set<String> MEDIA_TYPES = Set.of("application/json", "application/x-www-form-urlencoded");
    private static final long MAX_BODY = 16 * 1024;

    private final ApiContext api;

    AuthResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.post("/api/v1/_auth/token", "issueToken", Permission.PUBLIC, this::token));
    }

    private CompletionStage<HttpResponse> token(Call call) {
        return api.bodies().read(call.request(), MAX_BODY, MEDIA_TYPES).thenCompose(bytes -> {
            Map<String, String> params = Bodies.mediaType(call.request()).equals("application/json")
                    ? json(bytes)
                    : form(new String(bytes, StandardCharsets.UTF_8));
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

    /** The body's string members; other members are left out, as RFC 6749 ignores unknown parameters. */
    private static Map<String, String> json(byte[] bytes) {
        ObjectNode body = JsonBodies.requireObject(JsonBodies.parse(bytes, "body"), "");
        Map<String, String> params = new HashMap<>();
        for (var e : body.properties()) {
            JsonNode v = e.getValue();
            if (v.isTextual()) {
                params.put(e.getKey(), v.textValue());
            } else if (List.of("grant_type", "username", "password", "refresh_token")
                    .contains(e.getKey())) {
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
