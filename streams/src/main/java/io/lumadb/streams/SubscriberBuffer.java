package io.lumadb.streams;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One subscriber's bounded buffer between the hubs that push into it and the one stream that
 * drains it. The slow-consumer policy is: <b>never block the producer, never drop silently</b>.
 * When the buffer is full the subscriber is marked overflowed, refuses everything after, and its
 * stream ends with an overflow message that tells the client where to resume.
 *
 * <p>Thread-safe for any number of producers and one consumer. Memory: nothing is allocated
 * until the first element arrives, so idle subscribers cost a few dozen bytes.
 */
public final class SubscriberBuffer<E> implements HubSubscriber<E> {

    private final int capacity;
    private final AtomicLong depthGauge;
    private final AtomicLong overflowCounter;
    private ArrayDeque<E> queue;
    private boolean overflowed;
    private CompletableFuture<Void> waiter;

    /**
     * @param capacity the most elements held before the subscriber overflows (at least 1)
     * @param depthGauge a shared gauge of all buffered elements (a metric), kept current
     */
    public SubscriberBuffer(int capacity, AtomicLong depthGauge) {
        this(capacity, depthGauge, new AtomicLong());
    }

    /**
     * @param capacity the most elements held before the subscriber overflows (at least 1)
     * @param depthGauge a shared gauge of all buffered elements (a metric), kept current
     * @param overflowCounter a shared counter of overflowed buffers (a metric), counted when the
     *     buffer overflows, not when its consumer learns of it
     */
    public SubscriberBuffer(int capacity, AtomicLong depthGauge, AtomicLong overflowCounter) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
        }
        this.capacity = capacity;
        this.depthGauge = depthGauge;
        this.overflowCounter = overflowCounter;
    }

    @Override
    public boolean offer(E element) {
        CompletableFuture<Void> wake;
        boolean accepted;
        synchronized (this) {
            if (overflowed) {
                return false;
            }
            if (queue == null) {
                queue = new ArrayDeque<>(Math.min(capacity, 16));
            }
            accepted = queue.size() < capacity;
            if (accepted) {
                queue.addLast(element);
                depthGauge.incrementAndGet();
            } else {
                overflowed = true;
                overflowCounter.incrementAndGet();
            }
            wake = waiter;
            waiter = null;
        }
        if (wake != null) {
            wake.complete(null); // outside the lock: the consumer's continuation may run here
        }
        return accepted;
    }

    /** Whether the buffer overflowed: the subscriber must stop and report it. */
    public synchronized boolean overflowed() {
        return overflowed;
    }

    public synchronized int depth() {
        return queue == null ? 0 : queue.size();
    }

    /** Takes up to {@code max} elements, oldest first. */
    public synchronized List<E> drain(int max) {
        if (queue == null || queue.isEmpty()) {
            return List.of();
        }
        int n = Math.min(max, queue.size());
        List<E> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(queue.removeFirst());
        }
        depthGauge.addAndGet(-n);
        if (queue.isEmpty()) {
            queue = null; // an idle subscriber holds no array
        }
        return out;
    }

    /** Completes when an element is buffered or the buffer overflows (at once if so already). */
    public synchronized CompletionStage<Void> whenReady() {
        if (overflowed || (queue != null && !queue.isEmpty())) {
            return CompletableFuture.completedFuture(null);
        }
        if (waiter == null || waiter.isDone()) { // a waiter the consumer timed out is not reused
            waiter = new CompletableFuture<>();
        }
        return waiter;
    }

    /**
     * Wakes a consumer waiting in {@link #whenReady} without buffering anything: something
     * outside the buffer (such as the end of what it subscribes to) needs its attention.
     */
    public void wake() {
        CompletableFuture<Void> wake;
        synchronized (this) {
            wake = waiter;
            waiter = null;
        }
        if (wake != null) {
            wake.complete(null);
        }
    }

    /**
     * Releases what is buffered and refuses everything after, like an overflow: called when the
     * subscriber is gone, or when a hub can no longer serve it in order. Wakes a waiting consumer.
     */
    @Override
    public void cutOff() {
        CompletableFuture<Void> wake;
        synchronized (this) {
            if (queue != null) {
                depthGauge.addAndGet(-queue.size());
                queue = null;
            }
            overflowed = true;
            wake = waiter;
            waiter = null;
        }
        if (wake != null) {
            wake.complete(null);
        }
    }
}
