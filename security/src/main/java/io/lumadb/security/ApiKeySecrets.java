package io.lumadb.security;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The form of API keys: {@code luma_<id>_<secret>}, where the id is 12 lower-case letters and
 * digits (public: it names the key in listings, logs and revocations) and the secret is 256
 * random bits in unpadded Base64url (43 characters). The {@code luma_} prefix makes a leaked key
 * easy to recognise for secret scanners. Only the SHA-256 of the secret is stored: a secret of
 * 256 random bits cannot be guessed, so a slow password hash would only slow every request.
 */
public final class ApiKeySecrets {

    /** What every key starts with. */
    public static final String PREFIX = "luma_";

    private static final Pattern FORM = Pattern.compile("luma_([a-z0-9]{12})_([A-Za-z0-9_-]{43})");

    private ApiKeySecrets() {}

    /** A new key: its id and the whole key as the client will send it. */
    public record NewKey(String id, String key, String secretHash) {}

    public static NewKey generate() {
        String id = Secrets.randomId(12);
        String secret = Secrets.randomBase64Url(32);
        return new NewKey(id, PREFIX + id + "_" + secret, Secrets.sha256Hex(secret));
    }

    /** A presented key split into id and secret, if it has the form of one. */
    public record Presented(String id, String secret) {}

    public static Optional<Presented> parse(String key) {
        Matcher m = FORM.matcher(key);
        return m.matches() ? Optional.of(new Presented(m.group(1), m.group(2))) : Optional.empty();
    }

    /** Whether {@code secret} is the one whose hash is {@code secretHash} (in constant time). */
    public static boolean matches(String secret, String secretHash) {
        return Secrets.sameDigest(Secrets.sha256Hex(secret), secretHash);
    }
}
