package io.lumadb.tiering.fragment;

import java.util.List;

/**
 * Where fragments live: a directory, and in a cluster a node's disks. A segment's 9 fragments are
 * placed on distinct stores so that losing up to 3 stores loses no segment. Implementations are
 * thread-safe; every failure is a {@link FragmentStoreException} naming the store and fragment.
 */
public interface FragmentStore {

    /** The store's name, as placements in segment descriptors record it; stable across restarts. */
    String name();

    /**
     * Stores a fragment, replacing one with the same id atomically: a reader sees the old bytes or
     * the new ones, never a mix, also after a crash. Durable when it returns.
     */
    void put(FragmentId id, byte[] bytes);

    /** The whole fragment, or null when the store does not hold it. */
    byte[] get(FragmentId id);

    /**
     * {@code length} bytes of a fragment from {@code offset}, or null when the store does not hold
     * it.
     *
     * @throws FragmentStoreException when the fragment is shorter than {@code offset + length}
     */
    byte[] read(FragmentId id, long offset, int length);

    /** Removes a fragment; whether it was there. Durable when it returns. */
    boolean delete(FragmentId id);

    /** Every fragment the store holds, sorted. */
    List<FragmentId> list();

    /** The total bytes of the fragments the store holds. */
    long bytes();
}
