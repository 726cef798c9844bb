package io.lumadb.tiering;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.CborSerializable;
import io.lumadb.shards.model.DocumentJson;
import java.time.Duration;
import java.time.format.DateTimeParseException;

/**
 * When a collection's documents become cold: {@code idleFor} (not written for that long), or
 * {@code olderThan} with {@code timePath} (the value at that JSON pointer, an ISO-8601 instant or
 * epoch milliseconds, lies further in the past than that). With both, a document is cold when
 * either holds.
 *
 * @param idleForMillis 0: no idle rule
 * @param timePath a JSON pointer such as {@code /createdAt}, or null
 * @param olderThanMillis with {@code timePath}; 0 otherwise
 */
public record Policy(long idleForMillis, String timePath, long olderThanMillis) implements CborSerializable {

    public Policy {
        if (idleForMillis < 0 || olderThanMillis < 0) {
            throw new IllegalArgumentException("ages must not be negative");
        }
        if ((timePath == null) != (olderThanMillis == 0)) {
            throw new IllegalArgumentException("timePath and olderThan go together");
        }
        if (timePath == null && idleForMillis == 0) {
            throw new IllegalArgumentException("a policy needs idleFor, or timePath with olderThan");
        }
    }

    /**
     * Reads {@code {"idleFor": "30d"}} and/or {@code {"timePath": "/ts", "olderThan": "90d"}};
     * ages are {@code <n>ms|s|m|h|d} or ISO-8601 durations ({@code P30D}).
     *
     * @throws PolicyException naming the field at fault
     */
    public static Policy parse(JsonNode body) {
        if (!(body instanceof ObjectNode object)) {
            throw new PolicyException("/policy", "a policy is an object such as {\"idleFor\": \"30d\"}");
        }
        var names = object.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!name.equals("idleFor") && !name.equals("timePath") && !name.equals("olderThan")) {
                throw new PolicyException(
                        "/policy/" + name, "unknown policy field '" + name + "' (idleFor, timePath, olderThan)");
            }
        }
        long idle = object.has("idleFor") ? age(object.get("idleFor"), "/policy/idleFor") : 0;
        String path = null;
        if (object.has("timePath")) {
            JsonNode p = object.get("timePath");
            if (!p.isTextual() || !p.asText().startsWith("/") || p.asText().length() < 2) {
                throw new PolicyException("/policy/timePath", "timePath must be a JSON pointer such as \"/createdAt\"");
            }
            path = p.asText();
        }
        long older = object.has("olderThan") ? age(object.get("olderThan"), "/policy/olderThan") : 0;
        if ((path == null) != (older == 0)) {
            throw new PolicyException(
                    path == null ? "/policy/timePath" : "/policy/olderThan", "timePath and olderThan go together");
        }
        if (path == null && idle == 0) {
            throw new PolicyException("/policy", "a policy needs idleFor, or timePath with olderThan");
        }
        return new Policy(idle, path, older);
    }

    /** A duration of at least one millisecond. */
    static long age(JsonNode node, String pointer) {
        if (!node.isTextual()) {
            throw new PolicyException(pointer, "an age is a string such as \"30d\", \"12h\" or \"P30D\"");
        }
        String text = node.asText().trim();
        long millis;
        try {
            if (text.startsWith("P") || text.startsWith("p")) {
                millis = Duration.parse(text).toMillis();
            } else {
                int unitAt = 0;
                while (unitAt < text.length() && Character.isDigit(text.charAt(unitAt))) {
                    unitAt++;
                }
                long n = Long.parseLong(text.substring(0, unitAt));
                millis = switch (text.substring(unitAt)) {
                    case "ms" -> n;
                    case "s" -> Math.multiplyExact(n, 1000L);
                    case "m" -> Math.multiplyExact(n, 60_000L);
                    case "h" -> Math.multiplyExact(n, 3_600_000L);
                    case "d" -> Math.multiplyExact(n, 86_400_000L);
                    default -> throw new NumberFormatException();
                };
            }
        } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
            throw new PolicyException(pointer, "'" + text + "' is not an age such as \"30d\", \"12h\" or \"P30D\"");
        }
        if (millis < 1) {
            throw new PolicyException(pointer, "an age must be at least 1ms, was '" + text + "'");
        }
        return millis;
    }

    /** The policy as the API shows it. */
    public ObjectNode toJson() {
        ObjectNode out = DocumentJson.mapper().createObjectNode();
        if (idleForMillis > 0) {
            out.put("idleFor", Duration.ofMillis(idleForMillis).toString());
        }
        if (timePath != null) {
            out.put("timePath", timePath);
            out.put("olderThan", Duration.ofMillis(olderThanMillis).toString());
        }
        return out;
    }

    /** A policy or a move request that cannot be accepted; {@code pointer} names the field. */
    public static final class PolicyException extends IllegalArgumentException {
        private final String pointer;

        public PolicyException(String pointer, String message) {
            super(message);
            this.pointer = pointer;
        }

        public String pointer() {
            return pointer;
        }
    }
}
