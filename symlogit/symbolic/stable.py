"""Stable forms: named rewrites that turn a derived expression into one that evaluates in
floating point without overflow and without cancellation.

Each rewrite is an exact identity (claim C4 checks every one of them against the raw form),
applied as data, in order, in the spirit of ``sympy.codegen.rewriting``:

    hessian-weight   1 - sigma(w)            -> sigma(-w)
    target-split     softplus(w) - a w       -> (1 - a) softplus(w) + a softplus(-w)
                     sigma(w) - a            -> (1 - a) sigma(w) - a sigma(-w)
    softplus         softplus(w)             -> max(w, 0) + log1p(e^-|w|)
    sigmoid          sigma(w)                -> 1/(1 + e^-|w|) if w >= 0 else e^-|w|/(1 + e^-|w|)
    logsumexp        LSE(u)                  -> m + log(sum_k e^(u_k - m)),  m = max_k u_k

Why the target split: for y = 1 and u = 30, sigma(u) - y cancels to about 1e-3 relative error,
and -y u + softplus(u) loses every digit at u = 1e5; the split forms add two non-negative terms,
so they keep full relative accuracy whenever the exact result is not itself a near-tie.
The first three rewrites stay inside the special functions (used when printing kernels, whose
printer knows how to evaluate sigma and softplus); ``to_numeric`` applies all of them, giving an
expression of elementary functions that any SymPy printer or ``lambdify`` can evaluate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp
from sympy.codegen.cfunctions import log1p

from .functions import logsumexp, sigmoid, softplus

_w = sp.Wild("w")
_a = sp.Wild("a", exclude=[_w])


@dataclass(frozen=True)
class Rewrite:
    """A named exact identity, applied to an expression as ``apply(expr)``."""

    name: str
    statement: str
    apply: Callable[[sp.Expr], sp.Expr]


def _stable_sigmoid(w):
    e = sp.exp(-sp.Abs(w))
    return sp.Piecewise((1 / (1 + e), w >= 0), (e / (1 + e), True))


def _stable_logsumexp(*us):
    m = sp.Max(*us)
    return m + sp.log(sp.Add(*[sp.exp(u - m) for u in us]))


HESSIAN_WEIGHT = Rewrite(
    "hessian-weight",
    "1 - sigma(w) = sigma(-w), so h'' = sigma(u) sigma(-u) keeps its relative accuracy",
    lambda e: e.replace(1 - sigmoid(_w), sigmoid(-_w)),
)
TARGET_SPLIT = Rewrite(
    "target-split",
    "softplus(w) - a w = (1-a) softplus(w) + a softplus(-w); sigma(w) - a = (1-a) sigma(w) - a sigma(-w)",
    lambda e: e.replace(softplus(_w) - _a * _w, (1 - _a) * softplus(_w) + _a * softplus(-_w)).replace(
        sigmoid(_w) - _a, (1 - _a) * sigmoid(_w) - _a * sigmoid(-_w)
    ),
)
SOFTPLUS = Rewrite(
    "softplus",
    "log(1 + e^w) = max(w, 0) + log1p(e^-|w|)",
    lambda e: e.replace(softplus, lambda w: sp.Max(w, 0) + log1p(sp.exp(-sp.Abs(w)))),
)
SIGMOID = Rewrite(
    "sigmoid",
    "sigma(w) = 1/(1 + e^-|w|) for w >= 0 and e^-|w|/(1 + e^-|w|) for w < 0",
    lambda e: e.replace(sigmoid, _stable_sigmoid),
)
LOGSUMEXP = Rewrite(
    "logsumexp",
    "LSE(u) = m + log(sum_k e^(u_k - m)) with m = max_k u_k",
    lambda e: e.replace(logsumexp, _stable_logsumexp),
)

#: Rewrites that keep the special functions (for the kernel printer).
ACCURACY_REWRITES = (HESSIAN_WEIGHT, TARGET_SPLIT)
#: Rewrites that evaluate each special function stably, leaving the formula as written.
FUNCTION_REWRITES = (SOFTPLUS, SIGMOID, LOGSUMEXP)
#: All rewrites, in order: the result contains only elementary functions.
NUMERIC_REWRITES = ACCURACY_REWRITES + FUNCTION_REWRITES


def apply_rewrites(expr, rewrites):
    """Apply the rewrites in order to an expression (or, elementwise, to a nested list)."""
    if isinstance(expr, (list, tuple)):
        return [apply_rewrites(e, rewrites) for e in expr]
    for rewrite in rewrites:
        expr = rewrite.apply(expr)
    return expr


def to_accurate(expr):
    """Apply the accuracy rewrites (hessian-weight, target-split)."""
    return apply_rewrites(expr, ACCURACY_REWRITES)


def to_elementary(expr):
    """Evaluate each special function stably, leaving the formula around them as written."""
    return apply_rewrites(expr, FUNCTION_REWRITES)


def to_numeric(expr):
    """Apply every stable rewrite: an elementary expression safe to evaluate in float64."""
    return apply_rewrites(expr, NUMERIC_REWRITES)
