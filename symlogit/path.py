"""Regularisation paths for L1 and elastic-net fits: the penalty at which every coefficient is
exactly 0, and a grid of fits warm-started from there (glmnet's path: Friedman, Hastie and
Tibshirani 2010, section 2.5).

λ_max. At the intercept-only fit θ₀ (every coefficient 0, the intercepts optimal), the KKT
conditions of F = (1/W) Σ w h + λ₁‖coef‖₁ + (λ₂/2)‖coef‖² hold iff λ₁ ≥ G = max_j |∂_j L(θ₀)|
over the coefficients, L = (1/W) Σ w h (the L2 term's gradient is 0 there). With a classifier's
λ₁ = l1_ratio/(C W) that is C ≤ C_max = l1_ratio/(W G) (scikit-learn's ``l1_min_c`` for a
penalty that leaves the intercept out); with a regressor's λ₁ = alpha · l1_ratio, alpha ≥
alpha_max = G/l1_ratio.
"""

from dataclasses import dataclass

import numpy as np
from sklearn import config_context, get_config
from sklearn.base import clone, is_classifier

#: How far below the largest penalty a default grid reaches (glmnet's λ_min/λ_max for N > p).
DEFAULT_RATIO = 1e-4


def _check_l1(estimator):
    ratio = getattr(estimator, "l1_ratio", None)
    if not (isinstance(ratio, (int, float, np.number)) and 0 < ratio <= 1):
        raise ValueError(f"a regularisation path needs an L1 term: l1_ratio in (0, 1], got {ratio!r} (with "
                         "l1_ratio = 0 no finite penalty zeros every coefficient)")
    if getattr(estimator, "penalty", "auto") not in ("auto", "l1", "elasticnet"):
        raise ValueError(f"a regularisation path needs penalty 'auto' (the default), got {estimator.penalty!r}")
    return float(ratio)


def largest_penalty(estimator, X, y, sample_weight=None, offset=None):
    """The strength at which ``estimator`` (an unfitted L1 or elastic-net LogisticRegression,
    GLMClassifier or GLMRegressor) first zeros every coefficient on (X, y): C_max for a
    classifier (every C ≤ C_max gives coef_ = 0), alpha_max for a regressor (every alpha ≥
    alpha_max does). See the module docstring; one fit of the intercept-only model."""
    ratio = _check_l1(estimator)
    classifier = is_classifier(estimator)
    null = clone(estimator).set_params(**({"C": 1e-300} if classifier else {"alpha": 1e300}), warm_start=False)
    null.fit(X, y, sample_weight=sample_weight, offset=offset)
    objective, theta = null._loss_objective()
    _, grad = objective.value_grad(theta)
    columns = objective.parameter_columns()
    G = float(np.abs(grad[columns >= 0]).max(initial=0.0))
    if G == 0:
        return np.inf if classifier else 0.0
    return ratio / (objective.total_weight * G) if classifier else G / ratio


@dataclass
class Path:
    """A fitted path: ``strengths`` (n,) the C (classifiers, increasing) or alpha (regressors,
    decreasing) of each fit, from the strongest penalty to the weakest; ``coefs`` (n, *coef_.shape)
    and ``intercepts`` (n, *intercept_.shape) the fitted ``coef_`` and ``intercept_``;
    ``n_iter`` (n,) and ``converged`` (n,) each fit's."""

    strengths: np.ndarray
    coefs: np.ndarray
    intercepts: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray


def regularization_path(estimator, X, y, strengths=30, sample_weight=None, offset=None, strong_rules=True,
                        each=None):
    """Fit ``estimator`` along a grid of penalties, each fit warm-started from the previous one.
    strengths: a count n (n points on a log scale from the largest penalty, ``largest_penalty``,
    down to DEFAULT_RATIO times it: C from C_max up to C_max/1e-4, alpha from alpha_max down to
    1e-4 alpha_max; needs an L1 term), or the values themselves (C > 0, or alpha >= 0, finite;
    any l1_ratio, L2 included), fitted from the strongest penalty to the weakest. strong_rules:
    with an L1 term, screen each fit after the first by the sequential strong rule (Tibshirani
    et al. 2012; the proximal Newton solver's ``strong_rule`` option, ρ = λ_{k−1}/λ_k the ratio
    of consecutive penalties, see ``solvers.proximal_newton``), the KKT conditions over every
    feature checked after each fit: the same optima, with passes over the strong set's columns
    of X only. each: called as ``each(j, model)`` after the j-th fit (j in the order fitted),
    e.g. to score the fit on held-out rows (``symlogit.cv``). Returns a ``Path``: its
    ``strengths`` are the grid in the order fitted (C ascending, alpha descending), which need
    not be the order given; ``coefs[j]`` is the fit at ``strengths[j]``."""
    if not isinstance(strong_rules, (bool, np.bool_)):
        raise ValueError(f"strong_rules must be True or False, got {strong_rules!r}")
    classifier = is_classifier(estimator)
    key = "C" if classifier else "alpha"
    if isinstance(strengths, (int, np.integer)) and not isinstance(strengths, bool):
        _check_l1(estimator)
        if strengths < 2:
            raise ValueError(f"strengths must be a count >= 2 or a list of values of {key} > 0, got {strengths}")
        top = largest_penalty(estimator, X, y, sample_weight, offset)
        if not np.isfinite(top) or top == 0:
            raise ValueError("every coefficient is 0 at every penalty (the loss's gradient is 0 at the intercept-only "
                             "fit): there is no path to fit")
        grid = np.geomspace(1.0, 1.0 / DEFAULT_RATIO if classifier else DEFAULT_RATIO, int(strengths)) * top
    else:
        grid = np.asarray(strengths, dtype=np.float64).ravel()
        valid = np.isfinite(grid) & ((grid > 0) if classifier else (grid >= 0))
        if grid.size == 0 or not np.all(valid):
            raise ValueError(f"strengths must be a count >= 2 or a non-empty list of values of {key} "
                             f"{'> 0' if classifier else '>= 0'}, got {strengths!r}")
        grid = np.sort(grid) if classifier else np.sort(grid)[::-1]
    model = clone(estimator).set_params(warm_start=True)
    coefs, intercepts, n_iter, converged = [], [], [], []
    screen = strong_rules and bool(getattr(estimator, "l1_ratio", 0))
    for j, value in enumerate(grid):
        if screen and j > 0 and grid[j - 1] > 0 and value > 0:  # λ ∝ 1/C, or ∝ alpha
            ratio = value / grid[j - 1] if classifier else grid[j - 1] / value
            model.set_params(solver_options={**(estimator.solver_options or {}), "strong_rule": float(ratio)})
        else:  # (no L1 term at alpha = 0: the solver auto picks then takes no strong rule)
            model.set_params(solver_options=estimator.solver_options)
        # X is checked for non-finite values at the first fit; the later ones, on the same X,
        # skip that pass over it (scikit-learn's assume_finite)
        with config_context(assume_finite=j > 0 or get_config()["assume_finite"]):
            model.set_params(**{key: float(value)}).fit(X, y, sample_weight=sample_weight, offset=offset)
        coefs.append(np.array(model.coef_, copy=True))
        intercepts.append(np.array(model.intercept_, copy=True))
        n_iter.append(int(model.n_iter_[0]))
        converged.append(bool(model.converged_))
        if each is not None:
            each(j, model)
    return Path(grid, np.array(coefs), np.array(intercepts), np.array(n_iter), np.array(converged))
