package io.lumadb.sql.pgwire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class PgTypeTest {

    @Test
    void floatsPrintAsPostgresqlPrintsThem() {
        // PostgreSQL 12+ with the default extra_float_digits: shortest exact text.
        assertEquals("0.1", PgType.doubleText(0.1));
        assertEquals("100", PgType.doubleText(100.0));
        assertEquals("1e+15", PgType.doubleText(1e15));
        assertEquals("123456789012345", PgType.doubleText(123456789012345.0));
        assertEquals("1.2345678901234568e+20", PgType.doubleText(123456789012345680000.0));
        assertEquals("0.0001", PgType.doubleText(0.0001));
        assertEquals("1e-05", PgType.doubleText(0.00001));
        assertEquals("-2.5", PgType.doubleText(-2.5));
        assertEquals("-0", PgType.doubleText(-0.0));
        assertEquals("NaN", PgType.doubleText(Double.NaN));
        assertEquals("-Infinity", PgType.doubleText(Double.NEGATIVE_INFINITY));
        assertEquals("1e+06", PgType.floatText(1e6f));
        assertEquals("123456", PgType.floatText(123456f));
        assertEquals("0.1", PgType.floatText(0.1f));
    }

    @Test
    void valuesHaveTheirTextAndBinaryForms() {
        Timestamp ts = Timestamp.from(Instant.parse("2026-12-04T10:11:12.345Z"));
        assertEquals("2026-12-04 10:11:12.345", PgType.TIMESTAMP.text(ts));
        assertEquals("2026-12-04 10:11:12.345+00", PgType.TIMESTAMPTZ.text(ts));
        assertEquals("t", PgType.BOOL.text(true));
        assertEquals("\\x00ff", PgType.BYTEA.text(new byte[] {0, (byte) 0xff}));
        // 2000-01-01 is day 0 and microsecond 0 of PostgreSQL's binary dates and timestamps.
        assertArrayEquals(new byte[] {0, 0, 0, 1}, PgType.DATE.binary(java.sql.Date.valueOf("2000-01-02")));
        assertEquals(
                1_000_000L,
                ByteBuffer.wrap(PgType.TIMESTAMP.binary(Timestamp.from(Instant.parse("2000-01-01T00:00:01Z"))))
                        .getLong());
    }

    @Test
    void numericsRoundTripThroughPostgresqlsBinaryForm() {
        // 12345.678: digits 1 2345 6780 (base 10000), weight 1, scale 3 (PostgreSQL's own encoding).
        assertEquals(
                "0003" + "0001" + "0000" + "0003" + "0001" + "0929" + "1a7c",
                HexFormat.of().formatHex(PgType.NUMERIC.binary(new BigDecimal("12345.678"))));
        for (String v :
                new String[] {"0", "1", "-1", "10000", "0.0001", "-0.00012", "123456789.987654321", "100000000", "0.50"
                }) {
            BigDecimal d = new BigDecimal(v);
            Object back = PgType.NUMERIC.parseBinary(ByteBuffer.wrap(PgType.NUMERIC.binary(d)));
            assertEquals(d, back, v);
        }
    }

    @Test
    void parametersAreReadAsTheirTypeOrRefused() {
        assertEquals(42, PgType.INT4.parseText(" 42 "));
        assertEquals(true, PgType.BOOL.parseText("on"));
        assertEquals(Double.POSITIVE_INFINITY, PgType.FLOAT8.parseText("Infinity"));
        assertEquals(java.sql.Date.valueOf("2026-03-15"), PgType.DATE.parseText("2026-03-15 +01"));
        // A timestamp's zone offset is dropped (without time zone) or applied (with it), as in PostgreSQL.
        assertEquals(
                Timestamp.from(Instant.parse("2026-03-15T10:00:00Z")),
                PgType.TIMESTAMP.parseText("2026-03-15 10:00:00+02"));
        assertEquals(
                Timestamp.from(Instant.parse("2026-03-15T08:00:00Z")),
                PgType.TIMESTAMPTZ.parseText("2026-03-15 10:00:00+02"));
        assertArrayEquals(new byte[] {1, 2}, (byte[]) PgType.BYTEA.parseText("\\x0102"));
        assertEquals(7L, PgType.INT8.parseBinary(ByteBuffer.allocate(8).putLong(0, 7)));
        assertEquals(
                "22P02",
                assertThrows(PgError.class, () -> PgType.INT4.parseText("forty-two"))
                        .sqlState());
        assertEquals(
                "22P03",
                assertThrows(PgError.class, () -> PgType.INT4.parseBinary(ByteBuffer.allocate(3)))
                        .sqlState());
    }

    @Test
    void sqlTypesMapToPostgresqlTypes() {
        assertEquals(PgType.INT4, PgType.ofSql("INTEGER"));
        assertEquals(PgType.NUMERIC, PgType.ofSql("DECIMAL(10, 2)"));
        assertEquals(PgType.FLOAT8, PgType.ofSql("DOUBLE"));
        assertEquals(PgType.TEXT, PgType.ofSql("VARCHAR"));
        assertEquals(PgType.TEXT, PgType.ofSql("ANY"));
        assertEquals(PgType.TIMESTAMP, PgType.ofOid(1114));
    }
}
