package io.lumadb.bench.timeseries;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The size of files on disk: their apparent size (the sum of their lengths) and the bytes the file
 * system allocated for them ({@code du -s -B1}, which counts blocks: a preallocated or sparse file
 * differs), the latter -1 where {@code du} cannot tell.
 */
public record DiskUsage(long apparentBytes, long allocatedBytes) {

    public static final DiskUsage NONE = new DiskUsage(0, 0);

    /** Every regular file under {@code dir}; {@link #NONE} when it does not exist. */
    public static DiskUsage of(Path dir) {
        return of(dir, p -> true);
    }

    /** The regular files under {@code dir} that {@code include} accepts. */
    public static DiskUsage of(Path dir, Predicate<Path> include) {
        if (!Files.exists(dir)) {
            return NONE;
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).filter(include).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        long apparent = 0;
        for (Path f : files) {
            try {
                apparent += Files.size(f);
            } catch (IOException e) {
                // A file that vanished while listed (a RocksDB or QuestDB background job) has no size.
            }
        }
        return new DiskUsage(apparent, allocated(files));
    }

    public DiskUsage plus(DiskUsage other) {
        return new DiskUsage(
                apparentBytes + other.apparentBytes,
                allocatedBytes < 0 || other.allocatedBytes < 0 ? -1 : allocatedBytes + other.allocatedBytes);
    }

    public DiskUsage minus(DiskUsage other) {
        return new DiskUsage(
                apparentBytes - other.apparentBytes,
                allocatedBytes < 0 || other.allocatedBytes < 0 ? -1 : allocatedBytes - other.allocatedBytes);
    }

    /** Allocated bytes where known, else apparent ones: what the report calls bytes on disk. */
    public long bytes() {
        return allocatedBytes >= 0 ? allocatedBytes : apparentBytes;
    }

    /** The blocks allocated to {@code files}, by {@code du -c -B1}, or -1. */
    private static long allocated(List<Path> files) {
        if (files.isEmpty()) {
            return 0;
        }
        long total = 0;
        // du's argument list is bounded; a few hundred files a call stays far below it.
        for (int from = 0; from < files.size(); from += 500) {
            List<Path> part = files.subList(from, Math.min(files.size(), from + 500));
            List<String> command = new java.util.ArrayList<>(List.of("du", "-c", "-B1", "--"));
            part.forEach(p -> command.add(p.toString()));
            try {
                Process p =
                        new ProcessBuilder(command).redirectErrorStream(false).start();
                String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                p.getErrorStream().readAllBytes();
                if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    p.destroyForcibly();
                    return -1;
                }
                String[] lines = text.strip().split("\n");
                String last = lines[lines.length - 1];
                if (!last.endsWith("total")) {
                    return -1;
                }
                total += Long.parseLong(last.split("\\s+")[0]);
            } catch (IOException | NumberFormatException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
        return total;
    }
}
