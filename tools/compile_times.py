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
from symlogit.kernels import binary, multinomial
t1 = time.perf_counter()
X, y, b = np.ones((5, 2)), np.array([0., 1., 1., 0., 1.]), np.zeros(3)
for dtype in (np.float64, np.float32):
    Xd = X.astype(dtype)
    binary.loss(Xd, y, b); binary.loss_grad(Xd, y, b); binary.grad_hess(Xd, y, b)
    binary.hessp(Xd, b, b); binary.scores(Xd, b); binary.probabilities(Xd, b)
    B, lab = np.zeros((3, 3)), np.array([0, 1, 2, 1, 0])
    multinomial.loss(Xd, lab, B); multinomial.loss_grad(Xd, lab, B); multinomial.grad_hess(Xd, lab, B)
    multinomial.hessp(Xd, B, B); multinomial.scores(Xd, B); multinomial.probabilities(Xd, B)
t2 = time.perf_counter()
print(f"import {t1 - t0:.2f}s, first call of every kernel (float64 and float32) {t2 - t1:.2f}s")
"""


def main():
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("cold (empty cache)", "cached"):
            out = subprocess.run([sys.executable, "-c", CALL_EVERY_KERNEL], env=env, capture_output=True, text=True)
            print(f"{label:20s} {out.stdout.strip() or out.stderr[-500:]}")


if __name__ == "__main__":
    main()
