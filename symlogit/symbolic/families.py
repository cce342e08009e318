"""The family table: each model symlogit fits is one row of data, and everything else follows.

A row states what is true of a family, in the field's terms:

    name, score       "scalar" (u = x̂ᵀβ + offset) or "vector" (u = Bᵀx̂ in R^K)
    domain            where y lives: "unit" ([0, 1]), "nonnegative" (y >= 0), "simplex"
    likelihood        the distribution of y given its mean ("bernoulli", "poisson", "categorical")
    mean              the inverse link μ(u), raw (elementary functions, erfc)
    loss              the negative log-likelihood h(u, y) in stable special functions; claim
                      K-… and the family's own (P1, G1, Q1, B2) prove it equal to the raw
                      definition -log f(y | μ(u)) (dropping terms free of u)
    stable            the forms the kernels print for the mean, 1 - mean (Bernoulli) and the
                      expected information E[h''](u), each proven equal to its raw definition
    curvature_bound   sup over u and y in the domain of h''(u, y) (SGD's step scale); None if
                      unbounded (cloglog, Poisson: e^u)
    hessian_at_zero   E[h''](0), the Hessian at β = 0 per unit x̂x̂ᵀ (whitening's H0)

From a row, ``derive`` gives h, h' and h'' by SymPy's differentiation (y-dependent off the
canonical link), the kernel formulas and the derivation's steps; the verifier checks the claims
listed in the row; ``symlogit generate`` prints ``generated/<name>.py`` from the template of its
score shape; the runtime table (``symlogit.family``) reads the row's facts from that module.
logit and softmax keep the derivations of their source documents (``derivation.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np
import sympy as sp

from .derivation import Derivation, Step, derive_binary, derive_multinomial
from .functions import sigmoid, softplus

U = sp.Symbol("u", real=True)
Y = sp.Symbol("y", real=True)
#: The number of classes, in facts that depend on it (a vector family's Hessian at zero).
K = sp.Symbol("n_classes", integer=True, positive=True)


@dataclass(frozen=True)
class FamilyDefinition:
    """One row of the family table (see the module docstring)."""

    name: str
    title: str
    score: str
    domain: str
    likelihood: str
    mean: Callable[[sp.Expr], sp.Expr] | None = None
    #: 1 - mean, raw, written so that it does not cancel (Bernoulli): the raw loss's log(1 - p)
    complement: Callable[[sp.Expr], sp.Expr] | None = None
    loss: Callable[[sp.Expr, sp.Expr], sp.Expr] | None = None
    stable_mean: Callable[[sp.Expr], sp.Expr] | None = None
    stable_complement: Callable[[sp.Expr], sp.Expr] | None = None
    expected: Callable[[sp.Expr], sp.Expr] | None = None
    curvature_bound: sp.Expr | None = None
    hessian_at_zero: sp.Expr | None = None
    #: Bernoulli: the score at which the mean is 1/2, where the predicted class changes
    #: (``decision_function`` is u minus it). Stated, and checked against ``mean`` by the tests.
    median_score: sp.Expr | None = None
    multiclass: str | None = None
    saturated: Callable[[sp.Expr], sp.Expr] | None = None
    log_measure: Callable[[sp.Expr], sp.Expr] | None = None
    claims: tuple[str, ...] = ()
    #: The claims behind the derivation's steps: (loss, h', h'', expected information).
    step_claims: tuple[str, str, str, str] = ("", "", "", "")
    document_derivation: Callable[[], Derivation] | None = None
    objective_text: str = ""
    extra: dict = field(default_factory=dict)

    def raw_loss(self, u, y):
        """-log f(y | μ(u)) from the distribution and the raw inverse link, less terms free of u
        (Bernoulli: 1 - μ as the row's raw complement, proven equal to it by the family's first
        claim; written whole, it keeps the mpmath reference exact where 1 - μ is below 10^-400)."""
        mu = self.mean(u)
        if self.likelihood == "bernoulli":
            return -y * sp.log(mu) - (1 - y) * sp.log(self.complement(u))
        if self.likelihood == "poisson":
            return mu - y * sp.log(mu)  # + log y!, free of u
        raise ValueError(f"no raw scalar loss for likelihood {self.likelihood!r}")

    def derive(self) -> Derivation:
        return derive_family(self.name)


def _special():
    """The probit and cloglog special functions (``special.py``), imported when a row is used."""
    from . import special
    return special


class ndtr(sp.Function):
    """Phi(u) = erfc(-u/sqrt 2)/2, the standard normal CDF, kept whole: SymPy would rewrite
    erfc(-x) as 2 - erfc(x), which cancels for u -> -inf. Printed as ``0.5*math.erfc(...)``
    (glibc's erfc keeps its relative accuracy down to the subnormal range); ``numpy_function`` is
    the same arithmetic for the verifier's float64 side."""

    nargs = 1

    @staticmethod
    def numpy_function(u):
        import scipy.special
        return 0.5 * scipy.special.erfc(-np.asarray(u, dtype=float) * _SQRT1_2)

    def _eval_rewrite_as_exp(self, u, **kwargs):
        return sp.erfc(-u / sp.sqrt(2)) / 2

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def fdiff(self, argindex=1):
        u = self.args[0]
        return sp.exp(-u ** 2 / 2) / sp.sqrt(2 * sp.pi)

    def _numbacode(self, printer):
        return f"0.5*math.erfc(-{_SQRT1_2!r}*({printer._print(self.args[0])}))"


_SQRT1_2 = 0.7071067811865476


class scaled_exp(sp.Function):
    """a e^u, and 0 when a = 0 even where e^u overflows: cloglog's (1 - y) e^u at y = 1 and
    u > 709.78 would otherwise be 0 * inf = nan. Printed as a select on a == 0 (vectorises)."""

    nargs = 2

    @staticmethod
    def numpy_function(a, u):
        with np.errstate(over="ignore", invalid="ignore"):
            return np.where(np.asarray(a) == 0, 0.0, np.asarray(a) * np.exp(u))

    def _eval_rewrite_as_exp(self, a, u, **kwargs):
        return a * sp.exp(u)

    def _eval_is_real(self):
        return True if all(x.is_real for x in self.args) else None

    def fdiff(self, argindex=1):
        a, u = self.args
        return sp.exp(u) if argindex == 1 else self

    def _numbacode(self, printer):
        a, u = (printer._print(x) for x in self.args)
        return f"(0.0 if ({a}) == 0 else ({a})*_exp({u}))"  # _exp: the polynomial exp of claim F4


def _logit_mean(u):
    return sp.exp(u) / (1 + sp.exp(u))


def _cloglog_mean(u):
    return -_expm1(-sp.exp(u))


def _probit_loss(u, y):
    s = _special()
    return -y * s.log_ndtr(u) - (1 - y) * s.log_ndtr(-u)


def _cloglog_loss(u, y):
    s = _special()
    return -y * s.log_cloglog(u) + scaled_exp(1 - y, u)


def xlogy(y):
    """y log y with 0 log 0 = 0."""
    return sp.Piecewise((0, y <= 0), (y * sp.log(y), True))


def _bernoulli_saturated(y):
    """min_u h(u, y) = the entropy of y: 0 for labels, positive for soft targets."""
    return -xlogy(y) - xlogy(1 - y)


def _expm1(x):
    from sympy.codegen.cfunctions import expm1
    return expm1(x)


FAMILIES = (
    FamilyDefinition(
        "logit", "Binary logistic regression (sigmoid + cross-entropy)", "scalar", "unit", "bernoulli",
        mean=_logit_mean, complement=lambda u: 1 / (1 + sp.exp(u)),
        loss=lambda u, y: -y * u + softplus(u),
        stable_mean=sigmoid, stable_complement=lambda u: sigmoid(-u),
        expected=lambda u: sigmoid(u) * sigmoid(-u),
        curvature_bound=sp.Rational(1, 4), hessian_at_zero=sp.Rational(1, 4), median_score=sp.Integer(0),
        claims=("B1", "B2", "B3", "B4", "B5", "B6", "C3", "C4", "K1", "K2"),
        saturated=_bernoulli_saturated, log_measure=lambda y: sp.Integer(0),
        document_derivation=derive_binary, multiclass="softmax",
        objective_text="    h(u, y) = -y u + softplus(u),  h'(u, y) = sigma(u) - y,  h''(u) = sigma(u) sigma(-u)",
    ),
    FamilyDefinition(
        "probit", "Probit regression (normal CDF + Bernoulli likelihood)", "scalar", "unit", "bernoulli",
        mean=ndtr, complement=lambda u: ndtr(-u),
        loss=_probit_loss,
        stable_mean=ndtr, stable_complement=lambda u: ndtr(-u),
        expected=lambda u: _special().inv_mills(u) * _special().inv_mills(-u),
        curvature_bound=sp.Integer(1), hessian_at_zero=2 / sp.pi, median_score=sp.Integer(0),
        claims=("P1", "P2", "P3", "P4", "K1", "K2"), step_claims=("P1", "P2", "P3", "P4"),
        saturated=_bernoulli_saturated, log_measure=lambda y: sp.Integer(0),
        objective_text="    h(u, y) = -y log Phi(u) - (1 - y) log Phi(-u),  lambda(u) = phi(u)/Phi(u),\n"
                       "    h'(u, y) = -y lambda(u) + (1 - y) lambda(-u),\n"
                       "    h''(u, y) = y lambda(u)(u + lambda(u)) + (1 - y) lambda(-u)(lambda(-u) - u)",
    ),
    FamilyDefinition(
        "cloglog", "Complementary log-log regression (Bernoulli likelihood)", "scalar", "unit", "bernoulli",
        mean=_cloglog_mean, complement=lambda u: sp.exp(-sp.exp(u)),  # mean: 1 - e^(-e^u) as -expm1
        loss=_cloglog_loss,
        stable_mean=_cloglog_mean, stable_complement=lambda u: sp.exp(-sp.exp(u)),
        # e^u q(u) = e^(2u) e^(-e^u)/p, written as one exponential: e^u overflows where q underflows
        expected=lambda u: sp.exp(2 * u - sp.exp(u) - _special().log_cloglog(u)),
        curvature_bound=None, hessian_at_zero=1 / (sp.E - 1), median_score=sp.log(sp.log(2)),
        claims=("G1", "G2", "G3", "G4", "K1", "K2"), step_claims=("G1", "G2", "G3", "G4"),
        saturated=_bernoulli_saturated, log_measure=lambda y: sp.Integer(0),
        objective_text="    p(u) = 1 - exp(-e^u),  h(u, y) = -y log p(u) + (1 - y) e^u,\n"
                       "    h'(u, y) = e^u (1 - y/p),  h''(u, y) = e^u (1 - y/p) + y e^(2u) (1 - p)/p^2",
    ),
    FamilyDefinition(
        "poisson", "Poisson regression (log link)", "scalar", "nonnegative", "poisson",
        mean=sp.exp,
        loss=lambda u, y: sp.exp(u) - y * u,
        stable_mean=sp.exp, expected=sp.exp,
        curvature_bound=None, hessian_at_zero=sp.Integer(1),
        claims=("Q1", "Q2", "K1", "K2"), step_claims=("Q1", "Q2", "Q2", "Q2"),
        saturated=lambda y: y - xlogy(y), log_measure=lambda y: -sp.loggamma(y + 1),
        objective_text="    h(u, y) = e^u - y u  (the Poisson deviance / 2, less terms free of u),\n"
                       "    h'(u, y) = e^u - y,  h''(u) = e^u",
    ),
    FamilyDefinition(
        "softmax", "Multinomial logistic regression (softmax + cross-entropy)", "vector", "simplex", "categorical",
        curvature_bound=sp.Rational(1, 2), hessian_at_zero=(K - 1) / K ** 2,
        claims=("M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8", "M9", "M10", "M11", "M12", "M13", "M14", "M15",
                "M16", "C1", "C2", "C3", "C4"),
        document_derivation=derive_multinomial,
    ),
)

BY_NAME = {f.name: f for f in FAMILIES}
NAMES = tuple(BY_NAME)


def family_definition(name: str) -> FamilyDefinition:
    if name not in BY_NAME:
        raise ValueError(f"unknown family {name!r}; expected one of {', '.join(NAMES)}")
    return BY_NAME[name]


@lru_cache(maxsize=None)
def derive_family(name: str) -> Derivation:
    """The derivation of a family: its document's for logit and softmax, else ``derive_scalar``."""
    row = family_definition(name)
    if row.document_derivation is not None:
        derivation = row.document_derivation()
        if row.score == "vector":
            return Derivation(row.name, derivation.steps, derivation.kernel, derivation.symbols)
        u = derivation.symbols["u"]
        y = derivation.symbols["y"]
        kernel = {**derivation.kernel, "expected_weight": row.expected(u), "mean": row.stable_mean(u),
                  "complement": row.stable_complement(u), "saturated_loss": row.saturated(y),
                  "log_measure": row.log_measure(y)}
        return Derivation(row.name, derivation.steps, kernel, derivation.symbols)
    return derive_scalar(row)


def derive_scalar(row: FamilyDefinition) -> Derivation:
    """h, h', h'' of a scalar family by SymPy's differentiation of its stable loss.

    h'' is not simplified into a y-free form: off the canonical link (probit, cloglog) it
    depends on y, and the kernels pass y to it. The expected information is the row's stated
    form, proven equal to p h''(u, 1) + (1 - p) h''(u, 0) (Bernoulli) or h''(u, μ) (Poisson)
    by the family's claims.
    """
    u, y = U, Y
    f = sp.Function
    h_raw = row.raw_loss(u, y).rewrite(sp.exp)  # shown in elementary functions and erfc
    h = row.loss(u, y)
    h1 = sp.diff(h, u)
    h2 = sp.diff(h1, u)
    loss, first, second, expected = row.step_claims
    steps = [
        Step("The inverse link: the mean of y at score u = x̂ᵀβ (+ offset).", f("mu")(u),
             row.mean(u).rewrite(sp.exp), loss),
        Step(f"Negative log-likelihood of the {row.likelihood} distribution with that mean (terms free of u "
             "dropped).", f("h")(u, y), h_raw, loss),
        Step("The same in stable special functions (proven equal to the raw form).", f("h")(u, y), h, loss),
        Step("First derivative in u-space (SymPy).", sp.Derivative(f("h")(u, y), u), h1, first),
        Step("Second derivative in u-space: the observed information of one row (convex: K2).",
             sp.Derivative(f("h")(u, y), (u, 2)), h2, second),
        Step("Expected information E[h''(u, Y)], Y from the family at u.", f("I")(u), row.expected(u), expected),
    ]
    i, j, k, n = sp.symbols("i j k N", integer=True, positive=True)
    xhat, wt, uu, yy = sp.IndexedBase("xhat"), sp.IndexedBase("w"), sp.IndexedBase("u"), sp.IndexedBase("y")
    steps += [
        Step("Chain rule with u_i = x̂_iᵀβ: gradient component j (a weighted sum over samples).", sp.Symbol("g_j"),
             sp.Sum(wt[i] * h1.subs({u: uu[i], y: yy[i]}, simultaneous=True) * xhat[i, j], (i, 1, n))),
        Step("Chain rule again: Hessian entry (j, k).", sp.Symbol("H_jk"),
             sp.Sum(wt[i] * h2.subs({u: uu[i], y: yy[i]}, simultaneous=True) * xhat[i, j] * xhat[i, k], (i, 1, n))),
    ]
    kernel = {"loss": h, "gradient_weight": h1, "hessian_weight": h2, "expected_weight": row.expected(u),
              "mean": row.stable_mean(u), "saturated_loss": row.saturated(y), "log_measure": row.log_measure(y)}
    if row.stable_complement is not None:
        kernel["complement"] = row.stable_complement(u)
    steps += [Step(f"Per-sample {name.replace('_', ' ')} printed into the kernels.", sp.Symbol(name), expr)
              for name, expr in kernel.items()]
    return Derivation(row.name, tuple(steps), kernel, {"u": u, "y": y})
