package io.lumadb.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class ScramTest {

    // RFC 7677, section 3: user "user", password "pencil".
    private static final String CLIENT_FIRST = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
    private static final String SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    private static final String SALT = "W22ZaJ0SNY7soEsUEjb6gQ==";
    private static final String SERVER_FIRST =
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    private static final String CLIENT_FINAL = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    private static final String SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    private static Scram.Verifier pencil() {
        return Scram.derive("pencil", Base64.getDecoder().decode(SALT), 4096);
    }

    @Test
    void theExchangeOfRfc7677IsAnsweredByteForByte() {
        Scram.Exchange exchange = new Scram.Exchange(pencil(), new byte[16], SERVER_NONCE);
        assertEquals(SERVER_FIRST, exchange.clientFirst(CLIENT_FIRST));
        assertEquals(SERVER_FINAL, exchange.clientFinal(CLIENT_FINAL));
    }

    @Test
    void aWrongProofIsAWrongPassword() {
        Scram.Exchange exchange = new Scram.Exchange(pencil(), new byte[16], SERVER_NONCE);
        exchange.clientFirst(CLIENT_FIRST);
        String wrong = CLIENT_FINAL.replace("p=dHzb", "p=dHzc");
        {
            var e = assertThrows(AuthenticationException.class, () -> exchange.clientFinal(wrong));
            assertEquals("wrong user name or password", e.getMessage());
        }
    }

    @Test
    void anUnknownUserGetsTheWholeExchangeAndFailsAtTheEndEvenWithTheRightProof() {
        byte[] fakeSalt = Base64.getDecoder().decode(SALT);
        Scram.Exchange exchange = new Scram.Exchange(null, fakeSalt, SERVER_NONCE);
        assertEquals(SERVER_FIRST, exchange.clientFirst(CLIENT_FIRST));
        assertThrows(AuthenticationException.class, () -> exchange.clientFinal(CLIENT_FINAL));
    }

    @Test
    void aVerifierRoundTripsThroughPostgresqlsTextFormAndAClientWithThePasswordIsAccepted() {
        String encoded = Scram.verifier("correct horse battery");
        assertTrue(encoded.matches("SCRAM-SHA-256\\$4096:[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+"), encoded);
        Scram.Verifier verifier = Scram.Verifier.parse(encoded).orElseThrow();
        assertEquals(encoded, verifier.encode());

        Scram.Exchange exchange = new Scram.Exchange(verifier, new byte[16]);
        String clientFirstBare = "n=,r=abcdefghijklmnop";
        String serverFirst = exchange.clientFirst("n,," + clientFirstBare);
        String nonce = serverFirst.substring(2, serverFirst.indexOf(','));
        String withoutProof = "c=biws,r=" + nonce;
        byte[] auth = (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(StandardCharsets.UTF_8);
        Scram.Verifier client = Scram.derive("correct horse battery", verifier.salt(), verifier.iterations());
        // The client's side, from the password: ClientKey XOR HMAC(StoredKey, AuthMessage).
        byte[] clientKey = clientKeyOf("correct horse battery", verifier.salt());
        byte[] signature = hmac(client.storedKey(), auth);
        byte[] proof = new byte[32];
        for (int i = 0; i < 32; i++) {
            proof[i] = (byte) (clientKey[i] ^ signature[i]);
        }
        String answer =
                exchange.clientFinal(withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof));
        assertEquals("v=" + Base64.getEncoder().encodeToString(hmac(verifier.serverKey(), auth)), answer);
    }

    @Test
    void brokenMessagesAreProtocolErrorsNotCrashes() {
        Scram.Exchange exchange = new Scram.Exchange(pencil(), new byte[16], SERVER_NONCE);
        assertThrows(Scram.ProtocolException.class, () -> exchange.clientFinal(CLIENT_FINAL));
        {
            var e = assertThrows(
                    Scram.ProtocolException.class, () -> exchange.clientFirst("p=tls-server-end-point,,n=,r=x"));
            assertTrue(e.getMessage().contains("channel binding"), e.getMessage());
        }
        assertThrows(Scram.ProtocolException.class, () -> exchange.clientFirst("garbage"));
        assertThrows(Scram.ProtocolException.class, () -> exchange.clientFirst("n,,n=user"));
        exchange.clientFirst(CLIENT_FIRST);
        {
            var e = assertThrows(Scram.ProtocolException.class, () -> exchange.clientFinal("c=biws,r=other,p=AAAA"));
            assertTrue(e.getMessage().contains("nonce"), e.getMessage());
        }
        assertThrows(
                Scram.ProtocolException.class,
                () -> exchange.clientFinal("c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AA"));
        assertThrows(
                Scram.ProtocolException.class,
                () -> exchange.clientFinal(
                        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=!!not base64"));
        assertTrue(Scram.Verifier.parse("md5abc").isEmpty());
        assertTrue(Scram.Verifier.parse(null).isEmpty());
        assertTrue(Scram.Verifier.parse("SCRAM-SHA-256$x:y$z").isEmpty());
    }

    @Test
    void passwordsArePreparedAsPostgresqlPreparesThem() {
        // A no-break space is a space; a soft hyphen is nothing; full-width letters fold (NFKC).
        assertEquals("a bcA", Scram.saslPrep("a\u00A0b\u00ADc\uFF21"));
        // A control character does not prepare: the password is used as given.
        assertEquals("a\u0007b\u00A0", Scram.saslPrep("a\u0007b\u00A0"));
    }

    private static byte[] clientKeyOf(String password, byte[] salt) {
        var pbkdf2 = new org.bouncycastle.crypto.generators.PKCS5S2ParametersGenerator(
                new org.bouncycastle.crypto.digests.SHA256Digest());
        pbkdf2.init(password.getBytes(StandardCharsets.UTF_8), salt, 4096);
        byte[] salted = ((org.bouncycastle.crypto.params.KeyParameter) pbkdf2.generateDerivedParameters(256)).getKey();
        return hmac(salted, "Client Key".getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
