package io.lumadb.sql.pgwire;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Locale;
import java.util.UUID;

/**
 * The PostgreSQL types that SQL answers and parameters travel as, with their type OIDs (from
 * PostgreSQL's {@code pg_type}), and their text and binary encodings. Values are those of the
 * SQL engine's raw rows ({@code java.sql} dates and times in UTC, numbers, strings, byte arrays).
 */
public enum PgType {
    BOOL(16, 1, "bool", "BOOLEAN"),
    BYTEA(17, -1, "bytea", "VARBINARY"),
    INT8(20, 8, "int8", "BIGINT"),
    INT2(21, 2, "int2", "SMALLINT"),
    INT4(23, 4, "int4", "INTEGER"),
    TEXT(25, -1, "text", "VARCHAR"),
    JSON(114, -1, "json", "VARCHAR"),
    FLOAT4(700, 4, "float4", "REAL"),
    FLOAT8(701, 8, "float8", "DOUBLE"),
    UNKNOWN(705, -2, "unknown", null),
    BPCHAR(1042, -1, "bpchar", "VARCHAR"),
    VARCHAR(1043, -1, "varchar", "VARCHAR"),
    DATE(1082, 4, "date", "DATE"),
    TIME(1083, 8, "time", "TIME"),
    TIMESTAMP(1114, 8, "timestamp", "TIMESTAMP"),
    TIMESTAMPTZ(1184, 8, "timestamptz", "TIMESTAMP"),
    NUMERIC(1700, -1, "numeric", "DECIMAL"),
    UUID_TYPE(2950, 16, "uuid", "VARCHAR"),
    JSONB(3802, -1, "jsonb", "VARCHAR");

    private final int oid;
    private final int length;
    private final String pgName;
    private final String sqlCast;

    PgType(int oid, int length, String pgName, String sqlCast) {
        this.oid = oid;
        this.length = length;
        this.pgName = pgName;
        this.sqlCast = sqlCast;
    }

    public int oid() {
        return oid;
    }

    /** {@code pg_type.typlen}: bytes of a fixed-size value, -1 for variable size. */
    public int length() {
        return length;
    }

    /** {@code pg_type.typname}. */
    public String pgName() {
        return pgName;
    }

    /** The SQL type a parameter of this type is cast to, or null for none. */
    String sqlCast() {
        return sqlCast;
    }

    /** Whether this is a type of text, which drivers declare for any string they send. */
    boolean textual() {
        return this == TEXT || this == VARCHAR || this == BPCHAR || this == UNKNOWN;
    }

    /** The type with {@code oid}, or null if LumaDB does not know it. */
    public static PgType ofOid(int oid) {
        for (PgType t : values()) {
            if (t.oid == oid) {
                return t;
            }
        }
        return null;
    }

    /** The type a column or parameter of the SQL engine's type {@code sqlTypeName} travels as. */
    static PgType ofSql(String sqlTypeName) {
        String name = sqlTypeName == null ? "" : sqlTypeName.toUpperCase(Locale.ROOT);
        int paren = name.indexOf('(');
        if (paren > 0) {
            name = name.substring(0, paren);
        }
        return switch (name.trim()) {
            case "BOOLEAN" -> BOOL;
            case "TINYINT", "SMALLINT" -> INT2;
            case "INTEGER" -> INT4;
            case "BIGINT" -> INT8;
            case "REAL" -> FLOAT4;
            case "FLOAT", "DOUBLE" -> FLOAT8;
            case "DECIMAL" -> NUMERIC;
            case "DATE" -> DATE;
            case "TIME" -> TIME;
            case "TIMESTAMP" -> TIMESTAMP;
            case "TIMESTAMP_WITH_LOCAL_TIME_ZONE", "TIMESTAMP WITH LOCAL TIME ZONE" -> TIMESTAMPTZ;
            case "BINARY", "VARBINARY" -> BYTEA;
            default -> TEXT;
        };
    }

    // ---- values out

    private static final DateTimeFormatter TIME_OUT = new DateTimeFormatterBuilder()
            .appendPattern("HH:mm:ss")
            .optionalStart()
            .appendFraction(ChronoField.MICRO_OF_SECOND, 1, 6, true)
            .toFormatter(Locale.ROOT);
    private static final DateTimeFormatter TIMESTAMP_OUT = new DateTimeFormatterBuilder()
            .appendPattern("uuuu-MM-dd HH:mm:ss")
            .optionalStart()
            .appendFraction(ChronoField.MICRO_OF_SECOND, 1, 6, true)
            .toFormatter(Locale.ROOT);

    /** {@code value} (not null) in PostgreSQL's text output format for this type. */
    String text(Object value) {
        return switch (this) {
            case BOOL -> truth(value) ? "t" : "f";
            case FLOAT4 -> floatText(((Number) value).floatValue());
            case FLOAT8 -> doubleText(((Number) value).doubleValue());
            case NUMERIC -> decimal(value).toPlainString();
            case DATE -> date(value).toString();
            case TIME -> TIME_OUT.format(time(value));
            case TIMESTAMP -> TIMESTAMP_OUT.format(timestamp(value));
            case TIMESTAMPTZ -> TIMESTAMP_OUT.format(timestamp(value)) + "+00";
            case BYTEA -> "\\x" + HexFormat.of().formatHex(bytes(value));
            default -> String.valueOf(value);
        };
    }

    /** {@code value} (not null) in PostgreSQL's binary format for this type. */
    byte[] binary(Object value) {
        return switch (this) {
            case BOOL -> new byte[] {(byte) (truth(value) ? 1 : 0)};
            case INT2 ->
                ByteBuffer.allocate(2).putShort(((Number) value).shortValue()).array();
            case INT4 ->
                ByteBuffer.allocate(4).putInt(((Number) value).intValue()).array();
            case INT8 ->
                ByteBuffer.allocate(8).putLong(((Number) value).longValue()).array();
            case FLOAT4 ->
                ByteBuffer.allocate(4).putFloat(((Number) value).floatValue()).array();
            case FLOAT8 ->
                ByteBuffer.allocate(8).putDouble(((Number) value).doubleValue()).array();
            case NUMERIC -> numericBinary(decimal(value));
            case DATE ->
                ByteBuffer.allocate(4)
                        .putInt((int) ChronoUnit.DAYS.between(EPOCH_DATE, date(value)))
                        .array();
            case TIME ->
                ByteBuffer.allocate(8).putLong(time(value).toNanoOfDay() / 1000).array();
            case TIMESTAMP, TIMESTAMPTZ ->
                ByteBuffer.allocate(8)
                        .putLong(ChronoUnit.MICROS.between(EPOCH, timestamp(value)))
                        .array();
            case BYTEA -> bytes(value);
            case UUID_TYPE -> {
                UUID u = UUID.fromString(String.valueOf(value));
                yield ByteBuffer.allocate(16)
                        .putLong(u.getMostSignificantBits())
                        .putLong(u.getLeastSignificantBits())
                        .array();
            }
            default -> text(value).getBytes(StandardCharsets.UTF_8);
        };
    }

    private static final LocalDate EPOCH_DATE = LocalDate.of(2000, 1, 1);
    private static final LocalDateTime EPOCH = EPOCH_DATE.atStartOfDay();

    private static boolean truth(Object v) {
        return v instanceof Boolean b ? b : Boolean.parseBoolean(String.valueOf(v));
    }

    private static BigDecimal decimal(Object v) {
        return switch (v) {
            case BigDecimal d -> d;
            case Double d -> new BigDecimal(Double.toString(d));
            case Float f -> new BigDecimal(Float.toString(f));
            case Number n -> BigDecimal.valueOf(n.longValue());
            default -> new BigDecimal(String.valueOf(v));
        };
    }

    private static LocalDate date(Object v) {
        return switch (v) {
            case java.sql.Date d -> d.toLocalDate();
            case LocalDate d -> d;
            case java.sql.Timestamp t ->
                LocalDateTime.ofInstant(t.toInstant(), ZoneOffset.UTC).toLocalDate();
            default -> LocalDate.parse(String.valueOf(v));
        };
    }

    private static LocalTime time(Object v) {
        return switch (v) {
            case java.sql.Time t -> t.toLocalTime();
            case LocalTime t -> t;
            default -> LocalTime.parse(String.valueOf(v));
        };
    }

    /** A timestamp as the wall-clock time in UTC, as the SQL engine keeps it. */
    private static LocalDateTime timestamp(Object v) {
        return switch (v) {
            case java.sql.Timestamp t -> LocalDateTime.ofInstant(t.toInstant(), ZoneOffset.UTC);
            case LocalDateTime t -> t;
            case java.sql.Date d -> d.toLocalDate().atStartOfDay();
            default -> LocalDateTime.ofInstant(java.time.Instant.parse(String.valueOf(v)), ZoneOffset.UTC);
        };
    }

    private static byte[] bytes(Object v) {
        return switch (v) {
            case byte[] b -> b;
            case org.apache.calcite.avatica.util.ByteString b -> b.getBytes();
            default -> String.valueOf(v).getBytes(StandardCharsets.UTF_8);
        };
    }

    /**
     * A float8 as PostgreSQL prints it (the shortest text that reads back as the same value):
     * positional for decimal exponents from -4 to 14, else {@code d.ddde+XX}.
     */
    static String doubleText(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return shortest(d == 0 ? (1 / d < 0 ? "-0" : "0") : Double.toString(d), 15);
    }

    /** A float4 as PostgreSQL prints it; positional for decimal exponents from -4 to 5. */
    static String floatText(float f) {
        if (Float.isNaN(f)) {
            return "NaN";
        }
        if (Float.isInfinite(f)) {
            return f > 0 ? "Infinity" : "-Infinity";
        }
        return shortest(f == 0 ? (1 / f < 0 ? "-0" : "0") : Float.toString(f), 6);
    }

    private static String shortest(String javaShortest, int maxExponent) {
        if (javaShortest.equals("0") || javaShortest.equals("-0")) {
            return javaShortest;
        }
        BigDecimal d = new BigDecimal(javaShortest).stripTrailingZeros();
        int exponent = d.precision() - d.scale() - 1;
        if (exponent >= -4 && exponent < maxExponent) {
            return d.toPlainString();
        }
        String digits = d.unscaledValue().abs().toString();
        StringBuilder b = new StringBuilder();
        if (d.signum() < 0) {
            b.append('-');
        }
        b.append(digits.charAt(0));
        if (digits.length() > 1) {
            b.append('.').append(digits, 1, digits.length());
        }
        b.append('e').append(exponent < 0 ? '-' : '+');
        int abs = Math.abs(exponent);
        if (abs < 10) {
            b.append('0');
        }
        return b.append(abs).toString();
    }

    /** PostgreSQL's binary numeric: base-10000 digits with weight, sign and display scale. */
    private static byte[] numericBinary(BigDecimal value) {
        int dscale = Math.max(0, value.scale());
        BigDecimal abs = value.abs().setScale(dscale, RoundingMode.UNNECESSARY);
        // Digits of the integer part and of the fraction, grouped in fours around the point.
        String unscaled = abs.unscaledValue().toString();
        String intPart = unscaled.length() > dscale ? unscaled.substring(0, unscaled.length() - dscale) : "0";
        String fracPart = dscale == 0
                ? ""
                : "0".repeat(Math.max(0, dscale - unscaled.length()))
                        + unscaled.substring(Math.max(0, unscaled.length() - dscale));
        int intGroups = (intPart.length() + 3) / 4;
        String paddedInt = "0".repeat(intGroups * 4 - intPart.length()) + intPart;
        int fracGroups = (fracPart.length() + 3) / 4;
        String paddedFrac = fracPart + "0".repeat(fracGroups * 4 - fracPart.length());
        short[] groups = new short[intGroups + fracGroups];
        for (int i = 0; i < intGroups; i++) {
            groups[i] = Short.parseShort(paddedInt.substring(i * 4, i * 4 + 4));
        }
        for (int i = 0; i < fracGroups; i++) {
            groups[intGroups + i] = Short.parseShort(paddedFrac.substring(i * 4, i * 4 + 4));
        }
        // Leading and trailing zero groups are left out; the weight is the first kept group's.
        int first = 0;
        while (first < groups.length && groups[first] == 0) {
            first++;
        }
        int last = groups.length - 1;
        while (last >= first && groups[last] == 0) {
            last--;
        }
        int count = Math.max(0, last - first + 1);
        int weight = count == 0 ? 0 : intGroups - 1 - first;
        ByteBuffer out = ByteBuffer.allocate(8 + 2 * count);
        out.putShort((short) count)
                .putShort((short) weight)
                .putShort((short) (value.signum() < 0 ? 0x4000 : 0))
                .putShort((short) dscale);
        for (int i = first; i <= last; i++) {
            out.putShort(groups[i]);
        }
        return out.array();
    }

    // ---- parameters in

    private static final DateTimeFormatter TIMESTAMP_IN = new DateTimeFormatterBuilder()
            .appendPattern("uuuu-MM-dd")
            .optionalStart()
            .appendLiteral(' ')
            .optionalEnd()
            .optionalStart()
            .appendLiteral('T')
            .optionalEnd()
            .optionalStart()
            .appendPattern("HH:mm")
            .optionalStart()
            .appendPattern(":ss")
            .optionalEnd()
            .optionalStart()
            .appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true)
            .optionalEnd()
            .optionalEnd()
            .parseDefaulting(ChronoField.HOUR_OF_DAY, 0)
            .toFormatter(Locale.ROOT);

    /**
     * A parameter sent in the text format, as the value the SQL engine binds; a value that is not
     * of the type is SQLSTATE {@code 22P02}, as in PostgreSQL.
     */
    Object parseText(String text) {
        String t = text.trim();
        try {
            return switch (this) {
                case BOOL ->
                    switch (t.toLowerCase(Locale.ROOT)) {
                        case "t", "true", "y", "yes", "on", "1" -> true;
                        case "f", "false", "n", "no", "off", "0" -> false;
                        default -> throw new IllegalArgumentException();
                    };
                case INT2 -> (int) Short.parseShort(t);
                case INT4 -> Integer.parseInt(t);
                case INT8 -> Long.parseLong(t);
                case FLOAT4 -> (double) Float.parseFloat(special(t));
                case FLOAT8 -> Double.parseDouble(special(t));
                case NUMERIC -> new BigDecimal(t);
                case DATE -> java.sql.Date.valueOf(LocalDate.parse(t.substring(0, Math.min(t.length(), 10))));
                case TIME -> java.sql.Time.valueOf(LocalTime.parse(withoutZone(t, false)));
                case TIMESTAMP, TIMESTAMPTZ -> sqlTimestamp(parseTimestamp(t));
                case BYTEA -> byteaText(text);
                case UUID_TYPE -> UUID.fromString(t).toString();
                default -> text;
            };
        } catch (RuntimeException e) {
            throw PgError.error("22P02", "invalid input syntax for type " + pgName + ": \"" + text + "\"");
        }
    }

    /**
     * A timestamp parameter's wall-clock time: PostgreSQL drivers add the client's zone offset,
     * which a timestamp without time zone ignores and one with time zone applies; LumaDB keeps
     * time in UTC.
     */
    private LocalDateTime parseTimestamp(String t) {
        String local = withoutZone(t, true);
        LocalDateTime wall = LocalDateTime.parse(local, TIMESTAMP_IN);
        if (this == TIMESTAMPTZ && local.length() < t.length()) {
            String zone = t.substring(local.length()).trim();
            ZoneOffset offset = ZoneOffset.of(zone.length() == 3 ? zone + ":00" : zone);
            return wall.atOffset(offset).withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
        }
        return wall;
    }

    /** {@code t} without a trailing zone offset ({@code +01}, {@code -05:30}, {@code Z}, {@code +00:00:00}). */
    private static String withoutZone(String t, boolean hasDate) {
        int from = hasDate ? 10 : 0;
        for (int i = t.length() - 1; i > from; i--) {
            char c = t.charAt(i);
            if (c == '+' || c == '-') {
                return t.substring(0, i).trim();
            }
        }
        return t.endsWith("Z") ? t.substring(0, t.length() - 1) : t;
    }

    private static java.sql.Timestamp sqlTimestamp(LocalDateTime wall) {
        return java.sql.Timestamp.from(wall.toInstant(ZoneOffset.UTC));
    }

    private static String special(String t) {
        return switch (t.toLowerCase(Locale.ROOT)) {
            case "infinity", "+infinity", "inf" -> "Infinity";
            case "-infinity", "-inf" -> "-Infinity";
            case "nan" -> "NaN";
            default -> t;
        };
    }

    private static byte[] byteaText(String text) {
        if (text.startsWith("\\x")) {
            return HexFormat.of().parseHex(text.substring(2));
        }
        // The escape format: backslash-escaped octets, \\ for a backslash.
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] raw = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '\\') {
                if (i + 1 < raw.length && raw[i + 1] == '\\') {
                    out.write('\\');
                    i++;
                } else if (i + 3 < raw.length) {
                    out.write(Integer.parseInt(new String(raw, i + 1, 3, StandardCharsets.US_ASCII), 8));
                    i += 3;
                } else {
                    throw new IllegalArgumentException("bad escape");
                }
            } else {
                out.write(raw[i]);
            }
        }
        return out.toByteArray();
    }

    /** A parameter sent in the binary format, as the value the SQL engine binds. */
    Object parseBinary(ByteBuffer b) {
        int size = b.remaining();
        try {
            return switch (this) {
                case BOOL -> exactly(b, 1).get() != 0;
                case INT2 -> (int) exactly(b, 2).getShort();
                case INT4 -> exactly(b, 4).getInt();
                case INT8 -> exactly(b, 8).getLong();
                case FLOAT4 -> (double) exactly(b, 4).getFloat();
                case FLOAT8 -> exactly(b, 8).getDouble();
                case NUMERIC -> numericFromBinary(b);
                case DATE ->
                    java.sql.Date.valueOf(EPOCH_DATE.plusDays(exactly(b, 4).getInt()));
                case TIME ->
                    java.sql.Time.valueOf(LocalTime.ofNanoOfDay(exactly(b, 8).getLong() * 1000));
                case TIMESTAMP, TIMESTAMPTZ ->
                    sqlTimestamp(EPOCH.plus(exactly(b, 8).getLong(), ChronoUnit.MICROS));
                case BYTEA -> {
                    byte[] out = new byte[size];
                    b.get(out);
                    yield out;
                }
                case UUID_TYPE -> new UUID(exactly(b, 16).getLong(), b.getLong()).toString();
                case JSONB -> {
                    // jsonb's binary format: a version byte (1), then the text
                    if (size < 1 || b.get() != 1) {
                        throw new IllegalArgumentException();
                    }
                    yield StandardCharsets.UTF_8.decode(b).toString();
                }
                default -> StandardCharsets.UTF_8.decode(b).toString();
            };
        } catch (RuntimeException e) {
            throw PgError.error("22P03", "incorrect binary data format in a parameter of type " + pgName);
        }
    }

    private static ByteBuffer exactly(ByteBuffer b, int size) {
        if (b.remaining() != size) {
            throw new IllegalArgumentException("size " + b.remaining() + ", expected " + size);
        }
        return b;
    }

    private static BigDecimal numericFromBinary(ByteBuffer b) {
        int count = b.getShort();
        int weight = b.getShort();
        int sign = b.getShort() & 0xFFFF;
        int dscale = b.getShort();
        if (sign == 0xC000) {
            throw new IllegalArgumentException("NaN is not a number SQL can bind");
        }
        BigInteger unscaled = BigInteger.ZERO;
        for (int i = 0; i < count; i++) {
            unscaled = unscaled.multiply(BigInteger.valueOf(10_000)).add(BigInteger.valueOf(b.getShort()));
        }
        // unscaled * 10000^(weight - count + 1)
        BigDecimal value = new BigDecimal(unscaled).scaleByPowerOfTen(4 * (weight - count + 1));
        value = value.setScale(dscale, RoundingMode.HALF_UP);
        return sign == 0x4000 ? value.negate() : value;
    }
}
