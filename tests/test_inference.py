"""Inference results and separation: warnings that say what the numbers mean."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from symlogit import LogisticRegression, SeparationWarning
from symlogit.inference import InferenceWarning
from symlogit.separation import has_recession_direction, is_separable


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
    assert is_separable(x, y, 2, np.ones(40))
    with pytest.warns(SeparationWarning):
        model = LogisticRegression(penalty=None, tol=1e-12, max_iter=500).fit(x, y)
    assert np.all(np.isfinite(model.coef_))


def test_zero_counts_cut_off_by_a_hyperplane_have_no_finite_optimum():
    """Poisson: every row with indicator 0 has y = 0, so the intercept falls to -inf and the
    indicator's coefficient rises to +inf (it was reported converged, with finite bse)."""
    from symlogit import GLMRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = np.where(X[:, 0] > 0, rng.poisson(3, 60), 0).astype(float)
    X = np.c_[X, X[:, 0] > 0]
    assert has_recession_direction(X, np.where(y == 0, -1.0, 0.0), np.ones(60))
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
    assert has_recession_direction(x, np.where(y == 1, 1.0, -1.0), np.ones(40))
    x_soft, signs = np.r_[x, [[2.0]]], np.r_[np.where(y == 1, 1.0, -1.0), 0.0]
    assert not has_recession_direction(x_soft, signs, np.ones(41))
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
    assert not is_separable(x, y, 2, np.ones(201))
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
    ci = result.conf_int(0.1)
    assert ci.shape == (3, 2) and np.all(ci[:, 0] < result.params) and np.all(result.params < ci[:, 1])
    wider = result.conf_int(0.01)
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


def test_singular_hessian_warns_and_says_why():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2))
    X = np.column_stack([X, 2 * X[:, 0]])
    y = rng.random(200) < 1 / (1 + np.exp(-X[:, 0]))
    model = LogisticRegression(penalty=None, tol=1e-8).fit(X, y)
    with pytest.warns(InferenceWarning, match="singular.*collinear"):
        result = model.inference()
    assert np.all(np.isfinite(result.bse))


def test_recession_lp_on_a_subsample_is_exact():
    """Above SUBSAMPLE rows the LP is tried on a subsample first. Ordinary data with many rows near
    an edge (cloglog's light upper tail) are cleared there; a rare indicator whose 3 rows all have
    y = 1 (quasi-separation the subsample misses: its X̂ is then rank-deficient) still goes to the
    full LP and is found."""
    from symlogit.separation import SUBSAMPLE

    rng = np.random.default_rng(0)
    n = 3 * SUBSAMPLE
    X = rng.normal(size=(n, 3))
    y = (rng.random(n) < 0.5).astype(float)
    signs = np.where(y == 1, 1.0, -1.0)
    assert not has_recession_direction(X, signs, np.ones(n), near_edge=rng.random(n) < 0.1)
    rare = np.zeros(n)
    rare[[5, 6000, 9000]] = 1.0
    signs[[5, 6000, 9000]] = 1.0
    assert has_recession_direction(np.c_[X, rare], signs, np.ones(n))
