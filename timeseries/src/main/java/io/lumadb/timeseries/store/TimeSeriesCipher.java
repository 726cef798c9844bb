package io.lumadb.timeseries.store;

/**
 * Encrypts the values of the time series at rest: the blocks, the open points and the rolled-up
 * windows (what holds the field values; keys, which hold the series' tags, stay in clear like the
 * documents' ids and index keys). The node supplies the real one, built on the journal's cipher;
 * {@link #NONE} keeps values in clear.
 *
 * <p>A sealed value starts with the envelope's marker byte {@value #MARKER_BYTE}. A clear value
 * that would start with it, or with the escape byte {@value #ESCAPE_BYTE}, is stored with the
 * escape byte in front, so the two never mix up.
 *
 * <p>{@code aad} is the record a value belongs to ({@code UTF-8(store name) 0x00} and the value's
 * key after the store's prefix, which is the node's own): a sealed value opens only under the
 * record it was sealed for, on any node that holds the key.
 */
public interface TimeSeriesCipher {

    /** The first byte of a sealed value (the envelope's marker), as an int for the docs. */
    int MARKER_BYTE = 0xEC;

    /** The first byte of a clear value stored escaped. */
    int ESCAPE_BYTE = 0xED;

    /** Whether new values are sealed. */
    boolean enabled();

    /** Seals {@code plain} for the record {@code aad}. */
    byte[] seal(byte[] aad, byte[] plain);

    /**
     * Opens a sealed value of the record {@code aad}.
     *
     * @throws RuntimeException with a message naming the key id when the key is unknown, or when
     *     the value fails authentication
     */
    byte[] open(byte[] aad, byte[] sealed);

    /** Whether {@code stored} needs no rewrite by re-encryption (sealed under the active key, or encryption off). */
    boolean isCurrent(byte[] stored);

    /** Values in clear; a sealed value cannot be read. */
    TimeSeriesCipher NONE = new TimeSeriesCipher() {
        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public byte[] seal(byte[] aad, byte[] plain) {
            throw new IllegalStateException("encryption is off: nothing to seal with");
        }

        @Override
        public byte[] open(byte[] aad, byte[] sealed) {
            throw new IllegalStateException(
                    "the value is encrypted, but this store has no keys (lumadb.encryption.enabled is off)");
        }

        @Override
        public boolean isCurrent(byte[] stored) {
            return true;
        }
    };
}
