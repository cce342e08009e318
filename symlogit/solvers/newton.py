"""Newton's method with the full Hessian, a Cholesky solve and Armijo backtracking.

Each iteration: g, H = ∇f, ∇²f (generated kernels); d solves H d = -g; t by Armijo along d;
θ ← θ + t d. Converged when max|g| ≤ tol and the Newton decrement
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
import scipy.linalg.lapack

from .base import Monitor, check_positive
from .curvature import check_option, with_sampled_curvature
from .search import LineSearchDescent


def newton_direction(H, g, max_damping_steps=30):
    """(d, μ): d = -(H + μ I)⁻¹ g with the smallest μ in {0, μ0, 10 μ0, ...} that gives a
    Cholesky factorisation and a descent direction (gᵀd < 0)."""
    mu, scale = 0.0, max(float(np.abs(H.diagonal()).max(initial=0.0)), 1e-300)
    for _ in range(max_damping_steps):
        damped = H
        if mu > 0:  # a copy only on the fallback path
            damped = H.copy()
            damped.flat[:: damped.shape[0] + 1] += mu
        # LAPACK's Cholesky directly: scipy.linalg's checking wrappers cost more than the
        # factorisation itself at small p, where Newton's iterations take ~0.2 ms each.
        factor, info = scipy.linalg.lapack.dpotrf(damped, clean=False)
        if info == 0:
            d, info = scipy.linalg.lapack.dpotrs(factor, -g)
            if info == 0 and np.all(np.isfinite(d)) and np.dot(g, d) < 0:
                return d, mu
        mu = 1e-10 * scale if mu == 0 else 10 * mu
    return -g, np.inf  # H is numerically useless: a plain gradient step


class Newton(LineSearchDescent):
    """Each iteration tries the full step t = 1 first, with ``evaluate(θ + d)``: one pass over X
    gives f there, to test Armijo's condition, and ∇f and ∇²f, which the next iteration needs
    when the step is taken (near the optimum, always). After a step shorter than 1 the next
    iteration searches first instead (X̂d once, trials from the scores), since a full step that
    fails wastes a Hessian.

    hessian_rows: the rows the Hessian is taken over (``curvature.py``): "auto" samples
    200 p of them once N is large enough, None takes all, an int m samples m; random_state
    seeds the sample (default 0, so that a fit is reproducible)."""

    name = "newton"
    converged_message = "converged: max|gradient| and Newton decrement <= tol"

    def __init__(self, hessian_rows="auto", random_state=None, search=None):
        super().__init__(search)
        self.hessian_rows = check_option(hessian_rows)
        self.random_state = 0 if random_state is None else random_state

    def prepare(self, objective):
        """(the objective to minimise, what ``direction`` needs besides): the Hessian's row sample."""
        return with_sampled_curvature(objective, self.hessian_rows, self.random_state), None

    def evaluate(self, objective, theta):
        """(f, ∇f, curvature) at θ: here the Hessian."""
        return objective.value_grad_hess(theta)

    def direction(self, objective, theta, g, H, tol, prepared):
        return newton_direction(H, g)[0]

    def converged(self, g, d, tol):
        return np.max(np.abs(g), initial=0.0) <= tol and -0.5 * np.dot(g, d) <= tol

    def minimize(self, objective, theta, tol, max_iter, callback=None, stop=None):
        check_positive("tol", tol)
        check_positive("max_iter", max_iter, integer=True)
        objective, prepared = self.prepare(objective)
        monitor = Monitor(callback, stop)
        f, g, H = self.evaluate(objective, theta)
        U, step = None, 0.0  # U: the scores X̂θ, when a search has left them
        for it in range(max_iter + 1):
            d = self.direction(objective, theta, g, H, tol, prepared)
            if monitor.record(it, f, g, step, theta):
                return monitor.result(theta, False, f"stopped: {monitor.stopped_by}")
            if self.converged(g, d, tol):
                return monitor.result(theta, True, self.converged_message)
            if it == max_iter:
                break
            slope = np.dot(g, d)
            full_step_first = step in (0.0, 1.0)
            if full_step_first:
                trial = theta + d
                f_1, g_1, H_1 = self.evaluate(objective, trial)
                if self.search.accepts(f, f_1, slope, 1.0):
                    theta, f, g, H, U, step = trial, f_1, g_1, H_1, None, 1.0
                    continue
            if U is None:
                U = objective.scores(theta)
            found = self.search(objective, theta, U, f, slope, d, t0=self.search.shrink if full_step_first else 1.0)
            if found is None:
                return monitor.result(theta, False, "line search failed: no decrease within rounding")
            step, theta, U, _ = found
            f, g, H = self.evaluate(objective, theta)
        return monitor.result(theta, False, f"max_iter={max_iter} reached")
