#!/usr/bin/python3
"""Round trip of `mcmsim sample` output through h5py: recompute the MCM statistics from the
stored samples and latents and compare with the exact values within 5 standard errors."""
import math
import sys

import h5py
import numpy as np

f = h5py.File(sys.argv[1], "r")
cfg = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in f["config"].attrs.items()}
x0, xt = f["samples/x0"][()], f["samples/xt"][()]
lam, nu = f["samples/lambda"][()], f["samples/nu"][()]
m, u, v = f["model/m"][()], f["model/u"][()], f["model/v"][()]
al, sg = float(f["samples"].attrs["alpha_t"]), float(f["samples"].attrs["sigma_t"])
bu, bv = float(cfg["mcm.beta_u"]), float(cfg["mcm.beta_v"])
n, d = x0.shape
b = math.sqrt(bv / (1 + bv))
errs = []


def near(name, got, want, se):
    if not abs(got - want) <= 5 * se:
        errs.append("%s: %.5f vs %.5f (5 SE = %.5f)" % (name, got, want, 5 * se))


G = np.stack([m, u, v])
near("spikes orthonormal", np.abs(G @ G.T - np.eye(3)).max(), 0, 2e-13)
hu, hv = x0 @ u, x0 @ v
# u.x0 = sqrt(beta_u) lambda + g exactly: the residual is N(0, 1) and independent of lambda.
res = hu - math.sqrt(bu) * lam
near("var(u.x0 - sqrt(bu) lambda)", res.var(), 1, math.sqrt(2 / n))
near("corr(residual, lambda)", np.mean(res * lam), 0, 1 / math.sqrt(n))
near("var(u.x0)", hu.var(), 1 + bu, (1 + bu) * math.sqrt(2 / n))
near("var(v.x0)", hv.var(), 1, math.sqrt(2 / n))
near("E[v.x0 nu] = b", np.mean(hv * nu), b, 1 / math.sqrt(n))
near("Rademacher nu", np.abs(np.abs(nu) - 1).max(), 0, 1e-15)
k = np.mean(hv ** 4) / np.mean(hv ** 2) ** 2 - 3
near("excess kurtosis v.x0", k, -2 * bv ** 2 / (1 + bv) ** 2, math.sqrt(8 / n))
noise = xt - al * x0
near("var(x_t - alpha x0) per coordinate", noise.var(), sg ** 2, sg ** 2 * math.sqrt(2 / (n * d)))
if errs:
    sys.exit("\n".join(errs))
