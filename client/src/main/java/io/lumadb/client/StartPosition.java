package io.lumadb.client;

/**
 * Where a change stream starts: before every change the server still keeps, at the current end
 * of the stream, or right after a change whose resume token the application stored.
 */
public sealed interface StartPosition {

    /** Every change the server still keeps, oldest first. */
    static StartPosition beginning() {
        return Beginning.INSTANCE;
    }

    /** Only changes made after the stream's first request reached the server. */
    static StartPosition now() {
        return Now.INSTANCE;
    }

    /**
     * Right after the change that carried {@code token} ({@link ChangeEnvelope#token()}), or at
     * a position the server handed out otherwise. Tokens are opaque; the server validates them.
     */
    static StartPosition after(String token) {
        return new After(token);
    }

    /** The value of the {@code from} parameter of the change stream endpoint. */
    String queryValue();

    /** See {@link StartPosition#beginning()}. */
    enum Beginning implements StartPosition {
        INSTANCE;

        @Override
        public String queryValue() {
            return "beginning";
        }
    }

    /** See {@link StartPosition#now()}. */
    enum Now implements StartPosition {
        INSTANCE;

        @Override
        public String queryValue() {
            return "now";
        }
    }

    /** See {@link StartPosition#after(String)}. */
    record After(String token) implements StartPosition {
        public After {
            if (token == null || token.isBlank()) {
                throw new IllegalArgumentException("token must be a resume token from the server, got '" + token + "'");
            }
        }

        @Override
        public String queryValue() {
            return token;
        }
    }
}
