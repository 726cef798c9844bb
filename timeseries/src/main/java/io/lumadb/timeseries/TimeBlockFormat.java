package io.lumadb.timeseries;

/**
 * The byte layout of a sealed {@link TimeBlock}: one series' points over a time range, sorted by
 * time with one row per distinct timestamp, stored column by column.
 *
 * <h2>Layout (version 1)</h2>
 *
 * All fixed-width integers are big-endian; a varint is unsigned LEB128 (7 bits per byte, low
 * group first); bit streams are written most significant bit first and padded with zero bits to
 * a whole byte.
 *
 * <pre>
 * magic        4 bytes  "LTSB"
 * version      1 byte   1
 * count        varint   rows in the block, ≥ 1
 * firstTime    8 bytes  nanoseconds since the epoch of the first row
 * lastTime     8 bytes  of the last row
 * timeLength   varint   bytes of the timestamp column
 * fieldCount   varint
 * fieldCount × field summary, fields sorted by name in code point order:
 *   nameLength varint, name (UTF-8)
 *   type       1 byte   {@link FieldType#code()}
 *   present    varint   rows that carry this field, 1..count
 *   stats      FLOAT:            min, max, sum as 8-byte IEEE 754 bits (min/max skip NaN; NaN if
 *                                every value is NaN; sum is the plain double sum in row order, any NaN
 *                                payload when a value is NaN)
 *              INTEGER/UNSIGNED: min, max (8 bytes, signed resp. unsigned order), sumExact
 *                                (1 byte, 0 when the 64-bit sum overflowed), sum (8 bytes, wrapped)
 *              BOOLEAN:          trueCount varint
 *              STRING:           nothing
 *   length     varint   bytes of the field's column
 * timestamp column (timeLength bytes):
 *   first timestamp in 64 bits, then for each next row the delta of deltas (the first delta taken
 *   against 0), as: '0' for 0; '10' + 7 bits; '110' + 9 bits; '1110' + 12 bits; '11110' + 32
 *   bits; '11111' + 64 bits (two's complement, arithmetic modulo 2^64)
 * field columns, in summary order, each starting on a byte boundary:
 *   presence   when present &lt; count: count bits, 1 for a row that carries the field; then
 *              padding to a byte. Absent when every row carries it.
 *   values     the present values in row order:
 *     FLOAT    mode byte 0: Gorilla XOR: first value's 64 bits; then per value '0' when equal to
 *              the previous, '10' + the XOR's meaningful bits in the previous window, or '11' + 5
 *              bits leading zeros (at most 31) + 6 bits meaningful length (0 means 64) + bits.
 *              mode byte 1: decimal: exponent e (1 byte, 0..15) and the integers
 *              round(v × 10^e) as INTEGER below; chosen when every value is exactly that integer
 *              divided by 10^e (so it is lossless: NaN, ±Inf and -0.0 always take mode 0) and it
 *              is smaller than mode 0.
 *     INTEGER, UNSIGNED  mode byte (0 delta, 1 delta of delta); first value: 7-bit width w and
 *              its zigzag form in w bits; then the zigzagged differences in frames of 64 values,
 *              each a 7-bit width w (0..64) followed by its values in w bits each.
 *     BOOLEAN  one bit per value.
 *     STRING   varint dictionary size d; d × (varint byte length, UTF-8 bytes); then each value's
 *              dictionary index in ceil(log2 d) bits.
 * checksum     4 bytes  CRC32C of every byte before it
 * </pre>
 *
 * <p>A reader checks the magic, the version, the length and the checksum before it trusts a byte,
 * and reads the summaries (for count, min, max and sum aggregates) without decoding any column.
 */
public final class TimeBlockFormat {
    private TimeBlockFormat() {}

    /** The format's name, as the magic spells it. */
    public static final String NAME = "LTSB";

    static final byte[] MAGIC = {'L', 'T', 'S', 'B'};

    /** The version this code writes and reads. */
    public static final int VERSION = 1;

    /** Bytes of the checksum footer. */
    static final int FOOTER_LENGTH = 4;
}
