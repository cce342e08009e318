"""Solvers: convergence, ill-conditioning, the Newton fallback, Armijo's reuse of X·d, SGD."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.exceptions import ConvergenceWarning

from symlogit import LogisticRegression
from symlogit.solvers import Objective, choose_solver, make_solver, newton_affordable
from symlogit.solvers.newton import newton_direction
from symlogit.solvers.search import Armijo, Schedule

FIRST_ORDER = ("gd", "sgd")
from symlogit.family import get_family


def _objective(X, targets, weights, classes, intercept, l2):
    """The logit family's objective for K classes (softmax for K > 2)."""
    return Objective(X, targets, weights, get_family("logit").for_classes(classes), intercept, l2, classes)


def ill_conditioned(n=2000, d=6, seed=0):
    """Correlated features (one shared factor) scaled from 1e-2 to 1e3."""
    rng = np.random.default_rng(seed)
    X = 0.9 * rng.normal(size=(n, 1)) + 0.45 * rng.normal(size=(n, d))
    y = rng.random(n) < 1 / (1 + np.exp(-(X @ rng.normal(size=d))))
    return X * np.logspace(-2, 3, d), y


def fit_quietly(X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return LogisticRegression(**params).fit(X, y)


@pytest.mark.parametrize("penalty", ["l2", None])
def test_newton_converges_on_ill_conditioned_data_where_first_order_solvers_stall(penalty):
    X, y = ill_conditioned()
    newton = fit_quietly(X, y, solver="newton", tol=1e-10, penalty=penalty)
    assert newton.converged_ and newton.history_["grad_max"][-1] <= 1e-10
    best = newton.history_["loss"][-1]
    for solver in ("newton-cg", "tron", "lbfgs", "gd", "sgd"):
        model = fit_quietly(X, y, solver=solver, tol=1e-10, penalty=penalty, max_iter=300 if solver != "sgd" else 30,
                            random_state=0)
        if solver in FIRST_ORDER:
            assert not model.converged_, solver
            assert model.history_["grad_max"][-1] > 1e-3, solver
        if model.converged_:
            assert abs(model.history_["loss"][-1] - best) <= 1e-8 * abs(best), solver


@pytest.mark.parametrize("solver,max_iter,rtol", [("newton", 50, 1e-12), ("newton-cg", 100, 1e-10), ("tron", 100, 1e-9),
                                                  ("lbfgs", 500, 4e-9), ("gd", 5000, 1e-7), ("sgd", 60, 1e-2)])
@pytest.mark.parametrize("classes", [2, 4])
def test_every_solver_reaches_newtons_objective_on_a_well_scaled_problem(solver, max_iter, rtol, classes):
    rng = np.random.default_rng(classes)
    X = rng.normal(size=(600, 5))
    y = (X @ rng.normal(size=(5, classes)) + rng.gumbel(size=(600, classes))).argmax(axis=1)
    reference = fit_quietly(X, y, solver="newton", tol=1e-12)
    model = fit_quietly(X, y, solver=solver, tol=1e-8, max_iter=max_iter, random_state=0)
    assert model.history_["loss"][-1] == pytest.approx(reference.history_["loss"][-1], rel=rtol)
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=50 * rtol)


def test_unpenalised_multinomial_pins_the_reference_class_and_reports_centred_coefficients():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 3))
    y = (X @ rng.normal(size=(3, 3)) + rng.gumbel(size=(400, 3))).argmax(axis=1)
    objective = _objective(X, np.eye(3)[y], np.ones(400), 3, True, 0.0)
    assert objective.n_params == 4 * 2  # (d+1)(K-1): the singular directions of claim C1 removed
    model = LogisticRegression(penalty=None, solver="newton", tol=1e-10).fit(X, y)
    assert model.converged_
    np.testing.assert_allclose(model.coef_.sum(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(model.intercept_.sum(), 0, atol=1e-12)


def test_newton_direction_falls_back_to_damping_when_cholesky_fails():
    g = np.array([1.0, -2.0, 0.5])
    singular = np.outer([1.0, 1.0, 0.0], [1.0, 1.0, 0.0])
    d, mu = newton_direction(singular, g)
    assert mu > 0 and np.dot(g, d) < 0
    indefinite = np.diag([1.0, -1.0, 2.0])
    d, mu = newton_direction(indefinite, g)
    assert mu > 1.0 and np.dot(g, d) < 0
    d, mu = newton_direction(np.eye(3) * 2, g)
    assert mu == 0 and np.allclose(d, -g / 2)


def test_newton_converges_with_a_duplicated_column_singular_hessian():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 2))
    X = np.column_stack([X, X[:, 0]])
    y = rng.random(300) < 1 / (1 + np.exp(-X[:, 0]))
    model = fit_quietly(X, y, penalty=None, solver="newton", tol=1e-9)
    assert model.converged_
    reference = fit_quietly(X[:, :2], y, penalty=None, solver="newton", tol=1e-12)
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X[:, :2]), atol=1e-8)


class CountingObjective(Objective):
    """Counts passes over X by kind."""

    def __init__(self, *args):
        super().__init__(*args)
        self.calls = {"scores": 0, "value": 0, "value_grad": 0, "value_from_scores": 0}

    def scores(self, theta):
        self.calls["scores"] += 1
        return super().scores(theta)

    def direction_scores(self, d):
        self.calls["scores"] += 1
        return super().direction_scores(d)

    def value(self, theta):
        self.calls["value"] += 1
        return super().value(theta)

    def value_from_scores(self, U, theta):
        self.calls["value_from_scores"] += 1
        return super().value_from_scores(U, theta)


def test_armijo_reuses_x_times_direction():
    """One pass over X (X̂d) per line search, however many trial steps: trials use U + t X̂d."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 3)) * 10
    y = (rng.random(200) < 0.5).astype(float)
    objective = CountingObjective(X, y, np.ones(200), get_family("logit"), True, 0.0)
    theta = np.zeros(4)
    U = objective.scores(theta)
    f0, g = objective.value_grad(theta)
    objective.calls.update(scores=0, value_from_scores=0)
    t, theta_t, U_t, f_t = Armijo()(objective, theta, U, f0, -np.dot(g, g), -g, t0=1e3)
    assert t < 1e3  # it did backtrack
    assert objective.calls["scores"] == 1 and objective.calls["value"] == 0
    assert objective.calls["value_from_scores"] > 1
    assert f_t == pytest.approx(objective.value(theta_t), rel=1e-13)
    np.testing.assert_allclose(U_t, objective.scores(theta_t), atol=1e-9)


def test_sgd_is_reproducible_with_a_seed_and_offers_batch_size_one():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(300, 3))
    y = rng.random(300) < 1 / (1 + np.exp(-X @ [1.0, -1.0, 0.5]))
    fits = [fit_quietly(X, y, solver="sgd", random_state=seed, max_iter=5,
                        solver_options={"batch_size": 1, "learning_rate": rate})
            for seed, rate in ((0, "invscaling"), (0, "invscaling"), (1, "invscaling"), (0, "constant"))]
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)
    assert not np.array_equal(fits[0].coef_, fits[2].coef_)
    assert not np.array_equal(fits[0].coef_, fits[3].coef_)
    newton = fit_quietly(X, y, solver="newton").coef_
    longer = fit_quietly(X, y, solver="sgd", random_state=0, max_iter=50, solver_options={"batch_size": 1}).coef_
    assert np.abs(longer - newton).max() < np.abs(fits[0].coef_ - newton).max() < 0.5


def test_sgd_averaging_reduces_the_final_gradient():
    X, y = ill_conditioned(d=3)
    X = X / X.std(axis=0)
    plain = fit_quietly(X, y, solver="sgd", random_state=0, max_iter=10, solver_options={"average": False})
    averaged = fit_quietly(X, y, solver="sgd", random_state=0, max_iter=10, solver_options={"average": True})
    assert averaged.history_["grad_max"][-1] < plain.history_["grad_max"][-1]


@pytest.mark.parametrize("build,message", [
    (lambda: Armijo(c=1.5), "Armijo c must be a float in (0, 1), got 1.5"),
    (lambda: Armijo(shrink=1), "Armijo shrink must be a float in (0, 1), got 1"),
    (lambda: Schedule("adaptive"), "learning_rate must be one of ('constant', 'invscaling'), got 'adaptive'"),
    (lambda: Schedule("constant", eta0=-1.0), "eta0 must be a number > 0, got -1.0"),
    (lambda: make_solver("sgd", {"average": 1}), "average must be True or False, got 1"),
    (lambda: make_solver("newton-cg", {"max_cg": 2.5}), "max_cg must be an integer > 0, got 2.5"),
    (lambda: make_solver("lbfgs", {"memory": 0}), "memory must be an integer > 0, got 0"),
    (lambda: make_solver("newton", {"hessian_rows": 0}), 'hessian_rows must be "auto", None (all rows) or a positive'),
    (lambda: make_solver("newton-cg", {"hessian_rows": "half"}), "hessian_rows must be"),
    (lambda: make_solver("newton-cg", {"precondition": 1}), "precondition must be True or False, got 1"),
    (lambda: make_solver("trust-region"), "solver must be one of auto, newton"),
])
def test_solver_options_are_checked_when_built(build, message):
    with pytest.raises(ValueError) as info:
        build()
    assert message in str(info.value)


def test_auto_rule():
    assert choose_solver(10**6, 61) == "newton"      # p small: the Hessian is cheap
    assert choose_solver(10**6, 101) == "newton"     # B1: the sampled Hessian's 200 p rows: m p² = 2e8
    assert choose_solver(2 * 10**6, 105) == "newton"  # 6 classes of 20 features: m p² = 2.3e8
    assert choose_solver(2 * 10**5, 459) == "lbfgs"  # M1: m p² = 1.9e10
    assert choose_solver(60_000, 500) == "lbfgs"     # N p² = 1.5e10 (too few rows to sample)
    assert choose_solver(1797, 585) == "lbfgs"       # digits: N p² = 6e8, N p = 1e6 (lbfgs + newton: 0.55x)
    assert choose_solver(569, 31) == "newton"        # breast_cancer: N p² = 5.5e5, about a millisecond
    assert choose_solver(10_000, 99) == "lbfgs"      # N p² = 1e8: lbfgs 0.023 s, newton 0.134 s
    assert choose_solver(10, 8000) == "lbfgs"        # a Hessian too large to hold
    assert newton_affordable(1000, 4509) and not newton_affordable(100_000, 4509)  # m p² = 2e10, 2e12
    assert not newton_affordable(10, 8000)


@pytest.mark.parametrize("newton_affordable", [True, False])
def test_auto_finishes_a_stalled_lbfgs_with_newton(monkeypatch, newton_affordable):
    """Where auto's L-BFGS stops above tol (its relative decrease reaches rounding first), Newton
    finishes from its last point, or Newton-CG where a Newton iteration is not affordable (p in
    the thousands); the history runs on from L-BFGS's."""
    import symlogit.estimator
    from symlogit import LogisticRegression
    from symlogit.solvers.lbfgs import LBFGS

    stalled = LBFGS.minimize

    def three_iterations(self, objective, theta, tol, max_iter, callback=None, stop=None):
        return stalled(self, objective, theta, tol, 3, callback, stop)

    monkeypatch.setattr(symlogit.estimator, "choose_solver", lambda n, p, per_row=None, **_: "lbfgs")
    monkeypatch.setattr(LBFGS, "minimize", three_iterations)
    monkeypatch.setattr(symlogit.estimator, "newton_affordable", lambda n, p, per_row=None: newton_affordable)
    X, y = load_wine(return_X_y=True)
    model = LogisticRegression(tol=1e-8).fit(X, y)
    reference = LogisticRegression(solver="newton", tol=1e-10).fit(X, y)
    finisher = "newton" if newton_affordable else "newton-cg"
    assert model.solver_ == f"lbfgs+{finisher}" and model.converged_ and model.n_iter_[0] > 3
    np.testing.assert_array_equal(model.history_["iteration"], np.arange(model.n_iter_[0] + 1))
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-6, atol=1e-8)
    assert LogisticRegression(solver="lbfgs", tol=1e-8).fit(X, y).solver_ == "lbfgs"  # asked for: not finished


@pytest.mark.parametrize("classes,penalty", [(2, None), (3, None), (3, "l2")])
def test_whitening_maps_parameters_and_gradients_consistently(classes, penalty):
    from symlogit.solvers.whitening import Whitening

    X, y = ill_conditioned(n=500, d=4, seed=classes)
    labels = (np.digitize(X @ np.ones(4), np.quantile(X @ np.ones(4), [1 / 3, 2 / 3])) if classes == 3 else y).astype(int)
    targets = labels.astype(float) if classes == 2 else np.eye(3)[labels]
    objective = _objective(X, targets, np.ones(500), classes, True, 0.0 if penalty is None else 1e-3)
    whitening = Whitening(objective)
    rng = np.random.default_rng(0)
    z = rng.normal(size=objective.n_params)
    theta = whitening.theta(z)
    np.testing.assert_allclose(whitening.z(theta), z, rtol=1e-9, atol=1e-9)
    # the pinned entries stay pinned: coef(θ) has zeros exactly where the objective pins them
    B = objective.coef(theta)
    if classes == 3:
        assert B[0, 0] == 0 and (penalty == "l2" or np.all(B[:, 0] == 0))
    # chain rule: d/dz f(θ(z)) along a random v equals gradient(∇_θ f) · v
    v, h = rng.normal(size=z.shape), 1e-6
    _, g = objective.value_grad(theta)
    numeric = (objective.value(whitening.theta(z + h * v)) - objective.value(whitening.theta(z - h * v))) / (2 * h)
    assert numeric == pytest.approx(np.dot(whitening.gradient(g), v), rel=1e-5)


def _tf_idf(n=3000, d=1500, seed=0):
    """A small tf-idf X (CSR, every entry >= 0, rows of unit norm) of Zipf-distributed terms,
    labels from a random linear score: the non-negative columns share a large mean."""
    import scipy.sparse
    from sklearn.feature_extraction.text import TfidfTransformer

    rng = np.random.default_rng(seed)
    terms = np.minimum(rng.zipf(1.3, size=(n, 40)) - 1, d - 1)
    counts = scipy.sparse.csr_matrix((np.ones(terms.size), terms.ravel(), np.arange(0, terms.size + 1, 40)),
                                     shape=(n, d))
    counts.sum_duplicates()
    X = TfidfTransformer().fit_transform(counts).tocsr()
    u = X @ rng.normal(scale=3.0, size=d)
    return X, (u - np.median(u) + rng.logistic(size=n) > 0).astype(float)


@pytest.mark.parametrize("classes,intercept,penalty", [(2, True, 1e-3), (2, False, 1e-3), (3, True, 0.0),
                                                       (3, True, 1e-3), (3, False, 1e-3)])
def test_wide_sparse_whitening_takes_out_the_columns_mean(classes, intercept, penalty):
    """Wide sparse X gets T = C D (centring with an intercept) or D (I + α v vᵀ) (without): the
    map and its gradient stay consistent and pins stay pinned, and where the mean is handled,
    the whitened Hessian at B = 0 of tf-idf columns is near the identity (cond < 10; the
    diagonal alone leaves it above 50)."""
    from symlogit.solvers.objective import SparseObjective
    from symlogit.solvers.whitening import Whitening

    X, y = _tf_idf()
    targets = y if classes == 2 else np.eye(3)[(y + (X[:, 0].toarray().ravel() > 0)).astype(int)]
    objective = SparseObjective(X, targets, np.ones(X.shape[0]), get_family("logit").for_classes(classes),
                                intercept, penalty, classes)
    whitening = Whitening(objective)
    assert whitening.diagonal is not None
    rng = np.random.default_rng(0)
    z = 0.1 * rng.normal(size=objective.n_params)
    theta = whitening.theta(z)
    np.testing.assert_allclose(whitening.z(theta), z, rtol=1e-9, atol=1e-9)
    B = objective.coef(theta)
    if classes == 3 and intercept:
        assert B[0, 0] == 0 and (penalty > 0 or np.all(B[:, 0] == 0))
    v, h = rng.normal(size=z.shape) * 1e-3, 1e-3
    _, g = objective.value_grad(theta)
    numeric = (objective.value(whitening.theta(z + h * v)) - objective.value(whitening.theta(z - h * v))) / (2 * h)
    assert numeric == pytest.approx(np.dot(whitening.gradient(g), v), rel=1e-6)
    if classes == 2:
        _, _, H = objective.value_grad_hess(np.zeros(objective.n_params))
        T = np.column_stack([whitening.theta(e) for e in np.eye(objective.n_params)])
        eigenvalues = np.linalg.eigvalsh(T.T @ np.asarray(H) @ T)
        assert eigenvalues[-1] / eigenvalues[0] < 10
        scale = 1.0 / np.sqrt(np.diag(H))  # the diagonal alone
        eigenvalues = np.linalg.eigvalsh(scale[:, None] * np.asarray(H) * scale)
        assert eigenvalues[-1] / eigenvalues[0] > 50


def test_whitened_lbfgs_reaches_newtons_objective_on_badly_scaled_data_where_plain_lbfgs_stalls():
    X, y = ill_conditioned(n=5000, d=8)
    best = fit_quietly(X, y, solver="newton", penalty=None, tol=1e-10).history_["loss"][-1]
    whitened = fit_quietly(X, y, solver="lbfgs", penalty=None, tol=1e-10, max_iter=300)
    plain = fit_quietly(X, y, solver="lbfgs", penalty=None, tol=1e-10, max_iter=300,
                        solver_options={"whiten": False})
    assert whitened.history_["loss"][-1] - best <= 1e-10 * best
    assert whitened.n_iter_[0] < 100
    assert plain.history_["loss"][-1] - best > 1e-6 * best  # the stall whitening removes


@pytest.mark.parametrize("classes", [2, 3])
def test_objective_on_rows_estimates_the_full_curvature(classes):
    """on_rows rescales the weights to the full total: on all rows (reordered) it is the same
    objective; on a random half its Hessian is the full one up to sampling error."""
    X, y = ill_conditioned(n=4000, d=4, seed=classes)
    labels = (y if classes == 2 else np.digitize(X[:, 0], np.quantile(X[:, 0], [1 / 3, 2 / 3]))).astype(int)
    targets = labels.astype(float) if classes == 2 else np.eye(3)[labels]
    weights = np.random.default_rng(1).uniform(0.5, 2.0, size=4000)
    objective = _objective(X, targets, weights, classes, True, 1e-3)
    theta = np.random.default_rng(2).normal(size=objective.n_params) * 1e-3
    _, _, H = objective.value_grad_hess(theta)
    rows = np.random.default_rng(3).permutation(4000)
    f_all, g_all, H_all = objective.on_rows(rows).value_grad_hess(theta)
    np.testing.assert_allclose(H_all, H, rtol=1e-10, atol=1e-12 * np.abs(H).max())
    half = objective.on_rows(rows[:2000])
    assert half.total_weight == objective.total_weight and half.weights.sum() == pytest.approx(weights.sum())
    _, _, H_half = half.value_grad_hess(theta)
    # whitened by the full Hessian, the half sample's is the identity within sampling error
    L = np.linalg.cholesky(H)
    error = np.linalg.norm(np.linalg.solve(L, np.linalg.solve(L, H_half).T) - np.eye(len(H)), 2)
    assert 1e-3 < error < 0.3
    v = np.random.default_rng(4).normal(size=objective.n_params)
    np.testing.assert_allclose(half.hessp(theta, v), H_half @ v, rtol=1e-9, atol=1e-12 * np.abs(H_half @ v).max())
    assert objective.on_rows(np.array([0, 1])) is not None


def test_sampled_curvature_is_used_and_reaches_the_exact_newton_optimum():
    from symlogit.solvers.curvature import SampledCurvature, sample_size, with_sampled_curvature

    assert sample_size("auto", 10**6, 101) == 20_200
    assert sample_size("auto", 30_000, 10) is None      # the sample would be most of the rows
    assert sample_size(500, 400, 10) is None and sample_size(None, 10**6, 10) is None
    X, y = ill_conditioned(n=20_000, d=8)
    exact = fit_quietly(X, y, solver="newton", penalty=None, tol=1e-10, solver_options={"hessian_rows": None})
    for solver in ("newton", "newton-cg"):
        sampled = fit_quietly(X, y, solver=solver, penalty=None, tol=1e-10, max_iter=200,
                              solver_options={"hessian_rows": 2000})
        assert sampled.converged_, solver
        np.testing.assert_allclose(sampled.coef_, exact.coef_, rtol=1e-6, err_msg=solver)
        assert sampled.n_iter_[0] > exact.n_iter_[0]  # linear, not quadratic, convergence: the sample is in use
    objective = _objective(X, y.astype(float), np.ones(20_000), 2, True, 0.0)
    wrapped = with_sampled_curvature(objective, 2000, seed=0)
    assert isinstance(wrapped, SampledCurvature) and wrapped.sample.X.shape == (2000, 8)
    assert wrapped.value(np.zeros(9)) == objective.value(np.zeros(9))  # the value stays exact


def test_preconditioned_newton_cg_needs_a_fraction_of_the_iterations_on_badly_scaled_data():
    X, y = ill_conditioned(n=5000, d=30)
    best = fit_quietly(X, y, solver="newton", penalty=None, tol=1e-10).history_["loss"][-1]
    preconditioned = fit_quietly(X, y, solver="newton-cg", penalty=None, tol=1e-10, max_iter=100)
    plain = fit_quietly(X, y, solver="newton-cg", penalty=None, tol=1e-10, max_iter=100,
                        solver_options={"precondition": False})
    assert preconditioned.converged_ and preconditioned.history_["loss"][-1] - best <= 1e-10 * best
    assert 3 * preconditioned.n_iter_[0] < plain.n_iter_[0]  # measured: 13 against 61


def test_steihaug_cg_solves_inside_the_region_and_stops_on_its_boundary():
    """On a quadratic with H SPD: a large region gives the Newton step -H⁻¹g (residual ~0); a small
    one a step of M⁻¹-norm equal to the radius that still lowers the model; a direction of
    negative curvature runs to the boundary."""
    from symlogit.solvers.tron import steihaug_cg

    rng = np.random.default_rng(0)
    A = rng.normal(size=(8, 8))
    H, g = A @ A.T + 0.1 * np.eye(8), rng.normal(size=8)
    D = 1 / np.diag(H)  # a diagonal preconditioner M; the region is measured in sᵀM⁻¹s

    def hessp(v, out):
        out[:] = H @ v
        return out

    def precondition(v, out):
        return np.multiply(D, v, out=out)

    s, predicted, gs, norm = steihaug_cg(hessp, -g, 1e6, precondition, forcing=1e-12, max_cg=100)
    np.testing.assert_allclose(s, -np.linalg.solve(H, g), rtol=1e-8)
    assert predicted == pytest.approx(-(g @ s + 0.5 * s @ H @ s), rel=1e-10) and gs == pytest.approx(g @ s, rel=1e-10)
    assert norm == pytest.approx(np.sqrt(s @ (s / D)), rel=1e-8)
    r = -g
    s, predicted, gs, norm = steihaug_cg(hessp, r, 0.05, precondition)
    assert np.sqrt(s @ (s / D)) == pytest.approx(0.05, rel=1e-10) and norm == 0.05
    assert predicted == pytest.approx(-(g @ s + 0.5 * s @ H @ s), rel=1e-10) and predicted > 0
    assert gs == pytest.approx(g @ s, rel=1e-10)
    np.testing.assert_allclose(r, -g - H @ s, atol=1e-12)  # (r is CG's residual, in place)
    s, predicted, gs, norm = steihaug_cg(lambda v, out: np.negative(v, out=out), -g, 2.0, None)  # H = -I: at once
    assert np.linalg.norm(s) == pytest.approx(2.0) and g @ s < 0 and norm == 2.0
    assert predicted == pytest.approx(-(g @ s - 0.5 * s @ s), rel=1e-10) and gs == pytest.approx(g @ s, rel=1e-12)


def test_tron_on_wide_sparse_data_reaches_the_lbfgs_optimum():
    """The trust-region solver on CSR X with 5000 columns (diagonal preconditioner): the same
    objective as L-BFGS and Newton-CG to rounding, every step lowering f."""
    import scipy.sparse

    rng = np.random.default_rng(0)
    X = scipy.sparse.random(4000, 5000, density=0.004, random_state=0, format="csr")
    y = (X @ rng.normal(size=5000) + rng.logistic(size=4000) > 0).astype(int)
    tron = LogisticRegression(solver="tron", tol=1e-9).fit(X, y)
    lbfgs = LogisticRegression(solver="lbfgs", tol=1e-9).fit(X, y)
    assert tron.converged_ and tron.solver_ == "tron"
    assert tron.history_["loss"][-1] == pytest.approx(lbfgs.history_["loss"][-1], rel=1e-12)
    assert np.all(np.diff(tron.history_["loss"]) <= 1e-15)
    # max|∇f| <= 1e-9 with strong convexity λ = 1/(C N) = 2.5e-4 leaves each solution within
    # about 1e-9 / λ = 4e-6 of the optimum
    np.testing.assert_allclose(tron.coef_, lbfgs.coef_, atol=5e-6)


def test_axpy_adds_in_place_where_blas_cannot_write_to_the_array():
    """The penalty's gradient is added by BLAS axpy with no temporary. An array BLAS cannot take
    as it is (not aligned: a dask worker's unpickled gradient was one) is worked on as a copy by
    SciPy's wrapper; the sum must still land in the array (it was lost: the dask engine's Newton
    ran 100 iterations without the penalty's gradient and did not converge)."""
    from symlogit.solvers.base import axpy

    raw = bytearray(8 * 5 + 1)
    y = np.frombuffer(raw, dtype=np.float64, count=5, offset=1)  # writeable, not aligned
    y[:] = np.arange(5.0)
    assert not y.flags.aligned and y.flags.writeable
    out = axpy(2.0, np.ones(5), y)
    assert out is y
    np.testing.assert_array_equal(y, np.arange(5.0) + 2.0)
    z = np.arange(5.0)
    axpy(-1.0, np.ones(4), z[1:])  # a view: in place
    np.testing.assert_array_equal(z, [0.0, 0.0, 1.0, 2.0, 3.0])
