"""symlogit: logistic regression derived by SymPy, verified against its source documents,
and run as generated numba kernels.

Importing this package stays light: the symbolic layer (``symlogit.symbolic``) imports SymPy
and is only loaded by the commands that need it (``verify``, ``derive``, ``generate``).
"""

__version__ = "0.1.0"
