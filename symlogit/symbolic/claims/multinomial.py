"""M1-M16: the multinomial document (001), its three answers, each in its own convention.

Answer 1: X = X̂ᵀ ((d+1) x N), Y, E = exp(BᵀX), S = E D⁻¹ are K x N, D = Diag(Eᵀ1); SUM loss.
Answer 2: per-sample chain rule, M_i = I_K ⊗ x̂_iᵀ; AVERAGE loss.
Answer 3: B (d+1) x K, β = vec(B) column-major; AVERAGE loss.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from ..cases import multinomial_case, multinomial_sizes, vec, khatri_rao, K_RANGE, D_RANGE
from ..checking import Claim, Numeric, Symbolic, numeric_verdict, rational_zero, relative_error
from ..derivation import raw_multinomial_loss, raw_softmax
from ..functions import logsumexp, softmax
from ..reference import DIGITS, float64_function, mp_function, mp_gradient, simplex_point, to_float, vector_points
from .common import kron, matrix_numeric, matrix_symbolic, multinomial_numeric_case, truth_gradient, truth_hessian

DOC = "document 001 (multinomial)"


def _cases(n_range=None):
    return [multinomial_case(*s) for s in multinomial_sizes() if n_range is None or s[2] in n_range]


def _us(k):
    return list(sp.symbols(f"u1:{k + 1}", real=True))


def _ys(k):
    return list(sp.symbols(f"y1:{k + 1}", real=True))


def second_form_softmax(us):
    """S_k(u) = 1 / sum_j e^(u_j - u_k): not the form SymPy differentiates, so no check is
    true by construction."""
    return [1 / sp.Add(*[sp.exp(uj - uk) for uj in us]) for uk in us]


def _unit_targets(ys):
    return {ys[-1]: 1 - sp.Add(*ys[:-1])}


# ---- u-space claims: K symbols, proven for each K in K_RANGE ---------------------------------

def _u_space_symbolic(build, method) -> Symbolic:
    for k in K_RANGE:
        us = _us(k)
        verdict = rational_zero(build(us, _ys(k)), us, method)
        if not verdict.holds:
            return Symbolic(verdict.holds, f"{method}: fails at K={k}")
    return Symbolic(True, f"{method}; K in {K_RANGE}")


def _jacobian_claim(us, ys):
    s_raw = sp.Matrix(raw_softmax(us))
    s2 = sp.Matrix(second_form_softmax(us))
    J = s_raw.jacobian(us)
    return list(J - (sp.diag(*s2) - s2 * s2.T))


def _differential_claim(us, ys):
    du = sp.Matrix(sp.symbols(f"du1:{len(us) + 1}", real=True))
    s_raw = sp.Matrix(raw_softmax(us))
    s2 = sp.Matrix(second_form_softmax(us))
    ds = s_raw.jacobian(us) * du
    return list(ds - (sp.diag(*s2) - s2 * s2.T) * du)


def _lse_gradient_claim(us, ys):
    lse = sp.log(sp.Add(*[sp.exp(u) for u in us]))
    return [sp.diff(lse, u) - s for u, s in zip(us, second_form_softmax(us))]


def _ce_gradient_claim(us, ys):
    h = raw_multinomial_loss(us, ys)
    return [(sp.diff(h, u) - (s - y)).subs(_unit_targets(ys)) for u, s, y in zip(us, second_form_softmax(us), ys)]


def _lse_form_symbolic() -> Symbolic:
    for k in K_RANGE:
        us, ys = _us(k), _ys(k)
        claimed = sp.log(sp.Add(*[sp.exp(u) for u in us])) - sp.Add(*[y * u for y, u in zip(ys, us)])
        diff = (raw_multinomial_loss(us, ys) - claimed).subs(_unit_targets(ys))
        if sp.expand(sp.expand_log(diff, force=True)) != 0:
            return Symbolic(None, f"not reduced to 0 at K={k}")
    return Symbolic(True, "with y_K = 1 - sum_(k<K) y_k: expand_log (valid: e^u_k > 0) and expand -> 0; "
                          f"K in {K_RANGE}")


# ---- u-space numeric checks -------------------------------------------------------------------

def _u_numeric(rng, f64_of, mp_of, what, floor=1.0) -> Numeric:
    """f64_of(k) -> f(u, y) in float64; mp_of(k) -> reference(u, y) as floats (mpmath)."""
    errors = []
    for k in K_RANGE:
        f64, ref = f64_of(k), mp_of(k)
        for u in vector_points(rng, k):
            y = simplex_point(rng, k)
            errors.append(relative_error(f64(u, y), ref(u, y), floor))
    return numeric_verdict(errors, 1e-12, f"{what}; K in {K_RANGE}, components up to +-700")


def _stable_softmax_f64(k):
    us = _us(k)
    return float64_function(us, [softmax(us, c) for c in range(k)])


def _mp_raw_softmax_jacobian(k):
    us = _us(k)
    comps = [mp_function([us], s) for s in raw_softmax(us)]
    return lambda u, y: np.array([mp_gradient(c, u) for c in comps])


def _mp_ce(k):
    us, ys = _us(k), _ys(k)
    return mp_function([us, ys], raw_multinomial_loss(us, ys))


def _n_jacobian(rng):
    def f64_of(k):
        sm = _stable_softmax_f64(k)
        return lambda u, y: (lambda p: np.diag(p) - np.outer(p, p))(np.array(sm(*u)))
    return _u_numeric(rng, f64_of, _mp_raw_softmax_jacobian, "diag(S) - S Sᵀ (stable S) vs mpmath Jacobian of raw S")


def _n_differential(rng):
    def f64_of(k):
        sm = _stable_softmax_f64(k)
        return lambda u, y: (lambda p: (np.diag(p) - np.outer(p, p)) @ (y - 0.5))(np.array(sm(*u)))

    def mp_of(k):
        jac = _mp_raw_softmax_jacobian(k)
        return lambda u, y: jac(u, y) @ (y - 0.5)
    return _u_numeric(rng, f64_of, mp_of, "(diag(s) - s sᵀ) du vs mpmath directional derivative of raw S")


def _n_lse_gradient(rng):
    def f64_of(k):
        sm = _stable_softmax_f64(k)
        return lambda u, y: np.array(sm(*u))

    def mp_of(k):
        us = _us(k)
        lse = mp_function([us], sp.log(sp.Add(*[sp.exp(u) for u in us])))
        return lambda u, y: mp_gradient(lse, u)
    return _u_numeric(rng, f64_of, mp_of, "stable S(u) vs mpmath gradient of raw log-sum-exp")


def _n_lse_form(rng):
    def f64_of(k):
        us, ys = _us(k), _ys(k)
        f = float64_function(us + ys, logsumexp(*us) - sp.Add(*[y * u for y, u in zip(ys, us)]))
        return lambda u, y: f(*u, *y)

    def mp_of(k):
        ce = _mp_ce(k)
        return lambda u, y: to_float(ce(u, y))
    return _u_numeric(rng, f64_of, mp_of, "stable LSE(u) - yᵀu vs mpmath raw cross-entropy")


def _n_ce_gradient(rng):
    def f64_of(k):
        sm = _stable_softmax_f64(k)
        return lambda u, y: np.array(sm(*u)) - y

    def mp_of(k):
        ce = _mp_ce(k)
        return lambda u, y: mp_gradient(lambda v: ce(v, y), u)
    return _u_numeric(rng, f64_of, mp_of, "stable S(u) - y vs mpmath gradient of the raw cross-entropy")


# ---- beta-space claims on explicit matrices ------------------------------------------------

def m1_forms(case):
    i = case.n - 1
    M_i = kron(sp.eye(case.k), case.xhat(i).T)
    e_i = sp.Matrix([int(j == i) for j in range(case.n)])
    return [M_i * case.beta, case.B.T * case.X * e_i]


def m5_forms(case):
    D = sp.diag(*[sp.Add(*case.E[:, i]) for i in range(case.n)])
    S = case.E * D.inv()
    return [vec(case.X * (S - case.Y).T)]


def m6_forms(case):
    K, X, E = case.k, case.X, case.E
    D = sp.diag(*[sp.Add(*E[:, i]) for i in range(case.n)])
    Dinv = D.inv()
    R = sp.diag(*vec(E.T))
    first = kron(sp.eye(K), X * Dinv)
    second = kron(sp.ones(1, K), khatri_rao(E, X * Dinv ** 2))
    return [(first - second) * R * kron(sp.eye(K), X.T)]


def _p(case, i):
    return case.P[:, i]


def _s_prime(p):
    return sp.diag(*p) - p * p.T


def m9_forms(case):
    total = sp.zeros(case.k * (case.d + 1), 1)
    for i in range(case.n):
        M_i = kron(sp.eye(case.k), case.xhat(i).T)
        total += M_i.T * (_p(case, i) - case.Y[:, i])
    return [total / case.n]


def m10_forms(case):
    x, r = case.xhat(0), _p(case, 0) - case.Y[:, 0]
    M_0 = kron(sp.eye(case.k), x.T)
    blocks = sp.Matrix.vstack(*[r[c] * x for c in range(case.k)])
    return [M_0.T * r, blocks, vec(x * r.T)]


def m12_forms(case):
    total = sp.zeros(case.k * (case.d + 1))
    for i in range(case.n):
        M_i = kron(sp.eye(case.k), case.xhat(i).T)
        total += M_i.T * _s_prime(_p(case, i)) * M_i
    return [total / case.n]


def m13_forms(case):
    K, n, Xh = case.k, case.n, case.Xhat

    def w(c, e, i):
        return case.P[c, i] * (int(c == e) - case.P[e, i])

    by_sum = sp.Matrix(sp.BlockMatrix([[sum((w(c, e, i) * case.xhat(i) * case.xhat(i).T for i in range(n)),
                                            sp.zeros(case.d + 1)) / n for e in range(K)] for c in range(K)]))
    by_diag = sp.Matrix(sp.BlockMatrix([[Xh.T * sp.diag(*[w(c, e, i) for i in range(n)]) * Xh / n
                                         for e in range(K)] for c in range(K)]))
    return [by_sum, by_diag]


def m14_forms(case):
    n = case.n
    grad_B = sum((case.xhat(i) * (_p(case, i) - case.Y[:, i]).T for i in range(n)), sp.zeros(case.d + 1, case.k)) / n
    g = sum((kron(_p(case, i) - case.Y[:, i], case.xhat(i)) for i in range(n)), sp.zeros(case.k * (case.d + 1), 1)) / n
    return [vec(grad_B), g]


def m16_forms(case):
    n = case.n
    H = sum((kron(_s_prime(_p(case, i)), case.xhat(i) * case.xhat(i).T) for i in range(n)),
            sp.zeros(case.k * (case.d + 1)))
    return [H / n]


def m1_truth(case):
    return case.B.T * case.xhat(case.n - 1)


def _m1_numeric(rng) -> Numeric:
    case = multinomial_case(3, 2, 1)
    errors = []
    for scale in (3.0, 700.0):
        values, _ = case.sample(rng, scale)
        B = np.array([[values[b] for b in case.B.row(j)] for j in range(case.B.rows)])
        xhat = np.array([1.0] + [values[x] for x in case.x_symbols])
        with mpmath.workdps(DIGITS):
            exact = mpmath.matrix(B.tolist()).T * mpmath.matrix(xhat.tolist())
            ref = np.array([to_float(v) for v in exact])
        for form in m1_forms(case):
            errors.append(relative_error(case.evaluate(form, values).ravel(), ref, 1.0))
    return numeric_verdict(errors, 1e-13, "float64 Kronecker and matrix forms vs mpmath Bᵀx̂")


def m15_truth_and_form(case):
    """dp for one sample: SymPy's differential of S(Bᵀx̂) along dB, and the claimed A dBᵀ x̂."""
    dB = sp.Matrix(case.B.rows, case.B.cols, lambda j, c: sp.Symbol(f"dB_{j}_{c}", real=True))
    u = list(case.U[:, 0])
    dp = sp.Matrix([sum(sp.diff(softmax(u, c), case.B[j, e]) * dB[j, e]
                        for j in range(case.B.rows) for e in range(case.B.cols)) for c in range(case.k)])
    p = _p(case, 0)
    return dp.xreplace({softmax(u, c): case.P[c, 0] for c in range(case.k)}), _s_prime(p) * dB.T * case.xhat(0), dB


def _m15_symbolic() -> Symbolic:
    for case in _cases(n_range=(1,)):
        truth, claimed, _ = m15_truth_and_form(case)
        if any(e != 0 for e in case.poly(truth - claimed)):
            return Symbolic(False, f"differs at K={case.k}, d={case.d}")
    return Symbolic(True, f"differential of S(Bᵀx̂) along a symbolic dB vs A dBᵀx̂: expand -> 0, "
                          f"K in {K_RANGE}, d in {D_RANGE}")


def _m15_numeric(rng) -> Numeric:
    case = multinomial_case(3, 2, 1)
    truth, claimed, dB = m15_truth_and_form(case)
    u_raw = raw_softmax(list(case.U[:, 0]))
    errors = []
    for scale in (3.0, 60.0, 700.0):
        values, (beta, _, _) = case.sample(rng, scale)
        direction = rng.normal(size=dB.shape)
        values.update(zip(list(dB), direction.ravel()))
        syms = list(case.B) + case.x_symbols
        comps = [mp_function([syms], s) for s in u_raw]
        point = [values[s] for s in syms]
        n_b = len(list(case.B))
        ref = []
        for comp in comps:
            grad = mp_gradient(lambda v: comp(list(v) + point[n_b:]), point[:n_b])
            ref.append(grad @ direction.ravel())
        errors.append(relative_error(case.evaluate(claimed, values).ravel(), np.array(ref), 1.0))
    return numeric_verdict(errors, 1e-12, "A dBᵀx̂ in float64 vs mpmath directional derivative of raw S(Bᵀx̂)")


def _matrix_claim(cid, statement, convention, source, forms, order, average, n_range=None, scales=None):
    truth = truth_gradient(average) if order == 1 else truth_hessian(average)
    what = "closed form vs SymPy's d/dβ of the summed loss" if order == 1 else \
        "closed form vs SymPy's d²/dβ² of the summed loss"
    kwargs = {"scales": scales} if scales else {}
    numeric_case = multinomial_case(3, 2, 1) if n_range == (1,) else multinomial_numeric_case()
    return Claim(cid, statement, convention, source,
                 lambda: matrix_symbolic(_cases(n_range), forms, truth, what),
                 lambda rng: matrix_numeric(numeric_case, forms, order, average, **kwargs))


A1, A2, A3 = DOC + ", answer 1", DOC + ", answer 2", DOC + ", answer 3"

CLAIMS = [
    Claim("M1", "M_i β = (I_K ⊗ x̂_iᵀ) vec(B) = Bᵀ x̂_i = Bᵀ X e_i", "β = vec(B), column-major", A1 + " (and question)",
          lambda: matrix_symbolic(_cases(n_range=(1, 2, 3)), m1_forms, m1_truth, "Kronecker and matrix forms vs Bᵀx̂"),
          _m1_numeric),
    Claim("M2", "ds = (Diag(s) - s sᵀ) du", "u in R^K", A1,
          lambda: _u_space_symbolic(_differential_claim, "J_S du (raw S) vs (Diag(s) - ssᵀ) du (second form of s): "
                                                         "cancel -> 0 with t_k = e^u_k"),
          _n_differential),
    Claim("M3", "dλ = s : du, i.e. grad LSE(u) = S(u)", "u in R^K", A1,
          lambda: _u_space_symbolic(_lse_gradient_claim, "d/du_k log(sum e^u) vs 1/sum_j e^(u_j - u_k): cancel -> 0"),
          _n_lse_gradient),
    Claim("M4", "l(y, S(u)) = -y : log S(u) = LSE(u) - y : u when 1ᵀy = 1", "per sample, 1ᵀy = 1", A1,
          _lse_form_symbolic, _n_lse_form),
    _matrix_claim("M5", "dl/dB = X (S - Y)ᵀ, S = E D⁻¹, D = Diag(Eᵀ1)", "sum; (d+1) x K, compared as vec", A1,
                  m5_forms, 1, False),
    _matrix_claim("M6", "Hessian = [(I_K ⊗ X D⁻¹) - 1_Kᵀ ⊗ (E ⊠ X D⁻²)] R (I_K ⊗ Xᵀ), R = Diag(vec(Eᵀ))",
                  "sum; β = vec(B); float64 check at |u| <= 350 (E² overflows beyond)", A1, m6_forms, 2, False,
                  scales=(3.0, 60.0, 350.0)),
    Claim("M7", "h_i(u) = l(y_i, S(u)) = LSE(u) - <y_i, u>", "per sample, sum_k y_ik = 1", A2,
          _lse_form_symbolic, _n_lse_form),
    Claim("M8", "grad h_i(u) = S(u) - y_i", "per sample, sum_k y_ik = 1", A2,
          lambda: _u_space_symbolic(_ce_gradient_claim, "d/du_k of the raw cross-entropy vs S_k - y_k "
                                                         "(second form, y_K = 1 - sum): cancel -> 0"),
          _n_ce_gradient),
    _matrix_claim("M9", "grad L(β) = (1/N) sum_i M_iᵀ (S(M_i β) - y_i)", "average; β = vec(B)", A2, m9_forms, 1, True),
    _matrix_claim("M10", "block k of g_i = M_iᵀ(S - y_i) is (S_k - y_ik) x̂_i; as (d+1) x K, g_i = outer(x̂_i, S - y_i)",
                  "per sample; vec order", A2, m10_forms, 1, False, n_range=(1,)),
    Claim("M11", "S'(u) = diag(S(u)) - S(u) S(u)ᵀ", "u in R^K", A2,
          lambda: _u_space_symbolic(_jacobian_claim, "Jacobian of raw S vs diag(s) - ssᵀ (second form): cancel -> 0"),
          _n_jacobian),
    _matrix_claim("M12", "HL(β) = (1/N) sum_i M_iᵀ S'(M_i β) M_i", "average; β = vec(B)", A2, m12_forms, 2, True),
    _matrix_claim("M13", "block (k,l) of HL = (1/N) sum_i S_k(u_i)(δ_kl - S_l(u_i)) x̂_i x̂_iᵀ = (1/N) X̂ᵀ diag(w_kl) X̂",
                  "average; β = vec(B)", A2 + " (left unfinished there; completed here)", m13_forms, 2, True),
    _matrix_claim("M14", "dφ/dB = (1/N) sum_n x̂_n (p_n - y_n)ᵀ; g = (1/N) sum_n (p_n - y_n) ⊗ x̂_n",
                  "average; B (d+1) x K, vec column-major", A3, m14_forms, 1, True),
    Claim("M15", "dp = (diag(p) - p pᵀ)(dB)ᵀ x̂", "one sample, p = S(Bᵀx̂)", A3, _m15_symbolic, _m15_numeric),
    _matrix_claim("M16", "HL = (1/N) sum_n (diag(p_n) - p_n p_nᵀ) ⊗ x̂_n x̂_nᵀ", "average; β = vec(B) column-major",
                  A3, m16_forms, 2, True),
]
