"""Does solver='auto' converge at the default tolerance and stay within 1.2x of the best solver?
(issue 21, item 5). On a grid of shapes (rows N, features d, classes K; columns well scaled, or
badly: column j multiplied by 10^s_j, s_j uniform in [-3, 3]), each cell fits newton and lbfgs
at the default tol and max_iter, records time (median of --repeats for fits under 10 s, else
one) and whether each converged, and which solver auto runs (``choose_solver``; "lbfgs+newton"
when it finishes a stalled L-BFGS). auto's time is the time of the solver it runs.

Usage: python tools/bench_auto.py [--repeats 3] [--quick] [--only NxDxK ...]
Prints a markdown table: one row per cell.

    python tools/bench_auto.py --sparse [--repeats 5] [--tol 1e-8]

Sparse X (issue 17, item 3: the measurements behind auto's sparse rule in ``symlogit.solvers``):
binary logit, C = 1, default tol, on text-like X (``bench_peers.make_text``: Zipf vocabulary,
tf-idf, unit rows), one-hot X (``bench_peers.make_onehot``: 10 numeric columns and categorical
blocks) and tall sparse X of few columns (uniform positions and N(0, 1) values); each of tron,
lbfgs, newton-cg and newton (newton only where its dense p x p Hessian is at most 2000 wide) and
auto at --tol, median of --repeats (5 is better than the default 3 on a shared machine), and the
peak memory of its first fit above X (MB, ``bench_peers.PeakMemory``: the resident set's
high-water mark). "!": did not converge.
"""

import argparse
import sys
import time
from pathlib import Path
import warnings

import numpy as np

from symlogit import DEFAULT_TOL, LogisticRegression
from symlogit.solvers.curvature import sample_size

sys.path.insert(0, str(Path(__file__).parent))  # bench_peers' data generators

GRID = [(n, d, k) for n in (1_000, 10_000, 100_000, 1_000_000) for d in (10, 100, 500) for k in (2, 10)
        if n * d <= 10**8 and n > d] + [(2_000_000, 20, 6)]
QUICK = [(n, d, k) for n, d, k in GRID if n * d <= 10**6]


def problem(n, d, k, badly_scaled, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    B = rng.normal(size=(d, k)) * 2 / np.sqrt(d)
    u = X @ B
    u -= u.max(axis=1, keepdims=True)
    P = np.exp(u)
    P /= P.sum(axis=1, keepdims=True)
    y = (P.cumsum(axis=1) > rng.uniform(size=(n, 1))).argmax(axis=1)
    if badly_scaled:
        X *= 10.0 ** rng.uniform(-3, 3, size=d)
    return X, y


SPARSE = [("text", 20_000, 5_000, 100), ("text", 20_000, 20_000, 50), ("text", 50_000, 100_000, 100),
          ("onehot", 100_000, (40,) * 5, None), ("onehot", 100_000, (100,) * 10, None),
          ("onehot", 200_000, (5, 12, 30, 70, 170, 400, 1000), None),
          ("onehot", 100_000, (5, 11, 27, 63, 147, 343, 800, 1864, 4343, 10_000), None),
          ("tall", 200_000, 50, 10), ("tall", 500_000, 20, 5), ("tall", 100_000, 300, 30),
          ("tall", 100_000, 1000, 30), ("tall", 50_000, 3000, 100)]


def sparse_problem(kind, n, shape, per_row, seed=0):
    """(X CSR, y, description) of one SPARSE cell."""
    import scipy.sparse

    from bench_peers import _labels, make_onehot, make_text

    if kind == "text":
        X, y = make_text(n, shape, per_row, seed)
        return X, y, f"text d={shape}, {X.nnz / n:.0f}/row"
    if kind == "onehot":
        X, y = make_onehot(n, shape, seed=seed)
        return X, y, f"one-hot {len(shape)} cols of {min(shape)}-{max(shape)} levels"
    rng = np.random.default_rng(seed)
    X = scipy.sparse.random(n, shape, density=per_row / shape, format="csr", random_state=rng,
                            data_rvs=rng.standard_normal)
    return X, _labels(X @ rng.normal(size=shape), rng), f"tall d={shape}, {X.nnz / n:.0f}/row"


def sparse_main(repeats, tol):
    print("| N | X | p | q | auto runs | auto | tron | lbfgs | newton-cg | newton | fastest |")
    print("| ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    LogisticRegression().fit(*sparse_problem("tall", 200, 5, 2)[:2])  # load the kernels before timing
    for kind, n, shape, per_row in SPARSE:
        X, y, description = sparse_problem(kind, n, shape, per_row)
        p, q = X.shape[1] + 1, X.nnz / n + 1
        results = {s: timed(s, X, y, repeats, tol) for s in ("tron", "lbfgs", "newton-cg", "newton")
                   if s != "newton" or p <= 2000}
        seconds, auto, megabytes = timed("auto", X, y, repeats, tol)
        cells = [f"{results[s][0]:.3f} s, {results[s][2]:.0f} MB{'' if results[s][1].converged_ else ' !'}"
                 if s in results else "skipped" for s in ("tron", "lbfgs", "newton-cg", "newton")]
        best = min((t, s) for s, (t, m, _) in results.items() if m.converged_)[1]
        print(f"| {n} | {description} | {p} | {q:.0f} | {auto.solver_} | {seconds:.3f} s, {megabytes:.0f} MB | "
              f"{' | '.join(cells)} | {best} |", flush=True)


def timed(solver, X, y, repeats, tol=DEFAULT_TOL):
    """(median seconds, the last model, the first fit's peak memory above X in MB)."""
    from bench_peers import PeakMemory

    times, model, peak = [], None, None
    for _ in range(repeats):
        with warnings.catch_warnings(), PeakMemory() as memory:
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            model = LogisticRegression(solver=solver, tol=tol).fit(X, y)
            times.append(time.perf_counter() - start)
        peak = memory.increase / 2**20 if peak is None else peak
        if times[0] > 10.0:
            break
    return float(np.median(times)), model, peak


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="only cells of at most 10^6 entries")
    parser.add_argument("--only", nargs="*", default=None, metavar="NxDxK", help="only these cells, e.g. 1000x500x10")
    parser.add_argument("--sparse", action="store_true", help="the sparse grid (SPARSE) instead")
    parser.add_argument("--tol", type=float, default=DEFAULT_TOL, help="the sparse grid's tol")
    args = parser.parse_args()
    if args.sparse:
        return sparse_main(args.repeats, args.tol)
    for k in (2, 3):  # compile (or load) the kernels before any timing
        LogisticRegression().fit(*problem(200, 3, k, False))
    print("| N | d | K | scale | p | auto runs | auto | newton | lbfgs | auto / best | auto converged |")
    print("| ---: | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | --- |")
    cells = QUICK if args.quick else GRID
    if args.only:
        cells = [tuple(int(v) for v in cell.split("x")) for cell in args.only]
    for n, d, k in cells:
        for badly in (False, True):
            X, y = problem(n, d, k, badly)
            p = (d + 1) * (k - 1) if k > 2 else d + 1
            results = {}
            for solver in ("newton", "lbfgs"):
                rows = sample_size("auto", n, p) or n
                if solver == "newton" and (p > 5000 or rows * p ** 2 > 2e11):
                    continue  # the Hessian would take minutes per iteration: not a contender
                results[solver] = timed(solver, X, y, args.repeats)[:2]
            seconds, auto = timed("auto", X, y, args.repeats)[:2]
            best = min(t for t, m in results.values() if m.converged_) if any(
                m.converged_ for _, m in results.values()) else float("nan")
            cells = [f"{results[s][0]:.3f} s{'' if results[s][1].converged_ else ' !'}" if s in results else "skipped"
                     for s in ("newton", "lbfgs")]
            print(f"| {n} | {d} | {k} | {'bad' if badly else 'good'} | {p} | {auto.solver_} | {seconds:.3f} s | {cells[0]} "
                  f"| {cells[1]} "
                  f"| {seconds / best:.2f} | {'yes' if auto.converged_ else 'NO'} |", flush=True)


if __name__ == "__main__":
    main()
