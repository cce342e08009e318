"""Trust-region Newton-CG (LIBLINEAR's TRON: Lin, Weng and Keerthi 2008, "Trust region Newton
method for large-scale logistic regression", JMLR 9; the preconditioned variant of Hsia, Chiang
and Lin 2018): Newton-CG whose step is kept inside a trust region instead of searched along a
line, so a poor or indefinite curvature model shrinks the region rather than the step.

Each iteration, at θ with f, g = ∇f and the Hessian-vector product H v (generated kernels):

    s ≈ argmin q(s) = gᵀs + ½ sᵀH s  over ‖s‖_M⁻¹ ≤ Δ   (Steihaug-Toint CG: stops at relative
        residual ξ = 0.1, at the boundary, or along a direction of non-positive curvature)
    ρ = (f(θ) - f(θ + s)) / (-q(s)),   θ ← θ + s where ρ > η0

and Δ is updated from ρ and ‖s‖ as LIBLINEAR does (η0, η1, η2 = 1e-4, 0.25, 0.75; σ1, σ2,
σ3 = 0.25, 0.5, 4; α from the quadratic interpolation of f along s), starting from
Δ0 = ‖g‖_M. M is Newton-CG's preconditioner (H0⁻¹, ``whitening.py``; a diagonal one for wide
sparse X), and the region is measured in its metric, ‖s‖²_M⁻¹ = sᵀM⁻¹s, tracked through CG's
recurrences (Conn, Gould and Toint 2000, §5.2) without forming M⁻¹.

Converged when max|g| ≤ tol. Near the optimum f(θ) - f(θ + s) is rounding, not decrease: a step
whose actual and predicted decrease are both below 64 ε |f| is taken when it lowers max|g|.
"""

import numpy as np

from .base import Monitor, check_positive, norm
from .newton_cg import NewtonCG

ETA = (1e-4, 0.25, 0.75)
SIGMA = (0.25, 0.5, 4.0)
EPS = np.finfo(np.float64).eps


def steihaug_cg(hessp, g, radius, precondition, forcing=0.1, max_cg=200):
    """(s, r, ‖s‖_M⁻¹): an approximate minimiser s of gᵀs + ½ sᵀH s with ‖s‖_M⁻¹ ≤ radius,
    and the residual r = -g - H s. ``precondition(v)`` is M v (identity if None)."""
    M = precondition or (lambda v: v)
    s, r = np.zeros_like(g), -g.copy()
    z = M(r)
    p, rz = z.copy(), float(r @ z)
    ss, sp, pp = 0.0, 0.0, rz  # sᵀM⁻¹s, sᵀM⁻¹p, pᵀM⁻¹p
    stop = forcing * norm(g)

    def to_boundary():
        return (-sp + np.sqrt(max(sp * sp + pp * (radius * radius - ss), 0.0))) / pp

    for _ in range(max_cg):
        Hp = hessp(p)
        curvature = float(p @ Hp)
        alpha = rz / curvature if curvature > 0 else np.inf
        if curvature <= 0 or ss + 2 * alpha * sp + alpha * alpha * pp >= radius * radius:
            tau = to_boundary()
            return s + tau * p, r - tau * Hp, radius
        s += alpha * p
        r -= alpha * Hp
        ss += 2 * alpha * sp + alpha * alpha * pp
        if norm(r) <= stop:
            break
        z = M(r)
        rz_next = float(r @ z)
        beta = rz_next / rz
        rz = rz_next
        sp = beta * (sp + alpha * pp)
        pp = rz + beta * beta * pp
        p *= beta
        p += z
    return s, r, np.sqrt(max(ss, 0.0))


def next_radius(radius, ratio_terms, step_norm, first):
    """LIBLINEAR's update of Δ from the actual and predicted decrease and gᵀs."""
    actual, predicted, gs, f_change = ratio_terms
    if first:
        radius = min(radius, step_norm)
    denominator = f_change - gs
    alpha = SIGMA[2] if denominator <= 0 else max(SIGMA[0], -0.5 * gs / denominator)
    if actual < ETA[0] * predicted:
        return min(max(alpha, SIGMA[0]) * step_norm, SIGMA[1] * radius)
    if actual < ETA[1] * predicted:
        return max(SIGMA[0] * radius, min(alpha * step_norm, SIGMA[1] * radius))
    if actual < ETA[2] * predicted:
        return max(SIGMA[0] * radius, min(alpha * step_norm, SIGMA[2] * radius))
    return max(radius, min(alpha * step_norm, SIGMA[2] * radius))


class TrustRegionNewtonCG(NewtonCG):
    """``tron``: see the module docstring. Options: max_cg (CG iterations per step), precondition,
    hessian_rows and random_state as Newton-CG's (the Hessian-vector products may run over a
    row sample once N is large)."""

    name = "tron"

    def minimize(self, objective, theta, tol, max_iter, callback=None, stop=None):
        check_positive("tol", tol)
        check_positive("max_iter", max_iter, integer=True)
        curvature_objective, preconditioner = self.prepare(objective)
        precondition = None if preconditioner is None else preconditioner.matvec
        monitor = Monitor(callback, stop)
        f, g = objective.value_grad(theta)
        radius = np.sqrt(max(float(g @ (precondition(g) if precondition else g)), 0.0))
        step, it, first = 0.0, 0, True
        while True:
            if monitor.record(it, f, g, step, theta):
                return monitor.result(theta, False, f"stopped: {monitor.stopped_by}")
            if self.converged(g, None, tol):
                return monitor.result(theta, True, self.converged_message)
            if it == max_iter:
                return monitor.result(theta, False, f"max_iter={max_iter} reached")
            while True:  # shrink the region until a step is taken
                s, r, step_norm = steihaug_cg(lambda v: curvature_objective.hessp(theta, v), g, radius, precondition,
                                              max_cg=self.max_cg)
                gs = float(g @ s)
                predicted = -0.5 * (gs - float(s @ r))
                trial = theta + s
                f_trial, g_trial = objective.value_grad(trial)
                actual = f - f_trial
                radius = next_radius(radius, (actual, predicted, gs, f_trial - f), step_norm, first)
                first = False
                rounding = 64 * EPS * max(abs(f), 1.0)
                within_rounding = abs(actual) <= rounding and abs(predicted) <= rounding
                if np.isfinite(f_trial) and (actual > ETA[0] * predicted or (
                        within_rounding and np.max(np.abs(g_trial)) < np.max(np.abs(g)))):
                    break
                if not np.isfinite(radius) or radius <= EPS * max(norm(theta), 1.0) or (
                        within_rounding):
                    return monitor.result(theta, False, "trust region collapsed: no decrease within rounding")
            theta, f, g, step = trial, f_trial, g_trial, float(norm(s))
            it += 1
