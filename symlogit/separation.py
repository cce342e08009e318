"""Detecting (quasi-)complete separation, where the unpenalised maximum-likelihood estimate
does not exist (the loss keeps falling as ‖B‖ → ∞ along a separating direction).

The test is exact, a linear programme (Konis 2007, as in R's safeBinaryRegression): the hard
labels are separable iff some direction D ≠ 0 has, for every row i with weight > 0 and every
class k ≠ y_i,
    x̂_iᵀ (D[:, y_i] - D[:, k]) ≥ 0
with at least one inequality strict. We maximise the sum of these margins with D in the box
[-1, 1] (columns of X scaled to max |x| = 1 first: feasibility does not change, the LP's
conditioning does); an optimum above ``threshold`` is a separating direction. SciPy's HiGHS
solves it. It is only run when the fit itself looks separated (``looks_separated``), so a
normal fit never pays for it.
"""

import numpy as np
import scipy.optimize
import scipy.sparse


def looks_separated(probabilities, labels, weights, threshold=1e-8):
    """Cheap trigger: some row with positive weight is fitted to within ``threshold`` of its own
    label (its probability of every other class is below threshold). probabilities: (N, K),
    or (N,) of class 1 for two classes."""
    if probabilities.ndim == 1:
        others = np.where(labels == 1, 1.0 - probabilities, probabilities)
    else:
        others = 1.0 - probabilities[np.arange(labels.shape[0]), labels]
    return bool(np.any(others[weights > 0] < threshold))


def is_separable(X, labels, n_classes, weights, fit_intercept=True, threshold=1e-7):
    """True when hard labels (N,) in [0, K) are (quasi-)completely separable by X̂ (see module)."""
    rows = weights > 0
    X, labels = np.asarray(X, dtype=np.float64)[rows], labels[rows]
    scale = np.max(np.abs(X), axis=0, initial=0.0)
    X = X / np.where(scale > 0, scale, 1.0)
    if fit_intercept:
        X = np.hstack([np.ones((X.shape[0], 1)), X])
    n, p = X.shape
    if n_classes == 2:
        # one direction d: s_i x̂_iᵀd ≥ 0 with s_i = ±1
        A = X * np.where(labels == 1, 1.0, -1.0)[:, None]
        n_vars = p
    else:
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
        n_vars = n_classes * p
    objective = -np.asarray(A.sum(axis=0)).ravel()
    result = scipy.optimize.linprog(objective, A_ub=-A, b_ub=np.zeros(A.shape[0]), bounds=[(-1, 1)] * n_vars,
                                    method="highs")
    return bool(result.status == 0 and -result.fun > threshold)
