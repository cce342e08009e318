"""Derivations of the per-sample loss, gradient and Hessian from the raw definitions.

Nothing here is typed in from the documents' answers: each model starts from the cross-entropy
of the raw sigmoid (or softmax), lets SymPy simplify it to h(u), differentiates in u-space, and
states the beta-space chain rule. The final ``kernel`` formulas are what ``symlogit generate``
prints into numba code; the verifier checks every step against REFERENCES.md.

Binary, scalar u = x̂ᵀβ, target y in [0, 1]:
    h(u) = -y u + softplus(u),  h'(u) = sigma(u) - y,  h''(u) = sigma(u) sigma(-u)
    gradient = sum_i w_i h'(u_i) x̂_i,  Hessian = sum_i w_i h''(u_i) x̂_i x̂_iᵀ   (sums, not means)

Multinomial, u = Bᵀx̂ in R^K, target y in the simplex, B (d+1) x K:
    h(u) = LSE(u) - yᵀu,  dh/du_k = p_k - y_k,  d²h/du_k du_l = p_k (delta_kl - p_l),
    p_k = exp(u_k - LSE(u));  gradient block k = sum_i w_i (p_ik - y_ik) x̂_i,
    Hessian block (k, l) = sum_i w_i p_ik (delta_kl - p_il) x̂_i x̂_iᵀ
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp

from .functions import logsumexp, sigmoid, softplus
from .stable import to_accurate


@dataclass(frozen=True)
class Step:
    """One step of a derivation: a sentence, the expression it produces, the claim it uses."""

    text: str
    lhs: sp.Basic
    rhs: sp.Basic
    claim: str = ""


@dataclass(frozen=True)
class Derivation:
    """The steps of a model's derivation and the per-sample formulas the kernels use.

    ``kernel`` maps a formula name (loss, gradient weight, Hessian weight) to an expression in
    the model's u-space symbols; ``symbols`` names those symbols.
    """

    model: str
    steps: tuple[Step, ...]
    kernel: dict = field(default_factory=dict)
    symbols: dict = field(default_factory=dict)


def raw_binary_loss(u, y):
    """Binary cross-entropy of the raw sigmoid: -y log sigma(u) - (1 - y) log(1 - sigma(u))."""
    s = sp.exp(u) / (1 + sp.exp(u))
    return -y * sp.log(s) - (1 - y) * sp.log(1 - s)


def raw_softmax(us):
    """The softmax as in the document: S_k(u) = e^u_k / sum_j e^u_j."""
    total = sp.Add(*[sp.exp(u) for u in us])
    return [sp.exp(u) / total for u in us]


def raw_multinomial_loss(us, ys):
    """Multinomial cross-entropy of the raw softmax: -sum_k y_k log S_k(u)."""
    return -sp.Add(*[y * sp.log(s) for y, s in zip(ys, raw_softmax(us))])


@lru_cache(maxsize=None)
def derive_binary() -> Derivation:
    u = sp.Symbol("u", real=True)
    y = sp.Symbol("y", real=True)
    h_raw = raw_binary_loss(u, y)
    h_simplified = sp.simplify(h_raw)
    # Recognise log(1 + e^u) as the stable special function; the check that this is an identity
    # (and not a typing exercise) is claim B2, which compares h_raw with the result.
    h = h_simplified.replace(sp.log(1 + sp.exp(u)), softplus(u))
    if h.has(sp.exp):
        raise RuntimeError(f"binary loss did not simplify to softplus form: {h_simplified}")
    h1 = sp.diff(h, u)
    h2 = sp.diff(h1, u)
    i, j, k, n = sp.symbols("i j k N", integer=True, positive=True)
    xhat, wt, uu = sp.IndexedBase("xhat"), sp.IndexedBase("w"), sp.IndexedBase("u")
    grad = sp.Sum(wt[i] * h1.subs({u: uu[i], y: sp.IndexedBase("y")[i]}) * xhat[i, j], (i, 1, n))
    hess = sp.Sum(wt[i] * h2.subs(u, uu[i]) * xhat[i, j] * xhat[i, k], (i, 1, n))
    f = sp.Function
    steps = (
        Step("The sigmoid, as defined in the binary document.", f("sigma")(u), sigmoid(u).rewrite(sp.exp), "B1"),
        Step("Cross-entropy of the target y and the predicted probability sigma(u).", f("h")(u), h_raw),
        Step("SymPy simplifies it (u and y real).", f("h")(u), h_simplified, "B2"),
        Step("log(1 + e^u) is the softplus function.", f("h")(u), h, "B2"),
        Step("First derivative in u-space.", sp.Derivative(f("h")(u), u), h1, "B3"),
        Step("Second derivative in u-space (sigma' = sigma - sigma^2).", sp.Derivative(f("h")(u), (u, 2)), h2, "B5"),
        Step("Chain rule with u_i = x̂_iᵀβ: gradient component j (a weighted sum over samples).",
             sp.Symbol("g_j"), grad, "B4"),
        Step("Chain rule again: Hessian entry (j, k).", sp.Symbol("H_jk"), hess, "B6"),
    )
    kernel = {name: to_accurate(expr) for name, expr in
              (("loss", h), ("gradient_weight", h1), ("hessian_weight", h2), ("probability", sigmoid(u)))}
    steps += tuple(
        Step(f"Per-sample {name.replace('_', ' ')} printed into the kernels (stable form, C4).",
             sp.Symbol(name), expr, "C4")
        for name, expr in kernel.items()
    )
    return Derivation("binary", steps, kernel, {"u": u, "y": y})


@lru_cache(maxsize=None)
def derive_multinomial(n_classes: int = 3) -> Derivation:
    """Derive with K = n_classes explicit classes, then read off the per-class pattern.

    SymPy differentiates with K concrete symbols; the kernels loop over a runtime K, so the last
    steps check that every class and every pair of classes follows one pattern in the symbols
    p_k, p_l, y_k and delta_kl, and return that pattern.
    """
    K = n_classes
    us = sp.symbols(f"u1:{K + 1}", real=True)
    ys = sp.symbols(f"y1:{K + 1}", real=True)
    h_raw = raw_multinomial_loss(us, ys)
    lse_raw = sp.log(sp.Add(*[sp.exp(u) for u in us]))
    # Expanding the logs leaves log(sum_j e^u_j) as a common factor of sum_k y_k, which is 1
    # for probability targets; what remains is LSE(u) - y.u.
    h_collected = sp.collect(sp.expand(sp.expand_log(h_raw, force=True)), lse_raw)
    h = h_collected.subs(sp.Add(*ys), 1).subs(lse_raw, logsumexp(*us))
    if h.has(sp.log):
        raise RuntimeError(f"multinomial loss did not simplify to LSE(u) - y.u: {h}")
    grad = [sp.diff(h, uk) for uk in us]
    hess = [[sp.diff(gk, ul) for ul in us] for gk in grad]

    pk, pl, yk, delta = sp.symbols("p_k p_l y_k delta_kl", real=True)
    lse = sp.Symbol("lse", real=True)
    probs = {sp.exp(u - logsumexp(*us)): sp.Symbol(f"p{c + 1}") for c, u in enumerate(us)}
    grad_pattern = pk - yk
    hess_pattern = pk * (delta - pl)
    for c in range(K):
        g_c = grad[c].xreplace(probs)
        if sp.expand(g_c - grad_pattern.subs({pk: sp.Symbol(f"p{c + 1}"), yk: ys[c]})) != 0:
            raise RuntimeError(f"gradient of class {c + 1} breaks the per-class pattern: {g_c}")
        for e in range(K):
            h_ce = hess[c][e].xreplace(probs)
            expected = hess_pattern.subs({pk: sp.Symbol(f"p{c + 1}"), pl: sp.Symbol(f"p{e + 1}"), delta: int(c == e)})
            if sp.expand(h_ce - expected) != 0:
                raise RuntimeError(f"Hessian block ({c + 1}, {e + 1}) breaks the pattern: {h_ce}")

    # The kernels compute e_j = exp(u_j - m), m = max u, once per class and row, and take both
    # LSE (claim C4) and the probabilities from them: p_k = e_k / sum_j e_j, the raw softmax
    # with the shift m cancelled (K - 1 exps per row instead of 2K - 1).
    shift = sp.Symbol("m", real=True)
    shifted = [sp.exp(u - shift) for u in us]
    for c, raw in enumerate(raw_softmax(us)):
        if sp.simplify(shifted[c] / sp.Add(*shifted) - raw) != 0:
            raise RuntimeError(f"the shifted softmax of class {c + 1} differs from the raw one")
    ek, esum = sp.symbols("e_k e_sum", positive=True)

    # Newton-CG needs the u-space Hessian times a vector z; by M11 it has an O(K) form.
    zs = sp.symbols(f"z1:{K + 1}", real=True)
    zk, pz = sp.symbols("z_k pz", real=True)
    hvp_pattern = pk * (zk - pz)
    p_dot_z = sp.Add(*[sp.Symbol(f"p{e + 1}") * zs[e] for e in range(K)])
    for c in range(K):
        hvp_c = sp.Add(*[hess[c][e].xreplace(probs) * zs[e] for e in range(K)])
        expected = hvp_pattern.subs({pk: sp.Symbol(f"p{c + 1}"), zk: zs[c], pz: p_dot_z})
        if sp.expand(hvp_c - expected) != 0:
            raise RuntimeError(f"Hessian-vector product of class {c + 1} breaks the pattern: {hvp_c}")

    i, j, k, l, n = sp.symbols("i j k l N", integer=True, positive=True)
    xhat, wt = sp.IndexedBase("xhat"), sp.IndexedBase("w")
    P, Y = sp.IndexedBase("p"), sp.IndexedBase("y")
    f = sp.Function
    steps = (
        Step("The softmax, as defined in the multinomial document (K = %d shown)." % K,
             f("S_1")(*us), raw_softmax(us)[0], "M2"),
        Step("Cross-entropy of the target y and the predicted probabilities S(u).", f("h")(*us), h_raw),
        Step("Expand the logarithms (u real): the log of the normaliser is a common factor.",
             f("h")(*us), h_collected, "M4"),
        Step("With sum_k y_k = 1 the factor disappears: h is LogSumExp minus a linear term.",
             f("h")(*us), h, "M7"),
        Step("Gradient in u-space: the derivative of LSE is the softmax p_k = exp(u_k - LSE(u)).",
             sp.Derivative(f("h")(*us), us[0]), grad[0], "M8"),
        Step("The softmax is unchanged by a shift m of every score (kernels: m = max u, no overflow).",
             f("S_1")(*us), shifted[0] / sp.Add(*shifted), "M2"),
        Step("Hessian in u-space, diagonal entry.", sp.Derivative(f("h")(*us), us[0], us[0]), hess[0][0], "M11"),
        Step("Hessian in u-space, off-diagonal entry.", sp.Derivative(f("h")(*us), us[0], us[1]), hess[0][1], "M11"),
        Step("Every class follows one pattern (checked for each k, l): per-sample gradient weight.",
             sp.Symbol("r_k"), grad_pattern, "M8"),
        Step("Per-sample Hessian weight for the class pair (k, l).", sp.Symbol("w_kl"), hess_pattern, "M13"),
        Step("The u-space Hessian times a vector z, entry k (checked for each k): O(K) per sample, "
             "with pz = sum_l p_l z_l.", sp.Symbol("(S'(u) z)_k"), hvp_pattern, "M11"),
        Step("Chain rule with u_i = Bᵀx̂_i: gradient entry (j, k) of the (d+1) x K gradient.",
             sp.Symbol("G_jk"), sp.Sum(wt[i] * (P[i, k] - Y[i, k]) * xhat[i, j], (i, 1, n)), "M10"),
        Step("Hessian block (k, l), entry (j, m).", sp.Symbol("H_kl_jm"),
             sp.Sum(wt[i] * P[i, k] * (sp.KroneckerDelta(k, l) - P[i, l]) * xhat[i, j] * xhat[i, sp.Symbol("m")],
                    (i, 1, n)), "M13"),
    )
    uk = sp.Symbol("u_k", real=True)
    kernel = {
        "probability": ek / esum,
        "loss_term": yk * (lse - uk),
        "gradient_weight": grad_pattern,
        "hessian_weight": hess_pattern,
        "hessian_vector_weight": hvp_pattern,
    }
    steps += (
        Step("Per-sample loss printed into the kernels: sum_k y_k (LSE(u) - u_k), each term >= 0 (C4).",
             f("h")(*us), sp.Add(*[y * (lse - u) for y, u in zip(ys, us)]), "C4"),
    )
    return Derivation("multinomial", steps, kernel,
                      {"u": us, "y": ys, "u_k": uk, "y_k": yk, "p_k": pk, "p_l": pl, "delta_kl": delta, "lse": lse,
                       "z_k": zk, "pz": pz, "e_k": ek, "e_sum": esum})
