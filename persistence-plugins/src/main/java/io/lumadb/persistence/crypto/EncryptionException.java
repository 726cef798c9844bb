package io.lumadb.persistence.crypto;

/**
 * Encryption at rest cannot do what was asked: a key file that is missing, readable by others or
 * malformed, a value sealed under a key id the keyring does not hold, or a value that fails
 * authentication (tampered with, or moved to another record). The message names the config key
 * or the key id, never key material.
 */
public final class EncryptionException extends RuntimeException {
    public EncryptionException(String message) {
        super(message);
    }

    public EncryptionException(String message, Throwable cause) {
        super(message, cause);
    }
}
