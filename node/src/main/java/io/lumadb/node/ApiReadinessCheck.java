package io.lumadb.node;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;

/**
 * Pekko Management readiness check ({@code GET /ready} on the management port): a node is ready once its HTTP API
 * listens, its catalog answers and its storage can make writes durable, on top of management's
 * own check that the node is an Up cluster member. Configured in {@code lumadb-cluster.conf};
 * management creates it.
 */
public final class ApiReadinessCheck implements Supplier<CompletionStage<Boolean>> {

    private static final Map<String, Supplier<CompletionStage<Boolean>>> probes = new ConcurrentHashMap<>();

    private final ActorSystem system;

    public ApiReadinessCheck(ActorSystem system) {
        this.system = system;
    }

    /** Called by the node once its API is bound: from then on, readiness asks {@code probe}. */
    static void register(ActorSystem system, Supplier<CompletionStage<Boolean>> probe) {
        probes.put(key(system), probe);
        system.registerOnTermination(() -> probes.remove(key(system)));
    }

    private static String key(ActorSystem system) {
        return system.name() + "@" + System.identityHashCode(system);
    }

    @Override
    public CompletionStage<Boolean> get() {
        Supplier<CompletionStage<Boolean>> probe = probes.get(key(system));
        return probe == null ? CompletableFuture.completedFuture(false) : probe.get();
    }
}
