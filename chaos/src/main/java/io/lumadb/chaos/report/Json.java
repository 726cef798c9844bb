package io.lumadb.chaos.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.Period;
import java.time.ZonedDateTime;

/** The one Jackson mapper of the report files, and how they reach the disk. */
final class Json {

    /**
     * Compact (one value per line). The java.time types are written as their ISO text because a
     * plan may hold durations, and a report must not fail at the end of a long run for want of a
     * Jackson module.
     */
    static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new SimpleModule("lumadb-chaos-report")
                    .addSerializer(Duration.class, ToStringSerializer.instance)
                    .addSerializer(Period.class, ToStringSerializer.instance)
                    .addSerializer(Instant.class, ToStringSerializer.instance)
                    .addSerializer(LocalDate.class, ToStringSerializer.instance)
                    .addSerializer(LocalDateTime.class, ToStringSerializer.instance)
                    .addSerializer(OffsetDateTime.class, ToStringSerializer.instance)
                    .addSerializer(ZonedDateTime.class, ToStringSerializer.instance));

    private Json() {}

    /** A number, or JSON null where it has none (NaN and the infinities are not JSON). */
    static JsonNode number(double value) {
        return Double.isFinite(value)
                ? JsonNodeFactory.instance.numberNode(value)
                : JsonNodeFactory.instance.nullNode();
    }

    static String pretty(JsonNode node) throws IOException {
        return MAPPER.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsString(node) + "\n";
    }

    /** What writes a file's content. */
    @FunctionalInterface
    interface Content {
        void writeTo(Writer out) throws IOException;
    }

    /** Writes {@code text} to {@code file}; see {@link #writeAtomically(Path, Content)}. */
    static void writeAtomically(Path file, String text) throws IOException {
        writeAtomically(file, out -> out.write(text));
    }

    /**
     * Writes {@code file} through a temporary file beside it, so a reader never sees a
     * half-written file and an earlier complete one survives a failure.
     */
    static void writeAtomically(Path file, Content content) throws IOException {
        // A plain file, not Files.createTempFile: that one is private to its owner (0600), and a
        // report is for everyone who may read the directory.
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                content.writeTo(out);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
