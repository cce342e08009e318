"""L-BFGS: SciPy's L-BFGS-B, driven by the fused loss+gradient kernel (one pass over X per
evaluation), on whitened features by default (``whitening.py``: B = T Z with Tᵀ G T = I for
the Gram matrix G of the columns, so badly scaled or correlated columns do not slow it).

Every point is reported, and convergence judged, in the original parameters θ: SciPy's own
gradient test (which would see ∇_z f) is off, and the solve stops when max|∇_θ f| ≤ tol.
SciPy may also stop when the relative decrease of f falls below ftol; we then report that
stall as such rather than as convergence.
"""

import numpy as np
import scipy.optimize

from .base import Monitor, check_positive, norm
from .whitening import Whitening


class _Identity:
    """The map θ <-> z when features are not whitened."""

    def theta(self, z):
        return z

    z = gradient = theta


class LBFGS:
    name = "lbfgs"
    pins_reference = False

    def __init__(self, memory=10, whiten=True):
        self.memory = check_positive("memory", memory, integer=True)
        if not isinstance(whiten, bool):
            raise ValueError(f"whiten must be True or False, got {whiten!r}")
        self.whiten = whiten

    def minimize(self, objective, theta, tol, max_iter, callback=None, stop=None):
        check_positive("tol", tol)
        check_positive("max_iter", max_iter, integer=True)
        monitor = Monitor(callback, stop)
        coordinates = Whitening(objective) if self.whiten else _Identity()
        last = {}

        def fun(z):
            x = coordinates.theta(z)
            f, g = objective.value_grad(x)
            last.update(z=z.copy(), x=x, f=f, g=g)
            return f, coordinates.gradient(g)

        f0, g0 = objective.value_grad(theta)
        state = {"x": theta.copy(), "it": 0, "stopped": monitor.record(0, f0, g0, 0.0, theta), "converged": False}
        if state["stopped"]:
            return monitor.result(theta, False, f"stopped: {monitor.stopped_by}")
        if monitor.history[-1].grad_max <= tol:
            return monitor.result(theta, True, "converged: max|gradient| <= tol")

        def on_iteration(intermediate_result):
            z = intermediate_result.x
            if not np.array_equal(last["z"], z):
                fun(z)
            x, f, g = last["x"], last["f"], last["g"]
            state["it"] += 1
            step = norm(x - state["x"])
            state["x"] = x.copy()
            state["stopped"] = monitor.record(state["it"], f, g, step, x)
            state["converged"] = monitor.history[-1].grad_max <= tol
            if state["stopped"] or state["converged"]:
                raise StopIteration  # SciPy ends the solve and returns the current point

        result = scipy.optimize.minimize(
            fun, coordinates.z(theta), jac=True, method="L-BFGS-B", callback=on_iteration,
            options={"maxiter": max_iter, "gtol": 0.0, "ftol": 64 * np.finfo(float).eps, "maxcor": self.memory})
        if state["stopped"]:
            return monitor.result(state["x"], False, f"stopped: {monitor.stopped_by}")
        if state["converged"]:
            return monitor.result(state["x"], True, "converged: max|gradient| <= tol")
        theta = coordinates.theta(result.x)
        if not np.array_equal(theta, state["x"]):  # SciPy returned a point it did not report
            f, g = objective.value_grad(theta)
            if monitor.record(state["it"], f, g, norm(theta - state["x"]), theta):
                return monitor.result(theta, False, f"stopped: {monitor.stopped_by}")
        converged = monitor.history[-1].grad_max <= tol
        message = "converged: max|gradient| <= tol" if converged else f"L-BFGS-B stopped: {result.message}"
        if not converged and state["it"] >= max_iter:
            message = f"max_iter={max_iter} reached"
        return monitor.result(theta, converged, message)
