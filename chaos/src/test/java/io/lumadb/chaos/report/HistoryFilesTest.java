package io.lumadb.chaos.report;

import static io.lumadb.chaos.report.Ops.fault;
import static io.lumadb.chaos.report.Ops.op;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lumadb.chaos.history.ChangeSeen;
import io.lumadb.chaos.history.History;
import io.lumadb.chaos.history.Op;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryFilesTest {

    @TempDir
    Path dir;

    private static History sample() {
        History h = new History(0);
        h.add(op(0, Op.Type.WRITE, 0, 12, Op.Outcome.OK));
        h.add(op(1, Op.Type.READ, 5, 9, Op.Outcome.OK));
        h.add(op(2, Op.Type.CAS, 20, 5_020, Op.Outcome.UNKNOWN));
        h.add(op(3, Op.Type.INSERT, 30, 31, Op.Outcome.FAIL));
        h.add(new Op(4, 1, "n2", Op.Type.READ, "k\"1\n", null, null, null, 40, 50, Op.Outcome.OK, "quote \" and \\"));
        h.add(fault("partition", 10, 3_000, "n1", "n2"));
        h.add(fault("pause", 4_000, 4_000));
        // Received out of time order by two consumers: the file must keep the received order.
        h.add(new ChangeSeen("n1", 3, 7, 0, "d1", 2, "tok-b", 900_000_000));
        h.add(new ChangeSeen("n2", 3, 6, 1, "d2", 1, "tok-a", 800_000_000));
        return h;
    }

    @Test
    void readingBackGivesTheSameOpsFaultsAndChanges() throws IOException {
        History original = sample();
        Path file = dir.resolve(HistoryFiles.FILE_NAME);

        HistoryFiles.write(file, original);
        History back = HistoryFiles.read(file);

        assertEquals(original.ops(), back.ops());
        assertEquals(original.faults(), back.faults());
        assertEquals(original.changes(), back.changes());
    }

    @Test
    void eachLineIsOneObjectNamedByKindWithTheRecordsComponents() throws IOException {
        Path file = dir.resolve(HistoryFiles.FILE_NAME);
        HistoryFiles.write(file, sample());
        ObjectMapper json = new ObjectMapper();

        List<String> lines = Files.readAllLines(file);
        assertEquals(5 + 2 + 2, lines.size());
        for (String line : lines) {
            JsonNode node = json.readTree(line);
            Set<String> fields = new HashSet<>();
            node.fieldNames().forEachRemaining(fields::add);
            String kind = node.get("kind").asText();
            Set<String> expected =
                    switch (kind) {
                        case "op" -> components(Op.class);
                        case "change" -> components(ChangeSeen.class);
                        case "fault" -> Set.of("kind", "faultKind", "description", "nodes", "startNanos", "endNanos");
                        default -> throw new AssertionError("unexpected kind " + kind);
                    };
            Set<String> withKind = new HashSet<>(expected);
            withKind.add("kind");
            assertEquals(withKind, fields, line);
        }
        assertEquals("fault", json.readTree(lines.get(2)).get("kind").asText(), "lines are in time order");
        assertEquals("partition", json.readTree(lines.get(2)).get("faultKind").asText());
    }

    @Test
    void aLineOfAnUnknownKindIsAnErrorNamingTheLine() throws IOException {
        Path file = dir.resolve(HistoryFiles.FILE_NAME);
        HistoryFiles.write(file, sample());
        Files.writeString(file, Files.readString(file) + "\n{\"kind\":\"nonsense\"}\n");

        IOException e = assertThrows(IOException.class, () -> HistoryFiles.read(file));
        assertTrue(e.getMessage().contains("line 11"), e.getMessage());
    }

    @Test
    void anImpossibleOpIsAnErrorNamingTheLine() throws IOException {
        Path file = dir.resolve(HistoryFiles.FILE_NAME);
        Files.writeString(
                file,
                "{\"kind\":\"op\",\"index\":0,\"process\":0,\"node\":\"n1\",\"type\":\"READ\",\"key\":\"k\","
                        + "\"invokedNanos\":10,\"completedNanos\":5,\"outcome\":\"OK\"}\n");

        IOException e = assertThrows(IOException.class, () -> HistoryFiles.read(file));
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
    }

    private static Set<String> components(Class<? extends Record> type) {
        return Arrays.stream(type.getRecordComponents())
                .map(RecordComponent::getName)
                .collect(Collectors.toSet());
    }
}
