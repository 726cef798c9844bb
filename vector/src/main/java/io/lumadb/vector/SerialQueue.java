package io.lumadb.vector;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in the order they were submitted, on a shared executor: the single
 * writer of one Lucene index. A task that throws fails only its own stage; the next one runs.
 */
final class SerialQueue {

    private static final Logger log = LoggerFactory.getLogger(SerialQueue.class);

    private final String name;
    private final Executor executor;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();

    SerialQueue(String name, Executor executor) {
        this.name = name;
        this.executor = executor;
    }

    /** Queues {@code task}; the stage completes with its result after every earlier task ran. */
    <T> CompletableFuture<T> submit(Supplier<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        tasks.add(() -> {
            try {
                result.complete(task.get());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        schedule();
        return result;
    }

    /** Queues {@code task} whose failure is only logged. */
    void run(String what, Runnable task) {
        submit(() -> {
                    task.run();
                    return null;
                })
                .whenComplete((v, e) -> {
                    if (e != null) {
                        log.error("Search index {}: {} failed", name, what, e);
                    }
                });
    }

    private void schedule() {
        if (draining.compareAndSet(false, true)) {
            executor.execute(this::drain);
        }
    }

    private void drain() {
        // A bounded run per turn, so one busy index does not hold a dispatcher thread forever.
        for (int i = 0; i < 256; i++) {
            Runnable task = tasks.poll();
            if (task == null) {
                break;
            }
            task.run();
        }
        draining.set(false);
        if (!tasks.isEmpty()) {
            schedule();
        }
    }
}
