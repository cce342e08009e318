"""What every solver shares: the per-iteration record, the result, and the monitor that keeps
the history, calls the user's callback and may ask the solver to stop early."""

import time
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.linalg
import scipy.linalg.blas


@dataclass(frozen=True)
class Iteration:
    """One point of the solve. ``step`` is the step length that led here (0 at the start):
    the accepted Armijo step t for newton, newton-cg and gd, ‖Δθ‖ for lbfgs (SciPy does not
    expose its step), and the learning rate for sgd."""

    iteration: int
    loss: float
    grad_max: float
    step: float
    elapsed: float


@dataclass
class Result:
    """theta: the final free parameters; n_iter: iterations (epochs for sgd) taken;
    converged: max|∇f| ≤ tol (and, for newton, the Newton decrement too);
    stopped_by: None, or the reason a monitor stopped the solve (e.g. "separation")."""

    theta: np.ndarray
    n_iter: int
    converged: bool
    message: str
    history: list = field(default_factory=list)
    stopped_by: str | None = None

    def followed_by(self, later):
        """One result of this solve continued by another from its last point: the later one's
        theta, outcome and iterations, numbered on from this one's (its iteration 0, the same
        point, dropped) with their times added to this one's."""
        last = self.history[-1]
        history = self.history + [replace(point, iteration=last.iteration + point.iteration,
                                          elapsed=last.elapsed + point.elapsed) for point in later.history[1:]]
        return Result(later.theta, self.n_iter + later.n_iter, later.converged, later.message, history,
                      later.stopped_by)


class Monitor:
    """Records each iteration and asks ``stop(iteration, theta)`` whether to stop early.

    callback(Iteration) is called after every record (verbose output, live CLI tables);
    stop(Iteration, theta) returns None to go on, or a reason string to stop.
    """

    def __init__(self, callback=None, stop=None):
        self.callback, self.stop = callback, stop
        self.history = []
        self.stopped_by = None
        self._start = time.perf_counter()

    def record(self, iteration, loss, grad, step, theta):
        """Store the point; return True when the solver must stop."""
        point = Iteration(iteration, float(loss), float(np.max(np.abs(grad), initial=0.0)), float(step),
                          time.perf_counter() - self._start)
        self.history.append(point)
        if self.callback is not None:
            self.callback(point)
        if self.stop is not None:
            self.stopped_by = self.stop(point, theta)
        return self.stopped_by is not None

    def result(self, theta, converged, message):
        n_iter = self.history[-1].iteration if self.history else 0
        return Result(theta, n_iter, converged, message, self.history, self.stopped_by)


def norm(v):
    """‖v‖₂ of a 1-D float array without overflow or underflow (BLAS nrm2 scales as it sums):
    np.linalg.norm squares first, so a gradient entry beyond about 1e154 (a column of 1e200) made
    it inf, and TRON's CG, stopping at ‖r‖ ≤ 0.1 ‖g‖, stopped after one step."""
    return float(scipy.linalg.norm(v, check_finite=False))


def check_positive(name, value, integer=False, allow_zero=False):
    """Solver options are checked when a solver is built: a ValueError names the bad value."""
    kind = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    ok = isinstance(value, kind) and not isinstance(value, bool) and np.isfinite(value) and (
        value >= 0 if allow_zero else value > 0)
    if not ok:
        what = "an integer" if integer else "a number"
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {what} {bound}, got {value!r}")
    return value


def axpy(a, x, y):
    """y += a x in place (BLAS daxpy: no temporary a x), x and y float64 (n,). Where y is an array
    BLAS cannot write to (not aligned, as arrays unpickled from a dask worker can be), SciPy's
    wrapper works on a copy: the result is then copied back."""
    result = scipy.linalg.blas.daxpy(x, y, a=a)
    if result is not y:
        y[...] = result
    return y
