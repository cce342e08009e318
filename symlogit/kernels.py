"""The one door to the generated kernels: ``kernels.module(name)`` for a family's module, e.g.
``from symlogit.kernels import module; module("logit").loss_grad(X, y, beta)``.

The modules are the files in generated/ (installed as ``symlogit._generated``), one per family
of the table (``symlogit.symbolic.families``); they import only numpy and numba, so importing
this module never loads SymPy. See each module's docstring for the objective, shapes and
coefficient layout; every kernel returns sums over rows.
"""

from importlib import import_module

from ._generated import FAMILIES


def module(name):
    """The generated kernel module of family ``name`` (one of ``FAMILIES``)."""
    if name not in FAMILIES:
        raise ValueError(f"unknown family {name!r}; expected one of {', '.join(FAMILIES)}")
    return import_module(f"symlogit._generated.{name}")


__all__ = ["FAMILIES", "module"]


def __getattr__(name):
    """``from symlogit.kernels import logit`` and the like: a family's module by its name."""
    if name in FAMILIES:
        return module(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
