"""Cases rebuilt from users' bug reports against scikit-learn, statsmodels, glum and dask-ml:
each is the right value, or a clear error naming the problem."""

import warnings

import numpy as np
import pandas as pd
import pytest

from sklearn.exceptions import ConvergenceWarning

from symlogit import GLMClassifier, GLMRegressor, LogisticRegression, SeparationWarning

ONE_COLUMN = np.array([[0.0], [0.0], [0.0], [0.0], [1.0], [1.0]])
ONE_COLUMN_Y = np.array([0, 1, 0, 1, 1, 1])  # x = 1 always means class 1: no finite MLE


@pytest.mark.parametrize("tol", [1e-4, 1e-8])
@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_quasi_separation_by_one_column_at_every_tolerance(tol, solver):
    """Reported converged with coefficient 8.2 (tol 1e-4) or 18.2 (1e-8) and SE 6341: the check
    ran only once some row was fitted to within 1e-8, which a stop at tol never reached."""
    with pytest.warns(SeparationWarning, match="coefficients of x1 grow without bound"):
        model = LogisticRegression(penalty=None, tol=tol, solver=solver).fit(ONE_COLUMN, ONE_COLUMN_Y)
    assert not model.converged_ and "x1" in model.separation_
    with pytest.raises(ValueError, match="no finite optimum"):
        model.inference()


def test_more_parameters_than_rows_is_separation():
    with pytest.warns(SeparationWarning):
        model = LogisticRegression(penalty=None).fit(np.eye(3), [0, 1, 1])
    assert not model.converged_


def test_separation_names_the_feature_columns_of_a_dataframe():
    frame = pd.DataFrame({"noise": [0.3, -1.0, 0.2, 0.5, -0.4, 0.9], "dose": ONE_COLUMN[:, 0]})
    with pytest.warns(SeparationWarning, match="coefficients of dose grow"):
        LogisticRegression(penalty=None).fit(frame, ONE_COLUMN_Y)


def test_an_unpenalised_fit_with_a_finite_optimum_is_not_flagged():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] + rng.logistic(size=300) > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LogisticRegression(penalty=None, tol=1e-8).fit(X, y)
    assert model.converged_ and model.separation_ is None


def test_a_class_present_only_with_weight_zero_is_the_single_class_error():
    with pytest.raises(ValueError, match=r"only one class: 0 \(1 only in rows of sample_weight 0\)"):
        LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1], sample_weight=[1, 1, 0, 0])
    X = np.arange(9.0)[:, None]
    with pytest.raises(ValueError, match=r"every class of y needs rows of positive sample_weight \('c' only"):
        LogisticRegression().fit(X, list("aaabbbccc"), sample_weight=[1, 1, 1, 1, 1, 1, 0, 0, 0])


BALANCED_X = np.array([[0.0], [1.0], [1.0], [2.0], [3.0], [0.5]])
BALANCED_Y = np.array([0, 0, 1, 1, 1, 1])
BALANCED_WEIGHT = np.array([3.0, 3.0, 1.0, 1.0, 1.0, 1.0])
#: scikit-learn 1.9.1 (classes counted by their sample weights, its PR #30057); symlogit gave
#: 1.0035 and -2.0078 counting rows.
BALANCED_COEF, BALANCED_INTERCEPT = 0.9641018016, -0.9823091624


def test_balanced_class_weight_counts_classes_by_their_sample_weights():
    model = LogisticRegression(class_weight="balanced", tol=1e-12).fit(BALANCED_X, BALANCED_Y,
                                                                       sample_weight=BALANCED_WEIGHT)
    np.testing.assert_allclose([model.coef_[0, 0], model.intercept_[0]], [BALANCED_COEF, BALANCED_INTERCEPT],
                               rtol=1e-8)
    repeats = BALANCED_WEIGHT.astype(int)  # the same as the rows repeated by their weights
    repeated = LogisticRegression(class_weight="balanced", tol=1e-12).fit(
        np.repeat(BALANCED_X, repeats, axis=0), np.repeat(BALANCED_Y, repeats))
    np.testing.assert_allclose(repeated.coef_, model.coef_, rtol=1e-8)


def test_balanced_class_weight_on_dask_counts_the_same_way():
    da = pytest.importorskip("dask.array")
    model = LogisticRegression(class_weight="balanced", tol=1e-12).fit(
        da.from_array(BALANCED_X, chunks=3), da.from_array(BALANCED_Y, chunks=3),
        sample_weight=da.from_array(BALANCED_WEIGHT, chunks=3))
    np.testing.assert_allclose([model.coef_[0, 0], model.intercept_[0]], [BALANCED_COEF, BALANCED_INTERCEPT],
                               rtol=1e-6)


def test_float_coded_labels_on_dask_are_labels_and_bad_values_are_named():
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 2))
    y = (np.arange(90) % 3).astype(float)
    fitted = LogisticRegression(tol=1e-10).fit(da.from_array(X, chunks=30), da.from_array(y, chunks=30))
    in_memory = LogisticRegression(tol=1e-10).fit(X, y)
    np.testing.assert_array_equal(fitted.classes_, in_memory.classes_)
    np.testing.assert_allclose(fitted.coef_, in_memory.coef_, rtol=1e-6, atol=1e-9)
    for value, message in ((np.nan, "y contains NaN or infinity"), (np.inf, "y contains NaN or infinity"),
                           (0.5, "non-integer values such as 0.5")):
        with pytest.raises(ValueError, match=message):
            LogisticRegression().fit(da.from_array(X, chunks=30), da.from_array(np.r_[y[:-1], value], chunks=30))


@pytest.mark.parametrize("y", [
    np.array(["a", None, "b", "a"], dtype=object),
    pd.Series(["a", pd.NA, "b", "a"], dtype="string"),
    pd.Series([1, None, 0, 1], dtype="Int64"),
    [1, None, 0, 1],
])
def test_a_missing_label_is_a_value_error_naming_its_row(y):
    with pytest.raises(ValueError, match=r"y has a missing value \(None, NaN or NA\) at row 1"):
        LogisticRegression().fit(np.arange(8.0).reshape(4, 2), y)


def test_messages_name_the_estimator_and_print_plain_values():
    with pytest.raises(ValueError) as error:
        LogisticRegression().fit([[np.nan], [1.0]], [0, 1])
    assert "LogisticRegression" in str(error.value) and "_Validated" not in str(error.value)
    with pytest.raises(ValueError) as error:
        LogisticRegression().fit(np.zeros((3, 1)), np.array(["yes", "yes", "yes"]))
    assert "'yes'" in str(error.value) and "np.str_" not in str(error.value)


def test_separation_is_found_on_dask_too():
    """The same cutting-plane search with the working set fetched from the cluster: a rare
    indicator whose three rows (in three different chunks) all have y = 1."""
    da = pytest.importorskip("dask.array")
    with pytest.warns(SeparationWarning, match="coefficients of x1 grow"):
        model = LogisticRegression(penalty=None).fit(da.from_array(ONE_COLUMN, chunks=3),
                                                     da.from_array(ONE_COLUMN_Y, chunks=3))
    assert not model.converged_
    rng = np.random.default_rng(0)
    n = 20000
    X = np.c_[rng.normal(size=(n, 3)), np.zeros(n)]
    y = (X[:, 0] + rng.logistic(size=n) > 0).astype(int)
    X[[5, 9000, 15000], 3], y[[5, 9000, 15000]] = 1.0, 1
    with pytest.warns(SeparationWarning, match="coefficients of x4 grow"):
        model = LogisticRegression(penalty=None).fit(da.from_array(X, chunks=(5000, 4)), da.from_array(y, chunks=5000))
    assert not model.converged_
    y[15000] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LogisticRegression(penalty=None, tol=1e-8).fit(da.from_array(X, chunks=(5000, 4)),
                                                               da.from_array(y, chunks=5000))
    assert model.converged_ and model.separation_ is None


def test_multinomial_separation_on_dask_and_in_memory_agree():
    """iris: setosa is cut off by the petals, found on dask as in memory."""
    da = pytest.importorskip("dask.array")
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    for X_, y_ in ((X, y), (da.from_array(X, chunks=(50, 4)), da.from_array(y, chunks=50))):
        with pytest.warns(SeparationWarning, match="perfectly separated"):
            model = LogisticRegression(penalty=None, solver="newton").fit(X_, y_)
        assert not model.converged_
    rng = np.random.default_rng(0)  # three classes cut along x1 with noise: a finite optimum
    X = rng.normal(size=(300, 3))
    y = np.digitize(X[:, 0] + rng.normal(size=300), [-0.5, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        in_memory = LogisticRegression(penalty=None, tol=1e-8).fit(X, y)
        on_dask = LogisticRegression(penalty=None, tol=1e-8).fit(da.from_array(X, chunks=(100, 3)),
                                                                  da.from_array(y, chunks=100))
    assert in_memory.converged_ and on_dask.converged_
    np.testing.assert_allclose(on_dask.coef_, in_memory.coef_, rtol=1e-5, atol=1e-7)


def test_fuzz_findings_are_clear_value_errors_or_fits():
    """Found by tests/test_fuzz.py: object arrays of integer labels are labels (they were an
    'unknown' label type); labels of mixed types are refused by name (a TypeError from sorting
    before); a class whose weight does not register in double precision is named as such (it was
    called 'no finite optimum')."""
    X = np.array([[0.0], [1.0], [0.0], [1.0]])
    model = LogisticRegression().fit(X, np.array([0, 0, 1, 1], dtype=object))
    assert model.classes_.tolist() == [0, 1]
    with pytest.raises(ValueError, match=r"y mixes label types \(number, string\)"):
        LogisticRegression().fit(X, np.array(["b", 0, "a", 1], dtype=object))

    with pytest.raises(ValueError, match=r"class_weight gives class\(es\) \[0\] weight 0"):
        LogisticRegression(class_weight={0: 0}).fit(X, [0, 0, 1, 1])
    with pytest.raises(ValueError, match=r"class_weight\[1\] is -1; class weights must be finite numbers >= 0"):
        LogisticRegression(class_weight={1: -1}).fit(X, [0, 0, 1, 1])
    with pytest.raises(ValueError, match="sample_weight times class_weight overflows or underflows"):
        LogisticRegression(class_weight={0: 1e-300}).fit(X, [0, 0, 1, 1], sample_weight=[1e-300, 1e-300, 1, 1])


@pytest.mark.parametrize("family", ["logit", "probit", "cloglog"])
@pytest.mark.parametrize("y, edge", [([0.9999999999999999, 1.0], 1), ([5e-324, 0.0], 0)])
def test_soft_targets_a_rounding_error_from_the_edge_fit_at_the_edge(family, y, edge):
    """The weighted mean of y rounds to the edge while a row lies inside: the intercept starts at
    the score nearest the edge whose mean is still inside (it was refused, and with a mean of
    5e-324 the search wrapped round to the opposite edge)."""

    model = GLMClassifier(family=family).fit([[0.0], [1.0]], y)
    p1 = model.predict_proba([[0.0], [1.0]])[:, 1]
    assert model.converged_ and np.all(np.abs(p1 - edge) < 1e-14)
    light = GLMClassifier(family=family).fit(np.zeros((3, 1)), [1, 1, 0], sample_weight=[1.0, 0.0, 1e-300])
    assert light.converged_ and light.predict_proba([[0.0]])[0, 1] > 1 - 1e-14


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_features_of_1e300_do_not_overflow_the_whitening(solver):
    """The Gram matrix of the whitening (L-BFGS, Newton-CG's preconditioner) is formed on columns
    scaled to max |x| <= 1: a feature of 1e300 overflowed it to inf (SciPy's 'array must not
    contain infs or NaNs')."""
    X = np.array([[0.0], [1e300], [0.0], [1e300]])
    model = LogisticRegression(solver=solver).fit(X, [0, 0, 1, 1])
    assert np.all(np.isfinite(model.coef_)) and np.isfinite(model.intercept_).all()
    np.testing.assert_allclose(model.predict_proba(X), 0.5, atol=1e-12)  # x tells the classes apart not at all


def test_sgd_backs_off_when_the_steps_diverge():
    """Poisson's curvature e^u grows past its value at the start: SGD's first epoch overflowed
    and left NaN coefficients. The epoch is now repeated with a smaller step."""

    X = np.r_[np.zeros((34, 1)), [[-9.88], [3.75]]]
    y = np.r_[np.zeros(35), 19.8]
    newton = GLMRegressor().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # SGD stalls near the optimum
        sgd = GLMRegressor(solver="sgd", random_state=0).fit(X, y)
    assert np.isfinite(sgd.intercept_) and abs(sgd.coef_[0] - newton.coef_[0]) < 0.05


def test_sgd_that_diverges_at_every_step_size_returns_the_point_it_reported():
    """Found by the fuzz run: a count of 1e300 at x = 1 (no intercept); SGD's later epochs
    overflowed at every step size and the fit returned the raw iterate (coef 734, predict inf)
    instead of the averaged point it had last reported (finite mean)."""
    X = np.r_[[[1.0]], np.zeros((9, 1))]
    y = np.r_[1e300, np.zeros(9)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = GLMRegressor(solver="sgd", fit_intercept=False, random_state=0).fit(X, y)
    assert np.isfinite(model.predict(X)).all()


def test_sgd_on_a_flat_objective_converges_where_it_starts():
    """X all zero, no intercept, no penalty: f does not depend on θ and its curvature bound is 0
    (SGD's step 1/L was a ZeroDivisionError)."""

    model = GLMClassifier(family="probit", solver="sgd", C=np.inf, fit_intercept=False).fit(
        np.zeros((5, 2)), [0, 1, 0, 1, 1])
    assert model.converged_ and np.all(model.coef_ == 0)


def test_multinomial_probability_rows_are_checked_for_separation():
    """(N, K) probability rows: a row counts once for each class of positive share (those classes
    must tie at the row's largest score along a recession direction). They were not checked."""
    X = np.arange(6.0)[:, None]
    separated = np.array([[1, 0, 0], [.5, .5, 0], [0, 1, 0], [0, .5, .5], [0, 0, 1], [0, 0, 1]])
    with pytest.warns(SeparationWarning, match="separated"):
        model = LogisticRegression(penalty=None).fit(X, separated)
    assert not model.converged_ and model.separation_ is not None
    overlapping = np.array([[1, 0, 0], [.5, .5, 0], [.2, .6, .2], [0, .5, .5], [0, .3, .7], [.1, 0, .9]])
    model = LogisticRegression(penalty=None, tol=1e-8).fit(X, overlapping)
    assert model.converged_ and model.separation_ is None


def test_a_probability_column_without_mass_is_refused_by_name():
    """Found by a new user: a class column of zeros in a probability matrix y (or whose mass is
    only on rows of weight 0) has no finite optimum; the fit said converged."""
    X = [[0.0], [1.0], [2.0], [3.0]]
    Y = np.array([[.5, .5, 0], [.2, .8, 0], [.9, .1, 0], [.3, .7, 0]])
    with pytest.raises(ValueError, match=r"column\(s\) \[2\] of the probability matrix y have no probability"):
        LogisticRegression().fit(X, Y)
    with pytest.raises(ValueError, match=r"column\(s\) \[2\] of the probability matrix y have no probability"):
        LogisticRegression(penalty=None).fit(X, np.eye(3)[[0, 1, 0, 2]], sample_weight=[1, 1, 1, 0])


def test_class_weight_messages_print_plain_values():
    X = np.arange(6.0)[:, None]
    with pytest.raises(ValueError, match=r"not classes of y: \[7\];"):
        LogisticRegression(class_weight={np.int64(7): 1}).fit(X, [0, 1, 1, 0, 1, 0])
    with pytest.raises(ValueError, match=r"class_weight\[1\] is -2;"):
        LogisticRegression(class_weight={1: np.int64(-2)}).fit(X, [0, 1, 1, 0, 1, 0])


def test_small_standard_errors_print_in_scientific_notation():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=500), rng.normal(size=500) * 1e5])
    y = (X[:, 0] + rng.logistic(size=500) > 0).astype(int)
    table = LogisticRegression(penalty=None, tol=1e-10).fit(X, y).inference().summary()
    row = next(line for line in table.splitlines() if line.startswith("x2"))
    assert "e-0" in row and " 0.000 " not in row
