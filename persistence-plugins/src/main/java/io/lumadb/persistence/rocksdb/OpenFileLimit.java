package io.lumadb.persistence.rocksdb;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The process's limit on open files ({@code RLIMIT_NOFILE}), as {@code /proc/self/limits} shows
 * it. On Linux HotSpot raises the soft limit to the hard limit at start (-XX:+MaxFDLimit, the
 * default), so the soft limit is normally the hard one; a lower soft limit means that flag was
 * turned off.
 *
 * @param soft the limit in force; {@link Long#MAX_VALUE} for unlimited
 * @param hard the most the soft limit may be raised to; {@link Long#MAX_VALUE} for unlimited
 */
public record OpenFileLimit(long soft, long hard) {

    /** The limit of this process, or null where it cannot be read (not Linux). */
    public static OpenFileLimit ofThisProcess() {
        return read(Path.of("/proc/self/limits"));
    }

    /** The limit in a {@code /proc/<pid>/limits} file, or null if it has none or cannot be read. */
    static OpenFileLimit read(Path limits) {
        List<String> lines;
        try {
            lines = Files.readAllLines(limits);
        } catch (IOException | SecurityException e) {
            return null;
        }
        for (String line : lines) {
            if (line.startsWith("Max open files")) {
                String[] fields =
                        line.substring("Max open files".length()).trim().split("\\s+");
                if (fields.length >= 2) {
                    try {
                        return new OpenFileLimit(value(fields[0]), value(fields[1]));
                    } catch (NumberFormatException e) {
                        return null;
                    }
                }
            }
        }
        return null;
    }

    private static long value(String field) {
        return field.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(field);
    }

    /**
     * How many files RocksDB may keep open ({@code max_open_files}) under this limit: what is
     * configured, but at most half the soft limit, so sockets, the journal's files and the JVM's
     * own keep the other half; never below 64. {@code configured} of -1 means "as many as the
     * limit allows".
     */
    public int rocksDbBudget(int configured) {
        long half = soft == Long.MAX_VALUE ? Integer.MAX_VALUE : Math.max(64, soft / 2);
        if (configured < 0) {
            return (int) Math.min(half, Integer.MAX_VALUE);
        }
        return (int) Math.min(configured, half);
    }
}
