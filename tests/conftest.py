"""Fixtures shared by test modules."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner


@pytest.fixture(scope="session")
def full_verify(tmp_path_factory):
    """One full `symlogit verify --json --write-doc PATH` run (~25 s), shared by every test that
    needs a full verification: the CLI's JSON (result.stdout) and the claims document it wrote
    (result.doc_path)."""
    from symlogit.cli import cli

    doc_path = tmp_path_factory.mktemp("verify") / "claims.md"
    result = CliRunner().invoke(cli, ["verify", "--json", "--write-doc", str(doc_path)])
    result.doc_path = doc_path
    return result


@pytest.fixture
def counts_csv(tmp_path):
    """counts.csv: features a, b, a log-exposure offset and Poisson counts n (400 rows)."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 2))
    exposure = rng.uniform(0.5, 3.0, 400)
    y = rng.poisson(exposure * np.exp(0.3 + X @ np.array([0.4, -0.2])))
    path = tmp_path / "counts.csv"
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "log_exposure": np.log(exposure), "n": y}).to_csv(path, index=False)
    return path
