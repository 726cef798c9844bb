package io.lumadb.security;

/** The caller is known but may not do what it asked (403). */
public final class AccessDeniedException extends RuntimeException {
    public AccessDeniedException(String message) {
        super(message, null, false, false);
    }
}
