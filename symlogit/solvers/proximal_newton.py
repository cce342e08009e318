"""Proximal Newton for F(θ) = f(θ) + λ₁‖θ_P‖₁ (L1 and elastic net; ``penalty.py``), after
newGLMNET (Yuan, Ho and Lin 2012, "An improved GLMNET for L1-regularized logistic regression",
JMLR 13: 1999-2030; LIBLINEAR's L1 solver).

Each outer iteration, at θ with g = ∇f(θ) and H = ∇²f(θ) (f's generated gradient and Hessian,
L2 term included; see Cost below for which passes over X give them):

1. Working set W: the entries that are not penalised or are nonzero, and of those that break
   the optimality condition at 0 (|g_j| > λ₁) the k with the largest |g_j|, k = max(k₀, 2·the
   nonzero penalised entries) (k₀ = ``working_set_min``; all of them where it is None, as in
   newGLMNET). The others stay at 0 this iteration; since g is the full gradient, an entry
   that is (still) a violator can join W at the next iteration, and convergence is tested on
   every entry (the KKT check over all of θ). The cap is the working-set growth of Massias,
   Gramfort and Salmon (2018), "Celer: a fast solver for the Lasso with dual extrapolation",
   ICML, and of skglm (Bertrand et al. 2022): at θ = 0 on correlated columns most entries
   violate (l1-dense of tools/bench_peers.py, AR(1) ρ = 0.9: 811 of 1000, against ~20-30
   nonzero at the optimum), and W's Hessian costs N |W|² (see Cost); capped, the same 5 outer
   iterations formed Hessians over at most 80 columns instead of two over all 1000 (N = 10^5,
   one numba thread, medians of 2 processes: 5.50 s -> 0.60 s; README, "Sparse X and L1 against
   scikit-learn, glum and skglm").
2. Direction: x minimises the quadratic model
       q(x) = gᵀ(x − θ) + ½ (x − θ)ᵀ H (x − θ) + λ₁ ‖x_P‖₁     over x_W (x_j = θ_j = 0 off W)
   by cyclic coordinate descent (``_coordinate_descent``, numba): coordinate j moves to
   S(x_j − r_j/H_jj, λ₁/H_jj) on P (S: soft thresholding; exact zeros), x_j − r_j/H_jj off P,
   r = g + H (x − θ) kept up to date column by column. It stops when the model's minimum-norm
   subgradient is at most η·s, s the outer stationarity (max|min-norm subgradient of F|) and
   η = min(0.1, s): loose far from the optimum, tight near it (the adaptive inner tolerance
   that gives newGLMNET its fast local convergence); or after ``max_sweeps`` sweeps. Every
   ``ROUND_SWEEPS`` sweeps short of that tolerance, a Newton step on the model over x's
   support S (the nonzero and the unpenalised entries) with the signs held:
   c_S = θ_S − H_SS⁻¹(g_S + H_S,Z (x − θ)_Z + λ₁ sign(x_S)), Z the zeros (Cholesky): to c,
   or as far towards c as the signs hold (entries reaching 0 stop there, exactly), whichever
   lowers the model more, repeated from the new support up to 10 times (stepping across signs
   as well: sign-held steps alone zigzagged with coordinate descent on nearly separable data).
   Once the support is right this is the model's exact minimiser, which coordinate descent
   approaches only slowly on ill-conditioned H (columns far from centred: X ~ N(100, 1) with an
   intercept took 100 outer iterations without it; raw breast_cancer at C = 10^4, 36 outer
   iterations, cyclic coordinate descent stalling inside). A tiny damping δ·max_j H_jj on the
   diagonal keeps each coordinate's model strictly convex where f is flat (a multinomial's
   B_j → B_j + c 1 under pure L1, an empty column).
3. Line search on F: d = x − θ; the full step x first (its f and g, with H where W's columns
   are many, come from the pass the next iteration needs; exact zeros where the model put
   them) after a full step or at the start, else Armijo
   backtracking t = ½, ¼, ... on F(θ + t d) ≤ F(θ) + c t Δ with
   Δ = gᵀd + λ₁(‖x_P‖₁ − ‖θ_P‖₁) < 0 (Yuan, Ho and Lin 2012, eq. 20; Tseng and Yun 2009).

Converged when max_j |min-norm subgradient of F|_j ≤ tol (``L1Penalty.stationarity``); the
history's ``loss`` is F and its ``grad_max`` that stationarity measure. With λ₁ = 0 this is
Newton's method with the Newton system solved by coordinate descent.

Cost: the gradient is over all p parameters every iteration (one pass over X, for the working
set and the KKT check; over the strong set's alone when screened, see Screening); the Hessian is
the generated kernel's over the columns of X that W touches only (``Objective.hessian_on_columns``:
N q² for q of them, summed over blocks of rows whose q columns are copied 4 MB at a time, not a
copy of the columns whole) where they are at most half of X's, else f's whole
p×p Hessian from the same pass as the gradient. So a wide problem with a sparse solution touches
few columns in its Hessians; W itself must stay moderate (a dense |W|×|W| matrix, O(|W|²) a
coordinate-descent sweep). Future work: Hessian-vector products (``objective.hessp``) inside the
coordinate descent for a large W (see Screening for where the time of a wide path goes).

Screening (option ``strong_rule`` = ρ; ``symlogit.path.regularization_path`` sets it to
ρ = λ_{k−1}/λ_k at each point after the first): the sequential strong rule of Tibshirani,
Bien, Friedman, Hastie, Simon, Taylor and Tibshirani (2012), "Strong rules for discarding
predictors in lasso-type problems", JRSS-B 74: 245-266, section 5 (for the elastic net as
glmnet applies it, with λ₁ = l1_ratio·λ). Started from θ = β̂(λ_{k−1}), the previous optimum,
a penalised parameter j with θ_j = 0 is kept only if |∇_j f(θ)| ≥ 2λ₁ − λ₁,prev = λ₁(2 − ρ)
(at θ_j = 0 the L2 term adds nothing to ∇_j f, so this is the loss's gradient the rule is
stated for); the unpenalised and nonzero parameters are always kept. ∇f(θ) is the last solve's
(its KKT check's) where the estimator warm-starts on the same data (``start_gradient``): along
a path the rule costs no pass over X. The strong set S is the columns of X with a kept
parameter (for a multinomial, a column is kept with all its K parameters). The solve above
then runs on ``Objective.on_columns(S)`` (every pass over X reads S's columns alone; the
Hessians over W's columns as before), the KKT conditions are checked
over every parameter at its solution (one pass over all of X: the min-norm subgradient of F at
each discarded parameter, |∇_j f| ≤ λ₁ + tol), and where some break them their columns join S
and the solve goes on from there, until none does: the rule is a heuristic (it assumes the
gradient moves with unit slope in λ₁), and this check, the same test of convergence as above
but over all of θ, is what makes the result exact. ρ < 1 screens harder than the rule (the
tests force violators that way); where S would hold more than ``subset_fraction`` of X's
columns the plain solve runs. The history's last ``grad_max`` is the stationarity over all
of θ.

Measured (tools/bench_strong_rules.py; binary logit, L1, tol 1e-8, y from 20 informative
columns, grids from λ_max down; two cores shared with other jobs, times rough):
    X                       grid (30 points)     strong sets per fit     columns read        time (off -> on)
    dense 1000 x 5000       λ_max to λ_max/10    median 12, max 158      5.67e5 -> 3.0e5     10.9 s -> 5.3 s
    CSR 2000 x 20000, 0.5%  λ_max to λ_max/10    median 1468, max 2344   2.22e6 -> 1.38e6    10.6 s -> 11.4 s
    the same                λ_max to λ_max/100   median 3704, max 4010   2.27e6 -> 1.61e6    60.5 s -> 55.2 s
(the same iterations, 78-83, and the same path either way, to 7e-16; no KKT refit was needed on
these grids.) Each screened fit made two passes over all of X (the rule's gradient and the KKT
check; one since the rule reads the previous fit's KKT gradient) against about six unscreened,
so the rule pays where those passes dominate
(dense X, a small support). On the sparse problem (10 stored entries a column; 1382 and 1616
nonzeros at the end) a pass over X is cheap and the time goes to the model over W: Cholesky
factors of H_SS for the Newton steps on a support of ~1600 and the Hessian over W's columns
(profiled: ~55% and ~30% of it), which screening does not touch.

On dask arrays (``distributed.DaskObjective``, numpy or scipy.sparse blocks) the gradient and
each Hessian, over W's columns or whole, are sums from the workers' row chunks, and the
coordinate descent runs on the client; the estimator refuses p > ``distributed.CLIENT_MAX_PARAMS``
(the client's p×p Hessian) there before the solve.
"""

from dataclasses import replace

import numpy as np
import scipy.linalg
from numba import njit

from .base import Monitor, check_positive
from .penalty import L1Penalty
from .search import Armijo


@njit(cache=True)
def _coordinate_descent(H, g, theta, thresholds, start, tol, max_sweeps):
    """(x, worst): cyclic coordinate descent on gᵀ(x − θ) + ½(x − θ)ᵀH(x − θ) + Σ_j t_j |x_j|
    from x = start. H (n, n) symmetric with a positive diagonal, C-contiguous; g, θ, start,
    thresholds t (n,), t_j ≥ 0. Stops after the first sweep at whose end every coordinate's
    minimum-norm subgradient is ≤ tol, or after max_sweeps sweeps; worst: the largest of them
    then."""
    n = g.shape[0]
    x = start.copy()
    r = g + H @ (x - theta)  # the model's gradient g + H (x − θ)
    worst = np.inf
    for sweep in range(max_sweeps):
        for j in range(n):
            a = H[j, j]
            z = x[j] - r[j] / a
            t = thresholds[j] / a
            if t > 0.0:
                if z > t:
                    z -= t
                elif z < -t:
                    z += t
                else:
                    z = 0.0
            step = z - x[j]
            if step != 0.0:
                x[j] = z
                for i in range(n):
                    r[i] += step * H[j, i]
        worst = 0.0
        for j in range(n):
            t = thresholds[j]
            if t > 0.0 and x[j] == 0.0:
                v = abs(r[j]) - t
            elif t > 0.0:
                v = abs(r[j] + t) if x[j] > 0.0 else abs(r[j] - t)
            else:
                v = abs(r[j])
            if v > worst:
                worst = v
        if worst <= tol:
            break
    return x, worst


def _model_value(H, g, theta, thresholds, x):
    """q(x) − λ₁‖θ_P‖₁ = gᵀ(x − θ) + ½(x − θ)ᵀH(x − θ) + Σ_j t_j |x_j|."""
    d = x - theta
    return float(g @ d + 0.5 * d @ (H @ d) + thresholds @ np.abs(x))


#: |S|³ above which ``_support_newton`` factors H_SS once a call rather than up to max_steps
#: times (|S| = 1000; a multinomial L1 fit on tf-idf text, N = 2x10^4, 3000 words, K = 4, with
#: 3494 nonzeros spent 0.3 s a factorisation, 114 of them: 35 of its 59 s)
SUPPORT_FACTOR_WORK = 1e9


def _support_newton(H, g, theta, thresholds, x, max_steps=10):
    """Up to max_steps Newton steps on the model with x's support and signs held (see the module
    docstring), each to the better (lower model value) of the minimiser c on that support and
    x + t(c − x) with the largest t that keeps the signs (the entries that reach 0 there set to
    exactly 0: on that segment the model is one convex quadratic, so it does not rise); a step
    is taken only where it lowers the model, and the next starts from the new support."""
    value = _model_value(H, g, theta, thresholds, x)
    factors = {}  # H_SS's Cholesky factor by support S: a step that keeps S needs no new one
    for step in range(max_steps):
        if step and np.count_nonzero((x != 0) | (thresholds == 0)) ** 3 > SUPPORT_FACTOR_WORK:
            break  # a large support: one factorisation a call, coordinate descent does the rest
        best = None
        for candidate in _support_candidates(H, g, theta, thresholds, x, factors):
            candidate_value = _model_value(H, g, theta, thresholds, candidate)
            if candidate_value < value:
                best, value = candidate, candidate_value
        if best is None:
            break
        x = best
    return x


def _support_candidates(H, g, theta, thresholds, x, factors=None):
    """[c, x + t(c − x)] for ``_support_newton``; [] where the support is empty or H_SS is not
    positive definite in floating point. ``factors``: H_SS's Cholesky factors by support, read
    and added to (the last one only is kept)."""
    support = (x != 0) | (thresholds == 0)
    if not support.any():
        return []
    zeros = ~support
    rhs = g[support] + H[np.ix_(support, zeros)] @ (x[zeros] - theta[zeros]) + thresholds[support] * np.sign(
        x[support])
    key = support.tobytes()
    factors = {} if factors is None else factors
    if key not in factors:
        factors.clear()
        try:
            factors[key] = scipy.linalg.cho_factor(H[np.ix_(support, support)], check_finite=False)
        except np.linalg.LinAlgError:
            return []
    factor = factors[key]
    move = np.zeros_like(x)
    move[support] = theta[support] - scipy.linalg.cho_solve(factor, rhs, check_finite=False) - x[support]
    if not np.all(np.isfinite(move)):
        return []
    crossing = (thresholds > 0) & (x * move < 0)  # penalised entries moving towards 0
    limits = -x[crossing] / move[crossing]
    t = min(1.0, float(limits.min(initial=np.inf)))
    projected = x + t * move
    reached = np.zeros_like(crossing)
    reached[crossing] = limits <= t
    projected[reached] = 0.0
    return [x + move, projected]


class _WithL1:
    """The objective as the line search sees it: F = f + λ₁‖θ_P‖₁ from the scores."""

    def __init__(self, objective, penalty):
        self.objective, self.penalty = objective, penalty

    def direction_scores(self, d):
        return self.objective.direction_scores(d)

    def along(self, U, Z, t):
        return self.objective.along(U, Z, t)

    def value_from_scores(self, U, theta):
        return self.objective.value_from_scores(U, theta) + self.penalty.value(theta)


class ProximalNewton:
    """See the module docstring. Options: ``max_sweeps`` (coordinate-descent sweeps per outer
    iteration, default 1000), ``inner_fraction`` (η's cap, default 0.1), ``damping`` (δ,
    default 1e-12), ``subset_fraction`` (the Hessian is formed over W's columns of X alone
    where they are at most this fraction of X's columns, default 0.5; 0: always the whole
    Hessian), ``search`` (an ``Armijo``), ``strong_rule`` (ρ ≥ 0: screen by the sequential
    strong rule from the start, the previous optimum of a path, see Screening; None, the
    default: no screening), ``working_set_min`` (k₀ ≥ 1 of step 1: at least this many
    violators join W, default 20; None: all of them). After a screened solve, ``screening_``
    lists each round's (columns solved over, columns of KKT violators added); after any solve,
    ``gradient_`` is ∇f at the θ returned."""

    name = "proximal-newton"
    converged_message = "converged: max|min-norm subgradient of the objective| <= tol"
    pins_reference = True  # f's Hessian: a vector family's flat directions pinned as for newton
    supports_l1 = True
    #: Coordinate-descent sweeps between Newton steps on the support (see the module docstring).
    ROUND_SWEEPS = 20

    def __init__(self, max_sweeps=1000, inner_fraction=0.1, damping=1e-12, subset_fraction=0.5, search=None,
                 strong_rule=None, working_set_min=20):
        self.working_set_min = None if working_set_min is None else check_positive(
            "working_set_min", working_set_min, integer=True)
        self.subset_fraction = check_positive("subset_fraction", subset_fraction, allow_zero=True)
        self.strong_rule = None if strong_rule is None else check_positive("strong_rule", strong_rule,
                                                                           allow_zero=True)
        #: After a screened solve: one (columns solved over, KKT violators added) pair per round.
        self.screening_ = []
        #: ∇f at the start θ where the caller knows it (the estimator, from its last solve's
        #: ``gradient_`` when it warm-starts on the same data): the strong rule's test then
        #: reads it instead of making a pass over X. None: computed.
        self.start_gradient = None
        #: After a solve: ∇f over every parameter at the θ returned.
        self.gradient_ = None
        self.max_sweeps = check_positive("max_sweeps", max_sweeps, integer=True)
        self.inner_fraction = check_positive("inner_fraction", inner_fraction)
        self.damping = check_positive("damping", damping, allow_zero=True)
        self.search = search if search is not None else Armijo()

    def working_set(self, theta, grad, penalty):
        """The indices of θ the model is solved over (step 1 of the module docstring): the
        unpenalised and nonzero entries, and of the violators (|∇_j f| > λ₁ at θ_j = 0) the
        max(``working_set_min``, 2·nonzero) with the largest |∇_j f|, or all of them where
        ``working_set_min`` is None."""
        kept = ~penalty.penalised | (theta != 0)
        violators = np.flatnonzero(~kept & (np.abs(grad) > penalty.strength))
        if self.working_set_min is not None:
            room = max(self.working_set_min, 2 * int(np.count_nonzero(theta[penalty.penalised])))
            if violators.size > room:
                violators = violators[np.argpartition(-np.abs(grad[violators]), room - 1)[:room]]
        return np.union1d(np.flatnonzero(kept), violators)

    def model_minimiser(self, H_W, grad, theta, penalty, work, tol):
        """x: θ with x_W replaced by the minimiser of the model over W (H_W: H's rows and columns
        for W, damped here in place), by coordinate descent and then the Newton step on its
        support."""
        H_W = np.ascontiguousarray(H_W, dtype=np.float64)
        scale = float(H_W.diagonal().max(initial=0.0))
        H_W.flat[:: H_W.shape[0] + 1] += max(self.damping * scale, 1e-300)
        thresholds = np.ascontiguousarray(penalty.strength * penalty.penalised[work], dtype=np.float64)
        g_W, theta_W = np.ascontiguousarray(grad[work]), np.ascontiguousarray(theta[work])
        x_W, sweeps, support = theta_W, 0, None
        while sweeps < self.max_sweeps:
            rounds = min(self.ROUND_SWEEPS, self.max_sweeps - sweeps)
            x_W, worst = _coordinate_descent(H_W, g_W, theta_W, thresholds, x_W, float(tol), rounds)
            sweeps += rounds
            if worst <= tol:
                break
            # the Newton step on the support: every round where it is small, else once the
            # support has settled over a round (a large one costs a Cholesky: SUPPORT_FACTOR_WORK)
            settled, support = support, (x_W != 0) | (thresholds == 0)
            if (np.count_nonzero(support) ** 3 <= SUPPORT_FACTOR_WORK
                    or (settled is not None and np.array_equal(settled, support))):
                x_W = _support_newton(H_W, g_W, theta_W, thresholds, x_W)
        x = theta.copy()
        x[work] = x_W
        return x

    def narrow(self, used, width):
        """Whether W's columns of X (``used``) are few enough for a Hessian over them alone."""
        return used.size <= self.subset_fraction * width

    @staticmethod
    def evaluate(objective, theta, wide):
        """(f, ∇f, ∇²f or None): the whole Hessian from the same pass where wide (and the
        objective's Hessian comes with its gradient: not on sparse X)."""
        if wide and objective.hessian_with_gradient:
            return objective.value_grad_hess(theta)
        return (*objective.value_grad(theta), None)

    def hessian_on(self, objective, theta, work, H, columns, width):
        """H's rows and columns for W: from the whole Hessian H where it is at hand, W's columns
        are many or all of ``objective``'s (a screened solve's W can span its strong set), else
        over W's columns only (``Objective.hessian_on_columns``)."""
        used = np.unique(columns[work])
        used = used[used >= 0]
        if H is None and objective.hessian_with_gradient and (
                not self.narrow(used, width) or used.size == objective.X.shape[1]):
            H = objective.value_grad_hess(theta)[2]
        if H is not None:
            return H[np.ix_(work, work)]
        keep = objective.on_columns_entries(used)
        H_sub = objective.hessian_on_columns(theta, used)
        local = (np.cumsum(keep) - 1)[work]
        return H_sub[np.ix_(local, local)]

    def minimize(self, objective, theta, tol, max_iter, callback=None, stop=None):
        check_positive("tol", tol)
        check_positive("max_iter", max_iter, integer=True)
        theta = np.array(theta, dtype=np.float64)
        if self.strong_rule is None or not objective.l1:
            return self._minimize(objective, theta, tol, max_iter, callback, stop)
        return self._screened(objective, theta, tol, max_iter, callback, stop)

    def strong_set(self, theta, grad, penalty, columns):
        """The columns of X that the sequential strong rule keeps (see Screening in the module
        docstring): those with a parameter that is unpenalised, nonzero, or has |∇_j f(θ)| ≥
        λ₁ (2 − ρ), ρ = ``strong_rule``."""
        keep = ~penalty.penalised | (theta != 0) | (np.abs(grad) >= penalty.strength * (2.0 - self.strong_rule))
        used = np.unique(columns[keep])
        return used[used >= 0]

    def _screened(self, objective, theta, tol, max_iter, callback, stop):
        """Solve over the strong set's columns of X only (``Objective.on_columns``), check the KKT
        conditions over every parameter, add the columns of those that break them, and solve
        again from there until none does (see Screening in the module docstring)."""
        penalty = L1Penalty.of(objective)
        columns = objective.parameter_columns()
        grad, self.start_gradient = self.start_gradient, None  # (for this solve only)
        if grad is None or grad.shape != theta.shape:
            _, grad = objective.value_grad(theta)
        screened = self.strong_set(theta, grad, penalty, columns)
        self.screening_ = []
        if not self.narrow(screened, objective.X.shape[1]):  # little to save: the plain solve
            return self._minimize(objective, theta, tol, max_iter, callback, stop)
        result = None
        while True:
            keep = (columns < 0) | np.isin(columns, screened)
            used = 0 if result is None else result.n_iter
            later = self._minimize(objective.on_columns(screened), theta[keep], tol, max(max_iter - used, 1), callback,
                                   stop, width=objective.X.shape[1])
            result = later if result is None else result.followed_by(later)
            theta = np.zeros_like(theta)
            theta[keep] = later.theta
            _, grad = objective.value_grad(theta)
            subgradient = penalty.subgradient(theta, grad)
            violators = np.unique(columns[~keep & (np.abs(subgradient) > tol)])
            self.screening_.append((int(screened.size), int(violators.size)))
            if violators.size == 0 or not later.converged or result.n_iter >= max_iter:
                break
            screened = np.union1d(screened, violators)
        result.theta, self.gradient_ = theta, grad
        result.history[-1] = replace(result.history[-1], grad_max=float(np.max(np.abs(subgradient), initial=0.0)))
        if violators.size and result.converged:
            result.converged, result.message = False, f"max_iter={max_iter} reached"
        return result

    @staticmethod
    def without_tiny(objective, penalty, theta, g, tol, monitor):
        """(θ, ∇f(θ)) at convergence, with the penalised entries of magnitude ≤ tol set to exactly
        0 where the point so made passes the same test (stationarity ≤ tol; one pass over X),
        its record replacing the monitor's last; else the given ones. At a strength where an
        entry's |∇_j f| at the optimum is λ₁ itself (C = C_max, ``path.largest_penalty``, or
        any strength at which an entry joins the support) the optimum has θ_j = 0, but the
        model of the last step, accurate to O(s²) (s the stationarity before it), may leave
        θ_j ~ s² ≠ 0 on either side of λ₁, e.g. -6.6e-11 on a weighted 3-class fit at C_max,
        tol 1e-8, where scikit-learn's and glum's coordinate descent end at 0."""
        tiny = penalty.penalised & (theta != 0) & (np.abs(theta) <= tol)
        if not tiny.any():
            return theta, g
        trial = np.where(tiny, 0.0, theta)
        f, g_trial = objective.value_grad(trial)
        subgradient = penalty.subgradient(trial, g_trial)
        stationarity = float(np.max(np.abs(subgradient), initial=0.0))
        if not stationarity <= tol:
            return theta, g
        monitor.history[-1] = replace(monitor.history[-1], loss=float(f + penalty.value(trial)),
                                      grad_max=stationarity)
        return trial, g_trial

    def _minimize(self, objective, theta, tol, max_iter, callback=None, stop=None, width=None):
        """The solve over every parameter of ``objective`` (steps 1-3 of the module docstring).
        width: the columns of X against which W's are few (``narrow``): X's own, or where
        ``objective`` is a screened one, the whole problem's (a Hessian over W's columns, not
        over all the screened ones, as the unscreened solve would form)."""
        width = objective.X.shape[1] if width is None else width
        penalty = L1Penalty.of(objective)
        full = _WithL1(objective, penalty)
        columns = objective.parameter_columns()
        monitor = Monitor(callback, stop)

        def done(theta, g, converged, message):
            self.gradient_ = g
            return monitor.result(theta, converged, message)

        theta = np.array(theta, dtype=np.float64)
        wide = False  # whether each new point's pass forms the whole Hessian too (W's columns were many)
        f, g, H = self.evaluate(objective, theta, wide)
        F = f + penalty.value(theta)
        step = 0.0
        for it in range(max_iter + 1):
            subgradient = penalty.subgradient(theta, g)
            stationarity = float(np.max(np.abs(subgradient), initial=0.0))
            if monitor.record(it, F, subgradient, step, theta):
                return done(theta, g, False, f"stopped: {monitor.stopped_by}")
            if stationarity <= tol:
                theta, g = self.without_tiny(objective, penalty, theta, g, tol, monitor)
                return done(theta, g, True, self.converged_message)
            if it == max_iter:
                break
            work = self.working_set(theta, g, penalty)
            used = np.unique(columns[work])
            wide = not self.narrow(used[used >= 0], width)
            inner_tol = max(min(self.inner_fraction, stationarity) * stationarity, 0.01 * tol)
            H_W = self.hessian_on(objective, theta, work, H, columns, width)
            x = self.model_minimiser(H_W, g, theta, penalty, work, inner_tol)
            d = x - theta
            decrease = penalty.decrease(theta, g, d)
            if not decrease < 0:
                return done(theta, g, False, "no descent direction within rounding")
            full_step_first = step in (0.0, 1.0)
            if full_step_first:
                f_1, g_1, H_1 = self.evaluate(objective, x, wide)
                F_1 = f_1 + penalty.value(x)
                if self.search.accepts(F, F_1, decrease, 1.0):
                    theta, f, g, H, F, step = x, f_1, g_1, H_1, F_1, 1.0
                    continue
            found = self.search(full, theta, objective.scores(theta), F, decrease, d,
                                t0=self.search.shrink if full_step_first else 1.0)
            if found is None:
                return done(theta, g, False, "line search failed: no decrease within rounding")
            step, theta, _, F = found
            if step == 1.0:
                theta = x  # θ + 1·d can miss x's exact zeros by rounding
            f, g, H = self.evaluate(objective, theta, wide)
            F = f + penalty.value(theta)
        return done(theta, g, False, f"max_iter={max_iter} reached")
