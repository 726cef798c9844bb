package io.lumadb.http;

import io.lumadb.security.Permission;
import io.lumadb.security.Principal;
import io.lumadb.security.Security;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.japi.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST/JSON API under {@code /api/v1}, plus {@code /health}, {@code /ready} and {@code
 * /metrics}: the dispatcher in front of the {@link RouteTable}. It checks the host, answers CORS
 * preflights, matches the request to a route (404 for no route, 405 with {@code Allow} for a
 * method the path does not have), spends the client address's request budget (429, {@link
 * RateLimits}), authenticates the caller and checks the route's permission (401, 403), runs the
 * route's handler, maps every failure to an {@code application/problem+json} answer, and records each request under its route template for the
 * metrics and the request log (logger {@code io.lumadb.http.requests}, at debug). The resources
 * validate input completely before they send anything to a shard, so a bad request writes
 * nothing.
 */
public final class ApiHandler implements Function<HttpRequest, CompletionStage<HttpResponse>> {

    private static final Logger requestLog = LoggerFactory.getLogger("io.lumadb.http.requests");
    private static final String UNMATCHED = "unmatched";

    private final ClassicActorSystemProvider system;
    private final RouteTable routes;
    private final RequestObserver observer;
    private final Cors cors;
    private final HostCheck hosts;
    private final Security security;
    private final RateLimits limits;
    private final SubscriptionLimits subscriptions;

    /** The dispatcher of LumaDB's API: every resource of {@code api}, in one route table. */
    public ApiHandler(ApiContext api, RequestObserver observer) {
        this(api.system(), RouteTable.of(api.resources()), api.settings(), api.cors(), observer, api.security());
    }

    /** A dispatcher over any table; the tests give it their own routes. */
    ApiHandler(
            ClassicActorSystemProvider system,
            RouteTable routes,
            HttpSettings settings,
            Cors cors,
            RequestObserver observer,
            Security security) {
        this.system = system;
        this.security = security;
        this.routes = routes;
        this.observer = observer;
        this.cors = cors;
        this.hosts = new HostCheck(settings.host(), settings.allowedHosts());
        this.limits = new RateLimits(settings.rateLimits(), observer);
        this.subscriptions = new SubscriptionLimits(system, settings.rateLimits(), observer);
    }

    /** Every route this handler serves. */
    public RouteTable routes() {
        return routes;
    }

    @Override
    public CompletionStage<HttpResponse> apply(HttpRequest request) {
        long start = System.nanoTime();
        String method = request.method().value();
        if (!hosts.allows(request)) {
            request.discardEntityBytes(system);
            return CompletableFuture.completedFuture(
                    finish(request, UNMATCHED, null, start, Problems.response(hostNotAllowed(request), path(request))));
        }
        HttpResponse preflight = cors.preflight(request);
        if (preflight != null) {
            request.discardEntityBytes(system);
            observer.record("cors-preflight", "OPTIONS", preflight.status().intValue(), System.nanoTime() - start);
            return CompletableFuture.completedFuture(preflight);
        }
        String template = UNMATCHED;
        Route route = null;
        CompletionStage<HttpResponse> response;
        try {
            limits.admitAddress(request);
            List<String> segments = RequestTarget.segments(request);
            switch (routes.match(method, segments)) {
                case RouteTable.Match.Found found -> {
                    route = found.route();
                    template = route.template();
                    response = admit(request, route, found.parameters());
                }
                case RouteTable.Match.MethodNotAllowed wrong -> {
                    template = wrong.template();
                    response = CompletableFuture.completedFuture(methodNotAllowed(request, method, wrong));
                }
                case RouteTable.Match.NotFound none ->
                    response = CompletableFuture.failedFuture(notFound(request, segments));
            }
        } catch (RuntimeException e) {
            response = CompletableFuture.failedFuture(e);
        }
        String label = template;
        Route matched = route;
        return response.exceptionally(failure -> Problems.response(Problems.classify(failure), path(request)))
                .thenApply(r -> {
                    // Whatever a handler did not read must still be drained, or the connection stalls.
                    request.discardEntityBytes(system);
                    return cors.decorate(request, finish(request, label, matched, start, r));
                });
    }

    /**
     * Runs the route's handler for an authenticated caller that holds the route's permission:
     * public routes need no caller; others answer 401 without valid credentials and 403 without
     * the permission, before the handler sees the request. The caller's budgets ({@link
     * RateLimits}: failed logins, its requests) are spent here, and the streams it opens are
     * counted ({@link SubscriptionLimits}).
     */
    private CompletionStage<HttpResponse> admit(HttpRequest request, Route route, Map<String, String> parameters) {
        Permission permission = route.permission();
        if (permission.action() == Permission.Action.NONE) {
            return route.handler().handle(new Call(request, parameters, Principal.UNRESTRICTED));
        }
        String client = Audits.client(request);
        return limits.authenticate(request, () -> security.authenticate(authorization(request, route), client))
                .thenCompose(principal -> {
                    limits.admitPrincipal(principal);
                    security.authorize(
                            principal, permission, parameters, route.method() + " " + route.template(), client);
                    HttpRequest counted = subscriptions.prepare(request, principal);
                    return subscriptions.admit(
                            counted, () -> route.handler().handle(new Call(counted, parameters, principal)));
                });
    }

    /**
     * The request's Authorization header; for InfluxDB 1.x's write route without one, its {@code
     * u} and {@code p} parameters as HTTP Basic, as InfluxDB takes them.
     */
    private static java.util.Optional<String> authorization(HttpRequest request, Route route) {
        var header = request.getHeader("Authorization").map(HttpHeader::value);
        if (header.isPresent() || !route.template().equals("/write")) {
            return header;
        }
        var q = request.getUri().query();
        if (q.get("u").isEmpty()) {
            return header;
        }
        String pair = q.get("u").get() + ":" + q.get("p").orElse("");
        return java.util.Optional.of("Basic "
                + java.util.Base64.getEncoder().encodeToString(pair.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /** Records the answered request under its route template, and logs it. */
    private HttpResponse finish(HttpRequest request, String template, Route route, long start, HttpResponse r) {
        long nanos = System.nanoTime() - start;
        int status = r.status().intValue();
        String method = request.method().value();
        observer.record(template, method, status, nanos);
        if (requestLog.isDebugEnabled()) {
            requestLog.debug(
                    "{} {} -> {} in {} us [{}]",
                    method,
                    path(request),
                    status,
                    nanos / 1_000,
                    route == null ? template : route.operationId());
        }
        return r;
    }

    private static String path(HttpRequest request) {
        return request.getUri().path();
    }

    private static ApiException notFound(HttpRequest request, List<String> segments) {
        return new ApiException(
                404,
                "route-not-found",
                "Route not found",
                "no route " + path(request) + "; the API lives under /api/v1"
                        + (segments.contains("") ? " (paths have no empty segments and no trailing slash)" : ""),
                null);
    }

    private static HttpResponse methodNotAllowed(
            HttpRequest request, String method, RouteTable.Match.MethodNotAllowed wrong) {
        String allowed = String.join(", ", wrong.allowed());
        return Problems.response(
                        new ApiException(
                                405,
                                "method-not-allowed",
                                "Method not allowed",
                                method + " is not allowed on " + wrong.template() + "; allowed: " + allowed,
                                null,
                                Map.of("allowed", wrong.allowed())),
                        path(request))
                .addHeader(RawHeader.create("Allow", allowed));
    }

    private static ApiException hostNotAllowed(HttpRequest request) {
        return new ApiException(
                421,
                "host-not-allowed",
                "Host not allowed",
                "this node does not answer for host '"
                        + request.getHeader("Host").map(HttpHeader::value).orElse("")
                        + "'; list the names it is reached by in lumadb.http.allowed-hosts",
                "Host");
    }
}
