"""Gradient descent with Armijo backtracking: d = -∇f, t from the Armijo search (reusing X̂d).

Each search starts from twice the last accepted step, so the step adapts upward as well as
down (a constant first trial of 1 would waste halvings on badly scaled data every iteration).
Converged when max|g| ≤ tol.
"""

import numpy as np

from .search import LineSearchDescent


class GradientDescent(LineSearchDescent):
    name = "gd"
    pins_reference = False

    def first_trial(self, last_step):
        return 2.0 * last_step if last_step > 0 else 1.0

    def direction(self, objective, theta, tol):
        _, g = objective.value_grad(theta)
        return g, (None if np.max(np.abs(g), initial=0.0) <= tol else -g)
