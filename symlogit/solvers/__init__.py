"""Solvers: a descent (which direction) combined with a search (how far).

    newton      Hessian (rows sampled for large N), Cholesky  (newton.py)
    newton-cg   Hessian-vector products, preconditioned CG (newton_cg.py)
    tron        the same products in a trust region, LIBLINEAR's TRON (tron.py)
    lbfgs       SciPy L-BFGS-B on the fused loss+gradient    (lbfgs.py)
    gd          steepest descent, Armijo                     (gradient.py)
    proximal-newton  Newton outer steps, coordinate descent inside, for L1 and elastic
                net (proximal_newton.py; the L1 term: penalty.py)
    sgd         mini-batch SGD, schedules, averaging         (sgd.py)
    auto        chosen by ``choose_solver``

Every solver has ``minimize(objective, theta0, tol, max_iter, callback=None, stop=None)``
returning a ``Result``; all numbers come from ``Objective``, i.e. from the generated kernels.
"""

from .base import Iteration, Result
from .gradient import GradientDescent
from .lbfgs import LBFGS
from .newton import Newton
from .newton_cg import NewtonCG
from .objective import REFERENCE_CLASS, Objective
from .penalty import L1Penalty
from .proximal_newton import ProximalNewton
from .curvature import sample_size
from .sgd import SGD
from .tron import TrustRegionNewtonCG

SOLVERS = {cls.name: cls for cls in (Newton, NewtonCG, TrustRegionNewtonCG, LBFGS, GradientDescent, SGD,
                                      ProximalNewton)}
NAMES = ("auto", *SOLVERS)
#: The solvers that minimise an objective with an L1 term (``Objective.l1`` > 0).
L1_SOLVERS = tuple(name for name, cls in SOLVERS.items() if getattr(cls, "supports_l1", False))

# The auto rule, measured on a grid of shapes by tools/bench_auto.py (2026-11-29, at the default
# tol 1e-8; table in the README). A Newton iteration costs a pass over X (N p multiply-adds for
# the scores and gradient) plus the Hessian, m p² with m the rows of its curvature (all N, or a
# sample of 200 p once N is large: ``curvature.sample_size``); an L-BFGS iteration costs the pass
# alone, and whitened L-BFGS takes 20-100 of them, or stalls above tol 1e-8 where its relative
# decrease reaches rounding first (badly scaled columns, many classes). auto then finishes it
# with Newton from its last point, which takes a few iterations. So Newton from the start pays
# only while its Hessian costs at most NEWTON_HESSIAN_PASSES passes (m p ≤ 10 N: large N), or
# little in absolute terms (m p² ≤ NEWTON_SMALL_HESSIAN, a few milliseconds, where L-BFGS's
# per-iteration overhead decides: N = 1000, d = 100, binary, medians of 15: newton 4 ms, lbfgs
# 5-6 ms, so 1.1e7 and not the 5e6 of the first grid; or p ≤ NEWTON_ALWAYS_PARAMS): N = 10^6, p = 101 newton 0.63 s,
# lbfgs 0.69 s (2.4 s, stalled, on badly scaled columns); N = 10^4, K = 10, p = 99 newton
# 0.134 s, lbfgs 0.023 s; N = 1000, p = 909 newton 0.30 s, lbfgs 0.026 s; breast_cancer (p = 31)
# newton 1.4 ms, lbfgs + newton 10.8 ms; digits (p = 585) newton 354 ms, lbfgs + newton 195 ms.
NEWTON_ALWAYS_PARAMS = 20
NEWTON_SMALL_HESSIAN = 1.1e7
NEWTON_HESSIAN_PASSES = 10
NEWTON_MAX_PARAMS = 6000  # beyond, the Hessian (8 p² bytes, 290 MB) and its Cholesky (p³/3) are too big
NEWTON_MAX_HESSIAN_WORK = 2e11  # m p² multiply-adds, several seconds an iteration

# Sparse X (provisional, ``symlogit.sparse``; measured 2026-11-29 on two shared cores, binary
# logit at C = 1 unless said): a row's outer product touches only the q parameters of its stored
# entries (q = (nnz/N + 1) K with an intercept), so the Hessian costs m q² (scipy's sparse Gram,
# several times slower per multiply-add than a dense SYRK) plus its Cholesky, p³/3, and it is a
# dense p×p matrix. L-BFGS was as fast or faster wherever the Hessian was not tiny: one-hot
# N = 10^5, 5 columns of 40 levels (p = 201) newton 0.28 s, lbfgs 0.08 s; 10 of 100 levels
# (p = 1001) newton 1.29 s, lbfgs 0.18 s; text-like N = 2x10^4, d = 2000, 17 entries a row
# newton 1.14 s, lbfgs + newton-cg 0.13 s; one-hot K = 3, p = 1503, newton 1.15 s, lbfgs
# 1.04 s. So on sparse X auto runs newton only where p ≤ NEWTON_ALWAYS_PARAMS or the Hessian
# work m q² + p³/3 is at most SPARSE_NEWTON_SMALL_HESSIAN (and p ≤ SPARSE_NEWTON_MAX_PARAMS),
# else L-BFGS (diagonally scaled beyond 1000 columns), finished by newton-cg on the same terms.
SPARSE_NEWTON_SMALL_HESSIAN = 5e6
SPARSE_NEWTON_MAX_PARAMS = 2000

# Newton-type solvers from the start on sparse X (issue 17, item 3; ``tools/bench_auto.py
# --sparse``). Where Newton is not cheap, the cells split by the spread of X's column counts (the
# coefficient of variation of the stored entries per column, ``SparseObjective.column_spread``):
# uniform columns (tall random X, spread ≤ 0.02) never stall L-BFGS, which is fastest. Skewed
# columns (one-hot with Zipf levels, text with a Zipf vocabulary: spread 2.9 to 22) made L-BFGS
# stop above tol, and auto's lbfgs + newton-cg then cost 1.3-4x a Newton-type method from the
# start when N ≥ 3p (first measured 2026-11-29 under load, TRON against newton-cg within noise,
# TRON taken). Remeasured 2026-11-30 (binary logit, C = 1, default tol, medians of 3, quiet VM)
# after the sparse whitening took out the columns' mean and Hessian-vector products kept the
# curvature at a point: on one-hot X L-BFGS still stalls (N = 2x10^5, p = 1698: lbfgs 0.670 s
# stalled, tron 0.396 s, newton-cg 0.246 s; N = 10^5, p = 17614: 0.594 s stalled, 0.493 s,
# 0.399 s), newton-cg now ahead of tron (fewer products: one-hot N = 10^6, p = 17538, 88 against
# 134, 3.5 s against 5.3 s), while on text L-BFGS converges and is fastest (N = 2x10^4, d = 5000:
# lbfgs 0.066 s, tron 0.103 s, newton-cg 0.118 s; d = 10^5, N = 5x10^4: 0.230, 0.311, 0.237 s)
# and below ~500 parameters (one-hot p = 211: lbfgs 0.056 s, newton-cg 0.074 s). So: newton-cg
# where p ≥ SPARSE_CG_MIN_PARAMS, N ≥ SPARSE_CG_ROWS_PER_PARAM p and the spread is ≥
# SPARSE_CG_MIN_SPREAD; measured on binary fits only. (Text with N ≥ 3p is the cell this rule
# gets wrong, 1.8x lbfgs there: the spread does not tell Zipf vocabularies from Zipf levels.)
SPARSE_CG_MIN_PARAMS = 500
SPARSE_CG_ROWS_PER_PARAM = 3
SPARSE_CG_MIN_SPREAD = 1.0

# Wide sparse X, scalar families, outside the newton-cg cell: TRON, for memory at L-BFGS's speed.
# Once a scalar family's sparse passes ran over row blocks in cache and H v in one pass on two
# threads (and TRON's CG in place: ``tron.py``), TRON holds about 8 p-vectors and the (N,)
# curvature where L-BFGS holds its history of 2m = 20 p-vectors and SciPy's workspace.
# Measured 2026-11-30 (quiet VM, binary logit, C = 1, default tol, medians of 3; peak above X):
# text N = 2x10^4, d = 2x10^4: tron 0.040 s, 2 MB; lbfgs 0.048 s, 8 MB; N = 5x10^4, d = 10^5:
# tron 0.245 s, 9 MB; lbfgs 0.223 s, 39 MB; the benchmark's text (N = 2x10^5, d = 10^5): tron
# 0.83 s, 8.2 MB; lbfgs 0.76 s, 38-42 MB. Below ~10^4 parameters the history is small and lbfgs
# is as fast or faster (d = 5000: 0.070 against 0.085 s). A vector family's sparse products
# (scipy's, on (N, K) arrays) are not lean: lbfgs.
SPARSE_TRON_MIN_PARAMS = 10_000


def _hessian_rows(n_samples, n_params):
    return sample_size("auto", n_samples, n_params) or n_samples


def _sparse_newton_cheap(n_samples, n_params, params_per_row):
    work = _hessian_rows(n_samples, n_params) * params_per_row ** 2 + n_params ** 3 / 3
    return n_params <= NEWTON_ALWAYS_PARAMS or (n_params <= SPARSE_NEWTON_MAX_PARAMS and
                                                work <= SPARSE_NEWTON_SMALL_HESSIAN)


def newton_affordable(n_samples, n_params, params_per_row=None):
    """Whether a Newton iteration is affordable at all: p ≤ NEWTON_MAX_PARAMS and its Hessian's
    m p² ≤ NEWTON_MAX_HESSIAN_WORK (auto finishes a stalled L-BFGS with Newton if so, else with
    Newton-CG). params_per_row: for sparse X, q (see above): the sparse rule of ``choose_solver``."""
    if params_per_row is not None:
        return _sparse_newton_cheap(n_samples, n_params, params_per_row)
    rows = _hessian_rows(n_samples, n_params)
    return n_params <= NEWTON_MAX_PARAMS and rows * n_params ** 2 <= NEWTON_MAX_HESSIAN_WORK


def _sparse_newton_cg(n_samples, n_params, column_spread):
    return (column_spread is not None and column_spread >= SPARSE_CG_MIN_SPREAD and n_params >= SPARSE_CG_MIN_PARAMS
            and n_samples >= SPARSE_CG_ROWS_PER_PARAM * n_params)


def choose_solver(n_samples, n_params, params_per_row=None, column_spread=None, vector_family=False):
    """The solver ``auto`` runs first: newton when p ≤ NEWTON_ALWAYS_PARAMS, or when its Hessian
    (m p² multiply-adds, m the rows its curvature uses: ``curvature.sample_size``) is at most
    NEWTON_SMALL_HESSIAN or costs at most NEWTON_HESSIAN_PASSES passes over X (m p ≤ 10 N), and
    p ≤ NEWTON_MAX_PARAMS; lbfgs (whitened) otherwise, which the estimator finishes with newton
    (or newton-cg where a Newton iteration is not affordable) where it stops above tol.

    Sparse X (params_per_row = q, the parameters a row's scores touch on average; column_spread,
    the coefficient of variation of X's stored entries per column; see above): newton when p ≤
    NEWTON_ALWAYS_PARAMS, or when m q² + p³/3 ≤ SPARSE_NEWTON_SMALL_HESSIAN and p ≤
    SPARSE_NEWTON_MAX_PARAMS; else newton-cg when p ≥ SPARSE_CG_MIN_PARAMS, N ≥
    SPARSE_CG_ROWS_PER_PARAM p and column_spread ≥ SPARSE_CG_MIN_SPREAD (skewed columns, where
    L-BFGS stalls); else tron for a scalar family (not ``vector_family``) with p ≥
    SPARSE_TRON_MIN_PARAMS (its memory, a quarter of L-BFGS's, at about its speed); lbfgs
    otherwise."""
    if params_per_row is not None:
        if _sparse_newton_cheap(n_samples, n_params, params_per_row):
            return "newton"
        if _sparse_newton_cg(n_samples, n_params, column_spread):
            return "newton-cg"
        return "tron" if n_params >= SPARSE_TRON_MIN_PARAMS and not vector_family else "lbfgs"
    if n_params <= NEWTON_ALWAYS_PARAMS:
        return "newton"
    rows = _hessian_rows(n_samples, n_params)
    cheap = rows * n_params ** 2 <= NEWTON_SMALL_HESSIAN or rows * n_params <= NEWTON_HESSIAN_PASSES * n_samples
    return "newton" if cheap and n_params <= NEWTON_MAX_PARAMS else "lbfgs"


def make_solver(name, options=None, random_state=None):
    """Build a solver by name; options are its constructor's keywords (checked there)."""
    if name not in SOLVERS:
        raise ValueError(f"solver must be one of {', '.join(NAMES)}; got {name!r}")
    options = dict(options or {})
    if name in ("sgd", "newton", "newton-cg", "tron"):  # the solvers that draw random rows
        options.setdefault("random_state", random_state)
    try:
        return SOLVERS[name](**options)
    except TypeError as error:  # an unknown option name
        raise ValueError(f"bad solver_options for {name!r}: {error}") from None


__all__ = ["Iteration", "Result", "Objective", "L1Penalty", "L1_SOLVERS", "REFERENCE_CLASS", "SOLVERS", "NAMES",
           "choose_solver", "make_solver", "newton_affordable"]
