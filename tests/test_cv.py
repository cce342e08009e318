"""Issue 18, item 3: LogisticRegressionCV, GLMClassifierCV and GLMRegressorCV (symlogit.cv):
the same choice, scores and layout as scikit-learn's LogisticRegressionCV on the same folds and
grid, each fold's grid fitted as one warm-started path, and bad grids refused before any work."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegressionCV as SkLogisticRegressionCV
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

import symlogit.cv
from symlogit import GLMClassifier, GLMClassifierCV, GLMRegressor, GLMRegressorCV, LogisticRegression
from symlogit import LogisticRegressionCV
from symlogit.path import largest_penalty

FOLDS = StratifiedKFold(3, shuffle=True, random_state=0)
CS = np.logspace(-1, 0.5, 5)  # above C_max (0.04 for L1): scikit-learn's saga stops early where every coefficient is 0


@pytest.fixture(scope="module")
def binary():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 4))
    y = (X @ [1.0, -0.5, 0.0, 0.25] + rng.logistic(size=150) > 0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def sklearn_cv(X, y, l1_ratios=(0.0,), sample_weight=None, refit=True, Cs=CS):
    """scikit-learn's LogisticRegressionCV, new attribute layout, log-loss, tight tolerance."""
    solver = "newton-cholesky" if not any(l1_ratios) else "saga"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # saga's ConvergenceWarning where it stops at max_iter
        return SkLogisticRegressionCV(Cs=Cs, l1_ratios=l1_ratios, cv=FOLDS, scoring="neg_log_loss", solver=solver,
                                      tol=1e-12 if solver == "newton-cholesky" else 1e-10, max_iter=100_000,
                                      refit=refit,
                                      use_legacy_attributes=False).fit(X, y, sample_weight=sample_weight)


def ours_cv(X, y, l1_ratios=(0.0,), sample_weight=None, refit=True, Cs=CS):
    return LogisticRegressionCV(Cs=Cs, l1_ratios=l1_ratios, cv=FOLDS, scoring="neg_log_loss", tol=1e-10,
                                refit=refit).fit(X, y, sample_weight=sample_weight)


def assert_same_as_sklearn(ours, theirs, coef_atol=1e-5):
    for name in ("scores_", "coefs_paths_", "n_iter_"):
        assert getattr(ours, name).shape == getattr(theirs, name).shape, name
    assert ours.C_ == theirs.C_ and ours.l1_ratio_ == theirs.l1_ratio_
    np.testing.assert_array_equal(ours.Cs_, theirs.Cs_)
    np.testing.assert_array_equal(ours.l1_ratios_, theirs.l1_ratios_)
    np.testing.assert_allclose(ours.scores_, theirs.scores_, atol=1e-5)
    assert ours.coef_.shape == theirs.coef_.shape and ours.intercept_.shape == theirs.intercept_.shape
    np.testing.assert_allclose(ours.predict_proba(ours._X), theirs.predict_proba(ours._X), atol=coef_atol)


@pytest.mark.parametrize("l1_ratios", [(0.0,), (1.0,), (0.5, 1.0)], ids=["l2", "l1", "elastic-net"])
def test_binary_choice_and_scores_as_scikit_learn(binary, l1_ratios):
    X, y = binary
    ours, theirs = ours_cv(X, y, l1_ratios), sklearn_cv(X, y, l1_ratios)
    ours._X = X
    assert_same_as_sklearn(ours, theirs)
    assert ours.classes_.tolist() == [0, 1] and isinstance(ours.C_, float)
    # the fold paths themselves: the same coefficients, intercept last
    np.testing.assert_allclose(ours.coefs_paths_, theirs.coefs_paths_, atol=1e-4)


def test_multinomial_as_scikit_learn(iris):
    X, y = iris
    ours, theirs = ours_cv(X, y), sklearn_cv(X, y)
    ours._X = X
    assert_same_as_sklearn(ours, theirs)
    assert ours.coefs_paths_.shape == (3, 1, len(CS), 3, 5)


def test_sample_weights_as_scikit_learn(binary):
    X, y = binary
    w = np.random.default_rng(1).uniform(0.2, 3.0, len(y))
    ours, theirs = ours_cv(X, y, sample_weight=w), sklearn_cv(X, y, sample_weight=w)
    ours._X = X
    assert_same_as_sklearn(ours, theirs)
    assert not np.allclose(ours.scores_, ours_cv(X, y).scores_, atol=1e-3)  # the weights count


def test_balanced_class_weight_is_computed_on_all_rows_as_scikit_learn(binary):
    X, y = binary
    y = (X @ [1.0, -0.5, 0.0, 0.25] > 0.8).astype(int) ^ (np.arange(len(y)) % 9 == 0)  # unbalanced, not separable
    w = np.random.default_rng(2).uniform(0.2, 3.0, len(y))
    ours = LogisticRegressionCV(Cs=CS, cv=FOLDS, scoring="neg_log_loss", tol=1e-10, class_weight="balanced").fit(
        X, y, sample_weight=w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = SkLogisticRegressionCV(Cs=CS, l1_ratios=(0.0,), cv=FOLDS, scoring="neg_log_loss", tol=1e-12,
                                        solver="newton-cholesky", class_weight="balanced",
                                        use_legacy_attributes=False).fit(X, y, sample_weight=w)
    assert ours.C_ == theirs.C_
    np.testing.assert_allclose(ours.scores_, theirs.scores_, atol=1e-6)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6)


def test_refit_false_averages_the_folds_as_scikit_learn(binary):
    X, y = binary
    ours = ours_cv(X, y, (0.5, 1.0), refit=False)
    theirs = sklearn_cv(X, y, np.array([0.5, 1.0]), refit=False)  # (scikit-learn 1.9.1 fails on a tuple here)
    assert ours.C_ == pytest.approx(theirs.C_) and ours.l1_ratio_ == pytest.approx(theirs.l1_ratio_)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-4)


def test_sparse_X_gives_the_dense_result(binary):
    X, y = binary
    dense, sparse = ours_cv(X, y, (1.0,)), ours_cv(sp.csr_matrix(X), y, (1.0,))
    assert sparse.C_ == dense.C_
    np.testing.assert_allclose(sparse.scores_, dense.scores_, atol=1e-8)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-8)
    np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X), atol=1e-8)


def test_each_fold_fits_one_warm_started_path(binary, monkeypatch):
    """fold_paths calls regularization_path once per fold and l1_ratio with the whole grid, and
    the paths take fewer iterations all told than cold fits at each C."""
    X, y = binary
    calls = []
    real = symlogit.cv.regularization_path

    def counting(estimator, X, y, strengths, *args, **kwargs):
        calls.append(len(strengths))
        return real(estimator, X, y, strengths, *args, **kwargs)

    monkeypatch.setattr(symlogit.cv, "regularization_path", counting)
    model = ours_cv(X, y, (0.5, 1.0))
    assert calls == [len(CS)] * 3 * 2
    cold = 0
    for f, (train, _) in enumerate(FOLDS.split(X, y)):
        for l, ratio in [(1, 1.0)]:
            for j, C in enumerate(CS):
                fit = LogisticRegression(C=C, l1_ratio=ratio, tol=1e-10).fit(X[train], y[train])
                cold += fit.n_iter_[0]
                coef = model.coefs_paths_[f, l, j, 0]
                np.testing.assert_allclose(coef, np.r_[fit.coef_[0], fit.intercept_], atol=1e-6)
    assert model.n_iter_[:, 1].sum() < cold


def test_default_scoring_is_accuracy_and_scorers_are_accepted(binary):
    X, y = binary
    default = LogisticRegressionCV(Cs=CS, cv=FOLDS).fit(X, y)
    accuracy = LogisticRegressionCV(Cs=CS, cv=FOLDS, scoring="accuracy").fit(X, y)
    np.testing.assert_allclose(default.scores_, accuracy.scores_)
    auc = LogisticRegressionCV(Cs=CS, cv=FOLDS, scoring="roc_auc").fit(X, y)
    assert np.all((auc.scores_ > 0.5) & (auc.scores_ <= 1))
    with pytest.raises(ValueError, match="scoring"):
        LogisticRegressionCV(Cs=CS, scoring="no-such-score").fit(X, y)


def test_an_int_Cs_is_scikit_learns_grid(binary):
    X, y = binary
    model = LogisticRegressionCV(Cs=4, cv=3, l1_ratios=[1.0]).fit(X, y)
    np.testing.assert_array_equal(model.Cs_, np.logspace(-4, 4, 4))
    assert not model.coefs_paths_[:, 0, 0, 0, :-1].any()  # C = 1e-4 zeros every coefficient


def test_probit_scores_are_those_of_cold_fits(binary):
    X, y = binary
    folds = list(KFold(3, shuffle=True, random_state=1).split(X))
    model = GLMClassifierCV("probit", Cs=[0.05, 1.0], l1_ratios=[0.0, 1.0], cv=folds, scoring="neg_log_loss",
                            tol=1e-10).fit(X, y)
    from sklearn.metrics import log_loss
    for f, (train, test) in enumerate(folds):
        fit = GLMClassifier("probit", C=1.0, l1_ratio=1.0, tol=1e-10).fit(X[train], y[train])
        assert model.scores_[f, 1, 1] == pytest.approx(-log_loss(y[test], fit.predict_proba(X[test])), abs=1e-7)
    assert model.best_estimator_.family_ == "probit"


def test_poisson_regressor_cv():
    """alphas as a count: ElasticNetCV's grid from alpha_max (all rows) down to eps alpha_max;
    scores_ are held-out D² (with the offset) of each fold's fit; the choice maximises their sum."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 5))
    offset = rng.uniform(-0.5, 0.5, 200)
    y = rng.poisson(np.exp(0.2 + 0.6 * X[:, 0] - 0.3 * X[:, 1] + offset))
    model = GLMRegressorCV(alphas=6, l1_ratio=0.8, cv=3, tol=1e-10).fit(X, y, offset=offset)
    top = largest_penalty(GLMRegressor(l1_ratio=0.8), X, y, offset=offset)
    np.testing.assert_allclose(model.alphas_, np.geomspace(top, 1e-3 * top, 6))
    assert model.scores_.shape == (3, 1, 6) and model.coefs_paths_.shape == (3, 1, 6, 6)
    train, test = next(KFold(3).split(X))
    fit = GLMRegressor(alpha=model.alphas_[3], l1_ratio=0.8, tol=1e-10).fit(X[train], y[train], offset=offset[train])
    assert model.scores_[0, 0, 3] == pytest.approx(fit.score(X[test], y[test], offset=offset[test]), abs=1e-7)
    assert model.alpha_ == model.alphas_[np.argmax(model.scores_.sum(axis=0)[0])]
    assert model.score(X, y, offset=offset) > 0.2 and model.predict(X, offset=offset).shape == (200,)
    with pytest.raises(ValueError, match="offset"):
        GLMRegressorCV(alphas=3, scoring="neg_mean_poisson_deviance").fit(X, y, offset=offset)


@pytest.mark.parametrize("make, message", [
    (lambda: LogisticRegressionCV(Cs=0), "Cs must be an integer >= 1"),
    (lambda: LogisticRegressionCV(Cs=[]), "Cs must be"),
    (lambda: LogisticRegressionCV(Cs=[0.1, -1.0]), "Cs must be"),
    (lambda: LogisticRegressionCV(Cs=[0.1, np.inf]), "Cs must be"),
    (lambda: LogisticRegressionCV(Cs=[0.0, 1.0]), "Cs must be"),
    (lambda: LogisticRegressionCV(l1_ratios=[0.5, 1.5]), "l1_ratios must be"),
    (lambda: LogisticRegressionCV(l1_ratios=[]), "l1_ratios must be"),
    (lambda: LogisticRegressionCV(l1_ratios=[1.0], solver="lbfgs"), "cannot minimise an L1"),
    (lambda: LogisticRegressionCV(refit="yes"), "refit"),
    (lambda: GLMClassifierCV("probit", tol=-1), "tol"),
    (lambda: GLMRegressorCV(alphas=[-1.0]), "alphas must be"),
    (lambda: GLMRegressorCV(l1_ratio=2), "l1_ratio must be"),
    (lambda: GLMRegressorCV(l1_ratio=0.0), "alphas as a count needs every l1_ratio > 0"),
    (lambda: GLMRegressorCV(eps=0), "eps"),
    (lambda: LogisticRegressionCV(Cs=["1", "2"]), r"Cs must be .* list of finite numbers > 0, got \['1', '2'\]"),
    (lambda: LogisticRegressionCV(Cs=[True, 1.0]), "Cs must be"),
    (lambda: GLMRegressorCV(alphas=["0.1"]), "alphas must be"),
    (lambda: LogisticRegressionCV(l1_ratios=["0.5"]), "l1_ratios must be"),
    (lambda: GLMRegressorCV(alphas=0), r"alphas must be an integer >= 1 .* numbers >= 0, got 0"),
    (lambda: GLMRegressorCV(alphas=[]), r"alphas must be an integer >= 1 .* numbers >= 0, got \[\]"),
], ids=["Cs-0", "Cs-empty", "Cs-negative", "Cs-inf", "Cs-zero", "ratio-1.5", "ratios-empty", "solver", "refit",
        "tol", "alphas-negative", "l1_ratio-2", "count-l2", "eps", "Cs-text", "Cs-bool", "alphas-text",
        "ratios-text", "alphas-count-0", "alphas-empty"])
def test_bad_input_is_refused_before_any_fit(make, message, binary, monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("a fit ran before the input was checked")

    monkeypatch.setattr(symlogit.cv, "fold_paths", no_work)
    monkeypatch.setattr(symlogit.cv, "largest_penalty", no_work)
    X, y = binary
    with pytest.raises(ValueError, match=message):
        make().fit(X, y)


def test_a_fold_without_a_class_is_refused(binary):
    X, y = binary
    order = np.argsort(y, kind="stable")
    with pytest.raises(ValueError, match="fold 0 have no row of class"):
        LogisticRegressionCV(Cs=[1.0], cv=KFold(2)).fit(X[order], y[order])


@pytest.mark.slow
@pytest.mark.parametrize("make", [lambda: LogisticRegressionCV(Cs=3), lambda: GLMClassifierCV("probit", Cs=3, cv=3),
                                  lambda: GLMRegressorCV(alphas=3, cv=3)], ids=["logit", "probit", "poisson"])
def test_check_estimator(make):
    """Slow (LogisticRegressionCV: about 2-3 minutes on 2 busy cores). One departure, by design:
    the poisson path's first fit, at alpha_max, starts at its optimum (every coefficient 0, the
    intercept-only fit) and takes 0 iterations, which check_non_transformer_estimators_n_iter
    refuses (it wants n_iter_ >= 1 everywhere)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(make(), on_fail=None)
    bad = [(r["check_name"], str(r["exception"])[:200]) for r in results
           if r["status"] == "failed" and r["check_name"] != "check_array_api_input"]
    if isinstance(make(), GLMRegressorCV):
        assert [name for name, _ in bad] == ["check_non_transformer_estimators_n_iter"]
    else:
        assert not bad


def test_score_uses_the_scoring_as_scikit_learn(binary):
    """score is the scoring the choice used (scikit-learn's LogisticRegressionCV.score), the
    default score (accuracy, D²) with scoring=None."""
    from sklearn.metrics import accuracy_score, log_loss, mean_poisson_deviance
    X, y = binary
    for make in (LogisticRegressionCV, lambda **k: GLMClassifierCV("probit", **k)):
        model = make(Cs=3, cv=3, scoring="neg_log_loss").fit(X, y)
        assert model.score(X, y) == pytest.approx(-log_loss(y, model.predict_proba(X)))
        plain = make(Cs=3, cv=3).fit(X, y)
        assert plain.score(X, y) == pytest.approx(accuracy_score(y, plain.predict(X)))
    counts = np.random.default_rng(1).poisson(np.exp(X @ [0.3, -0.2, 0.0, 0.1]))
    model = GLMRegressorCV(alphas=[0.01, 0.1], cv=3, scoring="neg_mean_poisson_deviance").fit(X, counts)
    assert model.score(X, counts) == pytest.approx(-mean_poisson_deviance(counts, model.predict(X)))
    plain = GLMRegressorCV(alphas=[0.01, 0.1], cv=3).fit(X, counts)
    assert plain.score(X, counts) == pytest.approx(plain.best_estimator_.score(X, counts))


@pytest.fixture(scope="module")
def cpunish():
    """statsmodels' cpunish (17 states, y = executions): unshuffled 3-fold KFold's last fold
    holds only y = 1, where D² divides by a zero deviance."""
    import statsmodels.api as sm
    data = sm.datasets.cpunish.load_pandas()
    return StandardScaler().fit_transform(data.exog.to_numpy(float)), data.endog.to_numpy(float)


def test_a_fold_with_non_finite_scores_is_left_out_with_a_warning(cpunish):
    from sklearn.exceptions import UndefinedMetricWarning
    X, y = cpunish
    alphas = [0.01, 0.1, 1.0]
    with pytest.warns(UndefinedMetricWarning, match=r"fold\(s\) \[2\] are not finite.*other folds \[0, 1\]"):
        model = GLMRegressorCV(alphas=alphas, l1_ratio=0.5, cv=3).fit(X, y)
    assert np.all(np.isinf(model.scores_[2])) and np.all(np.isfinite(model.scores_[:2]))
    assert model.alpha_ == alphas[np.argmax(model.scores_[:2, 0].sum(axis=0)[::-1])]  # alphas_ is decreasing
    with pytest.warns(UndefinedMetricWarning):
        unrefit = GLMRegressorCV(alphas=alphas, l1_ratio=0.5, cv=3, refit=False).fit(X, y)
    assert unrefit.alpha_ == np.mean([model.alphas_[np.argmax(s[0])] for s in model.scores_[:2]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedMetricWarning)  # held-out y [37, 9, 6, 4, 3]: finite scores
        GLMRegressorCV(alphas=alphas, l1_ratio=0.5, cv=[(np.arange(5, 17), np.arange(5))]).fit(X, y)
    with pytest.warns(UndefinedMetricWarning, match=r"every fold \[0\] are not finite.*worst score"):
        alone = GLMRegressorCV(alphas=alphas, l1_ratio=0.5, cv=[(np.arange(11), np.arange(11, 17))]).fit(X, y)
    assert alone.alpha_ == max(alphas)  # every score -inf: the first of the decreasing alphas_


def test_a_dask_array_of_sparse_blocks_gives_the_in_memory_result(binary):
    """A dask X with scipy.sparse blocks (and dask y) is computed into memory, as a dense one."""
    da = pytest.importorskip("dask.array")
    X, y = binary
    X_csr = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))
    dX, dy = da.from_array(X_csr, chunks=(50, 4), asarray=False), da.from_array(y, chunks=50)
    ours = LogisticRegressionCV(Cs=3, cv=3).fit(dX, dy)
    plain = LogisticRegressionCV(Cs=3, cv=3).fit(X_csr, y)
    np.testing.assert_array_equal(ours.scores_, plain.scores_)
    np.testing.assert_allclose(ours.coef_, plain.coef_, rtol=1e-12)


def test_a_classifier_fold_with_a_nan_score_is_left_out_too(binary):
    from sklearn.exceptions import UndefinedMetricWarning
    X, y = binary
    order = np.random.default_rng(2).permutation(len(y))
    tests = np.split(order, [40, 90])  # held-out sizes 40, 50, 60
    folds = [(np.setdiff1d(order, test), test) for test in tests]

    def accuracy_or_nan(model, X_test, y_test):  # undefined on the fold of 40 rows
        return np.nan if len(y_test) == 40 else float(np.mean(model.predict(X_test) == y_test))

    with pytest.warns(UndefinedMetricWarning, match=r"fold\(s\) \[0\]"):
        model = LogisticRegressionCV(Cs=[1e-3, 1e-2, 1.0], cv=folds, scoring=accuracy_or_nan).fit(X, y)
    assert np.all(np.isnan(model.scores_[0])) and np.all(np.isfinite(model.scores_[1:]))
    assert model.C_ == model.Cs_[np.argmax(model.scores_[1:, 0].sum(axis=0))]


@pytest.fixture(scope="module")
def counts():
    """Counts (y mean > 0) whose first 12 of 60 rows are all 0: unshuffled 5-fold KFold holds
    them out as fold 0."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 2))
    y = rng.poisson(np.exp(0.5 + 0.4 * X[:, 0])).astype(float)
    y[:12] = 0
    return X, y


def test_a_training_fold_of_zero_counts_is_refused_naming_the_fold(counts, monkeypatch):
    """A fold whose training rows are all 0 has no intercept-only fit: a ValueError naming the fold
    and what to do, before any fit; all-zero y keeps the whole data's message (no fold)."""
    def no_work(*args, **kwargs):
        raise AssertionError("a fit ran before the folds were checked")

    monkeypatch.setattr(symlogit.cv, "fold_paths", no_work)
    X, y = counts
    folds = [(np.arange(12), np.arange(12, 60)), (np.arange(12, 60), np.arange(12))]  # fold 0 trains on the zeros
    with pytest.raises(ValueError, match=r"^the training rows of fold 0: the weighted mean of y is 0, .*"
                                         r"shuffle the rows \(e\.g\. cv=KFold\(shuffle=True\)\) or use fewer folds"):
        GLMRegressorCV(alphas=[0.1, 1.0], cv=folds).fit(X, y)
    with pytest.raises(ValueError, match=r"^the weighted mean of y is 0, at the edge") as whole:
        GLMRegressorCV(alphas=[0.1, 1.0], cv=folds).fit(X, np.zeros(60))
    assert "fold" not in str(whole.value)
    monkeypatch.undo()
    from sklearn.exceptions import UndefinedMetricWarning
    with pytest.warns(UndefinedMetricWarning, match=r"fold\(s\) \[1\]"):  # its held-out zeros: no D²
        without = GLMRegressorCV(alphas=[0.1, 1.0], cv=folds, fit_intercept=False).fit(X, y)  # no null fit needed
    assert np.all(np.isfinite(without.coef_))


def test_a_held_out_fold_of_zero_counts_is_left_out_with_a_warning(counts):
    """D² of a held-out fold whose y are all 0 is undefined (its null deviance is 0), as for any
    constant fold: -inf, and the fold is left out of the choice with a warning naming it and what
    to do, rather than the fit's 'weighted mean of y is 0' error."""
    from sklearn.exceptions import UndefinedMetricWarning
    X, y = counts
    with pytest.warns(UndefinedMetricWarning, match=r"fold\(s\) \[0\] are not finite.*other folds \[1, 2, 3, 4\]; "
                                                    r"use other folds \(e\.g\. KFold\(shuffle=True\)\)"):
        model = GLMRegressorCV(alphas=[0.01, 0.1, 1.0], l1_ratio=0.5).fit(X, y)
    assert np.all(np.isneginf(model.scores_[0])) and np.all(np.isfinite(model.scores_[1:]))
    assert model.alpha_ == model.alphas_[np.argmax(model.scores_[1:, 0].sum(axis=0))]
    fit = GLMRegressor(alpha=0.1).fit(X[12:], y[12:])
    assert fit.score(X[:12], y[:12]) == -np.inf and np.isfinite(fit.score(X[:24], y[:24]))
