package io.lumadb.cli;

import java.io.Console;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether the process talks to a person: decides progress bars, colors of nothing, and paging. */
final class Terminals {
    private Terminals() {}

    /** Whether stdout is a terminal (not a pipe or file). */
    static boolean stdoutIsTerminal() {
        Console console = System.console();
        return console != null && console.isTerminal();
    }

    /**
     * Whether stderr is a terminal. The JDK tells only about stdin and stdout together ({@link
     * Console#isTerminal}), so on Linux this reads where file descriptor 2 points; {@code --progress}
     * decides when the guess is wrong.
     */
    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return stdoutIsTerminal();
        }
    }
}
