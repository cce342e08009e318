"""Feature whitening for L-BFGS (and, as T Tᵀ = H0⁻¹, Newton-CG's preconditioner): the same
objective, solved in coordinates where the columns of X̂ are uncorrelated and of unit scale.

With G = X̂_sᵀ X̂_s / m, the Gram matrix of m sampled rows (X̂ = [1, X]), H0 = h'' G + λ P
(the Hessian at B = 0 of one class's coefficients: h'' = E[h''](0) of the family, P the
penalised rows) and its UL factorisation H0 = U Uᵀ (U upper triangular), we substitute

    B = T Z,    T = U⁻ᵀ (lower triangular),    so that    Tᵀ H0 T = I.

So in Z the curvature starts as the identity, whatever the scales and correlations of the
columns: badly scaled data (columns from 1e-2 to 1e3) stop stalling L-BFGS. H0 is a
preconditioner only, so a row sample is enough, and f and ∇f stay exact: ∇_Z f = Tᵀ ∇_B f.

T is lower triangular, so row 0 of B (the intercepts) depends on row 0 of Z alone: the entries
that ``Objective`` pins at 0 (the reference class's column, or its intercept) are pinned at 0
in Z as well, and θ and z have the same free entries.
"""

import numpy as np
import scipy.linalg
import scipy.sparse

from ..sparse import largest_per_column, per_column
from .base import axpy

SAMPLE_ROWS = 20_000  # the Gram matrix of d up to a few hundred columns is well estimated by then
DIAGONAL_ABOVE = 1000  # sparse X with more columns (p = d + 1): a diagonal T (see Whitening)


class Whitening:
    """Maps between θ (the objective's free parameters) and z (the same entries of Z).

    On a sparse X (``symlogit.sparse``) the sample's Gram matrix is a sparse product (the rows
    are never made dense). Wider than DIAGONAL_ABOVE columns there, T is a diagonal scaling and
    the columns' mean (``_diagonal_and_mean``), from every row (one O(nnz) pass: a row sample
    misses the rare columns of text-like data): each column has unit curvature at B = 0 and
    the columns' common mean is taken out, while their covariances stay (the p×p factor would
    cost p² memory and p² per iteration)."""

    def __init__(self, objective, sample_rows=SAMPLE_ROWS, seed=0):
        X = objective.X
        self.objective = objective
        self.diagonal = self.centre = self.rank_one = None
        if scipy.sparse.issparse(X) and X.shape[1] + objective.fit_intercept > DIAGONAL_ABOVE:
            self._diagonal_and_mean(objective)
            return
        n = X.shape[0]
        rows = np.sort(np.random.default_rng(seed).choice(n, size=min(n, sample_rows), replace=False))
        # The Hessian at B = 0, per class: h'' G + λ on the penalised rows, h'' = E[h''](0) from
        # the family (1/4 for logit, p(1 - p) = (K - 1)/K² for softmax). The penalty matters where
        # G is singular (constant columns, such as digits' blank pixels): it keeps those
        # directions at unit curvature in Z instead of λ / ridge.
        # H0 = D H0' D with D = diag(max(1, max |column|)), so entries up to 1e300 do not overflow the
        # Gram matrix; its factor is D U', so T = D⁻¹ T'.
        gram, scale = _scaled_sample_gram(X, rows, objective.fit_intercept)
        curvature = objective.family.hessian_at_zero(objective.n_classes or 2)
        H0 = curvature * gram / max(len(rows), 1)
        H0[np.diag_indices_from(H0)] += objective.l2 / scale / scale
        if objective.fit_intercept:
            H0[0, 0] -= objective.l2 / scale[0] / scale[0]  # the intercept is not penalised
        self.T = _inverse_transposed_ul_factor(H0) / scale[:, None]

    def _diagonal_and_mean(self, objective):
        """The wide sparse T: the columns' mean m_j = mean_i x_ij handled exactly, their
        covariances left out. H0 = h'' E[x̂ x̂ᵀ] + λ P, E[x xᵀ] ≈ diag(v_j) + m mᵀ, v_j the
        column variances, D = diag(h'' v_j + λ)^(-1/2) (the intercept's h''^(-1/2)). Per class:
        where its intercept is free, T = C D with C the centring b_0 = d_0 z_0 - Σ_j m_j b_j,
        so that Z sees the centred columns x_j - m_j, uncorrelated with the intercept; without
        an intercept, or where it is pinned (a vector family's reference class under Newton-type
        solvers), T = D (I + α v vᵀ) with v = D sqrt(h'') m and (1 + α‖v‖²)² (1 + ‖v‖²) = 1,
        which makes Tᵀ H0 T = I along v as well. Either way Tᵀ H0 T = I for this model of H0,
        at O(p) per product. On tf-idf text (all x ≥ 0, so the mean is H0's leading direction)
        L-BFGS's iterations fall from 92 to 10 with an intercept and from 40 to 8 without
        (N = 2x10^5, d = 10^5, tools/bench_peers.py's text case); Newton-CG's products on
        unnormalised tf-idf with K = 3 (N = 3000, d = 20000) from 971 to 452 once the pinned
        class took its mean by the rank-one factor instead of a diagonal of second moments
        (TRON: 967 to 296; without any preconditioner 250 and 151, see newton_cg.py)."""
        X = objective.X
        n = max(X.shape[0], 1)
        curvature = objective.family.hessian_at_zero(objective.n_classes or 2)
        # Per column in units of its scale s_j = 2^k_j (``_binary_scale``): m_j = s_j m'_j,
        # v_j = s_j² v'_j and sqrt(H0_j) = s_j sqrt(h'' v'_j + λ / s_j²). Powers of two scale
        # exactly, so these are the unscaled formulas' bits wherever those neither overflow nor
        # underflow; no sum, square or root does, for any finite entries. Ordinary columns (sums
        # finite, squares' sums 0 or normal and not lost to underflow) need no scale: the three
        # extra passes cost 0.18 s of a 0.8 s fit on the text benchmark.
        # In place where it costs nothing: on text (p = 10^5) the temporaries of these formulas
        # were the peak of a TRON fit, above its conjugate gradients' vectors.
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # (``_ordinary`` tells)
            sums, squares = np.asarray(X.sum(axis=0), dtype=np.float64).ravel(), per_column(X, power=2)
        scale = None
        if not _ordinary(sums, squares):
            scale = _binary_scale(largest_per_column(X))
            sums, squares = per_column(X, power=1, scale=scale), per_column(X, power=2, scale=scale)
        mean, first = sums, int(objective.fit_intercept)
        mean /= n
        self.diagonal = np.empty(X.shape[1] + first)
        root = self.diagonal[first:]  # H0_j, then its root, then 1/root: the slopes' diagonal
        np.divide(squares, n, out=root)
        del squares
        root -= np.square(mean)
        np.maximum(root, 0.0, out=root)
        root *= curvature
        if scale is None:
            root += objective.l2
            np.sqrt(root, out=root)
        else:
            exponent = np.frexp(scale)[1] - 1
            # λ / s_j² above 2^999 (tiny columns): h'' v'_j <= 4 h'' is lost beside it, sqrt(H0_j) = sqrt(λ)
            ridge_only = (objective.l2 > 0) & (np.frexp(objective.l2)[1] - 2 * exponent > 1000)
            root += np.ldexp(objective.l2, np.where(ridge_only, 0, -2 * exponent))
            root[:] = np.where(ridge_only, np.sqrt(objective.l2), scale * np.sqrt(root))
            mean *= scale
        # 1/sqrt(H0); where H0 is 0 (a constant column, no penalty) or 1/sqrt(H0) would overflow,
        # 1/max(s_j, 1), as the dense path's scaling
        small = root < np.finfo(np.float64).tiny
        root[small] = 1.0 if scale is None else np.maximum(scale[small], 1.0)
        slopes = np.divide(1.0, root, out=root)
        if first:
            self.diagonal[0] = 1.0 / np.sqrt(curvature)
        free = _free_intercepts(objective)
        if free.any():  # centred against their intercepts
            self.centre, self.centred = mean, _class_mask(free)
        if not free.all():  # the others: the rank-one factor along the mean, v = D sqrt(h'') m
            v = mean if not free.any() else np.zeros(len(self.diagonal))  # (no intercept: mean's own array)
            along = v[len(v) - len(mean):]
            np.multiply(slopes, mean, out=along)
            along *= np.sqrt(curvature)
            size = float(v @ v)
            if size > 0:
                alpha = (1.0 / np.sqrt(1.0 + size) - 1.0) / size
                self.rank_one = (v, alpha, -alpha / (1.0 + alpha * size), _class_mask(~free))

    def _scaled(self, B):
        return self.diagonal[:, None] * B if B.ndim == 2 else self.diagonal * B

    def _along_mean(self, Y, inverse=False):
        """(I + α v vᵀ) Y, or with ``inverse`` its inverse (I + β v vᵀ) Y; Y itself without a rank-one part."""
        if self.rank_one is None:
            return Y
        v, alpha, beta, classes = self.rank_one
        return Y + np.multiply.outer(v, (beta if inverse else alpha) * (v @ Y) * classes)

    def _times_T(self, Z):
        B = self._scaled(self._along_mean(Z))
        if self.centre is not None:  # b_0 = d_0 z_0 - Σ_j m_j b_j: the columns are centred in Z
            B[0] -= (self.centre @ B[1:]) * self.centred
        return B

    def _times_T_transposed(self, G):
        if self.centre is not None:
            G = G.copy()
            G[1:] -= np.multiply.outer(self.centre, G[0] * self.centred)
        return self._along_mean(self._scaled(G))

    def _solve_T(self, B):
        if self.centre is not None:
            B[0] += (self.centre @ B[1:]) * self.centred
        return self._along_mean(B / (self.diagonal[:, None] if B.ndim == 2 else self.diagonal), inverse=True)

    def theta(self, z):
        objective = self.objective
        B = objective.coef(z)
        return objective.free_part(self.T @ B if self.diagonal is None else self._times_T(B))

    def z(self, theta):
        objective = self.objective
        B = objective.coef(theta)
        if self.diagonal is not None:
            return objective.free_part(self._solve_T(B))
        return objective.free_part(scipy.linalg.solve_triangular(self.T, B, lower=True))

    def gradient(self, grad_theta):
        """∇_z f from ∇_θ f."""
        objective = self.objective
        G = objective.coef(grad_theta)
        return objective.free_part(self.T.T @ G if self.diagonal is None else self._times_T_transposed(G))

    def precondition(self, v):
        """T Tᵀ v = H0⁻¹ v (per class, on the free entries): Newton-CG's preconditioner."""
        return self.theta(self.gradient(v))

    def precondition_into(self, v, out):
        """``precondition(v)`` written into ``out`` (p,); for a scalar family's wide sparse T (a
        diagonal, the centring or the rank-one factor) in place, with no p-vector made."""
        objective = self.objective
        if self.diagonal is None or objective.family.is_vector or not objective._all_free:
            out[:] = self.precondition(v)
            return out
        out[:] = v
        if self.centre is not None:  # Tᵀ: g_j -= m_j g_0 ...
            axpy(-out[0], self.centre, out[1:])
        out *= self.diagonal  # ... then D, and (I + α w wᵀ) where T has it; T Tᵀ: the same backwards
        if self.rank_one is not None:
            w, alpha = self.rank_one[:2]
            axpy(alpha * float(w @ out), w, out)
            axpy(alpha * float(w @ out), w, out)
        out *= self.diagonal
        if self.centre is not None:
            out[0] -= float(self.centre @ out[1:])
        return out


def _scaled_sample_gram(X, rows, fit_intercept):
    """(X̂_sᵀ X̂_s (p, p) of the rows ``rows`` with every column divided by its scale, scale (p,)),
    scale = max(1, max |column| over the rows). A sparse X stays sparse: the product's p×p
    result only is dense. A dask X (numpy or sparse blocks) brings just these rows to the client."""
    if hasattr(X, "compute"):
        X, rows = X[rows].compute(), np.arange(len(rows))
    if scipy.sparse.issparse(X):
        sample = X[rows].tocsr()  # (a dask X's rows may come in another format)
        if fit_intercept:
            sample = scipy.sparse.hstack([np.ones((len(rows), 1)), sample], format="csr")
        scale = np.maximum(largest_per_column(sample), 1.0)
        sample = sample @ scipy.sparse.diags_array(1.0 / scale)
        return (sample.T @ sample).toarray(), scale
    sample = np.asarray(X[rows], dtype=np.float64)
    if fit_intercept:
        sample = np.column_stack([np.ones(len(rows)), sample])
    scale = np.maximum(np.abs(sample).max(axis=0, initial=0.0), 1.0)
    sample = sample / scale
    return sample.T @ sample, scale


def _ordinary(sums, squares):
    """Whether columns' sums and sums of squares (d,) need no scale: all finite, and each sum of
    squares 0 (with a zero sum: no entry squared to 0) or at least 2^-900, far from underflow."""
    return bool(np.isfinite(sums).all() and np.isfinite(squares).all()
                and not np.any((squares < 2.0 ** -900) & ((squares > 0) | (sums != 0))))


def _binary_scale(largest):
    """The power of two s with s <= largest < 2 s per entry of ``largest`` (>= 0); 1 where it is
    0. Entries divided by s are exact (|x / s| < 2), so on ordinary data the scaled sums differ
    from the unscaled ones only by the same power of two."""
    return np.where(largest > 0, np.ldexp(1.0, np.frexp(largest)[1] - 1), 1.0)


def _free_intercepts(objective):
    """(K,) bool, (1,) for a scalar family: whether each class's intercept is free (all False
    without an intercept). Centring class k (b_0k = d_0 z_0k - Σ_j m_j b_jk) needs its intercept
    free; a class whose intercept is pinned (a vector family's reference class) or absent takes
    the mean by the rank-one factor instead, which leaves its intercept row alone."""
    if not objective.fit_intercept:
        return np.zeros(1, dtype=bool)
    return np.atleast_1d(objective._free.reshape(objective.coef_shape, order="F")[0])


def _class_mask(classes):
    """1.0 where every class is in (a scalar: broadcasts over any B), else the (K,) 0/1 floats."""
    return 1.0 if classes.all() else classes.astype(np.float64)


def _inverse_transposed_ul_factor(G):
    """T = U⁻ᵀ for G = U Uᵀ, U upper triangular (Cholesky of G with rows and columns reversed).
    A ridge of 1e-10 · max diag(G) keeps collinear or constant columns factorable; if even that
    fails, T is the diagonal scaling 1/sqrt(diag G)."""
    diagonal = np.diag(G).copy()
    ridge = 1e-10 * max(float(diagonal.max(initial=0.0)), 1e-300)
    try:
        L = np.linalg.cholesky(G[::-1, ::-1] + ridge * np.eye(len(G)))
    except np.linalg.LinAlgError:
        return np.diag(1.0 / np.sqrt(np.where(diagonal > 0, diagonal, 1.0)))
    U = L[::-1, ::-1]
    return scipy.linalg.solve_triangular(U, np.eye(len(G)), lower=False).T
