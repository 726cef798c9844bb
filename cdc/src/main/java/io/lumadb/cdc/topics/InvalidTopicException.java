package io.lumadb.cdc.topics;

/** A topic name or message that cannot be accepted; the message says why. */
public final class InvalidTopicException extends IllegalArgumentException {

    public InvalidTopicException(String message) {
        super(message);
    }
}
