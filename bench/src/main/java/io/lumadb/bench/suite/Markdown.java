package io.lumadb.bench.suite;

import java.util.Locale;
import java.util.stream.Collectors;

/** A markdown text being written line by line, formatted in the root locale, with tables. */
public final class Markdown {

    private final StringBuilder text = new StringBuilder();

    /** Appends {@code String.format(format, args)} and a line break. */
    public Markdown line(String format, Object... args) {
        text.append(String.format(Locale.ROOT, format, args)).append('\n');
        return this;
    }

    /**
     * Starts a table: the header row, its cells written {@code "a | b"}, and the alignment row, one
     * letter per column in {@code align}: {@code l} left, {@code r} right.
     */
    public Markdown table(String align, String header) {
        text.append("| ").append(header).append(" |\n");
        text.append(align.chars().mapToObj(c -> c == 'r' ? "--:|" : "---|").collect(Collectors.joining("", "|", "\n")));
        return this;
    }

    /** A table row of {@code cells}. */
    public Markdown row(Object... cells) {
        StringBuilder row = new StringBuilder("|");
        for (Object cell : cells) {
            row.append(' ').append(cell).append(" |");
        }
        text.append(row).append('\n');
        return this;
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
