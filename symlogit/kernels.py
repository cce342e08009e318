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


def is_cached(name):
    """Whether numba's cache holds compiled kernels of family ``name`` newer than its module file
    (its index files, ``__pycache__/<name>.*.nbi`` beside the module; a cache numba keeps
    elsewhere, where that folder is not writable, reads as not cached). Used to say, before a
    first fit or prediction, that the kernels compile once."""
    from importlib.util import find_spec
    from pathlib import Path

    source = Path(find_spec(f"symlogit._generated.{name}").origin)
    stamps = [p.stat().st_mtime for p in (source.parent / "__pycache__").glob(f"{name}.*.nbi")]
    return bool(stamps) and max(stamps) >= source.stat().st_mtime


__all__ = ["FAMILIES", "module", "is_cached"]


def __getattr__(name):
    """``from symlogit.kernels import logit`` and the like: a family's module by its name."""
    if name in FAMILIES:
        return module(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
