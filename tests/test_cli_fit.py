"""`symlogit fit` and `symlogit predict`: output, model files, reports, and bad input."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.datasets import load_iris, load_wine

from symlogit.cli import cli
from symlogit.model_io import write_atomically


def invoke(*args):
    return CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False, standalone_mode=True)


@pytest.fixture
def wine_csv(tmp_path):
    path = tmp_path / "wine.csv"
    load_wine(as_frame=True).frame.to_csv(path, index=False)
    return path


def assert_one_line_error(result, *needles):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_fit_on_the_default_dataset_prints_the_result_and_a_live_table():
    result = invoke("fit")
    assert result.exit_code == 0, result.output
    assert "dataset breast_cancer (569 rows, 30 features" in result.output
    assert "classes: 0, 1" in result.output and "converged" in result.output
    assert "training log-loss" in result.output and "accuracy" in result.output
    assert "max|gradient|" in result.output  # the live table's header (stderr, mixed in by CliRunner)


def test_quiet_prints_only_the_result():
    result = invoke("fit", "--dataset", "iris", "--quiet")
    assert result.exit_code == 0
    assert "max|gradient|  " not in result.output
    assert len(result.output.strip().splitlines()) == 5


def test_unpenalised_fit_prints_the_coefficient_table(tmp_path):
    frame = load_iris(as_frame=True).frame
    frame = frame[frame.target > 0].drop(columns=["petal length (cm)", "petal width (cm)"])
    path = tmp_path / "iris.csv"
    frame.to_csv(path, index=False)
    result = invoke("fit", path, "--penalty", "none", "-q")
    assert result.exit_code == 0, result.output
    for needle in ("std err", "P>|z|", "sepal length (cm)", "const"):
        assert needle in result.output


def test_model_file_round_trip_and_predict(tmp_path, wine_csv):
    model = tmp_path / "model.json"
    result = invoke("fit", wine_csv, "--out", model, "-q")
    assert result.exit_code == 0, result.output
    saved = json.loads(model.read_text())
    assert saved["format"] == "symlogit-model" and saved["classes"] == [0, 1, 2]
    assert len(saved["feature_names"]) == 13 and len(saved["kernels_sha256"]) == 64
    assert saved["options"]["C"] == 1.0 and saved["fit"]["converged"] is True
    labels = invoke("predict", model, wine_csv)
    assert labels.exit_code == 0
    predicted = pd.read_csv(pd.io.common.StringIO(labels.output))
    assert list(predicted.columns) == ["prediction"] and len(predicted) == 178
    assert (predicted.prediction.to_numpy() == load_wine().target).mean() > 0.95
    out = tmp_path / "p.csv"
    proba = invoke("predict", model, wine_csv, "--proba", "--out", out)
    assert proba.exit_code == 0
    P = pd.read_csv(out)
    assert list(P.columns) == ["p_0", "p_1", "p_2"]
    np.testing.assert_allclose(P.sum(axis=1), 1)


def test_predict_reads_parquet_and_ignores_extra_columns(tmp_path, wine_csv):
    model = tmp_path / "model.json"
    invoke("fit", wine_csv, "--out", model, "-q")
    frame = pd.read_csv(wine_csv).iloc[:, ::-1]  # reordered columns, target included
    frame["extra"] = 1.0
    path = tmp_path / "wine.parquet"
    frame.to_parquet(path)
    result = invoke("predict", model, path)
    assert result.exit_code == 0 and len(result.output.strip().splitlines()) == 179


def test_report_has_plot_table_and_derivation(tmp_path, wine_csv):
    report = tmp_path / "report"
    result = invoke("fit", wine_csv, "--report", report, "-q")
    assert result.exit_code == 0, result.output
    text = (report / "report.md").read_text()
    assert "![objective gap and max|gradient| per iteration](convergence.png)" in text
    assert "| term | coef | std err |" in text and "[0.025" in text
    assert "## Derivation\n\nFamily **softmax**" in text and "**M8**" in text
    assert (report / "convergence.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(os.listdir(tmp_path)) == ["report", "wine.csv"]  # no staging leftovers


def test_sgd_runs_with_a_progress_bar(wine_csv):
    result = invoke("fit", wine_csv, "--solver", "sgd", "--max-iter", "3")
    assert result.exit_code == 0, result.output
    assert "sgd epochs" in result.output and "solver: sgd" in result.output


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


BAD_DATA = [
    (lambda p: p / "missing.csv", ("missing.csv: no such file",)),
    (lambda p: p, ("a directory without Parquet files",)),
    (lambda p: write(p, "empty.csv", ""), ("the file is empty",)),
    (lambda p: write(p, "header.csv", "a,b,y\n"), ("no data rows",)),
    (lambda p: write(p, "ragged.csv", "a,b,y\n1,2,0\n1,2,3,4,5\n"), ("not a readable CSV file",)),
    (lambda p: write(p, "bad.parquet", "not parquet at all"), ("not a readable Parquet file",)),
    (lambda p: write(p, "text.csv", "a,colour,y\n1,red,0\n2,,1\n"),  # a text column is a category (test_categorical)
     ("categorical column 'colour' is empty at row 2",)),
    (lambda p: write(p, "thousands.csv", 'a,income,y\n1,"1,200.5",0\n2,300,1\n'),
     ("'1,200.5' at row 1", "without thousands separators")),
    (lambda p: write(p, "typo.csv", "a,b,y\n1,2,0\n2,x,1\n3,4,1\n"), ("'x' at row 2", "fix or drop the rows")),
    (lambda p: write(p, "semicolon.csv", "a;b;y\n1;2;0\n2;3;1\n"), ("looks separated by ';'",)),
    (lambda p: write(p, "nan.csv", "a,b,y\n1,2,0\n3,,1\n4,5,1\n"), ("column 'b' has nan at row 2",)),
    (lambda p: write(p, "inf.csv", "a,b,y\n1,2,0\ninf,1,1\n4,5,1\n"), ("column 'a' has inf at row 2",)),
    (lambda p: write(p, "one.csv", "a,b,y\n1,2,1\n3,4,1\n"), ("single class",)),
]


@pytest.mark.parametrize("content, needle", [
    ("a,y\n1,0\n2,1\n3,-1\n4,2\n", "target column 'y' has -1 at row 3 (data rows count from 1)"),
    ("a,y\n1,0\n2,1\n3,x\n4,2\n", "target column 'y' holds text where a number was expected: 'x' at row 3"),
])
def test_bad_counts_name_their_data_row(tmp_path, content, needle):
    assert_one_line_error(invoke("fit", write(tmp_path, "counts.csv", content), "--family", "poisson"), needle)


@pytest.mark.parametrize("make,needles", BAD_DATA)
def test_bad_data_is_one_line_exit_2_and_writes_nothing(tmp_path, make, needles):
    data = make(tmp_path)
    out = tmp_path / "model.json"
    result = invoke("fit", data, "--out", out)
    assert_one_line_error(result, *needles)
    assert not out.exists()


def test_unknown_target_column(wine_csv):
    assert_one_line_error(invoke("fit", wine_csv, "--target", "colour"), "no target column 'colour'", "alcohol")


def test_failed_fit_never_overwrites_an_existing_model(tmp_path, wine_csv):
    out = tmp_path / "model.json"
    out.write_text("precious")
    bad = write(tmp_path, "one.csv", "a,b,y\n1,2,1\n3,4,1\n")
    assert_one_line_error(invoke("fit", bad, "--out", out), "single class")
    assert out.read_text() == "precious"


def test_output_paths_are_checked_before_work(tmp_path, wine_csv):
    assert_one_line_error(invoke("fit", wine_csv, "--out", tmp_path), "is a directory")
    assert_one_line_error(invoke("fit", wine_csv, "--out", tmp_path / "no" / "m.json"), "does not exist")
    assert_one_line_error(invoke("fit", wine_csv, "--report", wine_csv), "is a file")
    assert_one_line_error(invoke("fit", wine_csv, "--dataset", "iris"), "either DATA or --dataset")


@pytest.mark.parametrize("content,needle", [
    ("{not json", "not JSON"),
    ('{"format": "sklearn"}', "not a symlogit model file"),
    ('{"format": "symlogit-model", "format_version": 99}', "format version 99 is not supported"),
    ('{"format": "symlogit-model", "format_version": 1, "classes": [0, 1]}', "malformed model file"),
    ('{"format": "symlogit-model", "format_version": 1, "classes": [0, 1], "feature_names": ["a"], '
     '"coef": [[1, 2]], "intercept": [0], "fit_intercept": true}', "inconsistent model file"),
    ('{"format": "symlogit-model", "format_version": 1, "family": "tweedie", "feature_names": ["a"], '
     '"coef": [[1]], "intercept": [0], "fit_intercept": true}', "family 'tweedie' is not known"),
    ('{"format": "symlogit-model", "format_version": 1, "family": "probit", "classes": null, "feature_names": ["a"], '
     '"coef": [[1]], "intercept": [0], "fit_intercept": true}', "needs \"classes\" to be a list of 2 labels"),
    ('{"format": "symlogit-model", "format_version": 1, "family": "poisson", "classes": [0, 1], '
     '"feature_names": ["a"], "coef": [[1]], "intercept": [0], "fit_intercept": true}', "lists classes"),
    ('{"format": "symlogit-model", "format_version": 1, "classes": [0, 1], "feature_names": ["alcohol"], '
     '"coef": [[1]], "intercept": [0], "fit_intercept": true, "options": null}', "\"options\" must be an object"),
    ('{"format": "symlogit-model", "format_version": 1, "classes": [0, 1], "feature_names": ["alcohol"], '
     '"coef": [[1]], "intercept": [0], "fit_intercept": true, "options": {"offset": ["o"]}}',
     "the offset must be a column name"),
])
def test_malformed_or_foreign_model_files(tmp_path, wine_csv, content, needle):
    model = write(tmp_path, "model.json", content)
    out = tmp_path / "p.csv"
    assert_one_line_error(invoke("predict", model, wine_csv, "--out", out), needle)
    assert not out.exists()


def test_model_and_data_feature_mismatch(tmp_path, wine_csv):
    model = tmp_path / "model.json"
    invoke("fit", wine_csv, "--out", model, "-q")
    frame = pd.read_csv(wine_csv).drop(columns=["ash", "hue"])
    path = tmp_path / "less.csv"
    frame.to_csv(path, index=False)
    assert_one_line_error(invoke("predict", model, path), "missing feature column(s) ash, hue")


def test_atomic_write_leaves_the_old_file_when_the_rename_fails(tmp_path, monkeypatch):
    target = tmp_path / "model.json"
    target.write_text("old")

    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        write_atomically(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["model.json"]


@pytest.mark.parametrize("command", ["fit", "predict", "verify", "derive", "generate"])
def test_every_subcommand_help_has_an_example(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0 and "Examples:" in result.output and "symlogit " + command in result.output


def test_end_to_end_in_a_real_process(tmp_path, wine_csv):
    model = tmp_path / "model.json"
    run = subprocess.run([sys.executable, "-m", "symlogit.cli", "fit", str(wine_csv), "--out", str(model)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "iter" in run.stderr and "training log-loss" in run.stdout
    bad = subprocess.run([sys.executable, "-m", "symlogit.cli", "predict", str(model), str(tmp_path / "none.csv")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "no such file" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_poisson_fit_with_offset_saves_family_and_predicts_means(tmp_path, counts_csv):
    import statsmodels.api as sm
    model = tmp_path / "poisson.json"
    result = invoke("fit", counts_csv, "--family", "poisson", "--target", "n", "--offset", "log_exposure",
                    "--penalty", "none", "--out", model, "-q")
    assert result.exit_code == 0, result.output
    assert "family: poisson" in result.output and "D²" in result.output and "GLM poisson results" in result.output
    saved = json.loads(model.read_text())
    assert saved["family"] == "poisson" and saved["options"]["offset"] == "log_exposure"
    frame = pd.read_csv(counts_csv)
    theirs = sm.GLM(frame["n"], sm.add_constant(frame[["a", "b"]]), family=sm.families.Poisson(),
                    offset=frame["log_exposure"]).fit(tol=1e-12)
    np.testing.assert_allclose([saved["intercept"][0], *saved["coef"][0]], theirs.params, rtol=1e-6)
    out = tmp_path / "means.csv"
    assert invoke("predict", model, counts_csv, "--out", out).exit_code == 0
    np.testing.assert_allclose(pd.read_csv(out)["prediction"], theirs.fittedvalues, rtol=1e-6)
    assert_one_line_error(invoke("predict", model, counts_csv, "--proba"), "--proba needs a classifier")


@pytest.mark.parametrize("family", ["probit", "cloglog"])
def test_binary_families_fit_and_round_trip(tmp_path, family):
    X, y = load_iris(return_X_y=True)
    path = tmp_path / "iris2.csv"
    pd.DataFrame(np.column_stack([X, y == 2]), columns=["a", "b", "c", "d", "virginica"]).to_csv(path, index=False)
    model = tmp_path / "m.json"
    result = invoke("fit", path, "--family", family, "--out", model, "-q")
    assert result.exit_code == 0 and f"family: {family}" in result.output, result.output
    assert json.loads(model.read_text())["family"] == family
    out = invoke("predict", model, path, "--proba").output.strip().splitlines()
    assert out[0] == "p_0.0,p_1.0" and len(out) == 151


@pytest.mark.parametrize("args, needle", [
    (["--family", "probit"], "binary"),                                       # wine has 3 classes
    (["--family", "poisson", "--target", "target"], None),                    # counts 0, 1, 2: fine
    (["--offset", "nope"], "no offset column 'nope'"),
    (["--family", "gamma"], "'gamma' is not one of"),
    (["--family", "probit", "--alpha", "0.1"], "--alpha does not apply to family 'probit'"),
    (["--family", "poisson", "--target", "target", "--C", "2"], "--C does not apply to family 'poisson'"),
    (["--family", "poisson", "--target", "target", "--offset", "target"], "column 'target' is both the target and the offset column"),
])
def test_family_options_bad_input(wine_csv, args, needle):
    result = invoke("fit", wine_csv, "-q", *args)
    if needle is None:
        assert result.exit_code == 0, result.output
    else:
        assert_one_line_error(result, needle)


def test_soft_targets_report_their_log_loss_and_no_accuracy(tmp_path):
    """y in (0, 1): the log-loss is -mean(y log p + (1 - y) log(1 - p)); there is no accuracy."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=300)
    y = np.where(x + rng.normal(size=300) > 0, 0.8, 0.1)
    path = tmp_path / "soft.csv"
    pd.DataFrame({"x": x, "y": y}).to_csv(path, index=False)
    result = invoke("fit", path, "--family", "probit", "-q")
    assert result.exit_code == 0, result.output
    assert "accuracy" not in result.output
    from symlogit import GLMClassifier
    p = GLMClassifier(family="probit", tol=1e-8).fit(x[:, None], y).predict_proba(x[:, None])[:, 1]
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p))
    assert f"training log-loss: {expected:.6f}" in result.output


@pytest.mark.parametrize("extra", [[], ["--l1-ratio", "1"], ["--l1-ratio", "0.5"]], ids=["l2", "l1", "elastic-net"])
def test_C_inf_is_the_unpenalised_fit_and_says_so(extra):
    """--C inf has no penalty whatever --l1-ratio: 'penalty: none (C=inf)', not 'l1 (C=inf)', and
    the fit equals --penalty none's."""
    result = invoke("fit", "--dataset", "iris", "--C", "inf", *extra)
    assert result.exit_code == 0, result.output
    assert "penalty: none (C=inf)" in result.output and "penalty: l" not in result.output
    assert "max|gradient|" in result.output and "ignore the C" not in result.output
    plain = invoke("fit", "--dataset", "iris", "--penalty", "none")
    training = [line for line in result.output.splitlines() if line.startswith("training")]
    assert training and training == [line for line in plain.output.splitlines() if line.startswith("training")]


@pytest.mark.parametrize("args, option", [(["--C", "0.01"], "--C 0.01"), (["--C", "1"], "--C 1"),
                                          (["--family", "poisson", "--alpha", "0.5"], "--alpha 0.5")],
                         ids=["C", "C-default-value", "alpha"])
def test_penalty_none_refuses_a_strength_it_would_ignore(mixed_csv, tmp_path, args, option):
    """--penalty none with --C (or --alpha) given: one line, exit 2, nothing written, as the other
    options that would do nothing; --C inf and --alpha 0 say the same as --penalty none."""
    out = tmp_path / "m.json"
    result = invoke("fit", mixed_csv, "--target", "y", "--penalty", "none", *args, "--out", out, "-q")
    assert_one_line_error(result, f"--penalty none fits without a penalty, so {option} would be ignored",
                          f"drop {option.split()[0]}")
    assert not out.exists()
    same = ["--C", "inf"] if "--C" in args else ["--family", "poisson", "--alpha", "0"]
    agreed = invoke("fit", mixed_csv, "--target", "y", "--penalty", "none", *same, "-q")
    assert agreed.exit_code == 0 and "penalty: none" in agreed.output, agreed.output


def test_C_inf_with_an_l1_ratio_is_unpenalised_with_its_table_and_any_solver(mixed_csv):
    """--C inf is the unpenalised fit whatever --l1-ratio (scikit-learn's C=np.inf): --cov-type is
    accepted and the table is --penalty none's; no L1 solver is needed; --help says so."""
    plain = invoke("fit", mixed_csv, "--target", "y", "--penalty", "none", "--cov-type", "HC0", "-q")
    assert plain.exit_code == 0, plain.output
    table = plain.output[plain.output.index("Logit results"):]
    for ratio in ("1", "0.5"):
        result = invoke("fit", mixed_csv, "--target", "y", "--l1-ratio", ratio, "--C", "inf", "--cov-type", "HC0",
                        "-q")
        assert result.exit_code == 0, result.output
        assert result.output[result.output.index("Logit results"):] == table
    lbfgs = invoke("fit", mixed_csv, "--target", "y", "--l1-ratio", "1", "--C", "inf", "--solver", "lbfgs", "-q")
    assert lbfgs.exit_code == 0 and "penalty: none (C=inf)" in lbfgs.output, lbfgs.output
    assert_one_line_error(invoke("fit", mixed_csv, "--target", "y", "--l1-ratio", "1", "--solver", "lbfgs", "-q"),
                          "needs a solver that minimises an L1 term")
    assert_one_line_error(invoke("fit", mixed_csv, "--target", "y", "--l1-ratio", "1", "--penalty", "none"),
                          "does not combine with --penalty none", "--C inf or --alpha 0 is the unpenalised fit")
    text = " ".join(invoke("fit", "--help").output.split())
    assert "Not with --l1-ratio > 0 (unless --C inf or --alpha 0, the unpenalised fit)" in text
    assert "With --C inf (--alpha 0) the fit is unpenalised whatever --l1-ratio" in text


def test_a_strength_for_the_other_kind_of_family_names_the_whole_penalty(mixed_csv):
    """With an L1 term --C is the strength of the whole penalty, not only of its L2 part."""
    for args, right in ((["--l1-ratio", "1", "--alpha", "0.5"], "is --C"),
                        (["--family", "poisson", "--l1-ratio", "1", "--C", "0.5"], "is --alpha")):
        result = invoke("fit", mixed_csv, "--target", "y", *args, "-q")
        assert_one_line_error(result, "does not apply to family",
                              f"the strength of its penalty (L2, L1 or their mix by --l1-ratio) {right}")
        assert "L2 strength" not in result.output
