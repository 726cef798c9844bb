package io.lumadb.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SequenceWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Writes rows (JSON objects: documents, or a SQL result's rows by column name) in one of the
 * output formats. Rows come in batches (a page of a query); {@code table} aligns each batch on
 * its own, so that a long result prints as it arrives; the other formats stream.
 */
abstract class Rows implements AutoCloseable {

    /** The output formats of every command that prints rows. */
    enum Format {
        table,
        json,
        ndjson,
        csv
    }

    static Rows open(Format format, OutputStream out, List<String> columns) {
        return switch (format) {
            case table -> new Table(new PrintStream(out, false, StandardCharsets.UTF_8), columns);
            case json -> new Json(out, true);
            case ndjson -> new Json(out, false);
            case csv -> new Csv(out, columns);
        };
    }

    /** Writes a batch of rows. */
    abstract void write(List<ObjectNode> batch);

    abstract long count();

    @Override
    public abstract void close();

    /** A value as one line of text: strings as they are, null as empty, the rest as compact JSON. */
    static String text(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return "";
        }
        return v.isTextual() ? v.asText() : v.toString();
    }

    /** The columns of a batch when none were given: {@code _id} first, then fields in order of appearance. */
    static List<String> columnsOf(List<ObjectNode> batch) {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        for (ObjectNode row : batch) {
            if (row.has("_id")) {
                names.add("_id");
            }
        }
        for (ObjectNode row : batch) {
            for (Iterator<String> it = row.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
        }
        return new ArrayList<>(names);
    }

    /** Aligned columns, psql style, with the row count at the end. */
    static final class Table extends Rows {
        private static final int MAX_WIDTH = 60;
        private final PrintStream out;
        private final List<String> fixed;
        private long count;

        Table(PrintStream out, List<String> columns) {
            this.out = out;
            this.fixed = columns;
        }

        @Override
        void write(List<ObjectNode> batch) {
            if (batch.isEmpty() && count > 0) {
                return;
            }
            List<String> columns = fixed != null ? fixed : columnsOf(batch);
            int[] width = new int[columns.size()];
            List<String[]> cells = new ArrayList<>();
            for (int c = 0; c < columns.size(); c++) {
                width[c] = columns.get(c).length();
            }
            for (ObjectNode row : batch) {
                String[] line = new String[columns.size()];
                for (int c = 0; c < columns.size(); c++) {
                    String t = text(row.get(columns.get(c))).replace('\n', ' ');
                    if (t.length() > MAX_WIDTH) {
                        t = t.substring(0, MAX_WIDTH - 1) + "…";
                    }
                    line[c] = t;
                    width[c] = Math.max(width[c], t.length());
                }
                cells.add(line);
            }
            StringBuilder header = new StringBuilder();
            StringBuilder rule = new StringBuilder();
            for (int c = 0; c < columns.size(); c++) {
                header.append(c == 0 ? " " : " | ").append(pad(columns.get(c), width[c]));
                rule.append(c == 0 ? "-" : "-+-").append("-".repeat(width[c]));
            }
            out.println(header.toString().stripTrailing());
            out.println(rule.append('-'));
            for (String[] line : cells) {
                StringBuilder b = new StringBuilder();
                for (int c = 0; c < line.length; c++) {
                    b.append(c == 0 ? " " : " | ").append(pad(line[c], width[c]));
                }
                out.println(b.toString().stripTrailing());
            }
            count += batch.size();
            out.flush();
        }

        private static String pad(String s, int width) {
            return s + " ".repeat(Math.max(0, width - s.length()));
        }

        @Override
        long count() {
            return count;
        }

        @Override
        public void close() {
            out.println("(" + count + (count == 1 ? " row)" : " rows)"));
            out.flush();
        }
    }

    /** A JSON array (one element per line) or NDJSON. */
    static final class Json extends Rows {
        private final OutputStream out;
        private final boolean array;
        private long count;

        Json(OutputStream out, boolean array) {
            this.out = out;
            this.array = array;
            if (array) {
                raw("[");
            }
        }

        @Override
        void write(List<ObjectNode> batch) {
            try {
                for (ObjectNode row : batch) {
                    if (array) {
                        out.write((count == 0 ? "\n" : ",\n").getBytes(StandardCharsets.UTF_8));
                        out.write(NodeApi.JSON.writeValueAsBytes(row));
                    } else {
                        out.write(NodeApi.JSON.writeValueAsBytes(row));
                        out.write('\n');
                    }
                    count++;
                }
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void raw(String s) {
            try {
                out.write(s.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        long count() {
            return count;
        }

        @Override
        public void close() {
            if (array) {
                raw(count == 0 ? "]\n" : "\n]\n");
            }
            try {
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * CSV (RFC 4180) with a header. The columns are given, or those of the first batch; a value
     * that is not a string, number or boolean is written as JSON text, which {@code lumadb
     * import} reads back as JSON.
     */
    static final class Csv extends Rows {
        private static final CsvMapper CSV = new CsvMapper();
        private final OutputStream out;
        private List<String> columns;
        private SequenceWriter writer;
        private long count;

        Csv(OutputStream out, List<String> columns) {
            this.out = out;
            this.columns = columns;
        }

        @Override
        void write(List<ObjectNode> batch) {
            try {
                if (writer == null) {
                    if (columns == null) {
                        if (batch.isEmpty()) {
                            return;
                        }
                        columns = columnsOf(batch);
                    }
                    CsvSchema.Builder schema = CsvSchema.builder().setUseHeader(true);
                    columns.forEach(schema::addColumn);
                    writer = CSV.writer(schema.build())
                            .without(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
                            .writeValues(out);
                }
                for (ObjectNode row : batch) {
                    List<String> values = new ArrayList<>(columns.size());
                    for (String c : columns) {
                        JsonNode v = row.get(c);
                        values.add(v == null || v.isNull() ? "" : text(v));
                    }
                    writer.write(values);
                    count++;
                }
                writer.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        long count() {
            return count;
        }

        @Override
        public void close() {
            try {
                if (writer != null) {
                    writer.close();
                }
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
