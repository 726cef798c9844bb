package io.lumadb.http;

import io.lumadb.security.Permission;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * One route of the API, declared once by the {@link Resource} that serves it: the method, the
 * path template with named parameters ({@code /api/v1/{db}/{collection}/{id}}), the operation
 * id it has in {@code openapi.json}, the {@link Permission} it requires and the handler.
 */
public record Route(String method, String template, String operationId, Permission permission, Handler handler) {

    /** Runs a matched request. Failures (thrown or in the stage) become problem answers. */
    @FunctionalInterface
    public interface Handler {
        CompletionStage<HttpResponse> handle(Call call);
    }

    public Route {
        if (method == null || !method.equals(method.toUpperCase(Locale.ROOT)) || method.isEmpty()) {
            throw new IllegalArgumentException("a route's method is an upper-case HTTP method: " + method);
        }
        if (method.equals("HEAD")) {
            throw new IllegalArgumentException("HEAD is answered wherever GET is; declare GET: " + template);
        }
        if (template == null || operationId == null || operationId.isBlank() || permission == null || handler == null) {
            throw new IllegalArgumentException(
                    "a route declares its template, operation id, permission and handler: " + method + " " + template);
        }
    }

    public static Route get(String template, String operationId, Permission permission, Handler handler) {
        return new Route("GET", template, operationId, permission, handler);
    }

    public static Route put(String template, String operationId, Permission permission, Handler handler) {
        return new Route("PUT", template, operationId, permission, handler);
    }

    public static Route post(String template, String operationId, Permission permission, Handler handler) {
        return new Route("POST", template, operationId, permission, handler);
    }

    public static Route patch(String template, String operationId, Permission permission, Handler handler) {
        return new Route("PATCH", template, operationId, permission, handler);
    }

    public static Route delete(String template, String operationId, Permission permission, Handler handler) {
        return new Route("DELETE", template, operationId, permission, handler);
    }

    @Override
    public String toString() {
        return method + " " + template + " (" + operationId + ", " + permission + ")";
    }
}
