package io.lumadb.http;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Every route of the API, collected from the {@link Resource}s, and the one place requests are
 * matched: the most specific template that matches the path wins (a literal segment before a
 * parameter), then its method. No template: 404. A template without the method: 405 with the
 * template's methods. HEAD is answered wherever GET is. The table refuses, when it is built, two
 * routes for one method and template shape, and a permission whose resource the template does
 * not name.
 */
public final class RouteTable {

    /** The routes of one template, by method. */
    record Path(PathTemplate template, Map<String, Route> byMethod, List<String> allowed) {}

    /** The outcome of matching a request. */
    sealed interface Match {
        /** A route, with the values of its path parameters. */
        record Found(Route route, Map<String, String> parameters) implements Match {}

        /** The path exists, the method does not: answered 405 with {@code allowed}. */
        record MethodNotAllowed(String template, List<String> allowed) implements Match {}

        /** No route has this path. */
        record NotFound() implements Match {}
    }

    private static final String GET = "GET";
    private static final String HEAD = "HEAD";

    private final List<Path> paths;
    private final List<Route> routes;

    private RouteTable(List<Path> paths, List<Route> routes) {
        this.paths = paths;
        this.routes = routes;
    }

    public static RouteTable of(List<? extends Resource> resources) {
        Map<String, PathTemplate> templates = new LinkedHashMap<>();
        Map<String, Map<String, Route>> byTemplate = new LinkedHashMap<>();
        Map<String, String> shapes = new HashMap<>();
        List<Route> all = new ArrayList<>();
        for (Resource resource : resources) {
            for (Route route : resource.routes()) {
                PathTemplate template = templates.computeIfAbsent(route.template(), PathTemplate::parse);
                String clash = shapes.putIfAbsent(template.shape(), template.text());
                if (clash != null && !clash.equals(template.text())) {
                    throw new IllegalArgumentException("routes " + clash + " and " + template
                            + " match the same paths; name the parameters alike");
                }
                for (String parameter : route.permission().parameters()) {
                    if (!template.parameters().contains(parameter)) {
                        throw new IllegalArgumentException(route + " needs a permission on a resource named by {"
                                + parameter + "}, which its template does not have");
                    }
                }
                Route previous = byTemplate
                        .computeIfAbsent(template.text(), t -> new LinkedHashMap<>())
                        .putIfAbsent(route.method(), route);
                if (previous != null) {
                    throw new IllegalArgumentException("two routes for " + route.method() + " " + template + ": "
                            + previous.operationId() + " and " + route.operationId());
                }
                all.add(route);
            }
        }
        List<Path> paths = new ArrayList<>();
        for (var e : byTemplate.entrySet()) {
            TreeSet<String> allowed = new TreeSet<>(e.getValue().keySet());
            if (allowed.contains(GET)) {
                allowed.add(HEAD);
            }
            paths.add(new Path(templates.get(e.getKey()), Map.copyOf(e.getValue()), List.copyOf(allowed)));
        }
        paths.sort(Comparator.comparing(Path::template, PathTemplate::bySpecificity));
        return new RouteTable(List.copyOf(paths), List.copyOf(all));
    }

    /** Matches a request's method and decoded path segments (as {@link RequestTarget} gives them). */
    Match match(String method, List<String> segments) {
        if (segments.contains("")) {
            // An empty segment (a trailing slash, or "//") names nothing; never a shorter path.
            return new Match.NotFound();
        }
        for (Path path : paths) {
            Map<String, String> parameters = path.template().match(segments);
            if (parameters != null) {
                Route route = path.byMethod().get(method.equals(HEAD) ? GET : method);
                return route == null
                        ? new Match.MethodNotAllowed(path.template().text(), path.allowed())
                        : new Match.Found(route, parameters);
            }
        }
        return new Match.NotFound();
    }

    /** Every route, in the order the resources declare them. */
    public List<Route> routes() {
        return routes;
    }
}
