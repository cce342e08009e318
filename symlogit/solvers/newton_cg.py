"""Truncated Newton (Newton-CG): the Newton system H d = -g solved inexactly by conjugate
gradients on the generated Hessian-vector product, so the Hessian is never formed.

CG (SciPy's) stops at relative residual η = min(0.5, sqrt(‖g‖)) (the forcing sequence that
gives superlinear convergence, Nocedal & Wright §7.1) or after ``max_cg`` products; then an
Armijo step along d reusing X̂d. Converged when max|g| ≤ tol. If CG's d is not a descent
direction (possible only through rounding, H is positive semidefinite), take -g.
"""

import numpy as np
import scipy.sparse.linalg

from .base import check_positive
from .search import LineSearchDescent


class NewtonCG(LineSearchDescent):
    name = "newton-cg"

    def __init__(self, max_cg=200, search=None):
        super().__init__(search)
        self.max_cg = check_positive("max_cg", max_cg, integer=True)

    def direction(self, objective, theta, tol):
        _, g = objective.value_grad(theta)
        if np.max(np.abs(g), initial=0.0) <= tol:
            return g, None
        n = objective.n_params
        H = scipy.sparse.linalg.LinearOperator((n, n), matvec=lambda v: objective.hessp(theta, v), dtype=float)
        forcing = min(0.5, float(np.sqrt(np.linalg.norm(g))))
        d, _ = scipy.sparse.linalg.cg(H, -g, rtol=forcing, maxiter=self.max_cg)
        if not np.all(np.isfinite(d)) or np.dot(g, d) >= 0:
            d = -g
        return g, d
