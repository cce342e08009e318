"""Cold numba compile of every kernel, and a cached run, each in a fresh process.

Usage: python tools/compile_times.py   (uses a temporary NUMBA_CACHE_DIR, so the first process
compiles everything and the second loads it from the cache)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

CALL_EVERY_KERNEL = """
import time
t0 = time.perf_counter()
import numpy as np
from symlogit.kernels import FAMILIES, module
t1 = time.perf_counter()
X, y, b = np.ones((5, 2)), np.array([0., 1., 1., 0., 1.]), np.zeros(3)
seconds = {}
for name in FAMILIES:
    k = module(name)
    start = time.perf_counter()
    for dtype in (np.float64, np.float32):
        Xd = X.astype(dtype)
        if k.SCORE == "vector":
            B, lab = np.zeros((3, 3)), np.array([0, 1, 2, 1, 0])
            k.loss(Xd, lab, B); k.loss_grad(Xd, lab, B); k.grad_hess(Xd, lab, B)
            k.hessp(Xd, lab, B, B); k.scores(Xd, B); k.probabilities(Xd, B)
        else:
            k.loss(Xd, y, b); k.loss_grad(Xd, y, b); k.grad_hess(Xd, y, b)
            k.hessp(Xd, y, b, b); k.scores(Xd, b); k.means(Xd, b)
            if hasattr(k, "probabilities"):
                k.probabilities(Xd, b)
    seconds[name] = round(time.perf_counter() - start, 2)
t2 = time.perf_counter()
print(f"import {t1 - t0:.2f}s, first call of every kernel (float64 and float32) {t2 - t1:.2f}s: {seconds}")
"""


def main():
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("cold (empty cache)", "cached"):
            out = subprocess.run([sys.executable, "-c", CALL_EVERY_KERNEL], env=env, capture_output=True, text=True)
            print(f"{label:20s} {out.stdout.strip() or out.stderr[-500:]}")


if __name__ == "__main__":
    main()
