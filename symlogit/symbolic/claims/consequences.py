"""C1-C4: what a working solver needs and the documents leave out; ours to prove."""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import log1p

from ..cases import K_RANGE, binary_case, binary_sizes, multinomial_case, multinomial_sizes
from ..checking import Claim, Numeric, Symbolic, log_identity, numeric_verdict, rational_zero, relative_error
from ..derivation import derive_binary, raw_binary_loss, raw_multinomial_loss
from ..functions import logsumexp, sigmoid, softplus
from ..reference import FIXED_U, float64_function, mp_diff, mp_function, vector_points
from ..stable import to_accurate, to_numeric
from .common import U, Y, _matrix_reference, multinomial_numeric_case

SOURCE = "symlogit (not stated in the documents)"


# ---- C1: the multinomial Hessian is singular ---------------------------------------------

def _c1_symbolic() -> Symbolic:
    for size in multinomial_sizes():
        case = multinomial_case(*size)
        v = sp.Matrix(sp.symbols(f"v0:{case.d + 1}", real=True))
        residual = case.poly(case.hessian_sum * sp.kronecker_product(sp.ones(case.k, 1), v))
        if any(e != 0 for e in residual):
            return Symbolic(False, f"H (1_K ⊗ v) != 0 at K={case.k}, d={case.d}, N={case.n}")
    return Symbolic(True, "H (1_K ⊗ v) expands to 0 for symbolic v, every size in the stated range; "
                          "the d+1 independent null vectors 1_K ⊗ e_j bound the rank by (K-1)(d+1)")


def _c1_numeric(rng) -> Numeric:
    case = multinomial_numeric_case()
    K, p = case.k, case.d + 1
    errors, notes = [], []
    for scale in (3.0, 60.0, 700.0):
        _, H = _matrix_reference(case, scale, 2)
        norm = np.max(np.abs(H))
        v = rng.normal(size=p)
        errors.append(float(np.max(np.abs(H @ np.kron(np.ones(K), v)))) / norm)
        rank = np.linalg.matrix_rank(H, tol=1e-9 * norm)
        if rank > (K - 1) * p:
            errors.append(float("inf"))
        if scale == 3.0:
            # On unsaturated data the bound is attained, and fixing the last class (dropping
            # its block) leaves a positive definite Hessian: the reference-class remedy works.
            reduced_min = np.linalg.eigvalsh(H[: (K - 1) * p, : (K - 1) * p]).min() / norm
            notes.append(f"rank {rank} = (K-1)(d+1) = {(K - 1) * p}, reduced min eig {reduced_min:.1e} > 0")
            if rank != (K - 1) * p or reduced_min <= 0:
                errors.append(float("inf"))
    return numeric_verdict(errors, 1e-10, "mpmath Hessian of the raw loss times 1_K ⊗ v, max|u| up to 700; "
                           + "; ".join(notes))


# ---- C2: K = 2 is binary ----------------------------------------------------------------------

def _c2_symbolic() -> Symbolic:
    u1, u2 = sp.symbols("u1 u2", real=True)
    loss = raw_multinomial_loss([u1, u2], [1 - Y, Y]) - raw_binary_loss(u2 - u1, Y)
    # The difference is affine in y: prove its value at y = 0 and its slope are both 0.
    for part in (loss.subs(Y, 0), loss.subs(Y, 1) - loss.subs(Y, 0)):
        if not log_identity(part, [u1, u2], "").holds:
            return Symbolic(None, "loss identity not proven")
    for d, n in binary_sizes():
        mc, bc = multinomial_case(2, d, n), binary_case(d, n)
        # The binary case shares the x symbols; map its y_i -> y_1i, q_i = sigma(u_i) -> p_1i.
        to_multi = {**{bc.y[i]: mc.Y[1, i] for i in range(n)}, **{bc.q[i]: mc.P[1, i] for i in range(n)}}
        g, H = bc.gradient_sum.xreplace(to_multi), bc.hessian_sum.xreplace(to_multi)
        claimed_g = sp.Matrix.vstack(-g, g)
        claimed_H = sp.Matrix(sp.BlockMatrix([[H, -H], [-H, H]]))
        target_y = {mc.Y[0, i]: 1 - mc.Y[1, i] for i in range(n)}
        if any(e != 0 for e in mc.poly((mc.gradient_sum - claimed_g).xreplace(target_y))) or \
                any(e != 0 for e in mc.poly(mc.hessian_sum - claimed_H)):
            return Symbolic(False, f"K=2 does not map onto binary at d={d}, N={n}")
    return Symbolic(True, "loss: raw K=2 cross-entropy - raw binary h(u2 - u1) is affine in y, its value at y = 0 "
                          "and slope are sums of logs whose exp cancels to 1 (t_k = e^u_k); gradient and "
                          "Hessian: K=2 blocks equal (-g, g) and [[H, -H], [-H, H]] of the binary ones with "
                          "β = β_2 - β_1, expanded to 0 for d in (1, 2), N in (1, 2, 3)")


def _c2_numeric(rng) -> Numeric:
    kernel = derive_binary().kernel
    bu, by = derive_binary().symbols["u"], derive_binary().symbols["y"]
    f64 = {name: float64_function([bu, by], to_numeric(expr)) for name, expr in kernel.items()}
    u1, u2 = sp.symbols("u1 u2", real=True)
    mp_loss = mp_function([u1, u2, Y], raw_multinomial_loss([u1, u2], [1 - Y, Y]))
    errors = []
    for a in FIXED_U:
        b = float(rng.normal(0, 5))
        for y in (0.0, 1.0, float(rng.random())):
            v = a - b  # u2 - u1 with u2 = a, u1 = b
            ref = [float(mp_loss(b, a, y)), mp_diff(lambda t: mp_loss(b, t, y), a, 1),
                   mp_diff(lambda t: mp_loss(b, t, y), a, 2)]
            got = [f64["loss"](v, y), f64["gradient_weight"](v, y), f64["hessian_weight"](v, y)]
            errors.append(relative_error(got, ref, 1e-300))
    return numeric_verdict(errors, 1e-11, "binary kernel formulas at u2 - u1 vs mpmath K=2 raw cross-entropy and its "
                                          "u2-derivatives, full relative accuracy")


# ---- C3: convexity -----------------------------------------------------------------------------

def _c3_symbolic() -> Symbolic:
    t = sp.Symbol("t", positive=True)  # t = e^(-u)
    s = 1 / (1 + t)
    h2 = sp.cancel(s * (1 - s))
    if not (h2.is_positive and sp.expand(sp.Rational(1, 4) - s * (1 - s) - (s - sp.Rational(1, 2)) ** 2) == 0):
        return Symbolic(None, "h'' bounds not shown")
    for k in K_RANGE:
        p = sp.symbols(f"s1:{k + 1}", positive=True)
        v = sp.symbols(f"v1:{k + 1}", real=True)
        unit = {p[-1]: 1 - sp.Add(*p[:-1])}
        quad = sp.Add(*[p[i] * v[i] ** 2 for i in range(k)]) - sp.Add(*[p[i] * v[i] for i in range(k)]) ** 2
        mean = sp.Add(*[p[i] * v[i] for i in range(k)])
        variance = sp.Add(*[p[i] * (v[i] - mean) ** 2 for i in range(k)])
        if sp.expand((quad - variance).subs(unit)) != 0:
            return Symbolic(False, f"vᵀS'v is not a variance at K={k}")
    return Symbolic(True, "h'' = t/(1+t)^2 > 0 (t = e^-u > 0) and 1/4 - h'' = (sigma - 1/2)^2; vᵀ(diag(s) - ssᵀ)v = "
                          "sum_k s_k (v_k - sᵀv)^2 >= 0 when 1ᵀs = 1 (K in (2, 3, 4)); so each M_iᵀS'M_i and "
                          "x̂x̂ᵀh'' is PSD and L is convex")


def _c3_numeric(rng) -> Numeric:
    h2 = float64_function([U], to_accurate(sp.diff(sigmoid(U), U)))
    values = np.array([h2(u) for u in np.concatenate([FIXED_U, rng.uniform(-700, 700, 50)])])
    bad = int(np.sum((values <= 0) | (values > 0.25)))
    eig_min = []
    for k in K_RANGE:
        us = sp.symbols(f"u1:{k + 1}", real=True)
        sm = float64_function(us, [sp.exp(u - logsumexp(*us)) for u in us])
        for point in vector_points(rng, k):
            p = np.array(sm(*point))
            eig_min.append(np.linalg.eigvalsh(np.diag(p) - np.outer(p, p)).min())
    for scale in (3.0, 60.0, 700.0):
        _, H = _matrix_reference(multinomial_numeric_case(), scale, 2)
        eig_min.append(np.linalg.eigvalsh(H).min() / max(1.0, np.abs(H).max()))
    worst = -min(min(eig_min), 0.0)
    errors = [worst if bad == 0 else float("inf")]
    return numeric_verdict(errors, 1e-12, f"h'' = sigma(u)sigma(-u) in (0, 1/4] at {len(values)} points |u| <= 700 "
                                          f"({bad} outside); min eigenvalue of S' and of mpmath Hessians")


# ---- C4: stable forms equal the raw ones -------------------------------------------------------

def _c4_symbolic() -> Symbolic:
    t = sp.Symbol("t", positive=True)
    checks = []
    # softplus, both signs of u: max(u, 0) + log1p(e^-|u|)
    for u in (t, -t):
        stable = sp.Max(u, 0) + log1p(sp.exp(-sp.Abs(u)))
        checks.append(sp.simplify((stable - sp.log(1 + sp.exp(u))).rewrite(sp.log)) == 0)
    # sigmoid through e^-|u| on either sign
    checks.append(rational_zero([1 / (1 + sp.exp(-t)) - sp.exp(t) / (1 + sp.exp(t)),
                                 sp.exp(-t) / (1 + sp.exp(-t)) - sp.exp(-t) / (1 + sp.exp(-t))], [t], "").holds)
    # LSE with any shift m: m + log(sum e^(u_k - m)) = log(sum e^u_k), with e^u_k = a_k, e^m = mu
    for k in K_RANGE:
        a = sp.symbols(f"a1:{k + 1}", positive=True)
        mu = sp.Symbol("mu", positive=True)
        shifted = sp.log(mu) + sp.log(sp.together(sp.Add(*[ai / mu for ai in a])))
        checks.append(sp.expand(sp.expand_log(shifted - sp.log(sp.Add(*a)), force=True)) == 0)
    # the hessian-weight and target-split rewrites, applied by the kernels
    w = sp.Symbol("w", real=True)
    checks.append(rational_zero([(sigmoid(-w) - (1 - sigmoid(w))).rewrite(sp.exp),
                                 ((1 - Y) * sigmoid(w) - Y * sigmoid(-w) - (sigmoid(w) - Y)).rewrite(sp.exp)],
                                [w], "").holds)
    split = ((1 - Y) * softplus(w) + Y * softplus(-w) - (softplus(w) - Y * w)).rewrite(sp.exp)
    checks.append(sp.simplify(split) == 0)
    ok = all(c is True for c in checks)
    return Symbolic(True if ok else None,
                    "softplus (u > 0, u < 0): simplify; sigmoid branches: cancel; LSE shift by any m: expand_log; "
                    "1 - sigma(w) = sigma(-w) and the target-split gradient: cancel; target-split loss: simplify")


EXTREME_U = (-1e5, -1000.0, -30.0, 30.0, 1000.0, 1e5)


def _c4_numeric(rng) -> Numeric:
    """Full relative accuracy (floor 1e-300) of every stable form at u up to +-1e5."""
    forms = {
        "softplus": softplus(U), "sigmoid": sigmoid(U), "h''": to_accurate(sp.diff(sigmoid(U), U)),
        "loss": to_accurate(-Y * U + softplus(U)), "h'": to_accurate(sigmoid(U) - Y),
    }
    references = {
        "softplus": sp.log(1 + sp.exp(U)), "sigmoid": sp.exp(U) / (1 + sp.exp(U)),
        "h''": sp.exp(U) / (1 + sp.exp(U)) ** 2, "h'": sp.exp(U) / (1 + sp.exp(U)) - Y,
        # B2's form: the raw cross-entropy needs |u|/2.3 digits for log(1 - sigma(u)) at u = 1e5
        "loss": -Y * U + sp.log(1 + sp.exp(U)),
    }
    errors = []
    points = list(EXTREME_U) + list(FIXED_U) + list(rng.uniform(-700, 700, 6))
    for name, form in forms.items():
        f = float64_function([U, Y], to_numeric(form))
        ref = mp_function([U, Y], references[name])
        for u in points:
            for y in (0.0, 1.0, 0.3):
                errors.append(relative_error(f(u, y), float(ref(u, y)), 1e-300))
    for k in K_RANGE:
        us = sp.symbols(f"u1:{k + 1}", real=True)
        f = float64_function(us, logsumexp(*us))
        ref = mp_function([us], sp.log(sp.Add(*[sp.exp(u) for u in us])))
        for point in vector_points(rng, k) + [np.array([1e5, 1e5 - 1.0] + [-1e5] * (k - 2))]:
            errors.append(relative_error(f(*point), float(ref(point)), 1e-300))
    return numeric_verdict(errors, 1e-12, "stable float64 forms (softplus, sigmoid, sigma(u)sigma(-u), target-split "
                                          "loss and h', LSE) vs mpmath raw forms at u up to +-1e5, y in {0, 1, 0.3}, "
                                          "full relative accuracy")


CLAIMS = [
    Claim("C1", "HL (1_K ⊗ v) = 0 for every v; rank HL <= (K-1)(d+1)", "any convention; β = vec(B)", SOURCE,
          _c1_symbolic, _c1_numeric),
    Claim("C2", "K = 2 multinomial is binary with β = β_2 - β_1 (loss, gradient, Hessian)", "sum; y = (1 - y, y)",
          SOURCE, _c2_symbolic, _c2_numeric),
    Claim("C3", "h'' = sigma(1 - sigma) in (0, 1/4]; S'(u) PSD; L convex", "per sample; any convention", SOURCE,
          _c3_symbolic, _c3_numeric),
    Claim("C4", "stable forms equal the raw ones: softplus, LSE with max shift, sigma via e^-|u|, "
                "h'' = sigma(u)sigma(-u), target-split loss and h'", "per sample", SOURCE, _c4_symbolic, _c4_numeric),
]
