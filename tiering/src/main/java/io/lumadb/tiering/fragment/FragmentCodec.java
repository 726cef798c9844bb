package io.lumadb.tiering.fragment;

import io.lumadb.tiering.erasure.ErasureCoder;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Cuts a segment's bytes into its 9 fragments and rebuilds lost ones, with an {@link ErasureCoder}:
 * the 6 data fragments are the segment's bytes laid out by {@link SegmentLayout}, the 3 parity
 * fragments are the coder's. Thread-safe when the coder is.
 */
public final class FragmentCodec {

    private final ErasureCoder coder;

    public FragmentCodec(ErasureCoder coder) {
        if (coder == null) {
            throw new IllegalArgumentException("coder must not be null");
        }
        this.coder = coder;
    }

    /** The coder. */
    public ErasureCoder coder() {
        return coder;
    }

    /** The 9 fragments of a segment, each {@link SegmentLayout#fragmentSizeOf} bytes, data first. */
    public byte[][] encode(byte[] segment) {
        int size = SegmentLayout.of(segment.length).fragmentSize();
        byte[][] data = new byte[ErasureCoder.DATA][];
        for (int i = 0; i < ErasureCoder.DATA; i++) {
            // the last fragment is padded with zeros; a tiny segment may leave trailing ones all zeros
            int from = (int) Math.min((long) i * size, segment.length);
            data[i] = Arrays.copyOfRange(segment, from, from + size);
        }
        byte[][] parity = new byte[ErasureCoder.PARITY][size];
        coder.encode(data, parity, size);
        byte[][] all = new byte[ErasureCoder.TOTAL][];
        System.arraycopy(data, 0, all, 0, ErasureCoder.DATA);
        System.arraycopy(parity, 0, all, ErasureCoder.DATA, ErasureCoder.PARITY);
        return all;
    }

    /**
     * Fills in the null entries of {@code fragments} (9, data first) from the others, which must be
     * {@code fragmentSize} bytes each and at least {@link ErasureCoder#DATA} in number.
     *
     * @throws IllegalArgumentException when fewer than 6 are present or one has the wrong length
     */
    public void rebuild(byte[][] fragments, int fragmentSize) {
        if (fragments.length != ErasureCoder.TOTAL) {
            throw new IllegalArgumentException(
                    "fragments must hold " + ErasureCoder.TOTAL + " entries, got " + fragments.length);
        }
        boolean[] present = new boolean[ErasureCoder.TOTAL];
        int count = 0;
        for (int i = 0; i < ErasureCoder.TOTAL; i++) {
            if (fragments[i] != null) {
                if (fragments[i].length != fragmentSize) {
                    throw new IllegalArgumentException(
                            "fragment " + i + " is " + fragments[i].length + " bytes, expected " + fragmentSize);
                }
                present[i] = true;
                count++;
            }
        }
        if (count == ErasureCoder.TOTAL) {
            return;
        }
        if (count < ErasureCoder.DATA) {
            throw new IllegalArgumentException(
                    "only " + count + " fragments are present, " + ErasureCoder.DATA + " are needed");
        }
        for (int i = 0; i < ErasureCoder.TOTAL; i++) {
            if (fragments[i] == null) {
                fragments[i] = new byte[fragmentSize];
            }
        }
        coder.rebuild(fragments, present, fragmentSize);
    }

    /** The segment's bytes, joined from its 6 data fragments. */
    public static byte[] join(byte[][] fragments, long segmentLength) {
        SegmentLayout layout = SegmentLayout.of(segmentLength);
        return layout.copyRange(fragments, 0, Math.toIntExact(segmentLength));
    }

    /** The crc32c of a fragment, as descriptors record it. */
    public static int crc32c(byte[] fragment) {
        CRC32C crc = new CRC32C();
        crc.update(fragment, 0, fragment.length);
        return (int) crc.getValue();
    }
}
