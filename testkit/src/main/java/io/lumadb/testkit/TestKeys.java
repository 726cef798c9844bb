package io.lumadb.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Random;
import java.util.UUID;

/**
 * Key files for LumaDB's encryption at rest ({@code lumadb.encryption.key-file}), as tests need
 * them: one line {@code id:base64key} per key id, readable by the owner only (the node refuses
 * anything else). The key of an id is the same in every file, so a test can rotate by writing a
 * file with the old and the new id, then one with the new id alone.
 */
public final class TestKeys {

    private TestKeys() {}

    /** A new key file in {@code dir} holding the keys of {@code ids}. */
    public static Path keyFile(Path dir, int... ids) {
        StringBuilder lines = new StringBuilder("# test keys\n");
        for (int id : ids) {
            byte[] key = new byte[32];
            new Random(id * 7919L).nextBytes(key);
            lines.append(id)
                    .append(':')
                    .append(Base64.getEncoder().encodeToString(key))
                    .append('\n');
        }
        try {
            Path file = dir.resolve("keys-" + UUID.randomUUID());
            Files.writeString(file, lines);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
