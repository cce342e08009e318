"""Fitting and predicting on scipy.sparse X: the generated per-sample formulas, and the linear
algebra of a CSR X kept apart from them (the split of scikit-learn's ``linear_model/_linear_loss.py``).

A generated kernel module fuses the pass over dense rows with the per-sample formulas. On a
sparse X the two are kept apart: the per-sample values come from the family's own generated
code (``row_weights`` of a scalar family; the softmax probabilities from its ``probabilities``
on the scores), the products with X from CSR loops here (a scalar family) or scipy (softmax):

    u = X̂ b = X b[1:] + b[0] (+ offset)                  (N,)     or U = X̂ B, (N, K)
    L = Σ_i w_i h(u_i, y_i)
    gradient  X̂ᵀ r,             r_i = w_i h'(u_i, y_i)         (softmax R = w (P - Y), (N, K))
    Hessian   X̂ᵀ diag(s) X̂,     s_i = w_i h''(u_i, y_i)  (or w_i E[h''](u_i), ``expected``)
              softmax block (k, l): X̂ᵀ diag(w p_k (δ_kl - p_l)) X̂, in vec(B) order
    H v       X̂ᵀ (s ⊙ X̂ v)      (softmax: X̂ᵀ [w p_k (z_k - Σ_l p_l z_l)]_k, Z = X̂ V)

with X̂ = [1, X] (no column of ones without an intercept). X is never densified. A scalar
family's loss, gradient and curvature take one pass over X's rows in blocks that stay in cache
(scores, the generated row weights, then the gradient's scatter: ``ScalarSparseKernels``), and
H v one pass with no (N,) vector (``_hessp_rows``; over two halves of the rows at once, on
two threads, where X is large); softmax's products are scipy's CSR-times-dense and transposed
CSR-times-dense; the Hessian is a sparse Gram whose (d+1)×(d+1) result only is made dense (for
Newton, where d is small). Everything runs in a fixed order (H v's halves are added last), so a
fit gives the same bits on any number of threads. The kernels' call signatures are the
generated modules' (``ScalarSparseKernels``, ``VectorSparseKernels``), so ``Objective``, the
solvers and inference run on them unchanged (``solvers.objective.SparseObjective``).

Input: ``as_csr`` turns any scipy.sparse matrix or array (CSR, CSC, COO, ...; float32/float64
or integer values; int32/int64 indices) into one canonical CSR float64 copy at most: duplicate
entries are summed (as scipy does), indices are checked, NaN and infinity refused.
"""

import concurrent.futures
import os

import numpy as np
import scipy.sparse
from numba import njit


def is_sparse(X):
    """Whether X is a scipy.sparse matrix or array."""
    return scipy.sparse.issparse(X)


def check_indices(X):
    """ValueError, before scipy converts X (its C++ code trusts the indices), where a CSR, CSC,
    BSR or COO X has an index outside its shape or row pointers that do not fit its entries."""
    try:
        if X.format in ("csr", "csc", "bsr"):
            X.check_format(full_check=True)
        elif X.format == "coo":
            for axis, index in enumerate(X.coords):
                if index.size and (index.min() < 0 or index.max() >= X.shape[axis]):
                    raise ValueError(f"{('row', 'column')[axis]} index {index.min() if index.min() < 0 else index.max()}"
                                     f" is outside [0, {X.shape[axis]})")
    except ValueError as error:
        raise ValueError(f"sparse X is malformed: {error}; expected row indices in [0, {X.shape[0]}), column indices "
                         f"in [0, {X.shape[1]}) and nondecreasing row pointers") from None


def as_csr(X):
    """X (N, d) as canonical CSR float64 (sorted indices, no duplicates: duplicates are summed),
    copied only where its format, dtype or order differ. ValueError, before any work, for a
    matrix that is not 2-D, has indices out of range or negative, or stores NaN or infinity."""
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D sparse matrix (N, d), got {X.ndim} dimension(s)")
    if not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)
            or X.dtype == np.bool_):
        raise ValueError(f"sparse X must have real numeric values (float32, float64, integers), got dtype {X.dtype}")
    X = X.tocsr()
    if X.dtype != np.float64:
        X = X.astype(np.float64)
    try:
        X.check_format(full_check=True)
    except ValueError as error:
        raise ValueError(f"sparse X is malformed: {error}; expected column indices in [0, {X.shape[1]}) and "
                         "nondecreasing row pointers") from None
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()  # sorts the indices too
    k = _first_not_finite(X.data)
    if k is not None:
        row = int(np.searchsorted(X.indptr, k, side="right") - 1)
        raise ValueError(f"X contains NaN or infinity: row {row}, column {int(X.indices[k])} (rows and columns count "
                         f"from 0) is {X.data[k]}; drop or impute those values")
    return X


def _first_not_finite(values, block=1 << 20):
    """The index of the first NaN or infinity in ``values`` (1-D), None if there is none; checked
    in blocks, so the check holds ``block`` booleans, not one per stored entry (on 2x10^7 stored
    entries, 20 MB: the whole fit's peak above X)."""
    for start in range(0, values.shape[0], block):
        bad = ~np.isfinite(values[start:start + block])
        if bad.any():
            return start + int(np.argmax(bad))
    return None


def per_column(X, power=0, scale=None, block=1 << 16):
    """Per column of a CSR X (d,): Σ_i (x_ij / scale_j)^power over the column's stored entries
    (``power`` 0 counts them, 1 sums them, 2 sums their squares); ``scale`` (d,), default 1,
    keeps sums and squares of entries up to 1.8e308 finite (``largest_per_column``). In blocks
    of ``block`` stored entries, O(d + block) memory (one bincount over all of X.indices copies
    them as int64, and ``X.multiply(X)`` copies X: a sparse fit's peak was twice X's own storage).
    Sums are added in X's order (``np.add.at``), so they have the bits of ``X.sum(axis=0)``."""
    sums = np.zeros(X.shape[1])
    for start in range(0, X.nnz, block):
        columns = X.indices[start:start + block]
        if power == 0:
            sums += np.bincount(columns, minlength=X.shape[1])
            continue
        values = X.data[start:start + block] if scale is None else X.data[start:start + block] / scale[columns]
        if power == 1:
            np.add.at(sums, columns, values)
        else:
            sums += np.bincount(columns, weights=values * values, minlength=X.shape[1])
    return sums


def largest_per_column(X, block=1 << 16):
    """max_i |x_ij| per column of a CSR X (d,), 0 for a column without stored entries; in blocks
    of ``block`` stored entries, O(d + block) memory (``abs(X).max(axis=0)`` copies X's values)."""
    largest = np.zeros(X.shape[1])
    for start in range(0, X.nnz, block):
        np.maximum.at(largest, X.indices[start:start + block], np.abs(X.data[start:start + block]))
    return largest


#: Entries of the dense row blocks that robust covariances and marginal effects take from a sparse
#: X (``row_blocks``): 8 MB at a time, never X as a whole.
DENSE_BLOCK_ENTRIES = 1 << 20


def row_blocks(X, block):
    """(rows, X[rows]) over X's rows in order, rows a slice: blocks of ``block`` rows of a numpy X
    (as they are), or of a sparse X made dense one block at a time, each of at most
    max(d, DENSE_BLOCK_ENTRIES) entries. For row-wise sums whose per-row algebra is dense
    (``symlogit.sandwich``, ``symlogit.margins``): their memory stays O(block), not O(N d)."""
    n = X.shape[0]
    if is_sparse(X):
        block = max(1, min(block, DENSE_BLOCK_ENTRIES // max(X.shape[1], 1)))
    for lo in range(0, n, block):
        rows = slice(lo, min(n, lo + block))
        yield rows, (X[rows].toarray() if is_sparse(X) else X[rows])


def scale_rows(X, s):
    """diag(s) X for CSR X and s (N,): a CSR matrix with X's pattern, X itself untouched."""
    return type(X)((X.data * np.repeat(s, np.diff(X.indptr)), X.indices, X.indptr), shape=X.shape)


def _times(X, B, intercept):
    """X̂ B for CSR X and dense B ((d+1,) or (d+1, K); (d,) or (d, K) without an intercept)."""
    B = np.asarray(B, dtype=np.float64)
    if B.shape[0] != X.shape[1] + intercept:
        raise ValueError(f"coefficients must have {X.shape[1] + intercept} rows for X with {X.shape[1]} columns"
                         f"{' and an intercept' if intercept else ''}, got shape {B.shape}")
    U = np.asarray(X @ B[intercept:], dtype=np.float64)
    if intercept:
        U += B[0]  # (in place: U is the product's own array)
    return U


def _transposed_times(X, R, intercept):
    """X̂ᵀ R for CSR X and R (N,) or (N, K): (d+1,) or (d+1, K), the intercept's sum in row 0."""
    G = np.asarray(X.T @ R, dtype=np.float64)
    return np.concatenate([R.sum(axis=0, keepdims=True), G]) if intercept else G


#: Stored entries of the CSR row blocks a sparse Hessian is added up over (``_gram``)
GRAM_BLOCK_ENTRIES = 1 << 18


def csr_row_views(X, entries=None):
    """(rows, X[rows]) over blocks of consecutive rows of a CSR X, each block about ``entries``
    (GRAM_BLOCK_ENTRIES) stored entries, at least one row: CSR matrices on slices of X's own
    arrays, no copy."""
    n = X.shape[0]
    block = max(1, int((entries or GRAM_BLOCK_ENTRIES) * n // max(X.nnz, 1)))
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        start, stop = X.indptr[lo], X.indptr[hi]
        view = scipy.sparse.csr_matrix((X.data[start:stop], X.indices[start:stop], X.indptr[lo:hi + 1] - start),
                                       shape=(hi - lo, X.shape[1]))
        yield slice(lo, hi), view


def _gram(X, s, intercept, columns=None):
    """X̂ᵀ diag(s) X̂, dense (p, p), added up over blocks of rows (``csr_row_views``): besides
    the result, memory O(block), never a scaled copy of X. ``columns``: over those columns of X
    only (and the intercept), (|columns| + 1)²."""
    d = X.shape[1] if columns is None else len(columns)
    H = np.zeros((d + intercept,) * 2)
    core = H[intercept:, intercept:]
    for rows, block in csr_row_views(X):
        if columns is not None:
            block = block[:, columns]
        scaled = scale_rows(block, s[rows])
        product = (block.T @ scaled).tocoo()  # canonical: each (row, col) once
        core[product.row, product.col] += product.data
        if intercept:
            H[0, 1:] += np.asarray(scaled.sum(axis=0)).ravel()
    if intercept:
        H[0, 0] = s.sum()
        H[1:, 0] = H[0, 1:]
    return H


# The CSR loops below index with unsigned integers (np.uint64): numba checks every signed index
# for a negative value to wrap around, which made them 15-30% slower than scipy's C++ products
# (text benchmark X, 2x10^7 entries: X v 30 ms against scipy's 23; 23 ms unsigned).

@njit(cache=True, error_model="numpy")
def _rows_times(indptr, indices, data, lo, hi, v, intercept, out):
    """out[i - lo] = x̂_iᵀ v for the rows lo <= i < hi of a CSR X (v (d+1,) with the intercept
    first, or (d,))."""
    slopes = v[1:] if intercept else v
    for i in range(lo, hi):
        total = 0.0
        for k in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
            total += data[k] * slopes[np.uint64(indices[k])]
        out[i - lo] = total + v[0] if intercept else total


@njit(cache=True, error_model="numpy")
def _rows_transposed_add(indptr, indices, data, lo, hi, r, intercept, out):
    """out += X̂[lo:hi]ᵀ r, r (hi - lo,): each row's entries scattered in turn (the intercept's sum
    in out[0], added in row order)."""
    slopes = out[1:] if intercept else out
    total = 0.0
    for i in range(lo, hi):
        ri = r[i - lo]
        total += ri
        for k in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
            slopes[np.uint64(indices[k])] += data[k] * ri
    if intercept:
        out[0] += total


@njit(cache=True, error_model="numpy", nogil=True)
def _hessp_rows(indptr, indices, data, curvature, v, intercept, lo, hi, out):
    """out = X̂[lo:hi]ᵀ (c ⊙ X̂[lo:hi] v) in one pass over those rows: each row's t_i = c_i x̂_iᵀ v
    is scattered into out as soon as it is known, so no (N,) vector is made. (Without the GIL:
    ``hessp_with`` runs two halves of X's rows at once.)"""
    out[:] = 0.0
    slopes, products = (v[1:], out[1:]) if intercept else (v, out)
    total = 0.0
    for i in range(lo, hi):
        start, stop = np.uint64(indptr[i]), np.uint64(indptr[i + 1])
        t = v[0] if intercept else 0.0
        for k in range(start, stop):
            t += data[k] * slopes[np.uint64(indices[k])]
        t *= curvature[i]
        total += t
        for k in range(start, stop):
            products[np.uint64(indices[k])] += data[k] * t
    if intercept:
        out[0] = total


#: Stored entries from which H v runs over two halves of X's rows at once, the second on a thread
#: of its own (``_second_half``): one p-vector more, and 2x faster on two cores (text benchmark:
#: 52 -> 27 ms); below it one pass on the calling thread.
HESSP_HALVES_ENTRIES = 1 << 18
_threads = {}


def _second_half():
    """The thread that runs H v's second half (started at first use; a forked child starts its own:
    the parent's thread does not exist there)."""
    if "pool" not in _threads:
        _threads["pool"] = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="symlogit-hessp")
    return _threads["pool"]


os.register_at_fork(after_in_child=_threads.clear)


#: Stored entries (at most) and rows (at most) of the blocks of rows a scalar family's pass takes
#: at once (``ScalarSparseKernels``): ~1.5 MB of X, read a second time (the gradient's scatter)
#: from cache, and row weights of 4 x 4096 floats.
PASS_BLOCK_ENTRIES, PASS_BLOCK_ROWS = 1 << 17, 1 << 12


def _weights(sample_weight, n):
    return np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)


def _weight_vector(sample_weight, n):
    """sample_weight as a contiguous float64 (n,) array, or None for unit weights: None itself or
    a broadcast of 1.0 (``targets.check_sample_weight``), which is never made into N floats."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.ndim == 1 and w.shape[0] == n and w.strides[0] == 0 and (n == 0 or w[0] == 1.0):
        return None
    return _vector(sample_weight, n, "sample_weight")


def _vector(v, n, what="coefficients"):
    """v as a contiguous float64 (n,) array (no copy where it is one), or ValueError."""
    v = np.ascontiguousarray(v, dtype=np.float64)
    if v.shape != (n,):
        raise ValueError(f"{what} must have shape ({n},), got {v.shape}")
    return v


class ScalarSparseKernels:
    """A scalar family's kernel interface (``loss``, ``loss_grad``, ``loss_grad_hess``,
    ``hessp``, ``scores``, ``means``, ``probabilities``, ``log_probabilities``, with the
    generated modules' signatures) on CSR X, from the family's generated per-sample code; the
    kernels that take no X (``loss_from_scores``, ``row_weights``, ...) are the module's own.

    Loss, gradient and curvature run in one pass over X's rows, in blocks of about
    PASS_BLOCK_ENTRIES stored entries: per block the scores u = X̂ beta (+ offset), the family's
    ``row_weights`` at u, and the gradient's scatter X̂ᵀ (w h') from the block still in cache;
    so a pass holds the block's row weights, never an (N,) vector. y may be a hard label's
    unsigned codes (0/1: ``targets.Targets.kernel_values``), converted a block at a time;
    sample_weight None is unit weights, never made."""

    def __init__(self, module):
        self.module = module

    def __getattr__(self, name):
        return _delegated(self, name)

    def scores(self, X, beta, intercept=True, offset=None):
        """u = X̂ beta (+ offset), (N,)."""
        u = _times(X, beta, intercept)
        return u if offset is None else u + offset

    def _pass(self, X, y, beta, sample_weight, intercept, offset, gradient=None, curvature=None, expected=False):
        """Σ_i w_i h(u_i, y_i), u = X̂ beta (+ offset), in one pass over X's rows in blocks;
        adding X̂ᵀ (w h') into ``gradient`` (p,) and writing w h'' (E[h''] with ``expected``)
        into ``curvature`` (N,) where they are given."""
        n = X.shape[0]
        beta = _vector(beta, X.shape[1] + intercept)
        sample_weight = _weight_vector(sample_weight, n)
        block = max(1, min(n, PASS_BLOCK_ROWS, PASS_BLOCK_ENTRIES * n // max(X.nnz, 1)))
        u, loss = np.empty(block), 0.0
        for lo in range(0, n, block):
            hi = min(n, lo + block)
            scores = u[:hi - lo]
            _rows_times(X.indptr, X.indices, X.data, lo, hi, beta, intercept, scores)
            if offset is not None:
                scores += offset[lo:hi]
            rw = self.module.row_weights(scores, y[lo:hi])
            if sample_weight is not None:
                rw *= sample_weight[lo:hi]
            loss += float(rw[0].sum())
            if gradient is not None:
                _rows_transposed_add(X.indptr, X.indices, X.data, lo, hi, rw[1], intercept, gradient)
            if curvature is not None:
                curvature[lo:hi] = rw[3 if expected else 2]
        return loss

    def loss(self, X, y, beta, sample_weight=None, intercept=True, offset=None):
        """Σ_i w_i h(u_i, y_i)."""
        return self._pass(X, y, beta, sample_weight, intercept, offset)

    def loss_grad(self, X, y, beta, sample_weight=None, intercept=True, offset=None):
        """(loss, gradient X̂ᵀ (w h')), one pass over X."""
        gradient = np.zeros(X.shape[1] + intercept)
        return self._pass(X, y, beta, sample_weight, intercept, offset, gradient), gradient

    def loss_grad_hess(self, X, y, beta, sample_weight=None, intercept=True, offset=None, expected=False):
        """(loss, gradient, Hessian X̂ᵀ diag(w h'') X̂ (p, p)); ``expected``: E[h''] for h''."""
        if sample_weight is not None and np.any(np.asarray(sample_weight) < 0):
            raise ValueError("sample_weight must be non-negative")
        gradient, curvature = np.zeros(X.shape[1] + intercept), np.empty(X.shape[0])
        loss = self._pass(X, y, beta, sample_weight, intercept, offset, gradient, curvature, expected)
        return loss, gradient, _gram(X, curvature, intercept)

    def grad_hess(self, X, y, beta, sample_weight=None, intercept=True, offset=None, expected=False):
        return self.loss_grad_hess(X, y, beta, sample_weight, intercept, offset, expected)[1:]

    def curvature(self, X, y, beta, sample_weight=None, intercept=True, offset=None):
        """What H v needs of beta: w h'' (N,) at beta (one pass over X)."""
        curvature = np.empty(X.shape[0])
        self._pass(X, y, beta, sample_weight, intercept, offset, curvature=curvature)
        return curvature

    @staticmethod
    def hessian_from_curvature(X, curvature, intercept=True, columns=None):
        """X̂ᵀ diag(w h'') X̂ (p, p) given ``curvature``; over the given columns of X only."""
        return _gram(X, curvature, intercept, columns)

    @staticmethod
    def hessp_with(X, curvature, v, intercept=True, out=None):
        """H v = X̂ᵀ (w h'' ⊙ X̂ v), given ``curvature``: one pass over X, no (N,) vector;
        written into ``out`` (p,) float64 where given."""
        v = _vector(v, X.shape[1] + intercept)
        out = np.empty_like(v) if out is None else out
        if X.nnz < HESSP_HALVES_ENTRIES:
            _hessp_rows(X.indptr, X.indices, X.data, curvature, v, intercept, 0, X.shape[0], out)
        else:  # two halves at once (split where half of X's entries are), added in a fixed order
            split = int(np.searchsorted(X.indptr, X.indptr.dtype.type(X.nnz // 2)))  # (of its type: no int64 copy)
            second = np.empty_like(v)
            later = _second_half().submit(_hessp_rows, X.indptr, X.indices, X.data, curvature, v, intercept, split,
                                          X.shape[0], second)
            _hessp_rows(X.indptr, X.indices, X.data, curvature, v, intercept, 0, split, out)
            later.result()
            out += second
        return out

    def hessp(self, X, y, beta, v, sample_weight=None, intercept=True, offset=None):
        """H v = X̂ᵀ (w h'' ⊙ X̂ v)."""
        return self.hessp_with(X, self.curvature(X, y, beta, sample_weight, intercept, offset), v, intercept)

    def means(self, X, beta, intercept=True, offset=None):
        return self.module.means_from_scores(self.scores(X, beta, intercept, offset))

    def probabilities(self, X, beta, intercept=True, offset=None):
        """[1 - p(u), p(u)] (N, 2): the generated kernel on the scores as a one-column X."""
        u = self.scores(X, beta, intercept, offset)
        return self.module.probabilities(u[:, None], np.ones(1), intercept=False)

    def log_probabilities(self, X, beta, intercept=True, offset=None):
        u = self.scores(X, beta, intercept, offset)
        return self.module.log_probabilities(u[:, None], np.ones(1), intercept=False)


class VectorSparseKernels:
    """The softmax family's kernel interface on CSR X (as ``ScalarSparseKernels``). The
    probabilities come from the generated ``probabilities`` applied to the scores U as an
    (N, K) X with B = I (exact: a product by the identity adds only zeros)."""

    def __init__(self, module):
        self.module = module

    def __getattr__(self, name):
        return _delegated(self, name)

    def scores(self, X, B, intercept=True):
        """U = X̂ B, (N, K)."""
        return np.ascontiguousarray(_times(X, B, intercept))

    def _from_scores(self, name, U):
        return getattr(self.module, name)(U, np.eye(U.shape[1]), intercept=False)

    def _at(self, X, Y, B, sample_weight, intercept):
        """(U, P, Y (N, K), w) at B."""
        U = self.scores(X, B, intercept)
        return U, self._from_scores("probabilities", U), _rows(Y, *U.shape), _weights(sample_weight, X.shape[0])

    def loss(self, X, Y, B, sample_weight=None, intercept=True):
        """Σ_i w_i (LSE(u_i) - y_iᵀ u_i)."""
        return self.module.loss_from_scores(self.scores(X, B, intercept), Y, _weights(sample_weight, X.shape[0]))

    def loss_grad(self, X, Y, B, sample_weight=None, intercept=True):
        """(loss, gradient X̂ᵀ (w (P - Y)) (d+1, K))."""
        U, P, Y, w = self._at(X, Y, B, sample_weight, intercept)
        loss = self.module.loss_from_scores(U, Y, w)
        return loss, _transposed_times(X, w[:, None] * (P - Y), intercept)

    def loss_grad_hess(self, X, Y, B, sample_weight=None, intercept=True):
        """(loss, gradient (d+1, K), Hessian (K(d+1), K(d+1)) in vec(B) order)."""
        U, P, Y, w = self._at(X, Y, B, sample_weight, intercept)
        if np.any(w < 0):
            raise ValueError("sample_weight must be non-negative")
        loss = self.module.loss_from_scores(U, Y, w)
        G = _transposed_times(X, w[:, None] * (P - Y), intercept)
        return loss, G, self.hessian_from_curvature(X, (P, w[:, None] * P), intercept)

    @staticmethod
    def hessian_from_curvature(X, curvature, intercept=True, columns=None):
        """The Hessian (K p, K p) in vec(B) order given ``curvature`` (P, w P): block (k, l) is
        X̂ᵀ diag(w p_k (δ_kl - p_l)) X̂; over the given columns of X only."""
        P, wP = curvature
        K = P.shape[1]
        p = (X.shape[1] if columns is None else len(columns)) + intercept
        H = np.empty((K * p, K * p))
        for k in range(K):
            for l in range(k, K):
                block = _gram(X, wP[:, k] * ((k == l) - P[:, l]), intercept, columns)
                H[k * p:(k + 1) * p, l * p:(l + 1) * p] = block
                H[l * p:(l + 1) * p, k * p:(k + 1) * p] = block.T
        return H

    def grad_hess(self, X, Y, B, sample_weight=None, intercept=True):
        return self.loss_grad_hess(X, Y, B, sample_weight, intercept)[1:]

    def curvature(self, X, Y, B, sample_weight=None, intercept=True):
        """What H v needs of B: (P, w P) at B, each (N, K) (one pass over X)."""
        P = self._from_scores("probabilities", self.scores(X, B, intercept))
        return P, _weights(sample_weight, X.shape[0])[:, None] * P

    @staticmethod
    def hessp_with(X, curvature, V, intercept=True):
        """H vec(V), shaped like B: X̂ᵀ [w p_k (z_k - Σ_l p_l z_l)]_k with Z = X̂ V, given
        ``curvature`` (two passes over X)."""
        P, wP = curvature
        Z = _times(X, V, intercept)
        return _transposed_times(X, wP * (Z - (P * Z).sum(axis=1, keepdims=True)), intercept)

    def hessp(self, X, Y, B, V, sample_weight=None, intercept=True):
        """H vec(V), shaped like B (``hessp_with`` at B)."""
        return self.hessp_with(X, self.curvature(X, Y, B, sample_weight, intercept), V, intercept)

    def probabilities(self, X, B, intercept=True):
        return self._from_scores("probabilities", self.scores(X, B, intercept))

    def log_probabilities(self, X, B, intercept=True):
        return self._from_scores("log_probabilities", self.scores(X, B, intercept))


def _delegated(kernels, name):
    """The kernel module's attribute ``name``; never ``module`` itself, nor a dunder, which an
    unpickling (a dask worker's) looks up before ``module`` is set."""
    if name == "module" or name.startswith("__"):
        raise AttributeError(name)
    return getattr(kernels.module, name)


def _rows(Y, n, K):
    """Targets as (N, K) probability rows (one-hot for integer labels (N,))."""
    Y = np.asarray(Y)
    if Y.ndim == 1:
        onehot = np.zeros((n, K))
        onehot[np.arange(n), Y] = 1.0
        return onehot
    return Y


def sparse_kernels(family):
    """The kernel interface of ``family`` (a ``symlogit.family.Family``) on CSR X."""
    return (VectorSparseKernels if family.is_vector else ScalarSparseKernels)(family.kernels)
