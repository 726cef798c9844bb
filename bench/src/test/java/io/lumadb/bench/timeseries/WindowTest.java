package io.lumadb.bench.timeseries;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class WindowTest {

    private static final long T0 = CpuData.TSBS_START;
    private static final List<Window> EXPECTED =
            List.of(new Window("host_0", T0, 50.25, 60.1), new Window("host_1", T0, 0.0, 0.0));

    private static List<String> compare(List<Window> actual) {
        return Window.compare("A", actual, "B", EXPECTED, 1e-9, 5);
    }

    @Test
    void answersThatDifferOnlyInTheLastBitsOfAMeanAgree() {
        assertEquals(
                List.of(),
                compare(List.of(
                        new Window("host_1", T0, 1e-15, 0.0), new Window("host_0", T0, 50.25 * (1 + 1e-12), 60.1))));
    }

    @Test
    void aMeanOffByMoreThanTheToleranceIsADifference() {
        List<String> problems =
                compare(List.of(new Window("host_0", T0, 50.25 * (1 + 1e-8), 60.1), new Window("host_1", T0, 0, 0)));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("host_0"), problems.toString());
    }

    @Test
    void aDifferentMaxIsADifference() {
        assertEquals(
                1,
                compare(List.of(new Window("host_0", T0, 50.25, 60.0), new Window("host_1", T0, 0, 0)))
                        .size());
    }

    @Test
    void missingAndExtraWindowsAreDifferences() {
        List<String> problems =
                compare(List.of(new Window("host_0", T0, 50.25, 60.1), new Window("host_1", T0 + 1, 0, 0)));
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("A has no window host_1"), problems.toString());
        assertTrue(problems.get(1).contains("A has a window B has not"), problems.toString());
    }

    @Test
    void aWindowAnsweredTwiceIsADifference() {
        List<String> problems = compare(List.of(EXPECTED.get(0), EXPECTED.get(1), EXPECTED.get(1)));
        assertEquals(List.of("A answered 1 window(s) twice"), problems);
    }

    @Test
    void manyDifferencesAreCountedNotListed() {
        List<String> problems = Window.compare("A", List.of(), "B", EXPECTED, 1e-9, 1);
        assertEquals(List.of(problems.get(0), "... 1 more differences"), problems);
    }
}
