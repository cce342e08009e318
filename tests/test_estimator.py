"""The scikit-learn estimator: API, check_estimator, soft targets, bad input, no SymPy."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from symlogit import GLMClassifier, GLMRegressor, LogisticRegression


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_check_estimator_passes_every_check():
    """Every scikit-learn estimator check passes; the only non-pass allowed is
    check_array_api_input, which scikit-learn itself skips unless SCIPY_ARRAY_API is set
    (the kernels take numpy arrays only, by design)."""
    results = check_estimator(LogisticRegression(), on_fail=None)
    bad = [(r["check_name"], r["status"], str(r["exception"])[:200]) for r in results
           if r["status"] != "passed" and r["check_name"] != "check_array_api_input"]
    assert not bad
    assert len(results) > 50


def test_fitting_does_not_import_sympy():
    code = ("import sys, numpy as np, symlogit\n"
            "from sklearn.datasets import load_iris\n"
            "X, y = load_iris(return_X_y=True)\n"
            "m = symlogit.LogisticRegression(solver='newton').fit(X, y)\n"
            "m.predict_proba(X); m.inference()\n"
            "assert 'sympy' not in sys.modules, sorted(k for k in sys.modules if 'sympy' in k)[:5]\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_binary_and_multinomial_layout_like_scikit_learn(iris):
    X, y = iris
    multi = LogisticRegression().fit(X, y)
    assert multi.coef_.shape == (3, 4) and multi.intercept_.shape == (3,)
    np.testing.assert_allclose(multi.intercept_.sum(), 0, atol=1e-10)
    binary = LogisticRegression().fit(X, y == 2)
    assert binary.coef_.shape == (1, 4) and binary.intercept_.shape == (1,)
    np.testing.assert_array_equal(binary.classes_, [False, True])
    P = multi.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1)
    np.testing.assert_allclose(np.log(P), multi.predict_log_proba(X), rtol=1e-10)
    np.testing.assert_array_equal(multi.predict(X), multi.classes_[P.argmax(axis=1)])
    np.testing.assert_allclose(multi.decision_function(X), X @ multi.coef_.T + multi.intercept_, rtol=1e-10, atol=1e-12)
    assert multi.score(X, y) > 0.9
    assert set(multi.history_) == {"iteration", "loss", "grad_max", "step", "elapsed"}
    assert multi.history_["grad_max"][-1] <= multi.tol
    assert np.all(np.diff(multi.history_["loss"]) <= 1e-12)
    assert multi.n_iter_[0] == multi.history_["iteration"][-1]


def test_log_proba_stays_finite_where_probabilities_underflow():
    X = np.array([[-1.0], [1.0], [2.0], [-2.0]])
    model = LogisticRegression(C=1e6).fit(X, [0, 1, 1, 0])
    far = np.array([[-1e4]])
    assert model.predict_proba(far)[0, 1] == 0.0
    log_p = model.predict_log_proba(far)
    assert np.all(np.isfinite(log_p)) and log_p[0, 1] < -1000
    np.testing.assert_allclose(log_p[0, 1], model.decision_function(far)[0], rtol=1e-12)


def test_soft_targets_equal_weighted_duplicated_hard_labels(iris):
    """Soft binary y equals the hard data duplicated with weights y and 1 - y (same objective)."""
    X, labels = iris
    rng = np.random.default_rng(0)
    soft = rng.random(len(labels))
    a = LogisticRegression(tol=1e-10).fit(X, soft)
    b = LogisticRegression(tol=1e-10).fit(np.vstack([X, X]), np.r_[np.ones_like(soft), np.zeros_like(soft)],
                                          sample_weight=np.r_[soft, 1 - soft])
    np.testing.assert_array_equal(a.classes_, [0, 1])
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-8)
    Y = rng.dirichlet(np.ones(3), len(labels))
    c = LogisticRegression(tol=1e-10).fit(X, Y)
    d = LogisticRegression(tol=1e-10).fit(np.vstack([X] * 3), np.repeat([0, 1, 2], len(labels)),
                                          sample_weight=Y.T.ravel())
    np.testing.assert_allclose(c.coef_, d.coef_, rtol=1e-8, atol=1e-10)


def test_class_weight_balanced_matches_explicit_sample_weights(iris):
    X, y = iris
    keep = np.r_[0:50, 50:70, 100:150]
    Xs, ys = X[keep], y[keep]
    a = LogisticRegression(class_weight="balanced", tol=1e-10).fit(Xs, ys)
    counts = np.bincount(ys)
    b = LogisticRegression(tol=1e-10).fit(Xs, ys, sample_weight=len(ys) / (3 * counts[ys]))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-9)


def test_warm_start_starts_from_the_previous_solution(iris):
    X, y = iris
    model = LogisticRegression(warm_start=True, tol=1e-8).fit(X, y)
    first = model.coef_.copy()
    model.fit(X, y)
    assert model.n_iter_[0] == 0
    np.testing.assert_allclose(model.coef_, first, rtol=1e-12)


def test_verbose_prints_each_iteration(iris, capsys):
    X, y = iris
    model = LogisticRegression(verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert out.count("max|grad|") == model.n_iter_[0] + 1


def test_convergence_warning_when_max_iter_is_reached(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match="max_iter=2 reached"):
        model = LogisticRegression(solver="gd", max_iter=2).fit(X * 100, y)
    assert not model.converged_ and model.n_iter_[0] == 2


def test_pickle_keeps_predictions_and_drops_training_data(iris):
    X, y = iris
    model = LogisticRegression().fit(X, y)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict_proba(X), model.predict_proba(X))
    with pytest.raises(ValueError, match="training data"):
        clone.inference()


BAD_FIT = [
    (lambda X, y: (np.where(np.arange(X.size).reshape(X.shape) == 5, np.nan, X), y, None), "NaN"),
    (lambda X, y: (np.where(np.arange(X.size).reshape(X.shape) == 5, np.inf, X), y, None), "infinity"),
    (lambda X, y: (X, np.where(np.arange(len(y)) == 3, np.nan, y.astype(float)), None), "NaN"),
    (lambda X, y: (X, y, np.where(np.arange(len(y)) == 3, np.inf, 1.0)), "sample_weight must be finite"),
    (lambda X, y: (X[:-1], y, None), "inconsistent numbers of samples"),
    (lambda X, y: (X, np.linspace(-0.5, 1.5, len(y)), None), "must lie in [0, 1]"),
    (lambda X, y: (X, -np.eye(3)[y], None), "nonnegative"),
    (lambda X, y: (X, np.eye(3)[y] * 0.5, None), "sum to 1"),
    (lambda X, y: (X, np.zeros_like(y), None), "only one class"),
    (lambda X, y: (X[:0], y[:0], None), "0 sample"),
    (lambda X, y: (X[:, 0], y, None), "Expected 2D array"),
    (lambda X, y: (X, y, -np.ones(len(y))), "sample_weight must be nonnegative"),
    (lambda X, y: (X, y, np.ones(3)), "sample_weight must have shape"),
]


@pytest.mark.parametrize("make,message", BAD_FIT)
def test_bad_input_raises_before_work_and_keeps_the_fitted_model(iris, make, message):
    X, y = iris
    model = LogisticRegression().fit(X, y)
    before = (model.coef_.copy(), model.intercept_.copy(), model.history_)
    Xb, yb, wb = make(X, y)
    with pytest.raises(ValueError) as info:
        model.fit(Xb, yb, sample_weight=wb)
    assert message in str(info.value)
    np.testing.assert_array_equal(model.coef_, before[0])
    assert model.history_ is before[2]
    assert model.n_features_in_ == 4
    assert model.predict(X).shape == y.shape


@pytest.mark.parametrize("params,message", [
    ({"solver": "bfgs"}, "solver must be one of auto, newton, newton-cg, tron, lbfgs, gd, sgd, proximal-newton; got "
                         "'bfgs'"),
    ({"penalty": "l3"}, "penalty must be one of 'auto', 'l2', 'l1', 'elasticnet' or None, got 'l3'"),
    ({"C": 0}, "C must be a number > 0"),
    ({"C": float("nan")}, "C must be a number > 0"),
    ({"tol": -1.0}, "tol must be a number > 0"),
    ({"max_iter": 0}, "max_iter must be an integer >= 1"),
    ({"class_weight": "auto"}, "class_weight must be None, 'balanced' or a dict"),
    ({"solver": "sgd", "solver_options": {"batch_size": 0}}, "batch_size must be an integer > 0, got 0"),
    ({"solver": "sgd", "solver_options": {"learning_rate": "optimal"}}, "learning_rate must be one of"),
    ({"solver": "newton", "solver_options": {"batch_size": 4}}, "bad solver_options for 'newton'"),
])
def test_bad_parameters_are_named(iris, params, message):
    X, y = iris
    with pytest.raises(ValueError) as info:
        LogisticRegression(**params).fit(X, y)
    assert message in str(info.value)


def test_wrong_number_of_features_at_predict_time(iris):
    X, y = iris
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but LogisticRegression is expecting 4"):
        model.predict(X[:, :3])


def test_C_infinity_means_no_penalty_as_in_scikit_learn(iris):
    X, y = iris
    unpenalised = LogisticRegression(penalty=None, tol=1e-10).fit(X, y)
    infinite_C = LogisticRegression(C=np.inf, tol=1e-10).fit(X, y)
    penalised = LogisticRegression(C=1e6, tol=1e-10).fit(X, y)
    np.testing.assert_array_equal(infinite_C.coef_, unpenalised.coef_)
    assert not np.allclose(penalised.coef_, unpenalised.coef_, rtol=1e-9, atol=0)


@pytest.mark.slow
@pytest.mark.parametrize("make", [lambda: GLMClassifier(family="probit"), lambda: GLMClassifier(family="cloglog"),
                                  lambda: GLMRegressor(family="poisson")], ids=["probit", "cloglog", "poisson"])
def test_check_estimator_passes_every_check_for_every_family(make):
    """Slow: scikit-learn's checks fit float32 data too, a second cold compile of each family.

    One departure, by design: check_classifiers_train's last assertion, predict_log_proba ==
    log(predict_proba), fails for cloglog on its separated blobs, where 1 - p = exp(-e^u) underflows
    to 0 from u = 6.6 on: predict_log_proba gives log(1 - p) = -e^u (-897 at u = 6.8) exactly,
    where log(predict_proba) is -inf. The check's other assertions run before that one."""
    model = make()
    results = check_estimator(model, on_fail=None)
    bad = [(r["check_name"], r["status"], str(r["exception"])[:300]) for r in results
           if r["status"] != "passed" and r["check_name"] != "check_array_api_input"]
    if model.family == "cloglog":
        departure = [b for b in bad if b[0] == "check_classifiers_train" and "inf location mismatch" in b[2]]
        assert departure, "the departure is gone: drop this exception"
        bad = [b for b in bad if b not in departure]
    assert not bad
