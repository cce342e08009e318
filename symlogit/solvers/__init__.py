"""Solvers: a descent (which direction) combined with a search (how far).

    newton      Hessian (rows sampled for large N), Cholesky  (newton.py)
    newton-cg   Hessian-vector products, preconditioned CG (newton_cg.py)
    lbfgs       SciPy L-BFGS-B on the fused loss+gradient    (lbfgs.py)
    gd          steepest descent, Armijo                     (gradient.py)
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
from .curvature import sample_size
from .sgd import SGD

SOLVERS = {cls.name: cls for cls in (Newton, NewtonCG, LBFGS, GradientDescent, SGD)}
NAMES = ("auto", *SOLVERS)

# The auto rule, measured on a grid of shapes by tools/bench_auto.py (2026-11-29, at the default
# tol 1e-8; table in the README). A Newton iteration costs a pass over X (N p multiply-adds for
# the scores and gradient) plus the Hessian, m p² with m the rows of its curvature (all N, or a
# sample of 200 p once N is large: ``curvature.sample_size``); an L-BFGS iteration costs the pass
# alone, and whitened L-BFGS takes 20-100 of them, or stalls above tol 1e-8 where its relative
# decrease reaches rounding first (badly scaled columns, many classes). auto then finishes it
# with Newton from its last point, which takes a few iterations. So Newton from the start pays
# only while its Hessian costs at most NEWTON_HESSIAN_PASSES passes (m p ≤ 10 N: large N), or
# little in absolute terms (m p² ≤ NEWTON_SMALL_HESSIAN, about a millisecond, where L-BFGS's
# per-iteration overhead decides; or p ≤ NEWTON_ALWAYS_PARAMS): N = 10^6, p = 101 newton 0.63 s,
# lbfgs 0.69 s (2.4 s, stalled, on badly scaled columns); N = 10^4, K = 10, p = 99 newton
# 0.134 s, lbfgs 0.023 s; N = 1000, p = 909 newton 0.30 s, lbfgs 0.026 s; breast_cancer (p = 31)
# newton 1.4 ms, lbfgs + newton 10.8 ms; digits (p = 585) newton 354 ms, lbfgs + newton 195 ms.
NEWTON_ALWAYS_PARAMS = 20
NEWTON_SMALL_HESSIAN = 5e6
NEWTON_HESSIAN_PASSES = 10
NEWTON_MAX_PARAMS = 6000  # beyond, the Hessian (8 p² bytes, 290 MB) and its Cholesky (p³/3) are too big
NEWTON_MAX_HESSIAN_WORK = 2e11  # m p² multiply-adds, several seconds an iteration


def newton_affordable(n_samples, n_params):
    """Whether a Newton iteration is affordable at all: p ≤ NEWTON_MAX_PARAMS and its Hessian's
    m p² ≤ NEWTON_MAX_HESSIAN_WORK (auto finishes a stalled L-BFGS with Newton if so, else with
    Newton-CG)."""
    rows = sample_size("auto", n_samples, n_params) or n_samples
    return n_params <= NEWTON_MAX_PARAMS and rows * n_params ** 2 <= NEWTON_MAX_HESSIAN_WORK


def choose_solver(n_samples, n_params):
    """The solver ``auto`` runs first: newton when p ≤ NEWTON_ALWAYS_PARAMS, or when its Hessian
    (m p² multiply-adds, m the rows its curvature uses: ``curvature.sample_size``) is at most
    NEWTON_SMALL_HESSIAN or costs at most NEWTON_HESSIAN_PASSES passes over X (m p ≤ 10 N), and
    p ≤ NEWTON_MAX_PARAMS; lbfgs (whitened) otherwise, which the estimator finishes with newton
    (or newton-cg where a Newton iteration is not affordable) where it stops above tol."""
    if n_params <= NEWTON_ALWAYS_PARAMS:
        return "newton"
    rows = sample_size("auto", n_samples, n_params) or n_samples
    cheap = rows * n_params ** 2 <= NEWTON_SMALL_HESSIAN or rows * n_params <= NEWTON_HESSIAN_PASSES * n_samples
    return "newton" if cheap and n_params <= NEWTON_MAX_PARAMS else "lbfgs"


def make_solver(name, options=None, random_state=None):
    """Build a solver by name; options are its constructor's keywords (checked there)."""
    if name not in SOLVERS:
        raise ValueError(f"solver must be one of {', '.join(NAMES)}; got {name!r}")
    options = dict(options or {})
    if name in ("sgd", "newton", "newton-cg"):  # the solvers that draw random rows
        options.setdefault("random_state", random_state)
    try:
        return SOLVERS[name](**options)
    except TypeError as error:  # an unknown option name
        raise ValueError(f"bad solver_options for {name!r}: {error}") from None


__all__ = ["Iteration", "Result", "Objective", "REFERENCE_CLASS", "SOLVERS", "NAMES", "choose_solver", "make_solver",
           "newton_affordable"]
