"""Negative controls: the plausible wrong formulas listed at the end of REFERENCES.md.

Each goes through exactly the machinery of the real claims. A verify run in which any of them
is accepted fails: a checker that cannot reject these proves nothing.
"""

from __future__ import annotations

import sympy as sp

from ..cases import binary_case, binary_sizes, multinomial_case, multinomial_sizes, vec
from ..checking import Claim, rational_zero
from ..functions import sigmoid
from .binary import RAW_SIGMA, _derivative_numeric
from .common import U, binary_numeric_case, kron, matrix_numeric, matrix_symbolic, multinomial_numeric_case
from .common import truth_gradient, truth_hessian

SOURCE = "REFERENCES.md, 'What a wrong formula looks like'"


def _sign_flipped_gradient(case):
    total = sp.zeros(case.d + 1, 1)
    for i in range(case.n):
        total += (case.y[i] - case.q[i]) * case.Xhat[i, :].T
    return [total / case.n]


def _hessian_without_ppt(case):
    return [sum((kron(sp.diag(*case.P[:, i]), case.xhat(i) * case.xhat(i).T) for i in range(case.n)),
                sp.zeros(case.k * (case.d + 1))) / case.n]


def _kronecker_swapped(case):
    H = sp.zeros(case.k * (case.d + 1))
    for i in range(case.n):
        p = case.P[:, i]
        H += kron(case.xhat(i) * case.xhat(i).T, sp.diag(*p) - p * p.T)
    return [H / case.n]


def _m5_averaged(case):
    D = sp.diag(*[sp.Add(*case.E[:, i]) for i in range(case.n)])
    return [vec(case.X * (case.E * D.inv() - case.Y).T) / case.n]


def _binary_cases():
    return [binary_case(*s) for s in binary_sizes()]


def _multi_cases():
    return [multinomial_case(*s) for s in multinomial_sizes()]


CONTROLS = [
    Claim("W1", "sigma' = sigma + sigma^2", "scalar u", SOURCE,
          lambda: rational_zero([sp.diff(RAW_SIGMA, U) - (RAW_SIGMA + RAW_SIGMA ** 2)], [U], "cancel with t = e^u"),
          lambda rng: _derivative_numeric(sigmoid(U) + sigmoid(U) ** 2, RAW_SIGMA, rng), control=True),
    Claim("W2", "grad L = (1/N) sum_i (y_i - sigma(x̂_iᵀβ)) x̂_i", "average", SOURCE,
          lambda: matrix_symbolic(_binary_cases(), _sign_flipped_gradient, truth_gradient(True), "vs d/dβ"),
          lambda rng: matrix_numeric(binary_numeric_case(), _sign_flipped_gradient, 1, True), control=True),
    Claim("W3", "HL = (1/N) sum_n diag(p_n) ⊗ x̂_n x̂_nᵀ (no -p pᵀ term)", "average; β = vec(B)", SOURCE,
          lambda: matrix_symbolic(_multi_cases(), _hessian_without_ppt, truth_hessian(True), "vs d²/dβ²"),
          lambda rng: matrix_numeric(multinomial_numeric_case(), _hessian_without_ppt, 2, True), control=True),
    Claim("W4", "HL = (1/N) sum_n (x̂_n x̂_nᵀ) ⊗ (diag(p_n) - p_n p_nᵀ) (Kronecker factors swapped)",
          "average; β = vec(B) column-major", SOURCE,
          lambda: matrix_symbolic(_multi_cases(), _kronecker_swapped, truth_hessian(True), "vs d²/dβ²"),
          lambda rng: matrix_numeric(multinomial_numeric_case(), _kronecker_swapped, 2, True), control=True),
    Claim("W5", "dl/dB = (1/N) X (S - Y)ᵀ (M5 averaged where the sum is meant)", "sum", SOURCE,
          lambda: matrix_symbolic(_multi_cases(), _m5_averaged, truth_gradient(False), "vs d/dβ"),
          lambda rng: matrix_numeric(multinomial_numeric_case(), _m5_averaged, 1, False), control=True),
]
