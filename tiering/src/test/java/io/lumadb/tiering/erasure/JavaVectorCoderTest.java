package io.lumadb.tiering.erasure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The Java (Vector API) coder against the contract, which checks its kernels against per-byte arithmetic. */
class JavaVectorCoderTest extends ErasureCoderContractTest {

    private static final JavaVectorCoder CODER = new JavaVectorCoder();

    @Override
    ErasureCoder coder() {
        return CODER;
    }

    @Test
    void isNamedJavaVector() {
        assertEquals("java-vector", CODER.name());
        assertEquals("java-vector", ErasureCoders.java().name());
    }
}
