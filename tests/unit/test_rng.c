/* Unit tests of rng: Philox4x32-10 known answers, the block convention, bitwise reproducibility
 * of the fast path (prefixes, block offsets, output alignment, single draws), fast vs scalar
 * reference, the by-step batches, the uniform mapping at its extremes, and distribution checks with
 * fixed seeds and tolerances derived from n (each tolerance is 5 standard errors or a p = 0.001
 * critical value, so a correct generator passes deterministically and a wrong formula fails). No
 * MPI. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/rng.h"

#include <Random123/philox.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double *xmalloc(size_t n)
{
    double *p = malloc(n * sizeof *p);
    assert_non_null(p);
    return p;
}

/* ---------------------------------------------------------------------------------------------
 * Philox and the block convention. */

typedef struct {
    uint32_t ctr[4], key[2], out[4];
} kat;

/* Random123's known-answer vectors for philox4x32 with 10 rounds (kat_vectors). */
static const kat kats[] = {
    {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
     {0xffffffff, 0xffffffff},
     {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0xa4093822, 0x299f31d0},
     {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
};

/* The stream whose block/step/purpose/key map onto a given Philox counter and key. */
static rng_stream kat_stream(const kat *k, uint64_t *step, uint32_t *block)
{
    rng_stream s = {{k->key[0], k->key[1]}, k->ctr[3]};
    *step = (uint64_t)k->ctr[2] << 32 | k->ctr[1];
    *block = k->ctr[0];
    return s;
}

static void test_philox_kat(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof kats / sizeof kats[0]; i++) {
        const kat *k = &kats[i];
        philox4x32_ctr_t c = {{k->ctr[0], k->ctr[1], k->ctr[2], k->ctr[3]}};
        philox4x32_key_t key = {{k->key[0], k->key[1]}};
        philox4x32_ctr_t r = philox4x32(c, key);
        uint64_t step;
        uint32_t block, ref[4], fast[4];
        rng_stream s = kat_stream(k, &step, &block);
        rng_raw4(&s, step, block, ref);
        rng_raw4n(&s, step, block, 1, fast);
        for (int j = 0; j < 4; j++) {
            assert_int_equal(r.v[j], k->out[j]);
            assert_int_equal(ref[j], k->out[j]);
            assert_int_equal(fast[j], k->out[j]);
        }
    }
}

/* Batched raw words equal block-by-block Philox, across the 2^32 wrap of the block counter, for
 * full and half batches and a rest of each size, on every instruction-set path the CPU has. */
static void test_raw_batch_equals_scalar(void **state)
{
    (void)state;
    rng_stream s = rng_stream_make(7, 3, RNG_BULK);
    const size_t sizes[] = {1, 15, 16, 17, 31, 32, 33, 48, 1000};
    const uint32_t block0 = 0xffffffffu - 100;
    uint32_t *fast = malloc(4 * 1000 * sizeof *fast);
    assert_non_null(fast);
    for (int isa = 0; isa <= RNG_ISA_AVX512; isa++) {
        if (rng_isa_force(isa) != 0) continue;
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            size_t nb = sizes[k];
            rng_raw4n(&s, 0x123456789abcull, block0, nb, fast);
            for (size_t b = 0; b < nb; b++) {
                uint32_t w[4];
                rng_raw4(&s, 0x123456789abcull, block0 + (uint32_t)b, w);
                assert_memory_equal(w, fast + 4 * b, sizeof w);
            }
        }
    }
    rng_isa_force(-1);
    free(fast);
}

/* Block convention: words 0,1 -> first uniform, words 2,3 -> second, normals by Box-Muller
 * written out here from the textbook formula (independent of src/rng.c). */
static void test_block_convention(void **state)
{
    (void)state;
    rng_stream s = rng_stream_make(2024, 5, RNG_SPIKES);
    const size_t nb = 500;
    double *u = xmalloc(2 * nb), *z = xmalloc(2 * nb), *zr = xmalloc(2 * nb);
    rng_uniform(&s, 9, 40, 2 * nb, u);
    rng_normal(&s, 9, 40, 2 * nb, z);
    rng_normal_ref(&s, 9, 40, 2 * nb, zr);
    for (size_t b = 0; b < nb; b++) {
        uint32_t w[4];
        rng_raw4(&s, 9, 40 + (uint32_t)b, w);
        double u1 = rng_u53(w[0], w[1]), u2 = rng_u53(w[2], w[3]);
        assert_true(u[2 * b] == u1 && u[2 * b + 1] == u2);
        double rad = sqrt(-2.0 * log(u1)), ang = 2.0 * M_PI * u2;
        assert_true(fabs(zr[2 * b] - rad * cos(ang)) <= 1e-12);
        assert_true(fabs(zr[2 * b + 1] - rad * sin(ang)) <= 1e-12);
        assert_true(fabs(z[2 * b] - rad * cos(ang)) <= 1e-12);
        assert_true(fabs(z[2 * b + 1] - rad * sin(ang)) <= 1e-12);
    }
    assert_int_equal(rng_blocks(0), 0);
    assert_int_equal(rng_blocks(1), 1);
    assert_int_equal(rng_blocks(2), 1);
    assert_int_equal(rng_blocks(3), 2);
    free(u);
    free(z);
    free(zr);
}

/* Pinned values: the numbers are part of every result file, so a change of convention must
 * show here. Uniforms are exact; normals within libm/libmvec rounding. */
static void test_golden_values(void **state)
{
    (void)state;
    rng_stream s = rng_stream_make(1, 0, RNG_TEST);
    double u[4], z[4];
    rng_uniform(&s, 0, 0, 4, u);
    rng_normal_ref(&s, 0, 0, 4, z);
    const double ug[4] = {0x1.83bd1376f23dep-1, 0x1.eaa57e150436ap-3, 0x1.a51e793aee393p-2,
                          0x1.cf266574e869dp-2};
    const double zg[4] = {0.048813657483708549, 0.74404555411687723, -1.2736460465450179,
                          0.39362199366970363};
    for (int i = 0; i < 4; i++) {
        assert_true(u[i] == ug[i]);
        assert_true(fabs(z[i] - zg[i]) <= 1e-14);
    }
}

/* ---------------------------------------------------------------------------------------------
 * The uniform mapping. */

static void test_u53_extremes(void **state)
{
    (void)state;
    double lo = rng_u53(0, 0), hi = rng_u53(0xffffffffu, 0xffffffffu);
    assert_true(lo > 0.0 && lo == 0x1p-54);
    assert_true(hi < 1.0 && hi == RNG_U53_MAX);
    assert_true(rng_u53(0xffffffffu, 0xfffff7ffu) < 1.0);
    assert_true(rng_u53(0x80000000u, 0) == 0.5);
    assert_true(rng_u53(0x7fffffffu, 0xffffffffu) < 0.5);
    /* The low 11 bits of lo are dropped: 53 bits exactly. */
    assert_true(rng_u53(0x12345678u, 0x9abcdef0u) == rng_u53(0x12345678u, 0x9abcd800u));
    assert_true(rng_u53(0x12345678u, 0x9abcdef0u) != rng_u53(0x12345678u, 0x9abce000u));
    assert_true(isfinite(log(lo)) && isfinite(log(hi)) && log(hi) < 0.0);
}

/* ---------------------------------------------------------------------------------------------
 * Reproducibility of the fast path. */

/* Reference sequence: one long request. */
enum { LONG_N = 5000 };

static void check_prefixes(void (*f)(const rng_stream *, uint64_t, uint32_t, size_t, double *))
{
    rng_stream s = rng_stream_make(99, 4, RNG_DIFFUSE);
    const uint32_t b0 = 1000;
    double *big = xmalloc(LONG_N), *buf = xmalloc(LONG_N + 8);
    f(&s, 77, b0, LONG_N, big);
    const size_t lens[] = {0, 1, 2, 3, 10, 15, 16, 17, 63, 64, 65, 127, 128, 129, 1000, 4097};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        for (size_t off = 0; off < 8; off++) { /* output alignment: 8 to 64 bytes */
            memset(buf, 0, (LONG_N + 8) * sizeof *buf);
            f(&s, 77, b0, lens[i], buf + off);
            if (lens[i]) assert_memory_equal(buf + off, big, lens[i] * sizeof *big);
            assert_true(buf[off + lens[i]] == 0.0); /* nothing written past n */
        }
    /* Later starting blocks: the same numbers whatever lane of a batch a block falls in. */
    const uint32_t shifts[] = {1, 2, 7, 8, 15, 31, 32, 33, 100, 1001};
    for (size_t i = 0; i < sizeof shifts / sizeof shifts[0]; i++) {
        size_t n = LONG_N - 2 * shifts[i];
        f(&s, 77, b0 + shifts[i], n, buf + 1);
        assert_memory_equal(buf + 1, big + 2 * shifts[i], n * sizeof *big);
    }
    free(big);
    free(buf);
}

static void test_normal_prefix_alignment(void **state)
{
    (void)state;
    for (int isa = 0; isa <= RNG_ISA_AVX512; isa++) /* short requests (scalar) vs batches */
        if (rng_isa_force(isa) == 0) check_prefixes(rng_normal);
    rng_isa_force(-1);
}

static void test_uniform_prefix_alignment(void **state)
{
    (void)state;
    for (int isa = 0; isa <= RNG_ISA_AVX512; isa++) /* short requests (scalar) vs batches */
        if (rng_isa_force(isa) == 0) check_prefixes(rng_uniform);
    rng_isa_force(-1);
}

static void test_single_draws(void **state)
{
    (void)state;
    rng_stream s = rng_stream_make(5, 6, RNG_LATENT);
    double z[200], u[200];
    rng_normal(&s, 3, 50, 200, z);
    rng_uniform(&s, 3, 50, 200, u);
    for (uint32_t b = 0; b < 100; b++) {
        double zb = rng_normal1(&s, 3, 50 + b), ub = rng_uniform1(&s, 3, 50 + b);
        assert_memory_equal(&zb, &z[2 * b], sizeof zb);
        assert_memory_equal(&ub, &u[2 * b], sizeof ub);
    }
}

/* The by-step batches (steps in the lanes) give bitwise the pairs of the per-step requests, for
 * partial and full batches and across the 2^32 boundary of the step's low word. */
static void test_by_steps(void **state)
{
    (void)state;
    rng_stream s = rng_stream_make(4, 1, RNG_TEST);
    const size_t ns[] = {1, 31, 32, 33, 100};
    const uint64_t s0[] = {0, 7, (1ull << 32) - 40};
    double *z = xmalloc(200), *u = xmalloc(200);
    for (size_t a = 0; a < 5; a++)
        for (size_t b = 0; b < 3; b++) {
            rng_normal_steps(&s, s0[b], 5, ns[a], z);
            rng_uniform_steps(&s, s0[b], 6, ns[a], u);
            for (size_t i = 0; i < ns[a]; i++) {
                double zz[2], uu[2];
                rng_normal(&s, s0[b] + i, 5, 2, zz);
                rng_uniform(&s, s0[b] + i, 6, 2, uu);
                assert_memory_equal(zz, z + 2 * i, sizeof zz);
                assert_memory_equal(uu, u + 2 * i, sizeof uu);
            }
        }
    free(z);
    free(u);
}

static void test_repeatable(void **state)
{
    (void)state;
    rng_stream s = rng_stream_make(11, 12, RNG_PROBE);
    const size_t n = 100001;
    double *a = xmalloc(n), *b = xmalloc(n);
    rng_normal(&s, 1, 0, n, a);
    rng_normal(&s, 1, 0, n, b);
    assert_memory_equal(a, b, n * sizeof *a);
    rng_uniform(&s, 1, 0, n, a);
    rng_uniform(&s, 1, 0, n, b);
    assert_memory_equal(a, b, n * sizeof *a);
    free(a);
    free(b);
}

/* Every instruction-set path the CPU can run (forced one after the other) gives bitwise the
 * scalar reference: uniforms, normals, by-step batches and raw words. This is the cross-CPU
 * rule: an AVX2 node and an AVX-512 node draw identical numbers. */
static void test_isa_paths_bitwise(void **state)
{
    (void)state;
    rng_stream s = rng_stream_make(31337, 2, RNG_BULK);
    const size_t n = 100003;
    double *f = xmalloc(n), *r = xmalloc(n);
    uint32_t *w = malloc(4 * n * sizeof *w);
    int detected = rng_isa(), covered = 0;
    for (int isa = RNG_ISA_SSE2; isa <= RNG_ISA_AVX512; isa++) {
        if (rng_isa_force(isa) != 0) continue;
        assert_int_equal(rng_isa(), isa);
        rng_uniform(&s, 8, 3, n, f);
        rng_uniform_ref(&s, 8, 3, n, r);
        assert_memory_equal(f, r, n * sizeof *f);
        rng_normal(&s, 8, 3, n, f);
        rng_normal_ref(&s, 8, 3, n, r);
        assert_memory_equal(f, r, n * sizeof *f);
        rng_normal_steps(&s, 1000, 7, n / 2, f);
        for (size_t i = 0; i < n / 2; i++)
            rng_normal_ref(&s, 1000 + i, 7, 2, r + 2 * i);
        assert_memory_equal(f, r, (n / 2) * 2 * sizeof *f);
        rng_raw4n(&s, 5, 11, n / 4, w);
        for (size_t i = 0; i < n / 4; i++) {
            uint32_t ref[4];
            rng_raw4(&s, 5, 11 + (uint32_t)i, ref);
            assert_memory_equal(w + 4 * i, ref, sizeof ref);
        }
        printf("    %s path: bitwise the reference\n", rng_isa_name(isa));
        covered++;
    }
    assert_int_equal(rng_isa_force(-1), 0);
    assert_int_equal(rng_isa(), detected);
    assert_true(covered >= 2); /* x86-64 always has SSE2; CI machines have AVX2 at least */
    free(f);
    free(r);
    free(w);
}

/* The Box-Muller kernel against a long double evaluation of sqrt(-2 log u0) (cos, sin)(2 pi u1)
 * on the same uniforms: the error is a few ulp of the radius r (the absolute error of cos and
 * sin near their zeros is what counts: the normal is r cos th). Bound 2e-15 max(1, r); a kernel
 * with a wrong last log coefficient (lg7 off by 10 %) would exceed it (checked by hand). */
static void test_normal_accuracy(void **state)
{
    (void)state;
    rng_stream s = rng_stream_make(7, 1, RNG_TEST);
    const size_t n = 1000000;
    double *z = xmalloc(n), worst = 0;
    rng_normal(&s, 3, 0, n, z);
    for (size_t i = 0; i < n; i += 2) {
        uint32_t w[4];
        rng_raw4(&s, 3, (uint32_t)(i / 2), w);
        long double u0 = rng_u53(w[0], w[1]), u1 = rng_u53(w[2], w[3]);
        long double r = sqrtl(-2.0L * logl(u0)),
                    th = 2.0L * 3.141592653589793238462643383279503L * u1;
        long double e0 = fabsl((long double)z[i] - r * cosl(th)) / fmaxl(1.0L, r);
        long double e1 = fabsl((long double)z[i + 1] - r * sinl(th)) / fmaxl(1.0L, r);
        worst = fmax(worst, (double)fmaxl(e0, e1));
    }
    printf("    normals vs long double: max |error| / max(1, r) = %.3g (%.2f ulp of 1)\n", worst,
           worst / 0x1p-52);
    assert_true(worst < 2e-15);
    free(z);
}

/* ---------------------------------------------------------------------------------------------
 * Distributions and independence (fixed seeds). */

static void test_normal_moments(void **state)
{
    (void)state;
    rng_stream s = rng_stream_make(20240601, 0, RNG_TEST);
    const size_t n = 2000000;
    double *z = xmalloc(n);
    rng_normal(&s, 42, 0, n, z);
    double mean = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += z[i];
    mean /= (double)n;
    double m2 = 0.0, m3 = 0.0, m4 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = z[i] - mean, d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
    }
    m2 /= (double)n;
    m3 /= (double)n;
    m4 /= (double)n;
    double skew = m3 / pow(m2, 1.5), kurt = m4 / (m2 * m2) - 3.0, dn = (double)n;
    printf("    n=%zu mean %.2e var-1 %.2e skew %.2e ex.kurt %.2e\n", n, mean, m2 - 1.0, skew,
           kurt);
    assert_true(fabs(mean) < 5.0 / sqrt(dn));
    assert_true(fabs(m2 - 1.0) < 5.0 * sqrt(2.0 / dn));
    assert_true(fabs(skew) < 5.0 * sqrt(6.0 / dn));
    assert_true(fabs(kurt) < 5.0 * sqrt(24.0 / dn));
    free(z);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* sqrt(n) times the Kolmogorov-Smirnov distance of the sample to the CDF. */
static double ks_stat(double *x, size_t n, double (*cdf)(double))
{
    qsort(x, n, sizeof *x, cmp_double);
    double d = 0.0;
    for (size_t i = 0; i < n; i++) {
        double F = cdf(x[i]);
        d = fmax(d, fmax((double)(i + 1) / (double)n - F, F - (double)i / (double)n));
    }
    return sqrt((double)n) * d;
}

static double cdf_uniform(double x)
{
    return x;
}
static double cdf_normal(double x)
{
    return 0.5 * erfc(-x / M_SQRT2);
}

/* 1.949 is the p = 0.001 critical value of sqrt(n) D for large n. */
static const double KS_CRIT = 1.949;

static void test_uniform_distribution(void **state)
{
    (void)state;
    rng_stream s = rng_stream_make(8, 8, RNG_TIME);
    const size_t n = 2000000;
    double *u = xmalloc(n);
    rng_uniform(&s, 5, 0, n, u);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        assert_true(u[i] > 0.0 && u[i] < 1.0);
        sum += u[i];
    }
    assert_true(fabs(sum / (double)n - 0.5) < 5.0 / sqrt(12.0 * (double)n));
    double ks = ks_stat(u, n / 2, cdf_uniform);
    printf("    uniform: sqrt(n) D = %.3f (n=%zu, limit %.3f)\n", ks, n / 2, KS_CRIT);
    assert_true(ks < KS_CRIT);
    free(u);
}

static void test_normal_distribution(void **state)
{
    (void)state;
    rng_stream s = rng_stream_make(8, 9, RNG_EVAL);
    const size_t n = 1000000;
    double *z = xmalloc(n);
    rng_normal(&s, 5, 0, n, z);
    double ks = ks_stat(z, n, cdf_normal);
    printf("    normal: sqrt(n) D = %.3f (n=%zu, limit %.3f)\n", ks, n, KS_CRIT);
    assert_true(ks < KS_CRIT);
    free(z);
}

static double correlation(const double *x, size_t sx, const double *y, size_t sy, size_t n)
{
    double mx = 0.0, my = 0.0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i * sx];
        my += y[i * sy];
    }
    mx /= (double)n;
    my /= (double)n;
    double sxy = 0.0, sxx = 0.0, syy = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = x[i * sx] - mx, b = y[i * sy] - my;
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    return sxy / sqrt(sxx * syy);
}

/* Streams that differ in one of seed, task, purpose, step (low and high word) are uncorrelated,
 * and so are the two normals of a block and neighbouring blocks. */
static void test_streams_uncorrelated(void **state)
{
    (void)state;
    const size_t n = 1000000;
    const double lim = 5.0 / sqrt((double)n);
    double *a = xmalloc(n), *b = xmalloc(n);
    rng_stream base = rng_stream_make(1, 0, RNG_BULK);
    rng_stream other[] = {rng_stream_make(2, 0, RNG_BULK), rng_stream_make(1, 1, RNG_BULK),
                          rng_stream_make(1, 0, RNG_DIFFUSE), base, base};
    const uint64_t step[] = {0, 0, 0, 1, 1ull << 32};
    rng_normal(&base, 0, 0, n, a);
    for (size_t k = 0; k < sizeof step / sizeof step[0]; k++) {
        rng_normal(&other[k], step[k], 0, n, b);
        double r = correlation(a, 1, b, 1, n);
        assert_true(fabs(r) < lim);
    }
    double r_pair = correlation(a, 2, a + 1, 2, n / 2);     /* r cos th vs r sin th */
    double r_next = correlation(a, 2, a + 2, 2, n / 2 - 1); /* neighbouring blocks */
    assert_true(fabs(r_pair) < 5.0 / sqrt((double)n / 2) && fabs(r_next) < 5.0 / sqrt(n / 2.0));
    /* Sanity of the check itself: a stream against itself. */
    assert_true(correlation(a, 1, a, 1, n) > 0.999);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_kat),
        cmocka_unit_test(test_raw_batch_equals_scalar),
        cmocka_unit_test(test_block_convention),
        cmocka_unit_test(test_golden_values),
        cmocka_unit_test(test_u53_extremes),
        cmocka_unit_test(test_normal_prefix_alignment),
        cmocka_unit_test(test_uniform_prefix_alignment),
        cmocka_unit_test(test_single_draws),
        cmocka_unit_test(test_by_steps),
        cmocka_unit_test(test_repeatable),
        cmocka_unit_test(test_isa_paths_bitwise),
        cmocka_unit_test(test_normal_accuracy),
        cmocka_unit_test(test_normal_moments),
        cmocka_unit_test(test_uniform_distribution),
        cmocka_unit_test(test_normal_distribution),
        cmocka_unit_test(test_streams_uncorrelated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
