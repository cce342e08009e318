"""Print per-sample SymPy expressions as the body of a scalar numba function.

The expressions arrive with the special functions in place (sigmoid, softplus, exp of
u - LSE); ``to_numeric`` applies the verified stable rewrites (claim C4), common
subexpressions are eliminated across all outputs of one function, and SymPy's Python printer
writes the result with ``math`` calls, which numba compiles to scalar code.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from ..symbolic.stable import to_numeric


class ScalarNumbaPrinter(PythonCodePrinter):
    """Python printer for scalar code under numba: math.* calls, ``max``/``abs`` builtins."""

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

    def _print_Float(self, expr):
        return repr(float(expr))


def scalar_function(name: str, args: list[sp.Symbol], outputs: list[sp.Expr], doc: str) -> str:
    """Source of ``def name(args): ... return outputs`` with CSE over all outputs."""
    printer = ScalarNumbaPrinter({"fully_qualified_modules": True, "standard": "python3"})
    numeric = [to_numeric(e) for e in outputs]
    replacements, reduced = sp.cse(numeric, symbols=sp.numbered_symbols("t"), optimizations="basic")
    lines = ["@numba.njit(cache=True)",
             f"def {name}({', '.join(str(a) for a in args)}):",
             f'    """{doc}"""']
    for sym, expr in replacements:
        lines.append(f"    {sym} = {printer.doprint(expr)}")
    result = ", ".join(printer.doprint(e) for e in reduced)
    lines.append(f"    return {result}")
    return "\n".join(lines) + "\n"
