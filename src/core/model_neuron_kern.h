/* model_neuron_kern — the neuron family's vector kernels (src/core/model_neuron_kern.c), for
 * model_neuron.c only. Rows r[j] (j < n <= NRN_CHUNK) of length d; every kernel forms its sums as
 * 8 lane sums reduced in one order, so all instruction-set paths give the same bits. */
#ifndef MCMSIM_MODEL_NEURON_KERN_H
#define MCMSIM_MODEL_NEURON_KERN_H

/* Rows per fused pass: 4 rows x 2 dot accumulators keep 8 vector registers busy next to the
 * loads, within AVX2's 16. */
enum { NRN_CHUNK = 4 };

/* out[j] = r[j] . y */
void nrn_dots(int n, const double *const *r, const double *y, int d, double *out);
/* The same for any n, NRN_CHUNK rows per pass. */
void nrn_dots_all(int n, const double *const *r, const double *y, int d, double *out);
/* out = s0 y + sum_j cf[j] r[j] (y may be out). */
void nrn_comb(int n, const double *const *r, const double *cf, double s0, const double *y, int d,
              double *out);
/* gr[j] (+)= al[j] g + be[j] x (set: written). */
void nrn_rank2(int n, double *const *gr, const double *al, const double *be, const double *g,
               const double *x, int d, int set);
/* Rows per pass of nrn_rank2s (3 accumulators of 8 lanes per row): 2 on AVX-512; 0 on the other
 * paths, where the accumulators spill and the fused pass was measured 4-9 % slower than the
 * separate reduction (1 row per pass slower still): there the caller takes the unfused path. */
int nrn_sums_rows(void);
/* gr[j] = al[j] g + be[j] x and sums[3 j ..] = (|wr[j]|^2, wr[j] . gr[j], |gr[j]|^2),
 * n <= nrn_sums_rows(). */
void nrn_rank2s(int n, double *const *gr, const double *const *wr, const double *al,
                const double *be, const double *g, const double *x, int d, double *sums);
/* D = (fx ? s0 x : cf[0] r[0]) + sum_{j >= !fx} cf[j] r[j] (+ sa x if add), res = x0 - D,
 * g = sc res; dots[j] = r[j] . g, dots[n] = x . g, dots[n + 1] = |res|^2 (1 <= n). */
void nrn_resid(int n, const double *const *r, const double *cf, int fx, double s0, int add,
               double sa, const double *x, const double *x0, double sc, int d, double *g,
               double *dots);

#endif
