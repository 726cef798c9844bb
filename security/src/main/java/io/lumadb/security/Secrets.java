package io.lumadb.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The random ids, random secrets and SHA-256 digests that API keys, refresh tokens and the
 * credential cache are made of, from one {@link SecureRandom}.
 */
public final class Secrets {

    private static final char[] ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final MessageDigest SHA_256 = newSha256();

    private Secrets() {}

    /** {@code length} random lower-case letters and digits: a public id. */
    public static String randomId(int length) {
        StringBuilder id = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            id.append(ID_CHARS[RANDOM.nextInt(ID_CHARS.length)]);
        }
        return id.toString();
    }

    /** {@code bytes} random bytes in unpadded Base64url: a secret. */
    public static String randomBase64Url(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The SHA-256 of {@code parts} one after another, in lower-case hex. */
    public static String sha256Hex(byte[]... parts) {
        MessageDigest sha = sha256();
        for (byte[] part : parts) {
            sha.update(part);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /**
     * A fresh SHA-256 digest, cloned from one made at start: every request with an API key or
     * cached Basic credentials hashes, and looking the algorithm up among the providers each time
     * cost more than the hash itself.
     */
    private static MessageDigest sha256() {
        try {
            return (MessageDigest) SHA_256.clone();
        } catch (CloneNotSupportedException e) {
            return newSha256();
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** The SHA-256 of an ASCII secret, in lower-case hex: what is stored instead of the secret. */
    public static String sha256Hex(String secret) {
        return sha256Hex(secret.getBytes(StandardCharsets.US_ASCII));
    }

    /** Whether two hex digests are equal, in time independent of where they differ. */
    public static boolean sameDigest(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }
}
