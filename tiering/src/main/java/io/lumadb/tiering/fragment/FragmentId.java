package io.lumadb.tiering.fragment;

import io.lumadb.tiering.erasure.ErasureCoder;
import io.lumadb.tiering.segment.SegmentFormat;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * One fragment of a segment: data fragments are {@code 0..5}, parity fragments {@code 6..8}.
 *
 * <p>{@link #fileName()} is a name every file system accepts and no two fragments share, also on
 * case-insensitive file systems: the segment id's bytes other than {@code a-z 0-9 - _} are
 * percent-encoded ({@code %41} for {@code A}), followed by {@code .<index>}{@value #EXTENSION}.
 *
 * @param segmentId the segment's id
 * @param index the fragment's index, {@code 0..8}
 */
public record FragmentId(String segmentId, int index) implements Comparable<FragmentId> {

    /** The extension of a fragment's file name. */
    public static final String EXTENSION = ".frag";

    /** The longest file name a fragment may have (leaving room for a temporary file's suffix). */
    public static final int MAX_FILE_NAME = 200;

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    public FragmentId {
        SegmentFormat.utf8("segmentId", segmentId);
        if (index < 0 || index >= ErasureCoder.TOTAL) {
            throw new IllegalArgumentException("index must be in 0.." + (ErasureCoder.TOTAL - 1) + ", got " + index);
        }
        int length = encode(segmentId).length() + 2 + EXTENSION.length();
        if (length > MAX_FILE_NAME) {
            throw new IllegalArgumentException("segmentId '" + segmentId + "' makes a fragment file name of " + length
                    + " characters, more than " + MAX_FILE_NAME);
        }
    }

    /** Whether this is a data fragment (its bytes are the segment's own). */
    public boolean isData() {
        return index < ErasureCoder.DATA;
    }

    /** The fragment's file name. */
    public String fileName() {
        return encode(segmentId) + "." + index + EXTENSION;
    }

    /** The fragment whose {@link #fileName()} this is, if it is one. */
    public static Optional<FragmentId> fromFileName(String fileName) {
        if (fileName == null || !fileName.endsWith(EXTENSION)) {
            return Optional.empty();
        }
        String stem = fileName.substring(0, fileName.length() - EXTENSION.length());
        int dot = stem.lastIndexOf('.');
        if (dot <= 0 || dot != stem.length() - 2) {
            return Optional.empty();
        }
        int index = stem.charAt(dot + 1) - '0';
        String segmentId = decode(stem.substring(0, dot));
        if (segmentId == null || index < 0 || index >= ErasureCoder.TOTAL) {
            return Optional.empty();
        }
        try {
            FragmentId id = new FragmentId(segmentId, index);
            return id.fileName().equals(fileName) ? Optional.of(id) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    @Override
    public int compareTo(FragmentId other) {
        int c = segmentId.compareTo(other.segmentId);
        return c != 0 ? c : Integer.compare(index, other.index);
    }

    @Override
    public String toString() {
        return segmentId + "#" + index;
    }

    private static boolean plain(int b) {
        return (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' || b == '_';
    }

    private static String encode(String segmentId) {
        byte[] utf8 = segmentId.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(utf8.length + 8);
        for (byte value : utf8) {
            int b = value & 0xFF;
            if (plain(b)) {
                out.append((char) b);
            } else {
                out.append('%').append(HEX[b >>> 4]).append(HEX[b & 0xF]);
            }
        }
        return out.toString();
    }

    private static String decode(String encoded) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '%' && i + 2 < encoded.length()) {
                int hi = Character.digit(encoded.charAt(i + 1), 16);
                int lo = Character.digit(encoded.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else if (c < 0x80 && plain(c)) {
                out.write(c);
            } else {
                return null;
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
