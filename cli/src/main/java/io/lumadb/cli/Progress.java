package io.lumadb.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a long transfer (import, export, backup) on stderr: on a terminal a bar redrawn in
 * place (documents, bytes, rate, ETA), otherwise a plain line every few seconds that a log keeps
 * readable. Written here because it is a few lines of text, not a reason for a dependency.
 */
final class Progress {

    /** How progress is shown: {@code auto} picks {@code bar} on a terminal and {@code plain} otherwise. */
    enum Mode {
        auto,
        bar,
        plain,
        none
    }

    private static final long BAR_EVERY_NANOS = 200_000_000L;
    private static final long PLAIN_EVERY_NANOS = 5_000_000_000L;

    private final PrintStream err;
    private final Mode mode;
    private final String what;
    private final long totalBytes;
    private final long start = System.nanoTime();
    private long lastShown = start;
    private boolean drawn;

    Progress(PrintStream err, Mode mode, String what, long totalBytes) {
        this.err = err;
        this.mode = mode == Mode.auto ? (Terminals.stderrIsTerminal() ? Mode.bar : Mode.plain) : mode;
        this.what = what;
        this.totalBytes = totalBytes;
    }

    /** Shows {@code items} and {@code bytes} done if it is time to. */
    void update(long items, long bytes) {
        long now = System.nanoTime();
        if (mode == Mode.none || now - lastShown < (mode == Mode.bar ? BAR_EVERY_NANOS : PLAIN_EVERY_NANOS)) {
            return;
        }
        lastShown = now;
        show(items, bytes, now);
    }

    /** Shows the final figures and ends the bar's line. */
    void finish(long items, long bytes) {
        if (mode == Mode.none) {
            return;
        }
        show(items, bytes, System.nanoTime());
        if (mode == Mode.bar) {
            err.println();
        }
    }

    private void show(long items, long bytes, long now) {
        double seconds = Math.max(1e-3, (now - start) / 1e9);
        double rate = items / seconds;
        StringBuilder line = new StringBuilder();
        if (totalBytes > 0) {
            double fraction = Math.min(1.0, bytes / (double) totalBytes);
            if (mode == Mode.bar) {
                int width = 24;
                int full = (int) Math.round(fraction * width);
                line.append('[')
                        .append("=".repeat(full))
                        .append(" ".repeat(width - full))
                        .append("] ");
            }
            line.append(String.format(Locale.ROOT, "%3.0f%% ", fraction * 100));
        }
        line.append(String.format(Locale.ROOT, "%,d %s", items, what));
        line.append("  ").append(bytes(bytes));
        if (totalBytes > 0) {
            line.append(" / ").append(bytes(totalBytes));
        }
        line.append(String.format(Locale.ROOT, "  %,.0f %s/s", rate, what));
        if (totalBytes > 0 && bytes > 0 && bytes < totalBytes) {
            long eta = (long) ((totalBytes - bytes) / (bytes / seconds));
            line.append(String.format(Locale.ROOT, "  ETA %d:%02d", eta / 60, eta % 60));
        } else {
            line.append(String.format(Locale.ROOT, "  %.1f s", seconds));
        }
        if (mode == Mode.bar) {
            err.print("\r" + line + "\u001b[K");
            drawn = true;
        } else {
            err.println(line);
        }
        err.flush();
    }

    /** Ends a bar's line before other output (an error) is printed. */
    void interrupt() {
        if (drawn && mode == Mode.bar) {
            err.println();
            drawn = false;
        }
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String units = "KMGTPE";
        int u = (int) (Math.log(n) / Math.log(1024));
        return String.format(Locale.ROOT, "%.1f %sB", n / Math.pow(1024, u), units.charAt(u - 1));
    }
}
