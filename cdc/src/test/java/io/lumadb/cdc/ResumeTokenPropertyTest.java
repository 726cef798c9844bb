package io.lumadb.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.testkit.Property;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * A resume token's encoding: every position survives the trip through its string exactly, so a
 * client that resumes neither rewinds nor skips; and no cut-off or damaged string passes for a
 * different position. (That a stream's positions advance without rewinding or skipping is {@link
 * ChangeStreamPositionPropertyTest}.) A failure prints the case and its seed; {@code
 * -Dproperty.seed=} that seed reruns it.
 */
class ResumeTokenPropertyTest {

    private static final HexFormat HEX = HexFormat.of();

    @Test
    void everyTokenDecodesToItselfAndHasOneSpelling() {
        Property.forAll(r -> token(r, 1 + r.nextInt(r.nextInt(8) == 0 ? 4096 : 8)))
                .tries(2_000)
                .check(token -> {
                    String encoded = token.encode();
                    assertTrue(encoded.matches("[A-Za-z0-9_-]+"), encoded);
                    ResumeToken decoded = ResumeToken.decode(encoded);
                    assertEquals(token, decoded);
                    assertEquals(token.incarnation(), decoded.incarnation());
                    assertTrue(Arrays.equals(token.seqs(), decoded.seqs()));
                    assertTrue(Arrays.equals(token.skips(), decoded.skips()));
                    assertEquals(encoded, decoded.encode(), "one spelling per position");
                });
    }

    /** A token cut short (a truncated copy and paste) is refused, never read as an earlier position. */
    @Test
    void everyProperPrefixOfATokenIsRefused() {
        Property.forAll(r -> token(r, 1 + r.nextInt(6))).tries(500).check(token -> {
            String encoded = token.encode();
            for (int n = 0; n < encoded.length(); n++) {
                String prefix = encoded.substring(0, n);
                assertThrows(IllegalArgumentException.class, () -> ResumeToken.decode(prefix), prefix);
            }
        });
    }

    record Damaged(ResumeToken token, String damaged) {}

    /**
     * Damaged bytes are refused with {@link IllegalArgumentException} (the stream answers 400),
     * never another exception; what does decode is a position a stream can have (no sequence
     * number before the beginning) and re-encodes to a string that decodes to it again.
     */
    @Test
    void aDamagedTokenIsRefusedWithAReasonOrReadsAsAStablePosition() {
        Property.forAll(r -> {
                    ResumeToken token = token(r, 1 + r.nextInt(6));
                    byte[] bytes = Base64.getUrlDecoder().decode(token.encode());
                    int changes = 1 + r.nextInt(3);
                    for (int i = 0; i < changes; i++) {
                        int at = r.nextInt(bytes.length);
                        switch (r.nextInt(3)) {
                            case 0 -> bytes[at] ^= (byte) (1 << r.nextInt(8));
                            case 1 -> bytes[at] = (byte) r.nextInt(256);
                            default -> {
                                byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
                                System.arraycopy(bytes, at, longer, at + 1, bytes.length - at);
                                longer[at] = (byte) r.nextInt(256);
                                bytes = longer;
                            }
                        }
                    }
                    return new Damaged(
                            token, Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
                })
                .tries(3_000)
                .check(d -> {
                    ResumeToken decoded;
                    try {
                        decoded = ResumeToken.decode(d.damaged());
                    } catch (IllegalArgumentException refused) {
                        assertTrue(refused.getMessage().contains("resume token"), refused.getMessage());
                        return;
                    }
                    assertEquals(decoded, ResumeToken.decode(decoded.encode()));
                    for (long seq : decoded.seqs()) {
                        assertTrue(seq >= ResumeToken.EARLIEST, "a position before the beginning: " + seq);
                    }
                });
    }

    /**
     * A random position: per shard the beginning, or a sequence number (small, or up to the
     * largest a journal can hand out) and, past the beginning, a count of changes of the next
     * event already delivered.
     */
    static ResumeToken token(RandomGenerator r, int shards) {
        long[] seqs = new long[shards];
        int[] skips = new int[shards];
        for (int i = 0; i < shards; i++) {
            seqs[i] = switch (r.nextInt(5)) {
                case 0 -> ResumeToken.EARLIEST;
                case 1 -> r.nextLong(0, 200);
                case 2 -> r.nextLong(0, Long.MAX_VALUE);
                case 3 -> Long.MAX_VALUE - r.nextInt(2);
                default -> r.nextLong(0, 1L << (7 * r.nextInt(1, 9))); // varints of 1 to 8 bytes
            };
            skips[i] = seqs[i] == ResumeToken.EARLIEST
                    ? 0
                    : switch (r.nextInt(4)) {
                        case 0, 1 -> 0;
                        case 2 -> r.nextInt(1, 200);
                        default -> r.nextInt(0, Integer.MAX_VALUE) + r.nextInt(2);
                    };
        }
        long incarnation =
                switch (r.nextInt(4)) {
                    case 0 -> r.nextLong(0, 1000);
                    case 1 -> r.nextLong();
                    case 2 -> r.nextBoolean() ? Long.MAX_VALUE : Long.MIN_VALUE;
                    default -> System.currentTimeMillis() * 1000 + r.nextInt(1000);
                };
        return new ResumeToken(incarnation, seqs, skips);
    }
}
