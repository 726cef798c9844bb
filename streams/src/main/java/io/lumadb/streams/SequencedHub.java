package io.lumadb.streams;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Fans one ordered stream of elements, numbered by contiguous sequence numbers, out to any number
 * of subscribers, and keeps the newest {@code ringSize} elements so that a subscriber that is
 * only a little behind can join without reading durable storage.
 *
 * <p>Guarantees: a subscriber attached after position {@code p} receives every element published
 * after {@code p}, in order, once (those still in the ring first), until its buffer
 * overflows; {@link #publish} never waits for a subscriber. A subscriber further behind than
 * the ring is told so ({@link Attach#BEHIND}) and must catch up elsewhere first. Thread-safe.
 */
public final class SequencedHub<E> {

    /** The answer to {@link #attach}. */
    public enum Attach {
        /** Attached: every element after the given position reaches the subscriber. */
        ATTACHED,
        /** Not attached: elements right after the given position are no longer in the ring. */
        BEHIND
    }

    private final ToLongFunction<E> sequenceOf;
    private final int ringSize;
    private final ArrayDeque<E> ring;
    private final List<HubSubscriber<E>> subscribers = new ArrayList<>();
    private long head;

    /**
     * @param startAfter the sequence number of the last element before the first one published
     * @param ringSize how many of the newest elements are kept for late joiners (at least 0)
     * @param sequenceOf an element's sequence number
     */
    public SequencedHub(long startAfter, int ringSize, ToLongFunction<E> sequenceOf) {
        if (ringSize < 0) {
            throw new IllegalArgumentException("ringSize must be >= 0, was " + ringSize);
        }
        this.head = startAfter;
        this.ringSize = ringSize;
        this.sequenceOf = sequenceOf;
        this.ring = new ArrayDeque<>(Math.min(ringSize, 64));
    }

    /** The sequence number of the newest element published (or the start position). */
    public synchronized long head() {
        return head;
    }

    public synchronized int subscribers() {
        return subscribers.size();
    }

    /**
     * Publishes the next element. An element at or below the head is a duplicate and ignored. An
     * element that skips sequence numbers is published: subscribers check contiguity themselves
     * and report the gap rather than have the hub hide it.
     */
    public synchronized void publish(E element) {
        long seq = sequenceOf.applyAsLong(element);
        if (seq <= head) {
            return;
        }
        head = seq;
        if (ringSize > 0) {
            if (ring.size() == ringSize) {
                ring.removeFirst();
            }
            ring.addLast(element);
        }
        subscribers.removeIf(s -> !s.offer(element));
    }

    /**
     * Attaches {@code subscriber} after position {@code after}: the ring's elements after it are
     * offered at once, every later one as it is published. A subscriber ahead of the head
     * ({@code after > head}) is attached too and must itself ignore elements up to {@code after}.
     */
    public synchronized Attach attach(HubSubscriber<E> subscriber, long after) {
        if (after < head) {
            E first = ring.peekFirst();
            if (first == null || sequenceOf.applyAsLong(first) > after + 1) {
                return Attach.BEHIND;
            }
            for (E element : ring) {
                if (sequenceOf.applyAsLong(element) > after && !subscriber.offer(element)) {
                    return Attach.ATTACHED; // overflowed at once; the subscriber knows
                }
            }
        }
        subscribers.add(subscriber);
        return Attach.ATTACHED;
    }

    /** The hub's source ended: every subscriber is detached and {@linkplain HubSubscriber#cutOff cut off}. */
    public void cutOffAll() {
        List<HubSubscriber<E>> all;
        synchronized (this) {
            all = List.copyOf(subscribers);
            subscribers.clear();
        }
        all.forEach(HubSubscriber::cutOff);
    }

    /** Stops pushing to {@code subscriber}; true if it was attached. */
    public synchronized boolean detach(HubSubscriber<E> subscriber) {
        return subscribers.remove(subscriber);
    }
}
