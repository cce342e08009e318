"""F1-F3: the special functions equal their raw definitions, with their first and second
derivatives (the ``fdiff`` every later derivation relies on)."""

from __future__ import annotations

import sympy as sp

from ..checking import Claim, Numeric, Symbolic, numeric_verdict, rational_zero, relative_error
from ..functions import logsumexp, raw, sigmoid, softplus
from ..reference import float64_function, mp_diff, mp_function, mp_gradient, mp_hessian, scalar_points, vector_points
from .common import U

SOURCE = "symlogit (functions used by every derivation)"


def _scalar_function_symbolic(fn) -> Symbolic:
    f = fn(U)
    exprs = [sp.diff(f, U, n).rewrite(sp.exp) - sp.diff(raw(f), U, n) for n in (1, 2)]
    verdict = rational_zero(exprs, [U], "")
    return Symbolic(verdict.holds, f"{fn.__name__} and its 1st and 2nd fdiff-derivatives rewritten to exp, "
                                    "minus the raw derivatives: cancel -> 0 with t = e^u")


def _scalar_function_numeric(fn, rng) -> Numeric:
    f = fn(U)
    mp_raw = mp_function([U], f)
    errors = []
    for n, floor in ((0, 1e-300), (1, 1.0), (2, 1.0)):
        f64 = float64_function([U], sp.diff(f, U, n))
        for u in scalar_points(rng):
            errors.append(relative_error(f64(u), mp_diff(mp_raw, u, n) if n else float(mp_raw(u)), floor))
    return numeric_verdict(errors, 1e-12, "stable float64 value (full relative accuracy) and fdiff derivatives "
                                          "vs mpmath raw form and mpmath.diff, |u| <= 700")


def _lse_symbolic() -> Symbolic:
    for k in (2, 3, 4):
        us = sp.symbols(f"u1:{k + 1}", real=True)
        f = logsumexp(*us)
        exprs = [sp.diff(f, a).rewrite(sp.exp) - sp.diff(raw(f), a) for a in us]
        exprs += [sp.diff(f, a, b).rewrite(sp.exp) - sp.diff(raw(f), a, b) for a in us for b in us]
        verdict = rational_zero(exprs, us, "")
        if not verdict.holds:
            return Symbolic(verdict.holds, f"derivative mismatch at K={k}")
    return Symbolic(True, "all 1st and 2nd partials of logsumexp (fdiff) equal those of log(sum e^u_k): "
                          "cancel -> 0 with t_k = e^u_k, K in (2, 3, 4)")


def _lse_numeric(rng) -> Numeric:
    errors = []
    for k in (2, 3, 4):
        us = sp.symbols(f"u1:{k + 1}", real=True)
        f = logsumexp(*us)
        mp_raw = mp_function([us], f)
        value = float64_function(us, f)
        grad = float64_function(us, [sp.diff(f, a) for a in us])
        hess = float64_function(us, [[sp.diff(f, a, b) for b in us] for a in us])
        for p in vector_points(rng, k):
            errors.append(relative_error(value(*p), float(mp_raw(p)), 1e-300))
            errors.append(relative_error(grad(*p), mp_gradient(mp_raw, p), 1.0))
            errors.append(relative_error(hess(*p), mp_hessian(mp_raw, p), 1.0))
    return numeric_verdict(errors, 1e-12, "stable float64 LSE, softmax and Hessian vs mpmath raw form, K in (2, 3, 4), "
                                          "components up to +-700")


CLAIMS = [
    Claim("F1", "sigmoid(u) = e^u/(1+e^u); d/du = sigmoid (1 - sigmoid), checked to 2nd order",
          "scalar u", SOURCE, lambda: _scalar_function_symbolic(sigmoid),
          lambda rng: _scalar_function_numeric(sigmoid, rng)),
    Claim("F2", "softplus(u) = log(1+e^u); d/du = sigmoid(u), checked to 2nd order",
          "scalar u", SOURCE, lambda: _scalar_function_symbolic(softplus),
          lambda rng: _scalar_function_numeric(softplus, rng)),
    Claim("F3", "logsumexp(u) = log sum_k e^u_k; d/du_k = exp(u_k - LSE(u)), checked to 2nd order",
          "u in R^K", SOURCE, _lse_symbolic, _lse_numeric),
]
