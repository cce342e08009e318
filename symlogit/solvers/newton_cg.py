"""Truncated Newton (Newton-CG): the Newton system H d = -g solved inexactly by conjugate
gradients on the generated Hessian-vector product, so the Hessian is never formed.

CG (SciPy's) stops at relative residual η = min(0.5, sqrt(‖g‖)) (the forcing sequence that
gives superlinear convergence, Nocedal & Wright §7.1) or after ``max_cg`` products; then an
Armijo step along d reusing X̂d. Converged when max|g| ≤ tol. If CG's d is not a descent
direction (possible only through rounding, H is positive semidefinite), take -g.
"""

import numpy as np
import scipy.sparse.linalg

from .base import Monitor, check_positive
from .search import Armijo


class NewtonCG:
    name = "newton-cg"

    def __init__(self, max_cg=200, search=None):
        self.max_cg = check_positive("max_cg", max_cg, integer=True)
        self.search = search if search is not None else Armijo()

    def minimize(self, objective, theta, tol, max_iter, callback=None, stop=None):
        check_positive("tol", tol)
        check_positive("max_iter", max_iter, integer=True)
        monitor = Monitor(callback, stop)
        U = objective.scores(theta)
        f = objective.value_from_scores(U, theta)
        step = 0.0
        n = objective.n_params
        for it in range(max_iter + 1):
            _, g = objective.value_grad(theta)
            if monitor.record(it, f, g, step, theta):
                return monitor.result(theta, False, f"stopped: {monitor.stopped_by}")
            if np.max(np.abs(g), initial=0.0) <= tol:
                return monitor.result(theta, True, "converged: max|gradient| <= tol")
            if it == max_iter:
                break
            H = scipy.sparse.linalg.LinearOperator((n, n), matvec=lambda v: objective.hessp(theta, v), dtype=float)
            forcing = min(0.5, float(np.sqrt(np.linalg.norm(g))))
            d, _ = scipy.sparse.linalg.cg(H, -g, rtol=forcing, maxiter=self.max_cg)
            if not np.all(np.isfinite(d)) or np.dot(g, d) >= 0:
                d = -g
            found = self.search(objective, theta, U, f, np.dot(g, d), d)
            if found is None:
                return monitor.result(theta, False, "line search failed: no decrease within rounding")
            step, theta, U, f = found
        return monitor.result(theta, False, f"max_iter={max_iter} reached")
