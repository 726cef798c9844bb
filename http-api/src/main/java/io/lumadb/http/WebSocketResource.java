package io.lumadb.http;

import static io.lumadb.http.JsonResponses.done;

import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * {@code /api/v1/_ws}: one WebSocket that multiplexes change streams, live queries and topics
 * ({@link WebSocketSession} speaks the protocol). Only pages of allowed origins may open one.
 */
final class WebSocketResource implements Resource {

    private final ApiContext api;

    WebSocketResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get("/api/v1/_ws", "webSocket", Permission.of(Action.SIGNED_IN, Scope.CLUSTER), this::open));
    }

    private CompletionStage<HttpResponse> open(Call call) {
        var request = call.request();
        var upgrade = request.getAttribute(AttributeKeys.webSocketUpgrade);
        if (upgrade.isEmpty()) {
            return done(Problems.response(
                            new ApiException(
                                    426,
                                    "upgrade-required",
                                    "Upgrade required",
                                    "/api/v1/_ws is a WebSocket endpoint: connect with a WebSocket client"
                                            + " (Upgrade: websocket)",
                                    "Upgrade"),
                            call.path())
                    .addHeader(RawHeader.create("Upgrade", "websocket")));
        }
        if (!HostCheck.allowsWebSocketOrigin(request, api.cors())) {
            return done(Problems.response(
                    new ApiException(
                            403,
                            "websocket-origin-not-allowed",
                            "WebSocket origin not allowed",
                            "pages of origin '"
                                    + request.getHeader("Origin")
                                            .map(HttpHeader::value)
                                            .orElse("")
                                    + "' may not open a WebSocket to this node; allow the origin in"
                                    + " lumadb.http.cors.allowed-origins",
                            "Origin"),
                    call.path()));
        }
        WebSocketSession session = new WebSocketSession(
                api.system(),
                api.changeStreams(),
                api.topics(),
                api.webSocketSettings(),
                (permission, names) -> api.security()
                        .authorize(
                                call.principal(), permission, names, "GET /api/v1/_ws", Audits.client(call.request())),
                (db, collection) -> new SubscriptionGuard(api, call.principal(), db, collection),
                (db, collection, search, access) -> LiveSearches.start(api, db, collection, search, access),
                (db, collection, query, grace, horizon, resume) ->
                        LiveWindowStreams.open(api, db, collection, query, grace, horizon, resume));
        return done(upgrade.get().handleMessagesWith(session.flow()));
    }
}
