package io.lumadb.tiering.erasure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/** Which coder a node gets. */
class ErasureCodersTest {

    @Test
    void bestIsIsaLWhenItLoadsAndTheJavaCoderOtherwise() {
        String expected = IsalCoder.load().isPresent() ? "isa-l" : "java-vector";
        assertEquals(expected, ErasureCoders.best().name());
        assertEquals(IsalCoder.load().isPresent(), ErasureCoders.isal().isPresent());
        assertEquals(IsalCoder.load().isPresent(), IsalCoder.unavailableReason().isEmpty());
    }

    @Test
    void coderAreSharedInstances() {
        assertSame(ErasureCoders.best(), ErasureCoders.best());
        assertSame(ErasureCoders.java(), ErasureCoders.java());
    }
}
