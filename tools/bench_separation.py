"""What the separation test costs an unpenalised fit: the fit's time with it over the same fit
with the test switched off (``symlogit.estimator._Separation`` replaced by a stub that finds
nothing), on the unpenalised cases of tools/bench_peers.py (B1, B2, M1, P1, G1, Q1); and the
test's verdict, also on two separated data sets (S1, S2: there the fit with the test stops at
iteration 16, so the ratio can fall below 1).

    python tools/bench_separation.py [--cases B1 M1 ...] [--repeats 3] [--scale 1.0]

Medians of ``repeats`` after one warm-up fit (numba's compilation). Run on a quiet machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peers import FAMILY, make_case  # noqa: E402

import symlogit.estimator  # noqa: E402
from symlogit import GLMClassifier, GLMRegressor, LogisticRegression  # noqa: E402


class NoTest:
    """A ``_Separation`` that never runs: the baseline."""

    def __init__(self, *args):
        self.direction = None

    def decide(self, theta):
        pass

    def during_fit(self, point, theta):
        return None


def separated(name, scale, seed=0):
    """S1: a rare indicator (5 rows, all y = 1) next to 50 Gaussian columns, N = 10^6 (quasi-
    separation); S2: y = [x_1 > 0], N = 10^5, d = 20 (complete separation)."""
    rng = np.random.default_rng(seed)
    if name == "S1":
        n = int(1e6 * scale)
        X = rng.normal(size=(n, 51))
        X[:, 50] = 0.0
        y = (X[:, 0] + rng.logistic(size=n) > 0).astype(np.int64)
        rows = rng.choice(n, 5, replace=False)
        X[rows, 50], y[rows] = 1.0, 1
        return X, y
    n = int(1e5 * scale)
    X = rng.normal(size=(n, 20))
    return X, (X[:, 0] > 0).astype(np.int64)


def estimator(name):
    if name == "Q1":
        return GLMRegressor(alpha=0.0, tol=1e-10, max_iter=500)
    family = FAMILY.get(name, "logit")
    return (LogisticRegression if family == "logit" else GLMClassifier)(
        **({} if family == "logit" else {"family": family}), penalty=None, tol=1e-10, max_iter=500)


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["B1", "B2", "M1", "P1", "G1", "Q1", "S1", "S2"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    print(f"{'case':<5}{'N':>9}{'p':>5}{'fit (s)':>9}{'no test':>9}{'ratio':>8}  verdict")
    real = symlogit.estimator._Separation
    for name in args.cases:
        X, y = separated(name, args.scale) if name in ("S1", "S2") else make_case(name, args.scale)[:2]
        model = estimator(name)
        times = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)  # warm-up: numba's compilation or cache load
            for label, test in (("without", NoTest), ("with", real)):
                symlogit.estimator._Separation = test
                try:
                    times[label] = median_time(lambda: model.fit(X, y), args.repeats)
                finally:
                    symlogit.estimator._Separation = real
        verdict = "separated" if model.separation_ else "finite optimum"
        print(f"{name:<5}{X.shape[0]:>9}{X.shape[1]:>5}{times['with']:>9.3f}{times['without']:>9.3f}"
              f"{times['with'] / times['without']:>8.3f}  {verdict}")


if __name__ == "__main__":
    main()
