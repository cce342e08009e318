"""How long does a command take to start? (issue 21, item 6). Times, as the median of --repeats
runs in fresh processes, `symlogit predict` on a 100-row CSV (labels, then --proba) against
`python -c "import pandas, numba"` measured in the same run (the baseline: what reading a file
and running a kernel cannot do without), after one warm-up run of each (numba's cache filled,
the files in the page cache).

Usage: python tools/bench_startup.py [--repeats 7]
Prints one line per command: median seconds and the ratio to the baseline.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def timed(command, repeats):
    subprocess.run(command, check=True, capture_output=True)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        directory = Path(directory)
        rng = np.random.default_rng(0)
        X = rng.normal(size=(100, 5))
        frame = pd.DataFrame(X, columns=list("abcde"))
        frame["y"] = (X[:, 0] + rng.logistic(size=100) > 0).astype(int)
        frame.to_csv(directory / "data.csv", index=False)
        symlogit = [sys.executable, "-c", "from symlogit.cli import main; main()"]  # the console script
        subprocess.run([*symlogit, "fit", directory / "data.csv", "--target", "y", "--out", directory / "m.json", "-q"],
                       check=True, capture_output=True)
        predict = [*symlogit, "predict", directory / "m.json", directory / "data.csv", "--out", directory / "p.csv"]
        base = timed([sys.executable, "-c", "import pandas, numba"], args.repeats)
        print(f"python -c 'import pandas, numba'      {base:.3f} s")
        for label, command in (("symlogit predict (labels)", predict), ("symlogit predict --proba", [*predict, "--proba"])):
            seconds = timed(command, args.repeats)
            print(f"{label:<37} {seconds:.3f} s   {seconds / base:.2f}x")


if __name__ == "__main__":
    main()
