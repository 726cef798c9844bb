package io.lumadb.testkit;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import org.junit.platform.commons.annotation.Testable;

/**
 * A seeded property test for plain JUnit 5: generates a case from a random generator, checks it,
 * and does so a number of times, each case from its own seed. A failure names the case's seed,
 * the case, and the command-line option that reruns exactly that case first.
 *
 * <pre>{@code
 * Property.forAll(random -> random.nextInt(100)).tries(500).check(n -> assertTrue(n < 100));
 * }</pre>
 *
 * <p>Seeds: the first case's seed is the base seed, each further one comes from a {@link
 * SplittableRandom} seeded with it, so {@code -Dproperty.seed=<a failing case's seed>} makes that
 * case the first one. The base seed is fixed by default, so every run (and CI) checks the same
 * cases; {@code -Dproperty.seed=random} explores new ones (the seed is printed). {@code
 * -Dproperty.tries=N} overrides every property's number of tries.
 *
 * @param <T> the generated case; its {@code toString} is what a failure prints
 */
public final class Property<T> {

    /** The system property that sets the base seed: a number, or {@code random}. */
    public static final String SEED_PROPERTY = "property.seed";
    /** The system property that overrides every property's number of tries. */
    public static final String TRIES_PROPERTY = "property.tries";
    /** The base seed when {@value #SEED_PROPERTY} is not set. */
    public static final long DEFAULT_SEED = 20261202L;
    /** The number of tries when neither the property nor {@value #TRIES_PROPERTY} sets one. */
    public static final int DEFAULT_TRIES = 100;

    /** At most this many characters of a case are printed. */
    private static final int MAX_CASE_CHARS = 4_000;

    /** A check of one case: it fails by throwing (an assertion or any other exception). */
    @FunctionalInterface
    public interface Check<T> {
        void check(T value) throws Exception;
    }

    private final Function<RandomGenerator, ? extends T> generator;
    private int tries = DEFAULT_TRIES;

    private Property(Function<RandomGenerator, ? extends T> generator) {
        this.generator = Objects.requireNonNull(generator, "generator");
    }

    /** A property over the cases {@code generator} makes; it must use only the generator given. */
    public static <T> Property<T> forAll(Function<RandomGenerator, ? extends T> generator) {
        return new Property<>(generator);
    }

    /** How many cases to check unless {@value #TRIES_PROPERTY} says otherwise. */
    public Property<T> tries(int tries) {
        if (tries < 1) {
            throw new IllegalArgumentException("tries must be at least 1, got " + tries);
        }
        this.tries = tries;
        return this;
    }

    /**
     * Checks the property on each case, with the seed and tries from the system properties.
     *
     * @throws PropertyFailure on the first case that fails
     */
    public void check(Check<? super T> property) {
        String seed = System.getProperty(SEED_PROPERTY, "").strip();
        long base;
        if (seed.isEmpty()) {
            base = DEFAULT_SEED;
        } else if (seed.equals("random")) {
            base = new SplittableRandom().nextLong();
            System.out.println("property seed " + base + " (rerun with -D" + SEED_PROPERTY + "=" + base + ")");
        } else {
            base = parse(SEED_PROPERTY, seed);
        }
        String override = System.getProperty(TRIES_PROPERTY, "").strip();
        int n = override.isEmpty() ? tries : Math.toIntExact(parse(TRIES_PROPERTY, override));
        check(base, n, property);
    }

    /** Checks {@code tries} cases from {@code base}, ignoring the system properties. */
    void check(long base, int tries, Check<? super T> property) {
        SplittableRandom seeds = new SplittableRandom(base);
        for (int i = 0; i < tries; i++) {
            long seed = i == 0 ? base : seeds.nextLong();
            T value = null;
            try {
                value = generator.apply(new SplittableRandom(seed));
                property.check(value);
            } catch (Exception | AssertionError e) {
                throw new PropertyFailure(seed, i + 1, tries, value, testMethod(), e);
            }
        }
    }

    /** The case {@code seed} generates: what a failure at that seed printed. */
    public T generate(long seed) {
        return generator.apply(new SplittableRandom(seed));
    }

    private static long parse(String name, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + name + " must be a number"
                    + (name.equals(SEED_PROPERTY) ? " or 'random'" : "") + ", got '" + value + "'");
        }
    }

    /** The test method that checked the property ({@code Class#method}), for the rerun hint; or null. */
    private static String testMethod() {
        return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                .walk(frames -> frames.filter(Property::isTest)
                        .findFirst()
                        .map(f -> f.getDeclaringClass().getSimpleName() + "#" + f.getMethodName())
                        .orElse(null));
    }

    /** Whether a frame runs a JUnit test: its method carries an annotation that is, or is made of, {@code @Testable}. */
    private static boolean isTest(StackWalker.StackFrame frame) {
        Method method;
        try {
            method = frame.getDeclaringClass()
                    .getDeclaredMethod(
                            frame.getMethodName(), frame.getMethodType().parameterArray());
        } catch (NoSuchMethodException e) {
            return false; // a constructor or an initialiser
        }
        for (Annotation a : method.getAnnotations()) {
            if (a.annotationType().isAnnotationPresent(Testable.class)) {
                return true;
            }
            for (Annotation meta : a.annotationType().getAnnotations()) {
                if (meta.annotationType().isAnnotationPresent(Testable.class)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * A case for which a property does not hold: its seed, the case, and how to rerun it. The
     * check's own failure is the cause.
     */
    public static final class PropertyFailure extends AssertionError {

        private final long seed;
        private final transient Object value;

        PropertyFailure(long seed, int attempt, int tries, Object value, String test, Throwable cause) {
            super(message(seed, attempt, tries, value, test, cause), cause);
            this.seed = seed;
            this.value = value;
        }

        /** The seed of the failing case: {@code -Dproperty.seed=} it reruns the case first. */
        public long seed() {
            return seed;
        }

        /** The failing case, or null if generating it failed. */
        public Object value() {
            return value;
        }

        private static String message(long seed, int attempt, int tries, Object value, String test, Throwable cause) {
            String shown = value == null ? "(generating the case failed)" : String.valueOf(value);
            if (shown.length() > MAX_CASE_CHARS) {
                shown = shown.substring(0, MAX_CASE_CHARS) + "... (" + shown.length() + " characters)";
            }
            Path module = Path.of(System.getProperty("user.dir")).getFileName();
            return "property failed on try " + attempt + " of " + tries + " with seed " + seed + "\n"
                    + "case: " + shown + "\n"
                    + "failure: " + cause + "\n"
                    + "rerun this case: mvn -B test -pl " + (module == null ? "<module>" : module) + " -am"
                    + (test == null ? "" : " -Dtest=" + test)
                    + " -D" + SEED_PROPERTY + "=" + seed + " -D" + TRIES_PROPERTY + "=1";
        }
    }
}
