package io.lumadb.tiering.erasure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
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

    /**
     * The coders share {@link Gf256}'s matrices, so this checks them against ISA-L's own: its
     * Cauchy matrix ({@code gf_gen_cauchy1_matrix}), its field multiplication ({@code gf_mul}) and
     * its matrix inversion ({@code gf_invert_matrix}) of every 6 rows of the encoding matrix.
     */
    @Test
    void gf256AgreesWithIsaLsOwnMatrixMultiplicationAndInversion() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup lib = SymbolLookup.libraryLookup(((IsalCoder) isal).location(), arena);
            Linker linker = Linker.nativeLinker();
            MethodHandle cauchy = linker.downcallHandle(
                    lib.find("gf_gen_cauchy1_matrix").orElseThrow(),
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            MethodHandle mul = linker.downcallHandle(
                    lib.find("gf_mul").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_BYTE, ValueLayout.JAVA_BYTE, ValueLayout.JAVA_BYTE));
            MethodHandle invert = linker.downcallHandle(
                    lib.find("gf_invert_matrix").orElseThrow(),
                    FunctionDescriptor.of(
                            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

            MemorySegment matrix = arena.allocate(9 * 6);
            cauchy.invokeExact(matrix, 9, 6);
            byte[][] ours = Gf256.encodingMatrix();
            for (int i = 0; i < 9; i++) {
                assertArrayEquals(matrix.asSlice(i * 6L, 6).toArray(ValueLayout.JAVA_BYTE), ours[i], "row " + i);
            }
            for (int a = 0; a < 256; a++) {
                for (int b = 0; b < 256; b++) {
                    byte theirs = (byte) mul.invokeExact((byte) a, (byte) b);
                    assertEquals(theirs & 0xff, Gf256.mul(a, b), a + " * " + b);
                }
            }
            MemorySegment in = arena.allocate(36);
            MemorySegment out = arena.allocate(36);
            for (int[] rows : Gf256Test.choose(9, 6)) {
                byte[][] sub = new byte[6][];
                for (int i = 0; i < 6; i++) {
                    sub[i] = ours[rows[i]];
                    MemorySegment.copy(sub[i], 0, in, ValueLayout.JAVA_BYTE, i * 6L, 6);
                }
                assertEquals(0, (int) invert.invokeExact(in, out, 6), "ISA-L inverts rows " + Arrays.toString(rows));
                byte[][] inverse = Gf256.invert(sub);
                for (int i = 0; i < 6; i++) {
                    assertArrayEquals(
                            out.asSlice(i * 6L, 6).toArray(ValueLayout.JAVA_BYTE),
                            inverse[i],
                            "row " + i + " of the inverse of rows " + Arrays.toString(rows));
                }
            }
        }
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
