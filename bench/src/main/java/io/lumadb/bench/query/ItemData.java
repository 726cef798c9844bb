package io.lumadb.bench.query;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The query benchmark's data set: {@code n} catalogue items of about 300 bytes of JSON, the same
 * for every system because they come from a fixed seed, and the answers every query must give,
 * computed here from the data itself so that each measured answer can be checked.
 *
 * <p>An item is {@code {"sku":"sku-0012345","category":"cat-17","price":123.4567...,"stock":834,
 * "name":"..."}} with id {@code item-0000042}. SKUs are unique and a shuffled permutation of the
 * ids' numbers, so an SKU lookup cannot ride on the primary key's order; prices are uniform doubles
 * in [0, 1000) at full precision (ties are practically impossible, so "sort by price" has one
 * answer whatever a system does with ties); the name is random words that fill the rest.
 */
final class ItemData {

    static final long SEED = 0x5EED_2026_1121L;
    static final int CATEGORIES = 50;
    static final double PRICE_MAX = 1000.0;
    /** The range query's limit. */
    static final int RANGE_LIMIT = 20;
    /** Items a range window holds on average, before the limit: within the 20-100 asked for. */
    static final int WINDOW_ITEMS = 50;
    /** Items a join's window holds on average. */
    static final int JOIN_WINDOW_ITEMS = 500;
    /** The regions the categories are spread over (category c is in region c mod 5). */
    static final int REGIONS = 5;
    /** Bytes of JSON per item, {@code _id} included, that the name pads up to. */
    static final int TARGET_BYTES = 300;

    private final String[] ids;
    private final String[] skus;
    private final double[] prices;
    private final String[] bodies;
    private final Map<String, Integer> bySku;
    /** Item numbers in (price, id) order, and their prices, for the range answers. */
    private final int[] byPrice;

    private final double[] sortedPrices;
    private final double windowWidth;
    private final double joinWidth;
    private final int[] categories;
    private final int[] stocks;

    ItemData(int n) {
        if (n < 100) {
            throw new IllegalArgumentException("records must be at least 100, got " + n);
        }
        SplittableRandom random = new SplittableRandom(SEED);
        List<Integer> skuNumbers = new ArrayList<>(IntStream.range(0, n).boxed().toList());
        Collections.shuffle(skuNumbers, random);
        ids = new String[n];
        skus = new String[n];
        prices = new double[n];
        bodies = new String[n];
        categories = new int[n];
        stocks = new int[n];
        bySku = new HashMap<>(n * 2);
        StringBuilder s = new StringBuilder(TARGET_BYTES + 32);
        for (int i = 0; i < n; i++) {
            ids[i] = String.format("item-%07d", i);
            skus[i] = String.format("sku-%07d", skuNumbers.get(i));
            prices[i] = random.nextDouble() * PRICE_MAX;
            bySku.put(skus[i], i);
            categories[i] = random.nextInt(CATEGORIES);
            stocks[i] = random.nextInt(10_000);
            s.setLength(0);
            s.append("{\"sku\":\"")
                    .append(skus[i])
                    .append("\",\"category\":\"cat-")
                    .append(categories[i])
                    .append("\",\"price\":")
                    .append(prices[i])
                    .append(",\"stock\":")
                    .append(stocks[i])
                    .append(",\"name\":\"");
            // "_id":"item-0000042", plus the closing quote and brace, is what the rest adds.
            int nameBytes = TARGET_BYTES - s.length() - ("\"_id\":\"\",".length() + ids[i].length()) - 2;
            appendWords(s, random, nameBytes);
            s.append("\"}");
            bodies[i] = s.toString();
        }
        byPrice = IntStream.range(0, n)
                .boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> prices[i]).thenComparing(i -> ids[i]))
                .mapToInt(Integer::intValue)
                .toArray();
        sortedPrices = Arrays.stream(byPrice).mapToDouble(i -> prices[i]).toArray();
        windowWidth = WINDOW_ITEMS * PRICE_MAX / n;
        joinWidth = JOIN_WINDOW_ITEMS * PRICE_MAX / n;
    }

    /** The id of category {@code c}: {@code cat-7}, as items name it. */
    static String categoryId(int c) {
        return "cat-" + c;
    }

    static String region(int c) {
        return "region-" + (c % REGIONS);
    }

    /** Category {@code c} as a JSON object without {@code _id}. */
    static String categoryBody(int c) {
        return "{\"name\":\"Category " + c + "\",\"region\":\"" + region(c) + "\"}";
    }

    /**
     * The rows a correct answer to join {@code p} holds, in region order, each {@code region|count|
     * sum of stock}.
     */
    List<String> expectedRows(QueryParams p) {
        java.util.TreeMap<String, long[]> groups = new java.util.TreeMap<>();
        for (int k = lowerBound(p.lo()); k < lowerBound(p.hi()); k++) {
            int i = byPrice[k];
            long[] g = groups.computeIfAbsent(region(categories[i]), r -> new long[2]);
            g[0]++;
            g[1] += stocks[i];
        }
        List<String> rows = new ArrayList<>();
        groups.forEach((region, g) -> rows.add(region + "|" + g[0] + "|" + g[1]));
        return rows;
    }

    private static void appendWords(StringBuilder s, SplittableRandom random, int length) {
        int start = s.length();
        while (s.length() - start < length) {
            if (s.length() > start) {
                s.append(' ');
            }
            int letters = 3 + random.nextInt(7);
            for (int k = 0; k < letters; k++) {
                s.append((char) ('a' + random.nextInt(26)));
            }
        }
        s.setLength(start + Math.max(1, length));
    }

    int size() {
        return ids.length;
    }

    String id(int i) {
        return ids[i];
    }

    /** Item {@code i} as a JSON object without {@code _id}: PostgreSQL's {@code doc} column. */
    String body(int i) {
        return bodies[i];
    }

    /** Item {@code i} as a LumaDB document, {@code _id} first. */
    String document(int i) {
        return "{\"_id\":\"" + ids[i] + "\"," + bodies[i].substring(1);
    }

    /** The width of a range window, chosen so that it holds {@link #WINDOW_ITEMS} items on average. */
    double windowWidth() {
        return windowWidth;
    }

    /**
     * A random query: the SKU of an existing item, or a range window [lo, lo + width) with its
     * bounds rounded to thousandths, so that requests read well and every system parses exactly
     * the same doubles.
     */
    QueryParams next(Query query, SplittableRandom random) {
        if (query == Query.POINT) {
            return QueryParams.point(skus[random.nextInt(skus.length)]);
        }
        double width = query == Query.JOIN ? joinWidth : windowWidth;
        double lo = Math.floor(random.nextDouble() * (PRICE_MAX - width) * 1000) / 1000;
        double hi = Math.round((lo + width) * 1000) / 1000.0;
        return query == Query.JOIN ? QueryParams.join(lo, hi) : QueryParams.range(lo, hi);
    }

    /** How many documents a correct answer to {@code p} holds. */
    int expectedCount(QueryParams p) {
        if (p.query() == Query.POINT) {
            return bySku.containsKey(p.sku()) ? 1 : 0;
        }
        if (p.query() == Query.JOIN) {
            return expectedRows(p).size();
        }
        return Math.min(RANGE_LIMIT, lowerBound(p.hi()) - lowerBound(p.lo()));
    }

    /** The items a correct answer to {@code p} holds, in order, by number. */
    List<Integer> expected(QueryParams p) {
        if (p.query() == Query.POINT) {
            Integer i = bySku.get(p.sku());
            return i == null ? List.of() : List.of(i);
        }
        int from = lowerBound(p.lo());
        return IntStream.range(from, Math.min(lowerBound(p.hi()), from + RANGE_LIMIT))
                .mapToObj(k -> byPrice[k])
                .toList();
    }

    /** Index of the first price at or above {@code x}. */
    private int lowerBound(double x) {
        int k = Arrays.binarySearch(sortedPrices, x);
        if (k < 0) {
            return -k - 1;
        }
        while (k > 0 && sortedPrices[k - 1] == x) {
            k--; // any of equal prices may have been found
        }
        return k;
    }
}
