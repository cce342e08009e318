"""What the default tolerance buys and costs (issue 21, item 4): on each bundled dataset, the fit at
tol in TOLS with solver='auto' against the optimum (newton at tol 1e-13), as the coefficients'
relative error max_j |b_j - b*_j| / max_j |b*_j| and the significant digits it leaves, and the
time as a ratio to the fit at tol = 1e-4 (medians of REPEATS, in one run).

Usage: python tools/bench_tolerance.py [--repeats 7]
"""

import argparse
import time
import warnings

import numpy as np
from sklearn import datasets

from symlogit import LogisticRegression

TOLS = (1e-4, 1e-6, 1e-8, 1e-10)
DATASETS = ("breast_cancer", "iris", "wine", "digits")


def coefficients(model):
    return np.concatenate([np.ravel(model.intercept_), np.ravel(model.coef_)])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"{'dataset':<14}{'tol':>8}{'solver':>10}{'iters':>7}{'rel. error':>12}{'digits':>8}{'time':>10}{'vs 1e-4':>9}")
    for name in DATASETS:
        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        best = coefficients(LogisticRegression(solver="newton", tol=1e-13, max_iter=1000).fit(X, y))
        base = None
        for tol in TOLS:
            times = []
            for _ in range(args.repeats):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    start = time.perf_counter()
                    model = LogisticRegression(tol=tol).fit(X, y)
                    times.append(time.perf_counter() - start)
            seconds = float(np.median(times))
            base = base or seconds
            error = float(np.max(np.abs(coefficients(model) - best)) / np.max(np.abs(best)))
            digits = -np.log10(max(error, 1e-17))
            print(f"{name:<14}{tol:>8.0e}{model.solver_:>10}{model.n_iter_[0]:>7}{error:>12.2e}{digits:>8.1f}"
                  f"{seconds * 1e3:>8.1f}ms{seconds / base:>9.2f}")


if __name__ == "__main__":
    main()
