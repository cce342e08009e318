"""Fitting on dask arrays on a real LocalCluster (2 worker processes): the same coefficients
as in memory, predictions as dask arrays, a worker killed mid-fit, `symlogit fit --engine dask`
on Parquet files, and clear errors for bad input."""

import os
import signal

import numpy as np
import pytest

import dask.array as da  # the test extra installs dask: these tests run, never skip
from distributed import Client, LocalCluster

from symlogit import GLMClassifier, GLMRegressor, LogisticRegression

CHUNK_ROWS = 1500


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield client


def _data(n_classes, n=9000, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.logspace(-0.5, 0.5, d)
    scores = X @ rng.normal(size=(d, n_classes))
    y = np.argmax(scores + rng.gumbel(size=scores.shape), axis=1)
    return X, y, rng.random(n) * 2


def _dask(array):
    return da.from_array(array, chunks=(CHUNK_ROWS,) + array.shape[1:])


def _relative(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("solver", ["newton", "newton-cg"])
def test_dask_fit_equals_in_memory_fit(client, n_classes, weighted, solver):
    X, y, w = _data(n_classes)
    # both fits stop within tol of the optimum; newton-cg's inexact steps need a tighter tol for the
    # two stopping points to agree to 1e-8
    kwargs = dict(solver=solver, tol=1e-12 if solver == "newton-cg" else 1e-10, max_iter=200,
                  penalty=None if solver == "newton" else "l2")
    memory = LogisticRegression(**kwargs).fit(X, y, sample_weight=w if weighted else None)
    on_dask = LogisticRegression(**kwargs).fit(_dask(X), _dask(y), sample_weight=_dask(w) if weighted else None)
    assert _relative(on_dask.coef_, memory.coef_) < 1e-8
    assert _relative(on_dask.intercept_, memory.intercept_) < 1e-8
    assert on_dask.converged_ and np.array_equal(on_dask.classes_, memory.classes_)


@pytest.mark.parametrize("family", ["probit", "cloglog", "poisson"])
def test_dask_fits_every_family_as_in_memory(client, family):
    X, y, w = _data(2)
    if family == "poisson":
        y = np.random.default_rng(1).poisson(np.exp(0.3 + X @ np.linspace(-0.3, 0.3, X.shape[1]))).astype(float)
        make = lambda: GLMRegressor(alpha=0, solver="newton", tol=1e-10)  # noqa: E731
    else:
        make = lambda: GLMClassifier(family=family, penalty=None, solver="newton", tol=1e-10)  # noqa: E731
    memory = make().fit(X, y, sample_weight=w)
    on_dask = make().fit(_dask(X), _dask(y), sample_weight=_dask(w))
    assert _relative(on_dask.coef_, memory.coef_) < 1e-8 and on_dask.converged_
    predicted = on_dask.predict_proba(_dask(X)) if family != "poisson" else on_dask.predict(_dask(X))
    expected = memory.predict_proba(X) if family != "poisson" else memory.predict(X)
    assert isinstance(predicted, da.Array)
    np.testing.assert_allclose(predicted.compute(), expected, rtol=1e-6, atol=1e-12)


def _unpenalised_problem(family, n_classes):
    """X, y, w and a maker of unpenalised Newton fits at tol 1e-10, for a binary or multinomial
    logit (n_classes) or a Poisson regression."""
    X, y, w = _data(n_classes or 2)
    if family == "poisson":
        y = np.random.default_rng(1).poisson(np.exp(0.3 + X @ np.linspace(-0.3, 0.3, X.shape[1]))).astype(float)
        return X, y, w, lambda: GLMRegressor(alpha=0, solver="newton", tol=1e-10)
    return X, y, w, lambda: LogisticRegression(penalty=None, solver="newton", tol=1e-10)


@pytest.mark.parametrize("family, n_classes", [("logit", 2), ("logit", 4), ("poisson", None)])
def test_inference_on_dask_equals_in_memory(client, family, n_classes):
    """inference() of a dask fit: the Hessian and the targets' terms reduced on the cluster, the
    null model from W and the weighted mean of y (issue 21, item 3)."""
    X, y, w, make = _unpenalised_problem(family, n_classes)
    memory = make().fit(X, y, sample_weight=w).inference()
    on_dask = make().fit(_dask(X), _dask(y), sample_weight=_dask(w)).inference()
    assert _relative(on_dask.bse, memory.bse) < 1e-7 and _relative(on_dask.params, memory.params) < 1e-7
    for name in ("llf", "llnull", "nobs") + (("deviance",) if family == "poisson" else ()):
        assert getattr(on_dask, name) == pytest.approx(getattr(memory, name), rel=1e-9), name


@pytest.mark.parametrize("family, n_classes", [("logit", 2), ("logit", 4), ("poisson", None)])
@pytest.mark.parametrize("cov_type", ["HC1", "HC3", "cluster", "cluster 2-way"])
def test_robust_inference_on_dask_equals_in_memory(client, family, n_classes, cov_type):
    """The sandwiches of a dask fit (issue 20): each chunk's meat, or its clusters' score sums, made
    on its worker; cluster labels given as a dask array or in memory."""
    X, y, w, make = _unpenalised_problem(family, n_classes)
    rows = np.arange(len(y))
    groups = {"cluster": rows % 37, "cluster 2-way": np.c_[rows % 37, (rows // 7) % 11]}.get(cov_type)
    kind = cov_type.split()[0]
    memory = make().fit(X, y, sample_weight=w).inference(cov_type=kind, groups=groups)
    fitted = make().fit(_dask(X), _dask(y), sample_weight=_dask(w))
    on_dask = fitted.inference(cov_type=kind, groups=None if groups is None else _dask(groups))
    assert _relative(on_dask.cov, memory.cov) < 1e-8 and on_dask.cov_label == cov_type
    assert _relative(on_dask.bse, fitted.inference().bse) > 1e-3  # not the non-robust one
    if groups is not None:
        assert _relative(fitted.inference(cov_type=kind, groups=groups).cov, memory.cov) < 1e-8
    if cov_type == "HC1":  # marginal effects: the sums over rows made on the workers
        expected = memory.marginal_effects()
        assert _relative(on_dask.marginal_effects().effects, expected.effects) < 1e-8
        assert _relative(on_dask.marginal_effects().bse, expected.bse) < 1e-8


def test_robust_hc2_hc3_on_dask_name_the_rows_of_leverage_one(client):
    """A dummy column for a single row in the second chunk: HC2 and HC3 on dask refuse it as in
    memory, naming the row by its number among all rows (not within its chunk)."""
    rng = np.random.default_rng(3)
    X = np.column_stack([rng.normal(size=(3000, 2)), np.eye(3000)[2000]])
    y = rng.poisson(np.exp(0.3 * X[:, 0]))
    y[2000] = 2
    fitted = GLMRegressor(family="poisson", alpha=0, tol=1e-10).fit(_dask(X), _dask(y))
    for cov_type in ("HC2", "HC3"):
        with pytest.raises(ValueError, match=rf"{cov_type} is undefined: the leverage h_ii of row\(s\) 2000 \(h = 1\)"):
            fitted.inference(cov_type=cov_type)
    assert np.all(np.isfinite(fitted.inference(cov_type="HC0").bse))


def test_robust_cluster_on_dask_counts_clusters_of_positive_weight(client):
    """A cluster whose rows all have weight 0 is not counted on dask either (the weights are
    brought to the client with the labels)."""
    X, y, w = _data(2)
    groups = np.arange(len(y)) % 10
    w = np.where(groups == 9, 0.0, w)
    memory = LogisticRegression(penalty=None, tol=1e-10).fit(X, y, sample_weight=w).inference(
        cov_type="cluster", groups=groups)
    on_dask = LogisticRegression(penalty=None, tol=1e-10).fit(_dask(X), _dask(y), sample_weight=_dask(w)).inference(
        cov_type="cluster", groups=_dask(groups))
    assert memory.n_clusters == on_dask.n_clusters == (9,)
    assert _relative(on_dask.cov, memory.cov) < 1e-8


def test_predictions_on_dask_are_dask_arrays_equal_to_in_memory(client):
    X, y, _ = _data(3)
    model = LogisticRegression(tol=1e-10).fit(X, y)
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        lazy = getattr(model, method)(_dask(X))
        assert isinstance(lazy, da.Array), method
        np.testing.assert_allclose(lazy.compute(), getattr(model, method)(X), rtol=1e-12, atol=1e-15)


def test_a_worker_killed_mid_fit_changes_nothing(client):
    X, y, w = _data(2, seed=3)
    expected = LogisticRegression(penalty=None, solver="newton", tol=1e-10).fit(X, y, sample_weight=w)
    pids = client.run(os.getpid)
    victim = next(iter(pids.values()))
    killed = []

    def kill_one_worker(point):
        if point.iteration == 2 and not killed:
            os.kill(victim, signal.SIGKILL)  # its nanny restarts it; lost chunks are recomputed
            killed.append(point.iteration)

    model = LogisticRegression(penalty=None, solver="newton", tol=1e-10, callback=kill_one_worker)
    model.fit(_dask(X), _dask(y), sample_weight=_dask(w))
    assert killed == [2]
    assert victim not in client.run(os.getpid).values()  # the worker really died
    assert model.converged_ and _relative(model.coef_, expected.coef_) < 1e-8


@pytest.mark.parametrize("make,message", [
    (lambda X, y: (X[X[:, 0] > -10], y), "unknown chunk sizes"),
    (lambda X, y: (X, y.rechunk(1000)), "chunked differently"),
    (lambda X, y: (X, y.compute()), "must be a 1-D dask array"),
    (lambda X, y: (X.map_blocks(lambda b: np.where(b > 3, np.nan, b)), y), "NaN or infinity"),
    (lambda X, y: (X, da.zeros_like(y)), "only one class"),
])
def test_bad_dask_input_fails_before_the_solve(client, make, message):
    X, y, _ = _data(2, n=3000)
    X, y = make(_dask(X), _dask(y))
    calls = []
    with pytest.raises(ValueError, match=message):
        LogisticRegression(callback=calls.append).fit(X, y)
    assert calls == []  # no iteration ran


def test_sgd_on_dask_is_refused_clearly(client):
    X, y, _ = _data(2, n=3000)
    with pytest.raises(ValueError, match="sgd.*does not run on dask"):
        LogisticRegression(solver="sgd").fit(_dask(X), _dask(y))


# ---- symlogit fit --engine dask ------------------------------------------------------------------

def _parquet_parts(directory, n_files=3, rows=400, seed=1, rename=None):
    import pandas as pd

    rng = np.random.default_rng(seed)
    directory.mkdir(exist_ok=True)
    for f in range(n_files):
        X = rng.normal(size=(rows, 3))
        frame = pd.DataFrame(X, columns=["a", "b", "c"])
        frame["label"] = np.where(X @ [1.0, -2.0, 0.5] + rng.logistic(size=rows) > 0, "yes", "no")
        if rename and f == n_files - 1:
            frame = frame.rename(columns=rename)
        frame.to_parquet(directory / f"part{f}.parquet")
    return directory


def _invoke(*args):
    from click.testing import CliRunner

    from symlogit.cli import cli
    return CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False)


def test_cli_fits_a_parquet_directory_on_a_scheduler_and_matches_memory(client, tmp_path):
    import json

    import pandas as pd

    parts = _parquet_parts(tmp_path / "parts")
    out = tmp_path / "model.json"
    result = _invoke("fit", parts, "--engine", "dask", "--scheduler", client.scheduler.address, "--penalty", "none",
                     "--tol", "1e-10", "--out", out, "--report", tmp_path / "report", "--quiet")
    assert result.exit_code == 0, result.output
    assert "1200 rows, 3 features" in result.output and "converged" in result.output
    assert "ROC AUC (binned, log-odds bins of 0.005): " in result.output  # not the exact figure memory prints
    assert "MLogit" not in result.output and "std err" in result.output  # the coefficient table, by column name
    assert any(line.startswith("b ") for line in result.output.splitlines())
    report = (tmp_path / "report" / "report.md").read_text()
    assert "| b |" in report and "of its 3 files" in report
    frame = pd.concat([pd.read_parquet(p) for p in sorted(parts.iterdir())])
    memory = LogisticRegression(penalty=None, tol=1e-10).fit(frame[["a", "b", "c"]].to_numpy(), frame["label"])
    coef = np.array(json.loads(out.read_text())["coef"])
    assert _relative(coef, memory.coef_) < 1e-8
    from sklearn.metrics import brier_score_loss

    brier = brier_score_loss(frame["label"] == "yes", memory.predict_proba(frame[["a", "b", "c"]].to_numpy())[:, 1])
    assert json.loads(out.read_text())["fit"]["training_brier"] == pytest.approx(brier, rel=1e-6)
    from sklearn.metrics import roc_auc_score

    auc = roc_auc_score(frame["label"] == "yes", memory.predict_proba(frame[["a", "b", "c"]].to_numpy())[:, 1])
    assert json.loads(out.read_text())["fit"]["training_roc_auc"] == pytest.approx(auc, abs=1e-3)
    assert "roc_calibration.png" in report and (tmp_path / "report" / "roc_calibration.png").stat().st_size > 10_000


def test_cli_dask_inference_with_a_robust_covariance(client, tmp_path):
    """symlogit fit --engine dask --cov-type HC1 prints the HC1 table, --groups COL1,COL2 the
    two-way clustered one (issue 20); a missing groups column is one line, exit 2."""
    import pandas as pd

    parts = _parquet_parts(tmp_path / "parts")
    result = _invoke("fit", parts, "--engine", "dask", "--scheduler", client.scheduler.address, "--penalty", "none",
                     "--tol", "1e-10", "--cov-type", "HC1", "--quiet")
    assert result.exit_code == 0, result.output
    assert "Covariance type:                 HC1" in result.output
    frame = pd.concat([pd.read_parquet(p) for p in sorted(parts.iterdir())])
    memory = LogisticRegression(penalty=None, tol=1e-10).fit(frame[["a", "b", "c"]].to_numpy(), frame["label"])
    expected = memory.inference(cov_type="HC1").bse
    row = next(line.split() for line in result.output.splitlines() if line.startswith("b "))
    assert float(row[2]) == pytest.approx(expected[2], abs=5.01e-4)
    # --groups: the labels read on the client, checked before the fit; the columns are not features
    labelled = tmp_path / "labelled"
    labelled.mkdir()
    for i, part in enumerate(sorted(parts.iterdir())):
        table = pd.read_parquet(part)
        table["firm"] = [f"f{j % 9}" for j in range(len(table))]
        table["year"] = (np.arange(len(table)) // 50 + i) % 6
        table.to_parquet(labelled / part.name)
    frame = pd.concat([pd.read_parquet(p) for p in sorted(labelled.iterdir())], ignore_index=True)
    result = _invoke("fit", labelled, "--engine", "dask", "--scheduler", client.scheduler.address, "--penalty", "none",
                     "--tol", "1e-10", "--groups", "firm,year", "--target", "label", "--quiet")
    assert result.exit_code == 0, result.output
    assert "cluster 2-way" in result.output and "9 x 6" in result.output and "3 features" in result.output
    expected = memory.inference(cov_type="cluster", groups=frame[["firm", "year"]]).bse
    row = next(line.split() for line in result.output.splitlines() if line.startswith("b "))
    assert float(row[2]) == pytest.approx(expected[2], abs=5.01e-4)
    refused = _invoke("fit", labelled, "--engine", "dask", "--scheduler", client.scheduler.address, "--penalty",
                      "none", "--groups", "nowhere")
    assert refused.exit_code == 2 and refused.output.count("\n") == 1 and "no groups column 'nowhere'" in refused.output


def test_cli_dask_never_sends_one_key_with_two_different_tasks(client, tmp_path, monkeypatch):
    """`symlogit fit --engine dask --cov-type HC3` (the trial's run): no key reaches the scheduler
    in two graphs with different tasks. X was from_delayed pieces joined by concatenate, whose
    blocks graph optimisation fused in one computation and not in another, and distributed warned
    "Detected different `run_spec`" when the first was still held, a matter of timing; every
    graph is checked here (as the scheduler checks, but for every key it is sent), and the
    scheduler's log for that warning."""
    import logging

    from distributed.scheduler import Scheduler

    sent, clashes = {}, []
    original = Scheduler._generate_taskstates

    def recording(self, keys, dsk, computation):
        for key, task in dsk.items():
            dependencies = frozenset(getattr(task, "dependencies", ()))
            if sent.setdefault(key, dependencies) != dependencies:
                clashes.append(key)
        return original(self, keys, dsk, computation)

    monkeypatch.setattr(Scheduler, "_generate_taskstates", recording)
    logged = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record.getMessage())
    logging.getLogger("distributed.scheduler").addHandler(handler)
    try:
        for cov_type in ("HC3", "HC2"):
            result = _invoke("fit", _parquet_parts(tmp_path / "parts"), "--engine", "dask", "--scheduler",
                             client.scheduler.address, "--penalty", "none", "--cov-type", cov_type, "--quiet")
            assert result.exit_code == 0, result.output
    finally:
        logging.getLogger("distributed.scheduler").removeHandler(handler)
    assert sent and not clashes, clashes[:3]
    assert not [message for message in logged if "run_spec" in message]


@pytest.mark.parametrize("setup,needles", [
    (lambda tmp: [_parquet_parts(tmp / "p", rename={"c": "z"})], ["schemas disagree", "part2.parquet"]),
    (lambda tmp: [tmp / "nothing-here"], ["no Parquet files"]),
    (lambda tmp: [_parquet_parts(tmp / "p"), "--scheduler", "tcp://127.0.0.1:9"], ["--scheduler", "no Dask scheduler"]),
    (lambda tmp: [_parquet_parts(tmp / "p"), "--target", "nope"], ["no target column 'nope'"]),
    (lambda tmp: [_parquet_parts(tmp / "p"), "--target", "c", "--weight", "label"],
     ["the weight column label is not numeric"]),
], ids=["schemas", "missing", "no-scheduler", "target", "text-weight"])
def test_cli_dask_bad_input_is_one_line_and_exit_2(client, tmp_path, setup, needles):
    paths = setup(tmp_path)
    extra = [] if "--scheduler" in map(str, paths) else ["--scheduler", client.scheduler.address]
    out = tmp_path / "model.json"
    result = _invoke("fit", *paths, "--engine", "dask", *extra, "--out", out)
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert "\n" not in line and "Traceback" not in line
    for needle in needles:
        assert needle in line
    assert not out.exists()


def test_cli_predict_on_dask_writes_parts_equal_to_memory(client, tmp_path):
    """symlogit predict --engine dask (issue 21, item 3): each Parquet part scored on a worker,
    --out a directory of parts, ids passed through; equal to the in-memory prediction."""
    import io

    import pandas as pd

    parts = _parquet_parts(tmp_path / "parts")
    for i, path in enumerate(sorted(parts.iterdir())):  # an id column to pass through
        frame = pd.read_parquet(path)
        frame.insert(0, "row", [f"{i}-{j}" for j in range(len(frame))])
        frame.to_parquet(path)
    model = tmp_path / "model.json"
    assert _invoke("fit", parts, "--target", "label", "--id", "row", "--out", model, "-q").exit_code == 0
    out = tmp_path / "scores"
    result = _invoke("predict", model, parts, "--engine", "dask", "--scheduler", client.scheduler.address, "--proba",
                     "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["part.0.parquet", "part.1.parquet", "part.2.parquet"]
    on_dask = pd.read_parquet(out).reset_index(drop=True)
    in_memory = pd.read_csv(io.StringIO(_invoke("predict", model, parts, "--proba").output))
    assert on_dask.columns.tolist() == ["row", "p_no", "p_yes"] and on_dask.row.tolist() == in_memory.row.tolist()
    np.testing.assert_array_equal(on_dask[["p_no", "p_yes"]].to_numpy(), in_memory[["p_no", "p_yes"]].to_numpy())
    bad = _invoke("predict", model, parts, "--engine", "dask", "--out", tmp_path / "scores.csv")
    assert bad.exit_code == 2 and "give --out a directory" in bad.output
    inputs = sorted(p.name for p in parts.iterdir())  # never write over a directory of other files
    bad = _invoke("predict", model, parts, "--engine", "dask", "--out", parts)
    assert bad.exit_code == 2 and "is not empty" in bad.output
    assert sorted(p.name for p in parts.iterdir()) == inputs
    named_like_parts = tmp_path / "named"  # input files named as dask names its parts: untouched too
    named_like_parts.mkdir()
    for i, path in enumerate(sorted(parts.iterdir())):
        (named_like_parts / f"part.{i}.parquet").write_bytes(path.read_bytes())
    before = {p.name: p.read_bytes() for p in named_like_parts.iterdir()}
    bad = _invoke("predict", model, named_like_parts, "--engine", "dask", "--out", named_like_parts)
    assert bad.exit_code == 2 and "is not empty" in bad.output
    assert {p.name: p.read_bytes() for p in named_like_parts.iterdir()} == before
    for args, needle in (([tmp_path / "no" / "sub"], "does not exist"), ([tmp_path / "fresh"], "reads Parquet files")):
        data = parts if needle == "does not exist" else tmp_path / "data.csv"
        if data.suffix == ".csv":
            pd.read_parquet(parts).to_csv(data, index=False)
        bad = _invoke("predict", model, data, "--engine", "dask", "--out", *args)
        assert bad.exit_code == 2 and needle in bad.output and "Traceback" not in bad.output, bad.output


def test_cli_dask_fit_chooses_columns_as_in_memory(client, tmp_path):
    """--features/--drop/--id/--weight on the dask engine: the same columns, weights and
    coefficients as the in-memory fit of the same files."""
    import json

    import pandas as pd

    parts = _parquet_parts(tmp_path / "parts")
    rng = np.random.default_rng(5)
    for i, path in enumerate(sorted(parts.iterdir())):
        frame = pd.read_parquet(path)
        frame.insert(0, "row", [f"{i}-{j}" for j in range(len(frame))])
        frame["w"] = rng.uniform(0.5, 2.0, len(frame))
        frame.to_parquet(path)
    common = ["--target", "label", "--id", "row", "--drop", "c", "--weight", "w", "--tol", "1e-10", "-q"]
    on_dask = _invoke("fit", parts, "--engine", "dask", "--scheduler", client.scheduler.address, *common,
                      "--out", tmp_path / "dask.json")
    in_memory = _invoke("fit", parts, *common, "--out", tmp_path / "memory.json")
    assert on_dask.exit_code == 0 and in_memory.exit_code == 0, on_dask.output + in_memory.output
    a, b = (json.loads((tmp_path / name).read_text()) for name in ("dask.json", "memory.json"))
    assert a["feature_names"] == b["feature_names"] == ["a", "b"] and a["options"]["id"] == ["row"]
    assert _relative(np.array(a["coef"]), np.array(b["coef"])) < 1e-8
    assert a["fit"]["training_log_loss"] == pytest.approx(b["fit"]["training_log_loss"], rel=1e-9)


def _categorical_parts(directory, rows=240, seed=7):
    """Three Parquet files of two row groups each: a number, text, a pandas categorical (its own
    order of levels) and a boolean column, and a text label."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    directory.mkdir()
    for f in range(3):
        frame = pd.DataFrame({"a": rng.normal(size=rows), "colour": rng.choice(["red", "green", "blue"], rows),
                              "size": pd.Categorical(rng.choice(["S", "M", "L"], rows), categories=["S", "M", "L"]),
                              "flag": rng.random(rows) > 0.5})
        score = frame.a + (frame.colour == "red") - 0.5 * (frame["size"] == "L") + 0.3 * frame.flag
        frame["label"] = np.where(score + rng.logistic(size=rows) > 0.3, "yes", "no")
        frame.to_parquet(directory / f"part{f}.parquet", row_group_size=rows // 2)
    return directory


@pytest.mark.parametrize("penalty", [[], ["--l1-ratio", "1", "--C", "0.05"],
                                     pytest.param(["--penalty", "none"], marks=pytest.mark.slow)],  # ~4 s: inference
                         ids=["l2", "l1", "none"])
def test_cli_dask_fits_categorical_parquet_as_in_memory(client, tmp_path, penalty):
    """Text, categorical and boolean columns on the dask engine (issue 17 item 5): one pass for the
    levels, each row group one-hot encoded into a CSR block by the same design; the model file's
    design, names and coefficients equal the in-memory engine's, and `symlogit predict` reads it.
    With --l1-ratio (issue 18 item 5) the fit is proximal Newton on the cluster, the same zeros."""
    import io
    import json

    import pandas as pd

    parts = _categorical_parts(tmp_path / "parts")
    common = ["--tol", "1e-10", "-q", *penalty]
    on_dask = _invoke("fit", parts, "--engine", "dask", "--scheduler", client.scheduler.address, *common,
                      "--out", tmp_path / "dask.json")
    in_memory = _invoke("fit", parts, *common, "--out", tmp_path / "memory.json")
    assert on_dask.exit_code == 0 and in_memory.exit_code == 0, on_dask.output + in_memory.output
    a, b = (json.loads((tmp_path / name).read_text()) for name in ("dask.json", "memory.json"))
    assert a["design"] == b["design"] and a["feature_names"] == b["feature_names"]
    levels = {item["column"]: item["levels"] for item in a["design"]["categorical"]}
    assert levels == {"colour": ["blue", "green", "red"], "size": ["S", "M", "L"], "flag": ["False", "True"]}
    assert a["design"]["drop_reference"] == bool(penalty)  # no L2 part (none, pure L1): no reference level column
    assert _relative(np.array(a["coef"]), np.array(b["coef"])) < 1e-8
    assert np.array_equal(np.array(a["coef"]) == 0, np.array(b["coef"]) == 0)
    if "--l1-ratio" in penalty:
        assert a["fit"]["solver"] == "proximal-newton" and 0 < (np.array(a["coef"]) == 0).sum()
    predicted = _invoke("predict", tmp_path / "dask.json", parts, "--proba")
    assert predicted.exit_code == 0, predicted.output
    expected = _invoke("predict", tmp_path / "memory.json", parts, "--proba")
    np.testing.assert_allclose(pd.read_csv(io.StringIO(predicted.output)).to_numpy(),
                               pd.read_csv(io.StringIO(expected.output)).to_numpy(), rtol=1e-9)


def test_cli_dask_robust_table_of_categorical_parquet_is_sent_to_penalty_none(client, tmp_path):
    """As in memory: with every level encoded (L2) the hint for --cov-type names --penalty none, not
    --report (whose table has no standard errors for the levels); refused before the fit."""
    parts = _categorical_parts(tmp_path / "parts")
    out = tmp_path / "m.json"
    for engine in (["--engine", "dask", "--scheduler", client.scheduler.address], []):
        result = _invoke("fit", parts, *engine, "--cov-type", "HC0", "--out", out, "-q")
        assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
        assert "add --penalty none" in result.output and "--report" not in result.output
        assert not out.exists()


def test_cli_dask_categorical_column_with_an_empty_cell_is_one_line(client, tmp_path):
    import pandas as pd

    parts = _categorical_parts(tmp_path / "parts")
    frame = pd.read_parquet(parts / "part1.parquet")
    frame["colour"] = frame["colour"].where(frame.index != 130)  # row group 1, its row 11
    frame.to_parquet(parts / "part1.parquet", row_group_size=120)
    result = _invoke("fit", parts, "--engine", "dask", "--scheduler", client.scheduler.address, "--out",
                     tmp_path / "model.json")
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert "part1.parquet, row group 1: categorical column 'colour' is empty at row 11" in result.output
    assert not (tmp_path / "model.json").exists()


def test_cli_dask_l1_beyond_the_client_hessian_limit_is_one_line(client, tmp_path, monkeypatch):
    """--l1-ratio on the dask engine where the client's Hessian would pass its limit (lowered here
    to 5 parameters; the data give 6 features under pure L1, each reference level dropped, and an
    intercept): one line naming the limit, exit 2, no model written."""
    from symlogit import distributed

    monkeypatch.setattr(distributed, "CLIENT_MAX_PARAMS", 5)
    out = tmp_path / "model.json"
    result = _invoke("fit", _categorical_parts(tmp_path / "parts"), "--engine", "dask", "--scheduler",
                     client.scheduler.address, "--l1-ratio", "1", "--out", out)
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert "7x7 Hessian" in result.output and "limit of 5 parameters" in result.output
    assert "(--l1-ratio 0) with --solver lbfgs or newton-cg, or --engine memory" in result.output
    assert not out.exists()


def test_cli_dask_fits_a_categorical_target_as_in_memory(client, tmp_path):
    """A pandas categorical column as the target (a Parquet dictionary column): the dask engine
    fits it as the in-memory engine does (three classes, multinomial), not a pyarrow NotImplementedError."""
    import json

    import pandas as pd

    parts = _parquet_parts(tmp_path / "parts")
    for path in sorted(parts.iterdir()):
        frame = pd.read_parquet(path)
        frame["region"] = pd.Categorical(np.where(frame.a > 0.5, "north", np.where(frame.b > 0, "east", "west")))
        frame["id"] = np.arange(len(frame))
        frame.drop(columns="label").to_parquet(path)
    common = ["--target", "region", "--id", "id", "--tol", "1e-10", "-q"]
    on_dask = _invoke("fit", parts, "--engine", "dask", "--scheduler", client.scheduler.address, *common,
                      "--out", tmp_path / "dask.json")
    in_memory = _invoke("fit", parts, *common, "--out", tmp_path / "memory.json")
    assert on_dask.exit_code == 0 and in_memory.exit_code == 0, on_dask.output + in_memory.output
    a, b = (json.loads((tmp_path / name).read_text()) for name in ("dask.json", "memory.json"))
    assert a["classes"] == b["classes"] == ["east", "north", "west"]
    assert _relative(np.array(a["coef"]), np.array(b["coef"])) < 1e-6


def test_cli_dask_predict_unseen_level_names_the_row_group_and_the_option(client, tmp_path):
    """An unseen level in `symlogit predict --engine dask`: one line naming the file, row group,
    row and level, in the CLI's words (--unseen reference), as the dask fit names its errors."""
    import pandas as pd

    parts = _categorical_parts(tmp_path / "parts")
    model = tmp_path / "model.json"
    assert _invoke("fit", parts, "--out", model, "-q").exit_code == 0
    new = tmp_path / "new"
    new.mkdir()
    for path in sorted(parts.iterdir()):
        (new / path.name).write_bytes(path.read_bytes())
    frame = pd.read_parquet(new / "part2.parquet")
    frame["colour"] = frame["colour"].where(frame.index != 125, "mauve")  # row group 1, its row 6
    frame.to_parquet(new / "part2.parquet", row_group_size=120)
    result = _invoke("predict", model, new, "--engine", "dask", "--scheduler", client.scheduler.address,
                     "--out", tmp_path / "scores")
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert "part2.parquet, row group 1: categorical column 'colour' has the level 'mauve' at row 6" in result.output
    assert "--unseen reference" in result.output and "unseen='" not in result.output
    assert not (tmp_path / "scores").exists()


def test_cli_own_cluster_keeps_workers_error_logs_quiet(tmp_path, monkeypatch):
    """The CLI's own LocalCluster (no --scheduler) silences distributed's worker and scheduler
    logging below CRITICAL while it runs: a task's error is the one `Error:` line, not also a
    `Compute Failed` block with a traceback. (An in-process cluster here, for speed: its workers
    log through this process's "distributed" logger.)"""
    import logging

    import distributed
    import pandas as pd

    real = distributed.LocalCluster
    monkeypatch.setattr(distributed, "LocalCluster", lambda **options: real(
        n_workers=1, threads_per_worker=1, processes=False, **options))
    parts = _categorical_parts(tmp_path / "parts")
    model = tmp_path / "model.json"
    assert _invoke("fit", parts, "--out", model, "-q").exit_code == 0
    frame = pd.read_parquet(parts / "part0.parquet")
    frame.loc[3, "colour"] = "mauve"
    frame.to_parquet(parts / "part0.parquet")

    import io

    logged = io.StringIO()
    recorder = logging.StreamHandler(logged)  # as distributed's own handler on stderr
    logging.getLogger("distributed").addHandler(recorder)
    try:
        result = _invoke("predict", model, parts, "--engine", "dask", "--out", tmp_path / "scores")
    finally:
        logging.getLogger("distributed").removeHandler(recorder)
    assert result.exit_code == 2 and "has the level 'mauve'" in result.output, result.output
    assert "Compute Failed" not in logged.getvalue(), logged.getvalue()


@pytest.mark.parametrize("bad, message", [(-2.5, "must be nonnegative; row 1700 is -2.5"),
                                          (np.inf, "must be finite; row 1700 is inf"),
                                          (None, "must not be all zero")], ids=["negative", "infinite", "zeros"])
def test_bad_dask_weights_name_the_row_and_value_as_in_memory(client, bad, message):
    """Bad sample weights on dask: the message of the in-memory check (targets.check_sample_weight),
    the first bad row (counting from 0, in a later chunk) and its value."""
    X, y, w = _data(2, n=3000)
    w = np.zeros_like(w) if bad is None else np.where(np.arange(len(w)) == 1700, bad, w)
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        LogisticRegression().fit(X, y, sample_weight=w)
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        LogisticRegression().fit(_dask(X), _dask(y), sample_weight=_dask(w))


def test_a_parquet_dataset_without_rows_is_refused_as_in_memory(tmp_path):
    """Fresh-user trial: files of 0 rows in all gave the dask engine a traceback (dask refuses
    empty chunks) where the in-memory engine names the file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from symlogit.data import DataError, read_frame
    from symlogit.dask_data import read_parquet_dataset

    pq.write_table(pa.table({"x": pa.array([], pa.float64()), "y": pa.array([], pa.int64())}), tmp_path / "p.parquet")
    for read in (read_frame, lambda path: read_parquet_dataset(path, "y")):
        with pytest.raises(DataError, match="no data rows"):
            read(tmp_path)


def test_both_engines_refuse_a_column_of_numbers_in_one_file_and_text_in_another(tmp_path):
    """User trial: the in-memory engine joined them (pandas.concat: object) into one categorical
    column with levels 1, 2, 3, a, b, c, where the dask engine refused; one rule now
    (``data.parquet_schema``) refuses both, before reading any data."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from symlogit.data import DataError, read_frame
    from symlogit.dask_data import read_parquet_dataset

    pq.write_table(pa.table({"g": pa.array([1, 2, 3]), "y": pa.array([0, 1, 0])}), tmp_path / "part0.parquet")
    pq.write_table(pa.table({"g": pa.array(["a", "b", "c"]), "y": pa.array([1, 0, 1])}), tmp_path / "part1.parquet")
    for read in (read_frame, lambda path: read_parquet_dataset(path, "y")):
        with pytest.raises(DataError, match=r"part1.parquet differs from part0.parquet in g \(int64 vs string\)"):
            read(tmp_path)


def test_parquet_numbers_of_other_widths_fit_as_in_memory(tmp_path):
    """User trial: int32 in one file and int64 in another (float32 and float64 the same) fitted in
    memory (pandas.concat) while the dask engine refused the schemas."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from symlogit.data import read_frame
    from symlogit.dask_data import read_parquet_dataset

    rng = np.random.default_rng(6)
    for i, (ints, floats) in enumerate([(pa.int64(), pa.float64()), (pa.int32(), pa.float32())]):
        k, z = rng.integers(0, 5, 300), rng.normal(size=300)
        y = (rng.uniform(size=300) < 1 / (1 + np.exp(-(0.4 * k - 1 + z)))).astype(np.int64)
        pq.write_table(pa.table({"k": pa.array(k, ints), "z": pa.array(z.astype(np.float32), floats),
                                 "y": pa.array(y, pa.int64())}), tmp_path / f"part{i}.parquet")
    X, y, names, *_ = read_parquet_dataset(tmp_path, "y")
    frame = read_frame(tmp_path)
    on_dask = LogisticRegression(tol=1e-10).fit(X, y)
    in_memory = LogisticRegression(tol=1e-10).fit(frame[["k", "z"]].to_numpy(np.float64), frame["y"])
    assert list(names) == ["k", "z"]
    np.testing.assert_allclose(on_dask.coef_, in_memory.coef_, rtol=1e-8)


@pytest.mark.parametrize("second, needle", [
    (lambda t: t.select(["y", "x", "g"]), "in the order of its columns"),
    (lambda t: t.set_column(1, "x", t["x"].cast("bool")), "in x (int64 vs bool)"),
    (lambda t: t.drop_columns(["x"]), "in x (int64 vs absent)"),
])
def test_disagreeing_parquet_schemas_name_only_what_disagrees(tmp_path, second, needle):
    # the message had listed every differing type, text columns that agree (string vs large_string)
    # among them, and nothing at all for columns in another order
    import pyarrow as pa
    import pyarrow.parquet as pq

    from symlogit.data import DataError
    from symlogit.dask_data import read_parquet_dataset

    table = pa.table({"g": pa.array(["a", "b", "a"], pa.large_string()), "x": pa.array([1, 2, 3], pa.int64()),
                      "y": pa.array([0, 1, 0], pa.int64())})
    pq.write_table(table, tmp_path / "part0.parquet")
    pq.write_table(second(table.set_column(0, "g", table["g"].cast(pa.string()))), tmp_path / "part1.parquet")
    with pytest.raises(DataError, match="part1.parquet differs from part0.parquet") as raised:
        read_parquet_dataset(tmp_path, "y")
    assert str(raised.value).endswith(needle) and "string" not in str(raised.value)
