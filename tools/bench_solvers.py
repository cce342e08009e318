"""Which solver wins where: the measurements behind ``solver='auto'``.

For each problem (N rows, d features, K classes, well or badly scaled columns) every
second-order-capable solver is run to tol = 1e-8 on max|gradient| from zero (at most 300
iterations); we report the median wall time of 3 runs after a warm-up (compilation excluded),
the iterations, and whether it converged ("!" when not). Slow: newton-cg on badly scaled
columns took minutes before its CG was preconditioned; --quick takes about 15 seconds. Usage: python tools/bench_solvers.py [--json] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings

import numpy as np

from symlogit import LogisticRegression
from symlogit.solvers import choose_solver

SOLVERS = ("newton", "newton-cg", "lbfgs")


def problem(n, d, k, scale_spread, seed=0):
    """Correlated Gaussian features (a shared factor), columns scaled over 10^scale_spread."""
    rng = np.random.default_rng(seed)
    X = 0.7 * rng.normal(size=(n, 1)) + 0.7 * rng.normal(size=(n, d))
    scores = X @ rng.normal(size=(d, k)) / np.sqrt(d) * 2 + rng.gumbel(size=(n, k))
    y = scores.argmax(axis=1)
    return np.ascontiguousarray(X * np.logspace(0, scale_spread, d)), y


def run(X, y, solver, repeats):
    times, model = [], None
    for _ in range(repeats + 1):  # the first run warms up (compiles) and is not counted
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            model = LogisticRegression(solver=solver, tol=1e-8, max_iter=300, C=1.0).fit(X, y)
            times.append(time.perf_counter() - start)
    return {"seconds": statistics.median(times[1:]), "n_iter": int(model.n_iter_[0]),
            "converged": bool(model.converged_)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true", help="smaller problems, 1 repeat")
    args = parser.parse_args()
    n = 5000 if args.quick else 20000
    repeats = 1 if args.quick else 3
    shapes = [(50, 2), (300, 2), (50, 10)] if args.quick else [(50, 2), (300, 2), (800, 2), (50, 10), (100, 10)]
    rows = []
    for d, k in shapes:
        for spread in (0, 3):
            X, y = problem(n, d, k, spread)
            params = (d + 1) * (k if k > 2 else 1) - (1 if k > 2 else 0)
            row = {"N": n, "d": d, "K": k, "params": params, "scale_spread": 10 ** spread,
                   "auto_picks": choose_solver(n, params)}
            for solver in SOLVERS:
                row[solver] = run(X, y, solver, repeats)
            row["fastest_converged"] = min((s for s in SOLVERS if row[s]["converged"]),
                                           key=lambda s: row[s]["seconds"], default=None)
            rows.append(row)
            if not args.json:
                cells = "  ".join(f"{s} {row[s]['seconds']:7.3f}s/{row[s]['n_iter']:4d}{'' if row[s]['converged'] else '!'}"
                                  for s in SOLVERS)
                print(f"N={n} d={d:4d} K={k:2d} p={params:5d} spread=1e{spread}  {cells}  "
                      f"fastest={row['fastest_converged']}  auto={row['auto_picks']}", flush=True)
    if args.json:
        print(json.dumps({"rows": rows}, indent=1))


if __name__ == "__main__":
    main()
