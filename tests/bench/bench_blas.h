/* bench_blas — the header line of every benchmark: the CPU, its widest vector extension, and
 * the kernel OpenBLAS picked for it. Benchmarks never force a kernel (OPENBLAS_CORETYPE): an
 * AVX-512 kernel raises SIGILL on an AVX2-only CPU, so the figures are those of the kernel the
 * library chose, and this line says which. */
#ifndef MCMSIM_BENCH_BLAS_H
#define MCMSIM_BENCH_BLAS_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* OpenBLAS's own query, looked up at run time: the program links the BLAS alternative (-lblas),
 * which need not be OpenBLAS. */
static const char *bench_blas_core(void)
{
    void *sym = dlsym(RTLD_DEFAULT, "openblas_get_corename");
    char *(*corename)(void);
    memcpy(&corename, &sym, sizeof corename); /* POSIX: object to function pointer */
    return sym ? corename()
               : "none loaded (no openblas_get_corename: another BLAS, or no BLAS in this program)";
}

static void bench_blas_banner(const char *bench)
{
    char line[512], cpu[256] = "unknown CPU";
    const char *isa = "SSE2";
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "model name", 10) && strchr(line, ':'))
            snprintf(cpu, sizeof cpu, "%s", strchr(line, ':') + 2);
        if (!strncmp(line, "flags", 5)) {
            isa = strstr(line, " avx512f") ? "AVX-512" : strstr(line, " avx2") ? "AVX2" : isa;
            break;
        }
    }
    if (f) fclose(f);
    cpu[strcspn(cpu, "\n")] = '\0';
    const char *thr = getenv("OPENBLAS_NUM_THREADS");
    printf("%s: CPU %s (%s); OpenBLAS core %s, OPENBLAS_NUM_THREADS=%s\n", bench, cpu, isa,
           bench_blas_core(), thr ? thr : "unset");
    fflush(stdout);
    if (getenv("BENCH_BANNER_ONLY")) exit(0); /* tests/cli/test_build.sh reads this line only */
}

#endif
