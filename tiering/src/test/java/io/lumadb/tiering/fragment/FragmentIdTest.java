package io.lumadb.tiering.fragment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class FragmentIdTest {

    private static final List<String> IDS = List.of(
            "seg-000001",
            "db/orders/3-000042",
            "../../etc/passwd",
            ".",
            "..",
            "A",
            "a",
            "é日本\uD83D\uDE00",
            "with space",
            "back\\slash:colon*star?",
            "%41",
            "x".repeat(60));

    @Test
    void fileNamesAreSafeDistinctAndReadBack(@TempDir Path dir) throws Exception {
        Set<String> caseFolded = new HashSet<>();
        for (String segmentId : IDS) {
            for (int index = 0; index < 9; index++) {
                FragmentId id = new FragmentId(segmentId, index);
                String name = id.fileName();
                assertTrue(name.matches("[a-z0-9_%A-F.-]+\\.frag"), name);
                assertTrue(!name.startsWith("."), name);
                assertTrue(caseFolded.add(name.toLowerCase(Locale.ROOT)), "collides ignoring case: " + name);
                assertEquals(Optional.of(id), FragmentId.fromFileName(name));
                Path file = dir.resolve(name);
                assertEquals(dir, file.getParent());
                Files.write(file, new byte[] {(byte) index});
            }
        }
        try (var files = Files.list(dir)) {
            assertEquals(IDS.size() * 9, files.count());
        }
    }

    @Test
    void otherFileNamesAreNotFragments() {
        for (String name : List.of(
                "x.frag",
                "a.9.frag",
                "a.10.frag",
                "a.1.frag.123.tmp",
                "%zz.1.frag",
                "%4.1.frag",
                "A.1.frag",
                "a.1.FRAG",
                ".1.frag",
                "a b.1.frag")) {
            assertEquals(Optional.empty(), FragmentId.fromFileName(name), name);
        }
    }

    @Test
    void rejectsBadIndexesAndIds() {
        assertThrows(IllegalArgumentException.class, () -> new FragmentId("s", -1));
        assertThrows(IllegalArgumentException.class, () -> new FragmentId("s", 9));
        assertThrows(IllegalArgumentException.class, () -> new FragmentId("", 0));
        assertThrows(IllegalArgumentException.class, () -> new FragmentId(null, 0));
        assertThrows(IllegalArgumentException.class, () -> new FragmentId("a\uD800", 0));
        IllegalArgumentException tooLong =
                assertThrows(IllegalArgumentException.class, () -> new FragmentId("é".repeat(40), 0));
        assertTrue(tooLong.getMessage().contains("more than " + FragmentId.MAX_FILE_NAME), tooLong.getMessage());
        assertTrue(new FragmentId("s", 5).isData());
        assertTrue(!new FragmentId("s", 6).isData());
        assertNotEquals(new FragmentId("s", 1), new FragmentId("s", 2));
    }
}
