"""The objective every solver minimises, evaluated only through ``symlogit.kernels``.

    f(θ) = (1/W) Σ_i w_i h(u_i, y_i) + (λ/2) ‖coefficients‖²,    W = Σ_i w_i,  λ = 1/(C W)

This is scikit-learn's scaling of ``C`` (the minimiser of C Σ w h + ½‖coef‖²); dividing by W
keeps the gradient tolerance independent of N. The intercept row is never penalised.

The per-sample loss h is the family's (``symlogit.family``); u_i = x̂_iᵀB (+ offset_i, scalar
families). Coefficients B: (d+1,) for a scalar family, (d+1, K) for a vector family (softmax),
intercept in row 0 (no row 0 without an intercept). θ is the vector of *free* parameters: vec(B)
(class-major, as the kernels order the Hessian) less the entries pinned at 0 to remove a vector
family's flat directions (claim C1: the Hessian is singular along B → B + c 1ᵀ):
    unpenalised vector family        the whole column of the reference class 0;
    penalised, with an intercept     the intercept of class 0 only (the penalty already
                                     pins the coefficient rows; an L1 penalty as well as L2).
Only solvers that factor or invert the Hessian need the pins; first-order solvers run with
``pin_reference=False`` on all of B, where the flat directions do not hurt them and the
problem is better conditioned (L-BFGS on 10 classes: 48 iterations pinned, 25 not).
"""

import copy
from functools import lru_cache

import numpy as np
from threadpoolctl import ThreadpoolController

from ..sparse import as_csr, per_column, sparse_kernels
from .base import axpy, norm


REFERENCE_CLASS = 0


@lru_cache(maxsize=1)
def _blas():
    """The BLAS thread pools of this process, found once (a search costs ~0.3 ms; a limit then ~10 µs)."""
    return ThreadpoolController()


def one_blas_thread():
    """A context in which BLAS runs on one thread, for a whole solve. The kernels run on
    numba's threads, and an idle OpenBLAS thread spins for a while (~0.1 s) after each call,
    taking a core from them: a solve's small BLAS calls (p-vectors, whitening, Cholesky)
    between kernel passes made the passes up to 1.7x slower (N = 1e6, d = 100: L-BFGS 1.18 s,
    0.74 s with one BLAS thread). The Hessian's own SYRKs are small and run best on one thread
    too (see ``value_grad_hess``)."""
    return _blas().limit(limits=1, user_api="blas")


class Objective:
    """Loss, gradient, Hessian and Hessian-vector products of f over the free parameters θ.

    X: (N, d) float64/float32, C-contiguous. family: a ``symlogit.family.Family``. targets: a
    scalar family's y (N,); a vector family's (N, K) probability rows (or integer labels).
    weights: (N,) float64, nonnegative, positive sum. n_classes: K for a vector family.
    offset: (N,) added to every score (scalar families), or None.

    l1_strength: λ₁ ≥ 0 of an L1 term λ₁‖θ_P‖₁ on the penalised entries θ_P (``penalised``),
    which this class leaves out of f: the term is not differentiable, and the solvers that
    handle it (``proximal_newton``) take it from ``penalty.L1Penalty.of(objective)``. Here it
    only decides the pins (an L1 penalty, like L2, already fixes the coefficient rows along a
    vector family's flat directions).
    """

    #: Whether X's rows can be sampled here (``rows_of_X``; sampled curvature): not for dask.
    rows_in_memory = True
    #: Whether ``hessian_on_columns`` copies the columns whole (dask) rather than by blocks of
    #: rows of at most BLOCK_BYTES.
    copies_columns_for_hessian = False
    #: Whether the Hessian comes from the gradient's own pass over X (the fused dense kernel;
    #: dask's one pass on the cluster), so that a solver wanting it often takes it with every
    #: gradient; sparse X forms it in passes of its own (``hessian_on_columns``, blocks of rows).
    hessian_with_gradient = True
    BLOCK_BYTES = 1 << 22

    def __init__(self, X, targets, weights, family, fit_intercept, l2_strength, n_classes=None, pin_reference=True,
                 offset=None, l1_strength=0.0):
        self.X, self.targets, self.weights = X, targets, self._kernel_weights(weights)
        self.family, self.fit_intercept = family, fit_intercept
        self.n_classes = n_classes if family.is_vector else None
        self.kernels = family.kernels
        if offset is not None and family.is_vector:
            raise ValueError(f"offset is not supported for family {family.name!r} (vector scores)")
        self.offset = offset
        self._extra = {} if offset is None else {"offset": offset}
        self.total_weight = float(weights.sum())
        self.l2 = float(l2_strength)
        self.l1 = float(l1_strength)
        self.pin_reference = pin_reference
        rows = X.shape[1] + (1 if fit_intercept else 0)
        self.coef_shape = (rows, n_classes) if family.is_vector else (rows,)
        free = np.ones(self.coef_shape, dtype=bool)
        penalised = np.ones(self.coef_shape, dtype=bool)
        if fit_intercept:
            penalised[0] = False
        if family.is_vector and pin_reference:
            if not self.penalises:
                free[:, REFERENCE_CLASS] = False
            elif fit_intercept:
                free[0, REFERENCE_CLASS] = False
        self._free = free.ravel(order="F")
        self.penalised = penalised.ravel(order="F")[self._free]
        # θ's penalised entries as one slice where they are (a scalar family's all but the
        # intercept; everything without an intercept), else None (a vector family's intercepts
        # are one entry per class)
        self._penalised_slice = slice(1 if fit_intercept else 0, None) if (
            not family.is_vector or not fit_intercept) else None
        self.n_params = int(self._free.sum())
        self._all_free = self.n_params == self._free.shape[0]

    @staticmethod
    def _kernel_weights(weights):
        """The weights as this objective's kernels take them: the dense kernels a contiguous
        array (unit weights come as a broadcast of 1.0, ``targets.check_sample_weight``)."""
        if isinstance(weights, np.ndarray) and not weights.flags.c_contiguous:
            return np.ascontiguousarray(weights)
        return weights

    @property
    def penalises(self):
        """Whether the coefficients carry any penalty (L2 in f, or the L1 term left out of it)."""
        return self.l2 > 0 or self.l1 > 0

    # ---- θ <-> B -------------------------------------------------------------------------------
    def coef(self, theta):
        """B with the pinned entries at 0, shape ``coef_shape``."""
        flat = np.zeros(self._free.shape[0])
        flat[self._free] = theta
        return flat.reshape(self.coef_shape, order="F")

    def theta(self, B):
        """θ for coefficients B, first moved along the flat directions (which change neither
        probabilities nor penalty-free loss) so that the pinned entries are 0."""
        B = np.array(B, dtype=np.float64).reshape(self.coef_shape)
        if self.family.is_vector and not self._free.all():
            if not self.penalises:
                B = B - B[:, [REFERENCE_CLASS]]
            elif self.fit_intercept:
                B[0] -= B[0, REFERENCE_CLASS]
        return B.ravel(order="F")[self._free].copy()

    def free_part(self, G):
        """The free entries of a coefficient-shaped array (the inverse of ``coef``), a copy."""
        return np.asarray(G).ravel(order="F")[self._free]

    def _free_part_of_own(self, G):
        """``free_part`` of an array no one else holds (a kernel's result): a view of it where every
        entry is free (no copy), else the copy."""
        return np.asarray(G).ravel(order="F") if self._all_free else self.free_part(G)

    def on_rows(self, rows):
        """The same objective (penalty, pins, scaling) over the given rows only, their weights
        scaled to the full total W so that its loss, gradient and Hessian estimate f's; None
        when the rows carry no weight. X's rows are copied (contiguous for the kernels)."""
        weights = self.weights[rows]
        total = float(weights.sum())
        if total <= 0:
            return None
        sample = copy.copy(self)
        sample.X, sample.targets = self.rows_of_X(rows), self.targets[rows]
        sample.weights = weights * (self.total_weight / total)
        if self.offset is not None:
            sample.offset = self.offset[rows]
            sample._extra = {"offset": sample.offset}
        return sample

    def parameter_columns(self):
        """(p,) int: the column of X that each free parameter multiplies; -1 for an intercept."""
        rows = np.arange(self.coef_shape[0]) - (1 if self.fit_intercept else 0)
        return np.broadcast_to(rows[:, None], self.coef_shape).ravel(order="F")[self._free] if (
            len(self.coef_shape) == 2) else rows[self._free]

    def on_columns(self, columns):
        """The same objective (family, rows, weights, offset, penalties, pins) over the given
        columns of X only (sorted, distinct): its θ is this θ's entries whose
        ``parameter_columns`` are in ``columns`` or -1, in the same order. Where the other
        columns' coefficients are 0 it has the same value, and its gradient and Hessian are
        this one's rows and columns for those entries (the working sets of
        ``proximal_newton``: a Hessian over few columns costs N q², not N p²)."""
        return self._over(self.columns_of_X(columns), self.targets, self.weights, self.offset)

    def _over(self, X, targets, weights, offset):
        """The same family, intercept, penalties and pins over other data (no copies)."""
        return type(self)(X, targets, weights, self.family, self.fit_intercept, self.l2, self.n_classes,
                          self.pin_reference, offset, self.l1)

    def on_columns_entries(self, columns):
        """(p,) bool: which entries of θ ``on_columns(columns)`` keeps (the intercepts' and those
        of the given columns of X)."""
        owner = self.parameter_columns()
        return (owner < 0) | np.isin(owner, columns)

    def hessian_on_columns(self, theta, columns):
        """∇²f at θ (θ's entries outside ``on_columns_entries(columns)`` 0) over the entries that
        ``on_columns(columns)`` keeps, without a copy of X's columns: the kernel's sums over
        blocks of rows of at most ``BLOCK_BYTES`` (4 MB) of those columns, each copied in turn
        (dense X: N q² for q columns, and 4 MB of copies at a time instead of 8 N q bytes: 240 MB
        for N = 10^5, q = 300). ``SparseObjective`` adds up blocks of its own; dask's takes the
        columns' copy (``copies_columns_for_hessian``)."""
        theta = theta[self.on_columns_entries(columns)]
        if self.copies_columns_for_hessian:
            return self.on_columns(columns).value_grad_hess(theta)[2]
        columns = np.asarray(columns)
        step = max(1, self.BLOCK_BYTES // (self.X.dtype.itemsize * max(columns.size, 1)))
        total, block = None, None
        for lo in range(0, self.X.shape[0], step):
            rows = slice(lo, lo + step)
            block = self._over(np.ascontiguousarray(self.X[rows, columns]), self.targets[rows], self.weights[rows],
                               None if self.offset is None else self.offset[rows])
            _, _, H = block.kernels.loss_grad_hess(block.X, block.targets, block.coef(theta), block.weights,
                                                   block.fit_intercept, **block._extra)
            total = H if total is None else total + H
        if block is None:  # no rows: f's Hessian is its penalty's
            return self.on_columns(columns).value_grad_hess(theta)[2]
        return block._scaled_hessian(total, self.total_weight)

    def columns_of_X(self, columns):
        """The given columns of X as the kernels take them (here a C-contiguous copy)."""
        return np.ascontiguousarray(self.X[:, columns])

    def params_per_row(self):
        """For a sparse X, the parameters one row's scores touch on average (the solvers' cost
        model, ``solvers.choose_solver``); None for a dense X, where every row touches all."""
        return None

    def column_spread(self):
        """For a sparse X, the coefficient of variation of its stored entries per column (the
        solvers' cost model, ``solvers.choose_solver``); None for a dense X."""
        return None

    def rows_of_X(self, rows):
        """The given rows of X as the kernels take them (here a C-contiguous copy)."""
        return np.ascontiguousarray(self.X[rows])

    # ---- values and derivatives -----------------------------------------------------------------
    @property
    def _penalty(self):
        """(p,) the L2 penalty's Hessian diagonal: λ on the penalised entries, else 0 (made on
        each use, for the Hessians that solvers form; f and ∇f take the penalty in place)."""
        return (self.penalised & (self.l2 > 0)) * self.l2

    def _penalty_value(self, theta):
        """(λ/2) ‖θ_P‖², θ_P the penalised entries."""
        if self.l2 == 0:
            return 0.0
        penalised = theta[self._penalised_slice] if self._penalised_slice is not None else theta[self.penalised]
        root = np.sqrt(self.l2) * norm(penalised)  # (sqrt(λ)‖θ_P‖ squared: finite wherever (λθ)ᵀθ is)
        return 0.5 * root * root

    def _add_penalty(self, out, theta):
        """out += λ θ on the penalised entries (the penalty's gradient, or its Hessian times θ),
        in place: no p-vector is made where the penalised entries are one slice (BLAS axpy)."""
        if self.l2 == 0:
            return out
        where = self._penalised_slice
        if where is not None and out.dtype == theta.dtype == np.float64 and out.flags.c_contiguous and (
                theta.flags.c_contiguous):
            axpy(self.l2, theta[where], out[where])
        else:
            out += self._penalty * theta
        return out

    def _value_and_gradient(self, loss, G, theta):
        """(f, ∇f) from the kernel's loss and gradient over all of B (G: the kernel's own array)."""
        grad = self._free_part_of_own(G)
        grad /= self.total_weight
        return loss / self.total_weight + self._penalty_value(theta), self._add_penalty(grad, theta)

    def value(self, theta):
        loss = self.kernels.loss(self.X, self.targets, self.coef(theta), self.weights, self.fit_intercept,
                                 **self._extra)
        return loss / self.total_weight + self._penalty_value(theta)

    def value_grad(self, theta):
        loss, G = self.kernels.loss_grad(self.X, self.targets, self.coef(theta), self.weights, self.fit_intercept,
                                         **self._extra)
        return self._value_and_gradient(loss, G, theta)

    def value_grad_hess(self, theta):
        """(f, ∇f, ∇²f) at θ from one pass over X. Best run inside ``one_blas_thread()`` (the
        estimator runs whole solves in it): the kernel adds up the Hessian by many small BLAS
        SYRKs (blocks of 1024 rows, blocks of d+1 columns), where BLAS threads cost more to wake
        than they save (digits, K = 10: Newton 1.7 s with them, 0.4 s without)."""
        loss, G, H = self.kernels.loss_grad_hess(self.X, self.targets, self.coef(theta), self.weights,
                                                 self.fit_intercept, **self._extra)
        return (*self._value_and_gradient(loss, G, theta), self._scaled_hessian(H, self.total_weight))

    def _scaled_hessian(self, H, total_weight, free=None, penalty=None):
        """f's Hessian from the kernel's Σ_i w_i ∇²h_i over all of B (a new array, scaled in
        place): the free entries' rows and columns, divided by W, plus the L2 penalty's diagonal.
        ``free``, ``penalty``: for a Hessian over some of B's rows, their entries' (default: this
        objective's ``_free`` and ``_penalty``)."""
        free = self._free if free is None else free
        if not free.all():
            H = H[np.ix_(free, free)]
        H /= total_weight
        H.flat[:: H.shape[0] + 1] += self._penalty if penalty is None else penalty  # (flat: no index arrays)
        return H

    def hessp(self, theta, v):
        Hv = self.kernels.hessp(self.X, self.targets, self.coef(theta), self.coef(v), self.weights,
                                self.fit_intercept, **self._extra)
        Hv = self._free_part_of_own(Hv)
        Hv /= self.total_weight
        return self._add_penalty(Hv, v)

    def hessian_product(self, theta):
        """v, out=None -> ∇²f(θ) v (p,), written into ``out`` where given: the Hessian-vector
        products at one θ (Newton-CG's and TRON's conjugate gradients), from whatever of θ they
        share (``SparseObjective``: the per-row curvature, held only as long as the function)."""
        def product(v, out=None):
            Hv = self.hessp(theta, v)
            if out is None:
                return Hv
            out[:] = Hv
            return out
        return product

    # ---- along a line: reuse scores ------------------------------------------------------------
    def scores(self, theta):
        """U = X̂ B(θ) (+ offset): (N,) or (N, K). Affine in θ, so U(θ + t d) = U + t Z with
        Z = X̂ B(d), ``direction_scores(d)``."""
        return self.kernels.scores(self.X, self.coef(theta), self.fit_intercept, **self._extra)

    def direction_scores(self, d):
        """Z = X̂ B(d), no offset: how the scores move along the direction d."""
        return self.kernels.scores(self.X, self.coef(d), self.fit_intercept)

    def along(self, U, Z, t):
        """Scores at θ + t d from U = scores(θ) and Z = scores(d)."""
        return U + t * Z

    def value_from_scores(self, U, theta):
        """f(θ) given U = scores(θ): O(N K) with no pass over X (for line searches)."""
        loss = self.kernels.loss_from_scores(U, self.targets, self.weights)
        return loss / self.total_weight + self._penalty_value(theta)

    # ---- mini-batches (SGD) ---------------------------------------------------------------------
    def batch_grad(self, theta, rows):
        """Unbiased estimate of ∇f from the given rows: (N/|rows|)(1/W) Σ_rows w_i ∇h_i + λθ."""
        X = np.ascontiguousarray(self.X[rows])
        extra = {} if self.offset is None else {"offset": self.offset[rows]}
        _, G = self.kernels.loss_grad(X, self.targets[rows], self.coef(theta), self.weights[rows], self.fit_intercept,
                                      **extra)
        scale = self.X.shape[0] / (len(rows) * self.total_weight)
        return self.free_part(G) * scale + self._penalty * theta

    def smoothness(self, theta):
        """The average per-row curvature bound, mean_i ‖x̂_i‖² · c + λ: the scale for SGD's step.
        c is the family's bound on h'' (1/4 for logit, claim B5; 1/2 for softmax, the largest
        eigenvalue of diag(p) - ppᵀ; 1 for probit); where h'' is unbounded (e^u: cloglog,
        Poisson) it is the weighted mean of h'' at θ, the start. (The worst row's bound is
        safer, but a single outlying row then makes every step tiny; averaging absorbs the
        occasional overshoot.)"""
        sq = float(np.einsum("ij,ij->i", self.X, self.X, dtype=np.float64).mean()) if self.X.shape[0] else 0.0
        curvature = self.family.curvature_bound
        if curvature is None:
            h2 = self.kernels.row_weights(self.scores(theta), self.targets)[2]
            curvature = float(self.weights @ h2 / self.total_weight)
        return curvature * (sq + (1.0 if self.fit_intercept else 0.0)) + self.l2


class SparseObjective(Objective):
    """``Objective`` over a CSR float64 X (``as_csr``): the same f, gradient, Hessian and
    Hessian-vector products through ``sparse_kernels``; row samples (sampled curvature) stay
    sparse."""

    hessian_with_gradient = False

    def __init__(self, X, targets, weights, family, fit_intercept, l2_strength, n_classes=None, pin_reference=True,
                 offset=None, l1_strength=0.0):
        super().__init__(X, targets, weights, family, fit_intercept, l2_strength, n_classes, pin_reference, offset,
                         l1_strength)
        self.kernels = sparse_kernels(family)
        self._curvature = None  # (X, θ, the kernels' curvature at θ): hessp's cache

    @staticmethod
    def _kernel_weights(weights):
        """The weights as they are: unit weights stay a broadcast of 1.0, which the sparse kernels
        take as 1 without making N floats (``sparse.ScalarSparseKernels``)."""
        return weights

    def params_per_row(self):
        """q = (nnz/N + 1) K: the parameters one row's scores touch on average (no 1 without an
        intercept; K = 1 for a scalar family)."""
        classes = self.coef_shape[1] if len(self.coef_shape) == 2 else 1
        return (self.X.nnz / max(self.X.shape[0], 1) + self.fit_intercept) * classes

    def column_spread(self):
        """std/mean of the stored entries per column of X (0 for equal columns; one pass over
        X's column indices, in blocks); 0 where X stores nothing."""
        counts = per_column(self.X)
        mean = counts.mean() if counts.size else 0.0
        return float(counts.std() / mean) if mean > 0 else 0.0

    def _curvature_at(self, theta):
        """The kernels' per-row curvature at θ, kept from the last call (Newton-CG and TRON ask
        for many Hessian-vector products at one θ)."""
        cached = self._curvature
        if cached is None or cached[0] is not self.X or not np.array_equal(cached[1], theta):
            self._curvature = None  # (freed before the next is made)
            curvature = self.kernels.curvature(self.X, self.targets, self.coef(theta), self.weights,
                                               self.fit_intercept, **self._extra)
            self._curvature = cached = (self.X, np.array(theta), curvature)
        return cached[2]

    def value_grad(self, theta):
        """As ``Objective.value_grad``; the curvature kept from another θ is let go first, so that
        its (N,) or (N, K) array and this pass's scores are never held together (a solver moving
        to θ asks for f and ∇f there first; TRON's rejected step costs one pass to make it again)."""
        if self._curvature is not None and not np.array_equal(self._curvature[1], theta):
            self._curvature = None
        return super().value_grad(theta)

    def hessp(self, theta, v):
        """H v from the curvature at θ (kept for the next product at θ): one pass over X a product."""
        return self._product(self._curvature_at(theta), v)

    def hessian_product(self, theta):
        """As ``Objective.hessian_product``: the curvature at θ made once (one pass over X) and
        held by the returned function only, each product one pass over X with no (N,) vector
        besides it; a scalar family's product is written into ``out`` with no p-vector made."""
        self._curvature = None
        curvature = self.kernels.curvature(self.X, self.targets, self.coef(theta), self.weights, self.fit_intercept,
                                           **self._extra)
        return lambda v, out=None: self._product(curvature, v, out)

    def _product(self, curvature, v, out=None):
        """∇²f v given the kernels' curvature, into ``out`` where given."""
        scalar = self._all_free and len(self.coef_shape) == 1
        V = v if scalar else v.reshape(self.coef_shape, order="F") if self._all_free else self.coef(v)
        Hv = (self.kernels.hessp_with(self.X, curvature, V, self.fit_intercept, out=out) if scalar else
              self.kernels.hessp_with(self.X, curvature, V, self.fit_intercept))
        Hv = self._free_part_of_own(Hv)
        Hv /= self.total_weight  # (in place: the kernel's or free_part's own array)
        self._add_penalty(Hv, v)
        if out is not None and Hv is not out:
            out[:] = Hv
            return out
        return Hv

    def hessian_on_columns(self, theta, columns):
        """As ``Objective.hessian_on_columns``, added up over blocks of X's rows with the given
        columns taken from each block (``sparse.csr_row_views``): no copy of X's columns."""
        H = self.kernels.hessian_from_curvature(self.X, self._curvature_at(theta), self.fit_intercept, columns)
        rows = np.concatenate([[0], np.asarray(columns) + 1]) if self.fit_intercept else np.asarray(columns)
        free = self._free.reshape(self.coef_shape, order="F")[rows].ravel(order="F")
        return self._scaled_hessian(H, self.total_weight, free, self._penalty[self.on_columns_entries(columns)])

    def rows_of_X(self, rows):
        """The given rows of X, CSR."""
        return self.X[rows]

    def columns_of_X(self, columns):
        """The given columns of X, canonical CSR."""
        return as_csr(self.X[:, columns])

    def batch_grad(self, theta, rows):
        raise ValueError("solver 'sgd' does not run on sparse X; use lbfgs, newton-cg, tron, newton or gd")

    def smoothness(self, theta):
        raise ValueError("solver 'sgd' does not run on sparse X; use lbfgs, newton-cg, tron, newton or gd")
