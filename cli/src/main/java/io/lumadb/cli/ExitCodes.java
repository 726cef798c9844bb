package io.lumadb.cli;

/**
 * The exit status of every {@code lumadb} command, the same in every command, so that scripts can
 * rely on it. Printed by {@code lumadb --help}.
 */
final class ExitCodes {
    /** The command did what it was asked. */
    static final int OK = 0;
    /** The server refused the request (its problem is printed) or the operation failed. */
    static final int FAILED = 1;
    /** The command line was wrong (picocli's own code for usage errors). */
    static final int USAGE = 2;
    /** No server answered at the URL (refused, unknown host, timed out). */
    static final int UNREACHABLE = 3;
    /** The server refused the credentials (401) or the caller may not do this (403). */
    static final int DENIED = 4;
    /** The database, collection, document, index or backup does not exist (404). */
    static final int NOT_FOUND = 5;
    /** Bad input: an import stopped at a bad line, or a backup failed verification. */
    static final int BAD_INPUT = 6;

    static final String HELP = """
            Exit status:
              0  done
              1  the server refused the request or the operation failed (its problem is printed)
              2  bad command line
              3  no server answered at the URL
              4  credentials refused (401) or not allowed (403)
              5  not found (database, collection, document, index, backup)
              6  bad input: an import stopped at a bad line, a backup failed verification""";

    private ExitCodes() {}
}
