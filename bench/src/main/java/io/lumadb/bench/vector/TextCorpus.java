package io.lumadb.bench.vector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A synthetic text corpus for the BM25 comparison, seeded: documents of 20 to 100 words drawn
 * from a vocabulary of made-up words whose frequencies follow Zipf's law (rank r has weight
 * {@code 1 / r^exponent}, as in natural language), and queries of one to three words drawn from
 * the same distribution, less its most common words (which real queries rarely consist of).
 *
 * @param documents the texts; document {@code i} is {@code "t" + i}
 * @param queries the query strings (words separated by spaces: Lucene's default OR)
 */
public record TextCorpus(List<String> documents, List<String> queries) {

    private static final String CONSONANTS = "bdfgklmnprstvz";
    private static final String VOWELS = "aeiou";

    public TextCorpus {
        documents = List.copyOf(documents);
        queries = List.copyOf(queries);
    }

    /** A corpus of {@code documents} texts and {@code queries} queries over a {@code vocabulary}-word Zipf distribution. */
    public static TextCorpus generate(long seed, int documents, int queries, int vocabulary, double exponent) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] cdf = new double[vocabulary];
        double sum = 0;
        for (int r = 0; r < vocabulary; r++) {
            sum += 1 / Math.pow(r + 1, exponent);
            cdf[r] = sum;
        }
        for (int r = 0; r < vocabulary; r++) {
            cdf[r] /= sum;
        }
        List<String> docs = new ArrayList<>(documents);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < documents; i++) {
            b.setLength(0);
            int words = 20 + random.nextInt(81);
            for (int w = 0; w < words; w++) {
                if (w > 0) {
                    b.append(' ');
                }
                b.append(word(rank(cdf, random.nextDouble())));
            }
            docs.add(b.toString());
        }
        List<String> qs = new ArrayList<>(queries);
        int skip = Math.min(20, vocabulary / 10); // no query of stop-word-like words alone
        for (int q = 0; q < queries; q++) {
            b.setLength(0);
            int words = 1 + random.nextInt(3);
            for (int w = 0; w < words; w++) {
                int r;
                do {
                    r = rank(cdf, random.nextDouble());
                } while (r < skip);
                if (w > 0) {
                    b.append(' ');
                }
                b.append(word(r));
            }
            qs.add(b.toString());
        }
        return new TextCorpus(docs, qs);
    }

    private static int rank(double[] cdf, double u) {
        int i = Arrays.binarySearch(cdf, u);
        return Math.min(cdf.length - 1, i >= 0 ? i : -i - 1);
    }

    /** The made-up word of rank {@code r}: syllables of a consonant and a vowel, distinct for every rank. */
    static String word(int r) {
        StringBuilder w = new StringBuilder();
        int n = r;
        int syllables = CONSONANTS.length() * VOWELS.length();
        do {
            int s = n % syllables;
            w.append(CONSONANTS.charAt(s / VOWELS.length())).append(VOWELS.charAt(s % VOWELS.length()));
            n /= syllables;
        } while (n > 0);
        return w.toString();
    }

    /** The document id of text {@code i}. */
    public static String id(int i) {
        return "t" + i;
    }
}
