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

# The auto rule, from tools/bench_peers.py and tools/bench_solvers.py. An L-BFGS iteration costs
# about one pass over X (~1e-9 s per entry of X on 2 cores), and the whitened L-BFGS converges
# in 10-25 iterations on well or badly scaled columns alike. A Newton iteration costs a pass
# plus the Hessian: N p² multiply-adds (~4e-11 s each), or 200 p³ once N is large enough to
# sample its rows (``curvature.py``), and Newton takes 5-12 iterations. Newton wins while its
# Hessian is cheap next to those passes: p up to about 80, or any p while N p² stays below 2e9
# (small data, where per-iteration overheads decide). Measured on 2026-11-23: B2 (N = 3e5,
# p = 61) newton 0.29 s, lbfgs 0.31 s; B1 (N = 1e6, p = 101) newton 0.87 s, lbfgs 0.70 s;
# M1 (N = 2e5, p = 459) newton 7.5 s, lbfgs 0.90 s. Re-measured 2026-11-29 at the default tol
# 1e-8, counting the sampled curvature's rows (m = 200 p) rather than N: N = 1e6, p = 101 newton
# 0.53 s, lbfgs 0.62 s; N = 2e6, d = 20, K = 6 (p = 105) newton 1.57 s, lbfgs 2.77 s (auto had
# chosen lbfgs there: N p² = 2.2e10, but the Hessian's m p² = 2.3e8).
NEWTON_ALWAYS_PARAMS = 80
NEWTON_MAX_HESSIAN_WORK = 2e9
NEWTON_MAX_PARAMS = 5000  # beyond, the Hessian (8 p² bytes) and its Cholesky (p³/3) are too big


def choose_solver(n_samples, n_params):
    """The solver ``auto`` runs: newton when p ≤ NEWTON_ALWAYS_PARAMS, or when m p² ≤
    NEWTON_MAX_HESSIAN_WORK and p ≤ NEWTON_MAX_PARAMS, m the rows its curvature uses (a sample
    of 200 p once N is large: ``curvature.sample_size``); lbfgs (whitened) otherwise."""
    if n_params <= NEWTON_ALWAYS_PARAMS:
        return "newton"
    rows = sample_size("auto", n_samples, n_params) or n_samples
    if rows * n_params ** 2 <= NEWTON_MAX_HESSIAN_WORK and n_params <= NEWTON_MAX_PARAMS:
        return "newton"
    return "lbfgs"


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


__all__ = ["Iteration", "Result", "Objective", "REFERENCE_CLASS", "SOLVERS", "NAMES", "choose_solver", "make_solver"]
