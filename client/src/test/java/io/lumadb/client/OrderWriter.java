package io.lumadb.client;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Writes random orders ({@code {"customer":"c<k>","amount":<cents>}}) to a collection: creates,
 * updates (sometimes moving an order to another customer) and deletes, one at a time, and keeps
 * every acknowledged write. Seeded, so a failing run can be repeated.
 */
final class OrderWriter {

    private final TestLumaDb lumadb;
    private final TestLumaDb.Collection collection;
    private final Random random;
    private final int ids;
    private final int customers;
    private final Set<String> existing = new HashSet<>();
    private final List<TestLumaDb.Write> writes = new ArrayList<>();

    OrderWriter(TestLumaDb lumadb, TestLumaDb.Collection collection, long seed, int ids, int customers) {
        this.lumadb = lumadb;
        this.collection = collection;
        this.random = new Random(seed);
        this.ids = ids;
        this.customers = customers;
    }

    /** Makes one write and returns it. */
    synchronized TestLumaDb.Write next() {
        String id = "o" + random.nextInt(ids);
        TestLumaDb.Write write;
        if (existing.contains(id) && random.nextInt(4) == 0) {
            write = lumadb.delete(collection, id);
            existing.remove(id);
        } else {
            String order = "{\"customer\":\"c" + random.nextInt(customers) + "\",\"amount\":"
                    + (100 + random.nextInt(10_000)) + "}";
            write = lumadb.put(collection, id, order);
            existing.add(id);
        }
        writes.add(write);
        return write;
    }

    void write(int count) {
        for (int i = 0; i < count; i++) {
            next();
        }
    }

    synchronized List<TestLumaDb.Write> writes() {
        return List.copyOf(writes);
    }

    synchronized int count() {
        return writes.size();
    }
}
