package io.lumadb.persistence.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES-256 keys a node can encrypt and decrypt with, each under a small integer id (1 to
 * {@value #MAX_KEY_ID}), and the id of the active key that new writes use. Older keys stay in the
 * ring so that values written under them remain readable until the background re-encryption has
 * rewritten them.
 *
 * <p>The key file has one key per line, {@code id:base64(32 bytes)}; blank lines and lines
 * starting with {@code #} are ignored. It must not be readable by others (POSIX permissions), and
 * is read once at start.
 */
public final class Keyring {

    /** The largest key id: ids are stored as an unsigned 16-bit number. */
    public static final int MAX_KEY_ID = 0xFFFF;

    /** The length of an AES-256 key in bytes. */
    public static final int KEY_BYTES = 32;

    private final SortedMap<Integer, SecretKey> keys;
    private final int activeId;

    /**
     * @param keys the keys by id, each {@value #KEY_BYTES} bytes
     * @param activeId the id of the key new writes use; must be in {@code keys}
     */
    public Keyring(SortedMap<Integer, byte[]> keys, int activeId) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("keys must not be empty");
        }
        SortedMap<Integer, SecretKey> copy = new TreeMap<>();
        keys.forEach((id, key) -> {
            if (id < 1 || id > MAX_KEY_ID) {
                throw new IllegalArgumentException("key id must be 1.." + MAX_KEY_ID + ", was " + id);
            }
            if (key.length != KEY_BYTES) {
                throw new IllegalArgumentException(
                        "key " + id + " must be " + KEY_BYTES + " bytes (AES-256), was " + key.length);
            }
            copy.put(id, new SecretKeySpec(key, "AES"));
        });
        if (!copy.containsKey(activeId)) {
            throw new IllegalArgumentException("active key id " + activeId + " is not among the keys " + copy.keySet());
        }
        this.keys = Collections.unmodifiableSortedMap(copy);
        this.activeId = activeId;
    }

    /**
     * Reads a key file. {@code activeId} 0 makes the highest id active.
     *
     * @param fileKey the config key that named the file, for the error messages
     * @param activeKey the config key that named the active id, for the error messages
     * @throws EncryptionException naming the file, the line and the config key when the file is
     *     missing, readable by others, empty or malformed, or the active id is not in it
     */
    public static Keyring load(Path file, int activeId, String fileKey, String activeKey) {
        String where = "the key file " + file + " (" + fileKey + ")";
        List<String> lines;
        try {
            checkPermissions(file, where);
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new EncryptionException(where + " does not exist");
        } catch (IOException e) {
            throw new EncryptionException(where + " cannot be read: " + e);
        }
        SortedMap<Integer, byte[]> keys = new TreeMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String at = where + ", line " + (i + 1);
            int colon = line.indexOf(':');
            if (colon < 0) {
                throw new EncryptionException(at + ": expected 'id:base64key', found no ':'");
            }
            int id;
            try {
                id = Integer.parseInt(line.substring(0, colon).strip());
            } catch (NumberFormatException e) {
                throw new EncryptionException(at + ": the key id must be a number from 1 to " + MAX_KEY_ID);
            }
            if (id < 1 || id > MAX_KEY_ID) {
                throw new EncryptionException(at + ": the key id must be from 1 to " + MAX_KEY_ID + ", was " + id);
            }
            byte[] key;
            try {
                key = Base64.getDecoder().decode(line.substring(colon + 1).strip());
            } catch (IllegalArgumentException e) {
                throw new EncryptionException(at + ": key " + id + " is not valid base64");
            }
            if (key.length != KEY_BYTES) {
                throw new EncryptionException(at + ": key " + id + " must be " + KEY_BYTES
                        + " bytes (AES-256) once base64-decoded, was " + key.length
                        + " (make one with: openssl rand -base64 32)");
            }
            if (keys.put(id, key) != null) {
                throw new EncryptionException(at + ": key id " + id + " appears twice");
            }
        }
        if (keys.isEmpty()) {
            throw new EncryptionException(where + " holds no key (expected lines 'id:base64key')");
        }
        int active = activeId == 0 ? keys.lastKey() : activeId;
        if (!keys.containsKey(active)) {
            throw new EncryptionException("the active key id " + active + " (" + activeKey + ") is not in " + where
                    + ", which holds " + keys.keySet());
        }
        return new Keyring(keys, active);
    }

    private static void checkPermissions(Path file, String where) throws IOException {
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return; // not a POSIX file system: its ACLs are the operator's to check
        }
        if (permissions.contains(PosixFilePermission.OTHERS_READ)
                || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new EncryptionException(
                    where + " is readable or writable by others; restrict it, e.g. chmod 600 " + file);
        }
    }

    /** The id of the key new writes use. */
    public int activeId() {
        return activeId;
    }

    /** The ids of every key in the ring, ascending. */
    public Set<Integer> ids() {
        return keys.keySet();
    }

    /** The key of {@code id}, or null if the ring does not hold it. */
    SecretKey key(int id) {
        return keys.get(id);
    }

    SecretKey activeKey() {
        return keys.get(activeId);
    }

    @Override
    public String toString() {
        return "Keyring" + keys.keySet() + ", active " + activeId;
    }
}
