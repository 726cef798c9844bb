package io.lumadb.sql.pgwire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class PgCommandsTest {

    @Test
    void readsTheCommandsAnsweredByTheProtocolLayer() {
        assertEquals(new PgCommands.Set("datestyle", "ISO, MDY"), PgCommands.parse("SET datestyle TO ISO, MDY"));
        assertEquals(
                new PgCommands.Set("application_name", "my app"),
                PgCommands.parse("set session application_name = 'my app';"));
        assertEquals(
                new PgCommands.Set("TimeZone", "Europe/Berlin"), PgCommands.parse("SET TIME ZONE 'Europe/Berlin'"));
        assertEquals(new PgCommands.Set("extra_float_digits", "3"), PgCommands.parse("SET extra_float_digits = 3"));
        assertEquals(
                new PgCommands.Set("statement_timeout", null), PgCommands.parse("SET statement_timeout TO DEFAULT"));
        assertEquals(new PgCommands.Set("app.tenant", "t1"), PgCommands.parse("SET app.tenant = 't1'"));
        assertEquals(
                new PgCommands.SetNothing(), PgCommands.parse("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"));
        assertEquals(new PgCommands.Show("TimeZone"), PgCommands.parse("SHOW TIME ZONE"));
        assertEquals(new PgCommands.Show(null), PgCommands.parse("show all"));
        assertEquals(new PgCommands.Reset(null), PgCommands.parse("RESET ALL"));
        assertEquals(new PgCommands.Begin(), PgCommands.parse("START TRANSACTION ISOLATION LEVEL SERIALIZABLE"));
        assertEquals(new PgCommands.Deallocate("s1"), PgCommands.parse("DEALLOCATE PREPARE s1"));
        assertNull(PgCommands.parse("SELECT 1"));
        assertEquals(
                "0A000",
                assertThrows(PgError.class, () -> PgCommands.parse("SAVEPOINT a"))
                        .sqlState());
        assertEquals(
                "42601",
                assertThrows(PgError.class, () -> PgCommands.parse("SET x")).sqlState());
    }

    @Test
    void parametersRefuseWhatLumaDbCannotHonour() {
        PgParameters p = new PgParameters("16.0", "ada", false);
        assertEquals(new PgParameters.Report("DateStyle", "ISO, DMY"), p.set("datestyle", "iso, dmy"));
        assertEquals(
                "22023",
                assertThrows(PgError.class, () -> p.set("client_encoding", "LATIN1"))
                        .sqlState());
        assertEquals(
                "22023",
                assertThrows(PgError.class, () -> p.set("DateStyle", "German")).sqlState());
        assertEquals(
                "42704",
                assertThrows(PgError.class, () -> p.set("no_such_thing", "1")).sqlState());
        assertEquals(
                "55P02",
                assertThrows(PgError.class, () -> p.set("server_version", "9")).sqlState());
        assertEquals("ada", p.get("session_authorization"));
        assertEquals(List.of(new PgParameters.Report("DateStyle", "ISO, MDY")), p.resetAll());
    }

    @Test
    void framesAreCutWhereverTheBytesBreak() {
        PgFrames frames = new PgFrames(1024);
        // A startup message, then a Query, delivered one byte at a time.
        byte[] startup = ByteBuffer.allocate(8 + 5)
                .putInt(13)
                .putInt(196608)
                .put("user\0".getBytes())
                .array();
        byte[] query = ByteBuffer.allocate(1 + 4 + 9)
                .put((byte) 'Q')
                .putInt(13)
                .put("SELECT 1\0".getBytes())
                .array();
        List<PgFrames.Frame> got = new java.util.ArrayList<>();
        for (byte[] message : new byte[][] {startup, query}) {
            for (byte b : message) {
                got.addAll(frames.feed(ByteString.fromArray(new byte[] {b})));
            }
        }
        assertEquals(2, got.size());
        assertEquals(0, got.get(0).type());
        assertEquals('Q', got.get(1).type());
        assertEquals(9, got.get(1).body().remaining());
        PgFrames.ProtocolViolation tooBig = assertThrows(
                PgFrames.ProtocolViolation.class,
                () -> frames.feed(ByteString.fromArray(
                        ByteBuffer.allocate(5).put((byte) 'Q').putInt(1 << 30).array())));
        assertEquals(true, tooBig.getMessage().contains("max-message-bytes"));
    }
}
