"""Detecting data whose unpenalised maximum-likelihood estimate does not exist: the loss keeps
falling as ‖B‖ → ∞ along a recession direction ((quasi-)complete separation of classes, or zero
counts that a hyperplane cuts off from the positive ones).

Scalar families (``has_recession_direction``). Along a direction d the scores move by
z_i = x̂_iᵀd each. Every family of the table has a convex h(·, y) bounded below exactly when y is
at an edge of its domain: at the lower edge (y = 0: h falls as u → -∞) only z_i ≤ 0 keeps row i's
term from growing, at the upper edge (y = 1 in [0, 1]) only z_i ≥ 0, and inside the domain (a
positive count, a soft target) only z_i = 0. The optimum is not attained iff some d satisfies
every row's sign condition with at least one edge row strict: then every term falls or stays,
forever. ``Family.edge_signs`` gives each row's sign (-1, +1, or 0 inside).

Vector families (``is_separable``, hard labels): separable iff some D ≠ 0 has, for every row i
and class k ≠ y_i, x̂_iᵀ (D[:, y_i] - D[:, k]) ≥ 0, at least one strict.

Both are exact linear programmes (Konis 2007, as in R's safeBinaryRegression for the binary
case): we maximise the sum of the edge rows' margins with the direction in the box [-1, 1]
(columns of X scaled to max |x| = 1 first: feasibility does not change, the LP's conditioning
does); an optimum above ``threshold`` is a recession direction. SciPy's HiGHS solves it. It is
only run when the fit itself looks that way (``looks_separated``), so a normal fit never pays.
"""

import numpy as np
import scipy.optimize
import scipy.sparse


#: How near its edge of the domain a fitted row must be for the exact test to run.
NEAR_EDGE = 1e-8


def looks_separated(distances, threshold=NEAR_EDGE):
    """Cheap trigger: some row with positive weight is fitted to within ``threshold`` of its own
    edge of the domain (distances: (N,) |mean - y| at edge rows and inf elsewhere, or a vector
    family's 1 - p(own class); rows of zero weight at inf)."""
    return bool(np.any(distances < threshold))


def _scaled(X, rows, fit_intercept):
    X = np.asarray(X, dtype=np.float64)[rows]
    scale = np.max(np.abs(X), axis=0, initial=0.0)
    X = X / np.where(scale > 0, scale, 1.0)
    return np.hstack([np.ones((X.shape[0], 1)), X]) if fit_intercept else X


def _has_margin(A, n_vars, threshold, A_eq=None):
    """max Σ_i (A d)_i over A d ≥ 0 (and A_eq d = 0), d in [-1, 1]^n_vars, above threshold."""
    objective = -np.asarray(A.sum(axis=0)).ravel()
    equalities = {} if A_eq is None or A_eq.shape[0] == 0 else {"A_eq": A_eq, "b_eq": np.zeros(A_eq.shape[0])}
    result = scipy.optimize.linprog(objective, A_ub=-A, b_ub=np.zeros(A.shape[0]), bounds=[(-1, 1)] * n_vars,
                                    method="highs", **equalities)
    return bool(result.status == 0 and -result.fun > threshold)


#: Rows of the subsample whose LP is solved first on larger data (see has_recession_direction).
SUBSAMPLE = 4000


def has_recession_direction(X, signs, weights, fit_intercept=True, threshold=1e-7, near_edge=None):
    """True when a scalar family's loss has no finite minimiser (see module): signs (N,) from
    ``Family.edge_signs``: -1 (z_i ≤ 0 allowed), +1 (z_i ≥ 0), 0 (z_i = 0).

    On more than SUBSAMPLE rows the LP is first solved on SUBSAMPLE of them (up to half from the
    rows fitted near their edge, ``near_edge`` (N,) bool, the rest at random; seeded). Fewer
    constraints are a relaxation, so a subsample without a recession direction rules one out for
    all the rows whenever its X̂ has full column rank (a direction whose margins are all 0 on rows
    of full rank is 0). Only data that pass go to the full LP: cloglog's light upper tail fits
    rows within 1e-8 of y = 1 at u > 2.9 in ordinary data, and HiGHS took 50 s on N = 10^6,
    p = 51 to find no direction."""
    rows = np.flatnonzero(weights > 0)
    if rows.size > SUBSAMPLE:
        rng = np.random.default_rng(0)
        near = rows[near_edge[rows]] if near_edge is not None else np.empty(0, dtype=np.int64)
        near = rng.permutation(near)[:SUBSAMPLE // 2]
        others = np.setdiff1d(rows, near, assume_unique=True)
        pick = np.concatenate([near, rng.choice(others, SUBSAMPLE - near.size, replace=False)])
        sub = _scaled(X, pick, fit_intercept)
        if np.linalg.matrix_rank(sub) == sub.shape[1] and not _edge_margin(sub, signs[pick], threshold):
            return False
    return _edge_margin(_scaled(X, rows, fit_intercept), signs[rows], threshold)


def _edge_margin(X, signs, threshold):
    edge = signs != 0
    return bool(edge.any()) and _has_margin(X[edge] * signs[edge][:, None], X.shape[1], threshold, X[~edge])


def is_separable(X, labels, n_classes, weights, fit_intercept=True, threshold=1e-7):
    """True when hard labels (N,) in [0, K) are (quasi-)completely separable by X̂ (see module)."""
    if n_classes == 2:
        return has_recession_direction(X, np.where(labels == 1, 1.0, -1.0), weights, fit_intercept, threshold)
    rows = weights > 0
    X, labels = _scaled(X, rows, fit_intercept), labels[rows]
    n, p = X.shape
    # D (p, K) flattened class-major; one constraint per (row, other class)
    others = [(i, k) for i in range(n) for k in range(n_classes) if k != labels[i]]
    idx = np.array(others, dtype=np.int64).reshape(-1, 2)
    m = idx.shape[0]
    cols = np.arange(p)
    own_cols = labels[idx[:, 0]][:, None] * p + cols
    other_cols = idx[:, 1][:, None] * p + cols
    values = X[idx[:, 0]]
    A = scipy.sparse.csr_matrix(
        (np.concatenate([values, -values], axis=1).ravel(),
         (np.repeat(np.arange(m), 2 * p), np.concatenate([own_cols, other_cols], axis=1).ravel())),
        shape=(m, n_classes * p))
    return _has_margin(A, n_classes * p, threshold)
