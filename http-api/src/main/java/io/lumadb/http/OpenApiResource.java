package io.lumadb.http;

import static io.lumadb.http.JsonResponses.done;
import static io.lumadb.http.JsonResponses.json;

import io.lumadb.security.Permission;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** The API's own description, {@code openapi.json} (OpenAPI 3.1). */
final class OpenApiResource implements Resource {

    static final String RESOURCE = "openapi.json";

    private final byte[] document = load();

    private static byte[] load() {
        try (InputStream in = OpenApiResource.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + RESOURCE);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.get(
                "/api/v1/openapi.json", "getOpenApi", Permission.PUBLIC, call -> done(json(StatusCodes.OK, document))));
    }
}
