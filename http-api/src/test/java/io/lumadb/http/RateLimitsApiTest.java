package io.lumadb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.lumadb.security.PasswordHasher;
import io.lumadb.security.Permission;
import io.lumadb.security.Security;
import io.lumadb.security.SecuritySettings;
import io.lumadb.shards.model.DocumentJson;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.RawRequestURI;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The dispatcher's rate limits with security on (a single-node test cluster holding the security
 * catalog): 429 with the bucket's Retry-After per client address, per principal, for failed
 * logins, and for one stream too many. The budgets refill at one token per 1000 s, so nothing
 * refills while a test runs.
 */
@Timeout(120)
class RateLimitsApiTest {

    private static final String SLOW = "0.001"; // one token per 1000 s
    private static ActorTestKit kit;
    private static Security security;
    private static final AtomicInteger streamsEnded = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        kit = io.lumadb.testkit.TestClusters.singleNode(Map.of());
        security = Security.start(
                kit.system(),
                new SecuritySettings(
                        true,
                        "admin-pw-1234",
                        new PasswordHasher.Cost(1024, 1, 1),
                        100,
                        2,
                        Duration.ofMinutes(5),
                        Duration.ofSeconds(20)));
        await(security.bootstrap());
        await(security.putUser("ada", "ada-pw-1234", List.of()));
        await(security.putUser("bob", "bob-pw-1234", List.of()));
    }

    @AfterAll
    static void stop() {
        security.close();
        kit.shutdownTestKit();
    }

    private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /** A dispatcher with these rate-limit settings (keys under lumadb.http.rate-limits). */
    private static ApiHandler handler(Map<String, Object> limits) {
        Map<String, Object> keys = new HashMap<>();
        limits.forEach((k, v) -> keys.put("lumadb.http.rate-limits." + k, v));
        HttpSettings settings = HttpSettings.from(ConfigFactory.parseMap(keys).withFallback(ConfigFactory.load()));
        Route.Handler ok = call -> CompletableFuture.completedFuture(
                JsonResponses.json(org.apache.pekko.http.javadsl.model.StatusCodes.OK, JsonResponses.object()));
        Route.Handler stream = call -> CompletableFuture.completedFuture(
                Sse.response(Source.<ByteString>never().watchTermination((mat, done) -> {
                    done.whenComplete((d, f) -> streamsEnded.incrementAndGet());
                    return org.apache.pekko.NotUsed.getInstance();
                })));
        RouteTable table = RouteTable.of(List.<Resource>of(() -> List.of(
                Route.get("/t/public", "publicThing", Permission.PUBLIC, ok),
                Route.get(
                        "/t/private",
                        "privateThing",
                        Permission.of(Permission.Action.SIGNED_IN, Permission.Scope.CLUSTER),
                        ok),
                Route.get(
                        "/t/stream",
                        "streamThing",
                        Permission.of(Permission.Action.SIGNED_IN, Permission.Scope.CLUSTER),
                        stream))));
        return new ApiHandler(
                kit.system(),
                table,
                settings,
                new Cors(settings.corsAllowedOrigins(), settings.corsMaxAge()),
                RequestObserver.NONE,
                security);
    }

    private static HttpResponse send(ApiHandler handler, String path, String from, String user) throws Exception {
        HttpRequest request = HttpRequest.create(path)
                .addHeader(RawRequestURI.create(path))
                .addAttribute(AttributeKeys.remoteAddress, RemoteAddress.create(InetAddress.getByName(from)));
        if (user != null) {
            String password = user.contains(":") ? user.substring(user.indexOf(':') + 1) : user + "-pw-1234";
            String name = user.contains(":") ? user.substring(0, user.indexOf(':')) : user;
            request = request.addHeader(RawHeader.create(
                    "Authorization",
                    "Basic "
                            + Base64.getEncoder()
                                    .encodeToString((name + ":" + password).getBytes(StandardCharsets.UTF_8))));
        }
        return handler.apply(request).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static JsonNode problem(HttpResponse response) throws Exception {
        return DocumentJson.mapper()
                .readTree(await(response.entity().toStrict(5_000, kit.system()))
                        .getData()
                        .toArray());
    }

    /** Asserts a 429 of {@code type} whose Retry-After is the bucket's wait: 1000 s, give or take the test's time. */
    private static JsonNode assertLimited(HttpResponse response, String type, long retryAfter) throws Exception {
        assertEquals(429, response.status().intValue());
        JsonNode problem = problem(response);
        assertEquals("urn:lumadb:problem:" + type, problem.path("type").asText(), problem.toString());
        long header =
                Long.parseLong(response.getHeader("Retry-After").orElseThrow().value());
        assertTrue(header <= retryAfter && header >= retryAfter - 10, "Retry-After " + header);
        assertEquals(header, problem.path("retryAfter").asLong(), "the body says it too");
        return problem;
    }

    @Test
    void anAddressOverItsBudgetGets429WithRetryAfterAndOtherAddressesDoNot() throws Exception {
        ApiHandler handler = handler(Map.of("per-address.requests-per-second", SLOW, "per-address.burst", 2));
        assertEquals(
                200, send(handler, "/t/public", "203.0.113.7", null).status().intValue());
        assertEquals(
                404, send(handler, "/t/nothing", "203.0.113.7", null).status().intValue(), "any request counts");
        JsonNode problem = assertLimited(send(handler, "/t/public", "203.0.113.7", null), "rate-limited", 1000);
        assertTrue(problem.path("detail").asText().contains("lumadb.http.rate-limits.per-address"), problem.toString());
        assertLimited(send(handler, "/t/private", "203.0.113.7", "ada"), "rate-limited", 1000);
        assertEquals(
                200, send(handler, "/t/public", "203.0.113.8", null).status().intValue());
        // IPv6 counts by /64: another host of the same /64 shares the budget.
        assertEquals(
                200,
                send(handler, "/t/public", "2001:db8:1:2::1", null).status().intValue());
        assertEquals(
                200,
                send(handler, "/t/public", "2001:db8:1:2::2", null).status().intValue());
        assertLimited(send(handler, "/t/public", "2001:db8:1:2:ffff::3", null), "rate-limited", 1000);
        assertEquals(
                200,
                send(handler, "/t/public", "2001:db8:1:3::1", null).status().intValue());
    }

    @Test
    void loopbackIsExemptFromAddressBudgetsUnlessLimitLoopback() throws Exception {
        ApiHandler exempt = handler(Map.of("per-address.requests-per-second", SLOW, "per-address.burst", 1));
        for (int i = 0; i < 5; i++) {
            assertEquals(
                    200, send(exempt, "/t/public", "127.0.0.1", null).status().intValue());
            assertEquals(200, send(exempt, "/t/public", "::1", null).status().intValue());
        }
        ApiHandler limited = handler(
                Map.of("per-address.requests-per-second", SLOW, "per-address.burst", 1, "limit-loopback", true));
        assertEquals(200, send(limited, "/t/public", "127.0.0.1", null).status().intValue());
        assertLimited(send(limited, "/t/public", "127.0.0.1", null), "rate-limited", 1000);
    }

    @Test
    void aPrincipalOverItsBudgetGets429WhereverItComesFrom() throws Exception {
        ApiHandler handler = handler(Map.of("per-principal.requests-per-second", SLOW, "per-principal.burst", 2));
        assertEquals(
                200, send(handler, "/t/private", "198.51.100.1", "ada").status().intValue());
        assertEquals(
                200, send(handler, "/t/private", "198.51.100.2", "ada").status().intValue());
        JsonNode problem = assertLimited(send(handler, "/t/private", "198.51.100.3", "ada"), "rate-limited", 1000);
        assertTrue(problem.path("detail").asText().contains("user 'ada'"), problem.toString());
        assertTrue(
                problem.path("detail").asText().contains("lumadb.http.rate-limits.per-principal"), problem.toString());
        assertEquals(
                200, send(handler, "/t/private", "198.51.100.3", "bob").status().intValue(), "bob has his own");
        assertEquals(
                200, send(handler, "/t/public", "198.51.100.3", null).status().intValue(), "no principal");
    }

    @Test
    void spentFailedLoginsRefuseCredentialsFromThatAddressBeforeTheyAreChecked() throws Exception {
        ApiHandler handler = handler(Map.of("failed-logins.per-minute", "0.06", "failed-logins.burst", 2));
        assertEquals(
                401,
                send(handler, "/t/private", "192.0.2.9", "ada:wrong").status().intValue());
        assertEquals(
                200, send(handler, "/t/private", "192.0.2.9", "ada").status().intValue(), "one failure left");
        assertEquals(
                401,
                send(handler, "/t/private", "192.0.2.9", "nobody:wrong")
                        .status()
                        .intValue());
        JsonNode problem =
                assertLimited(send(handler, "/t/private", "192.0.2.9", "ada"), "too-many-failed-logins", 1000);
        assertTrue(problem.path("detail").asText().contains("192.0.2.9"), problem.toString());
        assertEquals(
                401, send(handler, "/t/private", "192.0.2.9", null).status().intValue(), "no credentials: 401");
        assertEquals(200, send(handler, "/t/public", "192.0.2.9", null).status().intValue());
        assertEquals(
                200, send(handler, "/t/private", "192.0.2.10", "ada").status().intValue(), "another address");
    }

    @Test
    void oneStreamTooManyIsRefusedAndASlotComesBackWhenAStreamEnds() throws Exception {
        ApiHandler handler = handler(Map.of("max-subscriptions-per-principal", 2));
        Materializer materializer = Materializer.matFromSystem(kit.system());
        HttpResponse first = send(handler, "/t/stream", "198.51.100.7", "ada");
        HttpResponse second = send(handler, "/t/stream", "198.51.100.8", "ada");
        assertEquals(200, first.status().intValue());
        assertEquals(200, second.status().intValue());
        UniqueKillSwitch firstRunning = first.entity()
                .getDataBytes()
                .viaMat(KillSwitches.single(), Keep.right())
                .to(Sink.ignore())
                .run(materializer);
        second.entity().getDataBytes().runWith(Sink.ignore(), materializer);
        int endedBefore = streamsEnded.get();
        HttpResponse third = send(handler, "/t/stream", "198.51.100.9", "ada");
        JsonNode problem = assertLimited(third, "too-many-subscriptions", 1);
        assertTrue(problem.path("detail").asText().contains("user 'ada'"), problem.toString());
        awaitTrue(() -> streamsEnded.get() == endedBefore + 1, "the refused stream was cancelled unsent");
        assertEquals(
                200, send(handler, "/t/stream", "198.51.100.9", "bob").status().intValue(), "bob has his own");

        firstRunning.shutdown(); // the client goes away
        awaitTrue(() -> streamsEnded.get() == endedBefore + 2, "the first stream ended");
        HttpResponse again = send(handler, "/t/stream", "198.51.100.9", "ada");
        assertEquals(200, again.status().intValue(), "its slot came back");
        again.entity().discardBytes(kit.system());
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }
}
