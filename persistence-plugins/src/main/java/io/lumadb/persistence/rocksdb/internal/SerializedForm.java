package io.lumadb.persistence.rocksdb.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

/**
 * An object serialized with Pekko serialization, together with what it takes to read it back: the
 * serializer id and the manifest. Storing both (instead of relying on the class binding at read
 * time) keeps old values readable when bindings change.
 *
 * <p>Byte layout, all integers big-endian:
 *
 * <pre>
 *   int32   serializer id
 *   uint16  manifest length n
 *   n bytes manifest, UTF-8
 *   int32   payload length m
 *   m bytes payload (the serializer's bytes)
 * </pre>
 *
 * @param serializerId the Pekko serializer identifier
 * @param manifest the serializer's manifest for the object, empty if it uses none
 * @param bytes the serialized object
 */
public record SerializedForm(int serializerId, String manifest, byte[] bytes) {

    private static final int MAX_MANIFEST_BYTES = 0xFFFF;

    /**
     * Serializes {@code object} with the serializer bound to its class.
     *
     * @throws Exception whatever the serializer throws, e.g. {@link java.io.NotSerializableException}
     *     when no serializer is bound to the class
     */
    public static SerializedForm of(Serialization serialization, Object object) throws Exception {
        Serializer serializer = serialization.findSerializerFor(object);
        String manifest = Serializers.manifestFor(serializer, object);
        // serialize() (rather than serializer.toBinary) sets the transport information that
        // serializers of ActorRefs need.
        byte[] bytes = serialization.serialize(object).get();
        if (manifest.getBytes(StandardCharsets.UTF_8).length > MAX_MANIFEST_BYTES) {
            throw new IllegalArgumentException(
                    "manifest of " + object.getClass().getName() + " is longer than " + MAX_MANIFEST_BYTES + " bytes");
        }
        return new SerializedForm(serializer.identifier(), manifest, bytes);
    }

    /** The number of bytes {@link #writeTo} writes. */
    public int encodedLength() {
        return 4 + 2 + manifest.getBytes(StandardCharsets.UTF_8).length + 4 + bytes.length;
    }

    /** Appends this form to {@code buffer}. */
    public void writeTo(ByteBuffer buffer) {
        byte[] manifestBytes = manifest.getBytes(StandardCharsets.UTF_8);
        buffer.putInt(serializerId);
        buffer.putShort((short) manifestBytes.length);
        buffer.put(manifestBytes);
        buffer.putInt(bytes.length);
        buffer.put(bytes);
    }

    /** Reads a form written by {@link #writeTo}, advancing {@code buffer} past it. */
    public static SerializedForm readFrom(ByteBuffer buffer) {
        int serializerId = buffer.getInt();
        byte[] manifestBytes = new byte[Short.toUnsignedInt(buffer.getShort())];
        buffer.get(manifestBytes);
        int length = buffer.getInt();
        if (length < 0 || length > buffer.remaining()) {
            throw new IllegalArgumentException(
                    "payload length " + length + " exceeds the " + buffer.remaining() + " bytes left");
        }
        byte[] bytes = new byte[length];
        buffer.get(bytes);
        return new SerializedForm(serializerId, new String(manifestBytes, StandardCharsets.UTF_8), bytes);
    }

    /**
     * Deserializes the object.
     *
     * @throws Exception whatever the serializer throws
     */
    public Object deserialize(Serialization serialization) throws Exception {
        return serialization.deserialize(bytes, serializerId, manifest).get();
    }
}
