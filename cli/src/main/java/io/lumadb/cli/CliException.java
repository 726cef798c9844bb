package io.lumadb.cli;

/**
 * A failure the user should read: {@link #getMessage()} is printed on stderr as {@code lumadb:
 * message} and the process exits with {@link #exitCode()} (one of {@link ExitCodes}).
 */
class CliException extends RuntimeException {
    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
