package io.lumadb.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
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
    private static final char[] ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeySecrets() {}

    /** A new key: its id and the whole key as the client will send it. */
    public record NewKey(String id, String key, String secretHash) {}

    public static NewKey generate() {
        StringBuilder id = new StringBuilder(12);
        for (int i = 0; i < 12; i++) {
            id.append(ID_CHARS[RANDOM.nextInt(ID_CHARS.length)]);
        }
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String encoded = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        return new NewKey(id.toString(), PREFIX + id + "_" + encoded, hash(encoded));
    }

    /** A presented key split into id and secret, if it has the form of one. */
    public record Presented(String id, String secret) {}

    public static Optional<Presented> parse(String key) {
        Matcher m = FORM.matcher(key);
        return m.matches() ? Optional.of(new Presented(m.group(1), m.group(2))) : Optional.empty();
    }

    /** Whether {@code secret} is the one whose hash is {@code secretHash} (in constant time). */
    public static boolean matches(String secret, String secretHash) {
        return MessageDigest.isEqual(
                hash(secret).getBytes(StandardCharsets.US_ASCII), secretHash.getBytes(StandardCharsets.US_ASCII));
    }

    static String hash(String secret) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
