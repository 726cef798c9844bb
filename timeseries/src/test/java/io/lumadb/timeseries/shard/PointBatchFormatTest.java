package io.lumadb.timeseries.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lumadb.timeseries.FieldType;
import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.store.PointError;
import io.lumadb.timeseries.store.TimeSeriesSettings;
import io.lumadb.timeseries.store.WriteResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PointBatchFormatTest {

    @Test
    void aBatchDecodesToThePointsEncoded() {
        List<Point> points = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            points.add(new Point(
                    "cpu",
                    List.of(new Point.Tag("host", "h" + i % 3)),
                    Map.of("v", new FieldValue.IntegerValue(i - 150), "s", new FieldValue.StringValue("x" + i % 7)),
                    1_000_000_000L * i - 5));
        }
        PointBatchFormat.Batch batch =
                PointBatchFormat.decode(PointBatchFormat.encode(TimeSeriesSettings.DEFAULT, 42, points));
        assertEquals(points, batch.points());
        assertEquals(TimeSeriesSettings.DEFAULT, batch.settings());
        assertEquals(42, batch.retention());
    }

    /**
     * Regression: the answer's stored count and error positions number points of the batch, which
     * may be far more than the answer has bytes; reading them as counts bounded by the answer's
     * size refused every answer of a shard that stored more than 17 points (a 400 to a write that
     * was stored).
     */
    @Test
    void anAnswerCarriesCountsAndPositionsLargerThanItself() {
        PointError late = new PointError(
                100_000, PointError.Kind.FIELD_TYPE_CONFLICT, "v", FieldType.INTEGER, FieldType.FLOAT, "conflict");
        PointBatchFormat.Answer answer =
                PointBatchFormat.readAnswer(PointBatchFormat.answer(new WriteResult(true, 250_000, List.of(late), 0)));
        assertEquals(250_000, answer.stored());
        assertEquals(List.of(new PointBatchFormat.Error(100_000, "conflict")), answer.errors());
        assertEquals(
                new PointBatchFormat.Answer(50, List.of()),
                PointBatchFormat.readAnswer(PointBatchFormat.answer(new WriteResult(true, 50, List.of(), 0))));
    }

    @Test
    void aTruncatedAnswerIsRefused() {
        byte[] whole = PointBatchFormat.answer(new WriteResult(
                true,
                3,
                List.of(new PointError(
                        1, PointError.Kind.FIELD_TYPE_CONFLICT, "v", FieldType.INTEGER, FieldType.FLOAT, "conflict")),
                0));
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 2);
        assertThrows(RuntimeException.class, () -> PointBatchFormat.readAnswer(cut));
    }
}
