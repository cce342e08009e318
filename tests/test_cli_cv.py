"""Issue 18, item 3 from the command line: `symlogit fit --l1-ratio 1 --Cs N --cv K --report DIR`
chooses C as LogisticRegressionCV does on the same folds and grid (glmnet's grid from C_max with
an L1 term), prints the choice, and the report shows the path and the CV curve."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold

from symlogit import LogisticRegression, LogisticRegressionCV
from symlogit.path import largest_penalty
from test_cli_fit import assert_one_line_error, invoke


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(240, 5))
    y = (X @ [1.2, -0.8, 0.0, 0.0, 0.4] + rng.logistic(size=240) > 0).astype(int)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(5)]).assign(y=y)
    path = tmp_path_factory.mktemp("cv") / "data.csv"
    frame.to_csv(path, index=False)
    return path, X, y


def chosen_rows(output):
    return [line.split() for line in output.splitlines() if line.startswith("  C = ")]


def test_l1_path_choice_and_report(data, tmp_path):
    path, X, y = data
    report = tmp_path / "report"
    result = invoke("fit", path, "--target", "y", "--l1-ratio", "1", "--Cs", "6", "--cv", "3", "--tol", "1e-10",
                    "--report", report, "-q")
    assert result.exit_code == 0, result.output
    rows = chosen_rows(result.output)
    grid = np.array([float(row[2]) for row in rows])
    # glmnet's grid: from C_max on all rows (every coefficient 0) up to 1e4 C_max
    top = largest_penalty(LogisticRegression(l1_ratio=1.0), X, y)
    np.testing.assert_allclose(grid, np.geomspace(top, 1e4 * top, 6), rtol=1e-3)  # printed to 4 digits
    assert sum("<-" in row for row in rows) == 1
    chosen = next(float(row[2]) for row in rows if "<-" in row)
    reference = LogisticRegressionCV(Cs=np.geomspace(top, 1e4 * top, 6), l1_ratios=[1.0], scoring="neg_log_loss",
                                     cv=StratifiedKFold(3, shuffle=True, random_state=0), tol=1e-10).fit(X, y)
    assert chosen == pytest.approx(reference.C_, rel=1e-3)
    np.testing.assert_allclose([float(row[3]) for row in rows], -reference.scores_[:, 0].mean(axis=0), atol=2e-6)
    assert f"C={reference.C_:g}, chosen by --cv from 6 values" in result.output
    text = (report / "report.md").read_text()
    assert "![mean held-out log-loss ± sd against C](cv_curve.png)" in text
    assert "![coefficients against C, fitted on all rows](path.png)" in text
    for name in ("path.png", "cv_curve.png", "convergence.png"):
        assert (report / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_single_C_with_cv_has_no_path_plot(data, tmp_path):
    path, _, _ = data
    result = invoke("fit", path, "--target", "y", "--cv", "3", "--report", tmp_path / "r", "-q")
    assert result.exit_code == 0, result.output
    assert not chosen_rows(result.output) and not (tmp_path / "r" / "path.png").exists()
    assert "cv_curve.png" not in (tmp_path / "r" / "report.md").read_text()


@pytest.mark.parametrize("args, needle", [
    (["--Cs", "0"], "at least 2"),
    (["--Cs", "-3"], "at least 2"),
    (["--Cs", "0,1"], "positive"),
    (["--Cs", "1e-3,inf"], "positive"),
    (["--Cs", ""], "expected a count"),
])
def test_bad_Cs_with_an_l1_term_is_one_line(data, args, needle, tmp_path):
    path, _, _ = data
    assert_one_line_error(invoke("fit", path, "--target", "y", "--l1-ratio", "1", "--cv", "3", *args,
                                 "--report", tmp_path / "r"), needle)
    assert not (tmp_path / "r").exists()


def test_poisson_cv_names_a_training_fold_of_zero_counts_and_scores_a_held_out_one(tmp_path):
    """--cv on counts: a fold whose training rows are all 0 is one line naming the fold (exit 2,
    nothing written); a held-out fold whose counts are all 0 has no D² (scikit-learn's
    d2_tweedie_score divides by 0 there) and is left out of D²'s mean, not a traceback."""
    from symlogit import evaluation

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    folds = evaluation.folds(np.zeros(20), 3, 0, False)  # --cv 3 --seed 0's folds
    y = np.zeros(20)
    y[folds[2][1][:3]] = [4, 1, 2]  # only fold 2's held-out rows count: its training rows are all 0
    path, out = tmp_path / "counts.csv", tmp_path / "model.json"
    pd.DataFrame(X, columns=["a", "b"]).assign(y=y).to_csv(path, index=False)
    result = invoke("fit", path, "--family", "poisson", "--target", "y", "--cv", "3", "--out", out, "-q")
    assert_one_line_error(result, "the training rows of fold 2: the weighted mean of y is 0",
                          "use fewer folds (--cv below 3) or another --seed")
    assert not out.exists()
    y[folds[1][1][:2]] = [3, 2]  # fold 0's held-out counts stay all 0
    pd.DataFrame(X, columns=["a", "b"]).assign(y=y).to_csv(path, index=False)
    result = invoke("fit", path, "--family", "poisson", "--target", "y", "--cv", "3", "-q")
    assert result.exit_code == 0, result.output
    assert "3-fold cross-validated mean deviance" in result.output and "D²: nan" not in result.output
    assert "held-out D² of fold 0 is undefined" in result.stderr
