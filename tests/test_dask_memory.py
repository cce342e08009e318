"""Out of core: a Parquet dataset a few times larger than the one worker's memory limit is fitted
on a LocalCluster through tools/bench_dask.py's own path (the small version of
`python tools/bench_dask.py --memory`), and gives the in-memory fit's coefficients."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from symlogit import LogisticRegression

WORKER_MEMORY = 700e6  # bytes; an idle worker with numpy, pyarrow and the kernels loaded holds ~250 MB
DATASET_GIGABYTES = 1.6
FEATURES = 50
TOL = 1e-6


def _bench_dask():
    path = Path(__file__).resolve().parents[1] / "tools" / "bench_dask.py"
    spec = importlib.util.spec_from_file_location("bench_dask", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # ~55 s: 2 GB of Parquet through 1 GB of workers (tools/slow_tests.sh)
@pytest.mark.filterwarnings("ignore::UserWarning")  # distributed's "unmanaged memory is high" notices
def test_fit_of_data_larger_than_worker_memory_stays_within_limit(tmp_path):
    bench = _bench_dask()
    rows, size = bench.write_parquet_dataset(tmp_path, DATASET_GIGABYTES, FEATURES)
    assert size > 2 * WORKER_MEMORY

    run = bench.fit_out_of_core(tmp_path, workers=1, worker_memory=WORKER_MEMORY, threads=2, tol=TOL)

    assert not run["workers_restarted"]
    assert run["worker_memory_limit"] == WORKER_MEMORY
    assert 0 < max(run["worker_peak_rss"]) < WORKER_MEMORY
    model = run["model"]
    assert model.converged_

    # the same rows, made again from the same seeds, fitted in memory by the same iterations: dask
    # keeps Newton's exact Hessian, and in memory these millions of rows would sample it (both stop
    # within tol, but at points 1e-6 apart)
    X, y = map(np.concatenate, zip(*bench.dataset_blocks(DATASET_GIGABYTES, FEATURES)))
    assert X.shape == (rows, FEATURES)
    memory = LogisticRegression(penalty=None, solver="newton", tol=TOL,
                                solver_options={"hessian_rows": None}).fit(X, y)
    np.testing.assert_allclose(model.coef_, memory.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(model.intercept_, memory.intercept_, rtol=1e-8, atol=1e-10)
