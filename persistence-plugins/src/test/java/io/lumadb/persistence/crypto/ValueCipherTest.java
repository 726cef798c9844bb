package io.lumadb.persistence.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.persistence.crypto.EnvelopeFormat.Domain;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ValueCipherTest {

    static byte[] key(int seed) {
        byte[] key = new byte[Keyring.KEY_BYTES];
        new Random(seed).nextBytes(key);
        return key;
    }

    static Keyring ring(int active, int... ids) {
        TreeMap<Integer, byte[]> keys = new TreeMap<>();
        for (int id : ids) {
            keys.put(id, key(id));
        }
        return new Keyring(keys, active);
    }

    private static final byte[] AAD = "db/c/0\0doc-1".getBytes(StandardCharsets.UTF_8);
    private static final byte[] PLAIN = "{\"secret\":\"marker-1234\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void sealedValueOpensToThePlaintextAndHidesIt() {
        ValueCipher cipher = ValueCipher.of(ring(1, 1));
        byte[] sealed = cipher.seal(Domain.SHARD_DOCUMENT, AAD, PLAIN);
        assertEquals(PLAIN.length + EnvelopeFormat.OVERHEAD, sealed.length);
        assertEquals(EnvelopeFormat.MARKER, sealed[0]);
        assertEquals(1, EnvelopeFormat.keyId(sealed, 0));
        assertFalse(new String(sealed, StandardCharsets.ISO_8859_1).contains("marker-1234"));
        assertArrayEquals(PLAIN, cipher.open(Domain.SHARD_DOCUMENT, AAD, sealed));
        // A fresh nonce every time: the same value never seals to the same bytes.
        assertFalse(Arrays.equals(sealed, cipher.seal(Domain.SHARD_DOCUMENT, AAD, PLAIN)));
    }

    @Test
    void opensAnEnvelopeAtAnOffsetAndEmptyValues() {
        ValueCipher cipher = ValueCipher.of(ring(1, 1));
        byte[] sealed = cipher.seal(Domain.JOURNAL_EVENT, AAD, new byte[0]);
        byte[] framed = new byte[sealed.length + 9];
        System.arraycopy(sealed, 0, framed, 9, sealed.length);
        assertArrayEquals(new byte[0], cipher.open(Domain.JOURNAL_EVENT, AAD, framed, 9, sealed.length));
    }

    @Test
    void anotherRecordsAadFails() {
        ValueCipher cipher = ValueCipher.of(ring(1, 1));
        byte[] sealed = cipher.seal(Domain.SHARD_DOCUMENT, AAD, PLAIN);
        byte[] other = "db/c/0\0doc-2".getBytes(StandardCharsets.UTF_8);
        EncryptionException e =
                assertThrows(EncryptionException.class, () -> cipher.open(Domain.SHARD_DOCUMENT, other, sealed));
        assertTrue(e.getMessage().contains("fails authentication"), e.getMessage());
        // Same key bytes, other domain: a document moved into the journal does not open either.
        assertThrows(EncryptionException.class, () -> cipher.open(Domain.JOURNAL_EVENT, AAD, sealed));
    }

    @Test
    void everyTamperedByteFails() {
        ValueCipher cipher = ValueCipher.of(ring(1, 1, 2));
        byte[] sealed = cipher.seal(Domain.SNAPSHOT, AAD, PLAIN);
        for (int i = 0; i < sealed.length; i++) {
            byte[] tampered = sealed.clone();
            tampered[i] ^= 0x01;
            int at = i;
            assertThrows(
                    EncryptionException.class,
                    () -> cipher.open(Domain.SNAPSHOT, AAD, tampered),
                    () -> "flipping byte " + at + " went unnoticed");
        }
    }

    @Test
    void unknownKeyIdIsNamed() {
        byte[] sealed = ValueCipher.of(ring(7, 7)).seal(Domain.SHARD_DOCUMENT, AAD, PLAIN);
        EncryptionException e = assertThrows(EncryptionException.class, () -> ValueCipher.of(ring(1, 1, 2))
                .open(Domain.SHARD_DOCUMENT, AAD, sealed));
        assertTrue(e.getMessage().contains("key id 7"), e.getMessage());
        assertTrue(e.getMessage().contains("lumadb.encryption.key-file"), e.getMessage());
        EncryptionException off = assertThrows(
                EncryptionException.class, () -> ValueCipher.disabled().open(Domain.SHARD_DOCUMENT, AAD, sealed));
        assertTrue(off.getMessage().contains("key id 7"), off.getMessage());
        assertTrue(off.getMessage().contains("lumadb.encryption.enabled"), off.getMessage());
    }

    @Test
    void rotationKeepsOldValuesReadableAndTellsWhatToRewrite() {
        ValueCipher before = ValueCipher.of(ring(1, 1));
        byte[] old = before.seal(Domain.SHARD_DOCUMENT, AAD, PLAIN);
        ValueCipher after = ValueCipher.of(ring(2, 1, 2));
        byte[] fresh = after.seal(Domain.SHARD_DOCUMENT, AAD, PLAIN);
        assertEquals(2, EnvelopeFormat.keyId(fresh, 0));
        assertArrayEquals(PLAIN, after.open(Domain.SHARD_DOCUMENT, AAD, old));
        assertFalse(after.isCurrent(old, 0));
        assertTrue(after.isCurrent(fresh, 0));
        assertFalse(after.isCurrent(PLAIN, 0), "a value written in clear is rewritten too");
        assertTrue(ValueCipher.disabled().isCurrent(PLAIN, 0));
    }

    @Test
    void truncatedOrForeignValuesAreRefusedClearly() {
        ValueCipher cipher = ValueCipher.of(ring(1, 1));
        byte[] sealed = cipher.seal(Domain.SHARD_DOCUMENT, AAD, PLAIN);
        assertThrows(
                EncryptionException.class,
                () -> cipher.open(Domain.SHARD_DOCUMENT, AAD, Arrays.copyOf(sealed, EnvelopeFormat.OVERHEAD - 1)));
        byte[] otherVersion = sealed.clone();
        otherVersion[1] = 9;
        EncryptionException e =
                assertThrows(EncryptionException.class, () -> cipher.open(Domain.SHARD_DOCUMENT, AAD, otherVersion));
        assertTrue(e.getMessage().contains("version 9"), e.getMessage());
    }
}
