"""Issue 21: choosing columns (--features, --drop, --id, --weight), held-out figures (--test-size,
--cv), the report's provenance and plots, and `predict` passing columns through and writing CSV
or Parquet by extension."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_validate, train_test_split

from test_cli_fit import assert_one_line_error, invoke


@pytest.fixture
def customers(tmp_path):
    """A CSV with an id column, text notes, a weight column and string labels."""
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({"customer": [f"c{i}" for i in range(n)], "x_a": rng.normal(size=n),
                          "x_b": rng.normal(size=n), "note_1": ["text"] * n, "w": rng.uniform(0.5, 2.0, n)})
    frame["label"] = np.where(frame.x_a + 0.5 * frame.x_b + rng.normal(size=n) > 0, "yes", "no")
    path = tmp_path / "customers.csv"
    frame.to_csv(path, index=False)
    return path, frame


def figure(output, prefix, label):
    """The number after 'label: ' on the output line that starts with prefix."""
    line = next(line for line in output.splitlines() if line.startswith(prefix))
    return float(line.split(f"{label}: ")[1].split()[0].rstrip(";"))


def test_columns_by_role_match_scikit_learn_on_the_chosen_columns(customers, tmp_path):
    path, frame = customers
    result = invoke("fit", path, "--target", "label", "--id", "customer", "--drop", "note_*", "--weight", "w",
                    "--tol", "1e-10", "--out", tmp_path / "m.json", "-q")
    assert result.exit_code == 0, result.output
    assert "(300 rows, 2 features, target 'label')" in result.output
    saved = json.loads((tmp_path / "m.json").read_text())
    assert saved["feature_names"] == ["x_a", "x_b"] and saved["options"]["id"] == ["customer"]
    reference = SkLogisticRegression(tol=1e-12).fit(frame[["x_a", "x_b"]], frame.label, sample_weight=frame.w)
    np.testing.assert_allclose(np.ravel(saved["coef"]), reference.coef_.ravel(), rtol=1e-6)
    weighted = log_loss(frame.label, reference.predict_proba(frame[["x_a", "x_b"]]), sample_weight=frame.w)
    assert figure(result.output, "training", "log-loss") == pytest.approx(weighted, abs=2e-6)
    # the same columns chosen by --features, a glob
    chosen = invoke("fit", path, "--target", "label", "--features", "x_*", "--weight", "w", "--tol", "1e-10", "-q")
    assert figure(chosen.output, "training", "log-loss") == figure(result.output, "training", "log-loss")


def test_held_out_split_and_cross_validation_agree_with_scikit_learn():
    X, y = load_breast_cancer(return_X_y=True)
    result = invoke("fit", "--dataset", "breast_cancer", "--test-size", "0.2", "--seed", "3", "-q")
    assert result.exit_code == 0, result.output
    train, test = train_test_split(np.arange(len(y)), test_size=0.2, random_state=3, stratify=y)
    model = SkLogisticRegression(solver="newton-cholesky", tol=1e-10, max_iter=1000).fit(X[train], y[train])
    p = model.predict_proba(X[test])[:, 1]
    assert "(569 rows, 30 features" in result.output and "training (455 rows) log-loss" in result.output
    assert "held-out (114 rows" in result.output
    assert figure(result.output, "held-out", "log-loss") == pytest.approx(log_loss(y[test], p), abs=1e-5)
    assert figure(result.output, "held-out", "AUC") == pytest.approx(roc_auc_score(y[test], p), abs=1e-4)
    assert figure(result.output, "held-out", "Brier score") == pytest.approx(brier_score_loss(y[test], p), abs=1e-5)
    counted = invoke("fit", "--dataset", "breast_cancer", "--test-size", "100", "--seed", "3", "-q")  # a row count
    assert counted.exit_code == 0 and "held-out (100 rows" in counted.output, counted.output
    train, test = train_test_split(np.arange(len(y)), test_size=100, random_state=3, stratify=y)
    p = SkLogisticRegression(solver="newton-cholesky", tol=1e-10, max_iter=1000).fit(X[train], y[train]).predict_proba(
        X[test])[:, 1]
    assert figure(counted.output, "held-out", "log-loss") == pytest.approx(log_loss(y[test], p), abs=1e-5)

    X, y = load_iris(return_X_y=True)
    result = invoke("fit", "--dataset", "iris", "--cv", "4", "-q")
    assert result.exit_code == 0, result.output
    scores = cross_validate(SkLogisticRegression(tol=1e-10, max_iter=1000), X, y, scoring=["neg_log_loss", "accuracy"],
                            cv=StratifiedKFold(4, shuffle=True, random_state=0))
    line = next(line for line in result.output.splitlines() if line.startswith("4-fold cross-validated"))
    mean, sd = line.split("log-loss: ")[1].split(";")[0].split(" ± ")
    assert float(mean) == pytest.approx(-scores["test_neg_log_loss"].mean(), abs=1e-5)
    assert float(sd) == pytest.approx(scores["test_neg_log_loss"].std(), abs=1e-5)


@pytest.mark.filterwarnings("ignore:The fitted attributes of LogisticRegressionCV:FutureWarning")
def test_cv_chooses_C_from_a_grid_as_logistic_regression_cv():
    """--cv 4 --Cs 6: the same C as scikit-learn's LogisticRegressionCV on the same folds and grid
    scored by log-loss, each C's mean held-out log-loss as scikit-learn's, and the final fit at
    that C on all rows (issue 21, item 2)."""
    from sklearn.linear_model import LogisticRegressionCV

    X, y = load_iris(return_X_y=True)
    result = invoke("fit", "--dataset", "iris", "--cv", "4", "--Cs", "6", "--tol", "1e-10", "-q")
    assert result.exit_code == 0, result.output
    folds = StratifiedKFold(4, shuffle=True, random_state=0)
    reference = LogisticRegressionCV(Cs=np.logspace(-4, 4, 6), cv=folds, scoring="neg_log_loss", tol=1e-10,
                                     max_iter=10_000).fit(X, y)
    rows = [line.split() for line in result.output.splitlines() if line.startswith("  C = ")]
    assert len(rows) == 6 and sum("<-" in row for row in rows) == 1
    chosen = next(float(row[2]) for row in rows if "<-" in row)
    assert chosen == pytest.approx(reference.C_[0], rel=1e-3)
    ours = np.array([float(row[3]) for row in rows])
    np.testing.assert_allclose(ours, -reference.scores_[0].mean(axis=0), atol=1e-5)
    assert f"C={reference.C_[0]:g}, chosen by --cv from 6 values" in result.output
    assert figure(result.output, "training", "log-loss") == pytest.approx(
        log_loss(y, reference.predict_proba(X)), abs=1e-5)


@pytest.mark.parametrize("args, needle", [
    (["--Cs", "5"], "--Cs needs --cv"),
    (["--cv", "3", "--Cs", "1"], "at least 2"),
    (["--cv", "3", "--Cs", "0.1,x"], "list of positive numbers"),
    (["--cv", "3", "--Cs", "0.1,-1"], "positive"),
    (["--cv", "3", "--Cs", "0.5,0.5"], "at least 2 different values"),
    (["--cv", "3", "--Cs", "4", "--C", "2"], "does not combine with --C"),
    (["--cv", "3", "--Cs", "4", "--penalty", "none"], "--penalty none"),
])
def test_bad_Cs_is_one_line_and_exit_2(args, needle):
    assert_one_line_error(invoke("fit", "--dataset", "iris", *args), needle)


def test_a_fit_refused_before_its_first_iteration_prints_only_its_error(customers, tmp_path):
    """Weights that are all zero: the live table's header is not printed before the error."""
    path, frame = customers
    frame.assign(w=0.0).to_csv(tmp_path / "zero.csv", index=False)
    assert_one_line_error(invoke("fit", tmp_path / "zero.csv", "--target", "label", "--id", "customer",
                                 "--drop", "note_*", "--weight", "w"), "weight")


def test_poisson_held_out_figures(counts_csv):
    result = invoke("fit", counts_csv, "--family", "poisson", "--target", "n", "--offset", "log_exposure",
                    "--test-size", "0.3", "-q")
    assert result.exit_code == 0, result.output
    assert np.isfinite(figure(result.output, "held-out", "mean deviance"))
    assert figure(result.output, "held-out", "D²") < 1


def test_report_says_what_was_run_and_draws_roc_and_calibration(customers, tmp_path):
    path, _ = customers
    result = invoke("fit", path, "--target", "label", "--drop", "note_1,customer", "--cv", "3",
                    "--report", tmp_path / "report", "-q")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "report" / "report.md").read_text()
    import hashlib

    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert f"SHA-256 {digest}" in text and "--cv 3" in text and "symlogit fit" in text
    assert "out-of-fold predictions of 3-fold cross-validation" in text
    assert (tmp_path / "report" / "roc_calibration.png").stat().st_size > 10_000


def test_predict_passes_ids_through_and_writes_parquet_or_csv(customers, tmp_path):
    path, frame = customers
    model = tmp_path / "m.json"
    assert invoke("fit", path, "--target", "label", "--id", "customer", "--drop", "note_1", "--out", model,
                  "-q").exit_code == 0
    half = tmp_path / "parts"
    half.mkdir()
    frame.iloc[:100].to_parquet(half / "a.parquet")
    frame.iloc[100:].to_parquet(half / "b.parquet")
    result = invoke("predict", model, half, "--proba", "--out", tmp_path / "scores.parquet")
    assert result.exit_code == 0, result.output
    scores = pd.read_parquet(tmp_path / "scores.parquet")
    assert scores.columns.tolist() == ["customer", "p_no", "p_yes"] and scores.customer.tolist() == frame.customer.tolist()
    appended = invoke("predict", model, path, "--append", "--out", tmp_path / "all.csv")
    assert appended.exit_code == 0
    written = pd.read_csv(tmp_path / "all.csv")
    assert written.columns.tolist() == [*frame.columns, "prediction"]
    chosen = invoke("predict", model, path, "--id", "customer,w")
    assert chosen.output.splitlines()[0] == "customer,w,prediction"


@pytest.mark.parametrize("args, needles", [
    (["--features", "z*"], ["no column matches the feature pattern 'z*'", "columns are customer, x_a"]),
    (["--drop", "nothing"], ["no column matches the drop pattern 'nothing'"]),
    (["--id", "nope"], ["no id column 'nope'"]),
    (["--weight", "label"], ["'label' is both the target and the weight column"]),
    (["--features", "x_a,customer", "--id", "customer"], ["'customer' is both a feature and the id column"]),
    (["--drop", "note_1,customer", "--test-size", "1.5"], ["--test-size", "0<x<1"]),
    (["--drop", "note_1,customer", "--test-size", "nan"], ["--test-size", "nan is neither a fraction", "0<x<1"]),
    (["--drop", "note_1,customer", "--test-size", "0"], ["--test-size", "0 is neither a fraction", ">= 1"]),
    (["--drop", "note_1,customer", "--test-size", "300"], ["--test-size 300 asks for 300 of the 300 rows"]),
    (["--drop", "note_1,customer", "--seed", "-1", "--cv", "3"], ["--seed", "0<=x<=4294967295"]),
    (["--drop", "note_1,customer", "--seed", "4294967296", "--cv", "3"], ["--seed", "0<=x<=4294967295"]),
    (["--drop", "note_1,customer", "--seed", "-1", "--test-size", "0.2"], ["--seed", "0<=x<=4294967295"]),
    (["--drop", "note_1,customer", "--cv", "1"], ["--cv", "x>=2"]),
    (["--drop", "note_1,customer", "--cv", "500"], ["--cv 500: class 'yes' has only 149 rows"]),
    (["--drop", "note_1,customer", "--cv", "3", "--test-size", "0.2"], ["--test-size or --cv, not both"]),
    (["--drop", "note_1,customer", "--test-size", "0.001"],
     ["--test-size 0.001 holds out 1 of the 300 rows; each part needs at least 2 (a row of every class)"]),
])
def test_bad_column_and_evaluation_options_are_one_line_errors(customers, tmp_path, args, needles):
    path, _ = customers
    out = tmp_path / "m.json"
    result = invoke("fit", path, "--target", "label", *args, "--out", out, "-q")
    assert_one_line_error(result, *needles)
    assert not out.exists()


def test_bad_predict_outputs_write_nothing(customers, tmp_path):
    path, _ = customers
    model = tmp_path / "m.json"
    assert invoke("fit", path, "--target", "label", "--drop", "note_1,customer", "--out", model, "-q").exit_code == 0
    assert_one_line_error(invoke("predict", model, path, "--out", tmp_path / "p.txt"), "unknown extension '.txt'")
    assert_one_line_error(invoke("predict", model, path, "--id", "nope"), "no id column(s) 'nope'")
    assert_one_line_error(invoke("predict", model, path, "--id", "w", "--append"), "--id or --append")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["customers.csv", "m.json"]


def test_predict_does_not_load_scikit_learn(customers, tmp_path):
    """Start-up (issue 21, item 6): a model file is scored by the generated kernels alone; the
    labels and probabilities are the estimator's."""
    import subprocess
    import sys

    path, frame = customers
    model = tmp_path / "m.json"
    assert invoke("fit", path, "--target", "label", "--drop", "note_1,customer", "--out", model, "-q").exit_code == 0
    script = (f"import sys\nfrom symlogit.cli import cli\ntry:\n    cli(['predict', {str(model)!r}, {str(path)!r}, "
              "'--proba'])\nexcept SystemExit:\n    pass\nprint('sklearn' in sys.modules, file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert run.stderr.strip().splitlines()[-1] == "False", run.stderr
    from symlogit.model_io import read_model

    _, saved = read_model(model)
    X = frame[["x_a", "x_b", "w"]].to_numpy()
    estimator = saved.estimator()
    np.testing.assert_array_equal(saved.predict(X), estimator.predict(X))
    np.testing.assert_allclose(saved.predict_proba(X), estimator.predict_proba(X), rtol=0, atol=0)


def test_a_first_use_says_the_kernels_compile(customers, monkeypatch):
    import symlogit.kernels

    path, _ = customers
    monkeypatch.setattr(symlogit.kernels, "is_cached", lambda name: name != "probit")
    result = invoke("fit", path, "--target", "label", "--drop", "note_1,customer", "--family", "probit", "-q")
    assert "compiling the probit kernels once, about 5 s" in result.output
    assert "compiling" not in invoke("fit", path, "--target", "label", "--drop", "note_1,customer", "-q").output


def test_a_glob_skips_columns_with_another_role_and_outputs_follow_the_umask(customers, tmp_path):
    import os

    path, _ = customers
    old = os.umask(0o022)
    try:
        result = invoke("fit", path, "--target", "label", "--id", "customer", "--weight", "w", "--features", "*",
                        "--drop", "note_1", "--out", tmp_path / "m.json", "--report", tmp_path / "r", "-q")
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "m.json").read_text())["feature_names"] == ["x_a", "x_b"]
    assert (tmp_path / "m.json").stat().st_mode & 0o777 == 0o644
    text = (tmp_path / "r" / "report.md").read_text()
    assert "solver: newton (asked for auto); tol: 1e-08 on max|gradient|; max_iter: 100" in text


def test_a_parquet_folder_whose_files_disagree_is_named(customers, tmp_path):
    """Found by a new-user trial: files of one folder with different columns were read as one
    frame with NaN holes ("target column 'zz' is empty at row 1")."""
    _, frame = customers
    folder = tmp_path / "parts"
    folder.mkdir()
    frame.iloc[:100].to_parquet(folder / "a.parquet")
    frame.iloc[100:].rename(columns={"x_b": "x_c"}).to_parquet(folder / "b.parquet")
    assert_one_line_error(invoke("fit", folder, "--target", "label", "--drop", "note_1,customer"),
                          "Parquet schemas disagree: b.parquet differs from a.parquet in x_b (double vs absent), "
                          "x_c (absent vs double)")


@pytest.mark.skipif(not __import__("os").path.isdir("/proc"), reason="needs a directory no file can be created in")
def test_an_output_the_file_system_refuses_is_one_line(customers, tmp_path):
    path, _ = customers
    model = tmp_path / "m.json"
    assert invoke("fit", path, "--target", "label", "--drop", "note_1,customer", "--out", model, "-q").exit_code == 0
    assert_one_line_error(invoke("predict", model, path, "--out", "/proc/scores.csv"), "cannot be written")
