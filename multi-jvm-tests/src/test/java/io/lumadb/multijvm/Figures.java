package io.lumadb.multijvm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Measured figures (crash to serving, failed requests during a rolling restart, ...): printed to
 * stdout and appended to {@code multi-jvm-tests/target/cluster-figures.txt} ({@code
 * -Dlumadb.figures}), one line each, prefixed with the time and the test.
 */
final class Figures {

    private Figures() {}

    static synchronized void record(String test, String line) {
        String text = Instant.now().truncatedTo(ChronoUnit.SECONDS) + " " + test + ": " + line;
        System.out.println("[figures] " + text);
        Path file = Path.of(System.getProperty("lumadb.figures", "target/cluster-figures.txt"));
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            Files.writeString(file, text + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file, e);
        }
    }
}
