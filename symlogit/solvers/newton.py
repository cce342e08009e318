"""Newton's method with the full Hessian, a Cholesky solve and Armijo backtracking.

Each iteration: g, H = ∇f, ∇²f (generated kernels); d solves H d = -g; t by Armijo along d
(reusing X̂d); θ ← θ + t d. Converged when max|g| ≤ tol and the Newton decrement
½ gᵀH⁻¹g = -½ gᵀd ≤ tol.

Fallback when the Cholesky factorisation fails (H singular or indefinite in floating point:
collinear or constant columns, separated data where every weight σ(1-σ) has underflowed) or
when its d is not a descent direction: Levenberg damping, H + μ I with μ growing tenfold from
1e-10 · max diag(H). We chose damping over switching to a first-order method because it
keeps the curvature that is there (only the flat directions are regularised), it moves
smoothly from Newton to a scaled gradient step as μ grows, and it needs nothing but another
Cholesky of a matrix we already hold.
"""

import numpy as np
import scipy.linalg

from .base import Monitor, check_positive
from .search import Armijo


def newton_direction(H, g, max_damping_steps=30):
    """(d, μ): d = -(H + μ I)⁻¹ g with the smallest μ in {0, μ0, 10 μ0, ...} that gives a
    Cholesky factorisation and a descent direction (gᵀd < 0)."""
    mu, scale = 0.0, max(float(np.max(np.abs(np.diag(H)), initial=0.0)), 1e-300)
    for _ in range(max_damping_steps):
        try:
            factor = scipy.linalg.cho_factor(H + mu * np.eye(H.shape[0]), check_finite=False)
            d = scipy.linalg.cho_solve(factor, -g, check_finite=False)
            if np.all(np.isfinite(d)) and np.dot(g, d) < 0:
                return d, mu
        except np.linalg.LinAlgError:
            pass
        mu = 1e-10 * scale if mu == 0 else 10 * mu
    return -g, np.inf  # H is numerically useless: a plain gradient step


class Newton:
    name = "newton"

    def __init__(self, search=None):
        self.search = search if search is not None else Armijo()

    def minimize(self, objective, theta, tol, max_iter, callback=None, stop=None):
        check_positive("tol", tol)
        check_positive("max_iter", max_iter, integer=True)
        monitor = Monitor(callback, stop)
        U = objective.scores(theta)
        f = objective.value_from_scores(U, theta)
        step = 0.0
        for it in range(max_iter + 1):
            g, H = objective.grad_hess(theta)
            if monitor.record(it, f, g, step, theta):
                return monitor.result(theta, False, f"stopped: {monitor.stopped_by}")
            d, _ = newton_direction(H, g)
            if np.max(np.abs(g), initial=0.0) <= tol and -0.5 * np.dot(g, d) <= tol:
                return monitor.result(theta, True, "converged: max|gradient| and Newton decrement <= tol")
            if it == max_iter:
                break
            found = self.search(objective, theta, U, f, np.dot(g, d), d)
            if found is None:
                return monitor.result(theta, False, "line search failed: no decrease within rounding")
            step, theta, U, f = found
        return monitor.result(theta, False, f"max_iter={max_iter} reached")
