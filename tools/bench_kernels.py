"""Kernel speed as ratios against BLAS baselines measured in the same run (medians of 5 after a
warm-up). Usage: python tools/bench_kernels.py [--json] [--quick]

binary      N = 10^6, d = 100:      fused loss+grad / one X @ b; grad+Hessian / SciPy dsyrk on the
                                    same weighted X̂; Hessian-vector product / one X @ b
multinomial N = 2x10^5, d = 50, K = 10: loss+grad / X @ B; Hessian / (K(K+1)/2 dsyrk of the
                                    weighted X̂: the BLAS work of the block sandwich); hessp / X @ B
SciPy (a core dependency) provides the dsyrk baseline.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
from scipy.linalg.blas import dsyrk

from symlogit.kernels import binary, multinomial


def median_seconds(fn, repeats=5):
    fn()  # warm-up (and numba compile on the first call)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_binary(n, d, rng):
    X = rng.normal(size=(n, d))
    y = (rng.random(n) < 0.5).astype(float)
    beta = rng.normal(size=d + 1) * 0.1
    Xh = np.hstack([np.ones((n, 1)), X])
    u = Xh @ beta
    s = 1 / (1 + np.exp(-u))
    Xw = np.sqrt(s * (1 - s))[:, None] * Xh
    t = {
        "matvec": median_seconds(lambda: X @ beta[1:]),
        "loss_grad": median_seconds(lambda: binary.loss_grad(X, y, beta)),
        "syrk": median_seconds(lambda: dsyrk(1.0, Xw.T)),
        "grad_hess": median_seconds(lambda: binary.grad_hess(X, y, beta)),
        "hessp": median_seconds(lambda: binary.hessp(X, beta, beta)),
    }
    return t


def bench_multinomial(n, d, k, rng):
    X = rng.normal(size=(n, d))
    labels = rng.integers(0, k, n)
    B = rng.normal(size=(d + 1, k)) * 0.1
    Xw = np.hstack([np.ones((n, 1)), X]) * 0.5
    blocks = k * (k + 1) // 2
    t = {
        "matvec": median_seconds(lambda: X @ B[1:]),
        "loss_grad": median_seconds(lambda: multinomial.loss_grad(X, labels, B)),
        "syrk_blocks": blocks * median_seconds(lambda: dsyrk(1.0, Xw.T)),
        "grad_hess": median_seconds(lambda: multinomial.grad_hess(X, labels, B), repeats=3),
        "hessp": median_seconds(lambda: multinomial.hessp(X, B, B)),
    }
    return t


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="10x smaller problems (a smoke run)")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    rng = np.random.default_rng(0)
    b = bench_binary(1_000_000 // scale, 100, rng)
    m = bench_multinomial(200_000 // scale, 50, 10, rng)
    result = {
        "loss_grad_over_matvec": b["loss_grad"] / b["matvec"],
        "hessian_over_syrk": b["grad_hess"] / b["syrk"],
        "hessp_over_matvec": b["hessp"] / b["matvec"],
        "multinomial_loss_grad_over_matvec": m["loss_grad"] / m["matvec"],
        "multinomial_hessian_over_syrk": m["grad_hess"] / m["syrk_blocks"],
        "multinomial_hessp_over_matvec": m["hessp"] / m["matvec"],
        "seconds": {"binary": b, "multinomial": m},
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            if key != "seconds":
                print(f"{key:36s} {value:6.2f}")
        print(json.dumps(result["seconds"], indent=1))


if __name__ == "__main__":
    main()
