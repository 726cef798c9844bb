package io.lumadb.persistence.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Random;
import java.util.StringJoiner;

/** Key files for encryption at rest in tests: fixed keys per id, so the same id opens the same data. */
public final class TestKeys {

    private TestKeys() {}

    /** Writes a key file (mode 600) holding the keys of {@code ids}. */
    public static Path keyFile(Path file, int... ids) {
        StringJoiner lines = new StringJoiner("\n", "", "\n");
        for (int id : ids) {
            byte[] key = new byte[32];
            new Random(id).nextBytes(key);
            lines.add(id + ":" + Base64.getEncoder().encodeToString(key));
        }
        try {
            Files.writeString(file, lines.toString());
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** Configuration turning encryption on with {@code keyFile}, its highest id active. */
    public static Config encryption(Path keyFile) {
        return ConfigFactory.parseString("lumadb.encryption { enabled = on\n key-file = \""
                + keyFile.toString().replace("\\", "\\\\") + "\" }");
    }
}
