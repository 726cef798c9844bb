package io.lumadb.bench.vector;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The vector section's data: {@code count} synthetic vectors of {@code dimension} floats in
 * Gaussian clusters (seeded, so every run and every system gets the same ones), {@code
 * queryCount} query vectors drawn from the same clusters, and each query's exact top {@code k}
 * by cosine similarity (brute force), best first. Vector {@code i} is document {@code "d" + i}
 * in LumaDB and key {@code i} in the native reference.
 *
 * <p>Vectors are kept flat ({@code vectors[i * dimension + d]}), so 100,000 x 128 floats are one
 * 51 MB array rather than 100,000 objects.
 *
 * <p><b>File layout</b> ({@link #write}, {@link #read}; also read by the native reference's
 * script), all numbers little-endian:
 *
 * <pre>
 * offset 0   8 bytes  magic "LUMAVEC1"
 * offset 8   int32    dimension
 * offset 12  int32    count (vectors)
 * offset 16  int32    queryCount
 * offset 20  int32    k (ground truth per query)
 * offset 24  8 bytes  zero (the header is 32 bytes, so the floats are 4-byte aligned)
 * offset 32  float32  count x dimension vectors, vector i at 32 + 4 * i * dimension
 * then       float32  queryCount x dimension query vectors
 * then       int32    queryCount x k ground truth: the indexes of each query's exact top k, best first
 * </pre>
 *
 * @param vectors {@code count * dimension} floats
 * @param queries {@code queryCount * dimension} floats
 * @param truth {@code queryCount * k} vector indexes
 */
public record VectorData(
        int dimension, int count, int queryCount, int k, float[] vectors, float[] queries, int[] truth) {

    static final byte[] MAGIC = "LUMAVEC1".getBytes(StandardCharsets.US_ASCII);
    static final int HEADER_BYTES = 32;

    public VectorData {
        if (vectors.length != (long) count * dimension || queries.length != (long) queryCount * dimension) {
            throw new IllegalArgumentException("vectors/queries do not hold count/queryCount x dimension floats");
        }
        if (truth.length != (long) queryCount * k) {
            throw new IllegalArgumentException("truth must hold queryCount x k indexes, has " + truth.length);
        }
    }

    /**
     * {@code count} vectors and {@code queryCount} queries in {@code clusters} Gaussian clusters:
     * the centers are N(0, 1) in every dimension, each point its center plus N(0, sigma²) noise;
     * with the exact top {@code k} of each query.
     */
    public static VectorData generate(
            long seed, int count, int queryCount, int dimension, int clusters, double sigma, int k) {
        if (count < k || queryCount < 1 || dimension < 1 || clusters < 1) {
            throw new IllegalArgumentException(
                    "need count >= k and at least one query, dimension and cluster; got count " + count
                            + ", queryCount " + queryCount + ", dimension " + dimension + ", clusters " + clusters);
        }
        SplittableRandom random = new SplittableRandom(seed);
        float[] centers = new float[clusters * dimension];
        for (int i = 0; i < centers.length; i++) {
            centers[i] = (float) random.nextGaussian();
        }
        float[] vectors = points(random, centers, clusters, count, dimension, sigma);
        float[] queries = points(random, centers, clusters, queryCount, dimension, sigma);
        return new VectorData(
                dimension, count, queryCount, k, vectors, queries, groundTruth(vectors, queries, dimension, k));
    }

    private static float[] points(
            SplittableRandom random, float[] centers, int clusters, int n, int dimension, double sigma) {
        float[] out = new float[n * dimension];
        for (int i = 0; i < n; i++) {
            int c = random.nextInt(clusters);
            for (int d = 0; d < dimension; d++) {
                out[i * dimension + d] = (float) (centers[c * dimension + d] + sigma * random.nextGaussian());
            }
        }
        return out;
    }

    /**
     * The exact top {@code k} of every query by cosine similarity, best first (ties by lower
     * index), by comparing each query with every vector; the queries run in parallel.
     */
    static int[] groundTruth(float[] vectors, float[] queries, int dimension, int k) {
        int n = vectors.length / dimension;
        int q = queries.length / dimension;
        float[] unitVectors = unit(vectors, dimension);
        float[] unitQueries = unit(queries, dimension);
        int[] truth = new int[q * k];
        IntStream.range(0, q).parallel().forEach(query -> {
            // a bounded min-heap of the best k: the worst kept is at the root
            float[] scores = new float[k];
            int[] ids = new int[k];
            int size = 0;
            int base = query * dimension;
            for (int i = 0; i < n; i++) {
                float s = dot(unitQueries, base, unitVectors, i * dimension, dimension);
                if (size < k) {
                    scores[size] = s;
                    ids[size] = i;
                    siftUp(scores, ids, size++);
                } else if (s > scores[0]) {
                    scores[0] = s;
                    ids[0] = i;
                    siftDown(scores, ids, k);
                }
            }
            Integer[] order = new Integer[k];
            for (int j = 0; j < k; j++) {
                order[j] = j;
            }
            Arrays.sort(
                    order, (a, b) -> scores[a] != scores[b] ? Float.compare(scores[b], scores[a]) : ids[a] - ids[b]);
            for (int j = 0; j < k; j++) {
                truth[query * k + j] = ids[order[j]];
            }
        });
        return truth;
    }

    /** Heap order: the worse of two entries (lower score; higher index on a tie) is nearer the root. */
    private static boolean worse(float[] scores, int[] ids, int a, int b) {
        return scores[a] < scores[b] || (scores[a] == scores[b] && ids[a] > ids[b]);
    }

    private static void siftUp(float[] scores, int[] ids, int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!worse(scores, ids, i, parent)) {
                return;
            }
            swap(scores, ids, i, parent);
            i = parent;
        }
    }

    private static void siftDown(float[] scores, int[] ids, int size) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            int r = l + 1;
            int worst = i;
            if (l < size && worse(scores, ids, l, worst)) {
                worst = l;
            }
            if (r < size && worse(scores, ids, r, worst)) {
                worst = r;
            }
            if (worst == i) {
                return;
            }
            swap(scores, ids, i, worst);
            i = worst;
        }
    }

    private static void swap(float[] scores, int[] ids, int a, int b) {
        float s = scores[a];
        scores[a] = scores[b];
        scores[b] = s;
        int id = ids[a];
        ids[a] = ids[b];
        ids[b] = id;
    }

    /** Each vector scaled to length 1 (a zero vector stays zero). */
    static float[] unit(float[] flat, int dimension) {
        float[] out = new float[flat.length];
        for (int start = 0; start < flat.length; start += dimension) {
            double norm = Math.sqrt(dot(flat, start, flat, start, dimension));
            for (int d = 0; d < dimension; d++) {
                out[start + d] = norm == 0 ? 0f : (float) (flat[start + d] / norm);
            }
        }
        return out;
    }

    /** The dot product of {@code a[ai..ai+n)} and {@code b[bi..bi+n)}; four sums, so the JIT can overlap them. */
    static float dot(float[] a, int ai, float[] b, int bi, int n) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int d = 0;
        for (; d + 3 < n; d += 4) {
            s0 += a[ai + d] * b[bi + d];
            s1 += a[ai + d + 1] * b[bi + d + 1];
            s2 += a[ai + d + 2] * b[bi + d + 2];
            s3 += a[ai + d + 3] * b[bi + d + 3];
        }
        for (; d < n; d++) {
            s0 += a[ai + d] * b[bi + d];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Vector {@code i} (a copy). */
    public float[] vector(int i) {
        return Arrays.copyOfRange(vectors, i * dimension, (i + 1) * dimension);
    }

    /** Query {@code q} (a copy). */
    public float[] query(int q) {
        return Arrays.copyOfRange(queries, q * dimension, (q + 1) * dimension);
    }

    /** The document id of vector {@code i} in LumaDB. */
    public static String id(int i) {
        return "d" + i;
    }

    /** The vector index of LumaDB document {@code id}, or -1 if it is not one of ours. */
    public static int index(String id) {
        if (id.length() < 2 || id.charAt(0) != 'd') {
            return -1;
        }
        try {
            return Integer.parseInt(id, 1, id.length(), 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Recall@k of one answer to query {@code q}: the share of its exact top {@code k} among the
     * first {@code k} of {@code found} (vector indexes; -1 and repeats count for nothing).
     */
    public double recall(int q, int[] found) {
        int hits = 0;
        int limit = Math.min(k, found.length);
        for (int j = 0; j < limit; j++) {
            int f = found[j];
            boolean repeated = false;
            for (int i = 0; i < j; i++) {
                repeated |= found[i] == f;
            }
            if (f < 0 || repeated) {
                continue;
            }
            for (int t = 0; t < k; t++) {
                if (truth[q * k + t] == f) {
                    hits++;
                    break;
                }
            }
        }
        return (double) hits / k;
    }

    /** The JSON text of vector {@code i} as a document's content: {@code {"emb":[...]}} under {@code path}. */
    public String documentJson(String path, int i) {
        StringBuilder b = new StringBuilder(dimension * 12 + 16);
        b.append("{\"").append(path).append("\":");
        appendArray(b, vectors, i * dimension, dimension);
        return b.append('}').toString();
    }

    /** Appends {@code n} floats from {@code from} as a JSON array; each float prints exactly (round-trips). */
    public static StringBuilder appendArray(StringBuilder b, float[] flat, int from, int n) {
        b.append('[');
        for (int d = 0; d < n; d++) {
            if (d > 0) {
                b.append(',');
            }
            b.append(flat[from + d]);
        }
        return b.append(']');
    }

    /** Writes the data in the layout above. */
    public void write(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            header.put(MAGIC).putInt(dimension).putInt(count).putInt(queryCount).putInt(k);
            header.position(HEADER_BYTES).flip();
            writeFully(ch, header);
            writeFloats(ch, vectors);
            writeFloats(ch, queries);
            ByteBuffer ints = ByteBuffer.allocate(truth.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            ints.asIntBuffer().put(truth);
            writeFully(ch, ints);
        }
    }

    private static void writeFloats(FileChannel ch, float[] floats) throws IOException {
        int chunk = 1 << 18;
        ByteBuffer buf = ByteBuffer.allocate(chunk * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int from = 0; from < floats.length; from += chunk) {
            int n = Math.min(chunk, floats.length - from);
            buf.clear();
            buf.asFloatBuffer().put(floats, from, n);
            buf.limit(n * 4);
            writeFully(ch, buf);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** Reads data written by {@link #write}, checking the magic and the file's length. */
    public static VectorData read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer header = readFully(ch, HEADER_BYTES);
            byte[] magic = new byte[MAGIC.length];
            header.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IOException(file + " is not a vector data file (no LUMAVEC1 header)");
            }
            int dimension = header.getInt();
            int count = header.getInt();
            int queryCount = header.getInt();
            int k = header.getInt();
            long expected = HEADER_BYTES + 4L * ((long) (count + queryCount) * dimension + (long) queryCount * k);
            if (ch.size() != expected) {
                throw new IOException(file + " has " + ch.size() + " bytes; its header says " + expected);
            }
            float[] vectors = new float[count * dimension];
            float[] queries = new float[queryCount * dimension];
            int[] truth = new int[queryCount * k];
            readFloats(ch, vectors);
            readFloats(ch, queries);
            readFully(ch, truth.length * 4).asIntBuffer().get(truth);
            return new VectorData(dimension, count, queryCount, k, vectors, queries, truth);
        }
    }

    private static void readFloats(FileChannel ch, float[] into) throws IOException {
        int chunk = 1 << 18;
        for (int from = 0; from < into.length; from += chunk) {
            int n = Math.min(chunk, into.length - from);
            readFully(ch, n * 4).asFloatBuffer().get(into, from, n);
        }
    }

    private static ByteBuffer readFully(FileChannel ch, int bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                throw new IOException("unexpected end of the vector data file");
            }
        }
        return buf.flip();
    }
}
