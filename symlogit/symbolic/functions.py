"""The three special functions of logistic regression as SymPy functions.

Each is a ``sympy.Function`` with an exact derivative (``fdiff``), so SymPy's chain rule works
on expressions built from them without ever expanding them into raw exponentials, and with
``rewrite(sympy.exp)`` to the raw definition, so every identity about them can be checked
against the definition (claims F1-F3 in the verifier):

    sigmoid(u)          = e^u / (1 + e^u)                 d/du = sigmoid(u) (1 - sigmoid(u))
    softplus(u)         = log(1 + e^u)                    d/du = sigmoid(u)
    logsumexp(u_1..u_K) = log(e^u_1 + ... + e^u_K)        d/du_k = exp(u_k - logsumexp(u))

The derivative of logsumexp is the softmax written as exp(u_k - LSE(u)): an exponent that is
never positive, so the printed form cannot overflow. How each function is *evaluated* stably
lives in ``stable.py``, as rewrites that are themselves verified (claim C4).
"""

from __future__ import annotations

import sympy as sp


class sigmoid(sp.Function):
    """The logistic function sigma(u) = e^u / (1 + e^u), scalar u."""

    nargs = 1

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sp.S.Half
        return None

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, u, **kwargs):
        return sp.exp(u) / (1 + sp.exp(u))

    def _latex(self, printer):
        return r"\sigma{\left(%s \right)}" % printer._print(self.args[0])

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None


class softplus(sp.Function):
    """softplus(u) = log(1 + e^u), scalar u."""

    nargs = 1

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sp.log(2)
        return None

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, u, **kwargs):
        return sp.log(1 + sp.exp(u))

    def _latex(self, printer):
        return r"\operatorname{softplus}{\left(%s \right)}" % printer._print(self.args[0])

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None


class logsumexp(sp.Function):
    """LSE(u_1, ..., u_K) = log(sum_k e^u_k), K >= 1 scalar arguments."""

    def fdiff(self, argindex=1):
        return sp.exp(self.args[argindex - 1] - self)

    def _eval_rewrite_as_exp(self, *us, **kwargs):
        return sp.log(sp.Add(*[sp.exp(u) for u in us]))

    def _latex(self, printer):
        return r"\operatorname{LSE}{\left(%s \right)}" % ", ".join(printer._print(u) for u in self.args)

    def _eval_is_real(self):
        return True if all(u.is_real for u in self.args) else None


def softmax(us, k):
    """S_k(u) = e^u_k / sum_j e^u_j, written as exp(u_k - LSE(u)) (the derivative of LSE)."""
    return sp.exp(us[k] - logsumexp(*us))


def raw(expr):
    """The expression with every special function replaced by its raw exponential definition."""
    return expr.rewrite(sp.exp)
