"""Cases rebuilt from users' bug reports against scikit-learn, statsmodels, glum and dask-ml:
each is the right value, or a clear error naming the problem."""

import warnings

import numpy as np
import pandas as pd
import pytest

from symlogit import LogisticRegression, SeparationWarning

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
    from symlogit import GLMClassifier

    with pytest.raises(ValueError, match="carry 1e-300 of the total sample weight"):
        GLMClassifier(family="probit").fit(np.zeros((3, 1)), [1, 1, 0], sample_weight=[1.0, 0.0, 1e-300])
