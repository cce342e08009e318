"""L1 and elastic net (issue 18, first part): the penalty object, the proximal Newton solver and
the estimators' l1_ratio, against scikit-learn's saga at tight tolerance and against the KKT
conditions computed here from the smooth objective's gradient alone."""

import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from symlogit import GLMClassifier, GLMRegressor, LogisticRegression
from symlogit.family import estimator_family, kernel_coefficients
from symlogit.inference import INTERCEPT_NAME, InferenceWarning
from symlogit.solvers import L1_SOLVERS, Objective, make_solver
from symlogit.solvers.penalty import L1Penalty, soft_threshold
from symlogit.solvers.proximal_newton import ProximalNewton
from symlogit.targets import encode_targets

LOADERS = {"breast_cancer": load_breast_cancer, "wine": load_wine, "iris": load_iris}


def standardised(name):
    X, y = LOADERS[name](return_X_y=True)
    return StandardScaler().fit_transform(X), y


def smooth_objective(model, X, y, sample_weight=None):
    """The model's smooth part f (loss + L2 term) and its L1 strength λ₁, rebuilt from the
    estimator's parameters as the documentation states them (not from its private helpers)."""
    w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    W = w.sum()
    if isinstance(model, GLMRegressor):
        family = estimator_family(model.family, False)
        targets, n_classes = np.asarray(y, dtype=float), None
        lam = model.alpha
    else:
        encoded = encode_targets(y, w)
        family = estimator_family(getattr(model, "family", "logit"), True).for_classes(encoded.n_classes)
        targets, n_classes = encoded.values, encoded.n_classes
        lam = 1.0 / (model.C * W)
    r = model.l1_ratio
    return Objective(X, targets, w, family, model.fit_intercept, lam * (1 - r), n_classes, l1_strength=lam * r)


def fitted_theta(objective, model):
    B = kernel_coefficients(model.coef_, np.atleast_1d(model.intercept_))
    return objective.theta(B if model.fit_intercept else B[1:])


def kkt_violation(objective, theta):
    """max over the parameters of the distance of 0 from ∂F(θ), written out from ∇f: unpenalised
    |g_j|; penalised and nonzero |g_j + λ₁ sign θ_j|; penalised and zero max(|g_j| − λ₁, 0)."""
    _, g = objective.value_grad(theta)
    lam, P = objective.l1, objective.penalised
    worst = np.abs(g[~P]).max(initial=0.0)
    nonzero = P & (theta != 0)
    worst = max(worst, np.abs(g[nonzero] + lam * np.sign(theta[nonzero])).max(initial=0.0))
    zero = P & (theta == 0)
    return max(worst, np.maximum(np.abs(g[zero]) - lam, 0.0).max(initial=0.0))


def full_objective(objective, theta):
    return objective.value(theta) + objective.l1 * np.abs(theta[objective.penalised]).sum()


def saga(X, y, C, l1_ratio, fit_intercept=True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return SkLogisticRegression(solver="saga", C=C, l1_ratio=l1_ratio, tol=1e-12, max_iter=100_000,
                                    fit_intercept=fit_intercept).fit(X, y)


# ---- the penalty object ---------------------------------------------------------------------------
def test_prox_is_the_minimiser_of_the_scalar_problem():
    """prox(z, t) minimises (1/(2t))(x − z)² + t-scaled penalty, entry by entry: checked against a
    bounded scalar minimisation, L1 alone and with the L2 part; the unpenalised entry is z."""
    penalty = L1Penalty(0.3, np.array([False, True, True, True, True]), l2=0.7)
    z, t = np.array([2.0, 1.0, -0.05, -2.5, 0.2]), 0.8
    for with_l2 in (False, True):
        x = penalty.prox(z, t, with_l2=with_l2)
        assert x[0] == z[0]
        for j in range(1, 5):
            l2 = 0.7 if with_l2 else 0.0
            best = minimize_scalar(lambda v: (v - z[j]) ** 2 / (2 * t) + 0.3 * abs(v) + l2 * v * v / 2,
                                   bounds=(-5, 5), method="bounded", options={"xatol": 1e-12}).x
            assert x[j] == pytest.approx(best, abs=1e-8)
    assert penalty.prox(z, t)[2] == 0.0 and penalty.prox(z, t)[4] == 0.0  # |z| ≤ t λ₁: exactly 0


def test_min_norm_subgradient_entries():
    penalty = L1Penalty(0.5, np.array([False, True, True, True]))
    theta = np.array([1.0, 0.0, 0.0, -2.0])
    grad = np.array([0.25, 0.3, -0.9, 0.1])
    assert np.allclose(penalty.subgradient(theta, grad), [0.25, 0.0, -0.4, 0.1 - 0.5])
    assert penalty.stationarity(theta, grad) == pytest.approx(0.4)
    assert penalty.value(theta) == pytest.approx(0.5 * 2.0)
    assert np.allclose(soft_threshold(np.array([-1.0, 0.2, 3.0]), 0.5), [-0.5, 0.0, 2.5])


def test_decrease_is_exact_for_tiny_steps():
    """Δ = gᵀd + λ₁(‖θ + d‖₁ − ‖θ‖₁) summed entry by entry: a step of 1e-12 on an entry of size
    1e3 still gives its exact sign (the difference of the norms would round to 0)."""
    penalty = L1Penalty(1.0, np.array([True, True]))
    theta, d = np.array([1e3, 0.5]), np.array([-1e-12, 0.0])
    assert penalty.decrease(theta, np.zeros(2), d) < 0


def test_bad_strength_is_a_value_error():
    with pytest.raises(ValueError, match="L1 strength"):
        L1Penalty(-1.0, np.array([True]))


# ---- against scikit-learn's saga ------------------------------------------------------------------
CASES = [("breast_cancer", 0.1, 1.0), ("breast_cancer", 0.1, 0.5), ("wine", 1.0, 1.0), ("wine", 1.0, 0.5),
         ("iris", 0.1, 1.0), ("iris", 1.0, 0.5)]


@pytest.mark.parametrize("name, C, l1_ratio", CASES, ids=[f"{n}-C{C}-r{r}" for n, C, r in CASES])
def test_matches_saga_and_the_kkt_conditions(name, C, l1_ratio):
    """Binary (breast_cancer) and multinomial (wine, iris) L1 and elastic net: the same
    coefficients as saga at tol 1e-12 (1e-5), the same exact zeros, an objective no higher than
    saga's (relative 1e-9), and the KKT conditions at our solution to 1e-8."""
    X, y = standardised(name)
    ours = LogisticRegression(C=C, l1_ratio=l1_ratio, tol=1e-10, max_iter=200).fit(X, y)
    theirs = saga(X, y, C, l1_ratio)
    assert ours.converged_ and ours.solver_ == "proximal-newton"
    assert np.abs(ours.coef_ - theirs.coef_).max() < 1e-5
    assert np.array_equal(ours.coef_ == 0, np.abs(theirs.coef_) < 1e-12)
    assert (ours.coef_ == 0).any() and (ours.coef_ != 0).any()  # a case where the L1 term selects
    assert np.abs(ours.predict_proba(X) - theirs.predict_proba(X)).max() < 1e-5
    objective = smooth_objective(ours, X, y)
    F_ours = full_objective(objective, fitted_theta(objective, ours))
    F_theirs = full_objective(objective, fitted_theta(objective, theirs))
    assert F_ours <= F_theirs * (1 + 1e-9)
    assert F_ours == pytest.approx(F_theirs, rel=1e-9)
    assert kkt_violation(objective, fitted_theta(objective, ours)) <= 1e-8


@pytest.mark.parametrize("family", ["probit", "cloglog"])
def test_binary_families_meet_the_kkt_conditions(family):
    """scikit-learn has no probit or cloglog: the KKT conditions are the check."""
    X, y = standardised("breast_cancer")
    model = GLMClassifier(family=family, C=0.1, l1_ratio=1.0, tol=1e-10).fit(X, y)
    assert model.converged_ and (model.coef_ == 0).sum() > 5
    objective = smooth_objective(model, X, y)
    assert kkt_violation(objective, fitted_theta(objective, model)) <= 1e-8


@pytest.fixture(scope="module")
def counts():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 25))
    y = rng.poisson(np.exp(0.5 + 0.4 * X[:, 0] - 0.3 * X[:, 1]))
    return X, y


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_poisson_l1_meets_the_kkt_conditions(counts, l1_ratio):
    """scikit-learn's PoissonRegressor has L2 only (no L1 Poisson in scikit-learn): the KKT
    conditions of (1/W) Σ w h + α(r‖coef‖₁ + (1 − r)/2 ‖coef‖²) are the check, and the noise
    features are dropped."""
    X, y = counts
    model = GLMRegressor(alpha=0.1, l1_ratio=l1_ratio, tol=1e-10).fit(X, y)
    assert model.converged_ and model.solver_ == "proximal-newton"
    assert (model.coef_[:2] != 0).all() and (model.coef_[2:] == 0).sum() >= 10
    objective = smooth_objective(model, X, y)
    assert kkt_violation(objective, fitted_theta(objective, model)) <= 1e-8


def test_poisson_l1_ratio_0_is_the_l2_fit(counts):
    X, y = counts
    l2 = GLMRegressor(alpha=0.05, tol=1e-10).fit(X, y)
    prox = GLMRegressor(alpha=0.05, l1_ratio=0.0, solver="proximal-newton", tol=1e-10).fit(X, y)
    assert np.abs(l2.coef_ - prox.coef_).max() < 1e-8 and (l2.coef_ != 0).all()


# ---- dense, sparse, weights, the L2 limit ----------------------------------------------------------
@pytest.mark.parametrize("name", ["breast_cancer", "iris"])
def test_sparse_equals_dense(name):
    X, y = standardised(name)
    X[np.abs(X) < 0.5] = 0.0  # a real sparsity pattern
    dense = LogisticRegression(C=0.5, l1_ratio=0.8, tol=1e-10).fit(X, y)
    sparse = LogisticRegression(C=0.5, l1_ratio=0.8, tol=1e-10).fit(sp.csr_matrix(X), y)
    assert np.abs(dense.coef_ - sparse.coef_).max() < 1e-9
    assert np.array_equal(dense.coef_ == 0, sparse.coef_ == 0) and (dense.coef_ == 0).any()


def test_sample_weights_count_as_repeated_rows():
    X, y = standardised("wine")
    counts = np.random.default_rng(0).integers(1, 4, size=len(y))
    weighted = LogisticRegression(C=0.5, l1_ratio=1.0, tol=1e-10).fit(X, y, sample_weight=counts)
    repeated = LogisticRegression(C=0.5, l1_ratio=1.0, tol=1e-10).fit(np.repeat(X, counts, 0), np.repeat(y, counts))
    assert np.abs(weighted.coef_ - repeated.coef_).max() < 1e-8


@pytest.mark.parametrize("name", ["breast_cancer", "wine"])
def test_l1_ratio_0_equals_the_l2_fit(name):
    X, y = standardised(name)
    l2 = LogisticRegression(C=0.5, tol=1e-10).fit(X, y)
    zero = LogisticRegression(C=0.5, l1_ratio=0.0, solver="proximal-newton", tol=1e-10).fit(X, y)
    assert l2.solver_ != "proximal-newton"
    assert np.abs(l2.coef_ - zero.coef_).max() < 1e-8
    assert np.abs(l2.intercept_ - zero.intercept_).max() < 1e-8


def test_penalty_grows_sparser_and_zeros_everything_past_lambda_max():
    """Fewer nonzeros as C falls; at and below C_max = 1/max_j |Σ_i x_ij (p̄ − y_i)| (glmnet's
    λ_max: the intercept-only fit meets the KKT conditions) every coefficient is exactly 0, and
    just above it one is not."""
    X, y = standardised("breast_cancer")
    counts = [np.count_nonzero(LogisticRegression(C=C, l1_ratio=1.0, tol=1e-10).fit(X, y).coef_)
              for C in (1.0, 0.1, 0.01)]
    assert counts[0] > counts[1] > counts[2] > 0
    p = y.mean()  # the intercept-only fit's probability
    C_max = 1.0 / np.abs(X.T @ (p - y)).max()
    assert LogisticRegression(C=1.01 * C_max, l1_ratio=1.0, tol=1e-10).fit(X, y).coef_.any()
    assert np.all(LogisticRegression(C=0.99 * C_max, l1_ratio=1.0, tol=1e-10).fit(X, y).coef_ == 0)


# ---- the solver ----------------------------------------------------------------------------------
def test_history_is_the_full_objective_and_its_stationarity():
    """history_['loss'] is F = f + λ₁‖θ_P‖₁, non-increasing; 'grad_max' the min-norm subgradient,
    ≤ tol at the end, while max|∇f| there is about λ₁ (not a stationarity measure)."""
    X, y = standardised("breast_cancer")
    model = LogisticRegression(C=0.1, l1_ratio=1.0, tol=1e-10).fit(X, y)
    F = model.history_["loss"]
    assert np.all(np.diff(F) <= 1e-15 * np.abs(F[:-1]))
    assert model.history_["grad_max"][-1] <= 1e-10
    objective = smooth_objective(model, X, y)
    theta = fitted_theta(objective, model)
    assert F[-1] == pytest.approx(full_objective(objective, theta), rel=1e-14)
    _, g = objective.value_grad(theta)
    assert np.abs(g).max() == pytest.approx(objective.l1, rel=1e-6)


def test_working_set_touches_few_features_of_a_wide_problem(monkeypatch):
    """N = 300, d = 2000, 5 informative features: every coordinate descent runs over at most a
    few dozen of the 2001 parameters, and the KKT conditions hold over all of them."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2000))
    y = (X[:, :5] @ np.array([2.0, -1.5, 1.0, 1.0, -2.0]) + rng.logistic(size=300) > 0).astype(int)
    sizes = []
    original = ProximalNewton.working_set

    def recording(self, theta, grad, penalty):
        work = original(self, theta, grad, penalty)
        sizes.append(work.size)
        return work

    monkeypatch.setattr(ProximalNewton, "working_set", recording)
    model = LogisticRegression(C=0.05, l1_ratio=1.0, tol=1e-10).fit(X, y)
    assert model.converged_ and sizes and max(sizes) <= 60
    assert set(np.flatnonzero(model.coef_[0])) >= {0, 1, 4}
    objective = smooth_objective(model, X, y)
    assert kkt_violation(objective, fitted_theta(objective, model)) <= 1e-8


def test_solver_alone_on_an_objective():
    """make_solver('proximal-newton') on an Objective: F falls to the KKT point; λ₁ = 0 gives
    Newton's optimum."""
    X, y = standardised("breast_cancer")
    family = estimator_family("logit", True)
    lam = 1.0 / (0.2 * len(y))
    for l1 in (lam, 0.0):
        objective = Objective(X, y.astype(float), np.ones(len(y)), family, True, lam * 0.3, l1_strength=l1)
        result = make_solver("proximal-newton").minimize(objective, np.zeros(objective.n_params), 1e-10, 100)
        assert result.converged and kkt_violation(objective, result.theta) <= 1e-9
    newton = make_solver("newton").minimize(objective, np.zeros(objective.n_params), 1e-10, 100)
    assert np.abs(newton.theta - result.theta).max() < 1e-8


# ---- parameters ------------------------------------------------------------------------------------
def test_penalty_mapping():
    """penalty='l1' is l1_ratio=1; 'elasticnet' uses l1_ratio; 'l2' is l1_ratio=0; None is no penalty
    (scikit-learn 1.8's mapping of the parameter it deprecated)."""
    X, y = standardised("breast_cancer")
    by_ratio = LogisticRegression(C=0.1, l1_ratio=1.0, tol=1e-10).fit(X, y)
    by_name = LogisticRegression(penalty="l1", C=0.1, tol=1e-10)
    with pytest.warns(UserWarning, match="Inconsistent values: penalty=l1 with l1_ratio=0.0"):
        by_name.fit(X, y)
    assert np.array_equal(by_ratio.coef_, by_name.coef_)
    net = LogisticRegression(penalty="elasticnet", C=0.1, l1_ratio=0.5, tol=1e-10).fit(X, y)
    assert np.array_equal(net.coef_, LogisticRegression(C=0.1, l1_ratio=0.5, tol=1e-10).fit(X, y).coef_)
    with pytest.warns(UserWarning, match="only used when penalty is 'elasticnet'"):
        l2 = LogisticRegression(penalty="l2", C=0.1, l1_ratio=0.5, tol=1e-10).fit(X, y)
    assert l2.solver_ != "proximal-newton" and np.all(l2.coef_ != 0)
    with pytest.warns(UserWarning, match="penalty=None will ignore the C"):
        LogisticRegression(penalty=None, C=0.1, l1_ratio=1.0, max_iter=5).fit(X[:, :3], y)
    unpenalised = LogisticRegression(C=np.inf, l1_ratio=1.0, tol=1e-10).fit(X[:, :3], y)
    assert unpenalised.solver_ != "proximal-newton"


@pytest.mark.parametrize("make, message", [
    (lambda: LogisticRegression(l1_ratio=-0.1), "l1_ratio must be a number in \\[0, 1\\]"),
    (lambda: LogisticRegression(l1_ratio=1.5), "l1_ratio must be a number in \\[0, 1\\]"),
    (lambda: LogisticRegression(l1_ratio="l1"), "l1_ratio must be a number in \\[0, 1\\]"),
    (lambda: GLMRegressor(l1_ratio=2.0), "l1_ratio must be a number in \\[0, 1\\]"),
    (lambda: LogisticRegression(l1_ratio=1.0, solver="lbfgs"), "solver 'lbfgs' cannot minimise an L1 penalty"),
    (lambda: LogisticRegression(penalty="l1", l1_ratio=1.0, solver="newton"),
     "use solver='auto' or one of proximal-newton"),
    (lambda: GLMRegressor(l1_ratio=0.5, solver="newton-cg"), "solver 'newton-cg' cannot minimise an L1"),
    (lambda: LogisticRegression(penalty="elasticnet", l1_ratio=None), "l1_ratio must be specified"),
    (lambda: LogisticRegression(penalty="l3"), "penalty must be one of"),
], ids=["negative", "above-1", "string", "regressor", "lbfgs", "newton", "regressor-newton-cg", "elasticnet-none",
        "penalty"])
def test_bad_input_is_a_value_error_before_any_work(make, message):
    X, y = standardised("breast_cancer")
    with pytest.raises(ValueError, match=message):
        make().fit(X, np.abs(y) if isinstance(make(), GLMRegressor) else y)
    assert L1_SOLVERS == ("proximal-newton",)


def test_l1_ratio_none_is_l2_with_scikit_learns_future_warning():
    X, y = standardised("breast_cancer")
    with pytest.warns(FutureWarning, match="l1_ratio=None"):
        model = LogisticRegression(C=0.1, l1_ratio=None, tol=1e-10).fit(X, y)
    assert np.abs(model.coef_ - LogisticRegression(C=0.1, tol=1e-10).fit(X, y).coef_).max() < 1e-12


def test_l2_solvers_with_l1_ratio_0_still_run():
    X, y = standardised("iris")
    for solver in ("lbfgs", "newton", "newton-cg"):
        LogisticRegression(l1_ratio=0.0, solver=solver).fit(X, y)


def test_inference_on_an_l1_fit_is_refused_and_says_why():
    """Issue 18's bad input: Wald numbers after selection are not valid; an elastic net (l1_ratio
    between 0 and 1) selects too. An L2 fit of the same data is not refused."""
    X, y = standardised("breast_cancer")
    for l1_ratio in (1.0, 0.5):
        model = LogisticRegression(C=0.1, l1_ratio=l1_ratio).fit(X[:, :8], y)
        with pytest.raises(ValueError, match="after selection are not valid"):
            model.inference()
    with pytest.warns(InferenceWarning, match="penalised"):
        LogisticRegression(C=0.1).fit(X[:, :8], y).inference()


def test_warm_start_from_an_l1_fit():
    X, y = standardised("wine")
    model = LogisticRegression(C=0.3, l1_ratio=1.0, tol=1e-10, warm_start=True).fit(X, y)
    first = model.coef_.copy()
    model.fit(X, y)
    assert model.n_iter_[0] <= 1 and np.abs(model.coef_ - first).max() < 1e-10


@pytest.mark.parametrize("make", [
    pytest.param(lambda: LogisticRegression(l1_ratio=1.0), id="logit-l1"),
    pytest.param(lambda: GLMRegressor(l1_ratio=0.5), id="poisson-elasticnet", marks=pytest.mark.slow),  # ~9 s
])
def test_check_estimator_passes_with_an_l1_term(make):
    """As test_estimator's check: every check passes but check_array_api_input (skipped by
    scikit-learn unless SCIPY_ARRAY_API is set)."""
    results = check_estimator(make(), on_fail=None)
    bad = [(r["check_name"], r["status"], str(r["exception"])[:200]) for r in results
           if r["status"] != "passed" and r["check_name"] != "check_array_api_input"]
    assert not bad


@pytest.mark.parametrize("name, sparse", [("breast_cancer", False), ("wine", False), ("wine", True)])
def test_objective_on_columns_is_the_full_objective_restricted(name, sparse):
    """Where the other columns' coefficients are 0, the objective over some columns has the full
    one's value, and its gradient and Hessian are the full ones' entries for its parameters."""
    from symlogit.solvers.objective import SparseObjective

    X, y = standardised(name)
    model = LogisticRegression(C=0.2, l1_ratio=0.7)
    weights = np.random.default_rng(1).uniform(0.2, 3.0, size=len(y))
    objective = smooth_objective(model, X, y, sample_weight=weights)
    if sparse:
        objective = SparseObjective(sp.csr_matrix(X), objective.targets, objective.weights, objective.family, True,
                                    objective.l2, objective.n_classes, l1_strength=objective.l1)
    used = np.array([1, 4, 7])
    columns = objective.parameter_columns()
    keep = (columns < 0) | np.isin(columns, used)
    theta = np.where(keep, np.random.default_rng(0).normal(size=objective.n_params), 0.0)
    f, g, H = objective.value_grad_hess(theta)
    f_sub, g_sub, H_sub = objective.on_columns(used).value_grad_hess(theta[keep])
    assert f_sub == pytest.approx(f, rel=1e-13)
    assert np.allclose(g_sub, g[keep], rtol=1e-12, atol=1e-15)
    assert np.allclose(H_sub, H[np.ix_(keep, keep)], rtol=1e-12, atol=1e-15)
    objective.BLOCK_BYTES = 8 * used.size * 50  # blocks of 50 rows (dense X), the last one shorter
    assert np.allclose(objective.hessian_on_columns(theta, used), H[np.ix_(keep, keep)], rtol=1e-12,
                       atol=1e-15)


def test_wide_problem_forms_hessians_over_few_columns(monkeypatch):
    """N = 300, d = 2000: after the first iteration no Hessian spans more than W's columns."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2000))
    y = (X[:, :5] @ np.array([2.0, -1.5, 1.0, 1.0, -2.0]) + rng.logistic(size=300) > 0).astype(int)
    widths, full = [], []
    original_columns, original_hessian = Objective.hessian_on_columns, Objective.value_grad_hess

    def hessian_on_columns(self, theta, columns):
        widths.append(len(columns))
        return original_columns(self, theta, columns)

    def value_grad_hess(self, theta):
        full.append(self.X.shape[1])
        return original_hessian(self, theta)

    monkeypatch.setattr(Objective, "hessian_on_columns", hessian_on_columns)
    monkeypatch.setattr(Objective, "value_grad_hess", value_grad_hess)
    model = LogisticRegression(C=0.05, l1_ratio=1.0, tol=1e-10).fit(X, y)
    assert model.converged_ and widths and max(widths) <= 60
    assert 2000 not in full  # never the whole 2001 x 2001 Hessian


@pytest.mark.parametrize("name", ["breast_cancer", "wine"])
def test_l1_on_sparse_x_forms_hessians_over_working_set_columns_only(monkeypatch, name):
    """On sparse X the Hessian does not come with the gradient's pass, so proximal Newton never
    asks for the whole one (for K = 4 classes and 3000 columns it was a 1.2 GB array a step):
    only W's columns', and the optimum is the dense fit's."""
    from symlogit.solvers.objective import SparseObjective

    X, y = standardised(name)
    dense = LogisticRegression(C=0.5, l1_ratio=1.0, tol=1e-10).fit(X, y)

    def refuse(self, theta):
        raise AssertionError("the whole Hessian of a sparse objective")

    monkeypatch.setattr(SparseObjective, "value_grad_hess", refuse)
    sparse = LogisticRegression(C=0.5, l1_ratio=1.0, tol=1e-10).fit(sp.csr_matrix(X), y)
    assert sparse.converged_ and np.array_equal(sparse.coef_ == 0, dense.coef_ == 0)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["breast_cancer", "wine"])
def test_without_an_intercept_every_parameter_is_penalised(name):
    X, y = standardised(name)
    model = LogisticRegression(C=0.3, l1_ratio=0.9, fit_intercept=False, tol=1e-10).fit(X, y)
    assert model.converged_ and np.all(model.intercept_ == 0) and (model.coef_ == 0).any()
    theirs = saga(X, y, 0.3, 0.9, fit_intercept=False)
    assert np.abs(model.coef_ - theirs.coef_).max() < 1e-5
    objective = smooth_objective(model, X, y)
    assert objective.penalised.all()
    assert kkt_violation(objective, fitted_theta(objective, model)) <= 1e-8


def test_separable_classes_have_a_finite_l1_optimum():
    """Pure L1 is coercive: separated classes still have a finite optimum, no SeparationWarning."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LogisticRegression(C=10.0, l1_ratio=1.0, tol=1e-10).fit(X, y)
    assert model.converged_ and model.separation_ is None and np.isfinite(model.coef_).all()
    objective = smooth_objective(model, X, y)
    assert kkt_violation(objective, fitted_theta(objective, model)) <= 1e-8


@pytest.mark.parametrize("case", ["raw_breast_cancer", "off_centre"])
def test_ill_conditioned_problems_converge_in_few_iterations(case):
    """Unscaled columns (raw breast_cancer, scales 1e-3 to 1e3, at C = 10^4: 36 outer iterations
    with coordinate descent alone inside) and X ~ N(100, 1) beside an intercept (scikit-learn's
    check data: 100 iterations, not converged): the Newton steps on the model's support keep the
    fit to a few outer iterations."""
    if case == "raw_breast_cancer":
        X, y = load_breast_cancer(return_X_y=True)
        C = 1e4
    else:
        rng = np.random.RandomState(0)
        X, y, C = rng.normal(loc=100, size=(100, 2)), rng.randint(0, 2, 100), 1.0
    model = LogisticRegression(C=C, l1_ratio=0.5, max_iter=20).fit(X, y)
    assert model.converged_
    objective = smooth_objective(model, X, y)
    assert kkt_violation(objective, fitted_theta(objective, model)) <= 1e-7


def test_cli_fits_l1_and_refuses_bad_combinations():
    from click.testing import CliRunner

    from symlogit.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["fit", "--dataset", "breast_cancer", "--l1-ratio", "1", "--C", "0.1", "-q"])
    assert result.exit_code == 0, result.output
    assert "solver: proximal-newton; penalty: l1 (C=0.1)" in result.output
    assert "converged, max|min-norm subgradient|" in result.output
    net = runner.invoke(cli, ["fit", "--dataset", "breast_cancer", "--l1-ratio", "0.5", "--cv", "3", "--Cs", "3", "-q"])
    assert net.exit_code == 0, net.output
    assert "penalty: elastic net (l1_ratio=0.5)" in net.output and "chosen by --cv" in net.output
    for args, message in ((["--solver", "lbfgs"], "needs a solver that minimises an L1 term"),
                          (["--penalty", "none"], "does not combine with --penalty none")):
        bad = runner.invoke(cli, ["fit", "--dataset", "breast_cancer", "--l1-ratio", "1", *args])
        assert bad.exit_code != 0 and message in bad.output
    assert runner.invoke(cli, ["fit", "--dataset", "breast_cancer", "--l1-ratio", "1.5"]).exit_code != 0


@pytest.mark.parametrize("ratio", ["1", "0.5"])
@pytest.mark.parametrize("args", [["--cov-type", "HC0"], ["--cov-type", "nonrobust"], ["--groups", "mean radius"]],
                         ids=["HC0", "nonrobust", "groups"])
def test_cli_l1_refuses_standard_error_options_even_with_report(tmp_path, ratio, args):
    """--cov-type and --groups set standard errors, which a penalised L1/elastic-net fit does not
    give: refused in one line (exit 2, nothing written), with or without --report, and the
    message does not send the user to --report (whose L1 section has no table either)."""
    from test_cli_fit import assert_one_line_error, invoke

    out, report = tmp_path / "model.json", tmp_path / "report"
    for extra in ([], ["--report", report]):
        result = invoke("fit", "--dataset", "breast_cancer", "--l1-ratio", ratio, *args, "--out", out, *extra, "-q")
        assert_one_line_error(result, f"{args[0]} sets the standard errors",
                              f"penalised (L1/elastic-net) fit, --l1-ratio {ratio}, are not given")
        assert "--report" not in result.output
        assert not out.exists() and not report.exists()
    # an L2 fit's robust table is in the report: the hint there still names --report
    assert_one_line_error(invoke("fit", "--dataset", "breast_cancer", "--cov-type", "HC0", "-q"),
                          "--report DIR for the table of an L2-penalised fit")


def test_cli_an_explicit_penalty_l2_with_an_l1_ratio_is_refused(tmp_path):
    """--penalty l2 given beside --l1-ratio > 0 contradicts it: one line, exit 2, nothing written;
    --penalty's default (not given) is the L2 part that --l1-ratio mixes, and keeps working."""
    from test_cli_fit import assert_one_line_error, invoke

    out = tmp_path / "model.json"
    for ratio, asked in (("1", "L1"), ("0.5", "the elastic net")):
        result = invoke("fit", "--dataset", "breast_cancer", "--l1-ratio", ratio, "--penalty", "l2", "--out", out)
        assert_one_line_error(result, f"--penalty l2 is the pure L2 penalty; --l1-ratio {ratio} asks for {asked}",
                              "drop --penalty")
        assert not out.exists()
    default = invoke("fit", "--dataset", "breast_cancer", "--l1-ratio", "1", "--C", "0.1", "-q")
    assert default.exit_code == 0 and "penalty: l1 (C=0.1)" in default.output, default.output
    plain = invoke("fit", "--dataset", "breast_cancer", "--l1-ratio", "0", "--penalty", "l2", "-q")
    assert plain.exit_code == 0 and "penalty: l2 (C=1)" in plain.output, plain.output


@pytest.mark.parametrize("args, penalty", [(["--l1-ratio", "1"], "l1"), (["--l1-ratio", "0.5"], "elasticnet"),
                                           ([], "l2")], ids=["l1", "elasticnet", "l2"])
def test_cli_model_file_records_the_penalty_fitted(tmp_path, args, penalty):
    """The model file's options name the penalty that was fitted (scikit-learn's names), not
    --penalty's default l2 beside l1_ratio 1; the file still loads and predicts."""
    import json

    from click.testing import CliRunner

    from symlogit.cli import cli

    out = tmp_path / "model.json"
    result = CliRunner().invoke(cli, ["fit", "--dataset", "breast_cancer", "--C", "0.1", *args, "--out", out, "-q"])
    assert result.exit_code == 0, result.output
    options = json.loads(out.read_text())["options"]
    assert options["penalty"] == penalty and options["l1_ratio"] == (float(args[1]) if args else 0.0)
    assert f"penalty: {penalty if penalty != 'elasticnet' else 'elastic net'}" in result.output


def test_cli_l1_fit_lists_its_nonzero_coefficients_in_stdout_and_the_report(tmp_path):
    """An L1 fit refuses inference but lists its coefficients (name and value, the nonzero ones,
    with a count of the zeros), on stdout and in report.md, without standard errors."""
    import json

    from click.testing import CliRunner

    from symlogit.cli import cli

    out, report = tmp_path / "model.json", tmp_path / "report"
    result = CliRunner().invoke(cli, ["fit", "--dataset", "breast_cancer", "--l1-ratio", "1", "--C", "0.1",
                                      "--out", out, "--report", report, "-q"])
    assert result.exit_code == 0, result.output
    saved = json.loads(out.read_text())
    coef, names = np.ravel(saved["coef"]), saved["feature_names"]
    zeros = int((coef == 0).sum())
    assert 0 < zeros < len(coef)
    count = f"{len(coef) - zeros} nonzero of {len(coef)} coefficients ({zeros} exactly 0, not listed)"
    text = (report / "report.md").read_text()
    assert count in result.output and count in text and "std err" not in text
    listed = {line.split(" | ")[0].lstrip("| "): float(line.split(" | ")[1].rstrip(" |"))
              for line in text.splitlines() if line.startswith("| ") and not line.startswith("| term")}
    assert listed.pop(INTERCEPT_NAME) == pytest.approx(np.ravel(saved["intercept"])[0], rel=1e-5)
    assert listed == pytest.approx({name: b for name, b in zip(names, coef) if b != 0}, rel=1e-5)
    shown = [line.split()[:-1] for line in result.output.splitlines() if line.startswith("  ")]
    assert [" ".join(words) for words in shown] == [INTERCEPT_NAME, *listed]


def test_the_l1_listing_and_the_coefficient_table_name_the_intercept_alike():
    """One name for the intercept (``INTERCEPT_NAME``, statsmodels' const) in the coefficient table
    (Inference.summary, an unpenalised fit) and in the listing of an L1 fit's nonzero
    coefficients, per class for a multinomial fit."""
    from symlogit.report import nonzero_coefficient_lines

    frame = load_breast_cancer(as_frame=True).frame
    X, y = (frame.iloc[:, :4] - frame.iloc[:, :4].mean()) / frame.iloc[:, :4].std(), frame["target"]
    table = LogisticRegression(penalty=None).fit(X, y).inference().summary()
    l1 = LogisticRegression(l1_ratio=1.0, C=0.1).fit(X, y)
    listing = nonzero_coefficient_lines(l1.coef_, l1.intercept_, list(X.columns))
    assert [line.split()[0] for line in table.splitlines() if line.split()[:1] == [INTERCEPT_NAME]]
    assert listing[1].split() == [INTERCEPT_NAME, f"{l1.intercept_[0]:.6g}"]
    iris = load_iris()
    multi = LogisticRegression(l1_ratio=1.0, C=0.5).fit(iris.data, iris.target)
    terms = [line.rsplit(None, 1)[0].strip() for line in nonzero_coefficient_lines(
        multi.coef_, multi.intercept_, iris.feature_names, multi.classes_)[1:]]
    assert [term for term in terms if term.startswith(INTERCEPT_NAME)] == [f"{INTERCEPT_NAME} [class {c}]"
                                                                            for c in multi.classes_]


def test_random_small_problems_converge_to_the_kkt_point():
    """70 drawn problems: N from 1 to 59, up to 12 columns scaled by 10^U(-3, 3) (a constant or a
    duplicated column at times), 2 to 4 classes, every binary family, weights, with and without
    an intercept, C from 10^-3 to 10^4, l1_ratio 1, 0.5 or 0.1: each converges within 200
    iterations to the KKT conditions, or is a ValueError (e.g. one class). (Nearly separable
    multinomial data at C = 4597, draw 62, once took over 200 iterations: sign-held Newton steps
    on the support zigzagged with coordinate descent until they could cross signs.)"""
    rng = np.random.default_rng(5)
    fitted = 0
    for _ in range(70):
        N, d, K = int(rng.integers(1, 60)), int(rng.integers(1, 12)), int(rng.integers(2, 5))
        X = rng.normal(size=(N, d)) * 10.0 ** rng.uniform(-3, 3, size=d)
        if rng.random() < 0.3:
            X[:, 0] = 1.0
        if rng.random() < 0.3 and d > 1:
            X[:, 1] = X[:, 0]
        y = rng.integers(0, K, size=N)
        w = rng.uniform(0, 3, size=N) if rng.random() < 0.5 else None
        family = str(rng.choice(["logit", "probit", "cloglog"])) if K == 2 else "logit"
        model = GLMClassifier(family=family, C=10.0 ** rng.uniform(-3, 4), l1_ratio=float(rng.choice([1.0, 0.5, 0.1])),
                              tol=1e-8, max_iter=200, fit_intercept=bool(rng.random() < 0.8))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # a non-convex family's note
                model.fit(X, y, sample_weight=w)
        except ValueError:
            continue
        fitted += 1
        objective = smooth_objective(model, X, y, w)
        assert model.converged_ and kkt_violation(objective, fitted_theta(objective, model)) <= 1e-6
    assert fitted >= 45


# ---- paths ------------------------------------------------------------------------------------------
def test_largest_penalty_zeros_every_coefficient_and_no_weaker_one_does():
    """C_max (binary: scikit-learn's l1_min_c on centred columns; multinomial; weighted) and
    alpha_max (Poisson): at 0.999 C_max (1.001 alpha_max) every coefficient is 0, at 1.001 C_max
    (0.999 alpha_max) one is not."""
    from sklearn.svm import l1_min_c

    from symlogit.path import largest_penalty

    X, y = standardised("breast_cancer")
    C_max = largest_penalty(LogisticRegression(l1_ratio=1.0), X, y)
    assert C_max == pytest.approx(l1_min_c(X, y, loss="log"), rel=1e-12)
    Xw, yw = standardised("wine")
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(yw))
    for make, X_, y_, w in ((lambda C: LogisticRegression(C=C, l1_ratio=1.0), X, y, None),
                            (lambda C: LogisticRegression(C=C, l1_ratio=0.5), Xw, yw, weights)):
        C_max = largest_penalty(make(1.0), X_, y_, sample_weight=w)
        assert not make(0.999 * C_max).fit(X_, y_, sample_weight=w).coef_.any()
        assert make(1.001 * C_max).fit(X_, y_, sample_weight=w).coef_.any()
    rng = np.random.default_rng(3)
    Xp = rng.normal(size=(300, 6))
    yp = rng.poisson(np.exp(0.3 + 0.5 * Xp[:, 0]))
    alpha_max = largest_penalty(GLMRegressor(l1_ratio=0.7), Xp, yp)
    assert not GLMRegressor(alpha=1.001 * alpha_max, l1_ratio=0.7).fit(Xp, yp).coef_.any()
    assert GLMRegressor(alpha=0.999 * alpha_max, l1_ratio=0.7).fit(Xp, yp).coef_.any()


@pytest.mark.parametrize("seed", range(6))
def test_at_exactly_the_largest_penalty_every_coefficient_is_exactly_0(seed):
    """User trial: a weighted 3-class L1 fit at C = C_max itself kept one coefficient at ~1e-11..1e-9
    (here seeds 0 and 3 did, -6.6e-11 and 2.8e-17): the last proximal Newton step's model left it
    there, within tol. At C_max the optimum is all zeros (scikit-learn's and glum's fits end
    there); at 1.01 C_max one coefficient is not 0, and both fits meet the KKT conditions."""
    from symlogit.path import largest_penalty

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 6)) * rng.uniform(0.5, 5, 6) + rng.normal(size=6)
    y, w = rng.integers(0, 3, 300), rng.uniform(0.2, 3, 300)
    C_max = largest_penalty(LogisticRegression(l1_ratio=1.0), X, y, sample_weight=w)
    at = LogisticRegression(C=C_max, l1_ratio=1.0).fit(X, y, sample_weight=w)
    above = LogisticRegression(C=1.01 * C_max, l1_ratio=1.0).fit(X, y, sample_weight=w)
    assert np.count_nonzero(at.coef_) == 0, at.coef_
    assert np.count_nonzero(above.coef_) > 0
    for model in (at, above):
        objective = smooth_objective(model, X, y, w)
        assert kkt_violation(objective, fitted_theta(objective, model)) <= model.tol


def test_path_equals_cold_fits_with_fewer_iterations():
    """Each point of a warm-started path is the cold fit's optimum (objective to 1e-12 relative,
    the same zeros), in fewer iterations all told."""
    from symlogit.path import regularization_path

    X, y = standardised("wine")
    estimator = LogisticRegression(l1_ratio=1.0, tol=1e-10)
    path = regularization_path(estimator, X, y, 8)
    assert path.converged.all() and np.all(np.diff(path.strengths) > 0)
    assert not path.coefs[0].any() and path.coefs[-1].any()
    cold_iterations = 0
    for C, coef, intercept in zip(path.strengths, path.coefs, path.intercepts):
        cold = LogisticRegression(C=C, l1_ratio=1.0, tol=1e-10).fit(X, y)
        cold_iterations += cold.n_iter_[0]
        warm = SimpleNamespace(coef_=coef, intercept_=intercept, fit_intercept=True)
        objective = smooth_objective(cold, X, y)
        F_cold, F_path = (full_objective(objective, fitted_theta(objective, m)) for m in (cold, warm))
        assert F_path == pytest.approx(F_cold, rel=1e-12)
        # coefficients: to 1e-5 (near separation the optimum is flat: at C = 144 the cold fit stops at
        # stationarity 3.6e-11 <= tol, 3.4e-6 from the path's point, F equal to 4e-14 relative)
        assert np.abs(cold.coef_ - coef).max() < 1e-5 and np.array_equal(cold.coef_ == 0, coef == 0)
    assert path.n_iter.sum() < cold_iterations
    rng = np.random.default_rng(3)
    Xp = rng.normal(size=(300, 6))
    yp = rng.poisson(np.exp(0.3 + 0.5 * Xp[:, 0]))
    poisson = regularization_path(GLMRegressor(l1_ratio=1.0, tol=1e-10), Xp, yp, [0.001, 0.1, 0.01])
    assert np.array_equal(poisson.strengths, [0.1, 0.01, 0.001]) and poisson.coefs.shape == (3, 6)
    # alpha = 0 ends the grid unpenalised: auto's solver there takes no strong rule
    unpenalised = regularization_path(GLMRegressor(l1_ratio=1.0, tol=1e-10), Xp, yp, [0.1, 0.01, 0.0])
    np.testing.assert_allclose(unpenalised.coefs[-1], GLMRegressor(alpha=0.0, tol=1e-10).fit(Xp, yp).coef_,
                               rtol=1e-8)


@pytest.mark.parametrize("estimator, strengths, message", [
    (LogisticRegression(), 5, "needs an L1 term"),
    (LogisticRegression(l1_ratio=1.0, penalty="l2"), 5, "needs penalty 'auto'"),
    (LogisticRegression(l1_ratio=1.0), 1, "a count >= 2"),
    (LogisticRegression(l1_ratio=1.0), [], "non-empty list"),
    (LogisticRegression(l1_ratio=1.0), [1.0, -1.0], "values of C > 0"),
    (GLMRegressor(l1_ratio=1.0), [0.1, -1.0], "values of alpha >= 0"),
    (LogisticRegression(l1_ratio=1.0, solver_options="fast"), [0.1, 1.0], "solver_options must be a dict"),
    (LogisticRegression(l1_ratio=1.0), {"strong_rules": "yes"}, "strong_rules must be True or False"),
], ids=["l2", "penalty", "count", "empty", "negative", "alpha-negative", "solver-options", "strong-rules"])
def test_path_bad_input(estimator, strengths, message):
    from symlogit.path import regularization_path

    X, y = standardised("breast_cancer")
    keywords = strengths if isinstance(strengths, dict) else {"strengths": strengths}
    with pytest.raises(ValueError, match=message):
        regularization_path(estimator, X, y.astype(float) if isinstance(estimator, GLMRegressor) else y, **keywords)


# ---- strong rules ----------------------------------------------------------------------------------
def wide_problem(classes, n=200, d=600, seed=7):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    beta = np.zeros(d)
    beta[:8] = rng.normal(scale=2.0, size=8)
    if classes == 2:
        return X, (X @ beta + rng.logistic(size=n) > 0).astype(int)
    scores = np.column_stack([X @ beta, X @ np.roll(beta, 4), np.zeros(n)])
    return X, np.argmax(scores + rng.gumbel(size=(n, 3)), axis=1)


@pytest.fixture
def screening_rounds(monkeypatch):
    """Each screened solve's ``screening_`` (columns solved over, violators added per round)."""
    rounds = []
    original = ProximalNewton._screened

    def recording(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        rounds.append(list(self.screening_))
        return result

    monkeypatch.setattr(ProximalNewton, "_screened", recording)
    return rounds


@pytest.mark.parametrize("classes, l1_ratio", [(2, 1.0), (2, 0.5), (3, 1.0)], ids=["binary-l1", "binary-enet",
                                                                                    "multinomial-l1"])
def test_strong_rules_give_the_same_path_over_few_columns(classes, l1_ratio, screening_rounds):
    """N = 200, d = 600, 8 penalties from the largest down to 1/5 of it: the path screened by
    the sequential strong rule equals the unscreened one (coefficients to 1e-8, the same zeros),
    and every solve after the first runs over at most half the 600 columns (the first over
    fewer than 20)."""
    from symlogit.path import largest_penalty, regularization_path

    X, y = wide_problem(classes)
    estimator = LogisticRegression(l1_ratio=l1_ratio, tol=1e-10)
    grid = largest_penalty(estimator, X, y) * np.geomspace(1.0, 5.0, 8)
    plain = regularization_path(estimator, X, y, grid, strong_rules=False)
    assert not screening_rounds
    screened = regularization_path(estimator, X, y, grid)
    assert screened.converged.all() and plain.converged.all()
    assert np.abs(screened.coefs - plain.coefs).max() < 1e-8
    assert np.abs(screened.intercepts - plain.intercepts).max() < 1e-8
    assert np.array_equal(screened.coefs == 0, plain.coefs == 0) and screened.coefs[-1].any()
    assert len(screening_rounds) == 7  # every fit after the first
    sizes = [rounds[-1][0] if rounds else 600 for rounds in screening_rounds]
    assert max(sizes) <= 300 and sizes[0] < 20, sizes  # ≤ 300: screened (else the plain solve)


def test_kkt_check_catches_features_a_too_aggressive_screen_discards():
    """strong_rule = 0 keeps only |∇_j f| ≥ 2λ₁ at the start (the rule's λ₁(2 − ρ)), which
    discards features that belong to the optimum (λ₁ < |∇_j f| < 2λ₁ among them): the KKT check
    over every feature finds them, the solve is repeated with them, and the result is the
    unscreened optimum."""
    X, y = wide_problem(2)
    family = estimator_family("logit", True)
    lam = 1.0 / (0.05 * len(y))
    objective = Objective(X, y.astype(float), np.ones(len(y)), family, True, 0.0, l1_strength=lam)
    start = np.zeros(objective.n_params)
    plain = ProximalNewton().minimize(objective, start, 1e-10, 100)
    solver = ProximalNewton(strong_rule=0.0)
    screened = solver.minimize(objective, start, 1e-10, 100)
    first, added = solver.screening_[0]
    support = np.flatnonzero(plain.theta[1:])
    assert first < support.size  # the screen kept fewer columns than the optimum uses
    assert len(solver.screening_) > 1 and added > 0
    assert solver.screening_[-1][1] == 0
    assert screened.converged and kkt_violation(objective, screened.theta) <= 1e-9
    assert np.abs(screened.theta - plain.theta).max() < 1e-8
    # the history's last stationarity is over every parameter, not the last screened solve's alone
    stationarity = L1Penalty.of(objective).stationarity(screened.theta, objective.value_grad(screened.theta)[1])
    assert screened.history[-1].grad_max == pytest.approx(stationarity, rel=1e-12, abs=1e-18)


def test_strong_rule_option_is_checked():
    with pytest.raises(ValueError, match="strong_rule must be a number >= 0"):
        ProximalNewton(strong_rule=-1.0)
    with pytest.raises(ValueError, match="strong_rule must be a number >= 0"):
        LogisticRegression(l1_ratio=1.0, solver_options={"strong_rule": "yes"}).fit(*standardised("iris"))


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_an_empty_strong_set_still_reaches_the_optimum(fit_intercept):
    """λ₁ = 0.75 max_j |∇_j f(0)| with strong_rule = 0 keeps no column (|∇_j f| < 2λ₁ for all):
    the first solve is over the intercept alone (or nothing), and the KKT check brings in the
    columns of the optimum."""
    X, y = standardised("breast_cancer")
    family = estimator_family("logit", True)

    def objective(l1):
        return Objective(X, y.astype(float), np.ones(len(y)), family, fit_intercept, 0.0, l1_strength=l1)

    start = np.zeros(objective(0.0).n_params)
    columns = objective(0.0).parameter_columns()
    lam = 0.75 * np.abs(objective(0.0).value_grad(start)[1][columns >= 0]).max()
    plain = ProximalNewton().minimize(objective(lam), start, 1e-10, 100)
    solver = ProximalNewton(strong_rule=0.0)
    screened = solver.minimize(objective(lam), start, 1e-10, 100)
    assert solver.screening_[0][0] == 0 and solver.screening_[-1][1] == 0 and len(solver.screening_) > 1
    assert screened.converged and np.abs(screened.theta - plain.theta).max() < 1e-8
    assert np.count_nonzero(screened.theta[columns >= 0]) > 0


def correlated_problem(n=400, d=120, rho=0.9, seed=0):
    """X with AR(1) columns (corr(x_j, x_k) = rho^|j-k|), y from 6 of them: at θ = 0 most
    columns break the optimality condition, few are nonzero at the optimum."""
    rng = np.random.default_rng(seed)
    X = np.empty((n, d))
    X[:, 0] = rng.normal(size=n)
    for j in range(1, d):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho * rho) * rng.normal(size=n)
    beta = np.zeros(d)
    beta[np.linspace(0, d - 1, 6).astype(int)] = [1.5, -1.5, 1.5, -1.5, 1.5, -1.5]
    return X, (X @ beta + rng.logistic(size=n) > 0).astype(int)


@pytest.mark.parametrize("minimum", [3, 20])
def test_working_set_takes_the_largest_violators_up_to_its_cap(minimum, monkeypatch):
    """On correlated columns (most violate at 0): W holds the intercept, the nonzero entries and
    at most max(working_set_min, 2·nonzero) violators, the ones of largest |∇_j f|; the result is
    the uncapped solve's optimum (working_set_min=None: every violator in W)."""
    X, y = correlated_problem()
    family = estimator_family("logit", True)
    objective = Objective(X, y.astype(float), np.ones(len(y)), family, True, 0.0, l1_strength=0.02)
    penalty = L1Penalty.of(objective)
    checked = []
    original = ProximalNewton.working_set

    def recording(self, theta, grad, penalty_):
        work = original(self, theta, grad, penalty_)
        violating = penalty.penalised & (theta == 0) & (np.abs(grad) > penalty.strength)
        taken = np.intersect1d(work, np.flatnonzero(violating))
        room = np.inf if self.working_set_min is None else max(
            self.working_set_min, 2 * np.count_nonzero(theta[penalty.penalised]))
        assert np.all(np.isin(np.flatnonzero(~penalty.penalised | (theta != 0)), work))
        assert taken.size == min(room, violating.sum())
        left = np.setdiff1d(np.flatnonzero(violating), taken)
        if left.size:  # those left out are the smaller violators
            assert np.abs(grad[left]).max() <= np.abs(grad[taken]).min()
        checked.append((self.working_set_min, int(violating.sum()), taken.size))
        return work

    monkeypatch.setattr(ProximalNewton, "working_set", recording)
    start = np.zeros(objective.n_params)
    capped = ProximalNewton(working_set_min=minimum).minimize(objective, start, 1e-10, 100)
    plain = ProximalNewton(working_set_min=None).minimize(objective, start, 1e-10, 100)
    assert capped.converged and plain.converged
    assert kkt_violation(objective, capped.theta) <= 1e-9
    assert np.abs(capped.theta - plain.theta).max() < 1e-7
    assert full_objective(objective, capped.theta) == pytest.approx(full_objective(objective, plain.theta), rel=1e-12)
    first_capped = next(c for c in checked if c[0] == minimum)
    assert first_capped[1] > 2 * minimum and first_capped[2] == minimum  # the cap bound at the start
    with pytest.raises(ValueError, match="working_set_min must be an integer > 0"):
        ProximalNewton(working_set_min=0)


def test_a_path_makes_one_pass_over_all_of_x_per_screened_fit(monkeypatch, screening_rounds):
    """Along a warm-started path the strong rule reads the previous fit's KKT gradient: each
    screened fit makes one pass over all of X's columns (its KKT check), not two; a gradient
    handed over wrong (X changed in place) costs KKT rounds, never the optimum."""
    from symlogit.path import largest_penalty, regularization_path

    X, y = correlated_problem()
    estimator = LogisticRegression(l1_ratio=1.0, tol=1e-10)
    grid = largest_penalty(estimator, X, y) * np.geomspace(1.5, 5.0, 6)
    passes = []
    original = Objective.value_grad

    def counting(self, theta):
        passes.append(self.X.shape[1])
        return original(self, theta)

    monkeypatch.setattr(Objective, "value_grad", counting)
    path = regularization_path(estimator, X, y, grid)
    assert path.converged.all() and len(screening_rounds) == len(grid) - 1
    along_path = passes.count(X.shape[1])
    passes.clear()
    LogisticRegression(l1_ratio=1.0, tol=1e-10, C=grid[0]).fit(X, y)
    assert along_path == passes.count(X.shape[1]) + len(grid) - 1  # the first fit's, then one each
    assert all(rounds[-1][1] == 0 for rounds in screening_rounds)

    model = LogisticRegression(l1_ratio=1.0, tol=1e-10, warm_start=True, C=grid[0]).fit(X, y)
    model._end_gradient = (model._end_gradient[0], np.zeros_like(model._end_gradient[1]))
    screening_rounds.clear()
    model.set_params(C=grid[4], solver_options={"strong_rule": float(grid[0] / grid[4])}).fit(X, y)
    assert len(screening_rounds[0]) > 1 and screening_rounds[0][0][1] > 0  # the KKT check added columns
    cold = LogisticRegression(l1_ratio=1.0, tol=1e-10, C=grid[4]).fit(X, y)
    objective = smooth_objective(cold, X, y)
    assert kkt_violation(objective, fitted_theta(objective, model)) <= 1e-9
    assert np.abs(model.coef_ - cold.coef_).max() < 1e-7


def test_a_path_still_refuses_non_finite_x():
    """The path checks X for non-finite values at its first fit (the later ones assume it)."""
    from symlogit.path import regularization_path

    X, y = correlated_problem(n=60, d=5)
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        regularization_path(LogisticRegression(l1_ratio=1.0), X, y, 3)
