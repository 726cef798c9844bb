package io.lumadb.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PropertyTest {

    /** Cases with a value and the seed's fingerprint, so a rerun can be compared case for case. */
    private record Case(int value, long fingerprint) {}

    private static final Property<Case> CASES =
            Property.forAll(random -> new Case(random.nextInt(1000), random.nextLong()));

    private static List<Case> seen(long base, int tries) {
        List<Case> seen = new ArrayList<>();
        CASES.check(base, tries, seen::add);
        return seen;
    }

    @Test
    void checksEveryTryAndTheFirstCaseComesFromTheBaseSeed() {
        List<Case> seen = seen(5, 300);
        assertEquals(300, seen.size());
        assertEquals(CASES.generate(5), seen.getFirst());
        assertEquals(300, seen.stream().distinct().count(), "each try its own case");
    }

    @Test
    void theSameBaseSeedChecksTheSameCasesAndAnotherOneOthers() {
        assertEquals(seen(5, 50), seen(5, 50));
        assertNotEquals(seen(5, 50), seen(6, 50));
    }

    @Test
    void aFailureNamesItsSeedItsCaseAndHowToRerunIt() {
        AssertionError broken = new AssertionError("value ends in 7");
        Property.PropertyFailure failure = assertThrows(
                Property.PropertyFailure.class,
                () -> CASES.check(5, 1000, c -> {
                    if (c.value() % 10 == 7) {
                        throw broken;
                    }
                }));
        Case failing = assertInstanceOf(Case.class, failure.value());
        assertEquals(7, failing.value() % 10);
        assertEquals(broken, failure.getCause());
        String message = failure.getMessage();
        assertTrue(message.contains("with seed " + failure.seed() + "\n"), message);
        assertTrue(message.contains("case: " + failing + "\n"), message);
        assertTrue(message.contains("failure: " + broken + "\n"), message);
        assertTrue(
                message.contains("-Dtest=PropertyTest#aFailureNamesItsSeedItsCaseAndHowToRerunIt -Dproperty.seed="
                        + failure.seed() + " -Dproperty.tries=1"),
                message);
    }

    @Test
    void rerunningTheFailingSeedReproducesTheSameCaseFirst() {
        Property.PropertyFailure first = assertThrows(
                Property.PropertyFailure.class, () -> CASES.check(11, 1000, c -> assertTrue(c.value() % 10 != 7)));
        List<Case> checked = new ArrayList<>();
        Property.PropertyFailure again = assertThrows(
                Property.PropertyFailure.class,
                () -> CASES.check(first.seed(), 1000, c -> {
                    checked.add(c);
                    assertTrue(c.value() % 10 != 7);
                }));
        assertEquals(List.of(first.value()), checked, "the failing case is the first one checked");
        assertEquals(first.value(), again.value());
        assertEquals(first.seed(), again.seed());
        assertEquals(first.value(), CASES.generate(first.seed()));
    }

    @Test
    void anExceptionFromTheCheckOrTheGeneratorFailsWithTheSeed() {
        Property.PropertyFailure thrown = assertThrows(
                Property.PropertyFailure.class,
                () -> CASES.check(3, 10, c -> {
                    throw new java.io.IOException("disk");
                }));
        assertEquals(3, thrown.seed());
        assertInstanceOf(java.io.IOException.class, thrown.getCause());
        Property<Integer> badGenerator = Property.forAll(random -> {
            throw new IllegalStateException("generator");
        });
        Property.PropertyFailure generating =
                assertThrows(Property.PropertyFailure.class, () -> badGenerator.check(4, 10, v -> {}));
        assertEquals(4, generating.seed());
        assertNull(generating.value());
        assertTrue(generating.getMessage().contains("case: (generating the case failed)"));
    }

    @Test
    void systemPropertiesSetTheSeedAndOverrideTheTries() {
        withProperties(Map.of(Property.SEED_PROPERTY, "5", Property.TRIES_PROPERTY, "7"), () -> {
            List<Case> seen = new ArrayList<>();
            CASES.tries(500).check(seen::add);
            assertEquals(seen(5, 7), seen);
        });
        withProperties(Map.of(Property.SEED_PROPERTY, "random", Property.TRIES_PROPERTY, "3"), () -> {
            List<Case> seen = new ArrayList<>();
            CASES.check(seen::add);
            assertEquals(3, seen.size());
        });
        withProperties(Map.of(Property.SEED_PROPERTY, "five"), () -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CASES.check(c -> {}));
            assertEquals("-Dproperty.seed must be a number or 'random', got 'five'", e.getMessage());
        });
        assertThrows(IllegalArgumentException.class, () -> CASES.tries(0));
    }

    @Test
    void withoutSystemPropertiesTheDefaultSeedMakesEveryRunCheckTheSameCases() {
        withProperties(Map.of(), () -> {
            List<Case> seen = new ArrayList<>();
            Property.forAll(random -> new Case(random.nextInt(1000), random.nextLong()))
                    .check(seen::add);
            assertEquals(seen(Property.DEFAULT_SEED, Property.DEFAULT_TRIES), seen);
        });
    }

    private static void withProperties(Map<String, String> properties, Runnable test) {
        String seed = System.clearProperty(Property.SEED_PROPERTY);
        String tries = System.clearProperty(Property.TRIES_PROPERTY);
        try {
            properties.forEach(System::setProperty);
            test.run();
        } finally {
            restore(Property.SEED_PROPERTY, seed);
            restore(Property.TRIES_PROPERTY, tries);
        }
    }

    private static void restore(String name, String value) {
        if (value == null) {
            System.clearProperty(name);
        } else {
            System.setProperty(name, value);
        }
    }
}
