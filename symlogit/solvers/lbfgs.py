"""L-BFGS: SciPy's L-BFGS-B, driven by the fused loss+gradient kernel (one pass over X per
evaluation).

SciPy stops on its own criteria (projected gradient ≤ gtol, or a relative decrease of f below
ftol); we report ``converged`` only when max|∇f| ≤ tol at the returned point, so a stall on
ftol is reported as such rather than as convergence.
"""

import numpy as np
import scipy.optimize

from .base import Monitor, check_positive


class LBFGS:
    name = "lbfgs"

    def __init__(self, memory=10):
        self.memory = check_positive("memory", memory, integer=True)

    def minimize(self, objective, theta, tol, max_iter, callback=None, stop=None):
        check_positive("tol", tol)
        check_positive("max_iter", max_iter, integer=True)
        monitor = Monitor(callback, stop)
        last = {}

        def fun(x):
            f, g = objective.value_grad(x)
            last.update(x=x.copy(), f=f, g=g)
            return f, g

        f0, g0 = fun(theta)
        state = {"x": theta.copy(), "it": 0, "stopped": monitor.record(0, f0, g0, 0.0, theta)}
        if state["stopped"]:
            return monitor.result(theta, False, f"stopped: {monitor.stopped_by}")

        def on_iteration(intermediate_result):
            x = intermediate_result.x
            f, g = (last["f"], last["g"]) if np.array_equal(last["x"], x) else fun(x)
            state["it"] += 1
            step = float(np.linalg.norm(x - state["x"]))
            state["x"] = x.copy()
            if monitor.record(state["it"], f, g, step, x):
                state["stopped"] = True
                raise StopIteration  # SciPy ends the solve and returns the current point

        result = scipy.optimize.minimize(
            fun, theta, jac=True, method="L-BFGS-B", callback=on_iteration,
            options={"maxiter": max_iter, "gtol": tol, "ftol": 64 * np.finfo(float).eps, "maxcor": self.memory})
        if state["stopped"]:
            return monitor.result(state["x"], False, f"stopped: {monitor.stopped_by}")
        theta = result.x
        if not np.array_equal(theta, state["x"]):  # SciPy returned a point it did not report
            f, g = fun(theta)
            if monitor.record(state["it"], f, g, float(np.linalg.norm(theta - state["x"])), theta):
                return monitor.result(theta, False, f"stopped: {monitor.stopped_by}")
        converged = monitor.history[-1].grad_max <= tol
        message = "converged: max|gradient| <= tol" if converged else f"L-BFGS-B stopped: {result.message}"
        if not converged and state["it"] >= max_iter:
            message = f"max_iter={max_iter} reached"
        return monitor.result(theta, converged, message)
