package io.lumadb.tiering.erasure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The ISA-L coder (the system's libisal.so.2) against the contract and against the Java coder:
 * identical parity and identical rebuilds, on heap and native fragments. It needs the library:
 * without it this test fails, saying how to install it, unless {@code -Dlumadb.test.isal=optional}
 * is given, which makes it skip instead (bin/test installs the library when it runs as root, as
 * CI does).
 */
class IsalCoderTest extends ErasureCoderContractTest {

    private static ErasureCoder isal;
    private static final ErasureCoder JAVA = new JavaVectorCoder();

    @BeforeAll
    static void loadTheLibrary() {
        Optional<ErasureCoder> loaded = IsalCoder.load();
        if (loaded.isEmpty()) {
            String why = "ISA-L could not be loaded: "
                    + IsalCoder.unavailableReason().orElse("?");
            if ("optional".equals(System.getProperty("lumadb.test.isal"))) {
                Assumptions.abort(why + " (skipped: -Dlumadb.test.isal=optional)");
            }
            fail(why + ". Install it: run ./bin/test (as root it installs the Debian package libisal2 itself) or"
                    + " apt-get install libisal2; or skip this test with -Dlumadb.test.isal=optional.");
        }
        isal = loaded.get();
    }

    @Override
    ErasureCoder coder() {
        return isal;
    }

    @Test
    void isNamedIsaLAndIsWhatBestPicks() {
        assertEquals("isa-l", isal.name());
        assertEquals("isa-l", ErasureCoders.best().name());
        assertEquals("isa-l", ErasureCoders.isal().orElseThrow().name());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void writesTheSameParityAsTheJavaCoder(Kind kind) {
        Random random = new Random(21);
        try (Arena arena = Arena.ofConfined()) {
            for (int round = 0; round < 20; round++) {
                for (int length : LENGTHS) {
                    MemorySegment[] data = fragments(kind, arena, 6, length, random);
                    MemorySegment[] fromIsal = fragments(kind, arena, 3, length, random);
                    MemorySegment[] fromJava = fragments(kind, arena, 3, length, random);
                    isal.encode(data, fromIsal, length);
                    JAVA.encode(data, fromJava, length);
                    for (int r = 0; r < 3; r++) {
                        assertArrayEquals(
                                bytes(fromJava[r], length),
                                bytes(fromIsal[r], length),
                                "parity " + r + ", length " + length + ", round " + round);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void rebuildsEveryLossLikeTheJavaCoder(Kind kind) {
        Random random = new Random(22);
        try (Arena arena = Arena.ofConfined()) {
            for (int length : REBUILD_LENGTHS) {
                MemorySegment[] isalFragments = fragments(kind, arena, 9, length, random);
                JAVA.encode(Arrays.copyOfRange(isalFragments, 0, 6), Arrays.copyOfRange(isalFragments, 6, 9), length);
                MemorySegment[] javaFragments = fragments(kind, arena, 9, length, random);
                for (int i = 0; i < 9; i++) {
                    javaFragments[i].copyFrom(isalFragments[i]);
                }
                for (int[] lost : lossPatterns()) {
                    for (int f : lost) {
                        fill(isalFragments[f], random);
                        fill(javaFragments[f], random);
                    }
                    isal.rebuild(isalFragments, presentWithout(lost), length);
                    JAVA.rebuild(javaFragments, presentWithout(lost), length);
                    for (int i = 0; i < 9; i++) {
                        assertArrayEquals(
                                bytes(javaFragments[i], length),
                                bytes(isalFragments[i], length),
                                "fragment " + i + " after losing " + Arrays.toString(lost) + ", length " + length);
                    }
                }
            }
        }
    }
}
