"""Issue 17, item 4: categorical columns one-hot encoded by symlogit into sparse X (symlogit/design.py)
in `symlogit fit` and `predict`, numbers written as text refused, --formula through formulaic, and
the Python API (design.design_matrix); parity with statsmodels' formula fits."""

import json
import re
import subprocess
import sys
import time
import tracemalloc
import warnings

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
    # formulaic's own message for '.' names its internals (__formulaic_variables_available__)
    (("--formula", "y ~ ."), ("--formula 'y ~ .': '.' (every other column) is not supported", "name the columns")),
    (("--formula", "y ~ x + . - z"), ("--formula 'y ~ x + . - z': '.' (every other column) is not supported",)),
    # no column but the intercept: the rebuild check compared an empty matrix (a traceback, exit 1)
    (("--formula", "y ~ 1"), ("0 feature",)),
    (("--formula", "y ~ poly(x, 0)"), ("0 feature",)),
])
def test_bad_formulas_are_one_line_exit_2_and_write_nothing(formula_data, tmp_path, args, needles):
    path, _ = formula_data
    out = tmp_path / "m.json"
    result = invoke("fit", path, *args, "--out", out)
    assert_one_line_error(result, *needles)
    assert "formulaic" not in result.output and "LayeredMapping" not in result.output
    assert not out.exists()


def test_only_formulaics_dot_operator_is_taken_for_every_other_column():
    """The dot of a number, a function or a column name is not the '.' operator."""
    from symlogit.design import _has_dot

    assert _has_dot("y ~ .") and _has_dot("y~x+.-z")
    assert not any(_has_dot(f) for f in ("y ~ 1.5 * x", "y ~ np.log(x)", "y ~ `x.1` + x.2", "y ~ x +"))


@pytest.mark.parametrize("formula", ["y ~ center(x) + C(region) + x:z",
                                     # poly's state is keyed by integers, which JSON turns into text
                                     # (KeyError 0 on rebuilding: every poly() formula was refused)
                                     "y ~ poly(x, 2) + C(region)"])
def test_formula_design_round_trips_through_its_dict(formula_data, formula):
    from formulaic import model_matrix

    _, frame = formula_data
    design = FormulaDesign.fit(frame, formula)
    again = design_from_dict(json.loads(json.dumps(design.to_dict())))
    assert abs(again.transform(frame) - design.transform(frame)).max() == 0 and again.names == design.names
    direct = model_matrix(formula.split("~")[1], frame, output="pandas")
    np.testing.assert_allclose(again.transform(frame).toarray(), direct.drop(columns="Intercept").values, rtol=1e-12)
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


@pytest.mark.parametrize("formula, needle", [
    ("y ~ np.log(x)", "column 'np.log(x)' is nan at row 3"),  # log of -1.0: NaN, which formulaic refuses
    ("y ~ np.log(x + 1)", "column 'np.log(x + 1)' is -inf at row 3"),  # log of 0: -inf, which it lets through
    ("y ~ I(z / (x + 1))", "column 'I(z / (x + 1))' is inf at row 3"),
    # center's mean is -inf: every row is, and no row is to blame alone (row 1 was named)
    ("y ~ center(np.log(x + 1)) + z", "column 'center(np.log(x + 1))' is not finite at any row"),
])
def test_a_formula_term_not_finite_is_one_line_naming_the_row_without_numpys_warning(tmp_path, formula, needle):
    """User trial: `--formula 'y ~ np.log(x1)'` with x1 < 0 printed numpy's two-line RuntimeWarning
    to stderr before the error. In-process, a warning shown on stderr is a recorded one."""
    path = tmp_path / "d.csv"
    frame = pd.DataFrame({"x": [0.5, 1.5, -1.0, 2.0, 0.1, -0.3], "z": [1.0, 2.0, 1.0, 0.5, 0.3, 0.2],
                          "y": [0, 1, 0, 1, 1, 0]})
    frame.to_csv(path, index=False)
    out = tmp_path / "m.json"
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        result = invoke("fit", path, "--formula", formula, "--out", out)
        with pytest.raises(ValueError, match=re.escape(needle)):
            FormulaDesign.fit(frame, formula)  # the Python API: the same ValueError (DataError)
    assert [str(w.message) for w in shown] == []
    assert_one_line_error(result, needle, "expected finite numbers")
    assert not out.exists()


@pytest.mark.parametrize("formula", ["y ~ C(g) + x", "y ~ g + x"])
def test_an_empty_categorical_cell_in_a_formula_names_its_row(tmp_path, formula):
    """User trial: formulaic refuses the empty cell without a row; "ignore" would code it as zeros."""
    path = tmp_path / "d.csv"
    pd.DataFrame({"g": ["a", "b", None, "a", "b", "a"], "x": [0.5, 1.5, -1.0, 2.0, 0.1, -0.3],
                  "y": [0, 1, 0, 1, 1, 0]}).to_csv(path, index=False)
    out = tmp_path / "m.json"
    result = invoke("fit", path, "--formula", formula, "--out", out)
    assert_one_line_error(result, "column 'g' is empty at row 3")
    assert not out.exists()


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


def _report_table(report):
    """({term: std err} of a report.md's coefficient table, the note above it or None)."""
    text = report.read_text()
    section = text.split("## Coefficients")[1].split("## Derivation")[0]
    note = next((line for line in section.splitlines() if line.startswith("> ")), None)
    rows = [line.split("|")[1:4] for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    return {term.strip(): float(se) for term, _, se in rows[1:]}, note


def test_an_l2_report_says_why_every_level_and_the_intercept_have_no_standard_error(mixed_csv, tmp_path):
    """Under L2 every level has a column, so a column's levels sum to the intercept's column and the
    likelihood's curvature (the standard errors) is singular there: the note says so and points to
    --penalty none, not the generic 'drop or combine'."""
    report = tmp_path / "report"
    result = invoke("fit", mixed_csv, "--target", "y", "--report", report, "-q")
    assert result.exit_code == 0, result.output
    bse, note = _report_table(report / "report.md")
    levels = ["const", "region[east]", "region[north]", "region[south]", "region[west]", "color[blue]",
              "color[green]", "color[red]"]
    assert all(np.isnan(bse[term]) for term in levels) and np.isfinite([bse["x1"], bse["x2"]]).all()
    assert f"The standard errors of {', '.join(levels)} are NaN" in note
    assert "every level of a categorical column (region, color) has its own coefficient" in note
    assert "not separately identified by the likelihood" in note and "--penalty none" in note
    assert "drop or combine" not in note.lower()
    # --penalty none: a reference level dropped, every standard error finite
    full = tmp_path / "full"
    assert invoke("fit", mixed_csv, "--target", "y", "--penalty", "none", "--report", full, "-q").exit_code == 0
    bse, _ = _report_table(full / "report.md")
    assert "region[east]" not in bse and np.isfinite(list(bse.values())).all()


def test_a_collinear_numeric_feature_beside_the_levels_keeps_the_generic_advice(mixed_csv, tmp_path):
    frame = pd.read_csv(mixed_csv)
    frame["x1_twice"] = 2 * frame.x1
    path = tmp_path / "collinear.csv"
    frame.to_csv(path, index=False)
    result = invoke("fit", path, "--target", "y", "--report", tmp_path / "report", "-q")
    assert result.exit_code == 0, result.output
    _, note = _report_table(tmp_path / "report" / "report.md")
    assert "(region, color) has its own coefficient" in note
    assert "The coefficient(s) of x1, x1_twice are not identified either" in note and "drop or combine" in note


def test_a_robust_table_of_categorical_data_is_sent_to_penalty_none_not_to_the_report(mixed_csv, tmp_path):
    """The hint for --cov-type/--groups without --penalty none names --report only where the report's
    table would have standard errors (numeric features only)."""
    out = tmp_path / "m.json"
    for args in (["--cov-type", "HC0"], ["--groups", "color", "--features", "x1,x2,region"]):
        result = invoke("fit", mixed_csv, "--target", "y", *args, "--out", out, "-q")
        assert_one_line_error(result, "add --penalty none", "drops each categorical column's reference level")
        assert "--report" not in result.output and not out.exists()
    numeric = invoke("fit", mixed_csv, "--target", "y", "--features", "x1,x2", "--cov-type", "HC0", "-q")
    assert_one_line_error(numeric, "--report DIR for the table of an L2-penalised fit")
    full = invoke("fit", mixed_csv, "--target", "y", "--penalty", "none", "--cov-type", "HC0", "-q")
    assert full.exit_code == 0 and "Covariance type:                 HC0" in full.output, full.output
    assert "region[north]" in full.output and " nan " not in full.output


def test_the_readmes_formulaic_recipe_keeps_the_term_names():
    """The README's Python block with formulaic, run as written: the summary names the terms as
    formulaic does (Intercept, C(region)[T.north], x), not x1..x5."""
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    block = next(code for code in re.findall(r"```python\n(.*?)```", readme, re.S) if "model_matrix(" in code)
    frame = _frame(n=400, seed=5)
    scope = {"pd": pd, "frame": frame, "new": frame.iloc[:10].drop(columns="y")}
    exec(compile(block, "README.md", "exec"), scope)
    summary = scope["model"].inference().summary()
    for term in ("Intercept", "C(region)[T.north]", "C(region)[T.west]", "x "):
        assert term in summary, summary
    assert "x1 " not in summary and scope["p"].shape == (10, 2)
    reference = smf.logit("y ~ C(region) + x", frame).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(scope["model"].coef_.ravel(), reference.params.to_numpy(), rtol=1e-5)
