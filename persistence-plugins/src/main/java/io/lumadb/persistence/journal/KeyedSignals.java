package io.lumadb.persistence.journal;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One-shot wake-up signals per key. A waiter registers before it reads the database and is
 * completed by the next {@link #signal} of its key, so a write that commits between the
 * registration and the read is never missed.
 *
 * <p>Each registration is its own future, removed from the table as soon as it completes for any
 * reason (signal, the waiter's own timeout, cancellation): waiters that give up do not pile up on
 * keys that are never written.
 */
final class KeyedSignals {

    // The sets are only touched inside compute/computeIfPresent/remove of their key, which the
    // map runs atomically per key; a set removed by signal() is never touched again by others.
    private final ConcurrentHashMap<String, Set<CompletableFuture<Void>>> waiting = new ConcurrentHashMap<>();

    CompletableFuture<Void> register(String key) {
        CompletableFuture<Void> signal = new CompletableFuture<>();
        waiting.compute(key, (k, set) -> {
            Set<CompletableFuture<Void>> waiters = set == null ? new HashSet<>() : set;
            waiters.add(signal);
            return waiters;
        });
        signal.whenComplete((ignored, error) -> unregister(key, signal));
        return signal;
    }

    void signal(String key) {
        Set<CompletableFuture<Void>> waiters = waiting.remove(key);
        if (waiters != null) {
            waiters.forEach(waiter -> waiter.complete(null));
        }
    }

    int size() {
        return waiting.values().stream().mapToInt(Set::size).sum();
    }

    private void unregister(String key, CompletableFuture<Void> signal) {
        waiting.computeIfPresent(key, (k, set) -> {
            set.remove(signal);
            return set.isEmpty() ? null : set;
        });
    }
}
