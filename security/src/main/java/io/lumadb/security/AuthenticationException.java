package io.lumadb.security;

/** The caller did not prove who it is: no credentials, or credentials that do not hold (401). */
public final class AuthenticationException extends RuntimeException {
    public AuthenticationException(String message) {
        super(message, null, false, false);
    }
}
