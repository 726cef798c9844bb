package io.lumadb.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A small tmpfs mounted on a test's directory, to run out of space for real. Mounting needs
 * root (or CAP_SYS_ADMIN); without it the test is skipped with the reason and what mount said.
 * {@link #close} unmounts it, lazily if something still holds it open.
 */
public final class SmallDisk implements AutoCloseable {

    private final Path dir;

    private SmallDisk(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code size} (such as {@code 16m}) on {@code dir}, which must exist. */
    public static SmallDisk mount(Path dir, String size) {
        Run mount = run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString());
        Assumptions.assumeTrue(
                mount.ok(),
                "needs to mount a tmpfs (run as root, or with CAP_SYS_ADMIN); mount said: " + mount.output());
        return new SmallDisk(dir);
    }

    /** Writes {@code filler} (on this disk) until no space is left; returns how many bytes it took. */
    public long fill(Path filler) throws IOException {
        return fillUp(filler);
    }

    /**
     * Writes {@code filler} until its file system has no space left; returns how many bytes it
     * took. For a disk mounted by other means (the chaos harness mounts its own).
     */
    public static long fillUp(Path filler) throws IOException {
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException full) {
            if (!String.valueOf(full.getMessage()).contains("space")) {
                throw full;
            }
        }
        return Files.size(filler);
    }

    @Override
    public void close() {
        Run umount = run("umount", dir.toString());
        if (!umount.ok()) {
            // Lazily, so that the directory can go even if something still holds a file.
            run("umount", "-l", dir.toString());
            System.err.println("umount " + dir + ": " + umount.output());
        }
    }

    private record Run(boolean ok, String output) {}

    private static Run run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return new Run(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, output);
        } catch (IOException e) {
            return new Run(false, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Run(false, e.toString());
        }
    }
}
