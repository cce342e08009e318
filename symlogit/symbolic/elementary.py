"""exp on the whole line and log1p on [0, 1] as polynomials: what the kernels evaluate instead of
libm's exp and log1p, with the truncation error bounded in exact arithmetic (claims F4, F5).

Why: every stable form of C4 evaluates e^-|u| (and the loss log1p of it). glibc's exp and
log1p are scalar calls (4.3 and 8.5 ns in numba), and pip's llvmlite has no SVML to vectorise
them, so a loop over rows that calls them runs one row at a time. A polynomial is multiplies
and adds, which LLVM vectorises: 0.8 ns per element for either function, measured in numba on
this machine.

exp(x) (F4; first stated for x <= 0, the stable forms' exponents, now for every x: Poisson and
cloglog exponentiate u itself). With k = round(x / ln 2) and r = x - k ln 2, |r| <= rho = ln(2)/2:
    exp(x) = 2^k exp(r),   exp(r) ~ T(r) = sum_{j <= 13} r^j / j!
    Lagrange: |exp(r) - T(r)| <= e^rho rho^14 / 14!, and exp(r) >= e^-rho, so the relative
    error is at most e^(2 rho) rho^14 / 14! = 2 rho^14 / 14! < 2^-55.
    ln 2 is split as LN2_HI + LN2_LO (fdlibm's split: LN2_HI has 32 significant bits, so k LN2_HI
    is exact for |k| < 2^21) and the reduction loses nothing.

log1p(e), 0 <= e <= 1 (F5). With s chosen so that |s| <= sigma = 3 - 2 sqrt(2):
    log(1 + e) = 2 atanh(s),         s = e / (2 + e),        e <= sqrt(2) - 1
    log(1 + e) = ln 2 + 2 atanh(s),  s = (e - 1) / (e + 3),  e >  sqrt(2) - 1
    2 atanh(s) ~ 2 s A(s^2),  A(z) = sum_{j < 10} z^j / (2j + 1)
    remainder: |2 sum_{j >= 10} s^(2j+1)/(2j+1)| <= 2 |s|^21 / (21 (1 - s^2)); relative to
    |2 atanh(s)| >= 2|s| (first branch), or to log(1 + e) >= ln(sqrt 2) (second), under 2^-55.

The kernels print T and A (Horner form) from the SymPy polynomials below; the range reduction
around them is in the kernel template. The control W6 (degree 9 instead of 13) shows that the
bound, and the numeric comparison with mpmath, reject a polynomial that is too short.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

EXP_DEGREE = 13
ATANH_TERMS = 10

#: fdlibm's split of ln 2: LN2_HI has 32 significant bits, LN2_HI + LN2_LO = ln 2 to ~1e-27.
LN2_HI = 0.6931471803691238
LN2_LO = 1.9082149292705877e-10
LOG2_E = 1.4426950408889634
LN2 = 0.6931471805599453
#: Branch point of log1p's reduction: sqrt(2) - 1, rounded (either branch is accurate near it).
LOG1P_SPLIT = 0.41421356237309503
#: Below this argument exp underflows to 0 in float64 (exp(-745.2) is the smallest subnormal);
#: clamping there keeps k = round(x / ln 2) within int64 for any finite or infinite x.
EXP_CLAMP = -1000.0

#: |r| after the exp reduction, and |s| after the log1p reduction.
RHO = sp.log(2) / 2
SIGMA = 3 - 2 * sp.sqrt(2)
#: The relative truncation error every polynomial must stay under.
BOUND = sp.Rational(1, 2 ** 55)


def exp_polynomial(r, degree: int = EXP_DEGREE):
    """T(r) = sum_{j <= degree} r^j / j!, the Taylor polynomial of exp at 0 (SymPy's series)."""
    return sp.series(sp.exp(r), r, 0, degree + 1).removeO()


def exp_truncation_bound(degree: int = EXP_DEGREE):
    """Exact bound on |exp(r) - T(r)| / exp(r) for |r| <= rho: e^(2 rho) rho^(n+1) / (n+1)!."""
    return sp.exp(2 * RHO) * RHO ** (degree + 1) / sp.factorial(degree + 1)


def atanh_polynomial(z, terms: int = ATANH_TERMS):
    """A(z) with 2 atanh(s) ~ 2 s A(s^2): the series of atanh(s)/s in z = s^2, truncated."""
    return sp.Add(*[z ** j / (2 * j + 1) for j in range(terms)])


def atanh_truncation_bound(terms: int = ATANH_TERMS):
    """Exact bound on the relative error of 2 s A(s^2) for |s| <= sigma, over both branches:
    remainder 2 sigma^(2n+1) / ((2n+1)(1 - sigma^2)) divided by the smaller of 2 sigma (first
    branch, where |2 atanh(s)| >= 2|s|: the bound then scales as |s|^(2n), largest at sigma) and
    ln(sqrt 2) (second branch)."""
    n = terms
    remainder = 2 * SIGMA ** (2 * n + 1) / ((2 * n + 1) * (1 - SIGMA ** 2))
    return sp.Max(remainder / (2 * SIGMA), remainder / sp.log(sp.sqrt(2)))


def horner(poly, x):
    """The polynomial in Horner form (what the kernels print: one multiply-add per degree)."""
    return sp.horner(sp.Poly(poly, x).as_expr(), wrt=x)


# ---- the same arithmetic in numpy (the verifier's float64 side; a test holds the kernels to it) ----

def exp_float64(x, degree: int = EXP_DEGREE):
    """exp(x) by the reduction and T(r) above, x clamped to [EXP_CLAMP, -EXP_CLAMP], elementwise
    in float64: 0 where e^x underflows, inf where it overflows; nan stays nan."""
    r_sym = sp.Symbol("r")
    poly = sp.lambdify(r_sym, horner(exp_polynomial(r_sym, degree), r_sym), "numpy")
    x = np.asarray(x, dtype=np.float64)
    clamped = np.clip(np.where(x > EXP_CLAMP, x, EXP_CLAMP), EXP_CLAMP, -EXP_CLAMP)
    k = np.floor(clamped * LOG2_E + 0.5)
    r = clamped - k * LN2_HI - k * LN2_LO
    # 2^k as two factors, as the kernels scale (one rounding where the result is subnormal)
    half = k.astype(np.int64) >> 1
    with np.errstate(over="ignore"):
        scaled = np.ldexp(np.ldexp(poly(r), half), k.astype(np.int64) - half)
    return np.where(np.isnan(x), x, scaled)


exp_nonpositive_float64 = exp_float64  # its name when claim F4 covered x <= 0 only


def log1p_unit_float64(e, terms: int = ATANH_TERMS):
    """log(1 + e) for 0 <= e <= 1 by the two reductions and A(z) above, elementwise in float64."""
    z_sym = sp.Symbol("z")
    poly = sp.lambdify(z_sym, horner(atanh_polynomial(z_sym, terms), z_sym), "numpy")
    e = np.asarray(e, dtype=np.float64)
    big = np.where(e > LOG1P_SPLIT, 1.0, 0.0)
    two_s = (2.0 * e - 2.0 * big) / (e + 2.0 + big)
    return two_s * poly(0.25 * two_s * two_s) + LN2 * big
