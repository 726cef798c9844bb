package io.lumadb.http;

import java.util.Map;

/**
 * A request the API refuses, carrying its RFC 9457 problem: a stable {@code type} slug, a
 * human title, the status, a detail and the offending field (a JSON pointer, header or
 * parameter name) where there is one.
 */
final class ApiException extends RuntimeException {
    final int status;
    final String type;
    final String title;
    final String field;
    final Map<String, Object> extra;

    ApiException(int status, String type, String title, String detail, String field, Map<String, Object> extra) {
        super(detail, null, false, false);
        this.status = status;
        this.type = type;
        this.title = title;
        this.field = field;
        this.extra = extra;
    }

    ApiException(int status, String type, String title, String detail, String field) {
        this(status, type, title, detail, field, Map.of());
    }

    static ApiException badRequest(String type, String title, String detail, String field) {
        return new ApiException(400, type, title, detail, field);
    }

    static ApiException notFound(String what, String detail) {
        return new ApiException(404, what + "-not-found", capitalize(what) + " not found", detail, null);
    }

    private static String capitalize(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
