package io.lumadb.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ChangeEnvelopeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A line of {@code _changes?before=true} as the server wrote it. */
    private static final String UPDATE = "{\"op\":\"u\",\"before\":{\"_id\":\"o1\",\"_version\":1,\"amount\":5},"
            + "\"after\":{\"_id\":\"o1\",\"_version\":2,\"amount\":7},\"source\":{\"connector\":\"lumadb\","
            + "\"db\":\"shop\",\"collection\":\"orders\",\"shard\":1,\"seq\":2,\"index\":3,\"id\":\"o1\","
            + "\"version\":2,\"ts_ms\":1795278612449},\"ts_ms\":1795278612876,\"token\":\"AQICAwAAAA\"}";

    @Test
    void parsesEveryFieldOfAServerEnvelope() throws Exception {
        ChangeEnvelope e = ChangeEnvelope.parse(JSON.readTree(UPDATE));
        assertEquals(ChangeEnvelope.Op.UPDATE, e.op());
        assertEquals("shop", e.database());
        assertEquals("orders", e.collection());
        assertEquals("o1", e.id());
        assertEquals(2, e.version());
        assertEquals(1, e.shard());
        assertEquals(2, e.seq());
        assertEquals(3, e.index());
        assertEquals(5, e.before().get("amount").asInt());
        assertEquals(7, e.after().get("amount").asInt());
        assertEquals(1795278612449L, e.committedAtMillis());
        assertEquals("AQICAwAAAA", e.token());
    }

    @Test
    void aDeleteHasNoAfterAndACreateNoBefore() throws Exception {
        ChangeEnvelope delete = ChangeEnvelope.parse(JSON.readTree(
                UPDATE.replace("\"op\":\"u\"", "\"op\":\"d\"").replaceFirst("\"after\":\\{[^}]*}", "\"after\":null")));
        assertEquals(ChangeEnvelope.Op.DELETE, delete.op());
        assertNull(delete.after());
        ChangeEnvelope create = ChangeEnvelope.parse(JSON.readTree(UPDATE.replace("\"op\":\"u\"", "\"op\":\"c\"")
                .replaceFirst("\"before\":\\{[^}]*}", "\"before\":null")));
        assertNull(create.before());
    }

    @Test
    void refusesWhatIsNotAnEnvelope() throws Exception {
        LumaDbException unknownOp = assertThrows(
                LumaDbException.class,
                () -> ChangeEnvelope.parse(JSON.readTree(UPDATE.replace("\"op\":\"u\"", "\"op\":\"t\""))));
        assertEquals("protocol", unknownOp.problemType());
        assertThrows(
                LumaDbException.class,
                () -> ChangeEnvelope.parse(JSON.readTree(UPDATE.replace(",\"token\":\"AQICAwAAAA\"", ""))));
        assertThrows(LumaDbException.class, () -> ChangeEnvelope.parse(JSON.readTree("{\"op\":\"c\"}")));
    }
}
