package io.lumadb.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lumadb.security.Security;

/**
 * LumaDB's real route table, built without a node: the resources are constructed with the
 * reference settings and no services, which declaring routes does not touch.
 */
final class TestApi {

    private TestApi() {}

    static Config config() {
        return ConfigFactory.load();
    }

    static HttpSettings settings() {
        return HttpSettings.from(config());
    }

    static RouteTable routeTable() {
        ApiContext api = new ApiContext(
                null,
                null,
                null,
                null,
                null,
                null,
                settings(),
                WebSocketSettings.from(config()),
                () -> "",
                Security.off());
        return new ApiHandler(api, RequestObserver.NONE).routes();
    }
}
