package io.lumadb.http;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Token buckets by key (a client address, a principal), all with one rate and burst, in bounded
 * memory: when {@code maxKeys} buckets exist and a new key arrives, the buckets that have refilled
 * completely are forgotten (a full bucket is what a new key gets anyway, so nobody gains by it);
 * if that frees too little, the least recently used buckets go too, down to 90% of {@code
 * maxKeys}. Only one thread sweeps at a time; keys that arrive meanwhile are added, so the count
 * may pass {@code maxKeys} by the requests that arrive during one sweep.
 */
final class TokenBuckets {

    private final double perSecond;
    private final int burst;
    private final int maxKeys;
    private final ConcurrentHashMap<String, TokenBucket> buckets = new ConcurrentHashMap<>();
    private final ReentrantLock sweeping = new ReentrantLock();

    TokenBuckets(double perSecond, int burst, int maxKeys) {
        if (maxKeys < 1) {
            throw new IllegalArgumentException("maxKeys must be at least 1, was " + maxKeys);
        }
        this.perSecond = perSecond;
        this.burst = burst;
        this.maxKeys = maxKeys;
        new TokenBucket(perSecond, burst, 0); // checks the rate and burst once, here
    }

    /** The bucket of {@code key}, a full one if the key is new. */
    TokenBucket get(String key, long now) {
        TokenBucket bucket = buckets.get(key);
        if (bucket != null) {
            return bucket;
        }
        if (buckets.size() >= maxKeys) {
            sweep(now);
        }
        return buckets.computeIfAbsent(key, k -> new TokenBucket(perSecond, burst, now));
    }

    /** The bucket of {@code key} if it has one; for the failed-login budget, which only failures fill. */
    TokenBucket find(String key) {
        return buckets.get(key);
    }

    int size() {
        return buckets.size();
    }

    double perSecond() {
        return perSecond;
    }

    int burst() {
        return burst;
    }

    private record Used(String key, TokenBucket bucket, long at) {}

    private void sweep(long now) {
        if (!sweeping.tryLock()) {
            return;
        }
        try {
            buckets.values().removeIf(b -> b.full(now));
            int target = Math.max(1, maxKeys - maxKeys / 10);
            if (buckets.size() >= target) {
                // Snapshot the times first: they change while the sort runs.
                List<Used> all = new ArrayList<>();
                buckets.forEach((key, bucket) -> all.add(new Used(key, bucket, bucket.usedAt())));
                all.sort(Comparator.comparingLong(Used::at));
                int excess = all.size() - target + 1;
                for (int i = 0; i < excess && i < all.size(); i++) {
                    buckets.remove(all.get(i).key(), all.get(i).bucket());
                }
            }
        } finally {
            sweeping.unlock();
        }
    }
}
