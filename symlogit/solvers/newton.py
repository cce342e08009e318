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

from .search import LineSearchDescent


def newton_direction(H, g, max_damping_steps=30):
    """(d, μ): d = -(H + μ I)⁻¹ g with the smallest μ in {0, μ0, 10 μ0, ...} that gives a
    Cholesky factorisation and a descent direction (gᵀd < 0)."""
    mu, scale = 0.0, max(float(np.max(np.abs(np.diag(H)), initial=0.0)), 1e-300)
    for _ in range(max_damping_steps):
        damped = H
        if mu > 0:  # a copy only on the fallback path
            damped = H.copy()
            damped[np.diag_indices_from(damped)] += mu
        try:
            factor = scipy.linalg.cho_factor(damped, check_finite=False)
            d = scipy.linalg.cho_solve(factor, -g, check_finite=False)
            if np.all(np.isfinite(d)) and np.dot(g, d) < 0:
                return d, mu
        except np.linalg.LinAlgError:
            pass
        mu = 1e-10 * scale if mu == 0 else 10 * mu
    return -g, np.inf  # H is numerically useless: a plain gradient step


class Newton(LineSearchDescent):
    name = "newton"
    converged_message = "converged: max|gradient| and Newton decrement <= tol"

    def direction(self, objective, theta, tol):
        g, H = objective.grad_hess(theta)
        d, _ = newton_direction(H, g)
        converged = np.max(np.abs(g), initial=0.0) <= tol and -0.5 * np.dot(g, d) <= tol
        return g, (None if converged else d)
