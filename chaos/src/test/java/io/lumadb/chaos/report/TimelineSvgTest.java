package io.lumadb.chaos.report;

import static io.lumadb.chaos.report.Ops.fault;
import static io.lumadb.chaos.report.Ops.op;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.chaos.history.FaultWindow;
import io.lumadb.chaos.history.Op;
import io.lumadb.chaos.history.Op.Outcome;
import io.lumadb.chaos.history.Op.Type;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class TimelineSvgTest {

    private static final String SVG = "http://www.w3.org/2000/svg";

    private static List<Op> ops() {
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            long at = i * 50L;
            Outcome outcome = at >= 8_000 && at < 12_000 ? (i % 2 == 0 ? Outcome.FAIL : Outcome.UNKNOWN) : Outcome.OK;
            ops.add(op(i, i % 3 == 0 ? Type.WRITE : Type.READ, at, at + 3 + i % 40, outcome));
        }
        return ops;
    }

    private static Document parse(String svg) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        return factory.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<Element> elements(Document doc, String name, String cssClass) {
        NodeList all = doc.getElementsByTagNameNS(SVG, name);
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < all.getLength(); i++) {
            Element e = (Element) all.item(i);
            if (e.getAttribute("class").equals(cssClass)) {
                out.add(e);
            }
        }
        return out;
    }

    @Test
    void isValidSvgWithOneShadedRectPerFaultWindow() throws Exception {
        List<FaultWindow> faults = List.of(
                fault("partition", 8_000, 12_000, "n1", "n2"),
                fault("pause", 15_000, 17_000, "n3"),
                fault("partition", 20_000, 21_000, "n2"),
                fault("kill", 25_000, 25_000, "n1"));
        Timeline t = Timeline.of(ops(), faults);

        Document doc = parse(TimelineSvg.render(t, "registers", 42, Map.of("nodes", 3, "rate", "100/s")));

        Element root = doc.getDocumentElement();
        assertEquals("svg", root.getLocalName());
        assertEquals(SVG, root.getNamespaceURI());
        assertEquals("1200", root.getAttribute("width"));
        assertEquals("600", root.getAttribute("height"));
        List<Element> shaded = elements(doc, "rect", "fault");
        assertEquals(faults.size(), shaded.size());
        assertEquals(
                List.of("partition", "pause", "partition", "kill"),
                shaded.stream().map(e -> e.getAttribute("data-kind")).toList());
        assertEquals(3, elements(doc, "rect", "legend-swatch").size(), "one legend entry per kind");
        String text = root.getTextContent();
        assertTrue(text.contains("registers (seed 42)"), text);
        assertTrue(text.contains("partition n1,n2"), text);
        assertTrue(text.contains("seconds since start"), text);
    }

    @Test
    void escapesTextSoThatAnyNameStaysValidXml() throws Exception {
        FaultWindow odd =
                new FaultWindow("a<b>&\"c'", "drop \u0001 & <all>", List.of("n<1>"), 1_000_000_000L, 2_000_000_000L);
        Timeline t = Timeline.of(ops(), List.of(odd));

        Document doc = parse(TimelineSvg.render(t, "<scenario & \"quotes\">", -1, Map.of("k&", "<v>")));

        assertEquals("a<b>&\"c'", elements(doc, "rect", "fault").getFirst().getAttribute("data-kind"));
        String text = doc.getDocumentElement().getTextContent();
        assertTrue(text.contains("<scenario & \"quotes\"> (seed -1)"), text);
        assertTrue(text.contains("k&=<v>"), text);
    }

    @Test
    void aRunWithoutOperationsOrFaultsStillRenders() throws Exception {
        Document doc = parse(TimelineSvg.render(Timeline.of(List.of(), List.of()), "empty", 0));

        assertEquals(0, elements(doc, "rect", "fault").size());
        assertTrue(doc.getDocumentElement().getTextContent().contains("no operation completed OK"));
    }

    @Test
    void tickStepsGiveAtMostAboutTwelveTicks() {
        assertEquals(1, TimelineSvg.tickStep(10));
        assertEquals(10, TimelineSvg.tickStep(100));
        assertEquals(50, TimelineSvg.tickStep(600));
        assertEquals(0.1, TimelineSvg.tickStep(1), 1e-12);
    }

    @Test
    void latencyLabelsSwitchFromMillisecondsToSeconds() {
        assertEquals("0.1 ms", TimelineSvg.millis(0.1));
        assertEquals("20 ms", TimelineSvg.millis(20));
        assertEquals("1 s", TimelineSvg.millis(1000));
    }
}
