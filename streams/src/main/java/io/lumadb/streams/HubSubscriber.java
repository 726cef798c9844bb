package io.lumadb.streams;

/**
 * What a hub pushes into: a subscriber's own bounded buffer. {@link #offer} never blocks, so a
 * hub (and the writer behind it) is never slowed by a slow subscriber.
 */
public interface HubSubscriber<E> {

    /**
     * Takes one element; false once the subscriber's buffer has overflowed (the element is not
     * taken, and neither is any later one: the hub forgets the subscriber).
     */
    boolean offer(E element);

    /**
     * The hub can no longer serve this subscriber in order (its source ended or failed): the
     * subscriber stops as if it had overflowed and resumes elsewhere from its own position.
     */
    void cutOff();
}
