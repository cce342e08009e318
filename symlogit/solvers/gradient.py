"""Gradient descent with Armijo backtracking: d = -∇f, t from the Armijo search (reusing X̂d).

Each search starts from twice the last accepted step, so the step adapts upward as well as
down (a constant first trial of 1 would waste halvings on badly scaled data every iteration).
Converged when max|g| ≤ tol.
"""

import numpy as np

from .base import Monitor, check_positive
from .search import Armijo


class GradientDescent:
    name = "gd"

    def __init__(self, search=None):
        self.search = search if search is not None else Armijo()

    def minimize(self, objective, theta, tol, max_iter, callback=None, stop=None):
        check_positive("tol", tol)
        check_positive("max_iter", max_iter, integer=True)
        monitor = Monitor(callback, stop)
        U = objective.scores(theta)
        step, trial = 0.0, 1.0
        for it in range(max_iter + 1):
            f, g = objective.value_grad(theta)
            if monitor.record(it, f, g, step, theta):
                return monitor.result(theta, False, f"stopped: {monitor.stopped_by}")
            if np.max(np.abs(g), initial=0.0) <= tol:
                return monitor.result(theta, True, "converged: max|gradient| <= tol")
            if it == max_iter:
                break
            found = self.search(objective, theta, U, f, -np.dot(g, g), -g, t0=trial)
            if found is None:
                return monitor.result(theta, False, "line search failed: no decrease within rounding")
            step, theta, U, _ = found
            trial = 2.0 * step
        return monitor.result(theta, False, f"max_iter={max_iter} reached")
