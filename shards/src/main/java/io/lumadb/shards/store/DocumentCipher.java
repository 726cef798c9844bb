package io.lumadb.shards.store;

/**
 * Encrypts the document values of the shard state stores (encryption at rest). The node supplies
 * the real one, built on the journal's cipher; {@link #NONE} keeps values in clear. A store tells
 * a sealed value from a clear one by its first byte: a clear value starts with the document's
 * non-negative 8-byte version (first byte 0x00..0x7F), a sealed one with a byte of 0x80 or above.
 *
 * <p>{@code aad} is the record a value belongs to ({@code UTF-8(store name) 0x00 UTF-8(document
 * id)}): a sealed value opens only under the record it was sealed for.
 */
public interface DocumentCipher {

    /** Whether new values are sealed. */
    boolean enabled();

    /** Seals {@code plain[offset, offset+length)} for the record {@code aad}. */
    byte[] seal(byte[] aad, byte[] plain, int offset, int length);

    /**
     * Opens a sealed value of the record {@code aad}.
     *
     * @throws RuntimeException with a message naming the key id when the key is unknown, or when
     *     the value fails authentication
     */
    byte[] open(byte[] aad, byte[] sealed);

    /** Whether {@code stored} needs no rewrite by re-encryption (sealed under the active key, or encryption off). */
    boolean isCurrent(byte[] stored);

    /** Whether a stored value is sealed. */
    static boolean isSealed(byte[] stored) {
        return stored.length > 0 && stored[0] < 0;
    }

    /** Values in clear; a sealed value cannot be read. */
    DocumentCipher NONE = new DocumentCipher() {
        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public byte[] seal(byte[] aad, byte[] plain, int offset, int length) {
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
