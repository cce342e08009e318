"""The sequential strong rule along an L1 path (issue 18, item 2): a wide random sparse problem
fitted along a path of penalties with and without ``regularization_path(strong_rules=...)``,
reporting the time, the passes over X, the columns and stored entries of X they read all told,
the largest agreement of the two paths' coefficients, and the screened solves' rounds (columns
solved over, KKT violators added).

Usage: python tools/bench_strong_rules.py [--n 2000] [--p 20000] [--density 0.005] [--points 30] [--ratio 0.01]
(--density 1: dense X)
"""

import argparse
import time

import numpy as np
import scipy.sparse as sp

from symlogit import LogisticRegression
from symlogit.path import largest_penalty, regularization_path
from symlogit.solvers import objective as objective_module
from symlogit.solvers.proximal_newton import ProximalNewton

PASSES = ("value", "value_grad", "value_grad_hess", "scores", "direction_scores", "hessp")


def problem(n, p, density, informative=20, seed=0):
    """X: (n, p) CSR with the given density of N(0, 1) entries (density 1: a dense array)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) if density >= 1 else sp.random(n, p, density=density, format="csr",
                                                                   random_state=seed, data_rvs=rng.standard_normal)
    beta = np.zeros(p)
    beta[:informative] = rng.normal(scale=3.0, size=informative)
    return X, (X @ beta + rng.logistic(size=n) > 0).astype(int)


class Counter:
    """Wraps the objective's passes over X, adding up the columns and stored entries each reads."""

    def __init__(self):
        self.passes = self.columns = self.entries = 0
        self.rounds = []

    def install(self):
        for name in PASSES:
            original = getattr(objective_module.Objective, name)

            def counted(obj, *args, _original=original, **kwargs):
                self.passes += 1
                self.columns += obj.X.shape[1]
                self.entries += obj.X.nnz if sp.issparse(obj.X) else obj.X.size
                return _original(obj, *args, **kwargs)

            for cls in (objective_module.Objective, objective_module.SparseObjective):
                setattr(cls, name, counted)
        screened = ProximalNewton._screened

        def recording(solver, *args, **kwargs):
            result = screened(solver, *args, **kwargs)
            self.rounds.append(list(solver.screening_))
            return result

        ProximalNewton._screened = recording


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--p", type=int, default=20000)
    parser.add_argument("--density", type=float, default=0.005)
    parser.add_argument("--points", type=int, default=30)
    parser.add_argument("--ratio", type=float, default=0.01, help="the path's smallest to largest penalty")
    args = parser.parse_args()
    X, y = problem(args.n, args.p, args.density)
    estimator = LogisticRegression(l1_ratio=1.0, tol=1e-8, max_iter=200)
    top = largest_penalty(estimator, X, y)
    grid = top * np.geomspace(1.0, 1.0 / args.ratio, args.points)
    regularization_path(estimator, X[:, :50], y, grid[:2])  # compile the kernels first
    counter = Counter()
    counter.install()
    paths = {}
    for rule in (False, True):
        counter.passes = counter.columns = counter.entries = 0
        counter.rounds = []
        start = time.perf_counter()
        path = regularization_path(estimator, X, y, grid, strong_rules=rule)
        elapsed = time.perf_counter() - start
        paths[rule] = path
        print(f"strong rule {'on ' if rule else 'off'}: {elapsed:6.2f} s, {path.n_iter.sum()} iterations, "
              f"{counter.passes} passes over X reading {counter.columns:.3g} columns, {counter.entries:.3g} stored "
              f"entries; converged {path.converged.all()}, nonzeros at the end {np.count_nonzero(path.coefs[-1])}")
        if rule:
            sizes = [r[0][0] for r in counter.rounds if r]
            extra = sum(max(len(r) - 1, 0) for r in counter.rounds)
            added = sum(v for r in counter.rounds for _, v in r)
            print(f"  screened columns per fit: median {np.median(sizes):.0f}, max {max(sizes)} of {args.p}; "
                  f"fits with a KKT refit: {sum(len(r) > 1 for r in counter.rounds)}, refits {extra}, "
                  f"violating columns added {added}")
    print(f"max |coef difference| between the paths: {np.abs(paths[True].coefs - paths[False].coefs).max():.3g}")


if __name__ == "__main__":
    main()
