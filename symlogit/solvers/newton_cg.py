"""Truncated Newton (Newton-CG): the Newton system H d = -g solved inexactly by conjugate
gradients on the generated Hessian-vector product, so the Hessian is never formed.

CG (SciPy's) stops at relative residual η = min(0.5, sqrt(‖g‖)) (the forcing sequence that
gives superlinear convergence, Nocedal & Wright §7.1) or after ``max_cg`` products. The step
is Newton's (``newton.py``): the full step first, its one pass over X giving f and ∇f there,
then Armijo backtracking reusing X̂d if it fails. Converged when max|g| ≤ tol. If CG's d is not
a descent direction (possible only through rounding, H is positive semidefinite), take -g.
The products run over a row sample when N is large (``hessian_rows``, as for newton).
"""

import numpy as np
import scipy.sparse.linalg

from .base import check_positive
from .newton import Newton


class NewtonCG(Newton):
    name = "newton-cg"
    converged_message = "converged: max|gradient| <= tol"

    def __init__(self, max_cg=200, hessian_rows="auto", random_state=None, search=None):
        super().__init__(hessian_rows, random_state, search)
        self.max_cg = check_positive("max_cg", max_cg, integer=True)

    def evaluate(self, objective, theta):
        return (*objective.value_grad(theta), None)

    def direction(self, objective, theta, g, _, tol):
        if self.converged(g, None, tol):
            return -g  # not used: the solve stops
        n = objective.n_params
        H = scipy.sparse.linalg.LinearOperator((n, n), matvec=lambda v: objective.hessp(theta, v), dtype=float)
        forcing = min(0.5, float(np.sqrt(np.linalg.norm(g))))
        d, _ = scipy.sparse.linalg.cg(H, -g, rtol=forcing, maxiter=self.max_cg)
        if not np.all(np.isfinite(d)) or np.dot(g, d) >= 0:
            d = -g
        return d

    def converged(self, g, d, tol):
        return np.max(np.abs(g), initial=0.0) <= tol
