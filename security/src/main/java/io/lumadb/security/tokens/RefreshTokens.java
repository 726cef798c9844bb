package io.lumadb.security.tokens;

import io.lumadb.security.Secrets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The form of LumaDB's refresh tokens: {@code lumart_<family>_<secret>}, where the family id is
 * 16 lower-case letters and digits and the secret 256 random bits in unpadded Base64url. They are
 * opaque to clients; only the SHA-256 of the secret is stored (in the security catalog), which is
 * enough for a secret of 256 random bits. The prefix lets secret scanners recognise a leaked one.
 */
public final class RefreshTokens {

    public static final String PREFIX = "lumart_";

    private static final Pattern FORM = Pattern.compile("lumart_([a-z0-9]{16})_([A-Za-z0-9_-]{43})");

    private RefreshTokens() {}

    /** A refresh token: its family, the whole token for the client, and the hash that is stored. */
    public record Token(String familyId, String token, String secretHash) {}

    /** A new family id. */
    public static String newFamilyId() {
        return Secrets.randomId(16);
    }

    /** A new token of {@code familyId}. */
    public static Token generate(String familyId) {
        String secret = Secrets.randomBase64Url(32);
        return new Token(familyId, PREFIX + familyId + "_" + secret, Secrets.sha256Hex(secret));
    }

    /** A presented token split into its family and the hash of its secret, if it has the form of one. */
    public static Optional<Token> parse(String token) {
        Matcher m = FORM.matcher(token);
        return m.matches()
                ? Optional.of(new Token(m.group(1), token, Secrets.sha256Hex(m.group(2))))
                : Optional.empty();
    }
}
