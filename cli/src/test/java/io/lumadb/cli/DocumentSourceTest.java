package io.lumadb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DocumentSourceTest {

    private static List<DocumentSource.Item> read(DocumentSource.Format f, String text, DocumentSource.CsvColumns c) {
        List<DocumentSource.Item> items = new ArrayList<>();
        try (DocumentSource s =
                DocumentSource.open(f, new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), c)) {
            for (DocumentSource.Item i = s.next(); i != null; i = s.next()) {
                items.add(i);
                if (i instanceof DocumentSource.Bad b && b.fatal()) {
                    break;
                }
            }
        }
        return items;
    }

    private static List<DocumentSource.Item> read(DocumentSource.Format f, String text) {
        return read(f, text, DocumentSource.CsvColumns.inferred());
    }

    @Test
    void ndjsonNamesEachBadLineByItsNumberAndGoesOn() {
        List<DocumentSource.Item> items =
                read(DocumentSource.Format.ndjson, "{\"a\":1}\n\n{\"a\":\n[1,2]\n\"x\"\n{\"b\":true}\n");
        assertEquals(5, items.size());
        assertEquals(1, items.get(0).line());
        assertEquals("{\"a\":1}", ((DocumentSource.Doc) items.get(0)).doc().toString());
        DocumentSource.Bad broken = (DocumentSource.Bad) items.get(1);
        assertEquals(3, broken.line());
        assertTrue(broken.reason().startsWith("not JSON"), broken.reason());
        assertEquals(4, items.get(2).line());
        assertTrue(((DocumentSource.Bad) items.get(2)).reason().contains("an array"));
        assertTrue(((DocumentSource.Bad) items.get(3)).reason().contains("a string"));
        assertEquals(6, items.get(4).line());
        assertInstanceOf(DocumentSource.Doc.class, items.get(4));
    }

    @Test
    void ndjsonLinesPassThroughAsTheirBytesWithTheirIdWhateverTheLineEndsAndBufferBoundaries() {
        String big = "x".repeat(200_000); // longer than the reader's buffer: read in several pieces
        String text = "\uFEFF{\"_id\":\"a\",\"n\":{\"_id\":5}}\r\n"
                + "{\"_id\":7}\n"
                + "{\"a\":1} {\"b\":2}\n"
                + "{\"a\":1} x\n"
                + "{\"big\":\"" + big + "\"}\n"
                + "{\"last\":true}"; // no line break at the end
        List<DocumentSource.Item> items = read(DocumentSource.Format.ndjson, text);
        assertEquals(6, items.size(), items.toString());
        DocumentSource.Doc first = (DocumentSource.Doc) items.get(0);
        assertEquals("{\"_id\":\"a\",\"n\":{\"_id\":5}}", new String(first.raw(), StandardCharsets.UTF_8));
        assertEquals("\"a\"", first.id().toString()); // the top-level _id, not the nested one
        assertEquals("7", ((DocumentSource.Doc) items.get(1)).id().toString());
        assertTrue(((DocumentSource.Bad) items.get(2)).reason().contains("more after the end"));
        assertTrue(((DocumentSource.Bad) items.get(3)).reason().startsWith("not JSON"));
        DocumentSource.Doc large = (DocumentSource.Doc) items.get(4);
        assertEquals(5, large.line());
        assertEquals(big, large.doc().path("big").asText());
        assertNull(large.id());
        assertEquals(6, items.get(5).line());
        assertEquals(
                "{\"last\":true}", ((DocumentSource.Doc) items.get(5)).doc().toString());
    }

    @Test
    void jsonArrayGivesEachElementWithItsLineAndStopsWhereTheArrayBreaks() {
        List<DocumentSource.Item> items =
                read(DocumentSource.Format.json, "[\n{\"a\":1},\n 7,\n{\"b\":2},\n{\"c\": }\n]");
        assertEquals(2, items.get(0).line());
        assertEquals(3, items.get(1).line());
        assertInstanceOf(DocumentSource.Bad.class, items.get(1));
        assertEquals(4, items.get(2).line());
        DocumentSource.Bad last = (DocumentSource.Bad) items.get(3);
        assertTrue(last.fatal(), items.toString());
        assertEquals(5, last.line());
        assertTrue(((DocumentSource.Bad)
                        read(DocumentSource.Format.json, "{\"a\":1}").get(0))
                .fatal());
        assertTrue(((DocumentSource.Bad)
                        read(DocumentSource.Format.json, "[{\"a\":1}").get(1))
                .reason()
                .contains("ends inside"));
        assertEquals(0, read(DocumentSource.Format.json, "[]").size());
    }

    @Test
    void csvInfersTypesAndKeepsWhatWouldBeMangledAsText() {
        List<DocumentSource.Item> items = read(
                DocumentSource.Format.csv,
                "_id,n,x,flag,zip,empty,tags,name\n"
                        + "1,42,1.5,true,007,,\"[\"\"a\"\"]\",\"Smith, J.\"\n"
                        + "2,-3,1e3,false,10115,\"\",{broken,\"multi\nline\"\n");
        DocumentSource.Doc first = (DocumentSource.Doc) items.get(0);
        assertEquals(2, first.line());
        assertEquals(
                "{\"_id\":\"1\",\"n\":42,\"x\":1.5,\"flag\":true,\"zip\":\"007\",\"tags\":[\"a\"],\"name\":\"Smith, J.\"}",
                first.doc().toString());
        DocumentSource.Doc second = (DocumentSource.Doc) items.get(1);
        assertEquals(3, second.line());
        assertEquals(
                "{\"_id\":\"2\",\"n\":-3,\"x\":1000.0,\"flag\":false,\"zip\":10115,\"tags\":\"{broken\","
                        + "\"name\":\"multi\\nline\"}",
                second.doc().toString());
    }

    @Test
    void csvEmptyCellsQuotedOrNotLeaveTheFieldOutWhereverTheyAre() {
        List<DocumentSource.Item> items =
                read(DocumentSource.Format.csv, "a,b,c\n1,,\"[1,\"\"x\"\"]\"\n\"x, y\",\"\",\n\n3,4,5\n");
        assertEquals(
                "{\"a\":1,\"c\":[1,\"x\"]}",
                ((DocumentSource.Doc) items.get(0)).doc().toString());
        assertEquals(
                "{\"a\":\"x, y\"}", ((DocumentSource.Doc) items.get(1)).doc().toString());
        assertEquals(
                "{\"a\":3,\"b\":4,\"c\":5}",
                ((DocumentSource.Doc) items.get(2)).doc().toString());
        assertEquals(3, items.size());
    }

    @Test
    void csvDeclaredColumnsAreStrictAndAWrongCellIsABadLine() {
        DocumentSource.CsvColumns columns =
                DocumentSource.CsvColumns.parse("zip:string,qty:int,price:number,ok:bool", false);
        List<DocumentSource.Item> items = read(
                DocumentSource.Format.csv, "zip,qty,price,ok,note\n007,3,9.5,yes,x\n1,three,1,no,y\n1,2\n", columns);
        assertEquals(
                "{\"zip\":\"007\",\"qty\":3,\"price\":9.5,\"ok\":true,\"note\":\"x\"}",
                ((DocumentSource.Doc) items.get(0)).doc().toString());
        DocumentSource.Bad bad = (DocumentSource.Bad) items.get(1);
        assertEquals(3, bad.line());
        assertEquals("column qty: 'three' is not an integer", bad.reason());
        assertEquals("the row has 2 cells, the header 5", ((DocumentSource.Bad) items.get(2)).reason());
        DocumentSource.Bad header = (DocumentSource.Bad) read(
                        DocumentSource.Format.csv,
                        "zip,qty\n1,2\n",
                        DocumentSource.CsvColumns.parse("zip,qty,price", false))
                .get(0);
        assertTrue(header.fatal());
        assertTrue(header.reason().contains("'price'"), header.reason());
        assertTrue(((DocumentSource.Bad) read(
                                DocumentSource.Format.csv,
                                "zip,qty,extra\n1,2,3\n",
                                DocumentSource.CsvColumns.parse("zip,qty", true))
                        .get(0))
                .reason()
                .contains("'extra'"));
        assertThrows(CliException.class, () -> DocumentSource.CsvColumns.parse("a:date", false));
        assertTrue(((DocumentSource.Bad)
                        read(DocumentSource.Format.csv, "a,a\n1,2\n").get(0))
                .reason()
                .contains("twice"));
    }

    @Test
    void csvWithAnUnclosedQuoteStopsThere() {
        List<DocumentSource.Item> items = read(DocumentSource.Format.csv, "a,b\n1,2\n3,\"open\n");
        assertInstanceOf(DocumentSource.Doc.class, items.get(0));
        DocumentSource.Bad bad = (DocumentSource.Bad) items.get(1);
        assertTrue(bad.fatal(), bad.toString());
    }

    @Test
    void formatFollowsTheFileName() {
        assertEquals(DocumentSource.Format.ndjson, ImportCommand.formatOf("a.jsonl"));
        assertEquals(DocumentSource.Format.ndjson, ImportCommand.formatOf("a.ndjson.gz"));
        assertEquals(DocumentSource.Format.json, ImportCommand.formatOf("A.JSON"));
        assertEquals(DocumentSource.Format.csv, ImportCommand.formatOf("x.csv"));
        assertEquals(DocumentSource.Format.ndjson, ImportCommand.formatOf(null));
        assertThrows(CliException.class, () -> ImportCommand.formatOf("x.txt"));
        assertNull(read(DocumentSource.Format.ndjson, "").stream().findFirst().orElse(null));
    }
}
