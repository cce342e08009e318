"""The L1 part of an elastic-net penalty, which ``Objective`` leaves out of its smooth f.

The full objective over the free parameters θ (p,) is

    F(θ) = f(θ) + λ₁ ‖θ_P‖₁,        f(θ) = (1/W) Σ_i w_i h(u_i, y_i) + (λ₂/2) ‖θ_P‖²,

P the penalised entries (every coefficient, never an intercept). In scikit-learn's
parametrisation (LogisticRegression, ≥ 1.8) C Σ w h + l1_ratio ‖coef‖₁ + (1 − l1_ratio)/2 ‖coef‖²
divided by C W gives λ = 1/(C W), λ₁ = λ l1_ratio, λ₂ = λ (1 − l1_ratio); for the regressors
(scikit-learn's ElasticNet) λ₁ = α l1_ratio, λ₂ = α (1 − l1_ratio).

Stationarity. F is convex where f is, and θ minimises it iff 0 ∈ ∂F(θ). The minimum-norm
element of ∂F(θ), with g = ∇f(θ) (which includes the L2 term), is, entry by entry,

    g_j                          j not penalised
    g_j + λ₁ sign θ_j            j penalised, θ_j ≠ 0
    S(g_j, λ₁)                   j penalised, θ_j = 0,  S(z, a) = sign(z) max(|z| − a, 0)

(soft thresholding). Its largest magnitude is the stationarity measure of an L1 fit: max|g| is
not one once ‖·‖₁ is in the objective (at a sparse optimum |g_j| = λ₁ ≠ 0 on the support and
|g_j| ≤ λ₁ off it). Sources: Yuan, Ho and Lin (2012), "An improved GLMNET for L1-regularized
logistic regression", JMLR 13, eq. (14); Beck (2017), First-Order Methods in Optimization,
ch. 6 (proximal operators).
"""

import numpy as np


def soft_threshold(z, a):
    """S(z, a) = sign(z) max(|z| − a, 0), elementwise; a ≥ 0 a scalar or an array like z."""
    return np.sign(z) * np.maximum(np.abs(z) - a, 0.0)


class L1Penalty:
    """λ₁ ‖θ_P‖₁ over the free parameters θ (p,): strength λ₁ ≥ 0, penalised (p,) bool, P's mask.
    l2: λ₂, the L2 strength f already holds, used only by ``prox(..., with_l2=True)``."""

    def __init__(self, strength, penalised, l2=0.0):
        if not (np.isfinite(strength) and strength >= 0):
            raise ValueError(f"the L1 strength must be a finite number >= 0, got {strength!r}")
        self.strength = float(strength)
        self.penalised = np.asarray(penalised, dtype=bool)
        self.l2 = float(l2)
        self._thresholds = self.strength * self.penalised  # λ₁ on P, 0 elsewhere

    @classmethod
    def of(cls, objective):
        """The L1 term of an ``Objective`` (its ``l1``, ``penalised`` and ``l2``)."""
        return cls(objective.l1, objective.penalised, objective.l2)

    def value(self, theta):
        """λ₁ ‖θ_P‖₁ (a float)."""
        return self.strength * float(np.abs(theta[self.penalised]).sum()) if self.strength else 0.0

    def prox(self, z, step, with_l2=False):
        """The proximal step argmin_x (1/(2t)) ‖x − z‖² + t-scaled penalty, t = step > 0:
        S(z_j, t λ₁) on P (z_j elsewhere) for the L1 term alone; with_l2=True, for the whole
        elastic net λ₁‖x_P‖₁ + (λ₂/2)‖x_P‖², S(z_j, t λ₁)/(1 + t λ₂) on P."""
        x = soft_threshold(z, step * self._thresholds)
        if with_l2 and self.l2:
            x = np.where(self.penalised, x / (1.0 + step * self.l2), x)
        return x

    def subgradient(self, theta, grad):
        """The minimum-norm element of ∂F(θ) = ∇f(θ) + λ₁ ∂‖θ_P‖₁ (p,), grad = ∇f(θ) (see the
        module docstring)."""
        if not self.strength:
            return np.asarray(grad, dtype=np.float64)
        at_zero = theta == 0
        return np.where(at_zero, soft_threshold(grad, self._thresholds),
                        grad + self._thresholds * np.sign(theta))

    def stationarity(self, theta, grad):
        """max_j |(min-norm subgradient)_j|: 0 exactly at a minimiser of F (convex f)."""
        return float(np.max(np.abs(self.subgradient(theta, grad)), initial=0.0))

    def decrease(self, theta, grad, direction):
        """Δ = ∇f(θ)ᵀd + λ₁ (‖(θ + d)_P‖₁ − ‖θ_P‖₁): the model's predicted change of F along d,
        negative for a descent direction (the line search's slope; Yuan, Ho and Lin 2012 eq. 20)."""
        if not self.strength:
            return float(np.dot(grad, direction))
        # entry by entry, not ‖x‖₁ − ‖θ‖₁: near the optimum Δ is far below the rounding of either norm
        P = self.penalised
        change = np.abs(theta[P] + direction[P]) - np.abs(theta[P])
        return float(np.dot(grad, direction)) + self.strength * float(change.sum())
