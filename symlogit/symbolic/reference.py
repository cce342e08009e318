"""Evaluation on both sides of a numeric check.

* float64: ``float64_function`` lambdifies an expression as written, with each special function
  (sigmoid, softplus, LSE) in its stable form, so evaluating it cannot overflow.
* mpmath: ``mp_function`` lambdifies the *raw* definition (special functions rewritten to
  exponentials) for mpmath at ``DIGITS`` significant digits: enough that 1 - sigma(700) or
  log(e^700 + 1) - 700 keep their leading digits, so the reference needs no stable form of its
  own. Derivatives are taken by ``mpmath.diff`` (numerical differentiation at that precision),
  independent of SymPy's symbolic differentiation.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from .functions import raw
from .stable import to_elementary

DIGITS = 400

#: Scalar u at which every scalar claim is checked: the extremes float64's exp still represents
#: (|u| = 700), saturated and friendly values; random points are added by ``scalar_points``.
FIXED_U = (-700.0, -300.0, -40.0, -1.5, 0.0, 0.5, 30.0, 300.0, 700.0)


def float64_function(args, expr):
    """float64 evaluation of expr as written, each special function in its stable form."""
    return sp.lambdify(args, to_elementary(expr), modules="numpy")


def mp_function(args, expr):
    """mpmath evaluation of the raw form of expr, at DIGITS significant digits or more (never
    lowering the precision a caller such as mpmath.diff has raised)."""
    f = sp.lambdify(args, raw(expr), modules="mpmath")

    def at_full_precision(*values):
        with mpmath.workdps(max(DIGITS, mpmath.mp.dps)):
            return f(*values)

    return at_full_precision


def to_float(value) -> float:
    return float(mpmath.mpf(value))


def scalar_points(rng: np.random.Generator, n_random: int = 8) -> np.ndarray:
    """Fixed extremes plus random points spread over |u| <= 700."""
    return np.concatenate([FIXED_U, rng.uniform(-700, 700, n_random // 2), rng.normal(0, 3, n_random - n_random // 2)])


def vector_points(rng: np.random.Generator, k: int, n_random: int = 6) -> list[np.ndarray]:
    """u vectors in R^k: random moderate ones, and ones with components at +-700."""
    pts = [rng.normal(0, 3, k) for _ in range(n_random)]
    pts += [rng.choice([-700.0, -40.0, 0.0, 35.0, 700.0], size=k) + rng.normal(0, 1, k) for _ in range(n_random)]
    return pts


def simplex_point(rng: np.random.Generator, k: int) -> np.ndarray:
    """A probability vector: soft (Dirichlet) or one-hot, at random."""
    if rng.random() < 0.3:
        return np.eye(k)[rng.integers(k)]
    return rng.dirichlet(np.ones(k))


def mp_diff(f, x: float, order: int = 1) -> float:
    with mpmath.workdps(DIGITS):
        return to_float(mpmath.diff(f, mpmath.mpf(x), order))


def mp_gradient(f, point, digits: int = DIGITS) -> np.ndarray:
    """Gradient of an mpmath function of a vector, by mpmath.diff along each coordinate."""
    with mpmath.workdps(digits):
        x0 = [mpmath.mpf(float(v)) for v in point]
        out = []
        for j in range(len(x0)):
            def along(t, j=j):
                x = list(x0)
                x[j] = x[j] + t
                return f(x)
            out.append(to_float(mpmath.diff(along, 0)))
    return np.array(out)


def mp_hessian(f, point, digits: int = DIGITS) -> np.ndarray:
    """Hessian of an mpmath function of a vector, by mixed partials of mpmath.diff."""
    n = len(point)
    with mpmath.workdps(digits):
        x0 = [mpmath.mpf(float(v)) for v in point]
        H = np.zeros((n, n))
        for a in range(n):
            for b in range(a, n):
                def along(s, t, a=a, b=b):
                    x = list(x0)
                    x[a] = x[a] + s
                    x[b] = x[b] + t
                    return f(x)
                H[a, b] = H[b, a] = to_float(mpmath.diff(along, (0, 0), (1, 1)) if a != b
                                             else mpmath.diff(lambda s: along(s, 0), 0, 2))
    return H
