"""A user's family against the built-in family of the same mathematics, and what a first use
costs. Usage: python tools/bench_user_family.py [--json] [--cache DIR]

    ratio       fused loss+gradient of a user-written logit (``symlogit.Family``) over the built-in
                logit's, N = 10^6, d = 100 (medians of 5 after a warm-up, the median of 3 rounds
                of ``bench_kernels.paired``); the issue's target is <= 1.25
    first_use   seconds, in a fresh process with an empty cache: creating the log-log family of
                the issue's example (derivation, checks, printing) plus a first fit (numba compile)
    reuse       seconds, in a second fresh process with that cache: creating it again (read from
                the cache) plus the same fit (numba's cached machine code)

Runs in one process for the ratio and two child processes for the times (each a new Python, so
that nothing is shared in memory). Not run by the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

FIRST_USE = textwrap.dedent("""
    import time
    start = time.perf_counter()
    import numpy as np, sympy as sp
    from symlogit import Family, GLMClassifier
    u, y = sp.symbols("u y", real=True)
    mean = sp.exp(-sp.exp(-u))
    loglog = Family(name="loglog", u=u, y=y, mean=mean, loss=-y * sp.log(mean) - (1 - y) * sp.log(1 - mean))
    created = time.perf_counter()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 5))
    labels = (rng.random(2000) < np.exp(-np.exp(-(X @ np.ones(5) * 0.3)))).astype(int)
    GLMClassifier(family=loglog, penalty=None).fit(X, labels)
    print(created - start, time.perf_counter() - start)
""")


def timed_process(cache):
    env = dict(os.environ, PYTHONPATH=str(ROOT), SYMLOGIT_CACHE_DIR=str(cache))
    out = subprocess.run([sys.executable, "-c", FIRST_USE], env=env, capture_output=True, text=True, check=True)
    created, total = map(float, out.stdout.split())
    return {"create_s": created, "create_and_fit_s": total}


def ratio():
    import sympy as sp

    from bench_kernels import paired
    from symlogit import Family
    from symlogit.kernels import logit

    u, y = sp.symbols("u y", real=True)
    mean = 1 / (1 + sp.exp(-u))
    mine = Family("benchlogit", u, y, mean=mean, loss=-y * sp.log(mean) - (1 - y) * sp.log(1 - mean)).runtime()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1_000_000, 100))
    beta = rng.normal(scale=0.1, size=101)
    labels = (rng.random(X.shape[0]) < 1 / (1 + np.exp(-(beta[0] + X @ beta[1:])))).astype(np.float64)
    return paired(lambda: mine.kernels.loss_grad(X, labels, beta), lambda: logit.loss_grad(X, labels, beta))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cache", default=None, help="cache folder for the ratio's family [default: a new one]")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as fresh:
        first = timed_process(fresh)
        reuse = timed_process(fresh)
        os.environ["SYMLOGIT_CACHE_DIR"] = args.cache or fresh
        result = {"user_logit_loss_grad_over_builtin": ratio(), "first_use": first, "reuse": reuse}
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
