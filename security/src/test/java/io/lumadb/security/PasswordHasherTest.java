package io.lumadb.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PasswordHasherTest {

    private final PasswordHasher cheap = new PasswordHasher(new PasswordHasher.Cost(1024, 1, 1));

    @Test
    void aHashVerifiesItsPasswordAndNoOther() {
        String hash = cheap.hash("correct horse battery staple");
        assertTrue(PasswordHasher.verify("correct horse battery staple", hash));
        assertFalse(PasswordHasher.verify("correct horse battery stapler", hash));
        assertFalse(PasswordHasher.verify("", hash));
    }

    @Test
    void hashesArePhcStringsWithTheirCostAndAFreshSalt() {
        String a = cheap.hash("pässwörd-ü");
        String b = cheap.hash("pässwörd-ü");
        assertTrue(a.startsWith("$argon2id$v=19$m=1024,t=1,p=1$"), a);
        assertNotEquals(a, b, "every hash has its own salt");
        assertTrue(PasswordHasher.verify("pässwörd-ü", b));
    }

    @Test
    void theDefaultCostIsOwaspsAndVerifies() {
        PasswordHasher standard = new PasswordHasher(PasswordHasher.DEFAULT);
        String hash = standard.hash("a password");
        assertTrue(hash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$"), hash);
        assertTrue(PasswordHasher.verify("a password", hash));
    }

    @Test
    void aHashKeepsVerifyingAfterTheCostChanges() {
        String old = cheap.hash("secret-password");
        PasswordHasher stronger = new PasswordHasher(new PasswordHasher.Cost(2048, 2, 1));
        assertTrue(PasswordHasher.verify("secret-password", old));
        assertTrue(stronger.hash("x1234567").contains("m=2048,t=2"));
    }

    @Test
    void anythingThatIsNotAnArgon2idHashNeverVerifies() {
        String good = cheap.hash("pw123456");
        for (String bad : new String[] {
            null,
            "",
            "plain",
            "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
            "$argon2id$v=16$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
            "$argon2id$v=19$m=x,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
            "$argon2id$v=19$q=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
            "$argon2id$v=19$m=1024,t=1,p=1$!!!$aGFzaA",
            good.substring(0, good.length() - 2) + (good.endsWith("AA") ? "AB" : "AA")
        }) {
            assertFalse(PasswordHasher.verify("pw123456", bad), String.valueOf(bad));
        }
        assertEquals(6, good.split("\\$").length);
    }
}
