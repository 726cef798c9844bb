package io.lumadb.security;

import io.lumadb.security.SecurityCatalogEntity.Outcome;

/** The security catalog refused a change; {@link #outcome()} says why. */
public final class SecurityCatalogException extends RuntimeException {
    private final Outcome outcome;

    public SecurityCatalogException(Outcome outcome, String message) {
        super(message, null, false, false);
        this.outcome = outcome;
    }

    public Outcome outcome() {
        return outcome;
    }
}
