"""The one door to the generated kernels: ``from symlogit.kernels import binary, multinomial``.

The modules are the files in generated/ (installed as ``symlogit._generated``); they import
only numpy and numba, so importing this module never loads SymPy. See each module's docstring
for the objective, shapes and coefficient layout; every kernel returns sums over rows.
"""

from ._generated import binary, multinomial

__all__ = ["binary", "multinomial"]
