"""F6-F16: how the kernels evaluate the probit and cloglog special functions
(``symbolic/special.py``, printed by ``codegen/special.py``), and the controls W7-W9, evaluations
that are right on paper and wrong in float64, which the same checks must reject.

* symbolic: the reduction identities (SymPy simplify or cancel to 0 on the raw definitions: exp,
  log and erfc only), the derivative identities of each function (``fdiff``), and every
  truncation bound compared with 2^-55 by SymPy in exact arithmetic (or, where the bound holds
  transcendental constants, by evalf at 50+ digits).
* numeric: the float64 mirror of the kernels' arithmetic (``special.*_float64``, held bit for
  bit to the numba code by tests/test_special.py) against mpmath at 60 digits plus two per
  decade of |u| (enough for the u + lambda(u) and t/p - 1 cancellations), at ~600 points:
  |u| in {0, 1e-300, 1, 5, 8, 10, 20, 37, 38.5, 40, 700, 745, 1e3, 1e5, 1e10, 1e154, 1e300},
  both signs, the branch edges, and random points. Beyond |u| = 1e6 (where mpmath's erfc gives
  up) the reference takes R(x) = Phi(-x)/phi(x) from 20 terms of its asymptotic series, whose
  error (bounded by the first omitted term, 39!!/x^41) is below 1e-200 there. Where the exact
  value is below the normal range the result may be anything up to the smallest normal
  (0 included); where it overflows, it must be the same infinity; at u = +-inf it must be the
  limit, and nan must give nan.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from .. import elementary
from .. import special as S
from ..checking import Claim, Numeric, Symbolic, numeric_verdict

SOURCE = "symlogit (how the kernels evaluate the probit and cloglog functions: symbolic/special.py)"

#: Components (log, Mills pieces, cloglog ratio): 2^-50 relative, as F4/F5.
TOL_PART = 2.0 ** -50
#: The six functions: the accuracy they promise (measured worst: ~7e-15).
TOL_FUNCTION = 1e-13
#: The double-word e^v: its relative error times t (<= 722) must stay far below TOL_FUNCTION.
TOL_EXP_DD = 2.0 ** -54
TINY = 2.2250738585072014e-308
HUGE = mpmath.mpf("1.7976931348623157e308")

U = sp.Symbol("u", real=True)
SPOS = sp.Symbol("s", positive=True)
T = sp.Symbol("t", positive=True)


def _digits(u) -> int:
    return 60 + 2 * int(mpmath.log10(max(abs(mpmath.mpf(u)), 1)))


# ---- mpmath references (the raw definitions; independent of special.py's arithmetic) ---------

def _mills_asymptotic(x):
    """R(x) for x > 1e6 from its (enveloping) asymptotic series: error < 39!!/x^41."""
    return sum((-1) ** k * mpmath.fac2(2 * k - 1) / x ** (2 * k) for k in range(20)) / x


def _probit_reference(name: str, u):
    u = mpmath.mpf(u)
    with mpmath.workdps(_digits(u)):
        x = abs(u)
        if x > 10 ** 6:
            R = _mills_asymptotic(x)
            log_pdf = -x * x / 2 - mpmath.log(2 * mpmath.pi) / 2
            if u < 0:
                return {"log_ndtr": log_pdf + mpmath.log(R), "inv_mills": 1 / R,
                        "mills_curvature": (1 / R) * (1 / R - x)}[name]
            q = mpmath.exp(log_pdf) * R
            lam = mpmath.exp(log_pdf) / (1 - q)
            return {"log_ndtr": mpmath.log1p(-q), "inv_mills": lam, "mills_curvature": lam * (u + lam)}[name]
        if name == "log_ndtr":
            return mpmath.log(mpmath.ncdf(u)) if u < 0 else mpmath.log1p(-mpmath.ncdf(-u))
        lam = mpmath.npdf(u) / mpmath.ncdf(u)
        return lam if name == "inv_mills" else lam * (u + lam)


def _cloglog_reference(name: str, u):
    u = mpmath.mpf(u)
    if u > 20:  # e^-t < 10^(-2e8): every value is far below the subnormal range
        return mpmath.mpf(0)
    with mpmath.workdps(_digits(u)):
        t = mpmath.exp(u)
        if name == "log_cloglog":
            return mpmath.log(-mpmath.expm1(-t)) if t <= 1 else mpmath.log1p(-mpmath.exp(-t))
        if t < mpmath.mpf(10) ** -400:  # t/p - 1 = t/2 + t^2/12 - ..., q = 1 - t/2 + ...
            q, ratio = 1 - t / 2 + t * t / 12, t / 2 + t * t / 12
        else:
            with mpmath.workdps(_digits(u) + int(max(0, -mpmath.log10(t)))):
                p = -mpmath.expm1(-t)
                q, ratio = t * mpmath.exp(-t) / p, t / p - 1
        return q if name == "cloglog_q" else q * ratio


def _reference(name: str, u):
    probit = name in ("log_ndtr", "inv_mills", "mills_curvature")
    return (_probit_reference if probit else _cloglog_reference)(name, u)


#: The limits at u = -inf and u = +inf.
LIMITS = {"log_ndtr": (-np.inf, 0.0), "inv_mills": (np.inf, 0.0), "mills_curvature": (1.0, 0.0),
          "log_cloglog": (-np.inf, 0.0), "cloglog_q": (1.0, 0.0), "cloglog_curvature": (0.0, 0.0)}


def _error(got: float, ref) -> float:
    """Relative error of a float64 value against an mpmath one (see the module docstring)."""
    ref = mpmath.mpf(ref)
    if abs(ref) > HUGE:
        return 0.0 if np.isinf(got) and np.sign(got) == mpmath.sign(ref) else float("inf")
    if not np.isfinite(got):
        return float("inf")
    if abs(ref) < TINY:
        return 0.0 if abs(got - float(ref)) <= TINY else float("inf")
    return float(abs(mpmath.mpf(got) - ref) / abs(ref))


def _points(rng) -> np.ndarray:
    """The brief's extremes (both signs), branch edges, and random scores."""
    edges = [0.0, 1e-300, 1e-20, 1e-8, 0.5, 1.0, 1.75, np.nextafter(4.0, 0.0), 4.0, np.nextafter(4.0, 5.0), 5.0, 6.0,
             6.5, 6.57, 6.58, 7.0, 8.0, 10.0, 20.0, 37.0, 37.5, 38.5, 38.6, 40.0, 64.0, 700.0, 707.0, 708.0, 745.0,
             746.0, 1e3, 1e5, 1e10, 1e150, 1e154, 2e154, 1e300, 1.7976931348623157e308]
    fixed = sorted({v for e in edges for v in (e, -e)})
    return np.concatenate([fixed, rng.uniform(-45.0, 45.0, 260), rng.uniform(-8.0, 8.0, 120),
                           10.0 ** rng.uniform(-300, 300, 60), -10.0 ** rng.uniform(-300, 300, 60),
                           -10.0 ** rng.uniform(0, 4, 40)])


def _function_numeric(name: str, rng, mirror=None, probes=()) -> Numeric:
    """The float64 mirror of one function against mpmath; limits at +-inf and nan included; the
    errors at ``probes`` are quoted in the detail."""
    mirror = mirror or S.MIRRORS[name]
    u = _points(rng)
    got = mirror(u)
    errors = [_error(float(g), _reference(name, v)) for g, v in zip(got, u)]
    ends = mirror(np.array([-np.inf, np.inf, np.nan]))
    limits_ok = [ends[0] == LIMITS[name][0], ends[1] == LIMITS[name][1], np.isnan(ends[2])]
    errors += [0.0 if ok else float("inf") for ok in limits_ok]
    probed = "".join(f"; at u = {v:g}: {_error(float(mirror(np.array([v]))[0]), _reference(name, v)):.2e}"
                     for v in probes)
    how = "the kernel's arithmetic" if mirror is S.MIRRORS[name] else "evaluated as written"
    verdict = numeric_verdict(errors, TOL_FUNCTION, f"float64 {name} ({how}) vs mpmath at "
                                                    f"{len(u)} scores in [-1.8e308, 1.8e308], the limits at +-inf "
                                                    f"and nan")
    return Numeric(verdict.ok, verdict.max_error, verdict.points, verdict.detail + probed)


# ---- symbolic halves ----------------------------------------------------------------------------

def _fdiff_checks(functions) -> dict:
    """d/du raw(f) = raw(f') for each function (simplify)."""
    return {f"d/du {f.__name__} = {f(U).diff(U)}": sp.simplify(sp.diff(S.raw(f(U)), U) - S.raw(f(U).diff(U))) == 0
            for f in functions}


def _verdict(checks: dict, bounds: dict | None = None, note: str = "") -> Symbolic:
    bounds = bounds or {}
    holds = all(checks.values()) and all(bool(b < S.BOUND) for b in bounds.values())
    failed = [k for k, v in checks.items() if not v] + [k for k, b in bounds.items() if not bool(b < S.BOUND)]
    text = "; ".join(list(checks) + [f"{k} = {float(b):.2e} {'<' if bool(b < S.BOUND) else '>='} 2^-55"
                                     for k, b in bounds.items()])
    if failed:
        text += f"; FAILED: {', '.join(failed)}"
    return Symbolic(holds, text + (f"; {note}" if note else ""))


def _log_symbolic() -> Symbolic:
    m, s = sp.Symbol("m", positive=True), sp.Symbol("s", real=True)
    red = (m - 1) / (m + 1)
    sq2 = sp.Rational(S.SQRT2)
    s_max = (sq2 - 1) / (sq2 + 1)
    checks = {
        "exp(2 atanh((m-1)/(m+1))) = m": sp.cancel(((1 + s) / (1 - s)).subs(s, red) - m) == 0,
        "|s| <= s_max at m = SQRT2 and SQRT2/2": bool(abs(red.subs(m, sq2 / 2)) <= s_max),
        "s_max - (3 - 2 sqrt 2) < 1e-16": bool(s_max - elementary.SIGMA < sp.Rational(1, 10 ** 16)),
        "A = F5's atanh polynomial": sp.expand(sp.series(sp.atanh(s) / s, s, 0, 2 * elementary.ATANH_TERMS).removeO()
                                               - elementary.atanh_polynomial(s ** 2)) == 0,
    }
    return _verdict(checks, {"remainder bound at s_max": S.log_reduction_bound()},
                    "z = 2^k m exactly by the IEEE-754 fields; k ln 2 = k LN2_HI (exact, |k| <= 1075) + k LN2_LO")


def _cf_symbolic(levels: int) -> Symbolic:
    x, t, tau = S.X, sp.Symbol("t", positive=True), sp.Symbol("tau", positive=True)
    k = sp.Symbol("k", positive=True, integer=True)
    kern = sp.exp(-x * t - t ** 2 / 2)
    An, An1, Bn, Bn1 = S.mills_cf_convergents(levels)
    a, b = S.mills_cf_coefficients(levels)
    w = sp.Symbol("w")
    # induction for the tail identity, with A_n, A_(n-1), B_n, B_(n-1), n symbolic
    A1, A0, B1, B0, n = sp.symbols("A1 A0 B1 B0 n")
    step = (A1 + ((n + 1) / (x + tau)) * A0) / (B1 + ((n + 1) / (x + tau)) * B0) - \
        ((x * A1 + (n + 1) * A0) + tau * A1) / ((x * B1 + (n + 1) * B0) + tau * B1)
    by_parts = sp.diff(t ** k * kern, t) - (k * t ** (k - 1) - x * t ** k - t ** (k + 1)) * kern
    a1, a0, b1, b0 = S.mills_cf_convergents(1)
    checks = {
        "d/dt[t^k e^(-xt-t^2/2)] = (k t^(k-1) - x t^k - t^(k+1)) e^(-xt-t^2/2), so I_(k+1) = k I_(k-1) - x I_k, "
        "I_1 = 1 - x I_0": sp.simplify(by_parts) == 0,
        "t^k e^(-xt-t^2/2) -> 0 as t -> oo": sp.limit(t ** k * kern, t, sp.oo) == 0,
        "I_0 = int_0^oo e^(-xt-t^2/2) dt = R(x)": sp.simplify(sp.integrate(kern, (t, 0, sp.oo)) - S.mills_ratio(x)) == 0,
        "tail identity, base: 1/(x + tau) = (A_1 + tau A_0)/(B_1 + tau B_0)":
            sp.cancel(1 / (x + tau) - (a1 + tau * a0).as_expr() / (b1 + tau * b0).as_expr()) == 0,
        "tail identity, step n -> n+1 (cancel)": sp.cancel(step) == 0,
        f"A_n B_(n-1) - A_(n-1) B_n = (-1)^(n-1) n! at n = {levels}":
            (An * Bn1 - An1 * Bn).as_expr() == (-1) ** (levels - 1) * sp.factorial(levels),
        "A_n, A_(n-1), B_n, B_(n-1) have nonnegative coefficients":
            all(c >= 0 for p in (An, An1, Bn, Bn1) for c in p.all_coeffs()),
        "x^(n-1) a(1/x^2) = A_n, x^n b(1/x^2) = B_n":
            sp.expand(x ** (levels - 1) * sp.Poly(a[::-1], w).as_expr().subs(w, 1 / x ** 2) - An.as_expr()) == 0
            and sp.expand(x ** levels * sp.Poly(b[::-1], w).as_expr().subs(w, 1 / x ** 2) - Bn.as_expr()) == 0,
    }
    return _verdict(checks, {f"n!/min(A_n B_(n-1), A_(n-1) B_n)(4), n = {levels}": S.mills_cf_bound(levels)},
                    "rho_k = I_k/I_(k-1) > 0 has rho_k = k/(x + rho_(k+1)) and rho_1 = 1/R - x; with the tail "
                    "rho_(n+1) in (0, oo), rho_1 = (A_n + tau A_(n-1))/(B_n + tau B_(n-1)), monotone in tau: "
                    "between the convergents n and n-1")


def _taylor_symbolic() -> Symbolic:
    x, t = S.X, sp.Symbol("t", positive=True)
    c, N = S.MILLS_TAYLOR_CENTRE, S.MILLS_TAYLOR_DEGREE
    R = S.mills_ratio(x)
    exact = S.mills_taylor_exact()
    floats = S.mills_taylor_coefficients()
    left, right = S.mills_taylor_bound()
    checks = {
        "R' = xR - 1 (so R^(n+1) = x R^(n) + n R^(n-1))": sp.simplify(sp.diff(R, x) - (x * R - 1)) == 0,
        "a_0..a_4 = R^(n)(7/4)/n! (diff)": all(
            sp.simplify(sp.diff(R, x, j).subs(x, c) / sp.factorial(j) - exact[j]) == 0 for j in range(5)),
        "600-digit coefficients agree with the exact ones to 1e-100": all(
            abs(sp.N(exact[j], 120) - floats[j]) < sp.Float(10) ** -100 for j in (N // 2, N)),
        f"I_{N + 1}(0) = int t^{N + 1} e^(-t^2/2) dt = 2^({N}/2) Gamma({N}/2 + 1)":
            sp.simplify(sp.integrate(t ** (N + 1) * sp.exp(-t ** 2 / 2), (t, 0, sp.oo)) - S.normal_moment(N + 1)) == 0,
    }
    return _verdict(checks, {"left bound (s in [0, 7/4])": left, "right bound (s in [7/4, 4])": right},
                    "(-1)^n R^(n)(x) = I_n(x) = int t^n e^(-xt-t^2/2) dt (differentiating under the integral), "
                    "positive and decreasing in x; Lagrange remainder I_(N+1)(xi)|h|^(N+1)/(N+1)!")


def _probit_symbolic(function) -> Symbolic:
    s = SPOS
    R = S.mills_ratio(s)
    rho = 1 / R - s
    q = sp.Symbol("q", positive=True)
    checks = _fdiff_checks([function])
    if function is S.log_ndtr:
        checks.update({
            "log Phi(-s) = -s^2/2 - log(2 pi)/2 + log R(s)": sp.simplify(sp.expand_log(
                S.raw(S.log_ndtr(-s)) - (-s ** 2 / 2 - sp.log(2 * sp.pi) / 2 + sp.log(R)), force=True)) == 0,
            "Phi(s) = 1 - phi(s) R(s)": sp.simplify(S.normal_cdf(s) - (1 - S.normal_pdf(s) * R)) == 0,
            "log(1 - q) = -log1p(q/(1 - q)), 0 < q <= 1/2 (product of the arguments is 1)":
                sp.cancel((1 - q) * (1 + q / (1 - q))) == 1,
            "e^-(h+l) = e^-h e^-l": sp.simplify(sp.exp(-(q + s)) - sp.exp(-q) * sp.exp(-s)) == 0,
        })
    elif function is S.inv_mills:
        checks.update({
            "lambda(-s) = 1/R(s)": sp.simplify(S.raw(S.inv_mills(-s)) - 1 / R) == 0,
            "lambda(s) = phi(s)/(1 - phi(s) R(s))": sp.simplify(
                S.raw(S.inv_mills(s)) - S.normal_pdf(s) / (1 - S.normal_pdf(s) * R)) == 0,
        })
    else:
        y = sp.Symbol("y", positive=True)
        checks.update({
            "c(-s) = rho (s + rho), rho = 1/R - s": sp.simplify(S.raw(S.mills_curvature(-s)) - rho * (s + rho)) == 0,
            "rho (s + rho) = y (1 + w y) with y = s rho, w = 1/s^2": sp.cancel(
                (y / s) * (s + y / s) - (y * (1 + y / s ** 2))) == 0,
            "c(-s) = (1 - sR)/R^2 (Taylor piece)": sp.simplify(rho * (s + rho) - (1 - s * R) / R ** 2) == 0,
        })
    left, right = S.mills_taylor_bound()
    return _verdict(checks, {"continued fraction (F7)": S.mills_cf_bound(), "Taylor, left (F8)": left,
                             "Taylor, right (F8)": right},
                    "s^2/2 = h + l exactly (Dekker); |e^-l - (1 - l)| <= l^2/2 < 1e-26 for s^2/2 < 750")


def _cloglog_ratio_symbolic(order: int) -> Symbolic:
    t = T
    taylor = sp.Add(*[(-t) ** j / sp.factorial(j) for j in range(order + 1)])
    checks = {
        f"t^2 N(t) = t - 1 + T_{order}(-t)": sp.expand(t ** 2 * S.cloglog_numerator(t, order) - (t - 1 + taylor)) == 0,
        f"t D(t) = 1 - T_{order}(-t)": sp.expand(t * S.cloglog_denominator(t, order) - (1 - taylor)) == 0,
        "t^2/2 - t^3/6 - t^2/3 = t^2 (1 - t)/6 >= 0 on [0, 1]": sp.factor(t ** 2 / 2 - t ** 3 / 6 - t ** 2 / 3)
        == t ** 2 * (1 - t) / 6 or sp.expand(t ** 2 / 2 - t ** 3 / 6 - t ** 2 / 3 - t ** 2 * (1 - t) / 6) == 0,
        "t - t^2/2 - t/2 = t (1 - t)/2 >= 0 on [0, 1]": sp.expand(t - t ** 2 / 2 - t / 2 - t * (1 - t) / 2) == 0,
        "r - 1 = t/(1 - e^-t) - 1 = t (t - 1 + e^-t)/t^2 / ((1 - e^-t)/t)": sp.simplify(
            t / (1 - sp.exp(-t)) - 1 - t * ((t - 1 + sp.exp(-t)) / t ** 2) / ((1 - sp.exp(-t)) / t)) == 0,
    }
    return _verdict(checks, {f"(eps_N + eps_D)/(1 - eps_D), J = {order}": S.cloglog_bound(order)},
                    "Lagrange: e^-t - T_J(-t) = (-1)^(J+1) e^-xi t^(J+1)/(J+1)!, so each truncation is within "
                    "t^(J+1)/(J+1)!, and T_3, T_2 bound t - 1 + e^-t >= t^2/2 - t^3/6, 1 - e^-t >= t - t^2/2")


def _exp_dd_symbolic() -> Symbolic:
    r, k = sp.Symbol("r", real=True), sp.Symbol("k", integer=True)
    taylor = elementary.exp_polynomial(r)
    checks = {
        "exp(k ln 2 + r) = 2^k e^r": sp.simplify(sp.exp(k * sp.log(2) + r) - 2 ** k * sp.exp(r)) == 0,
        "1 + r + r^2 P(r) = T(r), F4's Taylor polynomial":
            sp.expand(1 + r + r ** 2 * S.exp_tail_polynomial(r) - taylor) == 0,
    }
    return _verdict(checks, {"F4's Lagrange bound 2 rho^14/14!": elementary.exp_truncation_bound()},
                    "TwoSum (Knuth) makes r + r_err = (v - k LN2_HI) - k LN2_LO and 1 + r exact; k LN2_HI and "
                    "v - k LN2_HI are exact for 0 <= v <= 7 (|k| <= 10, Sterbenz)")


def _cloglog_symbolic(function) -> Symbolic:
    t, u = T, U
    e = sp.exp(-t)
    p = 1 - e
    checks = _fdiff_checks([function])
    if function is S.log_cloglog:
        checks.update({
            "log p = u - log1p(r - 1), r = e^u/p (exp of both sides)": sp.simplify(
                (sp.exp(u) / (1 + (sp.exp(u) / (1 - sp.exp(-sp.exp(u))) - 1))) - (1 - sp.exp(-sp.exp(u)))) == 0,
            "log p = -log1p(e^-t/p) (product of the arguments is 1)": sp.simplify(p * (1 + e / p) - 1) == 0,
        })
    elif function is S.cloglog_q:
        checks.update({
            "q = r - t = 1 + ((r - 1) - t)": sp.simplify(t * e / p - (t / p - t)) == 0,
            "e^-t = e^-64 e^-(t - 64)": sp.simplify(sp.exp(-t) - sp.exp(-64) * sp.exp(-(t - 64))) == 0,
        })
    else:
        checks.update({
            "q (r - 1) with r - 1 = ((t - 1) + e^-t)/p": sp.simplify((t / p - 1) - ((t - 1) + e) / p) == 0,
        })
    return _verdict(checks, {"r - 1 series (F12)": S.cloglog_bound(), "e^v (F13)": elementary.exp_truncation_bound()},
                    "t = e^u as hi + lo (F13), e^-t = e^-hi (1 - lo) within lo^2/2")


# ---- numeric halves of the components -----------------------------------------------------------

def _against(got, points, reference, tol, what: str) -> Numeric:
    errors = [_error(float(g), reference(mpmath.mpf(v))) for g, v in zip(got, points)]
    return numeric_verdict(errors, tol, f"{what} vs mpmath at {len(points)} points")


def _log_numeric(rng) -> Numeric:
    sq2 = S.SQRT2
    edges = [TINY, 1.0, np.nextafter(1.0, 2.0), np.nextafter(1.0, 0.0), 2.0, 0.5, sq2, np.nextafter(sq2, 2),
             np.nextafter(sq2, 0), sq2 / 2, 1.7976931348623157e308, 1 + 1e-10, 1 - 1e-10, 1.2533141373155003]
    z = np.concatenate([edges, 10.0 ** rng.uniform(-307.6, 308.2, 300), rng.uniform(0.5, 2.0, 200),
                        1 + rng.normal(0, 1e-6, 100)])
    with mpmath.workdps(60):
        return _against(S.log_positive_float64(z), z, mpmath.log, TOL_PART,
                        "float64 k ln 2 + 2 s A(s^2) (positive normal z, both ends of the range)")


def _mills_reference(s):
    with mpmath.workdps(_digits(s)):
        return _mills_asymptotic(s) if s > 10 ** 6 else mpmath.erfc(s / mpmath.sqrt(2)) / 2 / mpmath.npdf(s)


def _cf_numeric(levels: int, rng) -> Numeric:
    s = np.concatenate([[4.0, np.nextafter(4.0, 5.0), 4.5, 5.0, 8.0, 40.0, 1e3, 1e5, 1e8, 1e20, 1e100, 1e154, 1e300],
                        rng.uniform(4.0, 12.0, 300), 10.0 ** rng.uniform(0.61, 300, 200)])
    y = S.mills_tail_float64(s, levels)[0]

    def reference(v):
        with mpmath.workdps(_digits(v)):
            return v * (1 / _mills_reference(v) - v)
    return _against(y, s, reference, TOL_PART, f"float64 y = s rho(s) from {levels} levels, s in [4, 1e300],")


def _taylor_numeric(rng) -> Numeric:
    s = np.concatenate([[0.0, 1e-300, 1e-8, 1.75, 3.0, np.nextafter(4.0, 0.0), 4.0], rng.uniform(0.0, 4.0, 500)])
    return _against(S.mills_taylor_float64(s), s, _mills_reference, TOL_PART,
                    f"float64 Taylor polynomial of degree {S.MILLS_TAYLOR_DEGREE} at 7/4, s in [0, 4],")


def _ratio_numeric(order: int, rng) -> Numeric:
    t = np.concatenate([[0.0, 5e-324, 1e-310, 1e-300, 1e-20, 1e-8, 0.5, 1.0], rng.uniform(0, 1, 400),
                        10.0 ** rng.uniform(-320, 0, 200)])

    def reference(v):
        if v == 0:
            return mpmath.mpf(0)
        with mpmath.workdps(60 + int(max(0, -mpmath.log10(v)))):
            return v / -mpmath.expm1(-v) - 1
    return _against(S.cloglog_ratio_float64(t, order), t, reference, TOL_PART,
                    f"float64 t N(t)/D(t) (order {order}) = t/(1 - e^-t) - 1, t in [0, 1] (subnormal t included),")


def _exp_dd_numeric(rng) -> Numeric:
    v = np.concatenate([[0.0, 1e-300, 1e-10, 0.34657359027997264, 0.6931471805599453, 1.0, 2.0, 5.0, 6.5, 6.58, 7.0],
                        rng.uniform(0, 7, 600)])
    hi, lo = S.exp_dd_float64(v)
    with mpmath.workdps(60):
        errors = [float(abs((mpmath.mpf(h) + mpmath.mpf(lw)) / mpmath.exp(mpmath.mpf(x)) - 1))
                  for h, lw, x in zip(hi, lo, v)]
    return numeric_verdict(errors, TOL_EXP_DD, f"float64 hi + lo (summed exactly) vs mpmath e^v at {len(v)} points "
                                               "in [0, 7]")


# ---- the controls ---------------------------------------------------------------------------------

def _naive_mills_curvature(u):
    """lambda(u) (u + lambda(u)) as written for u < 0, lambda from the (accurate) inv_mills
    mirror; the kernel's own form for u >= 0."""
    u = np.asarray(u, dtype=np.float64)
    lam = S.inv_mills_float64(u)
    with np.errstate(all="ignore"):
        return np.where(u < 0.0, lam * (u + lam), S.mills_curvature_float64(u))


def _naive_cloglog_curvature(u):
    """q (t/p - 1) with p = 1 - e^-t as written (q from the accurate mirror)."""
    u = np.asarray(u, dtype=np.float64)
    with np.errstate(all="ignore"):
        t = S._exp_nonpositive_float64(np.minimum(u, 0.0))  # u <= 0: t <= 1
        p = 1.0 - S._exp_nonpositive_float64(-t)
        naive = S.cloglog_q_float64(u) * (t / p - 1.0)
        return np.where(u <= 0.0, naive, S.cloglog_curvature_float64(u))


def _naive_symbolic(function, what: str, u0, amplification) -> Symbolic:
    """The formula is right (fdiff checks), but its evaluation as written is not: rounding the
    operand of the cancelling subtraction to float64 (relative 2^-53, unavoidable) is amplified
    by ``amplification`` (exact, at u = u0) beyond TOL_FUNCTION."""
    checks = _fdiff_checks([function])
    error = amplification * sp.Rational(1, 2 ** 53)
    checks[f"{what}: the rounding of its operand alone, 2^-53 x {float(amplification):.3g} at u = {u0} = "
           f"{float(error):.2e}, stays within 1e-13"] = bool(error <= sp.Float(TOL_FUNCTION))
    return _verdict(checks, note="the formula is right: only its float64 evaluation is wrong")


def _lambda_amplification(u0):
    """lambda/(u + lambda) at u0: how much u + lambda(u) amplifies a relative error of lambda."""
    lam = S.raw(S.inv_mills(u0))
    return sp.N(lam / (u0 + lam), 30)


def _ratio_amplification(u0):
    """r/(r - 1) at u0, r = t/(1 - e^-t): how much r - 1 amplifies a relative error of r."""
    t = sp.exp(u0)
    r = t / (1 - sp.exp(-t))
    return sp.N(r / (r - 1), 30)


CLAIMS = [
    Claim("F6", "log z = k ln 2 + 2 s A(s^2), z = 2^k m, m in [sqrt(2)/2, sqrt 2], s = (m-1)/(m+1), A F5's atanh "
                "polynomial: relative truncation error < 2^-55", "z a positive normal float64 (the kernels' "
                "log of R and lambda)", SOURCE, _log_symbolic, _log_numeric),
    Claim("F7", f"lambda(-s) - s = y(w)/s, y = a(w)/b(w), w = 1/s^2, the convergent of order {S.MILLS_CF_LEVELS} of "
                "1/(s + 2/(s + 3/(s + ...))): relative error < 2^-55", "s >= 4 (the Mills ratio's tail)", SOURCE,
          lambda: _cf_symbolic(S.MILLS_CF_LEVELS), lambda rng: _cf_numeric(S.MILLS_CF_LEVELS, rng)),
    Claim("F8", f"R(s) = Phi(-s)/phi(s) = sum_(n <= {S.MILLS_TAYLOR_DEGREE}) a_n (s - 7/4)^n, a_n = R^(n)(7/4)/n!: "
                "relative truncation error < 2^-55", "0 <= s <= 4", SOURCE, _taylor_symbolic, _taylor_numeric),
    Claim("F9", "log_ndtr(u) = -s^2/2 - log(2 pi)/2 + log R(s) (u < 0), -log1p(Q/(1 - Q)), Q = phi(u) R(u) (u >= 0); "
                "d/du = inv_mills", "every float64 u; relative error <= 1e-13 where the value is normal", SOURCE,
          lambda: _probit_symbolic(S.log_ndtr), lambda rng: _function_numeric("log_ndtr", rng)),
    Claim("F10", "inv_mills(u) = 1/R(|u|) (u < 0), phi(u)/(1 - phi(u) R(u)) (u >= 0); d/du = -mills_curvature",
          "every float64 u; relative error <= 1e-13 where the value is normal", SOURCE,
          lambda: _probit_symbolic(S.inv_mills), lambda rng: _function_numeric("inv_mills", rng)),
    Claim("F11", "mills_curvature(u) = rho (s + rho) = y (1 + w y) (u < 0: no u + lambda cancellation), "
                 "lambda (u + lambda) (u >= 0)", "every float64 u; relative error <= 1e-13 where the value is normal",
          SOURCE, lambda: _probit_symbolic(S.mills_curvature), lambda rng: _function_numeric("mills_curvature", rng)),
    Claim("F12", f"t/(1 - e^-t) - 1 = t N(t)/D(t), N, D the Taylor polynomials of order {S.CLOGLOG_ORDER} of "
                 "(t - 1 + e^-t)/t^2 and (1 - e^-t)/t: relative truncation error < 2^-55", "0 <= t <= 1 (u <= 0)",
          SOURCE, lambda: _cloglog_ratio_symbolic(S.CLOGLOG_ORDER), lambda rng: _ratio_numeric(S.CLOGLOG_ORDER, rng)),
    Claim("F13", "e^v = hi + lo, 2^k (1 + r + r^2 P(r)) with TwoSum corrections: relative error < 2^-54",
          "0 <= v <= 7 (t = e^u for cloglog, u > 0)", SOURCE, _exp_dd_symbolic, _exp_dd_numeric),
    Claim("F14", "log_cloglog(u) = u - log1p(r - 1) (u <= 0), -log1p(e^-t/p) (u > 0); d/du = cloglog_q",
          "every float64 u; relative error <= 1e-13 where the value is normal", SOURCE,
          lambda: _cloglog_symbolic(S.log_cloglog), lambda rng: _function_numeric("log_cloglog", rng)),
    Claim("F15", "cloglog_q(u) = 1 + ((r - 1) - t) (u <= 0), t e^-t/p (u > 0); d/du = -cloglog_curvature",
          "every float64 u; relative error <= 1e-13 where the value is normal", SOURCE,
          lambda: _cloglog_symbolic(S.cloglog_q), lambda rng: _function_numeric("cloglog_q", rng)),
    Claim("F16", "cloglog_curvature(u) = q (r - 1), r - 1 by F12 (u <= 0) or ((t - 1) + e^-t)/p (u > 0)",
          "every float64 u; relative error <= 1e-13 where the value is normal", SOURCE,
          lambda: _cloglog_symbolic(S.cloglog_curvature), lambda rng: _function_numeric("cloglog_curvature", rng)),
]

CONTROLS = [
    Claim("W7", "mills_curvature(u) = lambda(u) (u + lambda(u)) evaluated as written (u + lambda cancels for u << 0)",
          "every float64 u", "symlogit (a wrong evaluation, not a wrong formula)",
          lambda: _naive_symbolic(S.mills_curvature, "u + lambda(u)", -1000, _lambda_amplification(sp.Integer(-1000))),
          lambda rng: _function_numeric("mills_curvature", rng, _naive_mills_curvature, (-30.0, -1e3)), control=True),
    Claim("W8", "lambda(-s) - s from 20 levels of the continued fraction (too short for float64 at s = 4)", "s >= 4",
          "symlogit (a wrong evaluation, not a wrong formula)",
          lambda: _cf_symbolic(20), lambda rng: _cf_numeric(20, rng), control=True),
    Claim("W9", "cloglog_curvature(u) = q (t/p - 1), p = 1 - e^-t, evaluated as written (t/p - 1 cancels for t << 1)",
          "every float64 u", "symlogit (a wrong evaluation, not a wrong formula)",
          lambda: _naive_symbolic(S.cloglog_curvature, "t/p - 1", -20, _ratio_amplification(sp.Integer(-20))),
          lambda rng: _function_numeric("cloglog_curvature", rng, _naive_cloglog_curvature, (-5.0, -20.0)),
          control=True),
]
