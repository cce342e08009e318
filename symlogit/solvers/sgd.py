"""Mini-batch stochastic gradient descent, as in the source document's update (batch size 1
is the document's case; larger batches call the same kernels on more rows).

Per epoch: shuffle the rows (seeded), then for each batch b
    θ ← θ - η(e) ĝ_b,   ĝ_b = (N/|b|)(1/W) Σ_(i∈b) w_i ∇h_i + λθ   (an unbiased estimate of ∇f)
with η from the schedule (``search.Schedule``), e the epochs done so far. With ``average``
the reported iterate is the running mean of θ over all updates after the first epoch
(Polyak–Ruppert averaging), which cancels much of the gradient noise.

At the end of each epoch f and ∇f are evaluated once on all rows at the reported iterate
(one fused pass). Stops when max|∇f| ≤ tol (converged), when f has not improved by more
than tol·max(1, |f|) for ``n_iter_no_change`` epochs (stalled at the noise floor: not
called converged), or after max_iter epochs. An epoch whose steps leave the finite numbers, or
whose f exceeds the best so far by more than max(1, |best|), diverged (h'' = e^u grew past its
value at the start): it is repeated from its start with η0 / 4.

η0 defaults to 1/L, L the average per-row curvature bound (``Objective.smoothness``; 1 where L
is 0, a flat f, or overflows).
"""

import numpy as np

from .base import Monitor, check_positive
from .search import Schedule


class SGD:
    name = "sgd"
    pins_reference = False

    def __init__(self, batch_size=32, learning_rate="invscaling", eta0=None, power_t=0.5, average=True,
                 n_iter_no_change=5, random_state=None):
        self.batch_size = check_positive("batch_size", batch_size, integer=True)
        self.schedule = Schedule(learning_rate, eta0, power_t)
        if not isinstance(average, bool):
            raise ValueError(f"average must be True or False, got {average!r}")
        self.average = average
        self.n_iter_no_change = check_positive("n_iter_no_change", n_iter_no_change, integer=True)
        self.random_state = random_state

    def minimize(self, objective, theta, tol, max_iter, callback=None, stop=None):
        check_positive("tol", tol)
        check_positive("max_iter", max_iter, integer=True)
        rng = np.random.default_rng(self.random_state)
        monitor = Monitor(callback, stop)
        eta0 = self.schedule.eta0 or _inverse(objective.smoothness(theta))
        theta = theta.copy()
        mean, n_averaged = theta.copy(), 0
        f, g = objective.value_grad(theta)
        if monitor.record(0, f, g, 0.0, theta):
            return monitor.result(theta, False, f"stopped: {monitor.stopped_by}")
        best, since_best, reported = f, 0, theta.copy()
        for epoch in range(1, max_iter + 1):
            while True:
                step = self._epoch(objective, theta, mean, n_averaged, epoch, eta0, rng)
                if step is not None:
                    candidate = step[1] if self.average and step[2] else step[0]
                    f, g = objective.value_grad(candidate)
                    if f <= best + max(1.0, abs(best)):  # False for NaN
                        break
                # The steps diverged: the curvature grew beyond its value at the start (e^u
                # families). Repeat the epoch from its start with a quarter of the step size.
                eta0 /= 4.0
                if eta0 == 0.0:  # the point last reported stands
                    return monitor.result(reported.copy(), False, "diverged: the steps overflow at every step size")
            theta, mean, n_averaged, eta = step
            reported = candidate
            if monitor.record(epoch, f, g, eta, reported):
                return monitor.result(reported.copy(), False, f"stopped: {monitor.stopped_by}")
            if np.max(np.abs(g)) <= tol:
                return monitor.result(reported.copy(), True, "converged: max|gradient| <= tol")
            if f < best - tol * max(1.0, abs(best)):
                best, since_best = f, 0
            else:
                since_best += 1
                if since_best >= self.n_iter_no_change:
                    return monitor.result(reported.copy(), False,
                                          f"stalled: no improvement for {since_best} epochs")
        return monitor.result(reported.copy(), False, f"max_iter={max_iter} reached")

    def _epoch(self, objective, theta, mean, n_averaged, epoch, eta0, rng):
        """One pass over shuffled batches from (theta, mean, n_averaged), which it does not change:
        the new (theta, mean, n_averaged, last step size), or None if a step left the finite
        numbers."""
        theta, mean = theta.copy(), mean.copy()
        n = objective.X.shape[0]
        order = rng.permutation(n)
        for start in range(0, n, self.batch_size):
            rows = order[start:start + self.batch_size]
            eta = self.schedule(eta0, epoch - 1 + start / n)
            theta -= eta * objective.batch_grad(theta, rows)
            if not np.all(np.isfinite(theta)):
                return None
            if self.average and epoch > 1:
                n_averaged += 1
                mean += (theta - mean) / n_averaged
        return theta, mean, n_averaged, eta


def _inverse(smoothness):
    """1/L, or 1 where that is not a finite positive number (L = 0: X all zero, no intercept, no
    penalty, f is flat; L subnormal or overflowed)."""
    eta = 1.0 / smoothness if smoothness > 0 else 1.0
    return eta if 0.0 < eta < np.inf else 1.0
