"""How far to go along a direction: Armijo backtracking, and learning-rate schedules for SGD."""

import numpy as np

from .base import Monitor, check_positive

EPS = np.finfo(np.float64).eps


class Armijo:
    """Backtracking line search. From θ along a descent direction d (∇f(θ)ᵀd < 0), accept the
    first t in t0, ρ t0, ρ² t0, ... with

        f(θ + t d) ≤ f(θ) + c t ∇f(θ)ᵀd + 8 ε |f(θ)|.

    The last term (ε the float64 epsilon) lets a step through whose decrease is below
    rounding: near the optimum the predicted decrease c t ∇fᵀd is smaller than the error in f.

    X̂d is computed once (``objective.scores(d)``) and each trial evaluates f from the scores
    U + t X̂d, so a trial costs O(N K), not a pass over X.
    """

    def __init__(self, c=1e-4, shrink=0.5, max_trials=60):
        if not (isinstance(c, float) and 0 < c < 1):
            raise ValueError(f"Armijo c must be a float in (0, 1), got {c!r}")
        if not (isinstance(shrink, float) and 0 < shrink < 1):
            raise ValueError(f"Armijo shrink must be a float in (0, 1), got {shrink!r}")
        self.c, self.shrink = c, shrink
        self.max_trials = check_positive("Armijo max_trials", max_trials, integer=True)

    def __call__(self, objective, theta, U, f0, slope, direction, t0=1.0):
        """Return (t, θ + t d, U + t X̂d, f(θ + t d)), or None when no trial step is accepted."""
        Z = objective.direction_scores(direction)
        t = t0
        for _ in range(self.max_trials):
            theta_t = theta + t * direction
            U_t = objective.along(U, Z, t)
            f_t = objective.value_from_scores(U_t, theta_t)
            if self.accepts(f0, f_t, slope, t):
                return t, theta_t, U_t, f_t
            t *= self.shrink
        return None

    def accepts(self, f0, f_t, slope, t):
        """Armijo's condition for step t, given f(θ) = f0, ∇f(θ)ᵀd = slope and f(θ + t d) = f_t."""
        return bool(np.isfinite(f_t) and f_t <= f0 + self.c * t * slope + 8 * EPS * abs(f0))


class Schedule:
    """SGD learning rate at a point in training measured in epochs (samples seen / N), so the
    schedule does not depend on the batch size:
        constant      η(e) = η0
        invscaling    η(e) = η0 / (1 + e)^power_t
    """

    KINDS = ("constant", "invscaling")

    def __init__(self, kind="invscaling", eta0=None, power_t=0.5):
        if kind not in self.KINDS:
            raise ValueError(f"learning_rate must be one of {self.KINDS}, got {kind!r}")
        if eta0 is not None:
            check_positive("eta0", eta0)
        self.kind, self.eta0 = kind, eta0
        self.power_t = check_positive("power_t", power_t)

    def __call__(self, eta0, epochs):
        if self.kind == "constant":
            return eta0
        return eta0 / (1.0 + epochs) ** self.power_t


class LineSearchDescent:
    """A descent (``direction``: which way) combined with an Armijo search (how far); the loop
    that newton, newton-cg and gd share. Subclasses define

        direction(objective, theta, tol) -> (gradient, d), with d None once converged

    and may override ``first_trial(last_step)``, the search's first step (default 1, the
    Newton step)."""

    converged_message = "converged: max|gradient| <= tol"
    pins_reference = True  # see Objective: a solve with the Hessian needs the flat directions pinned

    def __init__(self, search=None):
        self.search = search if search is not None else Armijo()

    def first_trial(self, last_step):
        return 1.0

    def minimize(self, objective, theta, tol, max_iter, callback=None, stop=None):
        check_positive("tol", tol)
        check_positive("max_iter", max_iter, integer=True)
        monitor = Monitor(callback, stop)
        U = objective.scores(theta)
        f = objective.value_from_scores(U, theta)
        step = 0.0
        for it in range(max_iter + 1):
            g, d = self.direction(objective, theta, tol)
            if monitor.record(it, f, g, step, theta):
                return monitor.result(theta, False, f"stopped: {monitor.stopped_by}")
            if d is None:
                return monitor.result(theta, True, self.converged_message)
            if it == max_iter:
                break
            found = self.search(objective, theta, U, f, np.dot(g, d), d, t0=self.first_trial(step))
            if found is None:
                return monitor.result(theta, False, "line search failed: no decrease within rounding")
            step, theta, U, f = found
        return monitor.result(theta, False, f"max_iter={max_iter} reached")
