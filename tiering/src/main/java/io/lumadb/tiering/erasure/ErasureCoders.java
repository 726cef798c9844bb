package io.lumadb.tiering.erasure;

import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a node gets its {@link ErasureCoder}: {@link #best()} is ISA-L ({@link IsalCoder}) when
 * the system has {@code libisal.so.2}, else the pure Java coder ({@link JavaVectorCoder}). Both
 * write the same bytes, so a node may switch between them (say, after installing the library)
 * without touching a fragment already written. Every coder here is shared and thread-safe.
 */
public final class ErasureCoders {

    private static final Logger log = LoggerFactory.getLogger(ErasureCoders.class);

    private ErasureCoders() {}

    /** The fastest coder this machine has; says once, in the log, which one and why. */
    public static ErasureCoder best() {
        return Best.CODER;
    }

    /** The pure Java coder (needs {@code --add-modules jdk.incubator.vector}). */
    public static ErasureCoder java() {
        return Java.CODER;
    }

    /** The ISA-L coder, or empty when the library cannot be loaded ({@link IsalCoder#unavailableReason()}). */
    public static Optional<ErasureCoder> isal() {
        return IsalCoder.load();
    }

    private static final class Java {
        static final ErasureCoder CODER = create();

        private static ErasureCoder create() {
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                throw new IllegalStateException("the Java erasure coder needs the Vector API: start the JVM with"
                        + " --add-modules jdk.incubator.vector (bin/server does)");
            }
            return new JavaVectorCoder();
        }
    }

    private static final class Best {
        static final ErasureCoder CODER = choose();

        private static ErasureCoder choose() {
            Optional<ErasureCoder> isal = IsalCoder.load();
            if (isal.isPresent()) {
                log.info(
                        "Erasure coder: {} ({} from {})",
                        IsalCoder.NAME,
                        IsalCoder.LIBRARY,
                        ((IsalCoder) isal.get()).location());
                return isal.get();
            }
            log.info(
                    "Erasure coder: {} (ISA-L unavailable: {}; the Java coder writes the same bytes, more slowly;"
                            + " install the Debian package libisal2 for ISA-L)",
                    JavaVectorCoder.NAME,
                    IsalCoder.unavailableReason().orElse("unknown"));
            return java();
        }
    }
}
