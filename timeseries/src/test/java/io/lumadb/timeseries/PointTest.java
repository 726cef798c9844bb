package io.lumadb.timeseries;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PointTest {

    private static final Map<String, FieldValue> FIELDS = Map.of("v", new FieldValue.FloatValue(1.5));

    @Test
    void tagsAreSortedAndCheckedOnceForEveryPointThatSharesThem() {
        List<Point.Tag> given = new ArrayList<>(List.of(new Point.Tag("region", "eu"), new Point.Tag("host", "a")));
        List<Point.Tag> checked = Point.checkedTags(given);
        assertEquals(List.of(new Point.Tag("host", "a"), new Point.Tag("region", "eu")), checked);
        given.clear();
        assertEquals(2, checked.size(), "a copy, not a view of the list given");
        assertThrows(UnsupportedOperationException.class, () -> checked.add(new Point.Tag("x", "y")));
        assertSame(checked, Point.checkedTags(checked));
        Point p = new Point("cpu", checked, FIELDS, 1);
        Point q = new Point("cpu", checked, FIELDS, 2);
        assertSame(checked, p.tags());
        assertSame(p.tags(), q.tags());
        // Equal to the points of the same tags given in any list.
        assertEquals(
                p, new Point("cpu", List.of(new Point.Tag("region", "eu"), new Point.Tag("host", "a")), FIELDS, 1));
        assertEquals(
                p.tags().hashCode(),
                List.of(new Point.Tag("host", "a"), new Point.Tag("region", "eu"))
                        .hashCode());
    }

    @Test
    void aPointRefusesDuplicateTagsEmptyNamesAndNoFields() {
        List<Point.Tag> twice = List.of(new Point.Tag("host", "a"), new Point.Tag("host", "b"));
        assertEquals(
                "duplicate tag key 'host'",
                assertThrows(IllegalArgumentException.class, () -> Point.checkedTags(twice))
                        .getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Point("cpu", twice, FIELDS, 1));
        assertThrows(IllegalArgumentException.class, () -> new Point("", List.of(), FIELDS, 1));
        assertThrows(IllegalArgumentException.class, () -> new Point("cpu", List.of(), Map.of(), 1));
        Map<String, FieldValue> emptyName = Map.of("", new FieldValue.FloatValue(1));
        assertEquals(
                "field key must not be empty",
                assertThrows(IllegalArgumentException.class, () -> new Point("cpu", List.of(), emptyName, 1))
                        .getMessage());
        FieldMap.Shape shape =
                FieldMap.Shape.of(new String[] {"ok", ""}, new FieldType[] {FieldType.FLOAT, FieldType.FLOAT});
        FieldMap shaped = FieldMap.of(shape, new long[] {0, 0}, null);
        assertEquals(
                "field key must not be empty",
                assertThrows(IllegalArgumentException.class, () -> new Point("cpu", List.of(), shaped, 1))
                        .getMessage());
    }
}
