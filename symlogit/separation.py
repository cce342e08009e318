"""Detecting data whose unpenalised maximum-likelihood estimate does not exist: the loss keeps
falling as ‖B‖ → ∞ along a recession direction ((quasi-)complete separation of classes, or zero
counts that a hyperplane cuts off from the positive ones).

Scalar families (``recession_direction``). Along a direction d the scores move by
z_i = x̂_iᵀd each. Every family of the table has a convex h(·, y) bounded below exactly when y is
at an edge of its domain: at the lower edge (y = 0: h falls as u → -∞) only z_i ≤ 0 keeps row i's
term from growing, at the upper edge (y = 1 in [0, 1]) only z_i ≥ 0, and inside the domain (a
positive count, a soft target) only z_i = 0. The optimum is not attained iff some d satisfies
every row's sign condition with at least one edge row strict: then every term falls or stays,
forever. ``Family.edge_signs`` gives each row's sign (-1, +1, or 0 inside).

Vector families (``separating_direction``, hard labels): separable iff some D ≠ 0 has, for every
row i and class k ≠ y_i, x̂_iᵀ (D[:, y_i] - D[:, k]) ≥ 0, at least one strict.

Both are exact linear programmes (Konis 2007, as in R's safeBinaryRegression for the binary
case): we maximise the sum of the edge rows' margins with the direction in the box [-1, 1]
(columns of X scaled to max |x| = 1 first: feasibility does not change, the LP's conditioning
does); an optimum above ``threshold`` is a recession direction. SciPy's HiGHS solves it.

The LP is solved on a working set of rows, grown by cutting planes (``_search``), so that large
data cost an LP on SUBSAMPLE rows and a pass or two over X, not an LP on every row (HiGHS took
50 s on N = 10^6, p = 51). Fewer rows are a relaxation: every recession direction of all the
rows is feasible for the working set. So

- a direction found on the working set that every other row also satisfies is one for all rows;
  rows it violates join the working set;
- when the working set allows no margin, every recession direction of all the rows has zero
  margins on the working set: it lies in the null space N of the working set's constraints. If
  no row has a constraint value on N (a pass over X), no direction has a strict margin anywhere:
  there is none. Rows that do join the working set, and N shrinks.

Each round either returns or adds rows, so the search ends; after MAX_ROUNDS the LP runs on
every row.
"""

import numpy as np
import scipy.optimize
import scipy.sparse

#: Rows of the first working set: 10 per LP variable, within [FIRST_MIN, SUBSAMPLE] (seeded
#: random, of the rows of positive weight); SUBSAMPLE also caps the rows one round adds. The LP's
#: time grows with its rows (HiGHS, p = 101: 0.09 s on 1000 rows, 0.35 s on 4000).
SUBSAMPLE = 4000
FIRST_MIN = 200
#: A constraint value (in the scaled coordinates) beyond this violates, or leaks out of N.
FEASIBILITY = 1e-7
#: Cutting-plane rounds before the LP is solved on every row.
MAX_ROUNDS = 30
#: Rows per block of a pass over X.
CHUNK = 1 << 16


def recession_direction(X, signs, weights, fit_intercept=True, threshold=1e-7):
    """A recession direction d (p,) of a scalar family's loss (p = d + 1 with the intercept first),
    or None when the loss has a finite minimiser (see module). signs (N,) from
    ``Family.edge_signs``: -1 (z_i ≤ 0 allowed), +1 (z_i ≥ 0), 0 (z_i = 0); weights (N,): rows of
    weight 0 take no part."""
    rows = np.flatnonzero(weights > 0)
    if not np.any(signs[rows] != 0):
        return None
    return _search(_Scalar(X, signs, fit_intercept), rows, threshold)


def separating_direction(X, labels, n_classes, weights, fit_intercept=True, threshold=1e-7):
    """A direction D (p, K) that (quasi-)completely separates hard labels (N,) in [0, K) (binary:
    (p,), the scores' direction), or None (see module)."""
    if n_classes == 2:
        return recession_direction(X, np.where(labels == 1, 1.0, -1.0), weights, fit_intercept, threshold)
    direction = _search(_Vector(X, labels, n_classes, fit_intercept), np.flatnonzero(weights > 0), threshold)
    return None if direction is None else direction.reshape(n_classes, -1).T


def _search(problem, rows, threshold):
    """The cutting-plane search of the module docstring; a direction in X's own units, or None."""
    first = min(max(10 * problem.n_vars, FIRST_MIN), SUBSAMPLE)
    work = np.sort(np.random.default_rng(0).choice(rows, first, replace=False)) if rows.size > first else rows
    for _ in range(MAX_ROUNDS):
        scale = problem.scale(work)
        A_ub, A_eq = problem.constraints(work, scale)
        direction = _max_margin(A_ub, A_eq, problem.n_vars, threshold)
        if work.size == rows.size:
            return None if direction is None else problem.unscaled(direction, scale)
        if direction is not None:
            off = problem.violations(rows, direction, scale)
        else:
            null = _null_space(A_ub, A_eq)
            if null.shape[1] == 0:
                return None
            off = problem.leaks(rows, null, scale)
        off[np.searchsorted(rows, work)] = 0.0  # the working set's own rows hold to the LP's tolerance
        new = np.flatnonzero(off > FEASIBILITY)
        if new.size == 0:
            return None if direction is None else problem.unscaled(direction, scale)
        new = new[np.argsort(-off[new])[:SUBSAMPLE]]
        work = np.union1d(work, rows[new])
    return _solve_all(problem, rows, threshold)


def _solve_all(problem, rows, threshold):
    scale = problem.scale(rows)
    direction = _max_margin(*problem.constraints(rows, scale), problem.n_vars, threshold)
    return None if direction is None else problem.unscaled(direction, scale)


def _max_margin(A_ub, A_eq, n_vars, threshold):
    """argmax Σ_i (A_ub d)_i over A_ub d ≥ 0, A_eq d = 0, d in [-1, 1]^n_vars, when the maximum is
    above threshold; else None."""
    if A_ub.shape[0] == 0:
        return None
    objective = -np.asarray(A_ub.sum(axis=0)).ravel()
    equalities = {} if A_eq.shape[0] == 0 else {"A_eq": A_eq, "b_eq": np.zeros(A_eq.shape[0])}
    result = scipy.optimize.linprog(objective, A_ub=-A_ub, b_ub=np.zeros(A_ub.shape[0]), bounds=[(-1, 1)] * n_vars,
                                    method="highs", **equalities)
    return result.x if result.status == 0 and -result.fun > threshold else None


def _null_space(A_ub, A_eq):
    """An orthonormal basis (n_vars, r) of the directions on which every constraint row is 0, from
    the Gram matrix (eigenvalues at most 1e-12 of the largest)."""
    gram = (A_ub.T @ A_ub) + (A_eq.T @ A_eq)
    gram = gram.toarray() if scipy.sparse.issparse(gram) else np.asarray(gram)
    values, vectors = np.linalg.eigh(gram)
    return vectors[:, values <= 1e-12 * max(values[-1], 0.0)]


class _Scalar:
    """Rows' constraints for a scalar family: x̂_iᵀd signed by signs (edge rows, ≥ 0) or = 0."""

    def __init__(self, X, signs, fit_intercept):
        self.X, self.signs, self.fit_intercept = X, signs, fit_intercept
        self.p = self.n_vars = X.shape[1] + fit_intercept

    def design(self, rows, scale):
        X = np.asarray(self.X[rows], dtype=np.float64) / scale
        return np.hstack([np.ones((X.shape[0], 1)), X]) if self.fit_intercept else X

    def scale(self, rows):
        scale = np.max(np.abs(np.asarray(self.X[rows], dtype=np.float64)), axis=0, initial=0.0)
        return np.where(scale > 0, scale, 1.0)

    def units(self, scale):
        """(p,): a scaled coordinate of the direction times this is one in X's units."""
        return 1.0 / (np.concatenate([[1.0], scale]) if self.fit_intercept else scale)

    def unscaled(self, direction, scale):
        return direction * self.units(scale)

    def constraints(self, rows, scale):
        A, signs = self.design(rows, scale), self.signs[rows]
        edge = signs != 0
        return A[edge] * signs[edge][:, None], A[~edge]

    def scores(self, block, directions, scale):
        """x̂_iᵀ(scaled direction) for the block's rows, (m, r) for directions (p, r), without
        forming the scaled X̂ (a block of contiguous rows is a view)."""
        unscaled = directions * self.units(scale)[:, None]
        Z = np.asarray(self.X[block]) @ unscaled[self.fit_intercept:]
        return Z + unscaled[0] if self.fit_intercept else Z

    def violations(self, rows, direction, scale):
        def off(block):
            z, signs = self.scores(block, direction[:, None], scale)[:, 0], self.signs[block]
            return np.where(signs != 0, np.maximum(-signs * z, 0.0), np.abs(z))
        return _by_blocks(rows, off)

    def leaks(self, rows, null, scale):
        return _by_blocks(rows, lambda block: np.abs(self.scores(block, null, scale)).max(axis=1))


class _Vector(_Scalar):
    """Rows' constraints for hard labels of K classes: x̂_iᵀ(D[:, y_i] - D[:, k]) ≥ 0, k ≠ y_i,
    with D (p, K) flattened class-major into the LP's variables."""

    def __init__(self, X, labels, n_classes, fit_intercept):
        super().__init__(X, None, fit_intercept)
        self.labels, self.K = labels, n_classes
        self.n_vars = n_classes * self.p

    def unscaled(self, direction, scale):
        return (direction.reshape(self.K, self.p) * self.units(scale)).ravel()

    def constraints(self, rows, scale):
        X, labels, p, K = self.design(rows, scale), self.labels[rows], self.p, self.K
        row, other = np.nonzero(np.arange(K)[None, :] != labels[:, None])  # one constraint per (row, other class)
        m, cols = row.size, np.arange(p)
        own_cols = labels[row][:, None] * p + cols
        other_cols = other[:, None] * p + cols
        values = X[row]
        A = scipy.sparse.csr_matrix(
            (np.concatenate([values, -values], axis=1).ravel(),
             (np.repeat(np.arange(m), 2 * p), np.concatenate([own_cols, other_cols], axis=1).ravel())),
            shape=(m, K * p))
        return A, scipy.sparse.csr_matrix((0, K * p))

    def _margins(self, block, directions, scale):
        """(m, K, r): x̂_iᵀ(D[:, y_i] - D[:, k]) for r flattened directions (n_vars, r)."""
        D = directions.reshape(self.K, self.p, -1).transpose(1, 0, 2).reshape(self.p, -1)
        Z = self.scores(block, D, scale)
        Z = Z.reshape(Z.shape[0], self.K, -1)
        return Z[np.arange(Z.shape[0]), self.labels[block]][:, None, :] - Z

    def violations(self, rows, direction, scale):
        return _by_blocks(rows, lambda block: np.maximum(
            -self._margins(block, direction[:, None], scale).min(axis=(1, 2)), 0.0))

    def leaks(self, rows, null, scale):
        return _by_blocks(rows, lambda block: np.abs(self._margins(block, null, scale)).max(axis=(1, 2)))


def _by_blocks(rows, per_row):
    """per_row over blocks of CHUNK rows, concatenated; blocks of contiguous rows are slices (views
    of X, no copy)."""
    contiguous = rows.size and rows[-1] - rows[0] + 1 == rows.size
    blocks = ([slice(rows[0] + start, rows[0] + min(start + CHUNK, rows.size)) for start in range(0, rows.size, CHUNK)]
              if contiguous else [rows[start:start + CHUNK] for start in range(0, rows.size, CHUNK)])
    return np.concatenate([per_row(block) for block in blocks])
