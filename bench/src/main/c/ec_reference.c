/*
 * The tiering section's native reference: Reed-Solomon 6+3 encode and rebuild with ISA-L called
 * straight from C, the fastest this machine codes, against which bin/bench judges LumaDB's coders.
 * BenchSuite compiles it at run time (gcc -O2 ec_reference.c -l:libisal.so.2), linking the shared
 * library by file name, so ISA-L's development headers are not needed: the prototypes below are
 * ISA-L's documented API.
 *
 * Usage: ec_reference <fragment bytes> <iterations> <rounds> <lost fragments, e.g. 0,3,7>
 * Prints, per round, one line "encode <seconds> <cpu seconds>" and one "rebuild <seconds> <cpu
 * seconds>" (each the wall-clock and thread CPU time of <iterations> calls, one thread), then
 * "check ok" when the rebuilt fragments equal the originals and the
 * parity equals the one computed by a plain per-byte loop over GF(2^8) with the same matrix.
 * Exit status 0 when the check passed, 1 on a wrong byte, 2 on bad arguments.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ec_init_tables(int k, int rows, unsigned char *a, unsigned char *gftbls);
void ec_encode_data(int len, int k, int rows, unsigned char *gftbls, unsigned char **data,
                    unsigned char **coding);
void gf_gen_cauchy1_matrix(unsigned char *a, int m, int k);
int gf_invert_matrix(unsigned char *in, unsigned char *out, const int n);
unsigned char gf_mul(unsigned char a, unsigned char b);

#define K 6
#define P 3
#define M (K + P)

static double clock_seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static unsigned char *fragment(size_t len) {
    void *p = NULL;
    if (posix_memalign(&p, 64, len ? len : 64) != 0) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s <fragment bytes> <iterations> <rounds> <lost, e.g. 0,3,7>\n", argv[0]);
        return 2;
    }
    int len = atoi(argv[1]);
    int iterations = atoi(argv[2]);
    int rounds = atoi(argv[3]);
    int lost[P], nlost = 0, present[M];
    for (int i = 0; i < M; i++) present[i] = 1;
    for (char *s = strtok(argv[4], ","); s != NULL; s = strtok(NULL, ",")) {
        int f = atoi(s);
        if (nlost == P || f < 0 || f >= M || !present[f]) {
            fprintf(stderr, "lost fragments: up to %d distinct numbers in [0, %d)\n", P, M);
            return 2;
        }
        lost[nlost++] = f;
        present[f] = 0;
    }
    if (len <= 0 || iterations <= 0 || rounds <= 0 || nlost == 0) {
        fprintf(stderr, "fragment bytes, iterations and rounds must be positive, and some fragment lost\n");
        return 2;
    }

    unsigned char *frag[M], *rebuilt[P];
    srand(20250601);
    for (int i = 0; i < M; i++) {
        frag[i] = fragment(len);
        if (i < K)
            for (int b = 0; b < len; b++) frag[i][b] = (unsigned char)(rand() >> 7);
    }
    for (int i = 0; i < nlost; i++) rebuilt[i] = fragment(len);

    /* Encoding: the systematic Cauchy matrix, its parity rows' tables made once. */
    unsigned char a[M * K], enc_tables[32 * K * P];
    gf_gen_cauchy1_matrix(a, M, K);
    ec_init_tables(K, P, a + K * K, enc_tables);

    /* Rebuilding: the first K present fragments, the inverse of their rows, the missing rows. */
    unsigned char b[K * K], d[K * K], c[P * K], dec_tables[32 * K * P], *src[K];
    for (int i = 0, r = 0; i < M && r < K; i++) {
        if (present[i]) {
            memcpy(b + K * r, a + K * i, K);
            src[r++] = frag[i];
        }
    }
    if (gf_invert_matrix(b, d, K) != 0) {
        fprintf(stderr, "singular matrix\n");
        return 1;
    }
    for (int e = 0; e < nlost; e++) {
        int f = lost[e];
        for (int j = 0; j < K; j++) {
            if (f < K) {
                c[K * e + j] = d[K * f + j];
            } else {
                unsigned char s = 0;
                for (int i = 0; i < K; i++) s ^= gf_mul(d[K * i + j], a[K * f + i]);
                c[K * e + j] = s;
            }
        }
    }
    ec_init_tables(K, nlost, c, dec_tables);

    for (int round = 0; round < rounds; round++) {
        double t = clock_seconds(CLOCK_MONOTONIC), c = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
        for (int it = 0; it < iterations; it++) ec_encode_data(len, K, P, enc_tables, frag, frag + K);
        printf("encode %.9f %.9f\n", clock_seconds(CLOCK_MONOTONIC) - t, clock_seconds(CLOCK_THREAD_CPUTIME_ID) - c);
        t = clock_seconds(CLOCK_MONOTONIC);
        c = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
        for (int it = 0; it < iterations; it++) ec_encode_data(len, K, nlost, dec_tables, src, rebuilt);
        printf("rebuild %.9f %.9f\n", clock_seconds(CLOCK_MONOTONIC) - t, clock_seconds(CLOCK_THREAD_CPUTIME_ID) - c);
        fflush(stdout);
    }

    /* The check: parity against a per-byte loop, rebuilt fragments against the originals. */
    for (int p = 0; p < P; p++) {
        for (int x = 0; x < len; x++) {
            unsigned char s = 0;
            for (int j = 0; j < K; j++) s ^= gf_mul(a[K * (K + p) + j], frag[j][x]);
            if (s != frag[K + p][x]) {
                printf("check failed: parity %d byte %d\n", p, x);
                return 1;
            }
        }
    }
    for (int e = 0; e < nlost; e++) {
        if (memcmp(rebuilt[e], frag[lost[e]], len) != 0) {
            printf("check failed: rebuilt fragment %d differs\n", lost[e]);
            return 1;
        }
    }
    printf("check ok\n");
    return 0;
}
