package io.lumadb.http;

import io.lumadb.security.Permission;
import io.lumadb.security.Principal;
import io.lumadb.shards.model.Names;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * A request matched to a route: the request, the values of the route's path parameters,
 * percent-decoded as the client sent them, and the authenticated caller. The named accessors check the naming rules, so a
 * handler never sees an invalid database, collection or document name.
 */
public record Call(HttpRequest request, Map<String, String> parameters, Principal principal) {

    static final String DB = Permission.DB;
    static final String COLLECTION = Permission.COLLECTION;
    static final String ID = "id";

    public Call {
        parameters = Map.copyOf(parameters);
    }

    /** The value of path parameter {@code name}; the route's template must declare it. */
    public String parameter(String name) {
        String value = parameters.get(name);
        if (value == null) {
            throw new IllegalStateException("the route has no path parameter {" + name + "}");
        }
        return value;
    }

    /** {@code {db}}, checked against the database naming rules. */
    public String db() {
        return Names.checkDatabase(parameter(DB));
    }

    /** {@code {collection}}, checked against the collection naming rules. */
    public String collection() {
        return Names.checkCollection(parameter(COLLECTION));
    }

    /** {@code {id}}, checked against the document id rules. */
    public String id() {
        return Names.checkDocumentId(parameter(ID));
    }

    public String method() {
        return request.method().value();
    }

    /** The request's path as sent, for the {@code instance} of a problem. */
    public String path() {
        return request.getUri().path();
    }
}
