"""symlogit: regression models (logit, softmax, probit, cloglog, Poisson: a table of families)
derived by SymPy, verified against their closed forms, and run as generated numba kernels.

Importing this package stays light: the symbolic layer (``symlogit.symbolic``) imports SymPy
and is only loaded by the commands that need it (``verify``, ``derive``, ``generate``); the
estimator (numba, scikit-learn) is loaded on first use of ``symlogit.LogisticRegression``.
"""

__version__ = "0.1.0"

#: The one default tolerance on max|∇f| of the weight-averaged objective (estimators, dask, CLI):
#: the optimum to at least 6 significant digits on the bundled datasets at 1.0-1.2x the time of
#: tol = 1e-4 (tools/bench_tolerance.py); 1e-4, scikit-learn's default, left digits' coefficients
#: 0.9% from the optimum.
DEFAULT_TOL = 1e-8

_LAZY = {"Family": "userfamily", "LogisticRegression": "estimator", "GLMClassifier": "estimator", "GLMRegressor": "estimator",
         "SeparationWarning": "estimator", "Inference": "inference", "LogisticRegressionCV": "cv", "GLMClassifierCV": "cv",
         "GLMRegressorCV": "cv"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Family", "LogisticRegression", "GLMClassifier", "GLMRegressor", "LogisticRegressionCV", "GLMClassifierCV",
           "GLMRegressorCV", "SeparationWarning", "Inference", "__version__"]
