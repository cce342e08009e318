"""symlogit: regression models (logit, softmax, probit, cloglog, Poisson: a table of families)
derived by SymPy, verified against their closed forms, and run as generated numba kernels.

Importing this package stays light: the symbolic layer (``symlogit.symbolic``) imports SymPy
and is only loaded by the commands that need it (``verify``, ``derive``, ``generate``); the
estimator (numba, scikit-learn) is loaded on first use of ``symlogit.LogisticRegression``.
"""

__version__ = "0.1.0"

_LAZY = {"LogisticRegression": "estimator", "GLMClassifier": "estimator", "GLMRegressor": "estimator",
         "SeparationWarning": "estimator", "Inference": "inference"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["LogisticRegression", "GLMClassifier", "GLMRegressor", "SeparationWarning", "Inference", "__version__"]
