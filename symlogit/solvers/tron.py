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

from .base import Monitor, axpy, check_positive, norm
from .newton_cg import NewtonCG

ETA = (1e-4, 0.25, 0.75)
SIGMA = (0.25, 0.5, 4.0)
EPS = np.finfo(np.float64).eps


def _identity(v, out):
    out[:] = v
    return out


def steihaug_cg(hessp, r, radius, precondition=None, forcing=0.1, max_cg=200):
    """(s, -q(s), gᵀs, ‖s‖_M⁻¹): an approximate minimiser s of q(s) = gᵀs + ½ sᵀH s with
    ‖s‖_M⁻¹ ≤ radius, the decrease it predicts, and gᵀs. ``r`` is -g, and CG's residual
    r = -g - H s in place (its values are lost). ``hessp(v, out)`` writes H v into out,
    ``precondition(v, out)`` M v (identity if None). Four p-vectors: r, s, the direction, and one
    that holds H p and then M r in turn; q(s) and sᵀH s are carried as numbers (each step's
    change from pᵀr, pᵀH p and sᵀH p), so g itself is not needed."""
    s, work = np.zeros_like(r), np.empty_like(r)
    M = precondition or _identity
    M(r, work)
    p = work.copy()
    rz = float(r @ p)
    ss, sp, pp = 0.0, 0.0, rz  # sᵀM⁻¹s, sᵀM⁻¹p, pᵀM⁻¹p
    q, sHs = 0.0, 0.0  # q(s) and sᵀH s
    stop = forcing * norm(r)
    step_norm = None
    for _ in range(max_cg):
        Hp = hessp(p, work)
        curvature = float(p @ Hp)
        alpha = rz / curvature if curvature > 0 else np.inf
        if curvature <= 0 or ss + 2 * alpha * sp + alpha * alpha * pp >= radius * radius:
            alpha = (-sp + np.sqrt(max(sp * sp + pp * (radius * radius - ss), 0.0))) / pp  # to the boundary
            step_norm = radius
        # q(s + α p) = q(s) - α pᵀr + ½ α² pᵀH p, with r = -(g + H s)
        q += alpha * (0.5 * alpha * curvature - float(p @ r))
        sHs += alpha * (2.0 * float(s @ Hp) + alpha * curvature)
        axpy(alpha, p, s)
        axpy(-alpha, Hp, r)
        if step_norm is not None:
            break
        ss += 2 * alpha * sp + alpha * alpha * pp
        if norm(r) <= stop:
            break
        z = M(r, work)
        rz_next = float(r @ z)
        beta = rz_next / rz
        rz = rz_next
        sp = beta * (sp + alpha * pp)
        pp = rz + beta * beta * pp
        p *= beta
        p += z
    return s, -q, q - 0.5 * sHs, np.sqrt(max(ss, 0.0)) if step_norm is None else step_norm


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
        curvature_objective, whitening = self.prepare_whitening(objective)
        precondition = None if whitening is None else whitening.precondition_into
        monitor = Monitor(callback, stop)
        f, g = objective.value_grad(theta)
        radius = np.sqrt(max(float(g @ (whitening.precondition(g) if whitening else g)), 0.0))
        step, it, first = 0.0, 0, True
        while True:
            if monitor.record(it, f, g, step, theta):
                return monitor.result(theta, False, f"stopped: {monitor.stopped_by}")
            if self.converged(g, None, tol):
                return monitor.result(theta, True, self.converged_message)
            if it == max_iter:
                return monitor.result(theta, False, f"max_iter={max_iter} reached")
            hessp = curvature_objective.hessian_product(theta)
            while True:  # shrink the region until a step is taken
                largest = np.max(np.abs(g))
                # (g's array becomes CG's residual: one p-vector fewer while CG runs; a rejected
                # step takes g again from a pass over X)
                s, predicted, gs, step_norm = steihaug_cg(hessp, np.negative(g, out=g), radius, precondition,
                                                          max_cg=self.max_cg)
                del g
                s_norm = norm(s)
                trial = s
                trial += theta  # (s is not needed past gᵀs and ‖s‖: the trial point takes its place)
                f_trial, g_trial = objective.value_grad(trial)
                actual = f - f_trial
                radius = next_radius(radius, (actual, predicted, gs, f_trial - f), step_norm, first)
                first = False
                rounding = 64 * EPS * max(abs(f), 1.0)
                within_rounding = abs(actual) <= rounding and abs(predicted) <= rounding
                if np.isfinite(f_trial) and (actual > ETA[0] * predicted or (
                        within_rounding and np.max(np.abs(g_trial)) < largest)):
                    break
                del trial, g_trial
                if not np.isfinite(radius) or radius <= EPS * max(norm(theta), 1.0) or (
                        within_rounding):
                    return monitor.result(theta, False, "trust region collapsed: no decrease within rounding")
                f, g = objective.value_grad(theta)
            del hessp  # (the curvature at θ, (N,), before the next is made)
            theta, f, g, step = trial, f_trial, g_trial, s_norm
            it += 1
