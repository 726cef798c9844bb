package io.lumadb.persistence.crypto;

import io.lumadb.persistence.crypto.EnvelopeFormat.Domain;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Seals values into {@link EnvelopeFormat envelopes} under the keyring's active key and opens
 * envelopes under whichever key of the ring their id names. Thread-safe; each thread keeps its
 * own {@link Cipher} and nonce generator, and keys are plain AES keys (no derivation per call), so
 * a seal or an open costs one GCM pass over the value.
 *
 * <p>A disabled cipher ({@link #disabled()}) seals nothing; it still recognises envelopes, and
 * fails with a clear message when asked to open one (the data was encrypted and the node runs
 * without its keys).
 */
public final class ValueCipher {

    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance(TRANSFORMATION);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM offers no " + TRANSFORMATION, e);
        }
    });
    private static final ThreadLocal<SecureRandom> NONCES = ThreadLocal.withInitial(SecureRandom::new);
    private static final ValueCipher DISABLED = new ValueCipher(null);

    private final Keyring keyring;

    private ValueCipher(Keyring keyring) {
        this.keyring = keyring;
    }

    /** A cipher that seals under {@code keyring}'s active key. */
    public static ValueCipher of(Keyring keyring) {
        if (keyring == null) {
            throw new IllegalArgumentException("keyring must not be null");
        }
        return new ValueCipher(keyring);
    }

    /** The cipher of a node with encryption off: writes stay in clear. */
    public static ValueCipher disabled() {
        return DISABLED;
    }

    /** Whether new values are sealed. */
    public boolean enabled() {
        return keyring != null;
    }

    /** The key id new values are sealed under; 0 when disabled. */
    public int activeKeyId() {
        return keyring == null ? 0 : keyring.activeId();
    }

    /** The keyring, or null when disabled. */
    public Keyring keyring() {
        return keyring;
    }

    /**
     * Whether a stored value needs no rewrite: with encryption on, an envelope under the active
     * key; with it off, anything (a disabled cipher has no key to rewrite with).
     */
    public boolean isCurrent(byte[] stored, int offset) {
        if (keyring == null) {
            return true;
        }
        return EnvelopeFormat.isEnvelope(stored, offset) && EnvelopeFormat.keyId(stored, offset) == keyring.activeId();
    }

    /**
     * Seals {@code plain[offset, offset+length)} for the record {@code aad} of {@code domain}.
     *
     * @throws IllegalStateException if the cipher is disabled
     */
    public byte[] seal(Domain domain, byte[] aad, byte[] plain, int offset, int length) {
        if (keyring == null) {
            throw new IllegalStateException("encryption is disabled: nothing to seal with");
        }
        int id = keyring.activeId();
        byte[] out = new byte[EnvelopeFormat.OVERHEAD + length];
        out[0] = EnvelopeFormat.MARKER;
        out[1] = EnvelopeFormat.VERSION;
        out[2] = (byte) (id >>> 8);
        out[3] = (byte) id;
        byte[] nonce = new byte[EnvelopeFormat.NONCE_BYTES];
        NONCES.get().nextBytes(nonce);
        System.arraycopy(nonce, 0, out, EnvelopeFormat.HEADER_BYTES, nonce.length);
        Cipher cipher = CIPHERS.get();
        try {
            cipher.init(Cipher.ENCRYPT_MODE, keyring.activeKey(), new GCMParameterSpec(128, nonce));
            authenticate(cipher, out, 0, domain, aad);
            cipher.doFinal(plain, offset, length, out, EnvelopeFormat.HEADER_BYTES + EnvelopeFormat.NONCE_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal a value under key id " + id, e);
        }
        return out;
    }

    /** Seals all of {@code plain}. */
    public byte[] seal(Domain domain, byte[] aad, byte[] plain) {
        return seal(domain, aad, plain, 0, plain.length);
    }

    /**
     * Opens the envelope {@code sealed[offset, offset+length)} of the record {@code aad} of
     * {@code domain}.
     *
     * @throws EncryptionException if its key id is not in the keyring (naming the id), encryption
     *     is disabled, or the value fails authentication (altered, or not this record's)
     */
    public byte[] open(Domain domain, byte[] aad, byte[] sealed, int offset, int length) {
        EnvelopeFormat.checkHeader(sealed, offset, length);
        int id = EnvelopeFormat.keyId(sealed, offset);
        if (keyring == null) {
            throw new EncryptionException("the value is encrypted with key id " + id
                    + ", but encryption is off on this node (lumadb.encryption.enabled); turn it on with a key"
                    + " file that holds key " + id);
        }
        SecretKey key = keyring.key(id);
        if (key == null) {
            throw new EncryptionException("the value is encrypted with key id " + id
                    + ", which is not in the keyring (lumadb.encryption.key-file holds " + keyring.ids()
                    + "); add key " + id + " back to the key file");
        }
        Cipher cipher = CIPHERS.get();
        int body = offset + EnvelopeFormat.HEADER_BYTES + EnvelopeFormat.NONCE_BYTES;
        try {
            cipher.init(
                    Cipher.DECRYPT_MODE,
                    key,
                    new GCMParameterSpec(
                            128, sealed, offset + EnvelopeFormat.HEADER_BYTES, EnvelopeFormat.NONCE_BYTES));
            authenticate(cipher, sealed, offset, domain, aad);
            return cipher.doFinal(sealed, body, length - (body - offset));
        } catch (AEADBadTagException e) {
            throw new EncryptionException(
                    "the value encrypted with key id " + id
                            + " fails authentication: it was altered, or belongs to another record",
                    e);
        } catch (GeneralSecurityException e) {
            throw new EncryptionException("cannot decrypt a value encrypted with key id " + id, e);
        }
    }

    /** Opens all of {@code sealed}. */
    public byte[] open(Domain domain, byte[] aad, byte[] sealed) {
        return open(domain, aad, sealed, 0, sealed.length);
    }

    private static void authenticate(Cipher cipher, byte[] header, int offset, Domain domain, byte[] aad) {
        cipher.updateAAD(header, offset, EnvelopeFormat.HEADER_BYTES);
        cipher.updateAAD(domain.aad);
        cipher.updateAAD(aad);
    }
}
