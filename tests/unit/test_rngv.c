/* Unit tests of rngv (core/rngv.h), the Philox-keyed xoshiro256+ vectors: the documented
 * sequence against a scalar reference written from the header, bitwise identity of every
 * instruction-set path, chunked = one request (any split and output alignment), addresses that
 * differ give different vectors, and the statistics of 2e6 normals (moments within 5 SE, tails,
 * Kolmogorov-Smirnov, correlations within vectors, across neighbouring counters and tasks);
 * the same checks reject a deliberately wrong variant (variance 1.01, lanes paired wrongly). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/rng.h"
#include "core/rngv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The header's definition, one lane and one value at a time. */
static void reference_vector(const rng_stream *s, uint64_t counter, size_t n, double *out)
{
    enum { L = RNGV_LANES, R = RNGV_GROUP };
    uint32_t w[4 * 2 * L];
    uint64_t st[4][L];
    for (int b = 0; b < 2 * L; b++)
        rng_raw4(s, counter, RNGV_SEED_BLOCK + (uint32_t)b, &w[4 * b]);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < L; j++)
            st[i][j] = (uint64_t)w[2 * (i * L + j)] | (uint64_t)w[2 * (i * L + j) + 1] << 32;
    for (size_t k0 = 0; k0 < n; k0 += R) {
        double u[R], z[R];
        for (int it = 0; it < R / L; it++)
            for (int j = 0; j < L; j++) {
                uint64_t *q = (uint64_t[4]){st[0][j], st[1][j], st[2][j], st[3][j]};
                uint64_t x = q[0] + q[3], t = q[1] << 17;
                q[2] ^= q[0], q[3] ^= q[1], q[1] ^= q[2], q[0] ^= q[3], q[2] ^= t;
                q[3] = (q[3] << 45) | (q[3] >> 19);
                for (int i = 0; i < 4; i++)
                    st[i][j] = q[i];
                u[it * L + j] = ((double)(x >> 12) + 0.5) * 0x1p-52;
            }
        rng_box_muller(u, u + R / 2, R / 2, z);
        for (size_t k = k0; k < n && k < k0 + R; k++)
            out[k] = z[k - k0];
    }
}

static void test_reference_sequence(void **state)
{
    (void)state;
    const size_t ns[] = {1, 2, 255, 256, 257, 1000, 4099};
    for (size_t c = 0; c < sizeof ns / sizeof *ns; c++) {
        size_t n = ns[c];
        double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        rng_stream s = rng_stream_make(77, 3 + c, RNG_BULK);
        rngv_normal_at(&s, 1000 + c, n, a);
        reference_vector(&s, 1000 + c, n, b);
        assert_memory_equal(a, b, n * sizeof *a);
        free(a), free(b);
    }
}

/* Every path the CPU can run gives the same bits (integers and rng.h's exact Box-Muller). */
static void test_isa_paths_bitwise(void **state)
{
    (void)state;
    enum { N = 3001 };
    static double ref[N], z[N];
    rng_stream s = rng_stream_make(5, 9, RNG_DIFFUSE);
    rng_isa_force(RNG_ISA_SSE2);
    rngv_normal_at(&s, 7, N, ref);
    int ran = 1;
    for (int isa = RNG_ISA_AVX2; isa <= RNG_ISA_AVX512; isa++) {
        if (rng_isa_force(isa) != 0) continue;
        rngv_normal_at(&s, 7, N, z);
        assert_memory_equal(z, ref, sizeof z);
        ran++;
    }
    rng_isa_force(-1);
    printf("    %d instruction-set paths compared\n", ran);
}

/* Chunks of every size, at aligned and unaligned outputs, continue one vector exactly. */
static void test_chunks_equal_one_request(void **state)
{
    (void)state;
    enum { N = 2000 };
    static double ref[N], buf[N + 8];
    rng_stream s = rng_stream_make(1, 2, RNG_GAUSS);
    rngv_normal_at(&s, 3, N, ref);
    const size_t chunk[] = {1, 3, 64, 255, 256, 257, 700};
    for (size_t c = 0; c < sizeof chunk / sizeof *chunk; c++)
        for (int off = 0; off < 2; off++) {
            double *out = buf + off;
            rngv v;
            rngv_start(&v, &s, 3);
            for (size_t k = 0; k < N; k += chunk[c])
                rngv_normal(&v, N - k < chunk[c] ? N - k : chunk[c], out + k);
            assert_memory_equal(out, ref, sizeof ref);
        }
}

/* Seed, task, purpose and counter (low and high word) each change the whole vector. */
static void test_addresses_differ(void **state)
{
    (void)state;
    enum { N = 512 };
    double a[N], b[N];
    rng_stream base = rng_stream_make(1, 0, RNG_BULK);
    rng_stream other[] = {rng_stream_make(2, 0, RNG_BULK), rng_stream_make(1, 1, RNG_BULK),
                          rng_stream_make(1, 0, RNG_DIFFUSE), base, base};
    const uint64_t counter[] = {0, 0, 0, 1, 1ull << 32};
    rngv_normal_at(&base, 0, N, a);
    for (size_t k = 0; k < sizeof counter / sizeof *counter; k++) {
        rngv_normal_at(&other[k], counter[k], N, b);
        int same = 0;
        for (int i = 0; i < N; i++)
            same += a[i] == b[i];
        assert_int_equal(same, 0);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Statistics: NV vectors of D at consecutive counters (2e6 normals). */

enum { NV = 2000, D = 1000 };

static double correlation(const double *x, const double *y, size_t n, size_t stride)
{
    double sxy = 0, sxx = 0, syy = 0, mx = 0, my = 0;
    for (size_t i = 0; i < n; i++)
        mx += x[i * stride], my += y[i * stride];
    mx /= (double)n, my /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double a = x[i * stride] - mx, b = y[i * stride] - my;
        sxy += a * b, sxx += a * a, syy += b * b;
    }
    return sxy / sqrt(sxx * syy);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 0 when every check holds: moments within 5 SE, P(|z| > 2, 3, 4) within 5 binomial SE,
 * sqrt(n) KS < 1.949 (p = 0.001), and within-vector correlations (neighbours, the two normals of a
 * pair, entries i and i + R/2 whose uniforms come from one lane's consecutive iterations) and
 * across neighbouring vectors within 5/sqrt(n). */
static int check_normals(double *z, size_t n, const char *what)
{
    double dn = (double)n, m1 = 0, m2 = 0, m3 = 0, m4 = 0, tail[3] = {0};
    for (size_t i = 0; i < n; i++)
        m1 += z[i];
    m1 /= dn;
    for (size_t i = 0; i < n; i++) {
        double e = z[i] - m1, e2 = e * e;
        m2 += e2, m3 += e2 * e, m4 += e2 * e2;
        for (int k = 0; k < 3; k++)
            tail[k] += fabs(z[i]) > 2.0 + k;
    }
    m2 /= dn, m3 /= dn, m4 /= dn;
    double skew = m3 / pow(m2, 1.5), kurt = m4 / (m2 * m2) - 3.0;
    int bad = 0;
    bad += !(fabs(m1) < 5 / sqrt(dn)) + !(fabs(m2 - 1) < 5 * sqrt(2 / dn));
    bad += !(fabs(skew) < 5 * sqrt(6 / dn)) + !(fabs(kurt) < 5 * sqrt(24 / dn));
    for (int k = 0; k < 3; k++) {
        double p = erfc((2.0 + k) / M_SQRT2), f = tail[k] / dn;
        bad += !(fabs(f - p) < 5 * sqrt(p * (1 - p) / dn));
    }
    double lim = 5 / sqrt(dn / 2);
    double r_next = correlation(z, z + 1, n - 1, 1), r_pair = correlation(z, z + 1, n / 2, 2);
    double r_lane = correlation(z, z + RNGV_GROUP, n - RNGV_GROUP, 1);
    double r_vec = correlation(z, z + D, n - D, 1);
    bad += !(fabs(r_next) < lim) + !(fabs(r_pair) < lim) + !(fabs(r_lane) < lim);
    bad += !(fabs(r_vec) < lim);
    double *c = malloc(n * sizeof *c), ks = 0;
    memcpy(c, z, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_double);
    for (size_t i = 0; i < n; i++) {
        double F = 0.5 * erfc(-c[i] / M_SQRT2);
        ks = fmax(ks, fmax((double)(i + 1) / dn - F, F - (double)i / dn));
    }
    free(c);
    ks *= sqrt(dn);
    bad += !(ks < 1.949);
    printf("    %s: mean %.1e var-1 %.1e skew %.1e kurt %.1e; r %.1e %.1e %.1e %.1e; KS %.3f; %d "
           "failed\n",
           what, m1, m2 - 1, skew, kurt, r_next, r_pair, r_lane, r_vec, ks, bad);
    return bad;
}

static double *vectors(uint32_t seed, uint64_t task)
{
    double *z = malloc((size_t)NV * D * sizeof *z);
    rng_stream s = rng_stream_make(seed, task, RNG_BULK);
    for (int v = 0; v < NV; v++)
        rngv_normal_at(&s, (uint64_t)v, D, z + (size_t)v * D);
    return z;
}

static void test_statistics(void **state)
{
    (void)state;
    double *z = vectors(20261204, 0);
    assert_int_equal(check_normals(z, (size_t)NV * D, "rngv"), 0);
    /* Neighbouring tasks at the same counters are uncorrelated too. */
    double *y = vectors(20261204, 1);
    size_t n = (size_t)NV * D;
    assert_true(fabs(correlation(z, y, n, 1)) < 5 / sqrt((double)n));
    free(y);
    free(z);
}

/* The checks are not blind: a variance 1.01, and a transform taking radius and angle from one
 * uniform (u_i twice instead of u_i, u_{i+R/2}), are both caught. */
static void test_checks_reject_wrong(void **state)
{
    (void)state;
    double *z = vectors(20261204, 0);
    size_t n = (size_t)NV * D;
    for (size_t i = 0; i < n; i++)
        z[i] *= sqrt(1.01);
    assert_true(check_normals(z, n, "variance 1.01") > 0);
    rng_stream s = rng_stream_make(20261204, 0, RNG_BULK);
    double *u = malloc(n / 2 * sizeof *u);
    uint64_t *x = malloc(n / 2 * sizeof *x);
    rngv v;
    rngv_start(&v, &s, 0);
    rngv_raw(&v, n / 2, x);
    for (size_t i = 0; i < n / 2; i++)
        u[i] = ((double)(x[i] >> 12) + 0.5) * 0x1p-52;
    rng_box_muller(u, u, n / 2, z);
    assert_true(check_normals(z, n, "one uniform per pair") > 0);
    free(x), free(u), free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_sequence),
        cmocka_unit_test(test_isa_paths_bitwise),
        cmocka_unit_test(test_chunks_equal_one_request),
        cmocka_unit_test(test_addresses_differ),
        cmocka_unit_test(test_statistics),
        cmocka_unit_test(test_checks_reject_wrong),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
