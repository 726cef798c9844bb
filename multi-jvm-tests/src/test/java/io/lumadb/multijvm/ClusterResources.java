package io.lumadb.multijvm;

import io.lumadb.testkit.Cleanup;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What a cluster test started (clusters, load clients, consumers), closed after the test in the
 * reverse order of registration, also when it fails or times out. A failed test first gets the
 * tail of every node's log printed, and the whole logs are kept (see {@link TestCluster#failed}).
 */
final class ClusterResources implements AfterTestExecutionCallback, AfterEachCallback {

    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private final List<TestCluster> clusters = new ArrayList<>();

    /** Registers {@code resource} to be closed after the test; returns it. */
    synchronized <T extends AutoCloseable> T add(T resource) {
        resources.push(resource);
        if (resource instanceof TestCluster c) {
            clusters.add(c);
        }
        return resource;
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        if (context.getExecutionException().isPresent()) {
            synchronized (this) {
                clusters.forEach(c -> c.failed(80));
            }
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        AutoCloseable[] started;
        synchronized (this) {
            // The deque iterates from its head: the last registered first.
            started = resources.toArray(AutoCloseable[]::new);
            resources.clear();
            clusters.clear();
        }
        Cleanup.closeAll(started);
    }
}
