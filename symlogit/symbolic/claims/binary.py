"""B1-B6: the binary document (000), average loss L(β) = (1/N) sum_i l(y_i, sigma(x̂_iᵀβ))."""

from __future__ import annotations

import sympy as sp

from ..cases import binary_case, binary_sizes
from ..checking import Claim, proof_by_simplify, rational_zero
from ..derivation import raw_binary_loss
from ..functions import sigmoid, softplus
from ..reference import mp_diff
from .common import U, Y, binary_numeric_case, matrix_numeric, matrix_symbolic, mp_scalar, scalar_numeric
from .common import truth_gradient, truth_hessian

SOURCE = "document 000 (binary), the answer"
RAW_SIGMA = sp.exp(U) / (1 + sp.exp(U))


def _cases():
    return [binary_case(*s) for s in binary_sizes()]


def gradient_forms(case):
    """B4 as written: the sum form and the matrix form (1/N) X̂ᵀ(sigma(X̂β) - y)."""
    n, X = case.n, case.Xhat
    per_sample = sp.zeros(case.d + 1, 1)
    for i in range(n):
        per_sample += (case.q[i] - case.y[i]) * X[i, :].T
    return [per_sample / n, X.T * (case.q - case.y) / n]


def hessian_forms(case):
    """B6 as written: the sum form and (1/N) X̂ᵀ diag(sigma(1 - sigma)) X̂."""
    n, X = case.n, case.Xhat
    per_sample = sp.zeros(case.d + 1, case.d + 1)
    for i in range(n):
        per_sample += (case.q[i] - case.q[i] ** 2) * X[i, :].T * X[i, :]
    W = sp.diag(*[case.q[i] * (1 - case.q[i]) for i in range(n)])
    return [per_sample / n, X.T * W * X / n]


def _b2_numeric(rng):
    reference = mp_scalar(raw_binary_loss(U, Y))
    return scalar_numeric(-Y * U + softplus(U), lambda u, y: float(reference(u, y)), rng)


def _derivative_numeric(claimed, raw_function, rng, floor=1.0):
    f = mp_scalar(raw_function)
    return scalar_numeric(claimed, lambda u, y: mp_diff(lambda t: f(t, y), u), rng, floor=floor,
                          what="float64 closed form vs mpmath.diff of the raw definition, |u| <= 700")


CLAIMS = [
    Claim("B1", "sigma(u) = e^u/(1+e^u) = 1/(1+e^(-u))", "scalar u", SOURCE + ", background",
          lambda: rational_zero([RAW_SIGMA - 1 / (1 + sp.exp(-U)), sigmoid(U).rewrite(sp.exp) - RAW_SIGMA], [U],
                                "cancel -> 0 with t = e^u"),
          lambda rng: scalar_numeric(1 / (1 + sp.exp(-U)), lambda u, y: float(mp_scalar(RAW_SIGMA)(u, y)),
                                     rng, floor=1e-300, tol=1e-13,
                                     what="1/(1+e^-u) in float64 vs mpmath e^u/(1+e^u), full relative accuracy")),
    Claim("B2", "h(u) = -y log sigma(u) - (1-y) log(1 - sigma(u)) = -y u + log(1 + e^u)", "per sample, any real y",
          SOURCE + ", simplification of h_i",
          lambda: proof_by_simplify(raw_binary_loss(U, Y) - (-Y * U + sp.log(1 + sp.exp(U))),
                                    "simplify(raw h - closed form) == 0, u and y real"),
          _b2_numeric),
    Claim("B3", "h'(u) = sigma(u) - y", "per sample", SOURCE + ", derivative of h_i",
          lambda: rational_zero([sp.diff(raw_binary_loss(U, Y), U) - (RAW_SIGMA - Y)], [U],
                                "d/du of the raw cross-entropy minus (sigma - y): cancel -> 0 with t = e^u"),
          lambda rng: _derivative_numeric(sigmoid(U) - Y, raw_binary_loss(U, Y), rng)),
    Claim("B4", "grad L = (1/N) sum_i (sigma(x̂_iᵀβ) - y_i) x̂_i = (1/N) X̂ᵀ(sigma(X̂β) - y)", "average",
          SOURCE + ", gradient",
          lambda: matrix_symbolic(_cases(), gradient_forms, truth_gradient(True), "sum and matrix forms vs d/dβ"),
          lambda rng: matrix_numeric(binary_numeric_case(), gradient_forms, 1, True)),
    Claim("B5", "sigma'(u) = sigma(u) - sigma(u)^2", "scalar u", SOURCE + ", derivative of sigma",
          lambda: rational_zero([sp.diff(RAW_SIGMA, U) - (RAW_SIGMA - RAW_SIGMA ** 2)], [U],
                                "d/du e^u/(1+e^u) minus (sigma - sigma^2): cancel -> 0 with t = e^u"),
          lambda rng: _derivative_numeric(sigmoid(U) - sigmoid(U) ** 2, RAW_SIGMA, rng)),
    Claim("B6", "HL = (1/N) sum_i (sigma(u_i) - sigma(u_i)^2) x̂_i x̂_iᵀ = (1/N) X̂ᵀ diag(sigma(1-sigma)) X̂", "average",
          SOURCE + ", Hessian",
          lambda: matrix_symbolic(_cases(), hessian_forms, truth_hessian(True), "sum and matrix forms vs d²/dβ²"),
          lambda rng: matrix_numeric(binary_numeric_case(), hessian_forms, 2, True)),
]
