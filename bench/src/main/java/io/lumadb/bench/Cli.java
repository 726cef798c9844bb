package io.lumadb.bench;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/**
 * The benchmarks' one command-line parser: every entry point is a picocli {@code @Command} run
 * through {@link #exit}, so options, {@code --help}, errors and the exit status of a bad argument
 * (64, also for an {@link IllegalArgumentException} thrown while checking the options) are the
 * same everywhere, and durations are written the same way ({@code 500ms}, {@code 10s},
 * {@code 2m}, or plain seconds).
 */
public final class Cli {
    /** The exit status of a bad command line. */
    public static final int USAGE = 64;

    private Cli() {}

    /** Parses {@code args} into {@code command}, runs it and exits with its status. */
    public static void exit(Callable<Integer> command, String[] args) {
        System.exit(new CommandLine(command)
                .registerConverter(Duration.class, Cli::duration)
                .setExitCodeExceptionMapper(e -> 1)
                .setExecutionExceptionHandler((e, line, result) -> {
                    if (!(e instanceof IllegalArgumentException)) {
                        throw e;
                    }
                    line.getErr().println("error: " + e.getMessage());
                    return USAGE;
                })
                .setParameterExceptionHandler((e, a) -> {
                    e.getCommandLine().getErr().println("error: " + e.getMessage());
                    e.getCommandLine().usage(e.getCommandLine().getErr());
                    return USAGE;
                })
                .execute(args));
    }

    /** A duration: {@code 500ms}, {@code 10s}, {@code 2m}, or a plain number of seconds. */
    public static Duration duration(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            double unit = t.endsWith("m") ? 60e9 : 1e9;
            String number = t.endsWith("m") || t.endsWith("s") ? t.substring(0, t.length() - 1) : t;
            return Duration.ofNanos((long) (Double.parseDouble(number) * unit));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a duration: '" + s + "' (use e.g. 500ms, 10s, 2m)");
        }
    }

    /** {@code given} when the option was given, else the default of the mode: {@code quick} or full. */
    public static <T> T orDefault(T given, boolean quick, T quickDefault, T fullDefault) {
        return given != null ? given : quick ? quickDefault : fullDefault;
    }

    /** Throws a usage error unless every one of {@code values} is one of {@code allowed}. */
    public static void check(String option, List<String> values, List<String> allowed) {
        for (String v : values) {
            if (!allowed.contains(v)) {
                throw new IllegalArgumentException(
                        option + ": unknown value '" + v + "'; the values are " + String.join(",", allowed));
            }
        }
    }
}
