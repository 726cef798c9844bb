package io.lumadb.http;

import java.util.List;

/**
 * A family of routes of the API (databases, documents, changes, ...). A resource declares its
 * routes; {@link RouteTable} matches requests to them, so adding an endpoint means adding a
 * route here (and to {@code openapi.json}), never changing the dispatcher.
 */
public interface Resource {
    List<Route> routes();
}
