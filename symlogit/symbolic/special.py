"""The special functions of the probit and cloglog families, their exact derivatives, and how the
kernels evaluate them stably (claims F6-F16; controls W7-W9).

With t = e^u, Phi the standard normal CDF and phi its density:

    log_ndtr(u)          = log Phi(u)                     d/du = inv_mills(u)
    inv_mills(u)         = phi(u) / Phi(u)      (lambda)  d/du = -mills_curvature(u)
    mills_curvature(u)   = lambda(u) (u + lambda(u))      (in (0, 1))
    log_cloglog(u)       = log(1 - e^-t)                  d/du = cloglog_q(u)
    cloglog_q(u)         = t e^-t / (1 - e^-t)  (q)       d/du = -cloglog_curvature(u)
    cloglog_curvature(u) = q(u) (r - 1),  r = t / (1 - e^-t)

Each is a ``sympy.Function`` with ``fdiff`` in these terms (so SymPy's derivatives of a loss stay
in them), ``rewrite(sympy.exp)`` to the raw definition (exp, log and erfc only), and the name of
the numba function that evaluates it (``kernel_name``; the source is ``codegen/special.py``).

How they are evaluated (every polynomial below is printed from this module; s = |u|):

* Mills ratio R(s) = Phi(-s)/phi(s) and rho(s) = lambda(-s) - s = (1 - s R(s))/R(s):
  - s >= 4 (F7): rho = y(w)/s, y = a(w)/b(w), w = 1/s^2: the 41st convergent of Laplace's
    continued fraction rho = 1/(s + 2/(s + 3/(s + ...))), rewritten as a ratio of polynomials in w
    with positive integer coefficients (no cancellation, no overflow, exact at s = inf). The
    value lies between consecutive convergents, which gives the bound 41!/min(A_41 B_40,
    A_40 B_41)(4) < 2^-55 on the relative error, for every s >= 4.
  - s < 4 (F8): R by its Taylor polynomial of degree 44 at s = 7/4 (coefficients from the ODE
    R' = sR - 1, at 600 digits). Lagrange: |R^(45)| = I_45 <= I_45(0) (left) or I_45(7/4)
    (right), I_n(s) = int_0^inf t^n e^(-st - t^2/2) dt; relative bound < 2^-55.
  - phi(s) from s^2/2 = h + l split exactly (Dekker), e^(-s^2/2) = e^-h (1 - l), so the
    density keeps full relative accuracy up to where it underflows (s ~ 38.6).
  Then, for u < 0: lambda = s + rho (= 1/R), mills_curvature = rho (s + rho) (= y (1 + w y) in
  the tail: no u + lambda cancellation), log Phi(u) = -h - l - log(2 pi)/2 + log R; for
  u >= 0: Q = phi R = Phi(-u), lambda = phi/(1 - Q), log Phi(u) = -log1p(Q/(1 - Q)).
* log of a positive normal float (F6), call-free: z = 2^k m, m in [1/sqrt 2, sqrt 2],
  log z = k ln 2 + 2 atanh((m - 1)/(m + 1)) with F5's atanh polynomial.
* cloglog, t <= 1 (u <= 0; F12): r - 1 = t N(t)/D(t), N and D the Taylor polynomials of
  (t - 1 + e^-t)/t^2 and (1 - e^-t)/t of order 19 (Lagrange, relative bound < 2^-55). Then
  log_cloglog = u - log1p(r - 1), q = 1 + ((r - 1) - t), curvature = q (r - 1) (F14-F16).
* cloglog, u > 0 (F13-F16): e^-t has condition number t (up to ~708 before it underflows), so t = e^u
  is computed to ~1e-17 as hi + lo (F4's reduction with a TwoSum-corrected tail) and
  e^-t = e^-hi (1 - lo). Then p = 1 - e^-t, log_cloglog = -log1p(e^-t/p), q = t e^-t/p,
  r - 1 = ((t - 1) + e^-t)/p. u is clamped to 7 (e^-e^7 = 0 in float64).

Results that are subnormal (or below) may come out as 0; nan in gives nan out; no finite u gives
nan or inf except log_ndtr(u) for u < -1.9e154, where -u^2/2 (the exact value) overflows: -inf.
The ``*_float64`` functions are the kernels' arithmetic in numpy (bit for bit, held by a test),
so the verifier's numeric half checks the code that runs.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from . import elementary

# ---- the raw definitions ----------------------------------------------------------------------


def normal_cdf(u):
    """Phi(u) = erfc(-u/sqrt 2)/2."""
    return sp.erfc(-u / sp.sqrt(2)) / 2


def normal_pdf(u):
    """phi(u) = e^(-u^2/2)/sqrt(2 pi)."""
    return sp.exp(-u ** 2 / 2) / sp.sqrt(2 * sp.pi)


def mills_ratio(x):
    """R(x) = Phi(-x)/phi(x) = sqrt(pi/2) e^(x^2/2) erfc(x/sqrt 2)."""
    return sp.sqrt(sp.pi / 2) * sp.exp(x ** 2 / 2) * sp.erfc(x / sp.sqrt(2))


def _raw_inv_mills(u):
    return normal_pdf(u) / normal_cdf(u)


def _raw_cloglog_parts(u):
    t = sp.exp(u)
    p = 1 - sp.exp(-t)
    return t, p


class _Special(sp.Function):
    """Common behaviour: one real argument, a raw definition, a LaTeX name, a kernel name."""

    nargs = 1
    kernel_name = ""
    latex_name = ""

    @classmethod
    def raw_of(cls, u):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _eval_rewrite_as_exp(self, u, **kwargs):
        return type(self).raw_of(u)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_finite(self):
        return True if self.args[0].is_finite and self.args[0].is_real else None

    def _latex(self, printer):
        return r"%s{\left(%s \right)}" % (self.latex_name, printer._print(self.args[0]))


class log_ndtr(_Special):
    """log Phi(u), scalar u (the probit log-likelihood of y = 1)."""

    kernel_name = "_log_ndtr"
    latex_name = r"\log\Phi"

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return -sp.log(2)
        return None

    @classmethod
    def raw_of(cls, u):
        return sp.log(normal_cdf(u))

    def fdiff(self, argindex=1):
        return inv_mills(self.args[0])

    def _eval_is_negative(self):
        return True if self.args[0].is_real and self.args[0].is_finite else None


class inv_mills(_Special):
    """lambda(u) = phi(u)/Phi(u), the inverse Mills ratio, scalar u."""

    kernel_name = "_inv_mills"
    latex_name = r"\lambda"

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sp.sqrt(2 / sp.pi)
        return None

    @classmethod
    def raw_of(cls, u):
        return _raw_inv_mills(u)

    def fdiff(self, argindex=1):
        return -mills_curvature(self.args[0])

    def _eval_is_positive(self):
        return True if self.args[0].is_real and self.args[0].is_finite else None


class mills_curvature(_Special):
    """lambda(u) (u + lambda(u)) = -lambda'(u), in (0, 1), scalar u."""

    kernel_name = "_mills_curvature"
    latex_name = r"\kappa_\Phi"

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return 2 / sp.pi
        return None

    @classmethod
    def raw_of(cls, u):
        lam = _raw_inv_mills(u)
        return lam * (u + lam)

    def fdiff(self, argindex=1):
        u = self.args[0]
        lam, c = inv_mills(u), mills_curvature(u)
        return lam * (1 - c) - c * (u + lam)

    def _eval_is_positive(self):
        return True if self.args[0].is_real and self.args[0].is_finite else None


class log_cloglog(_Special):
    """log(1 - exp(-e^u)), scalar u (the cloglog log-likelihood of y = 1)."""

    kernel_name = "_log_cloglog"
    latex_name = r"\log p_{\mathrm{cll}}"

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sp.log(1 - sp.exp(-1))
        return None

    @classmethod
    def raw_of(cls, u):
        return sp.log(_raw_cloglog_parts(u)[1])

    def fdiff(self, argindex=1):
        return cloglog_q(self.args[0])

    def _eval_is_negative(self):
        return True if self.args[0].is_real and self.args[0].is_finite else None


class cloglog_q(_Special):
    """q(u) = t e^-t/(1 - e^-t) = r - t, t = e^u, r = t/(1 - e^-t); in (0, 1), scalar u."""

    kernel_name = "_cloglog_q"
    latex_name = r"q_{\mathrm{cll}}"

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return 1 / (sp.E - 1)
        return None

    @classmethod
    def raw_of(cls, u):
        t, p = _raw_cloglog_parts(u)
        return t * sp.exp(-t) / p

    def fdiff(self, argindex=1):
        return -cloglog_curvature(self.args[0])

    def _eval_is_positive(self):
        return True if self.args[0].is_real and self.args[0].is_finite else None


class cloglog_curvature(_Special):
    """q(u) (r - 1) = -q'(u), r = t/(1 - e^-t), t = e^u, scalar u."""

    kernel_name = "_cloglog_curvature"
    latex_name = r"\kappa_{\mathrm{cll}}"

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return 1 / (sp.E - 1) ** 2
        return None

    @classmethod
    def raw_of(cls, u):
        t, p = _raw_cloglog_parts(u)
        return t * sp.exp(-t) / p * (t / p - 1)

    def fdiff(self, argindex=1):
        u = self.args[0]
        q, k = cloglog_q(u), cloglog_curvature(u)
        return q * (sp.exp(u) - k) - k * (q + sp.exp(u) - 1)

    def _eval_is_positive(self):
        return True if self.args[0].is_real and self.args[0].is_finite else None


#: The six functions, in the order their kernels are printed.
FUNCTIONS = (log_ndtr, inv_mills, mills_curvature, log_cloglog, cloglog_q, cloglog_curvature)
BY_KERNEL_NAME = {f.kernel_name: f for f in FUNCTIONS}


def raw(expr):
    """The expression with each of the six functions replaced by its raw definition."""
    return sp.sympify(expr).replace(lambda e: isinstance(e, FUNCTIONS), lambda e: type(e).raw_of(e.args[0]))


# ---- constants of the evaluation schemes ------------------------------------------------------

#: The relative truncation error every series / approximant must stay under.
BOUND = elementary.BOUND  # 2^-55
#: Mills ratio: continued fraction from s = MILLS_CF_START, Taylor polynomial below it.
MILLS_CF_START = sp.Integer(4)
MILLS_CF_LEVELS = 41
MILLS_TAYLOR_CENTRE = sp.Rational(7, 4)
MILLS_TAYLOR_DEGREE = 44
#: Digits at which the Taylor coefficients are evaluated (the recurrence loses ~40).
MILLS_DIGITS = 600
#: cloglog's small-t polynomials: Taylor order J of e^-t.
CLOGLOG_ORDER = 19
#: e^-e^u is 0 in float64 beyond u = 6.57; arguments are clamped here.
CLOGLOG_CLAMP = 7.0
#: Dekker's split of s is exact below this (134217729 s must not overflow); beyond, s^2/2 > 1e299
#: and only its high part matters.
SQUARE_LIMIT = 1e150


def _f(expr) -> float:
    """A SymPy number as the nearest float64 (through 40 digits)."""
    return float(sp.N(expr, 40))


INV_SQRT_2PI = _f(1 / sp.sqrt(2 * sp.pi))
HALF_LOG_2PI = _f(sp.log(2 * sp.pi) / 2)
SQRT2 = _f(sp.sqrt(2))
DEKKER = 134217729.0  # 2^27 + 1
EXP_M64 = _f(sp.exp(-64))


# ---- Mills ratio: the continued fraction (F7) -------------------------------------------------

X = sp.Symbol("x", positive=True)


@functools.lru_cache(maxsize=None)
def mills_cf_convergents(levels: int = MILLS_CF_LEVELS):
    """(A_n, A_{n-1}, B_n, B_{n-1}) as polynomials in x, n = levels: the numerators and
    denominators of the convergents of rho(x) = 1/(x + 2/(x + 3/(x + ...))), by
    A_k = x A_{k-1} + k A_{k-2} (and B alike), A_{-1} = 1, A_0 = 0, B_{-1} = 0, B_0 = 1."""
    a_prev, a = sp.Poly(1, X), sp.Poly(0, X)
    b_prev, b = sp.Poly(0, X), sp.Poly(1, X)
    for k in range(1, levels + 1):
        a_prev, a = a, sp.Poly(X, X) * a + k * a_prev
        b_prev, b = b, sp.Poly(X, X) * b + k * b_prev
    return a, a_prev, b, b_prev


@functools.lru_cache(maxsize=None)
def mills_cf_coefficients(levels: int = MILLS_CF_LEVELS):
    """(a, b): ascending integer coefficients with A_n(x) = x^(n-1) a(1/x^2), B_n(x) = x^n b(1/x^2),
    so that x rho(x) ~ y(w) = a(w)/b(w), w = 1/x^2."""
    An, _, Bn, _ = mills_cf_convergents(levels)
    n = levels
    a = tuple(An.coeff_monomial(X ** (n - 1 - 2 * k)) for k in range((n - 1) // 2 + 1))
    b = tuple(Bn.coeff_monomial(X ** (n - 2 * k)) for k in range(n // 2 + 1))
    return a, b


def mills_cf_bound(levels: int = MILLS_CF_LEVELS, start=MILLS_CF_START):
    """Exact bound on the relative error of the levels-th convergent for x >= start:
    |f_n - f_(n-1)| / min(f_n, f_(n-1)) = n!/min(A_n B_(n-1), A_(n-1) B_n), the denominators
    being polynomials with nonnegative coefficients (largest bound at x = start)."""
    An, An1, Bn, Bn1 = mills_cf_convergents(levels)
    return sp.factorial(levels) / min((An * Bn1).eval(start), (An1 * Bn).eval(start))


# ---- Mills ratio: the Taylor polynomial (F8) --------------------------------------------------

@functools.lru_cache(maxsize=None)
def mills_taylor_exact(centre=MILLS_TAYLOR_CENTRE, degree: int = MILLS_TAYLOR_DEGREE):
    """R^(n)(c)/n! for n = 0..degree+1, exactly, as alpha_n + beta_n R(c) (alpha, beta rational):
    from R' = xR - 1 and, differentiating n times, R^(n+1) = x R^(n) + n R^(n-1), i.e.
    (n+1) a_(n+1) = c a_n + a_(n-1)."""
    Rc = mills_ratio(centre)
    pairs = [(sp.Integer(0), sp.Integer(1)), (sp.Integer(-1), centre)]  # a_0 = R, a_1 = cR - 1
    for n in range(1, degree + 1):
        (a0, b0), (a1, b1) = pairs[-2], pairs[-1]
        pairs.append(((centre * a1 + a0) / (n + 1), (centre * b1 + b0) / (n + 1)))
    return tuple(al + be * Rc for al, be in pairs)


@functools.lru_cache(maxsize=None)
def mills_taylor_coefficients(centre=MILLS_TAYLOR_CENTRE, degree: int = MILLS_TAYLOR_DEGREE):
    """The Taylor coefficients a_0..a_degree of R at c, as SymPy Floats of MILLS_DIGITS digits."""
    Rc = sp.N(mills_ratio(centre), MILLS_DIGITS)
    values = [Rc, centre * Rc - 1]
    for n in range(1, degree):
        values.append((centre * values[-1] + values[-2]) / (n + 1))
    return tuple(sp.Float(v, MILLS_DIGITS) for v in values[:degree + 1])


def normal_moment(m: int):
    """I_m(0) = int_0^inf t^m e^(-t^2/2) dt = 2^((m-1)/2) Gamma((m+1)/2)."""
    return 2 ** sp.Rational(m - 1, 2) * sp.gamma(sp.Rational(m + 1, 2))


def mills_taylor_bound(centre=MILLS_TAYLOR_CENTRE, degree: int = MILLS_TAYLOR_DEGREE, start=0, end=MILLS_CF_START):
    """Bound on the relative error of the Taylor polynomial on [start, end] (exact expression):
    Lagrange, |R^(N+1)(xi)| = I_(N+1)(xi), decreasing in xi, over R(s) >= R(c) on the left
    and R(s) >= R(end) on the right:
        left  = I_(N+1)(0) (c - start)^(N+1) / ((N+1)! R(c))
        right = |a_(N+1)| (end - c)^(N+1) / R(end),  a_(N+1) = R^(N+1)(c)/(N+1)!."""
    m = degree + 1
    left = normal_moment(m) * (centre - start) ** m / (sp.factorial(m) * mills_ratio(centre))
    right = sp.Abs(mills_taylor_exact(centre, degree)[m]) * (end - centre) ** m / mills_ratio(end)
    return left, right


# ---- cloglog: the small-t polynomials (F11) ---------------------------------------------------

def cloglog_numerator(t, order: int = CLOGLOG_ORDER):
    """N(t) = sum_(j=2..J) (-t)^(j-2)/j!, so t^2 N(t) = t - 1 + T_J(-t) ~ t - 1 + e^-t."""
    return sp.Add(*[(-t) ** (j - 2) / sp.factorial(j) for j in range(2, order + 1)])


def cloglog_denominator(t, order: int = CLOGLOG_ORDER):
    """D(t) = sum_(j=1..J) (-1)^(j-1) t^(j-1)/j!, so t D(t) = 1 - T_J(-t) ~ 1 - e^-t."""
    return sp.Add(*[(-1) ** (j - 1) * t ** (j - 1) / sp.factorial(j) for j in range(1, order + 1)])


def cloglog_bound(order: int = CLOGLOG_ORDER):
    """Exact bound on the relative error of r - 1 = t N(t)/D(t) for 0 <= t <= 1: Lagrange puts
    each truncation within t^(J+1)/(J+1)!; t - 1 + e^-t >= t^2/2 - t^3/6 >= t^2/3 and
    1 - e^-t >= t - t^2/2 >= t/2, so eps_N = 3/(J+1)!, eps_D = 2/(J+1)! and the ratio is within
    (eps_N + eps_D)/(1 - eps_D)."""
    eps_n, eps_d = 3 / sp.factorial(order + 1), 2 / sp.factorial(order + 1)
    return (eps_n + eps_d) / (1 - eps_d)


def exp_tail_polynomial(r, degree: int = elementary.EXP_DEGREE):
    """P(r) = (T(r) - 1 - r)/r^2, T F4's Taylor polynomial: e^r - 1 - r ~ r^2 P(r)."""
    return sp.expand((elementary.exp_polynomial(r, degree) - 1 - r) / r ** 2)


# ---- the general log (F6) ---------------------------------------------------------------------

def log_reduction_bound(terms: int = elementary.ATANH_TERMS):
    """Bound on the relative error of log z = k ln 2 + 2 s A(s^2), s = (m-1)/(m+1), m in
    [SQRT2/2, SQRT2] (SQRT2 = the float64 nearest sqrt 2, slightly above it): F5's bound with
    the largest |s|, reached at m = SQRT2."""
    m = sp.Rational(SQRT2)
    s = (m - 1) / (m + 1)
    remainder = 2 * s ** (2 * terms + 1) / ((2 * terms + 1) * (1 - s ** 2))
    return sp.Max(remainder / (2 * s), remainder / sp.log(sp.sqrt(2)))


# ---- float coefficient lists (what the kernels print and the mirrors use) ---------------------

def _floats(coeffs) -> tuple[float, ...]:
    """Exact rationals or high-precision Floats, each rounded once to the nearest float64."""
    return tuple(float(c) for c in coeffs)


def _poly_floats(expr, var) -> tuple[float, ...]:
    return _floats(sp.Poly(expr, var).all_coeffs()[::-1])


@functools.lru_cache(maxsize=None)
def coefficient_table(levels: int = MILLS_CF_LEVELS, cloglog_order: int = CLOGLOG_ORDER) -> dict:
    """Ascending float64 coefficients of every polynomial the kernels print."""
    a, b = mills_cf_coefficients(levels)
    t, r, z = sp.Symbol("t"), sp.Symbol("r"), sp.Symbol("z")
    return {
        "mills_cf_num": _floats(a),
        "mills_cf_den": _floats(b),
        "mills_taylor": _floats(mills_taylor_coefficients()),
        "cloglog_num": _poly_floats(cloglog_numerator(t, cloglog_order), t),
        "cloglog_den": _poly_floats(cloglog_denominator(t, cloglog_order), t),
        "exp_tail": _poly_floats(exp_tail_polynomial(r), r),
        "atanh": _poly_floats(elementary.atanh_polynomial(z), z),
    }


# ---- the kernels' arithmetic in numpy (bit for bit; the verifier's float64 side) -------------

def horner_float64(coeffs, x):
    """c_0 + x (c_1 + x (c_2 + ...)), innermost first: the order the printed kernels use."""
    acc = np.full(np.shape(x), coeffs[-1], dtype=np.float64)
    for c in reversed(coeffs[:-1]):
        acc = c + x * acc
    return acc


def split_point(n: int) -> int:
    """Where a polynomial of n coefficients is split: L has the first ceil(n/2)."""
    return (n + 1) // 2


def power_float64(x, k: int):
    """x^k by squaring: x^(2^j) for every bit of k, multiplied from the highest bit down (the
    printed kernels' order)."""
    squares = [x]
    while 2 ** len(squares) <= k:
        squares.append(squares[-1] * squares[-1])
    bits = [j for j in range(len(squares)) if k >> j & 1][::-1]
    acc = squares[bits[0]]
    for j in bits[1:]:
        acc = acc * squares[j]
    return acc


def split_float64(coeffs, x):
    """L(x) + x^k H(x), L the first k = ceil(n/2) coefficients and H the rest, each by Horner:
    two dependency chains of half the length (a long Horner chain is latency-bound, and LLVM may
    not reorder floating-point arithmetic), with Horner's accuracy (H's terms are small). The
    printed kernels evaluate the long polynomials this way."""
    k = split_point(len(coeffs))
    return horner_float64(coeffs[:k], x) + power_float64(x, k) * horner_float64(coeffs[k:], x)


def _exp_nonpositive_float64(x):
    exp = getattr(elementary, "exp_float64", None) or elementary.exp_nonpositive_float64
    return exp(x)


def _log1p_unit_float64(e):
    return elementary.log1p_unit_float64(e)


def _arr(u):
    return np.asarray(u, dtype=np.float64)


def half_square_float64(s):
    """(h, l) with h + l = s^2/2 exactly: h = (s/2) s (finite up to s = 1.9e154, like s^2/2) and
    l half of Dekker's low part of s^2 (0 beyond SQUARE_LIMIT)."""
    s = _arr(s)
    sl = np.where(s < SQUARE_LIMIT, s, 0.0)
    c = DEKKER * sl
    sh = c - (c - sl)
    st = sl - sh
    with np.errstate(over="ignore", invalid="ignore"):
        h = (0.5 * s) * s
    lo = 0.5 * (((sh * sh - sl * sl) + 2.0 * sh * st) + st * st)
    return h, lo


def normal_pdf_float64(h, lo):
    """phi(s) from s^2/2 = h + l: INV_SQRT_2PI e^-h (1 - l)."""
    return INV_SQRT_2PI * _exp_nonpositive_float64(-h) * (1.0 - lo)


def log_positive_float64(z, terms: int = elementary.ATANH_TERMS):
    """log z for positive normal z (F6): k ln 2 + 2 s A(s^2), by the bits of z."""
    z = np.array(z, dtype=np.float64)  # a contiguous copy (0-d stays 0-d) to view as int64
    bits = z.view(np.int64)
    m = ((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000).view(np.float64)
    big = np.where(m > SQRT2, 1.0, 0.0)
    k = ((bits >> 52) - 1023) + big
    m = m * (1.0 - 0.5 * big)
    two_s = 2.0 * (m - 1.0) / (m + 1.0)
    zz = 0.25 * two_s * two_s
    coeffs = coefficient_table()["atanh"] if terms == elementary.ATANH_TERMS else \
        _poly_floats(elementary.atanh_polynomial(sp.Symbol("z"), terms), sp.Symbol("z"))
    return k * elementary.LN2_HI + (k * elementary.LN2_LO + two_s * horner_float64(coeffs, zz))


def mills_tail_float64(s, levels: int = MILLS_CF_LEVELS):
    """y = s rho(s) (F7) for s >= 4 (smaller s is taken as 4): a(w)/b(w), w = 1/s^2."""
    table = coefficient_table(levels)
    sc = np.where(_arr(s) > 4.0, _arr(s), 4.0)
    with np.errstate(over="ignore"):
        w = 1.0 / (sc * sc)
    return split_float64(table["mills_cf_num"], w) / split_float64(table["mills_cf_den"], w), sc, w


def mills_taylor_float64(s):
    """R(s) (F8) for 0 <= s <= 4 (larger s is taken as 4): the Taylor polynomial at 7/4."""
    h = np.where(_arr(s) < 4.0, _arr(s), 4.0) - 1.75
    return split_float64(coefficient_table()["mills_taylor"], h)


def mills_parts_float64(s, levels: int = MILLS_CF_LEVELS):
    """(R, Lambda, c, log R) at s = |u| >= 0: R = Phi(-s)/phi(s), Lambda = 1/R = lambda(-s),
    c = mills_curvature(-s), by the continued fraction (s >= 4) or the Taylor polynomial."""
    s = _arr(s)
    rb = mills_taylor_float64(s)
    y, sc, w = mills_tail_float64(s, levels)
    wy = w * y
    lam_c = sc * (1.0 + wy)
    tail = s >= 4.0
    R = np.where(tail, 1.0 / lam_c, rb)
    Lam = np.where(tail, lam_c, 1.0 / rb)
    cneg = np.where(tail, y * (1.0 + wy), (1.0 - s * rb) * (Lam * Lam))
    log_r = log_positive_float64(np.where(tail, lam_c, rb))
    log_r = np.where(tail, -log_r, log_r)
    return R, Lam, cneg, log_r


def _probit_float64(u, levels: int = MILLS_CF_LEVELS):
    u = _arr(u)
    s = np.abs(u)
    R, Lam, cneg, log_r = mills_parts_float64(s, levels)
    h, lo = half_square_float64(s)
    pdf = normal_pdf_float64(h, lo)
    return u, h, lo, pdf, R, Lam, cneg, log_r


def s_cap(u):
    return u < 64.0


def _nan_through(u, v):
    return np.where(u == u, v, u)


def log_ndtr_float64(u, levels: int = MILLS_CF_LEVELS):
    """log Phi(u), elementwise, as the kernel ``_log_ndtr`` computes it."""
    with np.errstate(all="ignore"):
        u, h, lo, pdf, R, _, _, log_r = _probit_float64(u, levels)
        q = pdf * R
        upper = -_log1p_unit_float64(q / (1.0 - q))
        lower = ((-h) - (lo + HALF_LOG_2PI)) + log_r
        return _nan_through(u, np.where(u < 0.0, lower, upper))


def inv_mills_float64(u, levels: int = MILLS_CF_LEVELS):
    """phi(u)/Phi(u), elementwise, as the kernel ``_inv_mills`` computes it."""
    with np.errstate(all="ignore"):
        u, _, _, pdf, R, Lam, _, _ = _probit_float64(u, levels)
        upper = pdf / (1.0 - pdf * R)
        return _nan_through(u, np.where(u < 0.0, Lam, upper))


def mills_curvature_float64(u, levels: int = MILLS_CF_LEVELS):
    """lambda(u) (u + lambda(u)), elementwise, as the kernel ``_mills_curvature`` computes it."""
    with np.errstate(all="ignore"):
        u, _, _, pdf, R, _, cneg, _ = _probit_float64(u, levels)
        lam = pdf / (1.0 - pdf * R)
        # lambda(u) = 0 from u ~ 38.6 on; u capped at 64 keeps lambda u at 0 for u = inf
        return _nan_through(u, np.where(u < 0.0, cneg, lam * (np.where(s_cap(u), u, 64.0) + lam)))


def exp_dd_float64(v):
    """(hi, lo) with hi + lo = e^v to ~1e-17 relative, 0 <= v <= 7: F4's reduction, the tail
    e^r - 1 - r = r^2 P(r) added to 1 + r by TwoSum."""
    v = _arr(v)
    k = np.floor(v * elementary.LOG2_E + 0.5)
    a = v - k * elementary.LN2_HI
    b = k * elementary.LN2_LO
    r = a - b
    bb = r - a
    r_err = (a - (r - bb)) - (b + bb)
    tail = r * r * split_float64(coefficient_table()["exp_tail"], r) + r_err * (1.0 + r)
    one_r = 1.0 + r
    bb = one_r - 1.0
    e1 = (1.0 - (one_r - bb)) + (r - bb)
    low = tail + e1
    hi_m = one_r + low
    lo_m = (one_r - hi_m) + low
    scale = ((k.astype(np.int64) + 1023) << 52).view(np.float64)
    return hi_m * scale, lo_m * scale


def cloglog_ratio_float64(t, order: int = CLOGLOG_ORDER):
    """r - 1 = t/(1 - e^-t) - 1 for 0 <= t <= 1 (F11): t N(t)/D(t)."""
    table = coefficient_table(cloglog_order=order)
    t = _arr(t)
    return t * (split_float64(table["cloglog_num"], t) / split_float64(table["cloglog_den"], t))


def _cloglog_float64(u, order: int = CLOGLOG_ORDER):
    """(u, small, r - 1, q / scale, log1p argument, scale) as the kernels compute them; for
    t > 128 e^-t is carried as e^-(t - 64) and scale = e^-64, so that q and the curvature,
    normal down to t ~ 722, are not formed from a subnormal e^-t (t - 64 is exact)."""
    u = _arr(u)
    small = u <= 0.0
    t = _exp_nonpositive_float64(np.where(u < 0.0, u, 0.0))
    ratio = cloglog_ratio_float64(t, order)
    ul = np.where(u > CLOGLOG_CLAMP, CLOGLOG_CLAMP, np.where(u > 0.0, u, 0.0))
    th, tl = exp_dd_float64(ul)
    far = th > 128.0
    es = _exp_nonpositive_float64(np.where(far, 64.0, 0.0) - th) * (1.0 - tl)
    scale = np.where(far, EXP_M64, 1.0)
    e = es * scale
    p = 1.0 - e
    q_large = th * es / p
    b_large = ((th - 1.0) + e) / p
    B = np.where(small, ratio, b_large)
    q = np.where(small, 1.0 + (ratio - t), q_large)
    arg = np.where(small, ratio, e / p)
    return u, small, B, q, arg, np.where(small, 1.0, scale)


def log_cloglog_float64(u, order: int = CLOGLOG_ORDER):
    """log(1 - exp(-e^u)), elementwise, as the kernel ``_log_cloglog`` computes it."""
    with np.errstate(all="ignore"):
        u, small, _, _, arg, _ = _cloglog_float64(u, order)
        L = _log1p_unit_float64(arg)
        return _nan_through(u, np.where(small, u, 0.0) - L)


def cloglog_q_float64(u, order: int = CLOGLOG_ORDER):
    """t e^-t/(1 - e^-t), elementwise, as the kernel ``_cloglog_q`` computes it."""
    with np.errstate(all="ignore"):
        u, _, _, q, _, scale = _cloglog_float64(u, order)
        return _nan_through(u, q * scale)


def cloglog_curvature_float64(u, order: int = CLOGLOG_ORDER):
    """q (r - 1), elementwise, as the kernel ``_cloglog_curvature`` computes it."""
    with np.errstate(all="ignore"):
        u, _, B, q, _, scale = _cloglog_float64(u, order)
        return _nan_through(u, (q * B) * scale)


#: The float64 mirror of each function, by function name.
MIRRORS = {f.__name__: globals()[f"{f.__name__}_float64"] for f in FUNCTIONS}
