package io.lumadb.http;

import com.typesafe.config.Config;

/**
 * Settings of the WebSocket endpoint {@code /api/v1/_ws}, from {@code lumadb.http.websocket}.
 *
 * @param maxSubscriptions the most subscriptions one connection may hold at once
 * @param maxMessageBytes the largest client message (characters of one text message)
 */
public record WebSocketSettings(int maxSubscriptions, long maxMessageBytes) {

    public static WebSocketSettings from(Config root) {
        Config ws = root.getConfig("lumadb.http.websocket");
        return new WebSocketSettings(ws.getInt("max-subscriptions"), ws.getBytes("max-message-bytes"));
    }
}
