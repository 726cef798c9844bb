package io.lumadb.persistence.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyringTest {

    @TempDir
    Path dir;

    private Path keyFile(String content) throws IOException {
        Path file = dir.resolve("keys");
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static String b64(int seed) {
        return Base64.getEncoder().encodeToString(ValueCipherTest.key(seed));
    }

    private static Keyring load(Path file, int active) {
        return Keyring.load(file, active, "lumadb.encryption.key-file", "lumadb.encryption.active-key-id");
    }

    @Test
    void readsKeysSkipsCommentsAndMakesTheHighestIdActive() throws IOException {
        Keyring ring = load(keyFile("# keys\n\n1:" + b64(1) + "\n 3 : " + b64(3) + "\n2:" + b64(2) + "\n"), 0);
        assertEquals(Set.of(1, 2, 3), ring.ids());
        assertEquals(3, ring.activeId());
        assertEquals(2, load(dir.resolve("keys"), 2).activeId());
    }

    @Test
    void badFilesGetAnErrorNamingFileLineAndConfigKey() throws IOException {
        String shortKey = Base64.getEncoder().encodeToString(new byte[16]);
        assertMessage(keyFile("1:" + shortKey + "\n"), 0, "line 1", "must be 32 bytes");
        assertMessage(keyFile("1:" + b64(1) + "\nx:" + b64(2)), 0, "line 2", "must be a number");
        assertMessage(keyFile("1:not base64!"), 0, "line 1", "not valid base64");
        assertMessage(keyFile("1 " + b64(1)), 0, "line 1", "no ':'");
        assertMessage(keyFile("1:" + b64(1) + "\n1:" + b64(2)), 0, "line 2", "appears twice");
        assertMessage(keyFile("70000:" + b64(1)), 0, "line 1", "1 to 65535");
        assertMessage(keyFile("# nothing\n"), 0, "holds no key", "key-file");
        assertMessage(keyFile("1:" + b64(1)), 5, "active key id 5", "lumadb.encryption.active-key-id");
        assertMessage(dir.resolve("missing"), 0, "does not exist", "lumadb.encryption.key-file");
    }

    @Test
    void refusesAKeyFileOthersCanRead() throws IOException {
        Path file = keyFile("1:" + b64(1));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertMessage(file, 0, "readable or writable by others", "chmod 600");
    }

    @Test
    void keyMaterialNeverAppearsInAnError() throws IOException {
        String key = b64(1);
        EncryptionException e = assertThrows(EncryptionException.class, () -> load(keyFile("1:" + key + "=="), 0));
        assertTrue(!e.getMessage().contains(key.substring(0, 20)), e.getMessage());
    }

    private static void assertMessage(Path file, int active, String... parts) {
        EncryptionException e = assertThrows(EncryptionException.class, () -> load(file, active));
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "'" + part + "' not in: " + e.getMessage());
        }
    }
}
