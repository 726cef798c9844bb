package io.lumadb.shards.query;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A parsed JQL filter. The records are the syntax tree the planner inspects; {@link #matches}
 * evaluates it against one document.
 */
public sealed interface Filter {

    /** True if {@code doc} satisfies this filter; long evaluations check {@code deadline}. */
    boolean matches(JsonNode doc, Deadline deadline);

    /**
     * Parses {@code filter}, found at JSON Pointer {@code pointer} of the request (e.g. {@code
     * /filter}). Invalid input is a {@link QueryException} naming the exact offending part.
     */
    static Filter parse(JsonNode filter, String pointer, QueryLimits limits) {
        return new FilterParser(limits).parseFilter(filter, pointer, 1);
    }

    /** The empty filter {@code {}}: matches every document. */
    record All() implements Filter {
        @Override
        public boolean matches(JsonNode doc, Deadline deadline) {
            return true;
        }
    }

    /** All of {@code filters} match ({@code $and}, or several keys in one filter object). */
    record And(List<Filter> filters) implements Filter {
        public And {
            filters = List.copyOf(filters);
        }

        @Override
        public boolean matches(JsonNode doc, Deadline deadline) {
            for (Filter f : filters) {
                if (!f.matches(doc, deadline)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Some of {@code filters} match ({@code $or}). */
    record Or(List<Filter> filters) implements Filter {
        public Or {
            filters = List.copyOf(filters);
        }

        @Override
        public boolean matches(JsonNode doc, Deadline deadline) {
            for (Filter f : filters) {
                if (f.matches(doc, deadline)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** None of {@code filters} match ({@code $nor}). */
    record Nor(List<Filter> filters) implements Filter {
        public Nor {
            filters = List.copyOf(filters);
        }

        @Override
        public boolean matches(JsonNode doc, Deadline deadline) {
            for (Filter f : filters) {
                if (f.matches(doc, deadline)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** {@code filter} does not match (top-level {@code $not}, a JQL extension). */
    record Not(Filter filter) implements Filter {
        @Override
        public boolean matches(JsonNode doc, Deadline deadline) {
            return !filter.matches(doc, deadline);
        }
    }

    /** The value at {@code path} satisfies {@code condition}. */
    record Field(Path path, Condition condition) implements Filter {
        @Override
        public boolean matches(JsonNode doc, Deadline deadline) {
            return Evaluator.test(condition, Paths.walk(doc, path), deadline);
        }
    }
}
