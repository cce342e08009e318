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

# The auto rule, from tools/bench_solvers.py (see the README's "Solvers" section): a Newton
# iteration costs about one Hessian, N p² flops by BLAS, against L-BFGS's N p per iteration,
# but Newton needs 5-15 iterations where L-BFGS needs 100s on badly scaled data. Newton wins
# up to a few hundred free parameters; beyond, Newton-CG keeps the curvature without the p²
# Hessian, and plain L-BFGS only wins when the columns are on comparable scales.
NEWTON_MAX_PARAMS = 600
WELL_SCALED_RATIO = 10.0


def choose_solver(n_samples, n_params, column_scale_ratio):
    """The solver ``auto`` runs: newton for p ≤ NEWTON_MAX_PARAMS free parameters; otherwise
    lbfgs when the columns' standard deviations are within WELL_SCALED_RATIO of each other,
    else newton-cg."""
    if n_params <= NEWTON_MAX_PARAMS:
        return "newton"
    return "lbfgs" if column_scale_ratio <= WELL_SCALED_RATIO else "newton-cg"


def make_solver(name, options=None, random_state=None):
    """Build a solver by name; options are its constructor's keywords (checked there)."""
    if name not in SOLVERS:
        raise ValueError(f"solver must be one of {', '.join(NAMES)}; got {name!r}")
    options = dict(options or {})
    if name == "sgd":
        options.setdefault("random_state", random_state)
    try:
        return SOLVERS[name](**options)
    except TypeError as error:  # an unknown option name
        raise ValueError(f"bad solver_options for {name!r}: {error}") from None


__all__ = ["Iteration", "Result", "Objective", "REFERENCE_CLASS", "SOLVERS", "NAMES", "choose_solver",
           "make_solver"]
