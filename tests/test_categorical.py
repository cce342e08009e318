"""Issue 17, item 4: categorical columns one-hot encoded by symlogit into sparse X (symlogit/design.py)
in `symlogit fit` and `predict`, numbers written as text refused, --formula through formulaic, and
the Python API (design.design_matrix); parity with statsmodels' formula fits."""

import json
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import statsmodels.formula.api as smf
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from symlogit import LogisticRegression
from symlogit.data import DataError
from symlogit.design import ColumnDesign, FormulaDesign, design_from_dict, design_matrix
from test_cli_fit import assert_one_line_error, invoke

EFFECTS = {"east": -0.7, "north": 0.0, "south": 0.5, "west": 0.3}


def _frame(n=2000, seed=0):
    """region (text, 4 levels), x, z (numbers), y (0/1) from a logit model with region effects."""
    rng = np.random.default_rng(seed)
    region = rng.choice(sorted(EFFECTS), n)
    x, z = rng.normal(size=n), rng.normal(size=n)
    u = -0.2 + np.vectorize(EFFECTS.get)(region) + 0.8 * x - 0.4 * x * z
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-u))).astype(int)
    return pd.DataFrame({"region": region, "x": x, "z": z, "y": y})


@pytest.fixture
def regions(tmp_path):
    frame = _frame()
    path = tmp_path / "regions.csv"
    frame[["region", "x", "y"]].to_csv(path, index=False)
    return path, frame


def _saved(path):
    saved = json.loads(path.read_text())
    return dict(zip(saved["feature_names"], np.ravel(saved["coef"]))), saved


def test_unpenalised_fit_drops_the_reference_level_and_equals_statsmodels(regions, tmp_path):
    path, frame = regions
    out = tmp_path / "m.json"
    result = invoke("fit", path, "--penalty", "none", "--tol", "1e-10", "--out", out, "-q")
    assert result.exit_code == 0, result.output
    assert "(2000 rows, 4 features, target 'y')" in result.output
    reference = smf.logit("y ~ C(region) + x", frame).fit(disp=0, tol=1e-12)
    coef, saved = _saved(out)
    assert sorted(coef) == ["region[north]", "region[south]", "region[west]", "x"]  # east: the reference
    for level in ("north", "south", "west"):
        assert coef[f"region[{level}]"] == pytest.approx(reference.params[f"C(region)[T.{level}]"], rel=1e-6)
        line = next(line for line in result.output.splitlines() if line.startswith(f"region[{level}]"))
        assert float(line.split()[2]) == pytest.approx(reference.bse[f"C(region)[T.{level}]"], abs=6e-4)
    assert coef["x"] == pytest.approx(reference.params["x"], rel=1e-6)
    assert saved["intercept"][0] == pytest.approx(reference.params["Intercept"], rel=1e-6)
    assert saved["design"] == {"kind": "columns", "columns": ["region", "x"], "drop_reference": True,
                               "categorical": [{"column": "region", "levels": sorted(EFFECTS), "reference": "east"}]}


def test_the_same_encoding_in_python_gives_statsmodels_standard_errors(regions):
    _, frame = regions
    X, names, design = design_matrix(frame[["region", "x"]], drop_reference=True)
    assert sp.issparse(X) and X.format == "csr" and names == ["region[north]", "region[south]", "region[west]", "x"]
    named = pd.DataFrame.sparse.from_spmatrix(X, columns=names)
    model = LogisticRegression(penalty=None, tol=1e-10).fit(named, frame.y)
    inference = model.inference()
    reference = smf.logit("y ~ C(region) + x", frame).fit(disp=0, tol=1e-12)
    statsmodels_names = ["Intercept"] + [f"C(region)[T.{lv}]" for lv in ("north", "south", "west")] + ["x"]
    np.testing.assert_allclose(inference.params, reference.params[statsmodels_names], rtol=1e-6)
    np.testing.assert_allclose(inference.bse, reference.bse[statsmodels_names], rtol=1e-5)
    assert "region[south]" in inference.summary()


def test_penalised_fit_keeps_every_level_and_equals_scikit_learn_on_the_one_hot_columns(regions, tmp_path):
    path, frame = regions
    out = tmp_path / "m.json"
    result = invoke("fit", path, "--C", "0.5", "--tol", "1e-10", "--out", out, "-q")
    assert result.exit_code == 0, result.output
    coef, saved = _saved(out)
    assert list(coef) == [f"region[{level}]" for level in sorted(EFFECTS)] + ["x"]
    assert saved["design"]["drop_reference"] is False and saved["design"]["categorical"][0]["reference"] is None
    one_hot = pd.get_dummies(frame.region, dtype=float).assign(x=frame.x)
    reference = SkLogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(one_hot, frame.y)
    np.testing.assert_allclose(list(coef.values()), reference.coef_.ravel(), rtol=1e-6)


def test_predict_encodes_new_files_with_the_fitted_levels(regions, tmp_path):
    path, frame = regions
    out = tmp_path / "m.json"
    assert invoke("fit", path, "--penalty", "none", "--out", out, "-q").exit_code == 0
    new = frame.iloc[[5, 1, 7, 3]][["x", "region"]]  # other order of rows and columns, a subset of levels
    new_path = tmp_path / "new.csv"
    new.to_csv(new_path, index=False)
    result = invoke("predict", out, new_path, "--proba")
    assert result.exit_code == 0, result.output
    got = pd.read_csv(pd.io.common.StringIO(result.output))
    coef, saved = _saved(out)
    design = ColumnDesign.fit(frame, ["region", "x"], drop_reference=True)
    model = LogisticRegression(penalty=None).fit(design.transform(frame), frame.y)
    np.testing.assert_allclose(got.p_1, model.predict_proba(design.transform(new))[:, 1], rtol=1e-9)
    np.testing.assert_allclose(model.coef_.ravel(), list(coef.values()), rtol=1e-6)
    script = (f"import sys\nfrom symlogit.cli import cli\ntry:\n    cli(['predict', {str(out)!r}, {str(new_path)!r}])\n"
              "except SystemExit:\n    pass\nprint('sklearn' in sys.modules, file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert run.stderr.strip().splitlines()[-1] == "False", run.stderr  # scored without scikit-learn
    labels = pd.read_csv(pd.io.common.StringIO(run.stdout)).prediction  # the labels: sparse scores by scipy
    np.testing.assert_array_equal(labels, model.predict(design.transform(new)))


def test_an_unseen_level_is_one_line_naming_the_column_and_level_or_encoded_as_asked(regions, tmp_path):
    path, frame = regions
    model = tmp_path / "m.json"
    assert invoke("fit", path, "--penalty", "none", "--out", model, "-q").exit_code == 0
    new = tmp_path / "new.csv"
    pd.DataFrame({"region": ["north", "mars", "east"], "x": [0.1, 0.2, 0.2]}).to_csv(new, index=False)
    out = tmp_path / "p.csv"
    assert_one_line_error(invoke("predict", model, new, "--out", out),
                          "categorical column 'region' has the level 'mars' at row 2", "--unseen reference")
    assert not out.exists()
    for unseen in ("reference", "zero"):  # the reference has no column: both give east's prediction
        result = invoke("predict", model, new, "--proba", "--unseen", unseen)
        assert result.exit_code == 0, result.output
        p = pd.read_csv(pd.io.common.StringIO(result.output)).p_1.to_numpy()
        assert p[1] == pytest.approx(p[2], rel=1e-12) and p[1] != pytest.approx(p[0])


def test_unseen_reference_and_zero_differ_where_every_level_has_a_column(regions):
    _, frame = regions
    design = ColumnDesign.fit(frame, ["region", "x"], drop_reference=False)
    new = pd.DataFrame({"region": ["mars"], "x": [1.5]})
    with pytest.raises(DataError, match="'mars' at row 1"):
        design.transform(new)
    assert design.transform(new, unseen="reference").toarray().tolist() == [[1, 0, 0, 0, 1.5]]  # east
    assert design.transform(new, unseen="zero").toarray().tolist() == [[0, 0, 0, 0, 1.5]]


@pytest.mark.parametrize("values, needles", [
    (["1,234", "2,500", "300", "4,000"], ("column 'income'", "'1,234' at row 1", "without thousands separators")),
    (["3,5", "2,25", "1,75", "4,0"], ("column 'income'", "'3,5' at row 1", "with a decimal point (3.5, not 3,5)")),
    (["3", "2", "x", "4"], ("column 'income'", "'x' at row 3", "fix or drop the rows")),
])
def test_numbers_written_as_text_are_not_a_category(tmp_path, values, needles):
    path = tmp_path / "income.csv"
    pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "income": values, "y": [0, 1, 0, 1]}).to_csv(path, index=False)
    out = tmp_path / "m.json"
    assert_one_line_error(invoke("fit", path, "--out", out), *needles)
    assert not out.exists()


def test_text_booleans_and_parquet_categories_are_encoded(tmp_path):
    frame = _frame(400)
    frame["flag"] = frame.x > 0.3
    frame["size"] = pd.Categorical(np.where(frame.z > 0, "small", "large"), categories=["small", "large"])
    path = tmp_path / "d.parquet"
    frame[["region", "flag", "size", "x", "y"]].to_parquet(path)
    out = tmp_path / "m.json"
    result = invoke("fit", path, "--penalty", "none", "--out", out, "-q")
    assert result.exit_code == 0, result.output
    coef, saved = _saved(out)
    # booleans sorted (False the reference); a categorical dtype keeps its order (small the reference)
    assert list(coef) == ["region[north]", "region[south]", "region[west]", "flag[True]", "size[large]", "x"]
    assert [c["reference"] for c in saved["design"]["categorical"]] == ["east", "False", "small"]


def test_an_empty_categorical_cell_is_an_error(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("region,x,y\nnorth,1,0\n,2,1\nsouth,3,1\nnorth,0,0\n")
    assert_one_line_error(invoke("fit", path), "categorical column 'region' is empty at row 2")


@pytest.mark.slow  # ~11 s: 10^5 rows, 2x10^4 levels through the CLI
def test_high_cardinality_stays_sparse_and_fits_quickly(tmp_path):
    rng = np.random.default_rng(1)
    n, levels = 100_000, 20_000
    code = rng.integers(0, levels, n)
    effect = rng.normal(scale=0.5, size=levels)
    x = rng.normal(size=n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(effect[code] + x)))).astype(int)
    frame = pd.DataFrame({"shop": np.char.add("s", code.astype(str)), "x": x, "y": y})
    path = tmp_path / "shops.parquet"
    frame.to_parquet(path)
    tracemalloc.start()
    start = time.perf_counter()
    X, names, _ = design_matrix(frame[["shop", "x"]])
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert X.format == "csr" and X.shape == (n, len(np.unique(code)) + 1) and X.nnz <= 2 * n
    assert seconds < 10 and peak < 100e6  # dense X would be 16 GB
    out = tmp_path / "m.json"
    tracemalloc.start()
    start = time.perf_counter()
    result = invoke("fit", path, "--out", out, "-q")
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.exit_code == 0, result.output
    assert "converged" in result.output and "NOT" not in result.output
    assert seconds < 120 and peak < 1e9
    coef, _ = _saved(out)
    assert len(coef) == X.shape[1]
    present = np.unique(code)  # the fitted effects follow the true ones (shrunk by the penalty)
    assert np.corrcoef([coef[f"shop[s{j}]"] for j in present], effect[present])[0, 1] > 0.2


FORMULA = "y ~ x + C(region) + x:z"


@pytest.fixture
def formula_data(tmp_path):
    frame = _frame(seed=3)
    path = tmp_path / "f.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_formula_fit_equals_statsmodels_and_predict_rebuilds_its_columns(formula_data, tmp_path):
    path, frame = formula_data
    out = tmp_path / "m.json"
    result = invoke("fit", path, "--formula", FORMULA, "--penalty", "none", "--tol", "1e-10", "--out", out, "-q")
    assert result.exit_code == 0, result.output
    assert "C(region)[T.south]" in result.output and "x:z" in result.output
    reference = smf.logit(FORMULA, frame).fit(disp=0, tol=1e-12)
    coef, saved = _saved(out)
    for name, value in coef.items():
        assert value == pytest.approx(reference.params[name], rel=1e-6), name
    assert saved["intercept"][0] == pytest.approx(reference.params["Intercept"], rel=1e-6)
    assert saved["design"]["kind"] == "formula" and saved["design"]["formula"] == FORMULA
    assert saved["options"]["formula"] == FORMULA
    new = tmp_path / "new.csv"
    frame.iloc[:50][["z", "region", "x"]].to_csv(new, index=False)
    predicted = invoke("predict", out, new, "--proba")
    assert predicted.exit_code == 0, predicted.output
    p = pd.read_csv(pd.io.common.StringIO(predicted.output)).p_1
    np.testing.assert_allclose(p, reference.predict(frame.iloc[:50]), rtol=1e-6)


def test_a_formula_without_intercept_fits_without_one(formula_data, tmp_path):
    path, frame = formula_data
    out = tmp_path / "m.json"
    result = invoke("fit", path, "--formula", "y ~ 0 + C(region) + x", "--penalty", "none", "--tol", "1e-10",
                    "--out", out, "-q")
    assert result.exit_code == 0, result.output
    reference = smf.logit("y ~ 0 + C(region) + x", frame).fit(disp=0, tol=1e-12)
    coef, saved = _saved(out)
    assert saved["fit_intercept"] is False and saved["intercept"] == [0.0]
    np.testing.assert_allclose(list(coef.values()), reference.params[list(coef)], rtol=1e-6)


def test_a_formula_model_refuses_unseen_levels_unless_asked(formula_data, tmp_path):
    path, frame = formula_data
    out = tmp_path / "m.json"
    assert invoke("fit", path, "--formula", FORMULA, "--out", out, "-q").exit_code == 0
    new = tmp_path / "new.csv"
    pd.DataFrame({"region": ["east", "mars"], "x": [0.5, 0.5], "z": [1.0, 1.0]}).to_csv(new, index=False)
    assert_one_line_error(invoke("predict", out, new), "categorical column 'region' has the level 'mars' at row 2",
                          "--unseen zero")
    assert_one_line_error(invoke("predict", out, new, "--unseen", "reference"), "--unseen zero")
    result = invoke("predict", out, new, "--proba", "--unseen", "zero")
    assert result.exit_code == 0, result.output
    p = pd.read_csv(pd.io.common.StringIO(result.output)).p_1
    assert p[0] == pytest.approx(p[1], rel=1e-12)  # all zeros: east, treatment coding's reference


@pytest.mark.parametrize("args, needles", [
    (("--formula", "y ~ x +"), ("--formula 'y ~ x +' is malformed",)),
    (("--formula", "y ~ C(region"), ("--formula 'y ~ C(region' is malformed",)),
    (("--formula", "y ~ x + nosuch"), ("nosuch", "not present")),
    (("--formula", "~ x"), ("one target column on the left",)),
    (("--formula", "w ~ x"), ("no target column 'w'", "columns are region, x, z, y")),
    (("--formula", "y ~ x", "--target", "y"), ("does not combine with --target",)),
    (("--formula", "y ~ x", "--drop", "z"), ("does not combine with --drop",)),
])
def test_bad_formulas_are_one_line_exit_2_and_write_nothing(formula_data, tmp_path, args, needles):
    path, _ = formula_data
    out = tmp_path / "m.json"
    assert_one_line_error(invoke("fit", path, *args, "--out", out), *needles)
    assert not out.exists()


def test_formula_design_round_trips_through_its_dict(formula_data):
    _, frame = formula_data
    design = FormulaDesign.fit(frame, "y ~ center(x) + C(region) + x:z")
    again = design_from_dict(json.loads(json.dumps(design.to_dict())))
    assert abs(again.transform(frame) - design.transform(frame)).max() == 0 and again.names == design.names
    with pytest.raises(ValueError, match="kind"):
        design_from_dict({"kind": "pickle"})


def test_a_malformed_design_in_a_model_file_is_one_line(regions, tmp_path):
    path, _ = regions
    out = tmp_path / "m.json"
    assert invoke("fit", path, "--out", out, "-q").exit_code == 0
    saved = json.loads(out.read_text())
    saved["design"]["categorical"][0]["levels"] = []
    out.write_text(json.dumps(saved))
    assert_one_line_error(invoke("predict", out, path), "malformed model file", "design")


def test_unseen_needs_a_model_with_categorical_columns(tmp_path):
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "y": [0, 1, 0, 1]}).to_csv(path, index=False)
    model = tmp_path / "m.json"
    assert invoke("fit", path, "--out", model, "-q").exit_code == 0
    assert "design" not in json.loads(model.read_text())  # numeric columns: the model file as before
    assert_one_line_error(invoke("predict", model, path, "--unseen", "zero"), "has numeric features only")


def test_a_formula_refuses_numbers_written_as_text_unless_c_declares_a_category(tmp_path):
    path = tmp_path / "d.csv"
    pd.DataFrame({"x": [0.5, 1.5, -1.0, 2.0, 0.1, -0.3], "income": ["1,200", "2,500", "300", "4,100", "900", "1,000"],
                  "y": [0, 1, 0, 1, 1, 0]}).to_csv(path, index=False)
    assert_one_line_error(invoke("fit", path, "--formula", "y ~ x + income"), "'1,200' at row 1", "thousands")
    assert invoke("fit", path, "--formula", "y ~ x + C(income)", "-q").exit_code == 0


def test_a_column_with_another_level_in_every_row_is_flagged_as_a_likely_identifier(tmp_path):
    path = tmp_path / "d.csv"
    pd.DataFrame({"customer": [f"c{i}" for i in range(6)], "x": [0.5, 1.5, -1.0, 2.0, 0.1, -0.3],
                  "y": [0, 1, 0, 1, 1, 0]}).to_csv(path, index=False)
    result = invoke("fit", path, "-q")
    assert result.exit_code == 0, result.output
    assert "warning: categorical column 'customer' has another level in every row (6 levels)" in result.output
    assert "warning" not in invoke("fit", path, "--id", "customer", "-q").output


def test_poisson_with_a_categorical_column_equals_statsmodels_glm(tmp_path):
    import statsmodels.api as sm

    frame = _frame(seed=5)
    rng = np.random.default_rng(5)
    frame["n"] = rng.poisson(np.exp(0.2 + 0.3 * frame.x + 0.5 * (frame.region == "north")))
    path = tmp_path / "counts.csv"
    frame[["region", "x", "n"]].to_csv(path, index=False)
    out = tmp_path / "m.json"
    result = invoke("fit", path, "--family", "poisson", "--penalty", "none", "--tol", "1e-10", "--out", out, "-q")
    assert result.exit_code == 0, result.output
    reference = smf.glm("n ~ C(region) + x", frame, family=sm.families.Poisson()).fit(tol=1e-12)
    coef, saved = _saved(out)
    for level in ("north", "south", "west"):
        assert coef[f"region[{level}]"] == pytest.approx(reference.params[f"C(region)[T.{level}]"], rel=1e-6)
    assert saved["intercept"][0] == pytest.approx(reference.params["Intercept"], rel=1e-6)


@pytest.mark.parametrize("args, dropped", [(["--penalty", "none"], True), (["--l1-ratio", "1", "--C", "0.5"], True), (["--C", "inf"], True),
                                           (["--l1-ratio", "0.5", "--C", "0.5"], False), (["--C", "0.5"], False)],
                         ids=["none", "l1", "C-inf", "elastic-net", "l2"])
def test_the_reference_level_is_dropped_where_the_penalty_has_no_l2_part(regions, tmp_path, args, dropped):
    """Pure L1 with every level has no unique optimum (the level columns sum to the intercept's):
    the reference level is dropped as without a penalty; an L2 part keeps every level."""
    path, _ = regions
    out = tmp_path / "m.json"
    result = invoke("fit", path, *args, "--out", out, "-q")
    assert result.exit_code == 0, result.output
    coef, saved = _saved(out)
    assert saved["design"]["drop_reference"] is dropped
    assert ("region[east]" not in coef) is dropped and "region[north]" in coef


def test_both_engines_decide_the_reference_level_by_one_rule():
    from symlogit.cli import _drop_reference
    assert [_drop_reference(p, r) for p, r in [("none", 0.0), ("l2", 1.0), ("l2", 0.5), ("l2", 0.0)]] == [
        True, True, False, False]
