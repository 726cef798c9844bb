package io.lumadb.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.text.Normalizer;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.PKCS5S2ParametersGenerator;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677), the password exchange of the PostgreSQL protocol: the
 * client proves it knows the password without sending it, and the server proves it holds the
 * user's verifier. A user's verifier is made when its password is set, next to its Argon2id hash
 * (which SCRAM cannot use), in PostgreSQL's format {@code
 * SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>}. Channel binding is not offered
 * (the protocol port has no TLS).
 *
 * <p>Written here rather than taken from a library: the exchange is three short messages over
 * HMAC-SHA-256 and PBKDF2 from the JDK and Bouncy Castle, and the maintained SCRAM libraries for
 * Java are client-side.
 */
public final class Scram {

    public static final String MECHANISM = "SCRAM-SHA-256";

    /** PBKDF2 iterations of new verifiers, PostgreSQL's default. */
    public static final int ITERATIONS = 4096;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    private Scram() {}

    /** What the server keeps of a password: enough to check a proof, not enough to make one. */
    public record Verifier(int iterations, byte[] salt, byte[] storedKey, byte[] serverKey) {

        /** PostgreSQL's text form. */
        public String encode() {
            return MECHANISM + "$" + iterations + ":" + B64.encodeToString(salt) + "$" + B64.encodeToString(storedKey)
                    + ":" + B64.encodeToString(serverKey);
        }

        /** The verifier in {@code encoded}; empty if it is null or not a SCRAM-SHA-256 verifier. */
        public static Optional<Verifier> parse(String encoded) {
            if (encoded == null || !encoded.startsWith(MECHANISM + "$")) {
                return Optional.empty();
            }
            String[] parts = encoded.substring(MECHANISM.length() + 1).split("\\$");
            if (parts.length != 2) {
                return Optional.empty();
            }
            String[] iterSalt = parts[0].split(":");
            String[] keys = parts[1].split(":");
            if (iterSalt.length != 2 || keys.length != 2) {
                return Optional.empty();
            }
            try {
                return Optional.of(new Verifier(
                        Integer.parseInt(iterSalt[0]),
                        B64D.decode(iterSalt[1]),
                        B64D.decode(keys[0]),
                        B64D.decode(keys[1])));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
    }

    /** A new verifier of {@code password}, with a fresh random salt, encoded. */
    public static String verifier(String password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return derive(password, salt, ITERATIONS).encode();
    }

    /** The verifier of {@code password} with {@code salt}. */
    static Verifier derive(String password, byte[] salt, int iterations) {
        PKCS5S2ParametersGenerator pbkdf2 = new PKCS5S2ParametersGenerator(new SHA256Digest());
        pbkdf2.init(saslPrep(password).getBytes(StandardCharsets.UTF_8), salt, iterations);
        byte[] salted = ((KeyParameter) pbkdf2.generateDerivedParameters(256)).getKey();
        byte[] clientKey = hmac(salted, "Client Key");
        return new Verifier(iterations, salt, sha256(clientKey), hmac(salted, "Server Key"));
    }

    /**
     * SASLprep (RFC 4013) as PostgreSQL applies it to passwords: non-ASCII spaces become spaces,
     * characters "mapped to nothing" go, then NFKC. Like PostgreSQL, a password that does not
     * prepare cleanly (prohibited characters) is used as it is.
     */
    static String saslPrep(String password) {
        StringBuilder mapped = new StringBuilder(password.length());
        for (int i = 0; i < password.length(); ) {
            int c = password.codePointAt(i);
            i += Character.charCount(c);
            if (mappedToNothing(c)) {
                continue;
            }
            mapped.appendCodePoint(c != ' ' && Character.isSpaceChar(c) ? ' ' : c);
        }
        String prepared = Normalizer.normalize(mapped, Normalizer.Form.NFKC);
        for (int i = 0; i < prepared.length(); ) {
            int c = prepared.codePointAt(i);
            i += Character.charCount(c);
            if (Character.isISOControl(c) || (c >= 0xE000 && c <= 0xF8FF) || (c >= 0xFFF9 && c <= 0xFFFD)) {
                return password;
            }
        }
        return prepared;
    }

    private static boolean mappedToNothing(int c) {
        return c == 0x00AD
                || c == 0x034F
                || c == 0x1806
                || (c >= 0x180B && c <= 0x180D)
                || (c >= 0x200B && c <= 0x200D)
                || c == 0x2060
                || (c >= 0xFE00 && c <= 0xFE0F)
                || c == 0xFEFF;
    }

    /** Thrown when a client's message breaks the exchange (not a wrong password: see {@link Exchange#clientFinal}). */
    public static final class ProtocolException extends RuntimeException {
        ProtocolException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The server's side of one login. A login as an unknown user, or as one without a verifier,
     * runs the whole exchange with a made-up verifier and fails only at the end, as a wrong
     * password does, so that the exchange does not tell which users exist.
     */
    public static final class Exchange {
        private final Verifier verifier;
        private final boolean real;
        private final String serverNonce;
        private String clientFirstBare;
        private String serverFirst;
        private String nonce;
        private String gs2Header;

        /** @param verifier the user's, or null for a login that must fail */
        public Exchange(Verifier verifier, byte[] fakeSalt) {
            this(verifier, fakeSalt, Secrets.randomBase64Url(18));
        }

        Exchange(Verifier verifier, byte[] fakeSalt, String serverNonce) {
            this.real = verifier != null;
            byte[] noKey = new byte[32];
            RANDOM.nextBytes(noKey);
            this.verifier = verifier != null ? verifier : new Verifier(ITERATIONS, fakeSalt, noKey, noKey);
            this.serverNonce = serverNonce;
        }

        /** Takes {@code client-first-message} and answers {@code server-first-message}. */
        public String clientFirst(String message) {
            if (serverFirst != null) {
                throw new ProtocolException("the SCRAM exchange has already started");
            }
            // gs2-header: "n,," (no channel binding) or "y,," (client could but thinks we cannot);
            // "p=..." asks for channel binding, which is not offered.
            if (message.startsWith("p=")) {
                throw new ProtocolException("channel binding is not supported; use SCRAM-SHA-256 without it");
            }
            if (!message.startsWith("n,") && !message.startsWith("y,")) {
                throw new ProtocolException("malformed SCRAM client-first-message");
            }
            int second = message.indexOf(',', 2);
            if (second < 0) {
                throw new ProtocolException("malformed SCRAM client-first-message");
            }
            gs2Header = message.substring(0, second + 1);
            clientFirstBare = message.substring(second + 1);
            String clientNonce = attribute(clientFirstBare, 'r');
            if (clientNonce == null || clientNonce.isEmpty()) {
                throw new ProtocolException("the SCRAM client-first-message has no nonce");
            }
            if (clientFirstBare.startsWith("m=")) {
                throw new ProtocolException("SCRAM extensions are not supported");
            }
            nonce = clientNonce + serverNonce;
            serverFirst = "r=" + nonce + ",s=" + B64.encodeToString(verifier.salt()) + ",i=" + verifier.iterations();
            return serverFirst;
        }

        /**
         * Takes {@code client-final-message}; answers {@code server-final-message} if the proof
         * matches, else throws {@link AuthenticationException}.
         */
        public String clientFinal(String message) {
            if (serverFirst == null) {
                throw new ProtocolException("the SCRAM exchange has not started");
            }
            int proofAt = message.lastIndexOf(",p=");
            if (proofAt < 0) {
                throw new ProtocolException("the SCRAM client-final-message has no proof");
            }
            String withoutProof = message.substring(0, proofAt);
            String binding = attribute(withoutProof, 'c');
            String echoed = attribute(withoutProof, 'r');
            if (binding == null || !binding.equals(B64.encodeToString(gs2Header.getBytes(StandardCharsets.UTF_8)))) {
                throw new ProtocolException("the SCRAM channel binding does not match the client-first-message");
            }
            if (!nonce.equals(echoed)) {
                throw new ProtocolException("the SCRAM nonce does not match");
            }
            byte[] proof;
            try {
                proof = B64D.decode(message.substring(proofAt + 3));
            } catch (IllegalArgumentException e) {
                throw new ProtocolException("the SCRAM proof is not Base64");
            }
            String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
            byte[] authBytes = authMessage.getBytes(StandardCharsets.UTF_8);
            byte[] signature = hmac(verifier.storedKey(), authBytes);
            if (proof.length != signature.length) {
                throw new AuthenticationException("wrong user name or password");
            }
            byte[] clientKey = new byte[proof.length];
            for (int i = 0; i < proof.length; i++) {
                clientKey[i] = (byte) (proof[i] ^ signature[i]);
            }
            if (!MessageDigest.isEqual(sha256(clientKey), verifier.storedKey()) || !real) {
                throw new AuthenticationException("wrong user name or password");
            }
            return "v=" + B64.encodeToString(hmac(verifier.serverKey(), authBytes));
        }

        private static String attribute(String message, char name) {
            for (String part : message.split(",")) {
                if (part.length() >= 2 && part.charAt(0) == name && part.charAt(1) == '=') {
                    return part.substring(2);
                }
            }
            return null;
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        return hmac(key, data.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
