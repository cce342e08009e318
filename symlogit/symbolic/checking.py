"""The vocabulary of a check: a claim, its symbolic verdict and its numeric verdict.

A claim (or a negative control: a plausible formula that is wrong) is an equality. Its check
has two halves:

* ``symbolic()`` tries a proof and returns ``Symbolic(holds, method)``: ``holds`` is True for a
  proof, False when a decisive zero test (polynomial or rational canonical form) found the two
  sides different, and None when SymPy could not decide.
* ``numeric(rng)`` evaluates the claimed closed form in float64 at random points, extremes
  included, and compares it with an independent reference evaluated by mpmath at high precision
  (the raw definition, differentiated numerically where the claim is a derivative).

The verifier turns the two into a status: a claim is "proven" (symbolic proof and numeric
agreement), "numeric" (agreement only) or "failed"; a control is "rejected" when either half
shows it wrong, and "accepted" otherwise, which fails the whole verify run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import sympy as sp


@dataclass(frozen=True)
class Symbolic:
    holds: bool | None
    method: str


@dataclass(frozen=True)
class Numeric:
    ok: bool
    max_error: float
    points: int
    detail: str


@dataclass(frozen=True)
class Claim:
    """One entry of the registry: a closed form from REFERENCES.md (or a wrong one)."""

    id: str
    statement: str
    convention: str
    source: str
    symbolic: Callable[[], Symbolic]
    numeric: Callable[[np.random.Generator], Numeric]
    control: bool = False


# ---- symbolic zero tests -------------------------------------------------------------------

def all_zero(exprs: Iterable, how: Callable = sp.expand) -> bool:
    """True when every expression reduces to 0 under ``how``.

    With ``sp.expand`` on (Laurent) polynomials, or ``sp.cancel`` on rational functions, the
    result is a canonical form, so a nonzero result is a proof of inequality, not a shrug.
    """
    return all(how(e) == 0 for e in exprs)


def decisive(exprs: Iterable, how: Callable, method: str) -> Symbolic:
    """A symbolic verdict from a canonical-form zero test (decisive both ways)."""
    return Symbolic(all_zero(exprs, how), method)


def exp_to_symbols(expr, variables, names=None):
    """Replace e^(c_1 v_1 + ... + c_n v_n + r) by e^r prod_j t_j^c_j, with t_j = e^(v_j) > 0.

    Exponents are split over their terms first, so e^(u - log s) becomes e^u / s. Afterwards an
    expression in exponentials of integer-linear forms is a rational function of the t_j.
    Returns (expression, t symbols, complete) where complete says that no exponential or
    logarithm of the variables is left, i.e. that ``sp.cancel`` is a decisive zero test.
    """
    names = names or [f"t_{v}" for v in variables]
    ts = [sp.Symbol(n, positive=True) for n in names]
    vset = set(variables)

    def split(e):
        return sp.Mul(*[sp.exp(term) for term in sp.Add.make_args(sp.expand(e.args[0]))])

    def convert(e):
        arg = e.args[0]
        coeffs = [arg.coeff(v) for v in variables]
        rest = sp.expand(arg - sp.Add(*[c * v for c, v in zip(coeffs, variables)]))
        if rest.free_symbols & vset or not all(c.is_Integer for c in coeffs):
            return e
        return sp.exp(rest) * sp.Mul(*[t ** c for t, c in zip(ts, coeffs)])

    out = expr.replace(lambda e: isinstance(e, sp.exp), split)
    out = out.replace(lambda e: isinstance(e, sp.exp), convert)
    leftover = [a for a in out.atoms(sp.exp, sp.log) if a.free_symbols & vset]
    return out, ts, not leftover


def rational_zero(exprs, variables, method: str) -> Symbolic:
    """Zero test of expressions in exponentials of the variables, via exp_to_symbols + cancel.

    Decisive (holds False) when the conversion left nothing but a rational function.
    """
    complete = True
    for e in exprs:
        converted, _, ok = exp_to_symbols(sp.sympify(e), variables)
        complete &= ok
        if sp.cancel(converted) != 0:
            return Symbolic(False if ok else None, method)
    return Symbolic(True, method)


def log_identity(expr, variables, method: str) -> Symbolic:
    """Prove expr == 0 for a real sum of logarithms of positive expressions.

    Used for sums of logarithms of positive expressions in exponentials of ``variables``:
    after exp_to_symbols, exp(logcombine(expr)) is a rational function, and it equals 1 exactly
    when expr (real) is 0. Returns holds True on proof, None otherwise.
    """
    converted, _, complete = exp_to_symbols(expr, variables)
    if complete and sp.cancel(sp.exp(sp.logcombine(converted, force=True))) == 1:
        return Symbolic(True, method)
    return Symbolic(None, method)


def proof_by_simplify(expr, method: str) -> Symbolic:
    """simplify() == 0 proves the identity; anything else leaves it undecided."""
    return Symbolic(True if sp.simplify(expr) == 0 else None, method)


# ---- numeric comparison --------------------------------------------------------------------

def relative_error(claimed, reference, floor: float) -> float:
    """max |claimed - reference| / max(|reference|, floor), elementwise, as one number.

    ``floor`` sets what counts as small: 1.0 compares terms that are O(1) in absolute terms
    (e.g. sigma - sigma^2 at u = 700, a difference of two numbers near 1); a tiny floor demands
    full relative accuracy even for tiny values (claim C4's stable forms).
    """
    c = np.asarray(claimed, dtype=float)
    r = np.asarray(reference, dtype=float)
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(r))):
        return float("inf")
    denom = np.maximum(np.abs(r), floor)
    return float(np.max(np.abs(c - r) / denom)) if c.size else 0.0


def numeric_verdict(errors: list[float], tol: float, what: str) -> Numeric:
    worst = max(errors) if errors else float("inf")
    return Numeric(bool(worst <= tol), worst, len(errors), f"{what}; max rel. error {worst:.2e} (tol {tol:.0e})")
