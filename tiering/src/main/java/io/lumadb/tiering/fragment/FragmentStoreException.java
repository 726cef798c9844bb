package io.lumadb.tiering.fragment;

/** A fragment store failed to store, read or delete a fragment, or cannot be used at all. */
public final class FragmentStoreException extends RuntimeException {

    private final String store;
    private final FragmentId fragment;

    /**
     * @param store the store's name
     * @param fragment the fragment concerned, or null when the failure concerns the whole store
     * @param problem what went wrong, in words
     * @param cause the underlying failure, or null
     */
    public FragmentStoreException(String store, FragmentId fragment, String problem, Throwable cause) {
        super(
                "fragment store '" + store + "'" + (fragment == null ? "" : ", fragment " + fragment) + ": " + problem,
                cause);
        this.store = store;
        this.fragment = fragment;
    }

    /** The store's name. */
    public String store() {
        return store;
    }

    /** The fragment concerned, or null when the failure concerns the whole store. */
    public FragmentId fragment() {
        return fragment;
    }
}
