"""symlogit on Dask: speed against dask-ml, and out-of-core fits under a worker memory limit.

Speed (the default): one dask array X (N x d, float64, in row chunks) and labels y, persisted on
a LocalCluster; symlogit (newton) and dask-ml's LogisticRegression (its default solver, admm,
and its newton) fit the same data. We report the median wall time of --repeats fits and the
final objective, the unpenalised mean log-loss, evaluated for every model by the same function
(``mean_log_loss``). symlogit runs penalty=None; dask-ml's newton is unpenalised too; its admm
needs a penalty, and runs with its default L2, lambda = 1/C = 1 on the summed loss (about 2e-7
of the mean loss's scale at N = 5e6).

    python tools/bench_dask.py [--rows 5000000] [--features 50] [--chunks 20] [--repeats 3]
                               [--peers admm newton] [--json]

Memory (--memory): writes a Parquet dataset of --gigabytes (default 4) to a temporary directory
(deleted afterwards; never in the repository), starts a LocalCluster whose workers are limited
to --worker-memory each (the nanny kills a worker above 95% of it), and fits it the way
``symlogit fit DIR --engine dask`` does: one chunk per row group, read by the workers on every
pass, never gathered. We report each worker's peak resident memory (VmHWM), whether any
worker was restarted, the wall time and the result.

    python tools/bench_dask.py --memory [--gigabytes 4] [--worker-memory 1GB] [--workers 2] [--json]

Requires the bench extra: pip install -e ".[bench]".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import dask
import dask.array as da
import numpy as np

from symlogit import LogisticRegression

def true_coefficients(features, seed=0):
    """The coefficients the labels are drawn from: intercept then (features,); scaled by
    2/sqrt(d) so that x'beta has standard deviation about 2 (overlapping classes) for any d."""
    return np.random.default_rng(seed).normal(size=features + 1) * 2 / np.sqrt(features)


def synthetic_rows(rows, features, seed):
    """(X, y): Gaussian features and Bernoulli labels from ``true_coefficients``; seeded per block
    so that any block can be made again anywhere."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, features))
    beta = true_coefficients(features)
    p = 1.0 / (1.0 + np.exp(-(beta[0] + X @ beta[1:])))
    return X, (rng.random(rows) < p).astype(np.int64)


def mean_log_loss(X, y, intercept, coef):
    """(1/N) Σ log(1 + exp(u)) - y u with u = intercept + X coef, on the cluster."""
    u = X @ coef + intercept
    return float(da.mean(da.logaddexp(0.0, u) - y * u).compute())


# ---- speed: symlogit against dask-ml ---------------------------------------------------------------

def dask_data(rows, features, chunks):
    """(X, y) persisted on the cluster in `chunks` row chunks, each made by ``synthetic_rows``
    on a worker from its own seed."""
    size = -(-rows // chunks)
    lengths = [min(size, rows - start) for start in range(0, rows, size)]
    blocks = [dask.delayed(synthetic_rows, nout=2)(n, features, 1000 + i) for i, n in enumerate(lengths)]
    X = da.concatenate([da.from_delayed(b[0], shape=(n, features), dtype=np.float64) for b, n in zip(blocks, lengths)])
    y = da.concatenate([da.from_delayed(b[1], shape=(n,), dtype=np.int64) for b, n in zip(blocks, lengths)])
    return dask.persist(X, y)


def fitters(tol):
    """name -> a function fitting (X, y) and returning (intercept, coef (d,), iterations or None)."""
    def symlogit_newton(X, y):
        model = LogisticRegression(penalty=None, solver="newton", tol=tol, max_iter=100).fit(X, y)
        return float(model.intercept_[0]), model.coef_[0], int(model.n_iter_[0])

    def dask_ml(solver):
        def fit(X, y):
            from dask_ml.linear_model import LogisticRegression as DaskMLLogisticRegression

            model = DaskMLLogisticRegression(solver=solver).fit(X, y)
            return float(model.intercept_), np.asarray(model.coef_).ravel(), None
        return fit

    return {"symlogit newton": symlogit_newton, "dask-ml admm": dask_ml("admm"), "dask-ml newton": dask_ml("newton")}


def speed(args):
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster):
        X, y = dask_data(args.rows, args.features, args.chunks)
        rows = []
        chosen = {name: fit for name, fit in fitters(args.tol).items()
                  if name.startswith("symlogit") or name.split()[-1] in args.peers}
        for name, fit in chosen.items():
            fit(X[: X.chunks[0][0]], y[: X.chunks[0][0]])  # warm-up: numba and dask-ml imports, not timed
            times, result = [], None
            for _ in range(args.repeats):
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = fit(X, y)
                times.append(time.perf_counter() - start)
            intercept, coef, n_iter = result
            rows.append({"solver": name, "seconds": statistics.median(times), "times": times, "n_iter": n_iter,
                         "objective": mean_log_loss(X, y, intercept, coef)})
            if not args.json:
                print(f"{name:24s} {rows[-1]['seconds']:8.2f} s  objective {rows[-1]['objective']:.12f}", flush=True)
    ours = rows[0]
    for row in rows[1:]:
        row["symlogit_speedup"] = row["seconds"] / ours["seconds"]
        row["objective_minus_symlogit"] = row["objective"] - ours["objective"]
    return {"rows": args.rows, "features": args.features, "chunks": args.chunks, "repeats": args.repeats,
            "results": rows}


# ---- memory: an out-of-core Parquet dataset under a worker memory limit ----------------------------

def dataset_blocks(gigabytes, features, rows_per_file=500_000, seed=0):
    """The (X, y) blocks, one per Parquet file, of a synthetic dataset of about `gigabytes`
    (float64 features and the label)."""
    n_files = max(1, round(gigabytes * 1e9 / (rows_per_file * (features + 1) * 8)))
    return (synthetic_rows(rows_per_file, features, seed + f) for f in range(n_files))


def write_parquet_dataset(directory, gigabytes, features, rows_per_group=20_000):
    """Write ``dataset_blocks`` as Parquet files (columns x0..x{d-1}, then 'y'; row groups of
    rows_per_group) into directory, one block in memory at a time. Returns (rows, bytes on disk)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory = Path(directory)
    names = [f"x{j}" for j in range(features)] + ["y"]
    rows = 0
    for f, (X, y) in enumerate(dataset_blocks(gigabytes, features)):
        pq.write_table(pa.table([*X.T, y], names=names), directory / f"part-{f:04d}.parquet",
                       row_group_size=rows_per_group, compression="none", use_dictionary=False)
        rows += len(y)
    return rows, sum(p.stat().st_size for p in directory.iterdir())


def _peak_rss_bytes():
    """This process's peak resident memory, VmHWM (Linux). Not getrusage's ru_maxrss: that keeps
    the high-water mark across exec, so a spawned worker would report its parent's peak."""
    with open("/proc/self/status") as status:
        kilobytes = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    return int(kilobytes) * 1024


def fit_out_of_core(directory, workers, worker_memory, threads=1, tol=1e-8):
    """Fit the Parquet dataset in directory on a LocalCluster with the given per-worker memory
    limit, as `symlogit fit --engine dask` reads it. Returns a dict with the model, wall time,
    every worker's peak RSS and whether the set of worker processes changed (a kill)."""
    from distributed import Client, LocalCluster

    from symlogit.dask_data import read_parquet_dataset

    # Pausing (at 80%) waits for managed memory to be spilled; here the memory is the running
    # task's own, so a paused worker would wait forever: we let the limit itself (terminate at
    # 95%) be the test of staying within it.
    with dask.config.set({"distributed.worker.memory.pause": False}), \
            LocalCluster(n_workers=workers, threads_per_worker=threads, memory_limit=worker_memory,
                         dashboard_address=None) as cluster, Client(cluster) as client:
        pids_before = client.run(os.getpid)
        X, y, *_ = read_parquet_dataset(str(directory), "y")
        start = time.perf_counter()
        model = LogisticRegression(penalty=None, solver="newton", tol=tol).fit(X, y)
        seconds = time.perf_counter() - start
        peaks = client.run(_peak_rss_bytes)
        pids_after = client.run(os.getpid)
        limit = next(iter(client.scheduler_info()["workers"].values()))["memory_limit"]
    return {"model": model, "seconds": seconds, "worker_memory_limit": limit,
            "worker_peak_rss": sorted(peaks.values()), "workers_restarted": pids_before != pids_after}


def memory(args):
    with tempfile.TemporaryDirectory(prefix="symlogit-bench-") as directory:
        start = time.perf_counter()
        rows, size = write_parquet_dataset(directory, args.gigabytes, args.features)
        written = time.perf_counter() - start
        if not args.json:
            print(f"wrote {size / 1e9:.2f} GB ({rows} rows x {args.features} features) in {written:.0f} s", flush=True)
        run = fit_out_of_core(directory, args.workers, args.worker_memory)
    model = run.pop("model")
    return {"dataset_bytes": size, "rows": rows, "features": args.features, "workers": args.workers, **run,
            "converged": bool(model.converged_), "n_iter": int(model.n_iter_[0]),
            "final_loss": float(model.history_["loss"][-1]),
            "max_abs_coef_error_vs_truth": float(np.max(np.abs(
                np.concatenate([model.intercept_, model.coef_[0]]) - true_coefficients(args.features))))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", action="store_true", help="the out-of-core run instead of the speed run")
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--chunks", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tol", type=float, default=1e-8)
    parser.add_argument("--peers", nargs="+", default=["admm", "newton"], choices=["admm", "newton"],
                        help="dask-ml solvers to compare (admm, its default, takes minutes at N = 1e6)")
    parser.add_argument("--gigabytes", type=float, default=4.0)
    parser.add_argument("--worker-memory", default="1GB")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = memory(args) if args.memory else speed(args)
    if args.json:
        print(json.dumps(result, indent=1))
    elif args.memory:
        for key, value in result.items():
            print(f"{key:28s} {value}")


if __name__ == "__main__":
    main()
