"""Kernel speed as ratios against BLAS baselines measured in the same run (medians of 5 after a
warm-up, the median of 3 rounds). Usage: python tools/bench_kernels.py [--json] [--quick]

Each ratio compares medians measured one block after the other, see ``paired``.

binary      N = 10^6, d = 100:      fused loss+grad / one X @ b; grad+Hessian / SciPy dsyrk on the
                                    same weighted X̂; Hessian-vector product / one X @ b
probit, cloglog, poisson  N = 10^6, d = 100: fused loss+grad / one X @ b (targets: labels drawn
                                    from the family at the scores; Poisson counts)
multinomial N = 2x10^5, d = 50, K = 10: loss+grad / X @ B; Hessian / (K(K+1)/2 dsyrk of the
                                    weighted X̂: the BLAS work of the block sandwich); hessp / X @ B.
                                    Targets one-hot (N, K), as the solvers pass them (integer
                                    labels would add their conversion, ~4 ms, to every call)
sparse      N = 2x10^5, d = 10^5, 100 non-zeros per row (CSR; Zipf-like columns): the logit
                                    loss+gradient on sparse X (scipy's X @ b, the generated
                                    per-row weights, scipy's X.T @ r: symlogit.sparse) over
                                    scipy's X @ b plus X.T @ r (issue 17's limit)
SciPy (a core dependency) provides the dsyrk baseline.

Baselines run with BLAS's default threads. The kernels run as the solvers run them, inside
``one_blas_thread()`` (see symlogit.solvers.objective): the Hessian's many small SYRKs and
numba's threads would otherwise compete for the cores, and the timing would depend on
which pool happened to be spinning.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time

import numpy as np
from scipy.linalg.blas import dsyrk

from symlogit.kernels import logit as binary, module, softmax as multinomial
from symlogit.solvers.objective import one_blas_thread


def median_seconds(fn, context, repeats):
    """Median wall time of ``repeats`` calls after a warm-up (numba compiles on its first call)."""
    with context():
        fn()
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def paired(kernel, baseline, repeats=5, blocks=1, rounds=3):
    """``rounds`` times: the baseline's calls, then the kernel's, each block after a pause: idle
    thread pools (OpenBLAS: 2^28 cycles, ~0.1 s; numba's OpenMP) spin after their last call, and
    on two cores a spinning thread slows whatever runs next. (Alternating single calls was
    tried: every kernel call then ran beside spinning BLAS threads, 1.5x slower than inside a
    solve.) The kernel runs inside ``one_blas_thread()``, as the solvers run it; the baseline
    with BLAS's default threads. Each round gives the ratio of the two medians, kernel /
    (blocks x baseline); we report the median round, so that one slow stretch of this shared
    VM (the baseline alone has ranged from 35 to 60 ms) does not decide the ratio."""
    measured = []
    for _ in range(rounds):
        time.sleep(0.3)
        base = blocks * median_seconds(baseline, contextlib.nullcontext, repeats)
        time.sleep(0.3)
        kern = median_seconds(kernel, one_blas_thread, repeats)
        measured.append({"kernel": kern, "baseline": base, "ratio": kern / base})
    return sorted(measured, key=lambda m: m["ratio"])[len(measured) // 2]


def bench_binary(n, d, rng):
    X = rng.normal(size=(n, d))
    y = (rng.random(n) < 0.5).astype(float)
    beta = rng.normal(size=d + 1) * 0.1
    Xh = np.hstack([np.ones((n, 1)), X])
    u = Xh @ beta
    s = 1 / (1 + np.exp(-u))
    Xw = np.sqrt(s * (1 - s))[:, None] * Xh
    matvec = lambda: X @ beta[1:]  # noqa: E731
    return {
        "loss_grad_over_matvec": paired(lambda: binary.loss_grad(X, y, beta), matvec),
        "hessian_over_syrk": paired(lambda: binary.grad_hess(X, y, beta), lambda: dsyrk(1.0, Xw.T)),
        "hessp_over_matvec": paired(lambda: binary.hessp(X, y, beta, beta), matvec),
    }


def bench_scalar_families(n, d, rng, names=("probit", "cloglog", "poisson")):
    """Fused loss+gradient of each scalar family over one X @ b, on the same X, at scores of
    standard deviation ~1 (where every family's formulas are exercised, none saturated)."""
    X = rng.normal(size=(n, d))
    beta = rng.normal(size=d + 1) * 0.1
    u = beta[0] + X @ beta[1:]
    matvec = lambda: X @ beta[1:]  # noqa: E731
    out = {}
    for name in names:
        k = module(name)
        mean = k.means_from_scores(u)
        y = rng.poisson(mean).astype(float) if k.DOMAIN == "nonnegative" else (rng.random(n) < mean).astype(float)
        out[f"{name}_loss_grad_over_matvec"] = paired(lambda: k.loss_grad(X, y, beta), matvec)
    return out


def bench_multinomial(n, d, k, rng):
    X = rng.normal(size=(n, d))
    labels = np.eye(k)[rng.integers(0, k, n)]  # one-hot (N, K), as the solvers pass them
    B = rng.normal(size=(d + 1, k)) * 0.1
    Xw = np.hstack([np.ones((n, 1)), X]) * 0.5
    matvec = lambda: X @ B[1:]  # noqa: E731
    return {
        "multinomial_loss_grad_over_matvec": paired(lambda: multinomial.loss_grad(X, labels, B), matvec),
        "multinomial_hessian_over_syrk": paired(lambda: multinomial.grad_hess(X, labels, B),
                                                lambda: dsyrk(1.0, Xw.T), repeats=3, blocks=k * (k + 1) // 2),
        "multinomial_hessp_over_matvec": paired(lambda: multinomial.hessp(X, labels, B, B), matvec),
    }


def bench_sparse(n, d, per_row, rng):
    """The sparse logit loss+gradient over scipy's own X @ b + X.T @ r on the same CSR X."""
    import scipy.sparse

    from symlogit.sparse import sparse_kernels
    from symlogit.family import get_family

    columns = np.minimum((rng.pareto(1.0, size=n * per_row) * 10).astype(np.int64), d - 1)  # frequent words first
    rows = np.repeat(np.arange(n), per_row)
    X = scipy.sparse.csr_matrix((rng.random(n * per_row), (rows, columns)), shape=(n, d))
    X.sum_duplicates()
    y = (rng.random(n) < 0.5).astype(float)
    beta = rng.normal(size=d + 1) * 0.01
    r = rng.normal(size=n)
    kernels = sparse_kernels(get_family("logit"))
    return {"sparse_loss_grad_over_spmv": paired(lambda: kernels.loss_grad(X, y, beta),
                                                 lambda: (X @ beta[1:], X.T @ r))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="10x smaller problems (a smoke run)")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    rng = np.random.default_rng(0)
    timings = {**bench_binary(1_000_000 // scale, 100, rng), **bench_scalar_families(1_000_000 // scale, 100, rng),
               **bench_multinomial(200_000 // scale, 50, 10, rng), **bench_sparse(200_000 // scale, 100_000, 100, rng)}
    result = {name: t["ratio"] for name, t in timings.items()}
    result["seconds"] = {name: {"kernel": t["kernel"], "baseline": t["baseline"]} for name, t in timings.items()}
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            if key != "seconds":
                print(f"{key:36s} {value:6.2f}")
        print(json.dumps(result["seconds"], indent=1))


if __name__ == "__main__":
    main()
