"""F4, F5: the polynomial exp and log1p that the kernels evaluate (``symbolic/elementary.py``),
and the control W6, a Taylor polynomial too short for float64, which both halves must reject."""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from ..checking import Claim, Numeric, Symbolic, numeric_verdict, relative_error
from ..elementary import (ATANH_TERMS, BOUND, EXP_DEGREE, SIGMA, atanh_polynomial, atanh_truncation_bound,
                          exp_float64, exp_polynomial, exp_truncation_bound, horner, log1p_unit_float64)

SOURCE = "symlogit (how the kernels evaluate e^-|u| and log1p: symbolic/elementary.py)"

#: float64 agreement demanded: 2^-50 relative (8 units in the last place), and, through the floor,
#: one unit of the smallest subnormal where the result is subnormal.
TOL = 2.0 ** -50
FLOOR = 5e-324 / TOL


def _exp_symbolic(degree: int) -> Symbolic:
    k = sp.Symbol("k", integer=True)
    r = sp.Symbol("r", real=True)
    taylor = exp_polynomial(r, degree)
    checks = {
        "exp(k ln 2 + r) = 2^k e^r (simplify)": sp.simplify(sp.exp(k * sp.log(2) + r) - 2 ** k * sp.exp(r)) == 0,
        "coefficients are 1/j!": sp.Poly(taylor, r).all_coeffs()[::-1] == [1 / sp.factorial(j) for j in range(degree + 1)],
        "Horner form expands to T": sp.expand(horner(taylor, r) - taylor) == 0,
    }
    bound = exp_truncation_bound(degree)
    holds = all(checks.values()) and bool(bound < BOUND)
    return Symbolic(holds, f"{', '.join(checks)}; Lagrange bound 2 rho^{degree + 1}/{degree + 1}! = "
                           f"{float(bound):.2e} vs 2^-55 = {float(BOUND):.2e} (exact comparison)")


def _log1p_symbolic(terms: int) -> Symbolic:
    e = sp.Symbol("e", nonnegative=True)
    s = sp.Symbol("s", real=True)
    small, large = e / (2 + e), (e - 1) / (e + 3)
    ratio = (1 + s) / (1 - s)  # exp(2 atanh(s)), for |s| < 1
    split = sp.sqrt(2) - 1
    checks = {
        "exp(2 atanh(e/(2+e))) = 1 + e": sp.cancel(ratio.subs(s, small) - (1 + e)) == 0,
        "exp(2 atanh((e-1)/(e+3))) = (1 + e)/2": sp.cancel(ratio.subs(s, large) - (1 + e) / 2) == 0,
        "|s| <= sigma at the branch ends": [sp.simplify(v) for v in (small.subs(e, split) - SIGMA,
                                                                     large.subs(e, split) + SIGMA,
                                                                     large.subs(e, 1))] == [0, 0, 0],
        "A is the series of atanh(s)/s in s^2": sp.expand(sp.series(sp.atanh(s) / s, s, 0, 2 * terms).removeO()
                                                          - atanh_polynomial(s ** 2, terms)) == 0,
    }
    bound = atanh_truncation_bound(terms)
    holds = all(checks.values()) and bool(bound < BOUND)
    return Symbolic(holds, f"{', '.join(checks)} (both s monotone in e); remainder bound {float(bound):.2e} "
                           f"vs 2^-55 = {float(BOUND):.2e} (exact comparison)")


def _exp_points(rng) -> np.ndarray:
    """Zero, tiny, the reduction's edges, where results turn subnormal, underflow, and beyond."""
    fixed = [0.0, -0.0, -1e-300, -1e-20, -0.34657359027997264, -0.3465735902799727, -1.0, -30.0, -700.0,
             -708.39, -708.4, -709.0, -740.0, -745.13, -745.14, -746.0, -1000.0, -1e5, -1e300,
             1e-300, 0.34657359027997264, 1.0, 30.0, 700.0, 709.0, 709.78]
    return np.concatenate([fixed, -rng.uniform(0, 746, 400), -10.0 ** rng.uniform(-300, 2.8, 200),
                           rng.uniform(0, 709.78, 200), 10.0 ** rng.uniform(-300, 2.85, 100)])


#: Where e^x overflows float64 (x > ln(DBL_MAX) = 709.78...), the polynomial exp must give inf.
OVERFLOWING = (709.79, 710.0, 1000.0, 1e5, 1e300, float("inf"))


def _against_mpmath(got, points, reference, what: str) -> Numeric:
    """The float64 values ``got`` at ``points`` against mpmath's ``reference`` at 50 digits."""
    with mpmath.workdps(50):
        expected = [float(reference(mpmath.mpf(v))) for v in points]
    errors = [relative_error(g, r, FLOOR) for g, r in zip(got, expected)]
    return numeric_verdict(errors, TOL, f"{what} vs mpmath at {len(points)} points")


def _exp_numeric(degree: int, rng) -> Numeric:
    x = _exp_points(rng)
    verdict = _against_mpmath(exp_float64(x, degree), x, mpmath.exp,
                              f"float64 2^k T(r), degree {degree}, in [-1e300, 709.78] (subnormal and underflowing "
                              "results included), and inf above 709.79")
    if not np.all(np.isinf(exp_float64(np.array(OVERFLOWING), degree))):
        return Numeric(False, float("inf"), verdict.points, verdict.detail + "; NOT inf where e^x overflows")
    return verdict


def _log1p_numeric(terms: int, rng) -> Numeric:
    e = np.concatenate([[0.0, 5e-324, 1e-310, 1e-200, 1e-16, 0.41421356237309503, 0.414213562373095,
                         0.4142135623730951, 0.5, 1.0], rng.random(400), 10.0 ** rng.uniform(-320, 0, 200)])
    return _against_mpmath(log1p_unit_float64(e, terms), e, mpmath.log1p,
                           f"float64 2 s A(s^2) with {terms} terms, in [0, 1] (subnormal arguments included),")


CLAIMS = [
    Claim("F4", f"exp(x) = 2^k T(x - k ln 2), k = round(x/ln 2), T the degree-{EXP_DEGREE} Taylor polynomial: "
                "relative truncation error < 2^-55", "every x: the kernels' e^-|u|, e^(u_k - max u), and e^u (Poisson, "
                "cloglog); 0 below -745.2, inf above 709.78", SOURCE,
          lambda: _exp_symbolic(EXP_DEGREE), lambda rng: _exp_numeric(EXP_DEGREE, rng)),
    Claim("F5", f"log1p(e) = [ln 2] + 2 s A(s^2), s = e/(2+e) or (e-1)/(e+3), A of {ATANH_TERMS} terms of "
                "atanh(s)/s: relative truncation error < 2^-55", "0 <= e <= 1 (the kernels' log1p(e^-|u|))", SOURCE,
          lambda: _log1p_symbolic(ATANH_TERMS), lambda rng: _log1p_numeric(ATANH_TERMS, rng)),
]

CONTROLS = [
    Claim("W6", "exp(x) = 2^k T9(x - k ln 2): a Taylor polynomial of degree 9 (too short for float64)", "x <= 0",
          "symlogit (a wrong evaluation, not a wrong formula)",
          lambda: _exp_symbolic(9), lambda rng: _exp_numeric(9, rng), control=True),
]
