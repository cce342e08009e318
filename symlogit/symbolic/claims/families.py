"""P1-P4 (probit), G1-G4 (cloglog), Q1-Q2 (Poisson), K1 (calibration) and K2 (convexity) of
REFERENCES.md's "Other families", and its three wrong formulas as controls W10-W12.

Each claim is checked on the family's row of ``symbolic/families.py``, i.e. on what the kernels
print: the stable loss, SymPy's derivatives of it, and the stated expected information.

* symbolic: the claimed form minus the truth (SymPy's derivative of the *raw* definition: the
  distribution's negative log-likelihood with the raw inverse link, erfc and exp only), with
  every special function rewritten to its raw form, simplified to 0. Where SymPy's simplify
  cannot decide, the claim stays "numeric".
* numeric: the claimed form evaluated in float64 (special functions by the float64 mirrors of
  the kernels' arithmetic, ``special.*_float64``) against mpmath at 400 digits on the raw
  definition, differentiated by ``mpmath.diff``, at |u| up to 1e5 and y in the domain. The
  error is relative to the sum of the absolute values of the claimed form's terms (a true zero
  of a difference of terms, such as h' at the optimum, is compared at the scale of its terms);
  where the exact value overflows float64 the claimed form must give inf; where it is below
  the normal range, an absolute 1e-300.
"""

from __future__ import annotations

import functools

import mpmath
import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from ..checking import Claim, Numeric, Symbolic, numeric_verdict
from ..families import BY_NAME, U, Y, derive_family
from ..functions import raw
from ..reference import DIGITS

SOURCE = "REFERENCES.md, 'Other families' (textbook closed forms)"
TOL = 1e-12
#: Scores at which the compiled kernels are checked (tests/test_families.py), and, up to |u| =
#: 700 (mpmath's numerical derivatives of erfc beyond cost seconds per point), every family claim.
POINTS = (-1e5, -1e3, -745.0, -700.0, -40.0, -38.5, -37.0, -20.0, -10.0, -8.0, -5.0, -1.5, -1e-8, 0.0, 1e-8, 0.5,
          1.5, 5.0, 8.0, 10.0, 20.0, 37.0, 38.5, 40.0, 700.0, 709.0, 745.0, 1e3, 1e5)
CLAIM_POINTS = (-700.0, -40.0, -37.0, -10.0, -5.0, -1.5, 0.0, 1e-8, 1.5, 5.0, 10.0, 37.0, 40.0, 700.0)
YS_UNIT = (0.0, 1.0, 0.3)
YS_COUNT = (0.0, 1.0, 3.0, 250.0)


def _phi(u):
    return sp.exp(-u ** 2 / 2) / sp.sqrt(2 * sp.pi)


def _Phi(u):
    from ..families import ndtr
    return ndtr(u)


def _mills(u):
    return _phi(u) / _Phi(u)


# ---- evaluation ----------------------------------------------------------------------------

def float64_function(args, expr):
    """expr as a numpy function of args, evaluated as the kernels write it: each special function
    of special.py through its float64 mirror (bit for bit the kernels' arithmetic), erfc by
    SciPy, the rest by numpy; it takes scalars or arrays."""
    from ..stable import to_elementary
    mirrors = {}
    for f in sp.sympify(expr).atoms(sp.Function):
        if hasattr(f.func, "numpy_function"):
            mirrors[f.func.__name__] = f.func.numpy_function
        elif getattr(f.func, "kernel_name", None):
            from .. import special
            mirrors[f.func.__name__] = getattr(special, f"{f.func.__name__}_float64")
    return sp.lambdify(args, to_elementary(expr), modules=[mirrors, "scipy", "numpy"])


def _float64(args, expr):
    """float64 evaluation of expr at scalar arguments (``float64_function``)."""
    fn = float64_function(args, expr)

    def call(*values):
        with np.errstate(all="ignore"):
            return float(np.asarray(fn(*[np.float64(v) for v in values]), dtype=float))
    return call


def _uncancel_erfc(expr):
    """SymPy writes erfc(-x) as 2 - erfc(x) when it builds an expression, which cancels to 0 at
    any precision once erfc(x) is within 10^-400 of 2 (Phi(u) for u < -43): every sum
    c + k erfc(x) with c = -2k is written back as -k erfc(-x), unevaluated, for mpmath."""
    def fix(add):
        erfcs = [t for t in add.args if t.as_coeff_Mul()[1].func == sp.erfc]
        constants = [t for t in add.args if t.is_number]
        if len(erfcs) != 1 or len(constants) != 1 or len(add.args) != 2:
            return add
        k, e = erfcs[0].as_coeff_Mul()
        if constants[0] != -2 * k:
            return add
        return -k * sp.erfc(-e.args[0], evaluate=False)
    return expr.replace(lambda e: e.is_Add, fix)


def _mp_raw(expr):
    """The raw form for mpmath, written so that nothing cancels at 400 digits: Phi(u) as
    erfc(-u/sqrt 2)/2 kept whole (SymPy would build 1 - erfc(u/sqrt 2)/2, which is 0 at any
    precision for u < -43), 1 - e^-t as -expm1(-t) (1 - e^-t written out is 0 once t < 1e-400:
    cloglog at u < -921), and each special function by such a definition; everything else by
    its ``rewrite(exp)``."""
    from ..families import ndtr
    from .. import special

    def Phi(x):
        return sp.erfc(-x / sp.sqrt(2), evaluate=False) / 2

    def lam(x):
        return sp.exp(-x ** 2 / 2) / sp.sqrt(2 * sp.pi) / Phi(x)

    def cloglog(x):  # (t, p, q = t e^-t / p)
        t = sp.exp(x)
        p = -expm1(-t)
        return t, p, t * sp.exp(-t) / p

    definitions = {
        ndtr: Phi,
        special.log_ndtr: lambda x: sp.log(Phi(x)),
        special.inv_mills: lam,
        special.mills_curvature: lambda x: lam(x) * (x + lam(x)),
        special.log_cloglog: lambda x: sp.log(cloglog(x)[1]),
        special.cloglog_q: lambda x: cloglog(x)[2],
        special.cloglog_curvature: lambda x: cloglog(x)[2] * (cloglog(x)[0] / cloglog(x)[1] - 1),
    }
    keep = (expm1, log1p, sp.exp, sp.log, sp.erfc)
    expr = sp.sympify(expr).replace(lambda e: type(e) in definitions, lambda e: definitions[type(e)](e.args[0]))
    expr = expr.replace(lambda e: isinstance(e, sp.Function) and not isinstance(e, keep),
                        lambda e: e.rewrite(sp.exp))
    return _uncancel_erfc(expr)


def _mp_exp(x):
    """mpmath's exp, with the argument reduction done here for |x| > 1000: exp(x) = 2^n e^r,
    n = round(x / ln 2), r = x - n ln 2 at log2|x| more bits. mpmath's own exp raises e to the
    integer n by squarings at full precision (17 s for exp(-e^(1e4)) at 320 digits; cloglog at
    u = 1e5 asks for exp(-e^(1e5)))."""
    x = mpmath.mpf(x)
    if not mpmath.isfinite(x) or abs(x) <= 1000:
        return mpmath.exp(x)
    with mpmath.workprec(mpmath.mp.prec + int(mpmath.log(abs(x), 2)) + 16):
        n = mpmath.nint(x / mpmath.ln2)
        r = x - n * mpmath.ln2
    return mpmath.ldexp(mpmath.exp(r), int(n))


def _mp_expm1(x):
    """expm1 through ``_mp_exp`` where |x| > 1000 (no cancellation there: e^x - 1 is -1 or e^x to
    every digit that matters)."""
    x = mpmath.mpf(x)
    return mpmath.expm1(x) if not mpmath.isfinite(x) or abs(x) <= 1000 else _mp_exp(x) - 1


def _mp(args, expr, digits=DIGITS):
    f = sp.lambdify(args, _mp_raw(expr), modules=[{"exp": _mp_exp, "expm1": _mp_expm1}, "mpmath"])

    def call(*values):
        with mpmath.workdps(max(digits, mpmath.mp.dps)):
            return f(*[mpmath.mpf(v) for v in values])
    return call


#: Digits of the references of the family claims: enough to resolve 1 - Phi(u) ~ 1e-300 next to 1
#: (log Phi(37) = -5.7e-300), with nothing else cancelling in the raw forms (``_mp_raw``).
REFERENCE_DIGITS = 320


@functools.lru_cache(maxsize=None)
def _reference(truth, order, u, y):
    """The order-th u-derivative of a raw expression at (u, y), by mpmath (cached: a claim's
    kernel formula and closed form are compared with the same reference)."""
    digits = REFERENCE_DIGITS if order == 0 else DIGITS  # finite differences lose ~80 digits more
    g = _mp([U, Y], truth, digits)
    with mpmath.workdps(digits):
        return g(u, y) if order == 0 else mpmath.diff(lambda t: g(t, y), mpmath.mpf(u), order)


def _compare(got: float, ref, scale) -> float:
    """The error of one float64 value against an mpmath one (see the module docstring)."""
    ref, scale = mpmath.mpf(ref), mpmath.mpf(abs(scale))
    if isinstance(got, mpmath.mpf):  # a closed form evaluated by mpmath: plain relative error
        return float(abs(got - ref) / max(abs(ref), scale, mpmath.mpf("1e-4000")))
    if abs(ref) > mpmath.mpf("1.7976931348623157e308"):
        return 0.0 if np.isinf(got) and np.sign(got) == mpmath.sign(ref) else float("inf")
    if not mpmath.isfinite(got):
        return float("inf")
    if max(abs(ref), scale) < mpmath.mpf("2.2250738585072014e-308"):
        return 0.0 if abs(got - float(ref)) <= 1e-300 else float("inf")
    return float(abs(mpmath.mpf(got) - ref) / max(scale, mpmath.mpf("2.2250738585072014e-308")))


def _scale(terms, u, y):
    """The sum of the absolute values of a formula's terms at (u, y): the size a difference of
    terms is judged against. A term that is nan is 0 times an infinity (y = 0 times log 0 where
    the mean underflows at 400 digits): it contributes 0."""
    return sum((abs(v) for v in (t(u, y) for t in terms) if not mpmath.isnan(v)), mpmath.mpf(0))


def _ys(row):
    return YS_COUNT if row.domain == "nonnegative" else YS_UNIT


def _points(rng):
    return list(CLAIM_POINTS) + list(rng.uniform(-50, 50, 2))


def _against(claimed, truth, row, rng, order=0, what="", exact=False) -> Numeric:
    """claimed: an expression in U, Y; truth: an expression in U, Y (raw) whose ``order``-th
    u-derivative (by mpmath.diff) is the reference. ``exact``: evaluate the claimed form by
    mpmath too (a textbook closed form such as phi/Phi is an identity to check, not a formula
    that float64 can evaluate at |u| = 700)."""
    if exact:
        mp_claimed = _mp([U, Y], claimed, REFERENCE_DIGITS)

        def f(u, y):
            return mp_claimed(u, y)
    else:
        f = _float64([U, Y], claimed)
    terms = [_mp([U, Y], t, REFERENCE_DIGITS) for t in sp.Add.make_args(sp.expand(claimed))]
    errors = []
    for u in _points(rng):
        for y in _ys(row):
            ref = _reference(truth, order, float(u), float(y))
            with mpmath.workdps(REFERENCE_DIGITS):
                scale = _scale(terms, u, y)
            errors.append(_compare(f(u, y), ref, scale))
    return numeric_verdict(errors, TOL, f"float64 vs mpmath{' d^%d/du^%d of' % (order, order) if order else ''} "
                                        f"the raw definition at |u| <= 700, y in {_ys(row)}{what}")


def _simplify_zero(expr, what: str) -> Symbolic:
    try:
        zero = sp.simplify(raw(expr)) == 0
    except Exception:  # noqa: BLE001 - SymPy may fail on special functions; undecided then
        zero = False
    return Symbolic(True if zero else None, f"{what} (raw forms, simplify)")


# ---- the claims of one family --------------------------------------------------------------

def _kernel(name):
    return derive_family(name).kernel


def _loss_claim(cid, name, statement):
    row = BY_NAME[name]
    truth = row.raw_loss(U, Y)

    def symbolic():
        loss = _simplify_zero(row.loss(U, Y) - truth, "stable h minus -log f(y | mu(u))")
        if row.complement is None:
            return loss
        complement = _simplify_zero(row.complement(U) - (1 - row.mean(U)), "raw complement minus 1 - mu(u)")
        return Symbolic(True if loss.holds and complement.holds else None,
                        f"{loss.method}: {loss.holds}; {complement.method}: {complement.holds}")

    return Claim(cid, statement, "per sample; y in the family's domain", SOURCE, symbolic,
                 lambda rng: _against(row.loss(U, Y), truth, row, rng, 0, "; the stable loss the kernels print"))


def _derivative_claim(cid, name, statement, *closed_forms):
    """For each (closed form, order): the derived kernel formula of that order (1: h', 2: h'') and
    the REFERENCES closed form, each against the raw definition's derivative."""
    row = BY_NAME[name]
    truth = row.raw_loss(U, Y)
    keys = {1: "gradient_weight", 2: "hessian_weight"}

    def symbolic():
        verdicts = []
        for closed, order in closed_forms:
            verdicts += [_simplify_zero(closed - sp.diff(truth, U, order),
                                        f"closed form minus d^{order}/du^{order} of the raw h"),
                         _simplify_zero(_kernel(name)[keys[order]] - closed,
                                        f"derived order-{order} kernel formula minus the closed form")]
        holds = True if all(v.holds for v in verdicts) else None
        return Symbolic(holds, "; ".join(f"{v.method}: {v.holds}" for v in verdicts))

    def numeric(rng):
        parts = []
        for closed, order in closed_forms:
            parts += [_against(_kernel(name)[keys[order]], truth, row, rng, order, "; the derived kernel formula"),
                      _against(closed, truth, row, rng, order, "; the closed form (by mpmath)", exact=True)]
        return Numeric(all(p.ok for p in parts), max(p.max_error for p in parts), sum(p.points for p in parts),
                       " | ".join(p.detail for p in parts))

    return Claim(cid, statement, "per sample, derivatives in u", SOURCE, symbolic, numeric)


def _expected_claim(cid, name, statement, closed):
    """E[h''(u, Y)] = p h''(u, 1) + (1 - p) h''(u, 0) (Bernoulli) equals the closed form, and the
    row's stable expected weight equals it."""
    row = BY_NAME[name]
    h2 = sp.diff(row.raw_loss(U, Y), U, 2)
    p = row.mean(U)
    expectation = p * h2.subs(Y, 1) + row.complement(U) * h2.subs(Y, 0)

    def symbolic():
        first = _simplify_zero(closed - expectation, "closed form minus p h''(u,1) + (1-p) h''(u,0)")
        second = _simplify_zero(row.expected(U) - closed, "stable expected weight minus the closed form")
        return Symbolic(True if first.holds and second.holds else None,
                        f"{first.method}: {first.holds}; {second.method}: {second.holds}")

    def numeric(rng):
        a = _against(row.expected(U), expectation, row, rng, 0, "; the stable expected weight the kernels print")
        b = _against(closed, expectation, row, rng, 0, "; the closed form (by mpmath)", exact=True)
        return Numeric(a.ok and b.ok, max(a.max_error, b.max_error), a.points + b.points, a.detail)

    return Claim(cid, statement, "per sample; expectation over y ~ the family at u", SOURCE, symbolic, numeric)


SCALAR = ("logit", "probit", "cloglog", "poisson")


def _k1_symbolic() -> Symbolic:
    undecided = []
    for name in SCALAR:
        row = BY_NAME[name]
        residual = sp.diff(row.raw_loss(U, Y), U).subs(Y, row.mean(U))
        verdict = _simplify_zero(residual, name)
        if verdict.holds is None:
            undecided.append(name)
    return Symbolic(None if undecided else True,
                    "h'(u, mu(u)) of the raw definition simplifies to 0 for " + ", ".join(
                        n for n in SCALAR if n not in undecided) + (f"; undecided: {undecided}" if undecided else ""))


def _k1_numeric(rng) -> Numeric:
    """h'(u, mu(u)) of each family's kernel formula, by mpmath at 400 digits (in float64 the
    rounding of mu alone moves h' by |dh'/dy| ulp(mu): the identity is checked, not rounding)."""
    errors = []
    for name in SCALAR:
        k = _kernel(name)
        grad, mean = _mp([U, Y], k["gradient_weight"]), _mp([U, Y], BY_NAME[name].mean(U))
        terms = [_mp([U, Y], t) for t in sp.Add.make_args(sp.expand(k["gradient_weight"]))]
        # up to u = 5: beyond, cloglog's 1 - mu = e^(-e^u) is below 10^-400 and mu rounds to 1
        for u in list(rng.uniform(-30, 5, 6)) + [-700.0, -5.0, 0.0, 5.0]:
            with mpmath.workdps(DIGITS):
                mu = mean(u, 0)
                scale = _scale(terms, u, mu)
                errors.append(float(abs(grad(u, mu)) / scale) if scale else float(abs(grad(u, mu))))
    return numeric_verdict(errors, 1e-100, "h'(u, mu(u)) of the kernel formulas by mpmath at 400 digits, |u| <= 700, "
                                           "relative to the scale of its terms")


def _k2_symbolic() -> Symbolic:
    """h'' is affine in y, so it is >= 0 on the domain when it is at the domain's extreme points
    (y = 0, 1 for Bernoulli; Poisson's h'' = e^u is free of y)."""
    affine = all(sp.diff(_kernel(n)["hessian_weight"], Y, 2) == 0 for n in SCALAR)
    poisson = sp.simplify(_kernel("poisson")["hessian_weight"] - sp.exp(U)) == 0
    return Symbolic(None, f"h'' affine in y for every scalar family: {affine}; Poisson h'' = e^u > 0: {poisson}; the "
                          "signs of h''(u, 0), h''(u, 1) for probit and cloglog are checked numerically (SymPy cannot "
                          "decide inequalities of erfc)")


def _k2_numeric(rng) -> Numeric:
    """h''(u, y) >= 0 at y = 0, 1 (and the domain's counts), by mpmath on the raw definition over a
    dense grid, and the stated curvature bound sup h'' holds there."""
    bad = []
    grid = list(np.linspace(-40, 40, 81)) + [-700.0, 700.0]
    for name in SCALAR:
        row = BY_NAME[name]
        h2 = _mp([U, Y], sp.diff(row.raw_loss(U, Y), U, 2))
        bound = None if row.curvature_bound is None else float(row.curvature_bound)
        for u in grid:
            for y in _ys(row):
                v = h2(u, y)
                if v < 0 or (bound is not None and v > bound * (1 + 1e-12)):
                    bad.append((name, u, y, float(v)))
    return numeric_verdict([float("inf")] * len(bad) or [0.0], 0.0,
                           f"h'' >= 0 (and <= the family's curvature bound) at {len(grid)} u per family and y at the "
                           f"domain's extreme points; violations: {bad[:3]}")


def _disproof(difference, what: str) -> Symbolic:
    """A wrong identity disproved at an exact point: the difference, in raw forms, evaluated by
    SymPy's evalf at 50 digits (which tracks its precision) at rational (u, y), is not 0."""
    for point in ({U: 0, Y: 0}, {U: 1, Y: sp.Rational(1, 2)}, {U: -2, Y: 1}):
        value = sp.N(raw(difference).subs(point), 50)
        if value.is_number and abs(value) > sp.Float("1e-30"):
            return Symbolic(False, f"{what}: {float(value):.3e} at u = {point[U]}, y = {point[Y]} (evalf, 50 digits)")
    return Symbolic(None, f"{what}: no exact point found where it differs")


def _control(cid, statement, name, wrong, truth_order):
    row = BY_NAME[name]
    truth = row.raw_loss(U, Y)

    def symbolic():
        return _disproof(wrong - sp.diff(truth, U, truth_order), "wrong form minus the raw derivative")

    return Claim(cid, statement, "per sample", "REFERENCES.md, 'Other families': wrong formulas that look plausible",
                 symbolic, lambda rng: _against(wrong, truth, row, rng, truth_order), control=True)


def _expected_control(cid, statement, name, wrong):
    row = BY_NAME[name]
    h2 = sp.diff(row.raw_loss(U, Y), U, 2)
    expectation = row.mean(U) * h2.subs(Y, 1) + row.complement(U) * h2.subs(Y, 0)
    return Claim(cid, statement, "per sample", "REFERENCES.md, 'Other families': wrong formulas that look plausible",
                 lambda: _disproof(wrong - expectation, "wrong form minus p h''(u,1) + (1-p) h''(u,0)"),
                 lambda rng: _against(wrong, expectation, row, rng, 0), control=True)


def _claims():
    lam = _mills
    p_g = -expm1(-sp.exp(U))  # 1 - e^(-e^u), written so that mpmath does not cancel it to 0
    return [
        _loss_claim("P1", "probit", "p(u) = Phi(u); h(u, y) = -y log Phi(u) - (1-y) log Phi(-u)"),
        _derivative_claim("P2", "probit", "h'(u, y) = -y lambda(u) + (1-y) lambda(-u), lambda = phi/Phi",
                          (-Y * lam(U) + (1 - Y) * lam(-U), 1)),
        _derivative_claim("P3", "probit", "observed h''(u, y) = y lambda(u)(u + lambda(u)) + (1-y) lambda(-u)"
                                          "(lambda(-u) - u)",
                          (Y * lam(U) * (U + lam(U)) + (1 - Y) * lam(-U) * (lam(-U) - U), 2)),
        _expected_claim("P4", "probit", "expected information phi(u)^2 / (Phi(u) Phi(-u))",
                        _phi(U) ** 2 / (_Phi(U) * _Phi(-U))),
        _loss_claim("G1", "cloglog", "p(u) = 1 - exp(-e^u); h(u, y) = -y log(1 - exp(-e^u)) + (1-y) e^u"),
        _derivative_claim("G2", "cloglog", "h'(u, y) = e^u (1 - y/p)", (sp.exp(U) * (1 - Y / p_g), 1)),
        _derivative_claim("G3", "cloglog", "observed h''(u, y) = e^u (1 - y/p) + y e^(2u) (1-p)/p^2",
                          (sp.exp(U) * (1 - Y / p_g) + Y * sp.exp(2 * U) * (1 - p_g) / p_g ** 2, 2)),
        _expected_claim("G4", "cloglog", "expected information e^(2u) (1-p)/p", sp.exp(2 * U) * (1 - p_g) / p_g),
        _loss_claim("Q1", "poisson", "mu(u) = e^u; h(u, y) = e^u - y u (the unit deviance / 2 up to terms free of u)"),
        _derivative_claim("Q2", "poisson", "h'(u, y) = e^u - y; h''(u) = e^u (observed = expected, canonical link)",
                          (sp.exp(U) - Y, 1), (sp.exp(U), 2)),
        Claim("K1", "calibration: h'(u, mu(u)) = 0 for every scalar family (logit, probit, cloglog, Poisson)",
              "per sample", SOURCE, _k1_symbolic, _k1_numeric),
        Claim("K2", "convexity: h''(u, y) >= 0 for y in the domain, every scalar family (and h'' <= the curvature "
                    "bound the family states: 1/4 logit, 1 probit)", "per sample", SOURCE, _k2_symbolic, _k2_numeric),
    ]


def _controls():
    lam = _mills
    p_g = -expm1(-sp.exp(U))
    return [
        _control("W10", "probit h'(u, y) = -y lambda(u) - (1-y) lambda(-u) (a sign)", "probit",
                 -Y * lam(U) - (1 - Y) * lam(-U), 1),
        _expected_control("W11", "cloglog expected information e^u (1-p)/p (one factor e^u short)", "cloglog",
                          sp.exp(U) * (1 - p_g) / p_g),
        _control("W12", "Poisson h''(u, y) = e^u - y (the gradient weight again)", "poisson", sp.exp(U) - Y, 2),
    ]


CLAIMS = _claims()
CONTROLS = _controls()
