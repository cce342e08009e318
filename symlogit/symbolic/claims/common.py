"""Checks shared by many claims: scalar identities in u-space and matrix identities on the
explicit symbolic cases of ``cases.py``."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import numpy as np
import sympy as sp

from ..cases import BinaryCase, MultinomialCase
from ..checking import Numeric, Symbolic, all_zero, numeric_verdict, relative_error
from ..reference import float64_function, mp_function, mp_gradient, mp_hessian, scalar_points

U = sp.Symbol("u", real=True)
Y = sp.Symbol("y", real=True)

#: Matrix claims are checked numerically with these max |u|: friendly, saturated, extreme.
MATRIX_SCALES = (3.0, 60.0, 700.0)


def scalar_numeric(claimed, reference, rng, *, floor=1.0, tol=1e-12, what="") -> Numeric:
    """claimed: a SymPy expression in U (and Y); reference: a function (u, y) -> float by mpmath."""
    f = float64_function([U, Y], claimed)
    errors = []
    for u in scalar_points(rng):
        y = float(rng.choice([0.0, 1.0, rng.random()]))
        errors.append(relative_error(f(u, y), reference(u, y), floor))
    return numeric_verdict(errors, tol, what or "float64 vs mpmath at |u| <= 700")


def mp_scalar(expr):
    """An mpmath function (u, y) of a SymPy expression in U and Y, raw forms."""
    return mp_function([U, Y], expr)


# ---- matrix identities on explicit symbolic cases -------------------------------------------

ClaimedForms = Callable[[object], list]


def matrix_symbolic(cases, claimed: ClaimedForms, truth: Callable, what: str) -> Symbolic:
    """Prove claimed(case) == truth(case) entry by entry for every case (decisive expand).

    ``claimed`` returns one or more equivalent forms of the claim for a case, each a Matrix of
    the same shape as ``truth(case)``.
    """
    for case in cases:
        target = case.poly(truth(case))
        for form in claimed(case):
            if not all_zero(case.poly(form) - target):
                return Symbolic(False, f"{what}: differs at {_size(case)}")
    sizes = sorted({_size(c) for c in cases})
    return Symbolic(True, f"{what}: expanded to 0 entry by entry for {len(sizes)} sizes ({sizes[0]} .. {sizes[-1]})")


def _size(case) -> str:
    if isinstance(case, MultinomialCase):
        return f"K={case.k},d={case.d},N={case.n}"
    return f"d={case.d},N={case.n}"


#: Digits for the matrix references: they are compared with an absolute floor of 1 (entries
#: are O(1) sums), so the e^-700-sized terms that need 400 digits cannot matter there.
MATRIX_DIGITS = 60


@lru_cache(maxsize=None)
def _matrix_reference(case, scale: float, order: int):
    """One sample per (case, scale), shared by every claim and control on that case, and the
    mpmath gradient or Hessian of its raw summed loss."""
    rng = np.random.default_rng([case.n, int(scale), 20261123])
    values, (beta, x, y) = case.sample(rng, scale)
    loss = lambda b: case.mp_loss_sum(b, x, y)  # noqa: E731
    ref = (mp_gradient if order == 1 else mp_hessian)(loss, beta, MATRIX_DIGITS)
    return values, ref


def matrix_numeric(case, claimed: ClaimedForms, order: int, average: bool, *,
                   scales=MATRIX_SCALES, tol=1e-10) -> Numeric:
    """Evaluate each claimed form in float64 and compare with mpmath derivatives of the raw loss.

    order 1: the gradient with respect to β (vec(B)); order 2: the Hessian. ``average`` divides
    the raw summed loss by N, for claims stated for the average loss.
    """
    errors = []
    for scale in scales:
        values, ref = _matrix_reference(case, scale, order)
        if average:
            ref = ref / case.n
        for form in claimed(case):
            errors.append(relative_error(case.evaluate(form, values).reshape(ref.shape), ref, 1.0))
    what = "gradient" if order == 1 else "Hessian"
    return numeric_verdict(errors, tol, f"float64 vs mpmath {what} of the raw loss at {_size(case)}, "
                                        f"max|u| in {scales}")


def truth_gradient(average: bool):
    return lambda case: case.gradient_sum / case.n if average else case.gradient_sum


def truth_hessian(average: bool):
    return lambda case: case.hessian_sum / case.n if average else case.hessian_sum


def kron(*ms):
    return sp.kronecker_product(*ms)


def binary_numeric_case() -> BinaryCase:
    from ..cases import binary_case
    return binary_case(2, 3)


def multinomial_numeric_case() -> MultinomialCase:
    from ..cases import multinomial_case
    return multinomial_case(3, 2, 3)
