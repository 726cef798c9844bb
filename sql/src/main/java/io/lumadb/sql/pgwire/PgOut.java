package io.lumadb.sql.pgwire;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.pekko.util.ByteString;

/**
 * Backend messages of the PostgreSQL protocol, written one after another into one buffer: {@code
 * byte type}, {@code int32 length} (filled in when the message ends), body.
 */
final class PgOut {

    private byte[] buf;
    private int len;
    private int start = -1;

    PgOut() {
        this(256);
    }

    PgOut(int capacity) {
        buf = new byte[capacity];
    }

    int size() {
        return len;
    }

    /** The messages so far, and a fresh start. */
    ByteString take() {
        ByteString bytes = ByteString.fromArrayUnsafe(Arrays.copyOf(buf, len));
        len = 0;
        return bytes;
    }

    PgOut begin(char type) {
        byte1(type);
        start = len;
        int32(0);
        return this;
    }

    PgOut end() {
        int length = len - start;
        buf[start] = (byte) (length >>> 24);
        buf[start + 1] = (byte) (length >>> 16);
        buf[start + 2] = (byte) (length >>> 8);
        buf[start + 3] = (byte) length;
        start = -1;
        return this;
    }

    PgOut byte1(int b) {
        ensure(1);
        buf[len++] = (byte) b;
        return this;
    }

    PgOut int16(int v) {
        ensure(2);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
        return this;
    }

    PgOut int32(int v) {
        ensure(4);
        buf[len++] = (byte) (v >>> 24);
        buf[len++] = (byte) (v >>> 16);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
        return this;
    }

    PgOut int64(long v) {
        return int32((int) (v >>> 32)).int32((int) v);
    }

    PgOut bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
        return this;
    }

    /** A NUL-terminated UTF-8 string. */
    PgOut cstring(String s) {
        return bytes(s.getBytes(StandardCharsets.UTF_8)).byte1(0);
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }
    }

    // ---- the messages

    PgOut authenticationOk() {
        return begin('R').int32(0).end();
    }

    PgOut authenticationSasl(String mechanism) {
        return begin('R').int32(10).cstring(mechanism).byte1(0).end();
    }

    PgOut authenticationSaslContinue(String data) {
        return begin('R').int32(11).bytes(data.getBytes(StandardCharsets.UTF_8)).end();
    }

    PgOut authenticationSaslFinal(String data) {
        return begin('R').int32(12).bytes(data.getBytes(StandardCharsets.UTF_8)).end();
    }

    PgOut parameterStatus(String name, String value) {
        return begin('S').cstring(name).cstring(value).end();
    }

    PgOut backendKeyData(int processId, int secret) {
        return begin('K').int32(processId).int32(secret).end();
    }

    PgOut readyForQuery(char status) {
        return begin('Z').byte1(status).end();
    }

    PgOut negotiateProtocolVersion(int minor, List<String> unknownOptions) {
        begin('v').int32(minor).int32(unknownOptions.size());
        unknownOptions.forEach(this::cstring);
        return end();
    }

    /** A column of a row description. */
    record Field(String name, PgType type, int format) {}

    PgOut rowDescription(List<Field> fields) {
        begin('T').int16(fields.size());
        for (Field f : fields) {
            cstring(f.name())
                    .int32(0) // table oid
                    .int16(0) // column number
                    .int32(f.type().oid())
                    .int16(f.type().length())
                    .int32(-1) // type modifier
                    .int16(f.format());
        }
        return end();
    }

    PgOut parameterDescription(List<PgType> types) {
        begin('t').int16(types.size());
        types.forEach(t -> int32(t.oid()));
        return end();
    }

    PgOut commandComplete(String tag) {
        return begin('C').cstring(tag).end();
    }

    PgOut emptyQueryResponse() {
        return begin('I').end();
    }

    PgOut parseComplete() {
        return begin('1').end();
    }

    PgOut bindComplete() {
        return begin('2').end();
    }

    PgOut closeComplete() {
        return begin('3').end();
    }

    PgOut noData() {
        return begin('n').end();
    }

    PgOut portalSuspended() {
        return begin('s').end();
    }

    /** An ErrorResponse ({@code 'E'}) or NoticeResponse ({@code 'N'}). */
    PgOut problem(char type, PgError e) {
        begin(type);
        byte1('S').cstring(e.severity());
        byte1('V').cstring(e.severity());
        byte1('C').cstring(e.sqlState());
        byte1('M').cstring(e.getMessage());
        if (e.detail() != null) {
            byte1('D').cstring(e.detail());
        }
        if (e.hint() != null) {
            byte1('H').cstring(e.hint());
        }
        if (e.position() > 0) {
            byte1('P').cstring(Integer.toString(e.position()));
        }
        return byte1(0).end();
    }
}
