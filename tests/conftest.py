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


@pytest.fixture
def mixed_csv(tmp_path):
    """mixed.csv: numeric x1, x2, text region (4 levels) and color (3 levels), binary y (300 rows)."""
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                          "region": rng.choice(["east", "north", "south", "west"], n),
                          "color": rng.choice(["blue", "green", "red"], n)})
    u = 0.5 * frame.x1 - 0.3 * frame.x2 + 0.6 * (frame.region == "south")
    frame["y"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-u))).astype(int)
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    return path
