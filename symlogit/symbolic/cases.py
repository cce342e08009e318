"""Explicit small symbolic problems on which the matrix claims are proven entry by entry.

SymPy's MatrixSymbol calculus cannot differentiate these nonlinear losses, so each size
(N samples, d features, K classes) gets explicit symbols for every entry of X̂, β (or B), Y.
The *truth* is what SymPy's own chain rule gives when differentiating the scalar loss

    binary       L = sum_i [-y_i u_i + softplus(u_i)],            u_i = x̂_iᵀβ
    multinomial  L = sum_i [LSE(u_i) - y_iᵀu_i],                  u_i = Bᵀx̂_i

(the simplified per-sample losses, themselves proven equal to the raw cross-entropy in B2 and
M4/M7; the functions' derivatives are proven against their raw forms in F1-F3). After
differentiation every sigma(u_i) becomes a symbol q_i and every exp(u_ik - LSE(u_i)) a symbol
p_ik, with p_iK = 1 - sum_{k<K} p_ik, so both sides of a claim are polynomials (Laurent
polynomials for the E-forms of answer 1) and ``expand`` is a decisive zero test.

Multinomial layout: B is (d+1) x K, β = vec(B) stacks its columns (β = [β_1; ...; β_K]); the
document's X = X̂ᵀ is (d+1) x N and Y, P, E are K x N (columns are samples).
"""

from __future__ import annotations

from functools import cached_property, lru_cache

import numpy as np
import sympy as sp

from .derivation import raw_binary_loss, raw_multinomial_loss
from .functions import logsumexp, sigmoid, softmax, softplus
from .reference import float64_function

#: The stated size range of every symbolic matrix proof.
K_RANGE = (2, 3, 4)
D_RANGE = (1, 2)
N_RANGE = (1, 2, 3)


def vec(M: sp.Matrix) -> sp.Matrix:
    """Column-major vectorisation: the columns of M stacked into one column."""
    return sp.Matrix([M[i, j] for j in range(M.cols) for i in range(M.rows)])


def khatri_rao(A: sp.Matrix, C: sp.Matrix) -> sp.Matrix:
    """Column-wise Kronecker product A ⊠ C = (A ⊗ 1_m) ⊙ (1_p ⊗ C), A p x n, C m x n."""
    p, m = A.rows, C.rows
    return sp.kronecker_product(A, sp.ones(m, 1)).multiply_elementwise(sp.kronecker_product(sp.ones(p, 1), C))


def _symbol_matrix(name, rows, cols, **assumptions):
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i}_{j}", **assumptions))


def _scaled_coefficients(rng, Xhat, n_coef_cols, max_abs_u):
    """Random coefficients rescaled so that the largest |u| equals max_abs_u."""
    B = rng.normal(size=(Xhat.shape[1], n_coef_cols))
    U = Xhat @ B
    return B * (max_abs_u / np.max(np.abs(U)))


class BinaryCase:
    """Symbols for binary logistic regression with N samples and d features."""

    def __init__(self, d: int, n: int):
        self.d, self.n = d, n
        x = _symbol_matrix("x", n, d, real=True)
        self.Xhat = sp.Matrix.hstack(sp.ones(n, 1), x)  # N x (d+1)
        self.x_symbols = list(x)
        self.beta = sp.Matrix(sp.symbols(f"b0:{d + 1}", real=True))
        self.y = sp.Matrix(sp.symbols(f"y0:{n}", real=True))
        self.q = sp.Matrix(sp.symbols(f"q0:{n}", real=True))  # q_i stands for sigma(u_i)
        self.u = self.Xhat * self.beta

    @cached_property
    def _sigma_to_q(self):
        return {sigmoid(self.u[i]): self.q[i] for i in range(self.n)}

    @cached_property
    def loss_sum(self):
        return sp.Add(*[-self.y[i] * self.u[i] + softplus(self.u[i]) for i in range(self.n)])

    @cached_property
    def gradient_sum(self) -> sp.Matrix:
        g = sp.Matrix([sp.diff(self.loss_sum, b) for b in self.beta])
        return g.xreplace(self._sigma_to_q)

    @cached_property
    def hessian_sum(self) -> sp.Matrix:
        g = [sp.diff(self.loss_sum, b) for b in self.beta]
        H = sp.Matrix(len(g), len(g), lambda a, b: sp.diff(g[a], self.beta[b]))
        return H.xreplace(self._sigma_to_q)

    def poly(self, M):
        return M.applyfunc(sp.expand)

    # -- numeric evaluation ------------------------------------------------------------------
    @cached_property
    def mp_loss_sum(self):
        """The raw summed cross-entropy (raw sigmoid) as an mpmath function of β, x, y."""
        loss = sp.Add(*[raw_binary_loss(self.u[i], self.y[i]) for i in range(self.n)])
        return sp.lambdify([list(self.beta), self.x_symbols, list(self.y)], loss, modules="mpmath")

    def sample(self, rng, max_abs_u):
        x = rng.normal(size=(self.n, self.d))
        Xhat = np.hstack([np.ones((self.n, 1)), x])
        beta = _scaled_coefficients(rng, Xhat, 1, max_abs_u)[:, 0]
        y = rng.choice([0.0, 1.0, rng.random()], size=self.n)
        q = float64_function([sp.Symbol("u")], sigmoid(sp.Symbol("u")))(Xhat @ beta)
        values = dict(zip(self.x_symbols, x.ravel()))
        values.update(zip(self.y, y))
        values.update(zip(self.q, np.atleast_1d(q)))
        values.update(zip(self.beta, beta))
        return values, (beta, x.ravel(), y)

    def evaluate(self, M, values):
        syms = sorted(M.free_symbols, key=str)
        return np.array(sp.lambdify(syms, M, modules="numpy")(*[values[s] for s in syms]), dtype=float)


class MultinomialCase:
    """Symbols for multinomial logistic regression with K classes, d features, N samples."""

    def __init__(self, k: int, d: int, n: int):
        self.k, self.d, self.n = k, d, n
        x = _symbol_matrix("x", n, d, real=True)
        self.x_symbols = list(x)
        self.Xhat = sp.Matrix.hstack(sp.ones(n, 1), x)  # N x (d+1), rows x̂_iᵀ
        self.X = self.Xhat.T  # (d+1) x N, answer 1's layout
        self.B = _symbol_matrix("b", d + 1, k, real=True)
        self.beta = vec(self.B)
        self.Y = _symbol_matrix("y", k, n, real=True)
        self.P = _symbol_matrix("p", k, n, real=True)  # p_ki stands for S_k(u_i)
        self.E = _symbol_matrix("e", k, n, positive=True)  # answer 1's E = exp(U)
        self.s = sp.symbols(f"s0:{n}", positive=True)  # column sums of E
        self.U = self.B.T * self.X  # K x N

    def xhat(self, i) -> sp.Matrix:
        return self.Xhat[i, :].T

    @cached_property
    def _softmax_to_p(self):
        return {softmax(list(self.U[:, i]), c): self.P[c, i] for i in range(self.n) for c in range(self.k)}

    @cached_property
    def _to_poly_map(self):
        """p_Ki -> 1 - sum_{k<K} p_ki and e_ki -> s_i p_ki: a general positive E with sums s_i."""
        last = {self.P[self.k - 1, i]: 1 - sp.Add(*self.P[: self.k - 1, i]) for i in range(self.n)}
        e_map = {self.E[c, i]: self.s[i] * self.P[c, i].xreplace(last) for c in range(self.k) for i in range(self.n)}
        return {**last, **e_map}

    def poly(self, M):
        """The matrix as (Laurent) polynomials in the free symbols: a canonical form."""
        return M.xreplace(self._to_poly_map).applyfunc(sp.expand)

    @cached_property
    def loss_sum(self):
        return sp.Add(*[logsumexp(*self.U[:, i]) - (self.Y[:, i].T * self.U[:, i])[0] for i in range(self.n)])

    @cached_property
    def _gradient_raw(self):
        return [sp.diff(self.loss_sum, b) for b in self.beta]

    @cached_property
    def gradient_sum(self) -> sp.Matrix:
        """d L / d β, β = vec(B): length K(d+1)."""
        return sp.Matrix(self._gradient_raw).xreplace(self._softmax_to_p)

    @cached_property
    def hessian_sum(self) -> sp.Matrix:
        g = self._gradient_raw
        H = sp.Matrix(len(g), len(g), lambda a, b: sp.diff(g[a], self.beta[b]) if b >= a else 0)
        H = H + H.T - sp.diag(*[H[a, a] for a in range(len(g))])
        return H.xreplace(self._softmax_to_p)

    # -- numeric evaluation ------------------------------------------------------------------
    @cached_property
    def mp_loss_sum(self):
        """The raw summed cross-entropy (raw softmax) as an mpmath function of β."""
        loss = sp.Add(*[raw_multinomial_loss(list(self.U[:, i]), list(self.Y[:, i])) for i in range(self.n)])
        return sp.lambdify([list(self.beta), self.x_symbols, list(self.Y)], loss, modules="mpmath")

    def sample(self, rng, max_abs_u):
        x = rng.normal(size=(self.n, self.d))
        Xhat = np.hstack([np.ones((self.n, 1)), x])
        B = _scaled_coefficients(rng, Xhat, self.k, max_abs_u)
        U = B.T @ Xhat.T  # K x N
        Y = np.stack([rng.dirichlet(np.ones(self.k)) if rng.random() < 0.6 else np.eye(self.k)[rng.integers(self.k)]
                      for _ in range(self.n)], axis=1)
        P = np.exp(U - _stable_lse(U))
        values = dict(zip(self.x_symbols, x.ravel()))
        for M, A in ((self.Y, Y), (self.P, P), (self.E, np.exp(U)), (self.B, B)):
            values.update(zip(list(M), A.ravel()))
        beta = B.T.ravel()  # vec(B), column-major
        return values, (beta, x.ravel(), Y.ravel())

    evaluate = BinaryCase.evaluate


def _stable_lse(U):
    """Column-wise LSE through the verified stable form (claim C4), for the test points."""
    us = sp.symbols("v0:%d" % U.shape[0], real=True)
    return float64_function(us, logsumexp(*us))(*U)


@lru_cache(maxsize=None)
def binary_case(d: int, n: int) -> BinaryCase:
    return BinaryCase(d, n)


@lru_cache(maxsize=None)
def multinomial_case(k: int, d: int, n: int) -> MultinomialCase:
    return MultinomialCase(k, d, n)


def binary_sizes():
    return [(d, n) for d in D_RANGE for n in N_RANGE]


def multinomial_sizes():
    return [(k, d, n) for k in K_RANGE for d in D_RANGE for n in N_RANGE]
