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

import functools

import numpy as np
import scipy.optimize
import scipy.sparse

#: Rows of the first working set: ROWS_PER_VARIABLE per LP variable, within [FIRST_MIN,
#: SUBSAMPLE] (seeded random, of the rows of positive weight); SUBSAMPLE also caps the rows one
#: round adds. The LP's time grows with its rows (HiGHS, p = 101: 0.09 s on 1000 rows, 0.35 s on
#: 4000).
ROWS_PER_VARIABLE = 10
SUBSAMPLE = 4000
FIRST_MIN = 200
#: Per LP variable when the first rows are those a fit finds hardest to tell apart (``prefer``):
#: a 10-class fit's 45 pairs on 2x10^5 rows took 0.82 s with 10 (0.45 s with 4 or 2).
PREFERRED_ROWS_PER_VARIABLE = 4
#: A constraint value (in the scaled coordinates) beyond this violates, or leaks out of N.
FEASIBILITY = 1e-7
#: Cutting-plane rounds before the LP is solved on every row.
MAX_ROUNDS = 30
#: Rows per block of a pass over X.
CHUNK = 1 << 16
#: LP variables beyond which the null space (a dense n_vars × n_vars Gram and its eigenvectors)
#: is not formed: a working set that allows no margin then goes straight to the LP on every row
#: (exact, slower). Only a wide sparse X (``symlogit.sparse``) gets there in practice.
NULL_SPACE_MAX_VARS = 4000


def recession_direction(X, signs, weights, fit_intercept=True, threshold=1e-7, prefer=None):
    """A recession direction d (p,) of a scalar family's loss (p = d + 1 with the intercept first),
    or None when the loss has a finite minimiser (see module). signs (N,) from
    ``Family.edge_signs``: -1 (z_i ≤ 0 allowed), +1 (z_i ≥ 0), 0 (z_i = 0); weights (N,): rows of
    weight 0 take no part. X, signs and weights are numpy arrays, or dask arrays with the same row
    chunks (then the LP's rows are fetched from the cluster and each pass runs on it). prefer
    (N,), numpy only: the first working set is the rows where it is smallest, not a random
    sample (rows a fit finds hard to tell apart are the ones that rule separation out)."""
    if not bool((signs != 0)[weights > 0].any()):
        return None
    return _search(_Scalar(X.shape[1], fit_intercept), _rows(X, signs, weights), threshold, prefer)


def separating_direction(X, labels, n_classes, weights, fit_intercept=True, threshold=1e-7, scores=None):
    """A direction D (p, K) that (quasi-)completely separates hard labels (N,) in [0, K) (binary:
    (p,), the scores' direction), or None (see module); arrays as ``recession_direction``'s.

    For K > 2 the pairs of classes are tried first, each on its own rows as a binary problem (p
    variables): a separating D has a row i and class k with x̂_iᵀ(D[:, y_i] - D[:, k]) > 0 while
    every row of the two classes keeps its sign, so D[:, y_i] - D[:, k] separates that pair. No
    separable pair, no separation: K(K-1)/2 small LPs instead of one with (K-1) p variables and
    K-1 constraints per row (HiGHS took 16 s on 4000 rows of K = 10, p = 51). scores (N, K), a
    fit's x̂_iᵀB (numpy only): each pair's first working set is its rows of the smallest score
    gap |u_ia - u_ib|, the rows the fit finds hardest to tell apart."""
    if n_classes == 2:
        return recession_direction(X, (labels == 1) * 2.0 - 1.0, weights, fit_intercept, threshold)
    in_memory = not _is_dask(X)
    by_class = [np.flatnonzero((labels == k) & (weights > 0)) for k in range(n_classes)] if in_memory else None
    for a in range(n_classes):
        for b in range(a + 1, n_classes):
            if in_memory:
                if by_class[a].size == 0 or by_class[b].size == 0:
                    continue
                signs = np.zeros(labels.shape[0])
                signs[by_class[a]], signs[by_class[b]] = 1.0, -1.0
                rows = InMemoryRows(X, signs, np.sort(np.concatenate([by_class[a], by_class[b]])))
            else:
                rows = _rows(X, (labels == a) * 2.0 - 1.0, ((labels == a) | (labels == b)) & (weights > 0))
            prefer = None if scores is None else np.abs(scores[:, a] - scores[:, b])
            if _search(_Scalar(X.shape[1], fit_intercept), rows, threshold, prefer,
                       ROWS_PER_VARIABLE if prefer is None else PREFERRED_ROWS_PER_VARIABLE) is not None:
                direction = _search(_Vector(X.shape[1], n_classes, fit_intercept), _rows(X, labels, weights),
                                    threshold)
                if direction is None:
                    return None
                return np.vstack([np.zeros(X.shape[1] + fit_intercept), direction.reshape(n_classes - 1, -1)]).T
    return None


def _is_dask(X):
    return type(X).__module__.partition(".")[0] == "dask"


def _rows(X, tags, weights):
    if _is_dask(X):
        from .distributed import DaskRows

        return DaskRows(X, tags, weights)
    return InMemoryRows(X, tags, np.flatnonzero(weights > 0))


def _search(problem, rows, threshold, prefer=None, per_variable=ROWS_PER_VARIABLE):
    """The cutting-plane search of the module docstring; a direction in X's own units, or None."""
    work = rows.sample(min(max(per_variable * problem.n_vars, FIRST_MIN), SUBSAMPLE), prefer)
    for round_ in range(MAX_ROUNDS + 1):
        if round_ == MAX_ROUNDS:
            work = rows.sample(rows.count)  # the last round: the LP on every row
        X, tags = rows.take(work)
        scale = problem.scale(X)
        A_ub, A_eq = problem.constraints(X, tags, scale)
        direction = _max_margin(A_ub, A_eq, problem.n_vars, threshold)
        if work.size == rows.count:
            return None if direction is None else problem.unscaled(direction, scale)
        if direction is not None:
            off = functools.partial(problem.violations, direction=direction, scale=scale)
        elif problem.n_vars > NULL_SPACE_MAX_VARS:  # the null space's Gram would be too large
            work = rows.sample(rows.count)  # the LP on every row next
            continue
        else:
            null = _null_space(A_ub, A_eq)
            if null.shape[1] == 0:
                return None
            off = functools.partial(problem.leaks, null=null, scale=scale)
        new = rows.worst(off, work, SUBSAMPLE)
        if new.size == 0:  # (the working set's own rows hold to the LP's tolerance)
            return None if direction is None else problem.unscaled(direction, scale)
        work = np.union1d(work, new)


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


def top_offenders(off, index, limit):
    """index's entries whose off is above FEASIBILITY, the largest ``limit`` of them (sorted)."""
    new = np.flatnonzero(off > FEASIBILITY)
    return np.sort(index[new[np.argsort(-off[new])[:limit]]])


class InMemoryRows:
    """The rows of a numpy X in ``index`` (sorted), with each row's tag (sign or label)."""

    def __init__(self, X, tags, index):
        self.X, self.tags, self.index = X, tags, index
        self.count = index.size

    def sample(self, size, prefer=None):
        """``size`` of the rows (sorted): those of the smallest ``prefer``, or seeded random; or all."""
        if self.count <= size:
            return self.index
        if prefer is not None:
            return np.sort(self.index[np.argpartition(prefer[self.index], size)[:size]])
        return np.sort(np.random.default_rng(0).choice(self.index, size, replace=False))

    def take(self, rows):
        return _block(self.X, rows), self.tags[rows]

    def worst(self, off, work, limit):
        """The rows outside work with the largest off(X rows, tags) > FEASIBILITY (at most limit),
        in one pass over blocks of CHUNK rows (slices of X where the rows are contiguous)."""
        index = self.index
        if index.size and index[-1] - index[0] + 1 == index.size:
            blocks = [slice(index[0] + start, index[0] + min(start + CHUNK, index.size))
                      for start in range(0, index.size, CHUNK)]
        else:
            blocks = [index[start:start + CHUNK] for start in range(0, index.size, CHUNK)]
        values = np.concatenate([off(_block(self.X, block), self.tags[block]) for block in blocks])
        values[np.searchsorted(index, work)] = 0.0
        return top_offenders(values, index, limit)


def _block(X, rows):
    """X's rows ``rows`` (a slice or sorted indices): float64 numpy rows, or CSR rows of a sparse
    X (never made dense: the LP takes sparse constraints)."""
    if scipy.sparse.issparse(X):
        return X[rows]
    return np.asarray(X[rows], dtype=np.float64)


class _Scalar:
    """Constraints of a scalar family's rows: x̂_iᵀd signed by the rows' signs (edge rows, ≥ 0)
    or = 0 (inside the domain). Methods take a block of rows: X (m, d) and tags (m,)."""

    def __init__(self, n_features, fit_intercept):
        self.fit_intercept = fit_intercept
        self.p = self.n_vars = n_features + fit_intercept

    @staticmethod
    def scale(X):
        if scipy.sparse.issparse(X):
            largest = abs(X).max(axis=0)
            scale = np.asarray(largest.toarray() if scipy.sparse.issparse(largest) else largest).ravel()
        else:
            scale = np.max(np.abs(X), axis=0, initial=0.0)
        return np.where(scale > 0, scale, 1.0)

    def units(self, scale):
        """(p,): a scaled coordinate of the direction times this is one in X's units."""
        return 1.0 / (np.concatenate([[1.0], scale]) if self.fit_intercept else scale)

    def unscaled(self, direction, scale):
        return direction * self.units(scale)

    def design(self, X, scale):
        if scipy.sparse.issparse(X):
            X = X @ scipy.sparse.diags_array(1.0 / scale)
            return scipy.sparse.hstack([np.ones((X.shape[0], 1)), X], format="csr") if self.fit_intercept else X
        X = X / scale
        return np.hstack([np.ones((X.shape[0], 1)), X]) if self.fit_intercept else X

    def constraints(self, X, signs, scale):
        A, edge = self.design(X, scale), signs != 0
        if scipy.sparse.issparse(A):
            return scipy.sparse.diags_array(signs[edge]) @ A[edge], A[~edge]
        return A[edge] * signs[edge][:, None], A[~edge]

    def scores(self, X, directions, scale):
        """(m, r): x̂_iᵀ(scaled directions (p, r)), without forming the scaled X̂."""
        unscaled = directions * self.units(scale)[:, None]
        Z = X @ unscaled[self.fit_intercept:]
        return Z + unscaled[0] if self.fit_intercept else Z

    def violations(self, X, signs, direction, scale):
        z = self.scores(X, direction[:, None], scale)[:, 0]
        return np.where(signs != 0, np.maximum(-signs * z, 0.0), np.abs(z))

    def leaks(self, X, signs, null, scale):
        return np.abs(self.scores(X, null, scale)).max(axis=1)


class _Vector(_Scalar):
    """Constraints of hard labels of K classes: x̂_iᵀ(D[:, y_i] - D[:, k]) ≥ 0, k ≠ y_i; tags are
    the labels. D[:, 0] = 0 (margins do not change under D → D + c 1ᵀ), the other columns
    flattened class-major into the LP's (K - 1) p variables."""

    def __init__(self, n_features, n_classes, fit_intercept):
        super().__init__(n_features, fit_intercept)
        self.K = n_classes
        self.n_vars = (n_classes - 1) * self.p

    def unscaled(self, direction, scale):
        return (direction.reshape(self.K - 1, self.p) * self.units(scale)).ravel()

    def constraints(self, X, labels, scale):
        X, p, K = self.design(X, scale), self.p, self.K
        row, other = np.nonzero(np.arange(K)[None, :] != labels[:, None])  # one constraint per (row, other class)
        if scipy.sparse.issparse(X):
            return self._sparse_constraints(X, labels, row, other)
        m, cols = row.size, np.arange(p)
        own_cols = labels[row].astype(np.intp)[:, None] * p + cols  # (labels may be uint8: Targets' codes)
        other_cols = other[:, None] * p + cols
        values = X[row]
        A = scipy.sparse.csr_matrix(
            (np.concatenate([values, -values], axis=1).ravel(),
             (np.repeat(np.arange(m), 2 * p), np.concatenate([own_cols, other_cols], axis=1).ravel())),
            shape=(m, K * p))
        return A[:, p:], scipy.sparse.csr_matrix((0, self.n_vars))

    def _sparse_constraints(self, X, labels, row, other):
        """``constraints`` for a sparse design X: the same matrix from X's stored entries only."""
        p, K = self.p, self.K
        values = scipy.sparse.coo_array(X[row])
        at, cols, data = values.coords[0], values.coords[1], values.data
        A = scipy.sparse.csr_array(
            (np.concatenate([data, -data]),
             (np.concatenate([at, at]), np.concatenate([labels[row][at].astype(np.intp) * p + cols, other[at] * p + cols]))),
            shape=(row.size, K * p))
        return A[:, p:], scipy.sparse.csr_array((0, self.n_vars))

    def _margins(self, X, labels, directions, scale):
        """(m, K, r): x̂_iᵀ(D[:, y_i] - D[:, k]) for r flattened directions (n_vars, r)."""
        D = directions.reshape(self.K - 1, self.p, -1).transpose(1, 0, 2).reshape(self.p, -1)
        Z = self.scores(X, D, scale).reshape(X.shape[0], self.K - 1, -1)
        Z = np.concatenate([np.zeros((X.shape[0], 1, Z.shape[2])), Z], axis=1)
        return Z[np.arange(X.shape[0]), labels][:, None, :] - Z

    def violations(self, X, labels, direction, scale):
        return np.maximum(-self._margins(X, labels, direction[:, None], scale).min(axis=(1, 2)), 0.0)

    def leaks(self, X, labels, null, scale):
        return np.abs(self._margins(X, labels, null, scale)).max(axis=(1, 2))
