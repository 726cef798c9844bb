package io.lumadb.tiering.erasure;

import static io.lumadb.tiering.erasure.ErasureCoder.DATA;
import static io.lumadb.tiering.erasure.ErasureCoder.PARITY;
import static io.lumadb.tiering.erasure.ErasureCoder.TOTAL;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The erasure coder on ISA-L, the system's {@code libisal.so.2} (Debian package {@code libisal2}),
 * called through the Foreign Function &amp; Memory API: its {@code ec_init_tables} and {@code
 * ec_encode_data}, which pick the widest SIMD kernels the CPU has. The coefficient matrices are
 * {@link Gf256}'s, the same the Java coder uses, so both write identical bytes.
 *
 * <p>The tables of the parity rows are made once; the tables of each loss pattern on its first
 * rebuild, then kept (at most 2^9 patterns of 576 bytes). ISA-L reads and writes through arrays
 * of pointers, which must be native addresses: native segments are passed as they are, heap
 * segments are copied into a native scratch buffer for the call (and the outputs copied back),
 * which costs a copy of every heap fragment per call. Pass native segments where speed matters.
 *
 * <p>Thread-safe: the tables are immutable once made, and each call allocates its pointer arrays
 * and scratch in an arena of its own, freed when it returns. Requires {@code
 * --enable-native-access} for the JVM not to warn (or, with {@code --illegal-native-access=deny},
 * to allow the calls).
 */
public final class IsalCoder implements ErasureCoder {

    /** The name the node reports. */
    public static final String NAME = "isa-l";

    /** The shared library's name: Debian's libisal2 package installs it. */
    public static final String LIBRARY = "libisal.so.2";

    /** Where the library is looked for when the dynamic linker does not find it by name. */
    static final List<Path> DIRECTORIES = List.of(
            Path.of("/usr/lib/x86_64-linux-gnu"),
            Path.of("/usr/lib/aarch64-linux-gnu"),
            Path.of("/usr/lib64"),
            Path.of("/usr/lib"),
            Path.of("/usr/local/lib"));

    /** Bytes of ISA-L's tables per coefficient. */
    private static final int TABLE_BYTES_PER_COEFFICIENT = 32;

    private final MethodHandle initTables;
    private final MethodHandle encodeData;
    private final String location;
    /** Holds the tables for as long as this coder lives. */
    private final Arena tablesArena = Arena.ofAuto();

    private final MemorySegment encodeTables;
    private final AtomicReferenceArray<MemorySegment> decodeTables = new AtomicReferenceArray<>(1 << TOTAL);

    private IsalCoder(MethodHandle initTables, MethodHandle encodeData, String location) {
        this.initTables = initTables;
        this.encodeData = encodeData;
        this.location = location;
        this.encodeTables = tables(Gf256.parityMatrix());
    }

    /**
     * The ISA-L coder, or empty when {@value #LIBRARY} cannot be loaded (not installed, another
     * architecture, native access denied); never throws. {@link #unavailableReason()} says why.
     */
    public static Optional<ErasureCoder> load() {
        return Optional.ofNullable(Loaded.CODER);
    }

    /** Why {@link #load()} is empty, or empty when it is not. */
    public static Optional<String> unavailableReason() {
        return Optional.ofNullable(Loaded.REASON);
    }

    /** Where the library was loaded from (a name the dynamic linker resolved, or a path). */
    public String location() {
        return location;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void encode(MemorySegment[] data, MemorySegment[] parity, int length) {
        Fragments.checkEncode(data, parity, length);
        if (length == 0) {
            return;
        }
        call(encodeTables, data, parity, length);
    }

    @Override
    public void rebuild(MemorySegment[] fragments, boolean[] present, int length) {
        Fragments.Plan plan = Fragments.planRebuild(fragments, present, length);
        if (plan.missing().length == 0 || length == 0) {
            return;
        }
        MemorySegment tables = decodeTables.get(plan.presentMask());
        if (tables == null) {
            tables = tables(Gf256.decodingRows(plan.sources(), plan.missing()));
            if (!decodeTables.compareAndSet(plan.presentMask(), null, tables)) {
                tables = decodeTables.get(plan.presentMask());
            }
        }
        MemorySegment[] in = new MemorySegment[DATA];
        for (int i = 0; i < DATA; i++) {
            in[i] = fragments[plan.sources()[i]];
        }
        MemorySegment[] out = new MemorySegment[plan.missing().length];
        for (int i = 0; i < out.length; i++) {
            out[i] = fragments[plan.missing()[i]];
        }
        call(tables, in, out, length);
    }

    /** ISA-L's tables for {@code rows} (each of 6 coefficients), made by ec_init_tables. */
    private MemorySegment tables(byte[][] rows) {
        MemorySegment matrix = tablesArena.allocate((long) rows.length * DATA);
        for (int r = 0; r < rows.length; r++) {
            MemorySegment.copy(rows[r], 0, matrix, ValueLayout.JAVA_BYTE, (long) r * DATA, DATA);
        }
        MemorySegment tables = tablesArena.allocate((long) TABLE_BYTES_PER_COEFFICIENT * DATA * rows.length, 64);
        try {
            initTables.invokeExact(DATA, rows.length, matrix, tables);
        } catch (Throwable e) {
            throw new IllegalStateException("ISA-L's ec_init_tables failed", e);
        }
        return tables;
    }

    /** ec_encode_data over {@code in} into {@code out}, heap segments through native copies. */
    private void call(MemorySegment tables, MemorySegment[] in, MemorySegment[] out, int length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment inPointers = arena.allocate(ValueLayout.ADDRESS, DATA);
            MemorySegment outPointers = arena.allocate(ValueLayout.ADDRESS, PARITY);
            for (int i = 0; i < in.length; i++) {
                MemorySegment s = in[i];
                if (!s.isNative()) {
                    s = arena.allocate(length, 64).copyFrom(s.asSlice(0, length));
                }
                inPointers.setAtIndex(ValueLayout.ADDRESS, i, s);
            }
            MemorySegment[] targets = new MemorySegment[out.length];
            for (int i = 0; i < out.length; i++) {
                targets[i] = out[i].isNative() ? out[i] : arena.allocate(length, 64);
                outPointers.setAtIndex(ValueLayout.ADDRESS, i, targets[i]);
            }
            encodeData.invokeExact(length, DATA, out.length, tables, inPointers, outPointers);
            for (int i = 0; i < out.length; i++) {
                if (targets[i] != out[i]) {
                    MemorySegment.copy(targets[i], 0, out[i], 0, length);
                }
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("ISA-L's ec_encode_data failed", e);
        }
    }

    /** The library, loaded on first use, once per JVM: a coder, or why there is none. */
    private static final class Loaded {
        static final IsalCoder CODER;
        static final String REASON;

        static {
            IsalCoder coder = null;
            String reason;
            try {
                coder = open();
                reason = null;
            } catch (Throwable e) { // a missing library, a denied native access, a linkage error
                reason = e.getMessage() == null ? e.toString() : e.getMessage();
            }
            CODER = coder;
            REASON = reason;
        }

        private static IsalCoder open() {
            Linker linker = Linker.nativeLinker();
            StringBuilder tried = new StringBuilder();
            SymbolLookup lookup = null;
            String location = null;
            try {
                lookup = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
                location = LIBRARY;
            } catch (IllegalArgumentException e) {
                tried.append(LIBRARY).append(" by name");
            }
            for (int i = 0; lookup == null && i < DIRECTORIES.size(); i++) {
                Path candidate = DIRECTORIES.get(i).resolve(LIBRARY);
                tried.append(", ").append(candidate);
                if (Files.exists(candidate)) {
                    try {
                        lookup = SymbolLookup.libraryLookup(candidate, Arena.global());
                        location = candidate.toString();
                    } catch (IllegalArgumentException e) {
                        tried.append(" (").append(e.getMessage()).append(')');
                    }
                }
            }
            if (lookup == null) {
                throw new IllegalStateException(
                        "ISA-L (" + LIBRARY + ", Debian package libisal2) is not installed; tried " + tried);
            }
            MethodHandle init = linker.downcallHandle(
                    symbol(lookup, "ec_init_tables"),
                    FunctionDescriptor.ofVoid(
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            MethodHandle encode = linker.downcallHandle(
                    symbol(lookup, "ec_encode_data"),
                    FunctionDescriptor.ofVoid(
                            ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS,
                            ValueLayout.ADDRESS,
                            ValueLayout.ADDRESS));
            return new IsalCoder(init, encode, location);
        }

        private static MemorySegment symbol(SymbolLookup lookup, String name) {
            return lookup.find(name).orElseThrow(() -> new IllegalStateException(LIBRARY + " has no symbol " + name));
        }
    }
}
