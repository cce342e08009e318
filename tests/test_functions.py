"""The stable SymPy functions: exact derivatives, raw rewrites, stable evaluation at extremes."""

import mpmath
import numpy as np
import pytest
import sympy as sp

from symlogit.symbolic.functions import logsumexp, raw, sigmoid, softmax, softplus
from symlogit.symbolic.reference import float64_function
from symlogit.symbolic.stable import to_accurate, to_numeric

u = sp.Symbol("u", real=True)
y = sp.Symbol("y", real=True)


def test_derivatives_are_the_exact_ones():
    assert sp.diff(softplus(u), u) == sigmoid(u)
    assert sp.diff(sigmoid(u), u) == sigmoid(u) * (1 - sigmoid(u))
    us = sp.symbols("a b c", real=True)
    assert sp.diff(logsumexp(*us), us[1]) == softmax(us, 1)


def test_rewrite_to_raw_forms():
    assert raw(sigmoid(u)) == sp.exp(u) / (1 + sp.exp(u))
    assert raw(softplus(u)) == sp.log(1 + sp.exp(u))
    a, b = sp.symbols("a b", real=True)
    assert raw(logsumexp(a, b)) == sp.log(sp.exp(a) + sp.exp(b))


@pytest.mark.parametrize("value", [-1e5, -1000.0, -700.0, -30.0, 0.0, 30.0, 700.0, 1000.0, 1e5])
def test_stable_evaluation_matches_mpmath_at_extremes(value):
    with mpmath.workdps(60):
        x = mpmath.mpf(value)
        ref_sigmoid = 1 / (1 + mpmath.exp(-x))
        ref_softplus = mpmath.log1p(mpmath.exp(x)) if value < 0 else x + mpmath.log1p(mpmath.exp(-x))
        ref_h2 = 1 / ((1 + mpmath.exp(-x)) * (1 + mpmath.exp(x)))
    for expr, ref in ((sigmoid(u), ref_sigmoid), (softplus(u), ref_softplus),
                      (to_accurate(sp.diff(sigmoid(u), u)), ref_h2)):
        got = float64_function([u], to_numeric(expr))(value)
        assert np.isfinite(got)
        assert got == pytest.approx(float(ref), rel=1e-13, abs=1e-300)


def test_unstable_form_really_loses_accuracy():
    """The reason for the hessian-weight rewrite: sigma - sigma^2 cancels to 0 at u = 40."""
    naive = float64_function([u], sigmoid(u) - sigmoid(u) ** 2)(40.0)
    stable = float64_function([u], to_accurate(sp.diff(sigmoid(u), u)))(40.0)
    assert naive == 0.0 or abs(naive - stable) / stable > 1e-3
    assert stable == pytest.approx(float(mpmath.exp(-40) / (1 + mpmath.exp(-40)) ** 2), rel=1e-14)


def test_target_split_keeps_small_gradients_and_losses():
    grad = float64_function([u, y], to_numeric(sigmoid(u) - y))
    loss = float64_function([u, y], to_numeric(-y * u + softplus(u)))
    assert grad(30.0, 1.0) == pytest.approx(-float(1 / (1 + mpmath.exp(30))), rel=1e-14)
    assert loss(40.0, 1.0) == pytest.approx(float(mpmath.log1p(mpmath.exp(-40))), rel=1e-14)


def test_logsumexp_stable_for_huge_components():
    a, b, c = sp.symbols("a b c", real=True)
    f = float64_function([a, b, c], logsumexp(a, b, c))
    assert f(1e5, 1e5, -1e5) == pytest.approx(1e5 + np.log(2), rel=1e-15)
    assert f(-1e5, -1e5 - 1, -1e5 - 2) == pytest.approx(-1e5 + np.log1p(np.exp(-1) + np.exp(-2)), rel=1e-15)
