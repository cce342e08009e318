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

# The auto rule, from tools/bench_solvers.py (N = 5000, tol 1e-8; README "Solvers"): newton
# converged on every problem measured, in 5-9 iterations, and was fastest or within 5x of the
# fastest (newton-cg, on well-scaled data only) up to p = 801 parameters; on badly scaled
# columns (spread 1e3) lbfgs did not converge in 300 iterations and newton-cg took 50-400 s
# against newton's 0.3-1.3 s. Newton's price is the p x p Hessian (N p² flops, 8 p² bytes),
# so beyond NEWTON_MAX_PARAMS it is kept only for badly scaled data, up to a 200 MB Hessian.
NEWTON_MAX_PARAMS = 2000
NEWTON_MAX_PARAMS_BADLY_SCALED = 5000
WELL_SCALED_RATIO = 100.0


def choose_solver(n_samples, n_params, column_scale_ratio):
    """The solver ``auto`` runs: newton for p ≤ NEWTON_MAX_PARAMS free parameters, and up to
    NEWTON_MAX_PARAMS_BADLY_SCALED when the columns' standard deviations spread over more than
    WELL_SCALED_RATIO; lbfgs otherwise. (n_samples does not move the crossover: both
    Newton's and L-BFGS's cost per iteration grow linearly in N.)

    column_scale_ratio: a number, or a function of no arguments returning it (called only
    when the rule needs it: ``column_scale_ratio(X)`` costs a pass over X)."""
    if n_params <= NEWTON_MAX_PARAMS:
        return "newton"
    if callable(column_scale_ratio):
        column_scale_ratio = column_scale_ratio()
    if column_scale_ratio > WELL_SCALED_RATIO and n_params <= NEWTON_MAX_PARAMS_BADLY_SCALED:
        return "newton"
    return "lbfgs"


def column_scale_ratio(X):
    """Largest over smallest standard deviation among the non-constant columns of X."""
    std = X.std(axis=0)
    varying = std[std > 0]
    return float(varying.max() / varying.min()) if varying.size else 1.0


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
           "column_scale_ratio",
           "make_solver"]
