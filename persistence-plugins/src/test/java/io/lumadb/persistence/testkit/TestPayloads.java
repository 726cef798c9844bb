package io.lumadb.persistence.testkit;

import java.io.NotSerializableException;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/** Payload types whose serialization the tests control. Bound in {@link TestConfig}. */
public final class TestPayloads {

    private TestPayloads() {}

    /** Bound to no serializer: Pekko cannot serialize it. */
    public record NotBound(String value) {}

    /** Serialized by {@link TestSerializer} with a manifest; round-trips. */
    public record Bound(String value) {}

    /** Its serializer throws when writing. */
    public record ExplodesOnWrite(String value) {}

    /** Written fine, but its serializer throws when reading it back. */
    public record ExplodesOnRead(String value) {}

    /** The serializer of the test payloads (id {@value #ID}). */
    public static final class TestSerializer extends SerializerWithStringManifest {
        public static final int ID = 4_242_001;

        @Override
        public int identifier() {
            return ID;
        }

        @Override
        public String manifest(Object o) {
            return switch (o) {
                case Bound b -> "B";
                case ExplodesOnWrite e -> "W";
                case ExplodesOnRead r -> "R";
                default -> throw new IllegalArgumentException("unexpected " + o.getClass());
            };
        }

        @Override
        public byte[] toBinary(Object o) {
            return switch (o) {
                case Bound b -> b.value().getBytes(StandardCharsets.UTF_8);
                case ExplodesOnRead r -> r.value().getBytes(StandardCharsets.UTF_8);
                case ExplodesOnWrite e -> throw new IllegalStateException("cannot write " + e);
                default -> throw new IllegalArgumentException("unexpected " + o.getClass());
            };
        }

        @Override
        public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
            return switch (manifest) {
                case "B" -> new Bound(new String(bytes, StandardCharsets.UTF_8));
                case "R" -> throw new NotSerializableException("refusing to read ExplodesOnRead");
                default -> throw new NotSerializableException("unknown manifest " + manifest);
            };
        }
    }
}
