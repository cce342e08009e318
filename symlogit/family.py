"""The runtime family table: what solvers, inference, estimators, model files, the CLI and Dask
know about a model, read from its generated module (facts printed from its row of
``symlogit.symbolic.families``), with no SymPy at run time.

    family = get_family("probit")
    family.kernels.loss_grad(X, y, beta)      the generated kernels
    family.curvature_bound                    sup h'' (None: unbounded), SGD's step scale
    family.hessian_at_zero(K)                 E[h''] at u = 0, whitening's H0 per unit x̂x̂ᵀ
    family.null_scores(y, w, offset)          the intercept-only fit, for llnull (null_intercept: a start)
    family.for_classes(K)                     the family a classifier uses for K classes

No code outside this module and the family table asks which model it is.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import kernels

NAMES = kernels.FAMILIES
#: Where the mean of y lives, and which estimators take the family.
CLASSIFIER_DOMAINS = ("unit", "simplex")
#: The families ``GLMClassifier`` and ``GLMRegressor`` accept (a vector family is reached through
#: its scalar family's ``multiclass``).
CLASSIFIER_NAMES = tuple(n for n in NAMES if kernels.module(n).DOMAIN == "unit")
REGRESSOR_NAMES = tuple(n for n in NAMES if kernels.module(n).DOMAIN not in CLASSIFIER_DOMAINS)
#: The names an estimator or `symlogit fit --family` takes.
ESTIMATOR_NAMES = CLASSIFIER_NAMES + REGRESSOR_NAMES

#: The edges of each scalar domain (lower, upper): where h(·, y) is bounded below as u → ∓∞.
#: "real": a user's family on the whole line (``symlogit.userfamily``), with no edge to reach.
_EDGES = {"unit": (0.0, 1.0), "nonnegative": (0.0, np.inf), "real": (-np.inf, np.inf)}

#: Scores searched for the null model's intercept: the mean of every family is monotone in u, and
#: e^u under- and overflows outside this range.
_NULL_GRID = np.linspace(-745.0, 709.0, 2909)


def kernel_coefficients(coef, intercept):
    """B for the kernels from scikit-learn's layout: (d+1,) from coef (1, d) or (d,) and
    intercept (1,) or a float, (d+1, K) from coef (K, d) and intercept (K,); intercept in row 0."""
    coef, intercept = np.asarray(coef, dtype=np.float64), np.atleast_1d(np.asarray(intercept, dtype=np.float64))
    if coef.ndim == 2 and coef.shape[0] > 1:
        return np.vstack([intercept[None, :], coef.T])
    return np.concatenate([intercept, coef.ravel()])


class Family:
    """A family's facts and kernels (see the module docstring). ``module``: the kernel module of
    a user's family (``symlogit.userfamily``), whose ``definition`` is that Family; None for a
    family of the table."""

    def __init__(self, name, module=None, definition=None):
        k = kernels.module(name) if module is None else module
        self.name, self.kernels, self.definition = name, k, definition
        self.score, self.domain, self.likelihood = k.SCORE, k.DOMAIN, k.LIKELIHOOD
        self.multiclass = k.MULTICLASS
        self.curvature_bound = k.CURVATURE_BOUND
        self.median_score = k.MEDIAN_SCORE

    def __repr__(self):
        return f"Family({self.name!r})"

    @property
    def is_vector(self):
        return self.score == "vector"

    @property
    def is_classifier(self):
        return self.domain in CLASSIFIER_DOMAINS

    @property
    def is_convex(self):
        """False for a user's family that failed the convexity check K2 (allow_nonconvex=True)."""
        return self.definition is None or self.definition.convex

    def is_cached(self):
        """Whether numba's cache holds this family's compiled kernels (a first use compiles them)."""
        if self.definition is None:
            return kernels.is_cached(self.name)
        from .userfamily import is_cached
        return is_cached(self.definition)

    def derivation(self):
        """The family's derivation (``symbolic.printing.render`` shows it); loads SymPy."""
        if self.definition is None:
            from .symbolic.families import derive_family
            return derive_family(self.name)
        return self.definition.derivation()

    def estimator(self, **params):
        """An unfitted estimator of this family: GLMClassifier or GLMRegressor."""
        from .estimator import GLMClassifier, GLMRegressor
        family = self.name if self.definition is None else self.definition
        return (GLMClassifier if self.is_classifier else GLMRegressor)(family=family, **params)

    def labels(self, scores, classes):
        """The predicted class of each row from its scores u (N,) or (N, K): classes[1] where u
        exceeds the median score u½ (p > 1/2), else classes[0]; the largest score for K > 2."""
        if scores.ndim == 2:
            return classes[scores.argmax(axis=1)]
        return classes[(scores > self.median_score).astype(np.intp)]

    def edge_signs(self, y):
        """Each row's sign condition for ``separation.recession_direction`` (scalar families):
        -1 where y is at the domain's lower edge (0), +1 at its upper edge (1 for [0, 1]), 0 inside."""
        lower, upper = _EDGES[self.domain]
        return np.where(y == lower, -1.0, np.where(y == upper, 1.0, 0.0))

    def row_terms(self, X, y, B, intercept, offset=None, expected=False):
        """Per row, in the reference parameterisation (a vector family's class 0 dropped, as in
        ``symlogit.inference``): (r (N, m), W (N, m, m)) such that the row's score (the gradient
        of h in θ) is r_i ⊗ x̂_i and its information is W_i ⊗ x̂_i x̂_iᵀ, per unit weight.
        Scalar families: m = 1, r = h'(u, y), W = h''(u, y) (observed) or E[h''](u)
        (``expected``). A vector family: m = K - 1, r = (p - y)[1:], W = (diag p - p pᵀ)[1:, 1:]
        (free of y: observed = expected). y: the kernels' targets, or class codes (N,) for a
        vector family."""
        k = self.kernels
        if self.is_vector:
            P = k.probabilities(X, B, intercept)
            Y = np.eye(P.shape[1])[y] if y.ndim == 1 else y
            p = P[:, 1:]
            return (p - Y[:, 1:]), p[:, :, None] * (np.eye(p.shape[1]) - p[:, None, :])
        _, slope, observed, fisher = k.row_weights(k.scores(X, B, intercept, offset), y)
        return slope[:, None], (fisher if expected else observed)[:, None, None]

    def mean_slopes(self, u):
        """(μ'(u), μ''(u)) (N,) each, the first two derivatives of the inverse link at scores u
        (scalar families), for marginal effects and their delta-method Jacobian. With h' affine
        in y (claim K1), h'(u, y) = (μ - y) μ'/V(μ) and E[h''](u) = μ'²/V(μ), so
        μ' = E[h''](u) / (h'(u, 0) - h'(u, 1)) from the generated row weights (0 where both
        underflow); μ'' by a central difference of μ' with step 1e-4 (1 + |u|) (relative error
        ~1e-8)."""
        k = self.kernels

        def slope(u):
            zero, one = k.row_weights(u, np.zeros_like(u)), k.row_weights(u, np.ones_like(u))
            b = zero[1] - one[1]
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(b != 0, zero[3] / b, 0.0)

        u = np.ascontiguousarray(u, dtype=np.float64)
        step = 1e-4 * (1 + np.abs(u))
        return slope(u), (slope(u + step) - slope(u - step)) / (2 * step)

    def hessian_at_zero(self, n_classes=2):
        return float(self.kernels.hessian_at_zero(n_classes))

    def for_classes(self, n_classes):
        """The family that fits K classes: itself for two, its ``multiclass`` family for more."""
        if n_classes <= 2 or self.is_vector:
            return self
        if self.multiclass is None:
            raise ValueError(f"Only binary classification is supported by family {self.name!r}: y must have 2 "
                             f"classes, got {n_classes}; use family='logit' (multinomial for K > 2 classes)")
        return get_family(self.multiclass)

    def check_targets(self, y):
        """y (N,) as float64 for a regression family, or a ValueError naming the first bad value."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D for family {self.name!r}, got shape {y.shape}")
        if not np.issubdtype(y.dtype, np.number) or np.issubdtype(y.dtype, np.complexfloating):
            raise ValueError(f"y must be numeric for family {self.name!r}, got dtype {y.dtype}")
        y = y.astype(np.float64)
        bad = ~np.isfinite(y)
        if np.any(bad):
            row = int(np.argmax(bad))
            raise ValueError(f"y must be finite; row {row} (rows count from 0) is {y[row]}")
        if self.domain == "nonnegative" and np.any(y < 0):
            row = int(np.argmax(y < 0))
            raise ValueError(f"y must be >= 0 for family {self.name!r} (counts or rates); row {row} (rows count from 0) "
                             f"is {y[row]:g}")
        return y

    # ---- the intercept-only (null) model ---------------------------------------------------
    def null_scores(self, y, weights, offset=None):
        """Scores of the intercept-only fit at every row: (N,) for a scalar family (c + offset),
        (N, K) for a vector family (the log class shares). Raise ValueError where it has no
        finite optimum (a weighted mean of y at the edge of the domain: all counts zero)."""
        if self.is_vector:
            shares = np.maximum(weights @ y / weights.sum(), 1e-300)
            return np.ascontiguousarray(np.broadcast_to(np.log(shares), y.shape))
        c = self.null_intercept(y, weights, offset)
        return c + (0.0 if offset is None else offset) + np.zeros(y.shape[0])

    def null_intercept(self, y, weights, offset=None):
        """The intercept of the intercept-only fit of a scalar family (``null_scores`` without its
        (N,) array: a fit's start): argmin_c sum_i w_i h(c + o_i, y_i). Without offsets, mean(c) = the weighted mean of y
        (calibration, claim K1, with h' affine in y), found by bisection on the monotone mean.
        With offsets: the root of the slope g(c) = sum_i w_i h'(c + o_i, y_i), increasing in c
        (convexity, claim K2), bracketed from c - mean(o) (the answer for a constant offset) by
        doubling steps, then Newton's method kept inside the bracket, bisecting where a Newton
        step would leave it or would not halve the last step (e^u at u = ±40 makes unguarded
        Newton steps of 1e17; offsets of ±300 make Newton steps of 1 from far below the root)."""
        k = self.kernels
        ybar = float(weights @ y / weights.sum())
        means = k.means_from_scores(_NULL_GRID)
        if not means[0] < ybar < means[-1]:
            lower, upper = _EDGES[self.domain]
            inside = (weights > 0) & ((y > lower) if ybar <= means[0] else (y < upper))
            if not np.any(inside):
                why = "every count is zero" if self.domain == "nonnegative" else "all the sample weight is on one class"
                raise ValueError(f"the weighted mean of y is {ybar:g}, at the edge of family {self.name!r}'s domain: "
                                 f"the likelihood has no finite optimum ({why})")
            # Rows off the edge whose weight does not register in the mean in double precision (a
            # soft target one ulp below 1): the score nearest the edge whose mean is still inside.
            c = float(_NULL_GRID[(means > lower) & (means < upper)][0 if ybar <= means[0] else -1])
        else:
            j = int(np.searchsorted(means, ybar))
            c = _bisect(lambda c: k.means_from_scores(np.array([c]))[0] - ybar, _NULL_GRID[j - 1], _NULL_GRID[j])
        if offset is None:
            return c
        rows = weights > 0
        y, weights, offset = y[rows], weights[rows], offset[rows]

        def slope(c):
            _, g, h, _ = k.row_weights(c + offset, y) @ weights
            return g, h

        c -= float(weights @ offset / weights.sum())
        g = slope(c)[0]
        if g == 0:
            return c
        near, step = c, 1.0  # walk away from c, against the slope, until it changes sign
        while True:
            far = near - np.sign(g) * step
            if np.sign(slope(far)[0]) != np.sign(g):
                break
            near, step = far, 2 * step
            if step > 1e300:
                raise ValueError("the intercept-only model with this offset has no finite optimum")
        lo, hi = min(near, far), max(near, far)  # slope(lo) < 0 <= slope(hi)
        c, width = 0.5 * (lo + hi), hi - lo
        for _ in range(200):
            g, h = slope(c)
            if g == 0:
                break
            lo, hi = (c, hi) if g < 0 else (lo, c)
            newton = c - g / h if h > 0 else np.nan
            if lo < newton < hi and abs(newton - c) < 0.5 * width:  # Newton, while it halves the steps
                width, c = abs(newton - c), newton
            else:
                width, c = 0.5 * (hi - lo), 0.5 * (lo + hi)
            if width <= 4e-16 * max(abs(c), 1e-300):
                break
        return c


def _bisect(f, lo, hi):
    """The root of an increasing f between lo (f < 0) and hi, to the last bit."""
    while True:
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            return mid
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)


def get_family(family):
    """The family ``family``: one of ``NAMES``, or a user's ``symlogit.Family`` (its kernels
    generated on first use); a ValueError naming the choices otherwise."""
    if isinstance(family, str):
        return _table_family(family)
    runtime = getattr(family, "runtime", None)
    if runtime is None:
        raise ValueError(f"family must be one of {', '.join(NAMES)} or a symlogit.Family, got "
                         f"{type(family).__name__} {family!r}")
    return runtime()


def estimator_family(family, classifier):
    """The family an estimator's ``family`` parameter names, checked against the estimator:
    one of ``CLASSIFIER_NAMES`` (``REGRESSOR_NAMES``), or a user's Family whose target is
    "probability" (a regression target). ValueError naming the choices otherwise."""
    names = CLASSIFIER_NAMES if classifier else REGRESSOR_NAMES
    user = not isinstance(family, str) and hasattr(family, "runtime")
    if user and (family.domain in CLASSIFIER_DOMAINS) == classifier:
        return family.runtime()
    if isinstance(family, str) and family in names:
        return _table_family(family)
    targets = "'probability'" if classifier else "'nonnegative' or 'real'"
    raise ValueError(f"family must be one of {', '.join(map(repr, names))} or a symlogit.Family with target "
                     f"{targets}; got {family!r}")


@lru_cache(maxsize=None)
def _table_family(name):
    if name not in NAMES:
        raise ValueError(f"unknown family {name!r}; expected one of {', '.join(NAMES)}")
    return Family(name)
