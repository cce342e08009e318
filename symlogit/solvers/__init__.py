"""Solvers: a descent (which direction) combined with a search (how far).

    newton      full Hessian, Cholesky, Armijo              (newton.py)
    newton-cg   Hessian-vector products, CG, Armijo         (newton_cg.py)
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
from .sgd import SGD

SOLVERS = {cls.name: cls for cls in (Newton, NewtonCG, LBFGS, GradientDescent, SGD)}
NAMES = ("auto", *SOLVERS)

# The auto rule, from tools/bench_peers.py and tools/bench_solvers.py. A Newton iteration costs
# a SYRK, N p² multiply-adds (measured: ~4e-11 s each on 2 cores), and converges in 5-7
# iterations; an L-BFGS iteration costs about 1.5 passes of ~1e-9 s per entry of X, and the
# whitened L-BFGS converges in 10-25 iterations on well or badly scaled columns alike. Newton
# wins while its Hessian is cheap next to those passes: p up to about 80, or any p while the
# Hessian's N p² stays below 2e9 (small data, where per-iteration overheads decide). Measured:
# B2 (N = 3e5, p = 61) newton 0.44 s, lbfgs 0.88 s; B1 (N = 1e6, p = 101) newton 2.9 s, lbfgs 1.1 s.
NEWTON_ALWAYS_PARAMS = 80
NEWTON_MAX_HESSIAN_WORK = 2e9
NEWTON_MAX_PARAMS = 5000  # beyond, the Hessian (8 p² bytes) and its Cholesky (p³/3) are too big


def choose_solver(n_samples, n_params):
    """The solver ``auto`` runs: newton when p ≤ NEWTON_ALWAYS_PARAMS, or when N p² ≤
    NEWTON_MAX_HESSIAN_WORK and p ≤ NEWTON_MAX_PARAMS; lbfgs (whitened) otherwise."""
    if n_params <= NEWTON_ALWAYS_PARAMS:
        return "newton"
    if n_samples * n_params ** 2 <= NEWTON_MAX_HESSIAN_WORK and n_params <= NEWTON_MAX_PARAMS:
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
