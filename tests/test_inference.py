"""Inference results and separation: warnings that say what the numbers mean."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from symlogit import LogisticRegression, SeparationWarning
from symlogit.inference import InferenceWarning
from symlogit.separation import recession_direction, separating_direction


def test_complete_separation_warns_stops_early_and_stays_finite():
    x = np.linspace(-3, 3, 40)[:, None]
    y = (x[:, 0] > 0).astype(int)
    with pytest.warns(SeparationWarning, match="perfectly separated.*penalty='l2'"):
        model = LogisticRegression(penalty=None, tol=1e-12, max_iter=500).fit(x, y)
    assert model.n_iter_[0] <= 16
    assert np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.intercept_))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        penalised = LogisticRegression(penalty="l2", tol=1e-10).fit(x, y)
    assert penalised.converged_


def test_quasi_separation_is_detected():
    x = np.r_[np.linspace(-3, 0, 20), np.linspace(0, 3, 20)][:, None]
    y = np.r_[np.zeros(20), np.ones(20)].astype(int)  # both classes at x = 0: quasi-complete
    assert separating_direction(x, y, 2, np.ones(40)) is not None
    with pytest.warns(SeparationWarning):
        model = LogisticRegression(penalty=None, tol=1e-12, max_iter=500).fit(x, y)
    assert np.all(np.isfinite(model.coef_))


@pytest.mark.parametrize("sparse", [False, True])
def test_multinomial_separating_direction_from_the_fits_uint8_label_codes(sparse):
    """encode_targets codes labels in uint8; the LP's flat column y_i * p + j wrapped past 255
    (here 2 * 141), so the direction found did not separate (a row's margin -6.9)."""
    import scipy.sparse

    from symlogit.targets import encode_targets

    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(30, 140)), np.arange(30) % 3
    labels = encode_targets(y).labels
    assert labels.dtype == np.uint8
    D = separating_direction(scipy.sparse.csr_matrix(X) if sparse else X, labels, 3, np.ones(30))
    scores = np.c_[np.ones(30), X] @ D
    margins = scores[np.arange(30), y][:, None] - scores
    assert margins.min() >= -1e-9 and margins.max() > 1e-6


def test_zero_counts_cut_off_by_a_hyperplane_have_no_finite_optimum():
    """Poisson: every row with indicator 0 has y = 0, so the intercept falls to -inf and the
    indicator's coefficient rises to +inf (it was reported converged, with finite bse)."""
    from symlogit import GLMRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = np.where(X[:, 0] > 0, rng.poisson(3, 60), 0).astype(float)
    X = np.c_[X, X[:, 0] > 0]
    assert recession_direction(X, np.where(y == 0, -1.0, 0.0), np.ones(60)) is not None
    for solver in ("newton", "lbfgs"):
        with pytest.warns(SeparationWarning, match="zero counts"):
            model = GLMRegressor(alpha=0.0, solver=solver, tol=1e-10, max_iter=500).fit(X, y)
        assert not model.converged_
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert GLMRegressor(alpha=1e-3).fit(X, y).converged_


def test_separation_of_a_probability_matrix_and_soft_rows_that_pin_the_direction():
    """Binary targets given as an (N, 2) probability matrix are checked as labels are; a soft row
    (y = 0.5, inside [0, 1]) allows no score change there, which can rule separation out."""
    x = np.r_[np.linspace(-3, -0.1, 20), np.linspace(0.1, 3, 20)][:, None]
    y = np.r_[np.zeros(20), np.ones(20)]
    with pytest.warns(SeparationWarning):
        model = LogisticRegression(penalty=None, tol=1e-10).fit(x, np.c_[1 - y, y])
    assert not model.converged_
    assert recession_direction(x, np.where(y == 1, 1.0, -1.0), np.ones(40)) is not None
    x_soft, signs = np.r_[x, [[2.0]]], np.r_[np.where(y == 1, 1.0, -1.0), 0.0]
    assert recession_direction(x_soft, signs, np.ones(41)) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert LogisticRegression(penalty=None, tol=1e-10).fit(x_soft, np.r_[y, 0.5]).converged_


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "newton-cg"])
def test_multinomial_separation_warns_for_every_solver(solver):
    X, y = load_iris(return_X_y=True)  # setosa is linearly separable from the rest
    with pytest.warns(SeparationWarning):
        model = LogisticRegression(penalty=None, solver=solver, tol=1e-10, max_iter=300).fit(X, y)
    assert np.all(np.isfinite(model.coef_))


def test_a_confidently_fitted_row_without_separation_does_not_warn():
    """One row far out (fitted to within 1e-8) triggers the LP, which finds no separation."""
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(size=200), 40.0][:, None]
    y = np.r_[(rng.random(200) < 1 / (1 + np.exp(-x[:200, 0]))), True].astype(int)
    assert separating_direction(x, y, 2, np.ones(201)) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LogisticRegression(penalty=None, tol=1e-10).fit(x, y)
    assert model.converged_ and model.predict_proba(x[-1:])[0, 0] < 1e-8


def test_inference_layout_summary_and_feature_names():
    X, y = load_iris(return_X_y=True)
    frame = pd.DataFrame(X[:, :2], columns=["sepal_length", "sepal_width"])
    labels = np.where(y == 0, "setosa", np.where(y == 1, "versicolor", "virginica"))
    keep = labels != "setosa"  # versicolor vs virginica on sepals is not separable
    model = LogisticRegression(penalty=None, tol=1e-10).fit(frame[keep], labels[keep])
    result = model.inference()
    assert result.params.shape == result.bse.shape == (3,)
    ci = result.conf_int(0.1).to_numpy()  # fitted on a DataFrame: a DataFrame, columns 0 and 1
    assert ci.shape == (3, 2) and np.all(ci[:, 0] < result.params) and np.all(result.params < ci[:, 1])
    wider = result.conf_int(0.01).to_numpy()
    assert np.all(wider[:, 0] < ci[:, 0])
    text = result.summary()
    for needle in ("Logit", "sepal_length", "sepal_width", "const", "std err", "P>|z|", "Pseudo R-squ."):
        assert needle in text
    np.testing.assert_allclose(result.z, result.params / result.bse)
    with pytest.raises(ValueError, match="alpha must be in"):
        result.conf_int(1.5)


def test_multinomial_summary_names_each_equation_against_the_reference_class():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(tol=1e-10).fit(X[:, :2], y)
    with pytest.warns(InferenceWarning, match="penalised"):
        result = model.inference()
    assert result.params.shape == (3, 2)
    text = result.summary()
    assert "y=1 (vs 0)" in text and "y=2 (vs 0)" in text


def test_a_column_with_a_large_mean_is_ill_scaled_not_singular():
    """x = 1e4 + z beside the intercept: H's eigenvalues are 1e-17 apart in ratio, its equilibrated
    form's 1e-9: identified, and the bse match statsmodels' (the unequilibrated test called H
    singular and its pseudo-inverse gave bse 1e4 times too small)."""
    import statsmodels.api as sm

    from symlogit import GLMRegressor

    rng = np.random.default_rng(5)
    z = rng.normal(size=5000)
    x = 1e4 + z
    y = rng.poisson(np.exp(0.3 * z)).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InferenceWarning)
        result = GLMRegressor(alpha=0.0, tol=1e-6).fit(x[:, None], y).inference()
    reference = sm.GLM(y, sm.add_constant(x), family=sm.families.Poisson()).fit(tol=1e-12)
    np.testing.assert_allclose(result.bse, reference.bse, rtol=1e-6)


def test_coefficients_that_are_not_identified_get_nan_and_are_named():
    """A column twice (x3 = 2 x1) and an all-zero column: their coefficients are not identified, so
    bse, z, p and the interval are NaN for x1, x3 and x4 (each copy had a finite SE before), the
    warning names them, and the identified ones keep statsmodels' values on the data without them."""
    import statsmodels.api as sm

    rng = np.random.default_rng(1)
    base = rng.normal(size=(200, 2))
    X = np.column_stack([base, 2 * base[:, 0], np.zeros(200)])
    y = rng.random(200) < 1 / (1 + np.exp(-base[:, 0]))
    model = LogisticRegression(penalty=None, tol=1e-10).fit(X, y)
    with pytest.warns(InferenceWarning, match=r"singular: the coefficient\(s\) of x1, x3, x4 are not identified"):
        result = model.inference()
    unidentified = [1, 3, 4]
    for values in (result.bse, result.z, result.pvalues, *np.moveaxis(result.conf_int(), -1, 0)):
        assert np.all(np.isnan(values[unidentified]))
    reference = sm.Logit(y.astype(float), sm.add_constant(base)).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(result.bse[[0, 2]], reference.bse[[0, 2]], rtol=1e-6)
    assert "nan" in result.summary()


def test_summary_columns_never_run_together():
    from symlogit.inference import Inference

    params = np.array([-0.5, 12000.123456])
    result = Inference(params, np.diag([0.01, 6000.0 ** 2]), -1.0, -2.0, 10, ["const", "wide"], None, False, True)
    row = result.summary().splitlines()[-2]
    cells = row.split()
    assert cells[0] == "wide" and len(cells) == 7, row
    np.testing.assert_allclose([float(c) for c in cells[1:]], [params[1], 6000.0, params[1] / 6000.0, result.pvalues[1],
                                                               *result.conf_int()[1]], rtol=1e-2, atol=1e-3)


def test_recession_lp_on_a_working_set_is_exact():
    """Above a few thousand rows the LP runs on a working set grown by cutting planes. Ordinary
    data are cleared on the first subsample; a rare indicator whose 3 rows all have y = 1 (its
    column is 0 on the subsample, so the subsample's null space leaks into those rows) is found;
    one of the three with y = 0 is no separation; a complete separation whose subsample direction
    other rows violate grows the working set until the direction holds for every row."""
    rng = np.random.default_rng(0)
    n = 12000
    X = rng.normal(size=(n, 3))
    y = (rng.random(n) < 0.5).astype(float)
    signs = np.where(y == 1, 1.0, -1.0)
    assert recession_direction(X, signs, np.ones(n)) is None
    rare = np.zeros(n)
    rare[[5, 6000, 9000]] = 1.0
    signs[[5, 6000, 9000]] = 1.0
    direction = recession_direction(np.c_[X, rare], signs, np.ones(n))
    assert direction is not None and np.argmax(np.abs(direction)) == 4
    signs[9000] = -1.0
    assert recession_direction(np.c_[X, rare], signs, np.ones(n)) is None
    complete = np.where(X[:, 0] + 0.3 * X[:, 1] > 0.1, 1.0, -1.0)
    d = recession_direction(X, complete, np.ones(n))
    z = d[0] + X @ d[1:]
    assert np.min(complete * z) > -1e-6 * np.max(complete * z)  # every row on its side (to the LP tolerance)
    labels = np.digitize(X[:, 0], [-0.5, 0.5])  # three classes cut along x1
    assert separating_direction(X, labels, 3, np.ones(n)) is not None
    for k in range(3):  # a row of each class in each other class's region: no class is cut off
        for other in range(3):
            if other != k:
                labels[np.flatnonzero(labels == k)[other]] = other
    assert separating_direction(X, labels, 3, np.ones(n)) is None
