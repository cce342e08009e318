"""Print per-sample SymPy expressions as the body of a scalar numba function.

The expressions arrive with the special functions in place (sigmoid, softplus, exp of
u - LSE); ``to_numeric`` applies the verified stable rewrites (claim C4), ``to_polynomial_calls``
routes e^x with x <= 0 and log1p(e^x) to the kernels' polynomial evaluations (claims F4, F5),
common subexpressions are eliminated across all outputs of one function, and SymPy's Python
printer writes the result, which numba compiles to scalar code that LLVM can vectorise.
"""

from __future__ import annotations

import sympy as sp
from sympy.codegen.cfunctions import log1p
from sympy.printing.pycode import PythonCodePrinter

from ..symbolic import elementary
from ..symbolic.stable import to_numeric

#: Options of every printed function. error_model="numpy": a division is IEEE (numba's default
#: "python" model tests each divisor for zero and raises, and that branch keeps LLVM from
#: vectorising the loop). inline="always": numba inlines the function into its loop, which LLVM
#: then vectorises; left to LLVM's inliner, the larger formulas stayed calls (and loops with a
#: call in them run one row at a time).
NJIT_OPTIONS = 'cache=True, error_model="numpy", inline="always"'


class exp_polynomial(sp.Function):
    """e^x, printed as the kernels' ``_exp``: a polynomial after range reduction (claim F4)."""

    nargs = 1


class log1p_unit(sp.Function):
    """log(1 + e) for 0 <= e <= 1, printed as the kernels' ``_log1p_unit`` (claim F5)."""

    nargs = 1


def to_polynomial_calls(expr):
    """log1p(e^x) -> log1p_unit(e^x) wherever SymPy's assumptions prove x <= 0 (the stable forms
    of C4 only ever exponentiate -|u| or u_k - max u), and every e^x -> exp_polynomial(x) (any
    x: claim F4 covers the whole line); any other log1p is left to math.log1p."""
    def unit_exponential(e):
        return isinstance(e, sp.exp) and e.args[0].is_nonpositive is True

    expr = expr.replace(lambda e: isinstance(e, log1p) and unit_exponential(e.args[0]), lambda e: log1p_unit(e.args[0]))
    return expr.replace(lambda e: isinstance(e, sp.exp), lambda e: exp_polynomial(e.args[0]))


class ScalarNumbaPrinter(PythonCodePrinter):
    """Python printer for scalar code under numba: math.* calls, ``max``/``abs`` builtins,
    floats for rationals (no division at run time), the polynomial exp and log1p by name."""

    def _print_Max(self, expr):
        args = [self._print(a) for a in expr.args]
        out = args[0]
        for a in args[1:]:
            out = f"max({out}, {a})"
        return out

    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"

    def _print_log1p(self, expr):
        return f"math.log1p({self._print(expr.args[0])})"

    def _print_exp_polynomial(self, expr):
        return f"_exp({self._print(expr.args[0])})"

    def _print_log1p_unit(self, expr):
        return f"_log1p_unit({self._print(expr.args[0])})"

    def _print_Function(self, expr):
        """A special function the kernels evaluate themselves (``kernel_name``, e.g. log Φ), or
        one that prints its own numba expression (``_numbacode``)."""
        if hasattr(expr, "_numbacode"):
            return expr._numbacode(self)
        name = getattr(expr.func, "kernel_name", None)
        if name is None:
            return super()._print_Function(expr)
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    def _print_erfc(self, expr):
        return f"math.erfc({self._print(expr.args[0])})"

    def _print_expm1(self, expr):
        return f"math.expm1({self._print(expr.args[0])})"

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_Rational(self, expr):
        return repr(float(expr))


def _printer():
    return ScalarNumbaPrinter({"fully_qualified_modules": True, "standard": "python3"})


def scalar_function(name: str, args: list[sp.Symbol], outputs: list[sp.Expr], doc: str) -> str:
    """Source of ``def name(args): ... return outputs`` with CSE over all outputs."""
    printer = _printer()
    numeric = [to_polynomial_calls(to_numeric(e)) for e in outputs]
    replacements, reduced = sp.cse(numeric, symbols=sp.numbered_symbols("t"), optimizations="basic")
    lines = [f"@numba.njit({NJIT_OPTIONS})",
             f"def {name}({', '.join(str(a) for a in args)}):",
             f'    """{doc}"""']
    for sym, expr in replacements:
        lines.append(f"    {sym} = {printer.doprint(expr)}")
    result = ", ".join(printer.doprint(e) for e in reduced)
    lines.append(f"    return {result}")
    return "\n".join(lines) + "\n"


def elementary_polynomials() -> dict[str, str]:
    """The values the kernel template's ``_exp_nonpositive`` and ``_log1p_unit`` are filled with:
    T(r) and A(z) in Horner form, printed from ``symbolic.elementary``, and its constants."""
    printer = _printer()
    r, z = sp.Symbol("r"), sp.Symbol("z")
    e = elementary
    return {
        "exp_polynomial": printer.doprint(e.horner(e.exp_polynomial(r), r)),
        "atanh_polynomial": printer.doprint(e.horner(e.atanh_polynomial(z), z)),
        "exp_degree": e.EXP_DEGREE, "atanh_terms": e.ATANH_TERMS,
        **{name.lower(): repr(getattr(e, name)) for name in ("EXP_CLAMP", "LOG2_E", "LN2_HI", "LN2_LO", "LN2",
                                                              "LOG1P_SPLIT")},
    }


def kernel_functions_used(exprs) -> list[str]:
    """The ``kernel_name`` of every special function the expressions call, sorted."""
    names = set()
    for expr in exprs:
        for f in sp.sympify(expr).atoms(sp.Function):
            if getattr(f.func, "kernel_name", None):
                names.add(f.func.kernel_name)
    return sorted(names)


def special_functions_source(names: list[str]) -> str:
    """The numba source of the named special functions (probit's and cloglog's stable forms,
    claims F6+), or "" when none is used."""
    if not names:
        return ""
    from .special import special_source
    return special_source(names).strip("\n") + "\n"


def python_expression(expr) -> str:
    """A closed-form constant or expression (in n_classes) as a Python float expression."""
    return _printer().doprint(sp.sympify(expr))
