package io.lumadb.bench.timeseries;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnswersTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long T0 = CpuData.TSBS_START;
    private static final long HOUR = 3_600_000_000_000L;

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    // QuestDB 9.3's answers, as its /exec returned them.

    @Test
    void readsQuestDbsCount() throws Exception {
        assertEquals(
                7200,
                Answers.questDbCount(json("{\"query\":\"SELECT count() FROM cpu\",\"columns\":[{\"name\":\"count()\","
                        + "\"type\":\"LONG\"}],\"timestamp\":-1,\"dataset\":[[7200]],\"count\":1}")));
    }

    @Test
    void aTableQuestDbHasNotMadeYetCountsNoRows() throws Exception {
        assertEquals(
                0,
                Answers.questDbCount(json("{\"query\":\"SELECT count() FROM cpu\",\"error\":\"table does not exist"
                        + " [table=cpu]\",\"position\":21}")));
    }

    @Test
    void anyOtherQuestDbErrorIsAFailureThatQuotesIt() throws Exception {
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> Answers.questDbCount(
                        json("{\"query\":\"x\",\"error\":\"unexpected token [x]\",\"position\":0}")));
        assertTrue(e.getMessage().contains("unexpected token"), e.getMessage());
        assertThrows(
                IllegalStateException.class,
                () -> Answers.questDbCount(json("{\"columns\":[],\"dataset\":[],\"count\":0}")));
    }

    @Test
    void readsQuestDbsSampleByAnswerByColumnName() throws Exception {
        JsonNode answer = json("{\"query\":\"SELECT timestamp, hostname, avg(usage_user), max(usage_user) FROM cpu"
                + " SAMPLE BY 1h\",\"columns\":[{\"name\":\"timestamp\",\"type\":\"TIMESTAMP\"},{\"name\":\"hostname\","
                + "\"type\":\"SYMBOL\"},{\"name\":\"avg(usage_user)\",\"type\":\"DOUBLE\"},{\"name\":\"max(usage_user)\","
                + "\"type\":\"DOUBLE\"}],\"timestamp\":0,\"dataset\":[[\"2016-01-01T01:00:00.000000Z\",\"host_1\",5.1,"
                + "5.1],[\"2016-01-01T00:00:00.000000Z\",\"host_1\",4.5,7.0],[\"2016-01-01T00:00:00.000000Z\",\"host_0\","
                + "58.1,58.1]],\"count\":3}");
        assertEquals(
                List.of(
                        new Window("host_0", T0, 58.1, 58.1),
                        new Window("host_1", T0, 4.5, 7.0),
                        new Window("host_1", T0 + HOUR, 5.1, 5.1)),
                Answers.questDbWindows(answer));
    }

    @Test
    void aQuestDbAnswerWithoutTheColumnsIsAFailure() throws Exception {
        JsonNode answer = json("{\"columns\":[{\"name\":\"timestamp\",\"type\":\"TIMESTAMP\"}],\"dataset\":[]}");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Answers.questDbWindows(answer));
        assertTrue(e.getMessage().contains("hostname"), e.getMessage());
    }

    @Test
    void questDbsNanosecondTimestampsKeepTheirNanoseconds() throws Exception {
        assertEquals(T0 + 123_456_789L, Answers.nanos(json("\"2016-01-01T00:00:00.123456789Z\"")));
        assertEquals(T0, Answers.nanos(json(Long.toString(T0))));
    }

    @Test
    void theErrorOfAnAnswerOrNone() throws Exception {
        assertNull(Answers.questDbError(json("{\"dataset\":[[1]]}")));
        assertEquals("boom", Answers.questDbError(json("{\"error\":\"boom\"}")));
    }

    @Test
    void questDbsWalIsAppliedWhenTheWriterCaughtUpWithTheSequencer() throws Exception {
        String columns = "\"columns\":[{\"name\":\"name\",\"type\":\"STRING\"},{\"name\":\"suspended\","
                + "\"type\":\"BOOLEAN\"},{\"name\":\"writerTxn\",\"type\":\"LONG\"},{\"name\":"
                + "\"bufferedTxnSize\",\"type\":\"LONG\"},{\"name\":\"sequencerTxn\",\"type\":\"LONG\"}]";
        assertTrue(Answers.questDbWalApplied(json("{" + columns + ",\"dataset\":[[\"cpu\",false,29,0,29]]}")));
        assertFalse(Answers.questDbWalApplied(json("{" + columns + ",\"dataset\":[[\"cpu\",false,28,0,29]]}")));
        assertFalse(Answers.questDbWalApplied(json("{" + columns + ",\"dataset\":[[\"cpu\",true,29,0,29]]}")));
        assertThrows(
                IllegalStateException.class, () -> Answers.questDbWalApplied(json("{" + columns + ",\"dataset\":[]}")));
    }

    // LumaDB's answers, as the contract writes them.

    @Test
    void readsLumaDbsCount() throws Exception {
        JsonNode answer = json("{\"groups\":[{\"tags\":{},\"rows\":[{\"time\":\"2016-01-01T00:00:00Z\","
                + "\"usage_user\":{\"count\":7200}}]}],\"truncated\":false}");
        assertEquals(7200, Answers.lumaDbCount(answer, "usage_user"));
    }

    @Test
    void lumaDbsCountAddsUpEveryGroupAndRow() throws Exception {
        JsonNode answer = json("{\"groups\":[{\"tags\":{},\"rows\":[{\"time\":\"2016-01-01T00:00:00Z\","
                + "\"usage_user\":{\"count\":5}},{\"time\":\"2016-01-01T01:00:00Z\",\"usage_user\":{\"count\":7}}]}],"
                + "\"truncated\":false}");
        assertEquals(12, Answers.lumaDbCount(answer, "usage_user"));
    }

    @Test
    void readsLumaDbsWindowsPerHost() throws Exception {
        JsonNode answer = json("{\"groups\":[{\"tags\":{\"hostname\":\"host_1\"},\"rows\":[{\"time\":"
                + "\"2016-01-01T00:00:00Z\",\"usage_user\":{\"mean\":4.5,\"max\":7.0}},{\"time\":"
                + "\"2016-01-01T01:00:00Z\",\"usage_user\":{\"mean\":5.1,\"max\":5.1}}]},{\"tags\":{\"hostname\":"
                + "\"host_0\"},\"rows\":[{\"time\":\"2016-01-01T00:00:00Z\",\"usage_user\":{\"mean\":58.1,\"max\":58.1}}]}],"
                + "\"truncated\":false}");
        assertEquals(
                List.of(
                        new Window("host_0", T0, 58.1, 58.1),
                        new Window("host_1", T0, 4.5, 7.0),
                        new Window("host_1", T0 + HOUR, 5.1, 5.1)),
                Answers.lumaDbWindows(answer, "usage_user"));
    }

    @Test
    void aTruncatedOrShapelessLumaDbAnswerIsAFailure() throws Exception {
        JsonNode truncated = json("{\"groups\":[],\"truncated\":true}");
        assertThrows(IllegalStateException.class, () -> Answers.lumaDbCount(truncated, "usage_user"));
        assertThrows(IllegalStateException.class, () -> Answers.lumaDbWindows(truncated, "usage_user"));
        JsonNode noGroups = json("{\"rows\":[]}");
        assertThrows(IllegalStateException.class, () -> Answers.lumaDbCount(noGroups, "usage_user"));
        JsonNode noHost = json("{\"groups\":[{\"tags\":{},\"rows\":[]}],\"truncated\":false}");
        assertThrows(IllegalStateException.class, () -> Answers.lumaDbWindows(noHost, "usage_user"));
        JsonNode noMean = json("{\"groups\":[{\"tags\":{\"hostname\":\"h\"},\"rows\":[{\"time\":"
                + "\"2016-01-01T00:00:00Z\",\"usage_user\":{\"max\":1}}]}],\"truncated\":false}");
        assertThrows(IllegalStateException.class, () -> Answers.lumaDbWindows(noMean, "usage_user"));
        JsonNode noCount = json("{\"groups\":[{\"tags\":{},\"rows\":[{\"time\":\"2016-01-01T00:00:00Z\"}]}]}");
        assertThrows(IllegalStateException.class, () -> Answers.lumaDbCount(noCount, "usage_user"));
    }
}
